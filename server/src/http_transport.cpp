#include "sipas/server/http_transport.hpp"

#include <httplib.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <openssl/ssl.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "sipas/crypto.hpp"

namespace sipas::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Steady = std::chrono::steady_clock;

// cpp-httplib's own limit (CPPHTTPLIB_REQUEST_URI_MAX_LENGTH), kept so that the handlers see what
// they saw under httplib; a form's limit is its route's (FormLimit).
constexpr std::size_t kMaxTargetBytes = 8192;
// Below this, gzip's header and the CPU cost outweigh what compression saves.
constexpr std::size_t kCompressMinBytes = 1024;
constexpr std::size_t kReadChunk = 16 * 1024;
// While the file-descriptor limit is reached, accepting waits this long before trying again
// rather than spinning on EMFILE.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

thread_local std::string* t_log_subject = nullptr;

// Sets t_log_subject for the duration of a handler or check.
class SubjectScope {
 public:
  explicit SubjectScope(std::string* subject) { t_log_subject = subject; }
  ~SubjectScope() { t_log_subject = nullptr; }
  SubjectScope(const SubjectScope&) = delete;
  SubjectScope& operator=(const SubjectScope&) = delete;
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether an Accept-Encoding value accepts gzip (a "q=0" parameter refuses it).
bool accepts_gzip(const std::string& accept_encoding) {
  std::string_view rest = accept_encoding;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto semi = item.find(';');
    if (!iequals(trim(item.substr(0, semi)), "gzip")) continue;
    if (semi == std::string_view::npos) return true;
    std::string_view param = trim(item.substr(semi + 1));
    if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
      return std::strtod(std::string(param.substr(2)).c_str(), nullptr) > 0;
    }
    return true;
  }
  return false;
}

bool compressible(const std::string& content_type) {
  std::string t;
  for (char c : content_type) t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (t.rfind("text/event-stream", 0) == 0) return false;
  return t.rfind("text/", 0) == 0 || t.find("json") != std::string::npos ||
         t.find("javascript") != std::string::npos || t.find("xml") != std::string::npos;
}

bool has_body_status(int status) {
  return !(status < 200 || status == 204 || status == 304);
}

// Header fields the transport writes itself; a handler's own are dropped.
bool transport_field(const std::string& name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
         iequals(name, "Connection") || iequals(name, "Keep-Alive");
}

// Fills path and params from the target the way httplib's server does (split at '?', the path
// URL-decoded without '+' → ' ', the query by httplib's own parser). False for a target with more
// than one '?'.
bool parse_target(Request& req) {
  std::size_t count = 0;
  httplib::detail::split(req.target.data(), req.target.data() + req.target.size(), '?',
                         [&](const char* b, const char* e) {
                           if (count == 0) {
                             req.path = httplib::detail::decode_url(std::string(b, e), false);
                           } else if (count == 1 && e > b) {
                             httplib::detail::parse_query_text(std::string(b, e), req.params);
                           }
                           ++count;
                         });
  return count <= 2;
}

// The workers. Uploads (the handlers of checked routes) queue behind the store's single writer;
// so that they never hold up /healthz, the pages and the checks, they run on at most `bulk_limit`
// workers at once and the other tasks go first.
class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads)
      : bulk_limit_(std::max<std::size_t>(threads, 1) - std::max<std::size_t>(threads / 4, 1)) {
    if (bulk_limit_ == 0) bulk_limit_ = 1;
    for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
      threads_.emplace_back([this] { run(); });
    }
  }
  ~WorkerPool() { shutdown(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(std::function<void()> task, bool bulk = false) {
    {
      std::lock_guard lock(mutex_);
      (bulk ? bulk_ : tasks_).push_back(std::move(task));
    }
    ready_.notify_one();
  }

  // Runs what is queued, then joins the threads.
  void shutdown() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> task;
      bool bulk = false;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] {
          return !tasks_.empty() || (!bulk_.empty() && bulk_running_ < bulk_limit_) ||
                 (stopping_ && bulk_.empty());
        });
        if (!tasks_.empty()) {
          task = std::move(tasks_.front());
          tasks_.pop_front();
        } else if (!bulk_.empty()) {
          task = std::move(bulk_.front());
          bulk_.pop_front();
          bulk = true;
          ++bulk_running_;
        } else {
          return;
        }
      }
      task();
      if (bulk) {
        {
          std::lock_guard lock(mutex_);
          --bulk_running_;
        }
        ready_.notify_all();
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  std::deque<std::function<void()>> bulk_;
  std::size_t bulk_limit_;
  std::size_t bulk_running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// What the registry knows of a connection, plain or TLS.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // On the connection's strand.
  virtual void start() = 0;
  virtual void on_stop() = 0;
  virtual net::any_io_executor executor() = 0;
};

struct Exchange;

// A TLS server context from PEM files: the certificate (chain) and its private key.
Result<std::shared_ptr<ssl::context>> load_tls(const std::string& cert_file,
                                               const std::string& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  beast::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return Status::error(ErrorCode::invalid_argument,
                         "cannot load the TLS certificate " + cert_file + ": " + ec.message());
  }
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) {
    return Status::error(ErrorCode::invalid_argument,
                         "cannot load the TLS key " + key_file + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return Status::error(ErrorCode::invalid_argument,
                         "the TLS key " + key_file + " does not belong to the certificate " + cert_file);
  }
  return ctx;
}

}  // namespace

void set_log_subject(std::string subject) {
  if (t_log_subject) *t_log_subject = std::move(subject);
}

void Router::Get(const std::string& path, Handler handler) { get_[path] = Route{std::move(handler), {}, {}}; }
void Router::Post(const std::string& path, Handler handler, FormLimit form) {
  post_[path] = Route{std::move(handler), {}, std::move(form)};
}
void Router::PostChecked(const std::string& path, HeadCheck check) {
  post_[path] = Route{{}, std::move(check), {}};
}
void Router::Put(const std::string& path, Handler handler) {
  put_[path] = Route{std::move(handler), {}, {}};
}
void Router::Delete(const std::string& path, Handler handler) {
  delete_[path] = Route{std::move(handler), {}, {}};
}
const Router::Route* Router::find(const std::string& method, const std::string& path) const {
  const std::map<std::string, Route>* table = nullptr;
  if (method == "GET" || method == "HEAD") table = &get_;
  if (method == "POST") table = &post_;
  if (method == "PUT") table = &put_;
  if (method == "DELETE") table = &delete_;
  if (!table) return nullptr;
  auto it = table->find(path);
  if (it != table->end()) return &it->second;
  return prefix_route(*table, path);
}

const Router::Route* Router::prefix_route(const std::map<std::string, Route>& table,
                                          const std::string& path) {
  // Few routes, fewer of them prefixes: a walk over the table is cheap.
  for (const auto& [key, route] : table) {
    if (!key.empty() && key.back() == '*' && path.size() >= key.size() &&
        path.compare(0, key.size() - 1, key, 0, key.size() - 1) == 0) {
      return &route;
    }
  }
  return nullptr;
}

std::string Router::allowed_methods(const std::string& path) const {
  std::string allow;
  if (get_.count(path) || prefix_route(get_, path)) allow = "GET, HEAD";
  if (post_.count(path) || prefix_route(post_, path)) allow += allow.empty() ? "POST" : ", POST";
  if (put_.count(path) || prefix_route(put_, path)) allow += allow.empty() ? "PUT" : ", PUT";
  if (delete_.count(path) || prefix_route(delete_, path)) {
    allow += allow.empty() ? "DELETE" : ", DELETE";
  }
  return allow;
}

void Router::set_head_filter(HeadFilter filter) { head_filter_ = std::move(filter); }
void Router::set_error_formatter(ErrorFormatter formatter) {
  error_formatter_ = std::move(formatter);
}
void Router::set_logger(Logger logger) { logger_ = std::move(logger); }

namespace {

// The transport's shared state: the listening socket, the connections' registry and limits, the
// workers. Lives in HttpTransport::Impl; connections refer to it and are all gone before it is.
struct Core {
  Core(Router r, TransportOptions o)
      : router(std::move(r)),
        options(o),
        control(net::make_strand(ioc)),
        acceptor(control),
        accept_retry(control) {}

  const Router router;
  const TransportOptions options;

  // Declared before the io_context: a handler destroyed with it may still end a connection.
  mutable std::mutex mutex;
  bool stop_requested = false;
  std::unordered_map<ConnectionBase*, std::weak_ptr<ConnectionBase>> connections;
  std::unordered_map<std::string, std::size_t> per_address;
  // The context new TLS connections get (reload_tls() replaces it); nullptr: plain HTTP.
  std::shared_ptr<ssl::context> tls;

  net::io_context ioc;
  // The acceptor, the timers and stop run here, so that two I/O threads never touch them at once.
  net::strand<net::io_context::executor_type> control;
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;
  // Keeps ioc.run() going while there is nothing to wait for but a handler on a worker; dropped
  // once stop() has come and the last connection has gone. Guarded by `mutex`.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::unique_ptr<WorkerPool> pool;

  struct Periodic {
    std::chrono::milliseconds interval{};
    std::function<void()> task;
    std::unique_ptr<net::steady_timer> timer;
    std::atomic<bool> running{false};
  };
  std::vector<std::unique_ptr<Periodic>> periodic;
  bool stopped = false;  // on `control`: do_stop() has run

  void start();
  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void arm(Periodic& p);
  void run_periodic(Periodic& p);
  void do_stop();
  bool admit(const std::string& address);
  void forget(ConnectionBase* c, const std::string& address);
  void log(const std::shared_ptr<Exchange>& ex);
};

}  // namespace

struct HttpTransport::Impl {
  Impl(Router router, TransportOptions options) : core(std::move(router), options) {}
  Core core;
};

namespace {

// One request and its reply, from the end of the head to the last byte written. Handed between
// the connection's strand and the workers, never used by both at once.
struct Exchange {
  Request req;
  Response res;
  Steady::time_point head_done = Steady::now();
  Handler handler;
  const FormLimit* form = nullptr;  // the route's, which outlives the exchange
  bool head_only = false;       // HEAD: the reply's head without its body
  bool wants_keep_alive = false;
  bool must_close = false;      // a refusal: the connection ends with this reply
  bool upload = false;          // a checked route's handler: the workers' bulk lane
  bool keep_alive = false;      // decided when the reply's head is written
  std::string subject;
  std::uint64_t body_bytes_out = 0;

  // A reply streamed from res.content_provider_.
  struct Stream {
    httplib::DataSink sink;
    std::string piece;
    std::size_t offset = 0;
    bool done = false;
    bool failed = false;
  };
  std::unique_ptr<Stream> stream;
  bool streamed() const { return static_cast<bool>(res.content_provider_); }
  bool length_known() const { return res.content_length_ > 0; }
};

// What every reply gets before it is written, on whichever thread made it: a status, the error
// body, gzip when it pays.
void complete_reply(const Router& router, Exchange& ex) {
  Response& res = ex.res;
  if (res.status == -1) res.status = 200;
  if (res.status >= 400 && res.body.empty() && !ex.streamed() && router.error_formatter()) {
    router.error_formatter()(res);
  }
  if (!ex.streamed() && res.body.size() >= kCompressMinBytes && !res.has_header("Content-Encoding") &&
      compressible(res.get_header_value("Content-Type")) &&
      accepts_gzip(ex.req.get_header_value("Accept-Encoding"))) {
    res.body = gzip_compress(res.body);
    res.set_header("Content-Encoding", "gzip");
    res.set_header("Vary", "Accept-Encoding");
  }
}

// One connection, over beast::tcp_stream (plain HTTP) or TlsStream (HTTPS). Everything but the
// handlers runs on its strand.
template <class Stream>
class Connection : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `tls`: the context for a TlsStream (kept alive as long as the connection), else nullptr.
  Connection(Core& server, tcp::socket socket, std::string address,
             std::shared_ptr<ssl::context> tls)
      : server_(server),
        tls_(std::move(tls)),
        stream_(make_stream(std::move(socket), tls_.get())),
        address_(std::move(address)) {}
  ~Connection() override { server_.forget(this, address_); }

  void start() override {
    head_deadline_ = Steady::now() + server_.options.header_timeout;
    if constexpr (kTls) {
      // The handshake counts against the head's deadline.
      state_ = State::waiting;
      lowest().expires_at(head_deadline_);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec || self->state_ == State::closed) return self->close();
                                self->wait_for_request();
                              });
    } else {
      wait_for_request();
    }
  }

  // On the strand, when the server stops: a connection with no request under way closes now;
  // one with a request under way closes after answering it.
  void on_stop() override {
    stopping_ = true;
    if (state_ == State::waiting || state_ == State::lingering) close();
  }

  net::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  static Stream make_stream(tcp::socket socket, ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(beast::tcp_stream(std::move(socket)), *tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  enum class State { waiting, head, checking, body, handling, writing, lingering, closed };

  const TransportOptions& options() const { return server_.options; }
  const Router& router() const { return server_.router; }

  void wait_for_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options().max_header_bytes, UINT32_MAX)));
    parser_->body_limit(options().max_body_bytes);
    if (buffer_.size() > 0) {
      // The next request (pipelined) has begun to arrive already.
      if (requests_ > 0) head_deadline_ = Steady::now() + options().header_timeout;
      read_head();
      return;
    }
    state_ = State::waiting;
    lowest().expires_at(requests_ == 0 ? head_deadline_ : Steady::now() + options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            beast::bind_front_handler(&Connection::on_first_bytes, this->shared_from_this()));
  }

  void on_first_bytes(beast::error_code ec, std::size_t n) {
    if (ec || state_ == State::closed) return close();
    buffer_.commit(n);
    // A new connection's head deadline runs from the accept, a kept-alive one's from its first byte.
    if (requests_ > 0) head_deadline_ = Steady::now() + options().header_timeout;
    read_head();
  }

  void read_head() {
    state_ = State::head;
    lowest().expires_at(head_deadline_);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Connection::on_head, this->shared_from_this()));
  }

  static bool is_parse_error(const beast::error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
           ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
  }

  void on_head(beast::error_code ec, std::size_t) {
    if (state_ == State::closed) return;
    ex_ = std::make_shared<Exchange>();
    ++requests_;
    Request& req = ex_->req;
    beast::error_code ignored;
    auto remote = lowest().socket().remote_endpoint(ignored);
    auto local = lowest().socket().local_endpoint(ignored);
    req.remote_addr = remote.address().to_string();
    req.remote_port = remote.port();
    req.local_addr = local.address().to_string();
    req.local_port = local.port();
    if (ec == bhttp::error::header_limit) return refuse(431, "-");
    // Beast compares a Content-Length with the body limit as soon as it reads the field.
    if (ec == bhttp::error::body_limit) return refuse(413, "-");
    if (ec) {
      if (is_parse_error(ec)) return refuse(400, "-");
      return close();
    }
    auto& msg = parser_->get();
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.version = msg.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
    std::size_t fields = 0;
    for (const auto& f : msg) {
      req.headers.emplace(std::string(f.name_string()), std::string(f.value()));
      ++fields;
    }
    ex_->head_only = req.method == "HEAD";
    ex_->wants_keep_alive = msg.keep_alive();

    if (fields > options().max_header_count) return refuse(431);
    if (req.target.size() > kMaxTargetBytes) return refuse(414);
    if (!parse_target(req)) return refuse(400);
    if (router().head_filter() && !router().head_filter()(req, ex_->res)) {
      ex_->must_close = true;
      return send_reply();
    }

    const Router::Route* route = router().find(req.method, req.path);
    if (!route) {
      std::string allow = router().allowed_methods(req.path);
      if (allow.empty()) return answer(404);
      ex_->res.set_header("Allow", allow);
      return answer(405);
    }
    if (auto length = parser_->content_length(); length && *length > options().max_body_bytes) {
      return refuse(413);
    }
    ex_->form = &route->form;
    if (!route->check) {
      ex_->handler = route->handler;
      return read_body();
    }
    state_ = State::checking;
    lowest().expires_never();
    on_worker([check = &route->check](Connection& c) {
      Handler handler = c.run_check(*check);
      return [h = std::move(handler)](Connection& next) mutable { next.on_checked(std::move(h)); };
    });
  }

  // Runs `work(Connection&)` on a worker, then what it returns on the strand. The worker gives
  // its reference to the connection up to the strand's handler, so that the last reference is
  // always dropped on an I/O thread, within the io_context's run() that serve() waits for.
  template <class Work>
  void on_worker(Work work, bool bulk = false) {
    server_.pool->post(
        [self = this->shared_from_this(), work = std::move(work)]() mutable {
          auto then = work(*self);
          Connection* c = self.get();
          net::post(c->stream_.get_executor(),
                    [self = std::move(self), then = std::move(then)]() mutable { then(*self); });
        },
        bulk);
  }

  // On a worker: the route's check.
  Handler run_check(const HeadCheck& check) {
    Handler handler;
    {
      SubjectScope scope(&ex_->subject);
      try {
        handler = check(ex_->req, ex_->res);
      } catch (...) {
        handler = nullptr;
        ex_->res = Response();
        ex_->res.status = 500;
      }
    }
    if (!handler) complete_reply(router(), *ex_);
    return handler;
  }

  void on_checked(Handler handler) {
    if (state_ == State::closed) return;
    if (!handler) {
      ex_->must_close = true;
      return write_reply();
    }
    ex_->handler = std::move(handler);
    ex_->upload = true;
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return on_body_complete();
    state_ = State::body;
    lowest().expires_after(options().body_timeout);
    if (iequals(ex_->req.get_header_value("Expect"), "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue),
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec) return self->close();
                         self->read_rest_of_body();
                       });
      return;
    }
    read_rest_of_body();
  }

  void read_rest_of_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Connection::on_body, this->shared_from_this()));
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (state_ == State::closed) return;
    if (ec == bhttp::error::body_limit) return refuse(413);
    if (ec) {
      if (is_parse_error(ec)) return refuse(400);
      return close();
    }
    on_body_complete();
  }

  void on_body_complete() {
    Request& req = ex_->req;
    req.body = std::move(parser_->get().body());
    if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0) {
      static const FormLimit kDefaultForm;
      const FormLimit& form = ex_->form ? *ex_->form : kDefaultForm;
      if (req.body.size() > form.max_form_bytes) {
        if (!form.form_too_large) return refuse(413);
        ex_->handler = form.form_too_large;
      }
      httplib::detail::parse_query_text(req.body, req.params);
    }
    state_ = State::handling;
    lowest().expires_never();
    on_worker(
        [](Connection& c) {
          c.run_handler();
          return [](Connection& next) { next.write_reply(); };
        },
        ex_->upload);
  }

  // On a worker.
  void run_handler() {
    {
      SubjectScope scope(&ex_->subject);
      try {
        ex_->handler(ex_->req, ex_->res);
      } catch (...) {
        ex_->res = Response();
        ex_->res.status = 500;
      }
    }
    complete_reply(router(), *ex_);
  }

  // A refusal made by the transport itself, after which the connection is closed; `method`
  // stands in for a request that never parsed.
  void refuse(int status, const char* method = nullptr) {
    if (method) {
      ex_->req.method = method;
      ex_->req.path = method;
    }
    ex_->must_close = true;
    answer(status);
  }

  // A reply made by the transport itself (404, 405) that may keep the connection.
  void answer(int status) {
    ex_->res.status = status;
    complete_reply(router(), *ex_);
    write_reply();
  }

  void send_reply() {
    complete_reply(router(), *ex_);
    write_reply();
  }

  void write_reply() {
    if (state_ == State::closed) return;
    state_ = State::writing;
    Exchange& ex = *ex_;
    Response& res = ex.res;
    const bool body_allowed = has_body_status(res.status);
    const bool close_delimited = ex.streamed() && !ex.length_known() &&
                                 !res.is_chunked_content_provider_ && !ex.head_only;
    ex.keep_alive = ex.wants_keep_alive && !ex.must_close && !stopping_ && parser_->is_done() &&
                    requests_ < options().max_requests_per_connection && !close_delimited &&
                    !iequals(res.get_header_value("Connection"), "close");

    head_.clear();
    head_ += "HTTP/1.1 " + std::to_string(res.status) + " ";
    head_ += bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
    head_ += "\r\n";
    for (const auto& [name, value] : res.headers) {
      if (transport_field(name)) continue;
      head_ += name + ": " + value + "\r\n";
    }
    if (body_allowed) {
      if (!res.has_header("Content-Type") && (ex.streamed() || !res.body.empty())) {
        head_ += "Content-Type: text/plain\r\n";
      }
      if (!ex.streamed()) {
        head_ += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
      } else if (ex.length_known()) {
        head_ += "Content-Length: " + std::to_string(res.content_length_) + "\r\n";
      } else if (res.is_chunked_content_provider_) {
        head_ += "Transfer-Encoding: chunked\r\n";
      }
    }
    if (ex.keep_alive) {
      // Whole seconds, rounded up: "timeout=0" would tell the client not to reuse the connection.
      const auto idle_s = (options().idle_timeout.count() + 999) / 1000;
      head_ += "Connection: keep-alive\r\nKeep-Alive: timeout=" + std::to_string(idle_s) +
               ", max=" + std::to_string(options().max_requests_per_connection - requests_) + "\r\n";
    } else {
      head_ += "Connection: close\r\n";
    }
    head_ += "\r\n";

    const bool send_body = body_allowed && !ex.head_only && !ex.streamed();
    std::array<net::const_buffer, 2> buffers{net::buffer(head_),
                                             send_body ? net::buffer(res.body) : net::const_buffer()};
    lowest().expires_after(options().write_timeout);
    net::async_write(stream_, buffers,
                     [self = this->shared_from_this(), send_body](beast::error_code ec, std::size_t) {
                       self->on_reply_written(ec, send_body);
                     });
  }

  void on_reply_written(beast::error_code ec, bool sent_body) {
    if (ec) return give_up();
    if (sent_body) ex_->body_bytes_out += ex_->res.body.size();
    if (ex_->streamed() && !ex_->head_only && has_body_status(ex_->res.status)) {
      ex_->stream = std::make_unique<Exchange::Stream>();
      Exchange::Stream* st = ex_->stream.get();
      st->sink.write = [st](const char* data, std::size_t n) {
        st->piece.append(data, n);
        st->offset += n;
        return true;
      };
      st->sink.done = [st] { st->done = true; };
      st->sink.is_writable = [] { return true; };
      return next_piece();
    }
    finish_exchange();
  }

  void next_piece() {
    lowest().expires_never();
    on_worker([](Connection& c) {
      c.produce_piece();
      return [](Connection& next) { next.write_piece(); };
    });
  }

  // On a worker: asks the content provider for the next piece.
  void produce_piece() {
    Response& res = ex_->res;
    Exchange::Stream& st = *ex_->stream;
    st.piece.clear();
    try {
      while (st.piece.empty() && !st.done && !st.failed) {
        if (ex_->length_known() && st.offset >= res.content_length_) break;
        const std::size_t left = ex_->length_known() ? res.content_length_ - st.offset : 0;
        if (!res.content_provider_(st.offset, left, st.sink)) st.failed = true;
      }
    } catch (...) {
      st.failed = true;
    }
  }

  void write_piece() {
    if (state_ == State::closed) return;
    Exchange& ex = *ex_;
    Exchange::Stream& st = *ex.stream;
    if (st.failed) return give_up();
    const bool finished = st.done || (ex.length_known() && st.offset >= ex.res.content_length_);
    if (ex.length_known() && st.offset > ex.res.content_length_) {
      // Never more than the Content-Length promised.
      st.piece.resize(st.piece.size() - (st.offset - ex.res.content_length_));
    }
    head_.clear();
    std::string tail;
    if (ex.res.is_chunked_content_provider_) {
      if (!st.piece.empty()) {
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", st.piece.size());
        head_ = size;
        tail = "\r\n";
      }
      if (finished) tail += "0\r\n\r\n";
    }
    pending_tail_ = std::move(tail);
    std::array<net::const_buffer, 3> buffers{net::buffer(head_), net::buffer(st.piece),
                                             net::buffer(pending_tail_)};
    lowest().expires_after(options().write_timeout);
    net::async_write(stream_, buffers,
                     [self = this->shared_from_this(), finished](beast::error_code ec, std::size_t) {
                       self->on_piece_written(ec, finished);
                     });
  }

  void on_piece_written(beast::error_code ec, bool finished) {
    if (ec) return give_up();
    ex_->body_bytes_out += ex_->stream->piece.size();
    if (!finished) return next_piece();
    ex_->res.content_provider_success_ = true;
    finish_exchange();
  }

  // The reply could not be written whole: it is logged as far as it went.
  void give_up() {
    ex_->keep_alive = false;
    server_.log(ex_);
    ex_.reset();
    close();
  }

  void finish_exchange() {
    const bool keep_alive = ex_->keep_alive;
    server_.log(ex_);
    ex_.reset();
    if (keep_alive && !stopping_) return wait_for_request();
    shut_down();
  }

  // Closes our side; when the client may still be sending a body we did not read, keeps reading
  // and dropping it for up to body_timeout, so that the client gets to read the reply instead of
  // a reset.
  void shut_down() {
    if constexpr (!kTls) {
      // Under TLS a bare FIN would cut the record stream; the reply's Content-Length and
      // "Connection: close" tell the client all it needs.
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    if (parser_ && parser_->is_done()) return close();
    if (stopping_) return close();
    state_ = State::lingering;
    buffer_.consume(buffer_.size());
    lowest().expires_after(options().body_timeout);
    drain();
  }

  void drain() {
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec || self->state_ == State::closed) return self->close();
                              self->drain();
                            });
  }

  void close() {
    if (state_ == State::closed) return;
    state_ = State::closed;
    lowest().close();
  }

  Core& server_;
  std::shared_ptr<ssl::context> tls_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  const std::string address_;
  State state_ = State::waiting;
  bool stopping_ = false;
  std::size_t requests_ = 0;
  Steady::time_point head_deadline_{};
  std::shared_ptr<Exchange> ex_;
  std::string head_;
  std::string pending_tail_;
};

}  // namespace

void Core::log(const std::shared_ptr<Exchange>& ex) {
  if (!router.logger() || !pool) return;
  auto elapsed = Steady::now() - ex->head_done;
  pool->post([this, ex, elapsed] {
    ExchangeRecord record{ex->req, ex->res, ex->body_bytes_out,
                          std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed), ex->subject};
    try {
      router.logger()(record);
    } catch (...) {
      // A failing log sink must not take the server down.
    }
  });
}

bool Core::admit(const std::string& address) {
  std::lock_guard lock(mutex);
  if (stop_requested || connections.size() >= options.max_connections) return false;
  std::size_t& n = per_address[address];
  if (options.max_connections_per_address > 0 && n >= options.max_connections_per_address) {
    if (n == 0) per_address.erase(address);
    return false;
  }
  ++n;
  return true;
}

void Core::forget(ConnectionBase* c, const std::string& address) {
  std::lock_guard lock(mutex);
  connections.erase(c);
  if (auto it = per_address.find(address); it != per_address.end() && --it->second == 0) {
    per_address.erase(it);
  }
  if (stop_requested && connections.empty()) work.reset();
}

void Core::accept() {
  acceptor.async_accept(net::make_strand(ioc), beast::bind_front_handler(&Core::on_accept, this));
}

void Core::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
        ec == net::error::no_memory) {
      accept_retry.expires_after(kAcceptRetry);
      accept_retry.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) accept();
      });
      return;
    }
    return accept();
  }
  beast::error_code peer_ec;
  auto peer = socket.remote_endpoint(peer_ec);
  std::string address = peer_ec ? std::string() : peer.address().to_string();
  if (peer_ec || !admit(address)) {
    // Refused before any work: a reset rather than a graceful close leaves no TIME_WAIT here.
    beast::error_code ignored;
    socket.set_option(net::socket_base::linger(true, 0), ignored);
    socket.close(ignored);
    return accept();
  }
  // Replies are small and kiosks keep the connection alive: without TCP_NODELAY each reply would
  // wait for the client's delayed ACK (~40 ms) before it leaves.
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::shared_ptr<ConnectionBase> connection;
  {
    std::lock_guard lock(mutex);
    if (tls) {
      connection = std::make_shared<Connection<TlsStream>>(*this, std::move(socket), address, tls);
    } else {
      connection = std::make_shared<Connection<beast::tcp_stream>>(*this, std::move(socket), address,
                                                                   nullptr);
    }
    connections.emplace(connection.get(), connection);
  }
  net::post(connection->executor(), [connection] { connection->start(); });
  accept();
}

void Core::run_periodic(Periodic& p) {
  if (p.running.exchange(true)) return;
  pool->post([&p] {
    try {
      p.task();
    } catch (...) {
      // The task reports its own failures; the schedule goes on.
    }
    p.running = false;
  });
}

void Core::arm(Periodic& p) {
  p.timer->expires_after(p.interval);
  p.timer->async_wait([this, &p](beast::error_code ec) {
    if (ec || stopped) return;
    run_periodic(p);
    arm(p);
  });
}

// On `control`, when serving begins.
void Core::start() {
  if (stopped) return;
  for (auto& p : periodic) {
    p->timer = std::make_unique<net::steady_timer>(control);
    run_periodic(*p);
    arm(*p);
  }
  accept();
}

void Core::do_stop() {
  stopped = true;
  beast::error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  for (auto& p : periodic) {
    if (p->timer) p->timer->cancel();
  }
  std::vector<std::shared_ptr<ConnectionBase>> open;
  {
    std::lock_guard lock(mutex);
    for (auto& [raw, weak] : connections) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
    if (connections.empty()) work.reset();
  }
  for (auto& c : open) net::post(c->executor(), [c] { c->on_stop(); });
}

HttpTransport::HttpTransport(Router router, TransportOptions options)
    : impl_(std::make_shared<Impl>(std::move(router), options)) {}

HttpTransport::~HttpTransport() {
  stop();
}

Result<int> HttpTransport::bind(const std::string& host, int port) {
  Core& s = impl_->core;
  // Each connection holds a descriptor; the usual soft limit of 1024 would cap the server far
  // below max_connections.
  rlimit rl{};
  const rlim_t wanted = static_cast<rlim_t>(s.options.max_connections + 256);
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < wanted) {
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, rl.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (!s.options.tls_cert_file.empty() || !s.options.tls_key_file.empty()) {
    auto tls = load_tls(s.options.tls_cert_file, s.options.tls_key_file);
    if (!tls.is_ok()) return tls.status();
    std::lock_guard lock(s.mutex);
    s.tls = std::move(tls).value();
  }
  const std::string where = host + ":" + std::to_string(port);
  beast::error_code ec;
  tcp::resolver resolver(s.ioc);
  auto endpoints = resolver.resolve(host, std::to_string(port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return Status::error(ErrorCode::unavailable,
                         "cannot listen on " + where + ": " + (ec ? ec.message() : "no address"));
  }
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    s.acceptor.close(ignored);
    return Status::error(ErrorCode::unavailable, "cannot listen on " + where + ": " + ec.message());
  }
  return static_cast<int>(s.acceptor.local_endpoint().port());
}

Status HttpTransport::serve() {
  Core& s = impl_->core;
  {
    std::lock_guard lock(s.mutex);
    if (s.stop_requested) return Status::ok();
    if (!s.acceptor.is_open()) {
      return Status::error(ErrorCode::internal, "serve() needs a successful bind() first");
    }
    s.work.emplace(net::make_work_guard(s.ioc));
  }
  s.pool = std::make_unique<WorkerPool>(s.options.worker_threads);
  net::post(s.control, [&s] { s.start(); });
  auto run = [&s] {
    for (;;) {
      try {
        s.ioc.run();
        return;
      } catch (...) {
        // A handler of ours threw (out of memory, say): keep serving the other connections.
      }
    }
  };
  std::vector<std::thread> io;
  for (std::size_t i = 1; i < s.options.io_threads; ++i) io.emplace_back(run);
  run();
  for (auto& t : io) t.join();
  s.pool->shutdown();
  return Status::ok();
}

void HttpTransport::stop() {
  Core& s = impl_->core;
  {
    std::lock_guard lock(s.mutex);
    if (s.stop_requested) return;
    s.stop_requested = true;
  }
  net::post(s.control, [&s] { s.do_stop(); });
}

void HttpTransport::every(std::chrono::milliseconds interval, std::function<void()> task) {
  auto p = std::make_unique<Core::Periodic>();
  p->interval = interval;
  p->task = std::move(task);
  impl_->core.periodic.push_back(std::move(p));
}

Status HttpTransport::reload_tls() {
  Core& s = impl_->core;
  {
    std::lock_guard lock(s.mutex);
    if (!s.tls) return Status::error(ErrorCode::invalid_argument, "not serving HTTPS");
  }
  auto tls = load_tls(s.options.tls_cert_file, s.options.tls_key_file);
  if (!tls.is_ok()) return tls.status();
  std::lock_guard lock(s.mutex);
  s.tls = std::move(tls).value();
  return Status::ok();
}

std::size_t HttpTransport::connection_count() const {
  std::lock_guard lock(impl_->core.mutex);
  return impl_->core.connections.size();
}

}  // namespace sipas::http
