// Server ingest with several concurrent simulated kiosks: a real HttpServer on loopback, one
// thread per kiosk posting pre-built gzip batches over a kept-alive connection. Prints one JSON
// object with the wall time, responses per second and the server's time per phase (gunzip, JSON
// parsing and validation, the SQLite transaction, waiting for another batch's transaction), as
// measured inside the server.
//
// CPU per response counts this whole process (server and the simulated kiosks, which only send
// pre-built bodies) and, with SIPAS_BENCH_PGDATA naming a PostgreSQL cluster's data directory on
// this machine, that cluster's processes too.
//
// Usage: sipas-bench-ingest [--kiosks N] [--responses-per-kiosk N] [--batch N] [--threads N]
//                           [--db DB]   (a PostgreSQL connection string; default a new SQLite file)
#include <httplib.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipas/crypto.hpp"
#include "sipas/protocol.hpp"
#include "sipas/server/auth.hpp"
#include "sipas/server/http_server.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/server/surveys.hpp"

namespace {

using namespace sipas;

struct Options {
  int kiosks = 8;
  int per_kiosk = 10000;
  int batch = 500;
  int threads = 8;
};

// Responses to the shipped short questionnaire: every question answered 1–5, reasons and a
// comment when the first answer is low.
std::vector<std::string> build_bodies(const std::string& kiosk, const std::string& unit,
                                      const Survey& survey, const Options& o,
                                      std::size_t* raw_bytes) {
  std::vector<std::string> criteria;
  for (const Criterion* c : survey.questions()) criteria.push_back(c->id);
  std::vector<std::string> bodies;
  std::string prev = kGenesisHash;
  TimePoint start = SystemClock().now() - std::chrono::hours(24 * 30);
  std::uint32_t rng = 12345u + static_cast<std::uint32_t>(kiosk.size() * 7919u);
  auto next = [&rng] {
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
  };
  BatchRequest b;
  b.kiosk_id = kiosk;
  for (int i = 0; i < o.per_kiosk; ++i) {
    Response r;
    r.id = random_uuid();
    r.seq = i + 1;
    r.prev_hash = prev;
    r.survey_id = survey.id;
    r.survey_version = survey.version;
    r.unit = unit;
    r.counter = "Q" + std::to_string(1 + next() % 4);
    r.officer = "officer-" + std::to_string(next() % 6);
    r.language = "vi";
    r.started_at = start + std::chrono::minutes(3 * i);
    r.submitted_at = r.started_at + std::chrono::seconds(20 + next() % 30);
    for (const std::string& c : criteria) {
      int v = static_cast<int>(1 + next() % 5);
      r.answers.push_back({c, v});
    }
    if (r.answers[0].value <= 2) {
      if (!survey.reasons.empty()) r.reasons = {survey.reasons.front().id};
      r.comment = "Phải chờ khá lâu mới đến lượt";
    }
    r.hash = compute_hash(r);
    prev = r.hash;
    b.responses.push_back(std::move(r));
    if (static_cast<int>(b.responses.size()) == o.batch || i + 1 == o.per_kiosk) {
      b.batch_id = random_uuid();
      b.sent_at = SystemClock().now();
      std::string body = batch_to_body(b);
      *raw_bytes += body.size();
      bodies.push_back(gzip_compress(body));
      b.responses.clear();
    }
  }
  return bodies;
}

int fail(const std::string& message) {
  std::cerr << "sipas-bench-ingest: " << message << "\n";
  return 1;
}

double process_cpu_s() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// CPU seconds of a PostgreSQL cluster's postmaster and its children (backends, WAL writer,
// checkpointer) from /proc; 0 when `pgdata` is empty or unreadable.
double cluster_cpu_s(const std::string& pgdata) {
  if (pgdata.empty()) return 0;
  std::ifstream pidfile(std::filesystem::path(pgdata) / "postmaster.pid");
  long postmaster = 0;
  if (!(pidfile >> postmaster)) return 0;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  double total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    std::ifstream stat(e.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ... utime(14) stime(15); comm may hold spaces, so count from ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    long ppid = 0;
    rest >> state >> ppid;
    std::string skip;
    for (int i = 0; i < 9; ++i) rest >> skip;
    double utime = 0, stime = 0;
    rest >> utime >> stime;
    const long pid = std::atol(e.path().filename().c_str());
    if (pid == postmaster || ppid == postmaster) total += (utime + stime) / tick;
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string db_arg;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (key == "--db") db_arg = argv[i + 1];
    else if (key == "--kiosks") o.kiosks = v;
    else if (key == "--responses-per-kiosk") o.per_kiosk = v;
    else if (key == "--batch") o.batch = v;
    else if (key == "--threads") o.threads = v;
    else return fail("unknown option " + key);
  }
  char tmpl[] = "/tmp/sipas-bench-ingest-XXXXXX";
  if (!::mkdtemp(tmpl)) return fail("cannot create a temporary directory");
  std::filesystem::path dir = tmpl;
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  const std::string db = db_arg.empty() ? (dir / "server.db").string() : db_arg;
  const char* pgdata_env = std::getenv("SIPAS_BENCH_PGDATA");
  const std::string pgdata = pgdata_env ? pgdata_env : "";

  std::vector<std::string> tokens;
  std::vector<std::vector<std::string>> bodies(static_cast<std::size_t>(o.kiosks));
  std::size_t raw_bytes = 0, wire_bytes = 0;
  {
    auto store = ServerStore::open(db);
    if (!store.is_ok()) return fail(store.status().message());
    if (!(*store)->import_units({{"22", "Tỉnh", std::nullopt}, {"22.PVHCC", "Trung tâm", "22"}}).is_ok()) {
      return fail("cannot add units");
    }
    auto surveys = import_survey_dir(**store, std::filesystem::path(SIPAS_SOURCE_DIR) /
                                                  "kiosk-config" / "surveys");
    if (!surveys.is_ok()) return fail(surveys.status().message());
    const Survey* survey = nullptr;
    for (const auto& s : *surveys) {
      if (s.id == "counter-short") survey = &s;
    }
    if (!survey) return fail("kiosk-config/surveys has no counter-short questionnaire");
    for (int k = 0; k < o.kiosks; ++k) {
      std::string id = "bench-" + std::to_string(k);
      tokens.push_back(random_token());
      if (!(*store)->add_kiosk(id, "22.PVHCC", token_hash(tokens.back()), SystemClock().now()).is_ok()) {
        return fail("cannot add kiosk");
      }
      bodies[static_cast<std::size_t>(k)] = build_bodies(id, "22.PVHCC", *survey, o, &raw_bytes);
      for (const auto& b : bodies[static_cast<std::size_t>(k)]) wire_bytes += b.size();
    }
  }

  ServerOptions options;
  options.rate_per_second = 0;
  options.http.worker_threads = static_cast<std::size_t>(o.threads);
  auto log = std::make_shared<std::ofstream>("/dev/null");
  options.access_log = [log](const std::string& line) { *log << line << '\n'; };
  auto server = HttpServer::create(db, options);
  if (!server.is_ok()) return fail(server.status().message());
  auto port = (*server)->bind("127.0.0.1", 0);
  if (!port.is_ok()) return fail(port.status().message());
  std::thread serving([&] { (void)(*server)->serve(); });

  std::atomic<int> failures{0};
  // Beside the uploads, what a monitor sees: /healthz every 100 ms, each on a new connection.
  std::atomic<bool> uploading{true};
  std::vector<double> health_ms;
  std::thread monitor([&] {
    while (uploading) {
      httplib::Client c("127.0.0.1", *port);
      c.set_keep_alive(false);
      c.set_read_timeout(60);
      auto t0 = std::chrono::steady_clock::now();
      auto r = c.Get("/healthz");
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      health_ms.push_back(r && r->status == 200 ? ms : 60000.0);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  const double cpu0 = process_cpu_s(), db_cpu0 = cluster_cpu_s(pgdata);
  auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> kiosks;
  for (int k = 0; k < o.kiosks; ++k) {
    kiosks.emplace_back([&, k] {
      httplib::Client client("127.0.0.1", *port);
      client.set_keep_alive(true);
      client.set_read_timeout(120);
      httplib::Headers headers{{"Authorization", "Bearer " + tokens[static_cast<std::size_t>(k)]},
                               {"Content-Encoding", "gzip"}};
      for (const auto& body : bodies[static_cast<std::size_t>(k)]) {
        auto r = client.Post("/api/v1/batches", headers, body, "application/json");
        if (!r || r->status != 200) {
          ++failures;
          continue;
        }
        auto reply = nlohmann::json::parse(r->body, nullptr, false);
        if (!reply.is_object() || !reply["rejected"].empty()) {
          std::cerr << "sipas-bench-ingest: " << r->body.substr(0, 300) << "\n";
          ++failures;
        }
      }
    });
  }
  for (auto& t : kiosks) t.join();
  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double cpu_s = process_cpu_s() - cpu0, db_cpu_s = cluster_cpu_s(pgdata) - db_cpu0;
  uploading = false;
  monitor.join();
  std::sort(health_ms.begin(), health_ms.end());
  auto health_pct = [&](double p) {
    if (health_ms.empty()) return 0.0;
    auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(health_ms.size()))) - 1;
    return health_ms[std::min(i, health_ms.size() - 1)];
  };
  IngestStats stats = (*server)->stats();
  (*server)->stop();
  serving.join();
  if (failures > 0) return fail(std::to_string(failures.load()) + " batches failed");

  auto store = ServerStore::open(db);
  auto count = (*store)->response_count();
  std::int64_t expected = static_cast<std::int64_t>(o.kiosks) * o.per_kiosk;
  if (!count.is_ok() || *count != expected) return fail("not every response was stored");

  double busy_ns = static_cast<double>(stats.read_ns + stats.parse_ns + stats.sqlite_ns);
  double cpu_ns = static_cast<double>(stats.read_cpu_ns + stats.parse_cpu_ns + stats.sqlite_cpu_ns);
  auto per_response_us = [&](std::int64_t ns) {
    return static_cast<double>(ns) / 1e3 / static_cast<double>(expected);
  };
  nlohmann::json out = {
      {"kiosks", o.kiosks},
      {"responses", expected},
      {"batch", o.batch},
      {"server_threads", o.threads},
      {"wall_s", wall_s},
      {"responses_per_s", static_cast<double>(expected) / wall_s},
      {"batches_per_s", static_cast<double>(stats.batches) / wall_s},
      {"bytes_per_response_raw", static_cast<double>(raw_bytes) / static_cast<double>(expected)},
      {"bytes_per_response_gzip", static_cast<double>(wire_bytes) / static_cast<double>(expected)},
      {"read_share", static_cast<double>(stats.read_ns) / busy_ns},
      {"parse_share", static_cast<double>(stats.parse_ns) / busy_ns},
      {"sqlite_share", static_cast<double>(stats.sqlite_ns) / busy_ns},
      {"sqlite_busy_of_wall", static_cast<double>(stats.sqlite_ns) / 1e9 / wall_s},
      {"read_cpu_share", static_cast<double>(stats.read_cpu_ns) / cpu_ns},
      {"parse_cpu_share", static_cast<double>(stats.parse_cpu_ns) / cpu_ns},
      {"sqlite_cpu_share", static_cast<double>(stats.sqlite_cpu_ns) / cpu_ns},
      {"parse_us_per_response", per_response_us(stats.parse_ns)},
      {"sqlite_us_per_response", per_response_us(stats.sqlite_ns)},
      {"parse_cpu_us_per_response", per_response_us(stats.parse_cpu_ns)},
      {"sqlite_cpu_us_per_response", per_response_us(stats.sqlite_cpu_ns)},
      {"lock_wait_s", static_cast<double>(stats.lock_wait_ns) / 1e9},
      {"store", db_arg.empty() ? "sqlite" : "postgresql"},
      {"process_cpu_us_per_response", cpu_s * 1e6 / static_cast<double>(expected)},
      {"db_cpu_us_per_response", db_cpu_s * 1e6 / static_cast<double>(expected)},
      {"healthz_requests", health_ms.size()},
      {"healthz_p50_ms", health_pct(0.5)},
      {"healthz_p99_ms", health_pct(0.99)},
  };
  std::cout << out.dump() << std::endl;
  return 0;
}
