#include "sipas/server/http_server.hpp"

#include <httplib.h>

#include <time.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <mutex>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipas/crypto.hpp"
#include "sipas/protocol.hpp"
#include "sipas/server/auth.hpp"
#include "sipas/server/client_info.hpp"
#include "config_endpoint.hpp"
#include "json_reply.hpp"
#include "sipas/server/log_text.hpp"
#include "sipas/server/dashboard.hpp"
#include "sipas/server/rate_limiter.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/server/surveys.hpp"

namespace sipas {
namespace {

using Steady = std::chrono::steady_clock;

std::int64_t ns_since(Steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now() - t).count();
}

std::int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool names_unknown_survey(const std::variant<ParsedBatch, BatchRefusal>& parsed) {
  const auto* batch = std::get_if<ParsedBatch>(&parsed);
  if (!batch) return false;
  return std::any_of(batch->responses.begin(), batch->responses.end(), [](const ParsedResponse& r) {
    return r.error.find("survey_id: unknown survey") != std::string::npos;
  });
}

bool header_is(const std::string& value, std::string_view expected) {
  std::string v;
  for (char c : value) {
    if (c == ';') break;
    if (c != ' ' && c != '\t') v.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return v == expected;
}

std::optional<std::uint64_t> content_length(const httplib::Request& req) {
  if (!req.has_header("Content-Length")) return std::nullopt;
  std::string v = req.get_header_value("Content-Length");
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 400: return "bad request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 411: return "Content-Length required";
    case 413: return "payload too large";
    case 414: return "URI too long";
    case 415: return "unsupported media type";
    case 429: return "too many requests";
    case 431: return "request header fields too large";
    case 500: return "internal error";
    case 503: return "service unavailable";
    default: return "error";
  }
}

class StorePool {
 public:
  explicit StorePool(std::string path) : path_(std::move(path)) {}

  class Lease {
   public:
    Lease(StorePool* pool, std::unique_ptr<ServerStore> store)
        : pool_(pool), store_(std::move(store)) {}
    ~Lease() {
      if (store_) pool_->give_back(std::move(store_));
    }
    Lease(Lease&&) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ServerStore& operator*() const { return *store_; }
    ServerStore* operator->() const { return store_.get(); }

   private:
    StorePool* pool_;
    std::unique_ptr<ServerStore> store_;
  };

  Result<Lease> acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        auto s = std::move(free_.back());
        free_.pop_back();
        return Lease(this, std::move(s));
      }
    }
    auto s = ServerStore::open(path_);
    if (!s.is_ok()) return s.status();
    return Lease(this, std::move(s).value());
  }

 private:
  void give_back(std::unique_ptr<ServerStore> s) {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(s));
  }
  std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<ServerStore>> free_;
};

int status_for_storage_error(const Status& s) {
  return s.code() == ErrorCode::invalid_argument ? 400 : 503;
}

// Whether a storage error means that the store cannot take writes (rather than a busy writer or a
// problem of one batch).
bool is_write_failure(const Status& s) {
  switch (s.code()) {
    case ErrorCode::disk_full:
    case ErrorCode::read_only:
    case ErrorCode::io_error:
    case ErrorCode::corrupt:
      return true;
    default:
      return false;
  }
}

// What /healthz knows about writing, from the batches' own writes and the periodic probe.
class WriteHealth {
 public:
  void batch_written(const Status& s) {
    std::lock_guard lock(mutex_);
    if (s.is_ok()) {
      batch_failure_.reset();
      probe_failure_.reset();
    } else if (is_write_failure(s)) {
      batch_failure_ = "the latest batch could not be stored: " + s.message();
    }
  }
  void probed(const Status& s) {
    std::lock_guard lock(mutex_);
    if (s.is_ok()) {
      probe_failure_.reset();
    } else if (is_write_failure(s)) {
      probe_failure_ = "the store cannot write: " + s.message();
    }
  }
  // Why the store cannot be written to, or nullopt.
  std::optional<std::string> failure() const {
    std::lock_guard lock(mutex_);
    if (probe_failure_) return probe_failure_;
    return batch_failure_;
  }

 private:
  mutable std::mutex mutex_;
  std::optional<std::string> batch_failure_;
  std::optional<std::string> probe_failure_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(const std::string& db_path, ServerOptions opts, SurveyCatalog catalog)
      : options(std::move(opts)),
        clock(options.clock ? options.clock : &system_clock),
        surveys(std::make_shared<const SurveyCatalog>(std::move(catalog))),
        db_path(db_path),
        pool(db_path),
        limiter(options.rate_per_second, options.rate_burst, *clock) {}

  ServerOptions options;
  SystemClock system_clock;
  const Clock* clock;
  // Replaced (never changed in place) when a batch names a questionnaire it lacks and the
  // database has it by now: one pushed with a configuration bundle after the server started.
  std::shared_ptr<const SurveyCatalog> surveys;  // under surveys_mutex
  mutable std::mutex surveys_mutex;
  std::optional<Steady::time_point> surveys_loaded_at;  // under surveys_mutex; a reload's time
  std::shared_ptr<const SurveyCatalog> catalog() const {
    std::lock_guard lock(surveys_mutex);
    return surveys;
  }
  // At most once every two seconds: a kiosk that keeps sending a questionnaire nobody pushed
  // must not make every batch read them all again.
  std::shared_ptr<const SurveyCatalog> reload_catalog(ServerStore& store) {
    {
      std::lock_guard lock(surveys_mutex);
      const auto now = Steady::now();
      if (surveys_loaded_at && now - *surveys_loaded_at < std::chrono::seconds(2)) return nullptr;
      surveys_loaded_at = now;
    }
    auto loaded = load_catalog(store);
    if (!loaded.is_ok()) return nullptr;
    auto fresh = std::make_shared<const SurveyCatalog>(std::move(loaded).value());
    std::lock_guard lock(surveys_mutex);
    surveys = fresh;
    return fresh;
  }
  const std::string db_path;
  StorePool pool;
  RateLimiter limiter;
  std::unique_ptr<Dashboard> dashboard;
  std::unique_ptr<http::HttpTransport> transport;
  // SQLite takes one writer at a time: batches are written one after the other, all through one
  // connection, so that its page cache stays warm (in WAL mode a connection drops its whole cache
  // when another connection has written since its last transaction). PostgreSQL stores write
  // batches side by side on the pooled connections; their row locks keep a kiosk's batches apart.
  std::mutex ingest_mutex;
  std::unique_ptr<ServerStore> writer;  // under ingest_mutex; opened on first use
  std::mutex log_mutex;
  WriteHealth health;
  std::unique_ptr<AlertEngine> alerts;  // started by create(), stopped before the rest goes

  std::atomic<std::int64_t> batches{0}, responses{0}, accepted{0}, read_ns{0}, parse_ns{0},
      sqlite_ns{0}, lock_wait_ns{0}, read_cpu_ns{0}, parse_cpu_ns{0}, sqlite_cpu_ns{0};

  void install_routes(http::Router& http);
  http::Handler check_batch(const httplib::Request& head, httplib::Response& res);
  void handle_batch(const KioskRecord& kiosk, const httplib::Request& req, httplib::Response& res);
  void handle_health(httplib::Response& res);
  void probe_store();
  // The store to write a batch with, under `ingest_mutex` (the caller holds it).
  Result<ServerStore*> writer_store();
  void log_request(const http::ExchangeRecord& exchange);
};

void HttpServer::Impl::install_routes(http::Router& http) {
  http.set_head_filter([](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "POST") {
      if (!req.has_header("Content-Length")) {
        send_error(res, 411, "Content-Length is required (chunked bodies are not accepted)");
        return false;
      }
      std::string encoding = req.get_header_value("Content-Encoding");
      if (!encoding.empty() && !header_is(encoding, "gzip") && !header_is(encoding, "identity")) {
        send_error(res, 415, "Content-Encoding " + encoding + " is not accepted (use gzip)");
        return false;
      }
    }
    return true;
  });

  http.PostChecked("/api/v1/batches", [this](const httplib::Request& head, httplib::Response& res) {
    return check_batch(head, res);
  });
  http.Get("/api/v1/config", [this](const httplib::Request& req, httplib::Response& res) {
    auto store = pool.acquire();
    if (!store.is_ok()) {
      send_error(res, 503, "database unavailable: " + store.status().message());
      return;
    }
    answer_config_request(**store, options.config_signing_key, clock->now(), req, res);
  });
  http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    handle_health(res);
  });

  http.set_error_formatter([](httplib::Response& res) {
    send_error(res, res.status, reason_phrase(res.status));
  });
  http.set_logger([this](const http::ExchangeRecord& exchange) { log_request(exchange); });
}

void HttpServer::Impl::log_request(const http::ExchangeRecord& exchange) {
  if (!options.access_log) return;
  const httplib::Request& req = exchange.request;
  char ms_text[32];
  std::snprintf(ms_text, sizeof ms_text, "%.1fms",
                std::chrono::duration<double, std::milli>(exchange.elapsed).count());
  auto in = content_length(req).value_or(0);
  // Request text is escaped: a %0A in the path must not forge a line, nor an escape sequence
  // reach the terminal of whoever reads the log.
  const ClientInfo client = client_info(req, !options.http.tls_cert_file.empty(), options.trusted_proxies);
  std::string line = format_rfc3339(clock->now()) + " " + log_text(client.address) + " " +
                     log_text(req.method) + " " + log_text(req.path) + " " +
                     std::to_string(exchange.response.status) + " in=" +
                     std::to_string(in) + " out=" + std::to_string(exchange.body_bytes_out) + " " +
                     ms_text + " kiosk=" + (exchange.subject.empty() ? "-" : log_text(exchange.subject));
  std::lock_guard lock(log_mutex);
  options.access_log(line);
}

// Everything a batch's head can tell, before its body is read: who sends it (401 for a bad
// token), whether that kiosk is over its rate (429) and the Content-Type (415). A refused batch's
// body is never read or decompressed.
http::Handler HttpServer::Impl::check_batch(const httplib::Request& head, httplib::Response& res) {
  auto store = pool.acquire();
  if (!store.is_ok()) {
    send_error(res, 503, "database unavailable: " + store.status().message());
    return nullptr;
  }
  auto kiosk = kiosk_of_request(**store, head, res);
  if (!kiosk) return nullptr;
  if (auto wait = limiter.take(kiosk->kiosk_id)) {
    auto seconds = (wait->count() + 999) / 1000;
    res.set_header("Retry-After", std::to_string(seconds < 1 ? 1 : seconds));
    send_error(res, 429, "too many requests from this kiosk; retry later");
    return nullptr;
  }
  if (!header_is(head.get_header_value("Content-Type"), "application/json")) {
    send_error(res, 415, "Content-Type must be application/json");
    return nullptr;
  }
  return [this, kiosk = std::move(kiosk).value()](const httplib::Request& req,
                                                  httplib::Response& reply) {
    handle_batch(kiosk, req, reply);
  };
}

void HttpServer::Impl::handle_batch(const KioskRecord& kiosk, const httplib::Request& req,
                                    httplib::Response& res) {
  const IngestLimits& limits = options.limits;
  auto read_started = Steady::now();
  auto read_cpu_started = thread_cpu_ns();
  std::string inflated;
  std::string_view body = req.body;
  if (header_is(req.get_header_value("Content-Encoding"), "gzip")) {
    bool too_large = false;
    if (!gzip_decompress(req.body, limits.max_decompressed_bytes, &inflated, &too_large)) {
      if (too_large) {
        send_error(res, 413, "decompressed body larger than " +
                                 std::to_string(limits.max_decompressed_bytes) + " bytes");
      } else {
        send_error(res, 400, "the body could not be read or decompressed");
      }
      return;
    }
    body = inflated;
  } else if (body.size() > limits.max_decompressed_bytes) {
    send_error(res, 413, "decompressed body larger than " +
                             std::to_string(limits.max_decompressed_bytes) + " bytes");
    return;
  }
  read_ns += ns_since(read_started);
  read_cpu_ns += thread_cpu_ns() - read_cpu_started;

  auto store = pool.acquire();
  if (!store.is_ok()) {
    send_error(res, 503, "database unavailable: " + store.status().message());
    return;
  }
  auto subtree = (*store)->unit_subtree(kiosk.unit);
  if (!subtree.is_ok()) {
    send_error(res, 503, subtree.status().message());
    return;
  }
  BatchPoster poster{kiosk.kiosk_id, [&units = *subtree](const std::string& unit) {
                       return std::find(units.begin(), units.end(), unit) != units.end();
                     }};

  auto parse_started = Steady::now();
  auto parse_cpu_started = thread_cpu_ns();
  auto parsed = parse_batch(body, *catalog(), poster, limits);
  if (names_unknown_survey(parsed)) {
    if (auto fresh = reload_catalog(**store)) parsed = parse_batch(body, *fresh, poster, limits);
  }
  parse_ns += ns_since(parse_started);
  parse_cpu_ns += thread_cpu_ns() - parse_cpu_started;
  if (auto* refusal = std::get_if<BatchRefusal>(&parsed)) {
    send_error(res, refusal->http_status, refusal->error);
    return;
  }
  const auto& batch = std::get<ParsedBatch>(parsed);

  IngestTiming timing;
  Result<BatchReply> reply = Status::error(ErrorCode::internal, "not run");
  if ((*store)->parallel_writers()) {
    auto sqlite_cpu_started = thread_cpu_ns();
    reply = (*store)->ingest(kiosk, batch, clock->now(), &timing);
    sqlite_cpu_ns += thread_cpu_ns() - sqlite_cpu_started;
  } else {
    auto wait_started = Steady::now();
    std::lock_guard lock(ingest_mutex);
    lock_wait_ns += ns_since(wait_started);
    auto sqlite_cpu_started = thread_cpu_ns();
    auto target = writer_store();
    reply = target.is_ok() ? (*target)->ingest(kiosk, batch, clock->now(), &timing)
                           : Result<BatchReply>(target.status());
    // A connection that met a failing disk is opened afresh for the next batch.
    if (!reply.is_ok() && is_write_failure(reply.status())) writer.reset();
    sqlite_cpu_ns += thread_cpu_ns() - sqlite_cpu_started;
  }
  sqlite_ns += timing.sqlite_ns;
  health.batch_written(reply.is_ok() ? Status::ok() : reply.status());
  if (!reply.is_ok()) {
    if (reply.status().code() == ErrorCode::busy) res.set_header("Retry-After", "5");
    send_error(res, status_for_storage_error(reply.status()), reply.status().message());
    return;
  }
  // Alerts are evaluated on their own thread; the batch's answer does not wait for them.
  if (alerts) alerts->notify();
  ++batches;
  responses += static_cast<std::int64_t>(batch.responses.size());
  accepted += reply->accepted;
  nlohmann::json answer = batch_reply_to_json(*reply);
  // The batch was taken; the kiosk learns why its health was not.
  if (!batch.health_error.empty()) answer["health_error"] = batch.health_error;
  send_json(res, 200, answer);
}

void HttpServer::Impl::handle_health(httplib::Response& res) {
  auto store = pool.acquire();
  Status s = store.is_ok() ? (*store)->ping() : store.status();
  if (!s.is_ok()) {
    send_json(res, 503, nlohmann::json{{"status", "unavailable"}, {"error", s.message()}});
    return;
  }
  if (auto failure = health.failure()) {
    send_json(res, 503, nlohmann::json{{"status", "degraded"}, {"error", *failure}});
    return;
  }
  send_json(res, 200, nlohmann::json{{"status", "ok"}, {"surveys", catalog()->size()}});
}

Result<ServerStore*> HttpServer::Impl::writer_store() {
  if (!writer) {
    auto opened = ServerStore::open(db_path);
    if (!opened.is_ok()) return opened.status();
    writer = std::move(opened).value();
  }
  return writer.get();
}

void HttpServer::Impl::probe_store() {
  auto store = pool.acquire();
  if (!store.is_ok()) {
    health.probed(store.status());
    return;
  }
  if ((*store)->parallel_writers()) {
    health.probed((*store)->probe_write());
    return;
  }
  // Taken like a batch's, so that the probe waits its turn instead of SQLite's busy timeout, and
  // written through the batches' connection, as a batch would be.
  std::lock_guard lock(ingest_mutex);
  auto target = writer_store();
  health.probed(target.is_ok() ? (*target)->probe_write() : target.status());
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  stop();
  if (impl_->alerts) impl_->alerts->stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::create(const std::string& db_path,
                                                       ServerOptions options) {
  auto store = ServerStore::open(db_path);
  if (!store.is_ok()) return store.status();
  auto catalog = load_catalog(**store);
  if (!catalog.is_ok()) return catalog.status();
  options.http.max_body_bytes = options.limits.max_body_bytes;
  auto impl = std::make_unique<Impl>(db_path, std::move(options), std::move(catalog).value());
  http::Router router;
  impl->install_routes(router);
  DashboardOptions dashboard_options{impl->clock};
  dashboard_options.tls = !impl->options.http.tls_cert_file.empty();
  dashboard_options.trusted_proxies = impl->options.trusted_proxies;
  dashboard_options.login_links = impl->options.login_links;
  dashboard_options.fleet = impl->options.fleet;
  dashboard_options.effect_window_days = impl->options.effect_window_days;
  // Failed logins and locks go to the access log, beside the requests they came with.
  Impl* server = impl.get();
  dashboard_options.security_log = [server](const std::string& line) {
    if (!server->options.access_log) return;
    std::lock_guard lock(server->log_mutex);
    server->options.access_log(format_rfc3339(server->clock->now()) + " " + line);
  };
  auto dashboard = Dashboard::create(db_path, std::move(dashboard_options));
  if (!dashboard.is_ok()) return dashboard.status();
  impl->dashboard = std::move(dashboard).value();
  impl->dashboard->install(router);
  impl->transport = std::make_unique<http::HttpTransport>(std::move(router), impl->options.http);
  if (impl->options.health_probe_interval.count() > 0) {
    Impl* raw = impl.get();
    impl->transport->every(impl->options.health_probe_interval, [raw] { raw->probe_store(); });
  }
  {
    // Off the batches' path: the writer then only appends to the log and syncs it.
    Impl* raw = impl.get();
    impl->transport->every(std::chrono::seconds(1), [raw] {
      if (auto store = raw->pool.acquire(); store.is_ok()) {
        // A failure here is left to the writer's own automatic checkpoint, which then does it.
        (void)(*store)->checkpoint();
      }
    });
  }
  {
    Impl* raw = impl.get();
    impl->alerts = std::make_unique<AlertEngine>(
        db_path, impl->options.alerts, *impl->clock, [raw](const std::string& line) {
          if (!raw->options.access_log) return;
          std::lock_guard lock(raw->log_mutex);
          raw->options.access_log(format_rfc3339(raw->clock->now()) + " " + line);
        });
    impl->alerts->start();
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

Result<int> HttpServer::bind(const std::string& host, int port) {
  return impl_->transport->bind(host, port);
}

Status HttpServer::serve() { return impl_->transport->serve(); }

void HttpServer::stop() { impl_->transport->stop(); }

Status HttpServer::reload_tls() { return impl_->transport->reload_tls(); }

IngestStats HttpServer::stats() const {
  return IngestStats{impl_->batches,     impl_->responses,    impl_->accepted,
                     impl_->read_ns,     impl_->parse_ns,     impl_->sqlite_ns,
                     impl_->lock_wait_ns, impl_->read_cpu_ns, impl_->parse_cpu_ns,
                     impl_->sqlite_cpu_ns};
}

std::size_t HttpServer::survey_count() const { return impl_->catalog()->size(); }

}  // namespace sipas
