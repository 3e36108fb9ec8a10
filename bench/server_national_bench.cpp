// National-scale scores: a country's tree (34 provinces, each with a public administrative service
// center and 97 communes: 3,332 units that take ratings) with N responses over one year, written
// with SQL straight into the server's schema on SQLite or PostgreSQL, the rollups aggregated from
// them with SQL and the below rollups refilled by the store. Then the scores of the country's year
// and of one province's year from the rollups (ScoreService, as GET /api/v1/scores), p50 and p99
// over --repeat runs, with and without the extras; one province's year is checked equal to the
// same query computed from the raw rows. Every unit is on Asia/Ho_Chi_Minh (UTC+7, fixed since
// 1975). The raw JSON and hash columns are left empty: a kiosk's row carries about 0.9 kB more.
//
// Prints one JSON object on stdout (a run per size), progress on stderr.
// Usage: sipas-bench-national --db PATH|postgresql://... [--sizes 5000000,20000000] [--repeat 20]
//        sipas-bench-national --db ... --measure-only   (the queries only, on an earlier run's data)
// A PostgreSQL database must be new and empty; a SQLite file is replaced.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pg.hpp"
#include "sipas/server/scores.hpp"
#include "sipas/server/surveys.hpp"
#include "sipas/sqlite.hpp"
#include "sqlite_store.hpp"

namespace {

using namespace sipas;
using Steady = std::chrono::steady_clock;

constexpr int kProvinces = 34;
constexpr int kCommunesPerProvince = 97;
constexpr int kLeaves = kProvinces * (kCommunesPerProvince + 1);
// 2025-01-01T00:00:00+07:00
constexpr long long kYearStartMs = 1735664400000LL;

double ms_since(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

[[noreturn]] void die(const std::string& what) {
  std::cerr << "sipas-bench-national: " << what << "\n";
  std::exit(1);
}

void check(const Status& s, const std::string& what) {
  if (!s.is_ok()) die(what + ": " + s.message());
}

std::string two(int n) { return (n < 10 ? "0" : "") + std::to_string(n); }
std::string three(int n) { return (n < 100 ? (n < 10 ? "00" : "0") : "") + std::to_string(n); }

// The SQL of one chunk [from, to] of responses, over a series s(i) and the leaf table
// bench_units(idx, code, kiosk), in each storage's dialect.
struct Dialect {
  std::string series;       // SQLite: the CTE that makes s(i), before the INSERT
  std::string from_series;  // the FROM item that gives s(i)
  std::string id;          // the response id from i
  std::string day;         // the local day of r.submitted_ms
  std::string upsert;      // the ON CONFLICT clause of rollup_day
};

Dialect dialect(bool pg, long long from, long long to) {
  const std::string a = std::to_string(from), b = std::to_string(to);
  if (pg) {
    return {"", "generate_series(" + a + "::bigint, " + b + "::bigint) AS s(i)", "'r' || lpad(i::text, 10, '0')",
            "to_char(timestamp 'epoch' + (r.submitted_ms / 1000 + 25200) * interval '1 second', "
            "'YYYY-MM-DD')",
            " ON CONFLICT (survey, unit, day, kind, key, value) DO UPDATE SET n = rollup_day.n + "
            "EXCLUDED.n"};
  }
  return {"WITH RECURSIVE s(i) AS (SELECT " + a + " UNION ALL SELECT i + 1 FROM s WHERE i < " + b +
              ") ",
          "s", "printf('r%010d', i)", "date(r.submitted_ms / 1000 + 25200, 'unixepoch')",
          " ON CONFLICT DO UPDATE SET n = n + excluded.n"};
}

std::vector<std::string> generate_sql(bool pg, long long from, long long to) {
  const Dialect d = dialect(pg, from, to);
  const std::string leaf = "(i * 48271) % " + std::to_string(kLeaves);
  const std::string criteria =
      "(VALUES (0, 'access.waiting_time'), (1, 'procedures.documents'), (2, 'officer.polite'), "
      "(3, 'officer.guidance'), (4, 'result.on_time'), (5, 'feedback.channels'), "
      "(6, 'general.overall'))";
  // SQLite takes a CTE only before the INSERT; PostgreSQL takes the VALUES list in the FROM.
  const std::string with_criteria = pg ? d.series : d.series + ", c(k, id) AS " + criteria + " ";
  const std::string criteria_from = pg ? criteria + " AS c(k, id)" : "c";
  return {
      d.series +
          "INSERT INTO responses(rid, id, kiosk_id, seq, prev_hash, hash, content_hash, "
          "answers_key, survey_id, survey_version, unit, counter, officer, dossier, language, "
          "started_at, submitted_at, submitted_ms, status, comment, batch_id, received_at, raw) " +
          (pg ? "OVERRIDING SYSTEM VALUE " : "") + "SELECT i, " + d.id +
          ", u.kiosk, i, '', '', '', '', 'counter-short', 1, u.code, 'Q' || (i % 3 + 1), "
          "'CB' || (i % 5), NULL, 'vi', '', '', " + std::to_string(kYearStartMs) +
          " + ((i * 7919) % 31536000) * 1000, CASE WHEN i % 13 = 0 THEN 'partial' ELSE "
          "'complete' END, NULL, 'bench', '', '' FROM " + d.from_series +
          " JOIN bench_units u ON u.idx = " + leaf,
      with_criteria +
          "INSERT INTO answers(response_rid, criterion, value) SELECT i, id, CASE WHEN h < 4 THEN "
          "1 WHEN h < 9 THEN 2 WHEN h < 20 THEN 3 WHEN h < 55 THEN 4 ELSE 5 END FROM (SELECT i, "
          "k, id, ((i * 2654435761 + k * 40503 + (" + leaf + ") * 7) % 100) AS h FROM " +
          d.from_series + ", " + criteria_from + " WHERE i % 13 <> 0 OR k < 3) AS x",
      d.series +
          "INSERT INTO reasons(response_rid, reason) SELECT i, CASE WHEN i % 3 = 0 THEN "
          "'unclear_guidance' ELSE 'long_wait' END FROM " + d.from_series + " WHERE i % 10 = 0",
  };
}

// Adds responses from..to to rollup_day from the raw rows; rollup_month again from rollup_day.
std::vector<std::string> rollup_sql(bool pg, long long from, long long to) {
  const Dialect d = dialect(pg, from, to);
  const std::string range = "r.rid BETWEEN " + std::to_string(from) + " AND " + std::to_string(to);
  const std::string into = "INSERT INTO rollup_day(survey, unit, day, kind, key, value, n) ";
  return {
      into + "SELECT r.survey_id, r.unit, " + d.day +
          ", 0, a.criterion, a.value, count(*) FROM responses r JOIN answers a ON a.response_rid = "
          "r.rid WHERE a.value IS NOT NULL AND " + range + " GROUP BY 1, 2, 3, 5, 6" + d.upsert,
      into + "SELECT r.survey_id, r.unit, " + d.day +
          ", 1, x.reason, 0, count(*) FROM responses r JOIN reasons x ON x.response_rid = r.rid "
          "WHERE " + range + " GROUP BY 1, 2, 3, 5" + d.upsert,
      into + "SELECT r.survey_id, r.unit, " + d.day +
          ", 2, r.status, 0, count(*) FROM responses r WHERE " + range + " GROUP BY 1, 2, 3, 5" +
          d.upsert,
      "DELETE FROM rollup_month",
      "INSERT INTO rollup_month(survey, unit, month, kind, key, value, n) SELECT survey, unit, "
      "substr(day, 1, 7), kind, key, value, sum(n) FROM rollup_day GROUP BY 1, 2, 3, 4, 5, 6",
  };
}

// Runs statements in one transaction on whichever store the bench writes to.
class Writer {
 public:
  explicit Writer(const std::string& db) : pg_(is_postgresql(db)) {
    if (pg_) {
      auto c = pg::Conn::open(db);
      if (!c.is_ok()) die(c.status().message());
      conn_ = std::move(c).value();
      check(conn_->run("bench session", "SET synchronous_commit = off"), "bench session");
      check(conn_->run("bench session", "SET statement_timeout = 0"), "bench session");
      check(conn_->run("bench session", "SET work_mem = '256MB'"), "bench session");
    } else {
      auto d = open_server_db(db);
      if (!d.is_ok()) die(d.status().message());
      db_ = std::move(d).value();
      // Generation only: durability is not needed to fill a throw-away database.
      check(db_->exec("PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000; PRAGMA temp_store=MEMORY"),
            "bench pragmas");
    }
  }
  bool pg() const { return pg_; }

  void run(const std::vector<std::string>& statements, const char* what) {
    auto timed = [&](const std::string& s, auto&& f) {
      auto t = Steady::now();
      check(f(s), what);
      if (ms_since(t) > 2000) std::cerr << "  " << ms_since(t) / 1000 << " s: " << s.substr(0, 60) << "\n";
    };
    if (pg_) {
      pg::Transaction tx(*conn_);
      check(tx.begin_status(), what);
      for (const auto& s : statements) timed(s, [&](const std::string& x) { return conn_->run(what, x); });
      check(tx.commit(), what);
    } else {
      sql::Transaction tx(*db_);
      check(tx.begin_status(), what);
      for (const auto& s : statements) timed(s, [&](const std::string& x) { return db_->exec(x, what); });
      check(tx.commit(), what);
    }
  }
  // What a running database's maintenance would have done by the time anyone asks for scores:
  // PostgreSQL's autovacuum clears the row versions the generation left behind.
  void settle() {
    if (pg_) {
      check(conn_->run("vacuum", "VACUUM ANALYZE"), "vacuum");
    } else {
      check(db_->exec("ANALYZE"), "analyze");
    }
  }

  long long size_bytes(const std::string& db) {
    if (pg_) {
      auto r = conn_->exec("database size", "SELECT pg_database_size(current_database())");
      if (!r.is_ok()) die(r.status().message());
      return r->int64(0, 0);
    }
    check(db_->exec("PRAGMA wal_checkpoint(TRUNCATE)"), "checkpoint");
    return static_cast<long long>(std::filesystem::file_size(db));
  }

 private:
  bool pg_;
  std::unique_ptr<pg::Conn> conn_;
  std::unique_ptr<sql::Db> db_;
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct Timing {
  double p50, p99;
  long long responses;
};

Timing time_query(ScoreService& svc, const std::string& unit, bool extras, int repeat) {
  ScoreQuery q;
  q.unit = unit;
  q.range = DateRange{*parse_date("2025-01-01"), *parse_date("2025-12-31")};
  q.extras = extras;
  std::vector<double> ms;
  long long responses = 0;
  for (int i = 0; i < repeat; ++i) {
    auto t = Steady::now();
    auto r = svc.scores(q);
    if (!r.is_ok()) die(r.status().message());
    nlohmann::json j = to_json(*r);  // timed too: the API answers with it
    ms.push_back(ms_since(t));
    responses = j["responses"].get<long long>();
  }
  return {percentile(ms, 0.5), percentile(ms, 0.99), responses};
}

}  // namespace

int main(int argc, char** argv) {
  std::string db;
  std::vector<long long> sizes{5000000, 20000000};
  int repeat = 20;
  // Times the queries on a database an earlier run generated (after an upgrade, say).
  bool measure_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--db" && i + 1 < argc) {
      db = argv[++i];
    } else if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::string list = argv[++i];
      for (std::size_t p = 0; p < list.size();) {
        auto e = list.find(',', p);
        if (e == std::string::npos) e = list.size();
        sizes.push_back(std::atoll(list.substr(p, e - p).c_str()));
        p = e + 1;
      }
    } else if (a == "--measure-only") {
      measure_only = true;
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(2, std::atoi(argv[++i]));
    } else if (a == "--help") {
      std::cout << "usage: sipas-bench-national --db PATH|postgresql://... [--sizes N,N] [--repeat R]\n";
      return 0;
    } else {
      die("unknown argument " + a);
    }
  }
  if (db.empty()) die("--db is required");
  if (!is_postgresql(db) && !measure_only) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  }

  // The tree, a kiosk per center and commune, and the shipped questionnaires, through the store.
  auto t0 = Steady::now();
  std::vector<std::pair<std::string, std::string>> leaves;  // code, kiosk
  if (measure_only) {
    auto store = ServerStore::open(db);  // migrates an older schema first
    if (!store.is_ok()) die(store.status().message());
    auto n = (*store)->response_count();
    if (!n.is_ok()) die(n.status().message());
    sizes = {*n};
    std::cerr << "migrated and opened in " << ms_since(t0) / 1000 << " s; " << *n << " responses\n";
  } else {
    auto store = ServerStore::open(db);
    if (!store.is_ok()) die(store.status().message());
    std::vector<UnitRecord> units{{"VN", "Việt Nam", std::nullopt}};
    for (int p = 1; p <= kProvinces; ++p) {
      const std::string code = "P" + two(p);
      units.push_back({code, "Tỉnh " + std::to_string(p), std::string("VN")});
      units.push_back({code + ".TT", "Trung tâm Phục vụ hành chính công " + std::to_string(p), code});
      leaves.emplace_back(code + ".TT", "k" + code + ".TT");
      for (int c = 1; c <= kCommunesPerProvince; ++c) {
        const std::string commune = code + ".X" + three(c);
        units.push_back({commune, "Xã " + std::to_string(c), code});
        leaves.emplace_back(commune, "k" + commune);
      }
    }
    check((*store)->import_units(units), "units");
    for (const auto& [code, kiosk] : leaves) {
      check((*store)->add_kiosk(kiosk, code, "hash-" + kiosk, SystemClock().now()), "kiosk");
    }
    for (const char* f : {"counter-short.json", "mau01.json"}) {
      auto s = import_survey_file(**store, std::filesystem::path(SIPAS_SOURCE_DIR) / "kiosk-config" /
                                               "surveys" / f);
      if (!s.is_ok()) die(s.status().message());
    }
  }
  Writer writer(db);
  if (measure_only) {
    writer.settle();
  } else {
    std::vector<std::string> setup{"CREATE TABLE bench_units(idx INTEGER PRIMARY KEY, code TEXT "
                                   "NOT NULL, kiosk TEXT NOT NULL)"};
    std::string values;
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      values += std::string(values.empty() ? "" : ", ") + "(" + std::to_string(i) + ", '" +
                leaves[i].first + "', '" + leaves[i].second + "')";
    }
    setup.push_back("INSERT INTO bench_units(idx, code, kiosk) VALUES " + values);
    writer.run(setup, "bench units");
  }
  const double setup_s = ms_since(t0) / 1000;
  if (!measure_only) {
    std::cerr << leaves.size() << " units that take ratings and their kiosks in " << setup_s << " s\n";
  }

  auto svc = ScoreService::open(db);
  if (!svc.is_ok()) die(svc.status().message());
  nlohmann::json out = {{"store", writer.pg() ? "postgresql" : "sqlite"},
                        {"units", leaves.size() + kProvinces + 1},
                        {"runs", nlohmann::json::array()}};
  long long have = measure_only ? sizes.back() : 0;
  double generate_s = 0, rollups_s = 0;
  constexpr long long kChunk = 1000000;
  for (long long size : sizes) {
    for (long long from = have + 1; from <= size; from += kChunk) {
      const long long to = std::min(size, from + kChunk - 1);
      auto t = Steady::now();
      writer.run(generate_sql(writer.pg(), from, to), "generate responses");
      generate_s += ms_since(t) / 1000;
      t = Steady::now();
      auto statements = rollup_sql(writer.pg(), from, to);
      // rollup_month is summed again from rollup_day once, after the size's last chunk.
      if (to < size) statements.resize(3);
      writer.run(statements, "rollups");
      rollups_s += ms_since(t) / 1000;
      std::cerr << to << " responses (" << generate_s << " s generating, " << rollups_s
                << " s rollups)\n";
    }
    auto t = Steady::now();
    if (!measure_only) {
      check((*svc)->store().refill_below_rollups(), "below rollups");
      std::cerr << "  " << ms_since(t) / 1000 << " s: below rollups\n";
      writer.settle();
      rollups_s += ms_since(t) / 1000;
    }
    have = size;

    const Timing nation = time_query(**svc, "VN", false, repeat);
    const Timing nation_x = time_query(**svc, "VN", true, repeat);
    const Timing province = time_query(**svc, "P01", false, repeat);
    const Timing province_x = time_query(**svc, "P01", true, repeat);
    // One province's year from the raw rows, once: the rollups must give the same answer.
    ScoreQuery q;
    q.unit = "P01";
    q.range = DateRange{*parse_date("2025-01-01"), *parse_date("2025-12-31")};
    q.extras = false;
    auto rolled = (*svc)->scores(q);
    q.source = ScoreSource::raw;
    t = Steady::now();
    auto raw = (*svc)->scores(q);
    const double raw_ms = ms_since(t);
    if (!rolled.is_ok() || !raw.is_ok()) die("province scores failed");
    nlohmann::json a = to_json(*rolled), b = to_json(*raw);
    a.erase("source");
    b.erase("source");
    const bool equal = a == b;
    const long long bytes = writer.size_bytes(db);
    std::cerr << size << ": country " << nation.p50 << " / " << nation.p99 << " ms, province "
              << province.p50 << " / " << province.p99 << " ms, raw province " << raw_ms
              << " ms, equal " << equal << ", " << bytes / 1e9 << " GB\n";
    out["runs"].push_back({{"responses", size},
                           {"country_responses", nation.responses},
                           {"province_responses", province.responses},
                           {"country_p50_ms", nation.p50},
                           {"country_p99_ms", nation.p99},
                           {"country_extras_p50_ms", nation_x.p50},
                           {"country_extras_p99_ms", nation_x.p99},
                           {"province_p50_ms", province.p50},
                           {"province_p99_ms", province.p99},
                           {"province_extras_p50_ms", province_x.p50},
                           {"province_extras_p99_ms", province_x.p99},
                           {"province_raw_ms", raw_ms},
                           {"equal", equal},
                           {"generate_s", generate_s},
                           {"rollups_s", rollups_s},
                           {"bytes", bytes}});
    if (!equal) {
      std::cout << out.dump() << "\n";
      die("rollups and raw rows disagree for P01");
    }
  }
  out["setup_s"] = setup_s;
  out["repeat"] = repeat;
  std::cout << out.dump() << "\n";
  return 0;
}
