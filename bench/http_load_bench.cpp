// Latency of a running sipas-server (any build: the run script starts today's and the baseline's
// binaries in turn on the same database) with and without hostile load beside it.
//
//   sipas-bench-http setup --db PATH [--responses N]
//     Units, the shipped questionnaires, a kiosk with N responses over the last 30 days, and a
//     province user, written straight into the database (before any server runs on it).
//   sipas-bench-http session --db PATH
//     Makes a dashboard session for the province user in the database and prints its token (before
//     the server runs on it, so that a baseline server can be given a database of its own schema).
//   sipas-bench-http measure --session TOKEN --port P [--requests N] [--idle N] [--slow N]
//                            [--timeout S] [--loaded-seconds S]
//     For /healthz and the dashboard's overview page (with the session TOKEN): N
//     requests one after another, each on a new connection, first with nothing else going on,
//     then while `idle` kept-alive connections (one request each, then silence) and `slow`
//     connections (a request line and one header, then silence) are held open; a connection the
//     server closes is opened again at once, so the load stays. A request that gets no answer
//     within --timeout seconds counts as that long. The loaded phase stops after N requests or
//     --loaded-seconds per path. Prints one JSON object.
#include <httplib.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipas/crypto.hpp"
#include "sipas/protocol.hpp"
#include "sipas/server/auth.hpp"
#include "sipas/server/batch.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/server/surveys.hpp"

namespace {

using namespace sipas;
using Steady = std::chrono::steady_clock;

int fail(const std::string& message) {
  std::cerr << "sipas-bench-http: " << message << "\n";
  return 1;
}

std::map<std::string, std::string> options(int argc, char** argv, int first) {
  std::map<std::string, std::string> o;
  for (int i = first; i + 1 < argc; i += 2) o[argv[i]] = argv[i + 1];
  return o;
}

int setup(const std::map<std::string, std::string>& o) {
  auto db = o.find("--db");
  if (db == o.end()) return fail("setup needs --db");
  int responses = o.count("--responses") ? std::stoi(o.at("--responses")) : 2000;
  auto store = ServerStore::open(db->second);
  if (!store.is_ok()) return fail(store.status().message());
  if (!(*store)->import_units({{"22", "Tỉnh", std::nullopt}, {"22.PVHCC", "Trung tâm", "22"}}).is_ok()) {
    return fail("cannot add units");
  }
  auto surveys = import_survey_dir(**store, std::filesystem::path(SIPAS_SOURCE_DIR) / "kiosk-config" / "surveys");
  if (!surveys.is_ok()) return fail(surveys.status().message());
  auto catalog = load_catalog(**store);
  if (!catalog.is_ok()) return fail(catalog.status().message());
  const Survey* survey = nullptr;
  for (const auto& s : *surveys) {
    if (s.id == "counter-short") survey = &s;
  }
  if (!survey) return fail("no counter-short questionnaire");
  const TimePoint now = SystemClock().now();
  if (!(*store)->add_kiosk("bench-k1", "22.PVHCC", token_hash(random_token()), now).is_ok()) {
    return fail("cannot add the kiosk");
  }
  if (!(*store)->add_user({"bench", hash_secret("bench-password", 1000), std::nullopt}).is_ok()) {
    return fail("cannot add the user");
  }
  auto kiosk = (*store)->kiosks();
  if (!kiosk.is_ok() || kiosk->empty()) return fail("the kiosk is missing");

  std::uint32_t rng = 7;
  auto next = [&rng] {
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
  };
  std::string prev = kGenesisHash;
  BatchRequest b;
  b.kiosk_id = "bench-k1";
  BatchPoster poster{"bench-k1", [](const std::string& unit) { return unit == "22.PVHCC"; }};
  for (int i = 0; i < responses; ++i) {
    Response r;
    r.id = random_uuid();
    r.seq = i + 1;
    r.prev_hash = prev;
    r.survey_id = survey->id;
    r.survey_version = survey->version;
    r.unit = "22.PVHCC";
    r.counter = "Q" + std::to_string(1 + next() % 4);
    r.officer = "officer-" + std::to_string(next() % 6);
    r.language = "vi";
    r.started_at = now - std::chrono::minutes(30 * 24 * 60) + std::chrono::minutes(20 * i);
    r.submitted_at = r.started_at + std::chrono::seconds(30);
    for (const Criterion* c : survey->questions()) r.answers.push_back({c->id, static_cast<int>(1 + next() % 5)});
    r.hash = compute_hash(r);
    prev = r.hash;
    b.responses.push_back(std::move(r));
    if (b.responses.size() == 500 || i + 1 == responses) {
      b.batch_id = random_uuid();
      b.sent_at = now;
      auto parsed = parse_batch(batch_to_body(b), *catalog, poster, IngestLimits{});
      if (!std::holds_alternative<ParsedBatch>(parsed)) return fail("a seed batch was refused");
      auto reply = (*store)->ingest(kiosk->front(), std::get<ParsedBatch>(parsed), now);
      if (!reply.is_ok()) return fail(reply.status().message());
      b.responses.clear();
    }
  }
  std::cout << nlohmann::json{{"responses", responses}}.dump() << std::endl;
  return 0;
}

// Holds `idle` and `slow` connections open against 127.0.0.1:port from one thread, opening again
// whatever the server closes.
class Load {
 public:
  Load(int port, int idle, int slow) : port_(port) {
    for (int i = 0; i < idle + slow; ++i) conns_.push_back({-1, i < idle, false, {}});
    thread_ = std::thread([this] { run(); });
  }
  ~Load() {
    stop_ = true;
    thread_.join();
    for (auto& c : conns_) {
      if (c.fd >= 0) ::close(c.fd);
    }
  }
  // Connections open with their request (or partial head) sent.
  int established() const { return established_; }
  long reopened() const { return reopened_; }

 private:
  struct Conn {
    int fd;
    bool idle;  // else slow
    bool sent;
    Steady::time_point retry_at;
  };

  void open(Conn& c) {
    c.sent = false;
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
      drop(c);
    }
  }

  void drop(Conn& c) {
    if (c.fd >= 0) ::close(c.fd);
    if (c.sent) --established_;
    c.fd = -1;
    c.sent = false;
    c.retry_at = Steady::now() + std::chrono::milliseconds(20);
  }

  void run() {
    std::vector<pollfd> fds(conns_.size());
    char buf[4096];
    while (!stop_) {
      auto now = Steady::now();
      for (std::size_t i = 0; i < conns_.size(); ++i) {
        Conn& c = conns_[i];
        if (c.fd < 0 && now >= c.retry_at) {
          if (c.retry_at != Steady::time_point{}) ++reopened_;
          open(c);
        }
        fds[i] = {c.fd, static_cast<short>(c.sent ? POLLIN : POLLOUT), 0};
      }
      if (::poll(fds.data(), fds.size(), 20) < 0) continue;
      for (std::size_t i = 0; i < conns_.size(); ++i) {
        Conn& c = conns_[i];
        if (c.fd < 0 || fds[i].revents == 0) continue;
        if (!c.sent) {
          int err = 0;
          socklen_t len = sizeof err;
          ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
          const char* text = c.idle ? "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
                                    : "GET /healthz HTTP/1.1\r\nHost: bench\r\n";
          if (err != 0 || ::send(c.fd, text, std::strlen(text), MSG_NOSIGNAL) <= 0) {
            drop(c);
            continue;
          }
          c.sent = true;
          ++established_;
          continue;
        }
        // The idle connections' replies, or the server closing.
        auto n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) drop(c);
      }
    }
  }

  int port_;
  std::vector<Conn> conns_;
  std::atomic<bool> stop_{false};
  std::atomic<int> established_{0};
  std::atomic<long> reopened_{0};
  std::thread thread_;
};

struct Series {
  std::vector<double> ms;
  int answered = 0;
  int attempted = 0;
  double timeout_ms = 0;
};

nlohmann::json summary(Series s) {
  std::sort(s.ms.begin(), s.ms.end());
  auto pct = [&](double p) {
    if (s.ms.empty()) return 0.0;
    std::size_t i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(s.ms.size()))) - 1;
    return s.ms[std::min(i, s.ms.size() - 1)];
  };
  return {{"p50_ms", pct(0.50)},      {"p99_ms", pct(0.99)},       {"answered", s.answered},
          {"attempted", s.attempted}, {"timeout_ms", s.timeout_ms}};
}

Series run_requests(int port, const std::string& path, const httplib::Headers& headers, int n,
                    int timeout_s, std::chrono::seconds budget) {
  Series s;
  s.timeout_ms = timeout_s * 1000.0;
  auto until = Steady::now() + budget;
  for (int i = 0; i < n && Steady::now() < until; ++i) {
    httplib::Client c("127.0.0.1", port);
    c.set_keep_alive(false);
    c.set_connection_timeout(timeout_s);
    c.set_read_timeout(timeout_s);
    auto started = Steady::now();
    auto r = c.Get(path, headers);
    double ms = std::chrono::duration<double, std::milli>(Steady::now() - started).count();
    ++s.attempted;
    if (r && r->status == 200) {
      ++s.answered;
      s.ms.push_back(ms);
    } else {
      s.ms.push_back(std::max(ms, s.timeout_ms));
    }
  }
  return s;
}

int session(const std::map<std::string, std::string>& o) {
  if (!o.count("--db")) return fail("session needs --db");
  auto store = ServerStore::open(o.at("--db"));
  if (!store.is_ok()) return fail(store.status().message());
  auto made = (*store)->create_session("bench", SystemClock().now());
  if (!made.is_ok()) return fail(made.status().message());
  std::cout << made->token << std::endl;
  return 0;
}

int measure(const std::map<std::string, std::string>& o) {
  if (!o.count("--session") || !o.count("--port")) return fail("measure needs --session and --port");
  const int port = std::stoi(o.at("--port"));
  auto get = [&](const char* key, int fallback) { return o.count(key) ? std::stoi(o.at(key)) : fallback; };
  const int requests = get("--requests", 200);
  const int idle = get("--idle", 1000);
  const int slow = get("--slow", 100);
  const int timeout_s = get("--timeout", 10);
  const auto loaded_budget = std::chrono::seconds(get("--loaded-seconds", 60));

  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  const rlim_t wanted = static_cast<rlim_t>(idle + slow + 256);
  if (rl.rlim_cur < wanted) {
    rl.rlim_cur = std::min(wanted, rl.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < wanted) return fail("the open-file limit is too low for the load");
  }

  const httplib::Headers page_headers{{"Cookie", "sipas_session=" + o.at("--session")}};

  // Warm up: the first page pays for opening connections and caches.
  run_requests(port, "/healthz", {}, 5, timeout_s, std::chrono::seconds(30));
  Series first = run_requests(port, "/", page_headers, 1, timeout_s, std::chrono::seconds(30));
  if (first.answered != 1) return fail("the dashboard page did not answer 200 before any load");

  nlohmann::json out;
  out["quiet"] = {{"healthz", summary(run_requests(port, "/healthz", {}, requests, timeout_s,
                                                   std::chrono::seconds(120)))},
                  {"page", summary(run_requests(port, "/", page_headers, requests, timeout_s,
                                                std::chrono::seconds(120)))}};
  {
    Load load(port, idle, slow);
    for (auto until = Steady::now() + std::chrono::seconds(10);
         load.established() < idle + slow && Steady::now() < until;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const int established = load.established();
    auto healthz = run_requests(port, "/healthz", {}, requests, timeout_s, loaded_budget);
    auto page = run_requests(port, "/", page_headers, requests, timeout_s, loaded_budget);
    out["loaded"] = {{"healthz", summary(healthz)},
                     {"page", summary(page)},
                     {"idle", idle},
                     {"slow", slow},
                     {"established_at_start", established},
                     {"established_at_end", load.established()},
                     {"reopened", load.reopened()}};
  }
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return fail("usage: sipas-bench-http setup|measure ...");
  std::string command = argv[1];
  auto o = options(argc, argv, 2);
  if (command == "setup") return setup(o);
  if (command == "session") return session(o);
  if (command == "measure") return measure(o);
  return fail("unknown command " + command);
}
