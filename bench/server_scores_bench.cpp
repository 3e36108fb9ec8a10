// Latency of a province-year scores query, from the daily rollups and computed from the raw rows,
// over 1 and 5 million responses. The rows are generated with SQL straight into the server's
// schema (a province, 20 districts, 200 communes; the counter-short questionnaire), the rollups
// aggregated from them with SQL (every unit is on Asia/Ho_Chi_Minh, UTC+7, fixed since 1975), and
// the two answers are checked equal. Prints one JSON object on stdout, progress on stderr.
//
// Usage: sipas-bench-scores --db PATH [--sizes 1000000,5000000] [--repeat 5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipas/server/scores.hpp"
#include "sipas/server/surveys.hpp"
#include "sipas/sqlite.hpp"
#include "sqlite_store.hpp"

namespace {

using namespace sipas;
using Steady = std::chrono::steady_clock;

double ms_since(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

[[noreturn]] void die(const std::string& what) {
  std::cerr << "sipas-bench-scores: " << what << "\n";
  std::exit(1);
}

void check(const Status& s, const char* what) {
  if (!s.is_ok()) die(std::string(what) + ": " + s.message());
}

// 2025-01-01T00:00:00+07:00
constexpr long long kYearStartMs = 1735664400000LL;

void generate(sql::Db& db, long long from, long long to) {
  std::string n1 = std::to_string(from), n2 = std::to_string(to);
  std::string seq = "WITH RECURSIVE s(i) AS (SELECT " + n1 + " UNION ALL SELECT i + 1 FROM s WHERE i < " + n2 + ") ";
  std::string responses = seq +
      "INSERT INTO responses(rid, id, kiosk_id, seq, prev_hash, hash, content_hash, answers_key, "
      "survey_id, survey_version, unit, counter, officer, dossier, language, started_at, "
      "submitted_at, submitted_ms, status, comment, batch_id, received_at, raw) "
      "SELECT i, printf('r%09d', i), 'kb' || (i % 20), i, '', '', '', '', 'counter-short', 1, "
      "'C' || (i % 200), 'Q' || (i % 3 + 1), 'CB' || (i % 200) || '-' || (i % 7), NULL, 'vi', '', '', " +
      std::to_string(kYearStartMs) + " + ((i * 7919) % 31536000) * 1000, "
      "CASE WHEN i % 13 = 0 THEN 'partial' ELSE 'complete' END, NULL, 'bench', '', '' FROM s";
  std::string answers = seq +
      ", c(k, id) AS (VALUES (0, 'access.waiting_time'), (1, 'procedures.documents'), "
      "(2, 'officer.polite'), (3, 'officer.guidance'), (4, 'result.on_time'), "
      "(5, 'feedback.channels'), (6, 'general.overall')) "
      "INSERT INTO answers(response_rid, criterion, value) "
      "SELECT i, id, CASE WHEN h < 4 THEN 1 WHEN h < 9 THEN 2 WHEN h < 20 THEN 3 "
      "WHEN h < 55 THEN 4 ELSE 5 END FROM (SELECT i, k, id, ((i * 2654435761 + k * 40503 + (i % 200) * 7) % 100) "
      "AS h FROM s, c WHERE i % 13 <> 0 OR k < 3)";
  std::string reasons = seq +
      "INSERT INTO reasons(response_rid, reason) SELECT i, "
      "CASE WHEN i % 3 = 0 THEN 'unclear_guidance' ELSE 'long_wait' END FROM s WHERE i % 10 = 0";
  sql::Transaction tx(db);
  check(tx.begin_status(), "begin");
  check(db.exec(responses.c_str()), "generate responses");
  check(db.exec(answers.c_str()), "generate answers");
  check(db.exec(reasons.c_str()), "generate reasons");
  check(tx.commit(), "commit");
}

// Adds responses from..to to rollup_day straight from the raw rows, then rollup_month from
// rollup_day (the below rollups are refilled from those by the store). rollup_detail (counters
// and officers) is not needed by a province query and is left empty to keep the run short.
void aggregate_rollups(sql::Db& db, long long from, long long to) {
  const char* day = "date(r.submitted_ms / 1000 + 25200, 'unixepoch')";
  char range[96];
  std::snprintf(range, sizeof range, "r.rid BETWEEN %lld AND %lld", from, to);
  const std::string upsert = " ON CONFLICT DO UPDATE SET n = n + excluded.n";
  std::string answers =
      std::string("INSERT INTO rollup_day SELECT r.survey_id, r.unit, ") + day +
      ", 0, a.criterion, a.value, count(*) FROM responses r JOIN answers a ON a.response_rid = r.rid "
      "WHERE a.value IS NOT NULL AND " + range + " GROUP BY 1, 2, 3, 5, 6" + upsert;
  std::string reasons =
      std::string("INSERT INTO rollup_day SELECT r.survey_id, r.unit, ") + day +
      ", 1, x.reason, 0, count(*) FROM responses r JOIN reasons x ON x.response_rid = r.rid WHERE " +
      range + " GROUP BY 1, 2, 3, 5" + upsert;
  std::string statuses = std::string("INSERT INTO rollup_day SELECT r.survey_id, r.unit, ") + day +
                         ", 2, r.status, 0, count(*) FROM responses r WHERE " + range +
                         " GROUP BY 1, 2, 3, 5" + upsert;
  sql::Transaction tx(db);
  check(tx.begin_status(), "begin");
  check(db.exec("DELETE FROM rollup_month"), "clear month rollups");
  check(db.exec(answers.c_str()), "rollup answers");
  check(db.exec(reasons.c_str()), "rollup reasons");
  check(db.exec(statuses.c_str()), "rollup statuses");
  check(db.exec("INSERT INTO rollup_month SELECT survey, unit, substr(day, 1, 7), kind, key, "
                "value, sum(n) FROM rollup_day GROUP BY 1, 2, 3, 4, 5, 6"),
        "rollup months");
  check(tx.commit(), "commit");
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string db_path;
  std::vector<long long> sizes{1000000, 5000000};
  int repeat = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--db" && i + 1 < argc) {
      db_path = argv[++i];
    } else if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::string list = argv[++i];
      std::size_t p = 0;
      while (p < list.size()) {
        auto e = list.find(',', p);
        if (e == std::string::npos) e = list.size();
        sizes.push_back(std::atoll(list.substr(p, e - p).c_str()));
        p = e + 1;
      }
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--help") {
      std::cout << "usage: sipas-bench-scores --db PATH [--sizes N,N] [--repeat R]\n";
      return 0;
    } else {
      die("unknown argument " + a);
    }
  }
  if (db_path.empty()) die("--db PATH is required");
  std::filesystem::remove(db_path);
  std::filesystem::remove(db_path + "-wal");
  std::filesystem::remove(db_path + "-shm");

  {
    auto store = ServerStore::open(db_path);
    if (!store.is_ok()) die(store.status().message());
    std::vector<UnitRecord> units{{"22", "Tỉnh", std::nullopt}};
    for (int d = 0; d < 20; ++d) units.push_back({"D" + std::to_string(d), "Huyện " + std::to_string(d), std::string("22")});
    for (int c = 0; c < 200; ++c) {
      units.push_back({"C" + std::to_string(c), "Xã " + std::to_string(c), "D" + std::to_string(c % 20)});
    }
    check((*store)->import_units(units), "units");
    for (int k = 0; k < 20; ++k) {
      check((*store)->add_kiosk("kb" + std::to_string(k), "D" + std::to_string(k),
                                "hash-" + std::to_string(k), SystemClock().now()),
            "kiosk");
    }
    for (const char* f : {"counter-short.json", "mau01.json"}) {
      auto s = import_survey_file(**store, std::filesystem::path(SIPAS_SOURCE_DIR) / "kiosk-config" / "surveys" / f);
      if (!s.is_ok()) die(s.status().message());
    }
  }
  auto svc = ScoreService::open(db_path);
  if (!svc.is_ok()) die(svc.status().message());
  // The province's rows are written straight into the SQLite file, beside the service's own
  // connection.
  auto raw_db = open_server_db(db_path);
  if (!raw_db.is_ok()) die(raw_db.status().message());
  sql::Db& db = **raw_db;
  // Generation only: the ingest-time indexes that scores never read, and durability, are not
  // needed to fill a throw-away database.
  check(db.exec("DROP INDEX IF EXISTS responses_kiosk_time; DROP INDEX IF EXISTS "
                          "responses_kiosk_seq; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000; "
                          "PRAGMA temp_store=MEMORY"),
        "bench pragmas");

  nlohmann::json out = {{"runs", nlohmann::json::array()}};
  long long have = 0;
  for (long long size : sizes) {
    auto t0 = Steady::now();
    generate(db, have + 1, size);
    double gen_ms = ms_since(t0);
    t0 = Steady::now();
    aggregate_rollups(db, have + 1, size);
    check((*svc)->store().refill_below_rollups(), "below rollups");
    have = size;
    double agg_ms = ms_since(t0);
    check(db.exec("ANALYZE"), "analyze");
    std::cerr << size << " responses generated in " << gen_ms / 1000 << " s, rollups in "
              << agg_ms / 1000 << " s\n";

    ScoreQuery q;
    q.unit = "22";
    q.range = DateRange{*parse_date("2025-01-01"), *parse_date("2025-12-31")};
    q.extras = false;
    std::vector<double> roll, roll_extras;
    nlohmann::json roll_json;
    for (int i = 0; i < repeat; ++i) {
      auto t = Steady::now();
      auto r = (*svc)->scores(q);
      if (!r.is_ok()) die(r.status().message());
      roll_json = to_json(*r);  // timed too: the API answers with it
      roll.push_back(ms_since(t));
    }
    ScoreQuery qe = q;
    qe.extras = true;
    for (int i = 0; i < repeat; ++i) {
      auto t = Steady::now();
      auto r = (*svc)->scores(qe);
      if (!r.is_ok()) die(r.status().message());
      nlohmann::json j = to_json(*r);
      roll_extras.push_back(ms_since(t));
    }
    ScoreQuery qr = q;
    qr.source = ScoreSource::raw;
    auto t = Steady::now();
    auto raw = (*svc)->scores(qr);
    if (!raw.is_ok()) die(raw.status().message());
    nlohmann::json a = roll_json, b = to_json(*raw);
    double raw_ms = ms_since(t);
    a.erase("source");
    b.erase("source");
    bool equal = a == b;
    std::cerr << size << ": rollups " << median(roll) << " ms (with extras " << median(roll_extras)
              << " ms), raw " << raw_ms << " ms, equal " << equal << "\n";
    out["runs"].push_back({{"responses", size},
                           {"responses_in_result", roll_json["responses"]},
                           {"index", roll_json["index"]},
                           {"rollups_ms", median(roll)},
                           {"rollups_extras_ms", median(roll_extras)},
                           {"raw_ms", raw_ms},
                           {"equal", equal},
                           {"generate_s", gen_ms / 1000},
                           {"aggregate_s", agg_ms / 1000}});
    if (!equal) {
      std::cout << out.dump() << "\n";
      die("rollups and raw rows disagree");
    }
  }
  std::cout << out.dump() << "\n";
  return 0;
}
