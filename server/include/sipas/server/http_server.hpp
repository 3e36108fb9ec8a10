// The province server: POST /api/v1/batches (protocol v1, see docs/protocol.md), GET
// /api/v1/config (the kiosk's signed configuration bundle, bearer token), GET
// /api/v1/kiosks (HTTP Basic), GET /healthz and the dashboard, on the transport of
// http_transport.hpp.
//
// Threads: serve() runs the transport's I/O threads (the calling one among them) and its workers;
// handlers run on the workers, each borrowing its own ServerStore connection from a pool.
// A batch's token, rate limit and Content-Type are checked from its head, before its body is read.
// Parsing and validation run in parallel; the write transaction of each batch runs one at a time
// (other processes on the same database are waited for by SQLite's busy timeout). stop() may be
// called from any thread (a signal-watching thread in `sipas-server serve`): the listening socket
// closes at once and serve() returns after every request in flight has been answered.
//
// /healthz answers 503 when the store does not answer, or cannot write: the latest batch's write
// failed for want of storage (disk full, read-only, I/O error; until a batch is stored again), or
// the latest write probe failed (ServerStore::probe_write every health_probe_interval).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sipas/server/alerts.hpp"
#include "sipas/server/batch.hpp"
#include "sipas/server/fleet.hpp"
#include "sipas/server/actions.hpp"
#include "sipas/server/http_transport.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

struct ServerOptions {
  IngestLimits limits;
  double rate_per_second = 20;  // per kiosk, on POST /api/v1/batches; 0: no limit
  double rate_burst = 60;
  // Threads, deadlines and connection limits. Its max_body_bytes is set from
  // limits.max_body_bytes.
  http::TransportOptions http;
  // How often /healthz's write probe runs; 0: never (failed batch writes still count).
  std::chrono::milliseconds health_probe_interval{std::chrono::seconds(10)};
  // One line per request (no newline), from the worker threads, serialised by the server.
  // Empty: no access log.
  std::function<void(const std::string& line)> access_log;
  // The time the server stamps and compares against; nullptr: the system clock. Must outlive the
  // server.
  const Clock* clock = nullptr;
  // Reverse proxies whose forwarding headers are believed (client_info.hpp), and whether login
  // links work at all (DashboardOptions).
  std::vector<std::string> trusted_proxies;
  bool login_links = true;
  // When a kiosk counts as late or offline on the fleet API and page (fleet.hpp).
  FleetOptions fleet;
  // Each window of an improvement action's effect when a request gives none (DashboardOptions).
  int effect_window_days = kDefaultEffectWindowDays;
  // The Ed25519 private key (PEM) that signs GET /api/v1/config's answers (config_bundles.hpp);
  // empty: that endpoint answers 503, configuration push not set up.
  std::string config_signing_key;
  // Alert evaluation and delivery (alerts.hpp): after each stored batch and periodically, on
  // threads of their own; their log lines go to the access log.
  AlertOptions alerts;
};

// Totals since start, for the ingest benchmark; each counter is read atomically.
struct IngestStats {
  std::int64_t batches = 0;    // answered 200
  std::int64_t responses = 0;  // in those batches
  std::int64_t accepted = 0;
  // Elapsed time per phase, summed over the worker threads. Bodies are received by the I/O
  // threads, asynchronously, at no cost to the workers.
  std::int64_t read_ns = 0;    // decompressing bodies
  std::int64_t parse_ns = 0;   // JSON parsing and validation
  std::int64_t sqlite_ns = 0;  // the batch transactions (includes waiting for fsync)
  std::int64_t lock_wait_ns = 0;  // waiting for another batch's transaction
  // CPU time of the worker threads in the same phases (CLOCK_THREAD_CPUTIME_ID): unlike elapsed
  // time, not inflated when more threads than cores compete.
  std::int64_t read_cpu_ns = 0;
  std::int64_t parse_cpu_ns = 0;
  std::int64_t sqlite_cpu_ns = 0;
};

class HttpServer {
 public:
  // Opens the database (creating it if needed) and loads the questionnaires stored in it.
  static Result<std::unique_ptr<HttpServer>> create(const std::string& db_path,
                                                    ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens on host:port (port 0: a free port chosen by the system); returns the port.
  // Only `host` is listened on.
  Result<int> bind(const std::string& host, int port);
  // Serves until stop(). Call after bind().
  Status serve();
  void stop();
  // HTTPS: loads the certificate and key files (ServerOptions::http) again for new connections;
  // see HttpTransport::reload_tls.
  Status reload_tls();

  IngestStats stats() const;
  std::size_t survey_count() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipas
