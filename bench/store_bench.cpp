// Figures for the response store (bench/README.md): commit latency of one response through
// ResponseStore::append beside a bare one-row SQLite insert+commit with the same pragmas, and
// tally + scoring over about one million stored answers. Everything lives in a temporary
// directory under $TMPDIR (default /tmp), so the fsyncs hit a real disk unless /tmp is tmpfs.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "sipas/protocol.hpp"
#include "sipas/scoring.hpp"
#include "sipas/store.hpp"
#include "sipas/time.hpp"

namespace {

namespace fs = std::filesystem;
using namespace sipas;

constexpr int kLatencySamples = 2000;
constexpr int kLargeResponses = 170000;
constexpr int kLargeDays = 365;
const char* const kCriteria[] = {"access.signage", "procedures.posted", "officer.polite",
                                 "officer.guidance", "result.on_time", "general.overall"};
const char* const kElements[] = {"access", "procedures", "officer", "officer", "result",
                                 "general"};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "store_bench: %s\n", message.c_str());
  std::exit(1);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sipas-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) die("cannot create a temporary directory");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TempDir& temp_dir() {
  static TempDir dir;
  return dir;
}

TimePoint base_time() {
  return TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1)) - std::chrono::hours(7);
}

ResponseDraft sample_draft(std::mt19937& rng, TimePoint at) {
  std::uniform_int_distribution<int> value(1, 5);
  ResponseDraft d;
  d.survey_id = "sipas-counter";
  d.unit = "79-q1";
  d.counter = "c" + std::to_string(rng() % 4 + 1);
  d.officer = "o" + std::to_string(rng() % 8 + 1);
  d.started_at = at - std::chrono::seconds(30);
  d.submitted_at = at;
  for (const char* c : kCriteria) {
    if (rng() % 20 == 0) {
      d.answers.push_back({c, std::nullopt});
    } else {
      d.answers.push_back({c, value(rng)});
    }
  }
  if (d.answers[2].value && *d.answers[2].value <= 2) d.reasons.push_back("officer_attitude");
  return d;
}

class Sqlite {
 public:
  explicit Sqlite(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) die("cannot open " + path);
  }
  ~Sqlite() { sqlite3_close_v2(db_); }
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;
  sqlite3* get() const { return db_; }
  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err ? err : "unknown error";
      sqlite3_free(err);
      die(std::string(sql) + ": " + message);
    }
  }

 private:
  sqlite3* db_ = nullptr;
};

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      die(std::string("prepare: ") + sqlite3_errmsg(db));
    }
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() const { return stmt_; }
  void run() {
    if (sqlite3_step(stmt_) != SQLITE_DONE) die("step failed");
    sqlite3_reset(stmt_);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

double percentile(const std::vector<double>& v, double p) {
  std::vector<double> s = v;
  std::sort(s.begin(), s.end());
  if (s.empty()) return 0;
  auto i = static_cast<std::size_t>(p * static_cast<double>(s.size() - 1) + 0.5);
  return s[std::min(i, s.size() - 1)];
}

template <class Fn>
void timed_iteration(benchmark::State& state, Fn&& fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  auto end = std::chrono::steady_clock::now();
  state.SetIterationTime(std::chrono::duration<double>(end - start).count());
}

// Each repetition is one append and one bare insert+commit, in alternating order, so that both
// see the same disk and the same load from other processes. The append is the repetition's time;
// the bare insert is the "bare_ms" counter.
void BM_AppendVsBareCommit(benchmark::State& state) {
  static std::unique_ptr<ResponseStore> store = [] {
    auto s = ResponseStore::open((temp_dir().path() / "append.db").string());
    if (!s.is_ok()) die(s.status().to_string());
    return std::move(s).value();
  }();
  static Sqlite bare((temp_dir().path() / "bare.db").string());
  static std::unique_ptr<Stmt> insert = [] {
    bare.exec("PRAGMA journal_mode = WAL");
    bare.exec("PRAGMA synchronous = FULL");
    bare.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    return std::make_unique<Stmt>(bare.get(), "INSERT INTO t (v) VALUES ('4,5,3,4,5,4')");
  }();
  static std::mt19937 rng(1);
  static int n = 0;
  for (auto _ : state) {
    ResponseDraft d = sample_draft(rng, base_time() + std::chrono::minutes(++n));
    auto append = [&] {
      auto start = std::chrono::steady_clock::now();
      auto r = store->append(d);
      if (!r.is_ok()) die(r.status().to_string());
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    auto bare_commit = [&] {
      auto start = std::chrono::steady_clock::now();
      bare.exec("BEGIN IMMEDIATE");
      insert->run();
      bare.exec("COMMIT");
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    double append_s = 0;
    double bare_s = 0;
    if (n % 2 == 0) {
      append_s = append();
      bare_s = bare_commit();
    } else {
      bare_s = bare_commit();
      append_s = append();
    }
    state.SetIterationTime(append_s);
    state.counters["bare_ms"] = bare_s * 1e3;
  }
}

// A store with kLargeResponses x 6 answers over one year, written in one transaction with the
// store's own schema (created by ResponseStore::open) and a valid hash chain.
const std::string& large_db() {
  static const std::string path = [] {
    std::string p = (temp_dir().path() / "large.db").string();
    {
      auto s = ResponseStore::open(p);
      if (!s.is_ok()) die(s.status().to_string());
    }
    Sqlite db(p);
    db.exec("PRAGMA synchronous = OFF");
    db.exec("BEGIN");
    Stmt resp(db.get(),
              "INSERT INTO responses (seq, id, prev_hash, hash, survey_id, survey_version, unit, "
              "counter, officer, dossier, language, started_at, submitted_at, status, comment, "
              "state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, NULL, 'sent')");
    Stmt ans(db.get(),
             "INSERT INTO answers (response_seq, position, criterion, value) VALUES (?, ?, ?, ?)");
    Stmt why(db.get(), "INSERT INTO reasons (response_seq, position, reason) VALUES (?, ?, ?)");
    std::mt19937 rng(7);
    std::string prev = kGenesisHash;
    auto text = [](sqlite3_stmt* st, int i, const std::string& v) {
      sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    };
    const std::int64_t span_ms = std::int64_t{kLargeDays} * 86400000;
    for (int i = 1; i <= kLargeResponses; ++i) {
      TimePoint at = base_time() + std::chrono::milliseconds(span_ms * i / kLargeResponses);
      Response r;
      static_cast<ResponseDraft&>(r) = sample_draft(rng, at);
      r.seq = i;
      char id[37];
      std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
      r.id = id;
      r.prev_hash = prev;
      r.hash = compute_hash(r);
      prev = r.hash;
      sqlite3_stmt* st = resp.get();
      sqlite3_bind_int64(st, 1, r.seq);
      text(st, 2, r.id);
      text(st, 3, r.prev_hash);
      text(st, 4, r.hash);
      text(st, 5, r.survey_id);
      sqlite3_bind_int(st, 6, r.survey_version);
      text(st, 7, r.unit);
      text(st, 8, r.counter);
      text(st, 9, *r.officer);
      text(st, 10, r.language);
      sqlite3_bind_int64(st, 11, r.started_at.time_since_epoch().count());
      sqlite3_bind_int64(st, 12, r.submitted_at.time_since_epoch().count());
      text(st, 13, "complete");
      resp.run();
      for (std::size_t k = 0; k < r.answers.size(); ++k) {
        sqlite3_bind_int64(ans.get(), 1, r.seq);
        sqlite3_bind_int64(ans.get(), 2, static_cast<std::int64_t>(k));
        text(ans.get(), 3, r.answers[k].criterion);
        if (r.answers[k].value) {
          sqlite3_bind_int(ans.get(), 4, *r.answers[k].value);
        } else {
          sqlite3_bind_null(ans.get(), 4);
        }
        ans.run();
      }
      for (std::size_t k = 0; k < r.reasons.size(); ++k) {
        sqlite3_bind_int64(why.get(), 1, r.seq);
        sqlite3_bind_int64(why.get(), 2, static_cast<std::int64_t>(k));
        text(why.get(), 3, r.reasons[k]);
        why.run();
      }
    }
    std::string head = "UPDATE chain_head SET last_seq = " + std::to_string(kLargeResponses) +
                       ", last_hash = '" + prev + "' WHERE id = 1";
    db.exec(head.c_str());
    db.exec("COMMIT");
    return p;
  }();
  return path;
}

std::vector<Element> counter_elements() {
  std::vector<Element> out;
  for (std::size_t i = 0; i < std::size(kCriteria); ++i) {
    if (out.empty() || out.back().id != kElements[i]) {
      Element e;
      e.id = kElements[i];
      e.in_index = e.id != "general";
      out.push_back(e);
    }
    Criterion c;
    c.id = kCriteria[i];
    out.back().criteria.push_back(c);
  }
  return out;
}

std::vector<Option> likert_options() {
  std::vector<Option> out;
  for (int v = 1; v <= 5; ++v) out.push_back(Option{v, {}});
  return out;
}

void BM_TallyAndScoreLikert1M(benchmark::State& state) {
  auto opened = ResponseStore::open(large_db());
  if (!opened.is_ok()) die(opened.status().to_string());
  auto tz = TimeZone::load("Asia/Ho_Chi_Minh");
  if (!tz.is_ok()) die(tz.status().to_string());
  const std::vector<Element> elements = counter_elements();
  const std::vector<Option> options = likert_options();
  Date from = tz->local_date(base_time());
  Date to = Date(std::chrono::sys_days(from) + std::chrono::days(kLargeDays));
  std::int64_t answers = 0;
  for (auto _ : state) {
    timed_iteration(state, [&] {
      auto tally = (*opened)->tally(*tz, from, to);
      if (!tally.is_ok()) die(tally.status().to_string());
      SurveyScore score = score_likert(elements, options, *tally);
      benchmark::DoNotOptimize(score);
      answers = 0;
      for (const auto& [criterion, counts] : tally->answers) {
        for (const auto& [value, n] : counts) answers += n;
      }
      if (tally->responses() != kLargeResponses) die("tally missed responses");
    });
  }
  state.counters["answers"] = static_cast<double>(answers);
}

void BM_OpenWithQuickCheck1M(benchmark::State& state) {
  const std::string& path = large_db();
  for (auto _ : state) {
    timed_iteration(state, [&] {
      auto opened = ResponseStore::open(path);
      if (!opened.is_ok()) die(opened.status().to_string());
    });
  }
}

auto p50 = [](const std::vector<double>& v) { return percentile(v, 0.50); };
auto p99 = [](const std::vector<double>& v) { return percentile(v, 0.99); };

}  // namespace

BENCHMARK(BM_AppendVsBareCommit)
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(kLatencySamples)
    ->ReportAggregatesOnly(true)
    ->ComputeStatistics("p50", p50)
    ->ComputeStatistics("p99", p99)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TallyAndScoreLikert1M)
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OpenWithQuickCheck1M)
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true)
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
