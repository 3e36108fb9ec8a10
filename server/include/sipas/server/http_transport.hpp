// The province server's HTTP/1.1 transport (Boost.Beast over Asio) and its router.
//
// Model: connections are read and written asynchronously by `io_threads` I/O threads, so an idle,
// slow or hostile connection costs a socket and a few kilobytes, never a thread. A request whose
// head and body have arrived is handed to a pool of `worker_threads` that runs its handler; the
// reply is written back asynchronously. Handlers may block (SQLite, fsync); nothing else does.
// HTTPS (TransportOptions::tls_cert_file and tls_key_file, OpenSSL through asio::ssl) is the same
// transport: handshakes and encryption run on the I/O threads.
//
// Handlers keep cpp-httplib's types: the transport fills an httplib::Request as httplib's server
// does (method, target, URL-decoded path, query parameters by httplib's own parser, headers, body,
// remote and local address and port, and the fields of an application/x-www-form-urlencoded body
// in `params`) and sends the httplib::Response back: status (200 when left unset), headers, body,
// or a body streamed from a content provider (set_content_provider with a length, without one,
// or set_chunked_content_provider; the provider runs on a worker, one piece at a time, and each
// piece is written before the next is asked for). Bodies of 1 KiB or more of text, JSON, XML or
// JavaScript are gzip-compressed when the client accepts gzip (streamed bodies are sent as they
// come). Not supported: multipart bodies (`files`) and Range requests (answered whole). Chunked
// request bodies are read like others, unless a head filter refuses them.
//
// Limits and deadlines (TransportOptions): a request's whole head must arrive within
// header_timeout of its first byte (of the accept, for a new connection), its whole body within
// body_timeout; a kept-alive connection is closed after idle_timeout without a new request.
// Connections above max_connections, or above max_connections_per_address from one address, are
// closed as soon as they are accepted. A head over max_header_bytes or max_header_count fields
// gets 431, a target over 8 KiB 414, a body over max_body_bytes 413, a malformed request 400; each
// then closes the connection. A connection that times out is closed without a reply.
//
// Threads: fill the Router before constructing the transport; it is read-only afterwards. Handlers
// and head checks run on the workers, several at once; the head filter and error formatter on the
// I/O threads (they must be cheap and never block; the formatter also runs on the workers); the
// logger on the workers. bind() and serve() are called once, from one thread; stop() from any
// thread, any number of times (a signal watcher).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "sipas/status.hpp"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace sipas::http {

using Request = httplib::Request;
using Response = httplib::Response;

// Answers a whole request (head and body); runs on a worker. An exception becomes a 500.
using Handler = std::function<void(const Request&, Response&)>;
// Judges a request from its head alone, before its body is read (the body is empty here); runs on
// a worker. Returns the handler for the whole request, or nullptr after filling `refusal`: the
// refusal is then sent without the body ever being read, and the connection closed.
using HeadCheck = std::function<Handler(const Request& head, Response& refusal)>;
// Looks at every request's head before routing, on an I/O thread. false: `refusal` is sent, the
// body is not read, and the connection is closed.
using HeadFilter = std::function<bool(const Request& head, Response& refusal)>;
// Gives every reply with a status of 400 or more whose body is empty its body (a JSON error, say).
using ErrorFormatter = std::function<void(Response&)>;

// One request as the access log sees it, once its reply has been written (or given up).
struct ExchangeRecord {
  const Request& request;
  const Response& response;
  std::uint64_t body_bytes_out = 0;  // reply body bytes written, as sent (compressed)
  std::chrono::nanoseconds elapsed{};  // from the end of the request's head to the end of the reply
  std::string subject;                 // set_log_subject(), or empty
};
using Logger = std::function<void(const ExchangeRecord&)>;

// Names who sent the request that the calling thread is handling (the access log's kiosk=...);
// call from a Handler or HeadCheck. Elsewhere it does nothing.
void set_log_subject(std::string subject);

// A POST's url-encoded form is parsed into the request's params up to `max_form_bytes` (the
// default is cpp-httplib's 8 KiB; a route that takes a larger form says so). Over it, the reply
// is 413 from the error formatter, unless the route gives `form_too_large`: that handler runs
// instead, with the params parsed all the same (the body is within max_body_bytes), so that it
// can answer the user in their language and give them back their text.
struct FormLimit {
  std::size_t max_form_bytes = 8192;
  Handler form_too_large;
};

// Routes by method and exact path; a path ending in "*" (e.g. "/api/v1/kiosks/*": one resource of
// a collection, the handler reads req.path) takes every longer path under it that has no exact
// route of its own. GET routes also answer HEAD. A path with no route for the method gets 405
// (with Allow), an unknown path 404.
class Router {
 public:
  void Get(const std::string& path, Handler handler);
  void Post(const std::string& path, Handler handler, FormLimit form = {});
  // An upload: a POST whose head is checked (authentication, say) before its body is read. The
  // handlers that checks return run on at most three quarters of the workers at once (all but
  // one of fewer than eight), after any other waiting task, so that uploads queued behind a busy
  // store never hold up the other routes.
  void PostChecked(const std::string& path, HeadCheck check);
  // PUT and DELETE (a JSON API's update and removal); bodies are not parsed as forms.
  void Put(const std::string& path, Handler handler);
  void Delete(const std::string& path, Handler handler);
  void set_head_filter(HeadFilter filter);
  void set_error_formatter(ErrorFormatter formatter);
  void set_logger(Logger logger);

  // What the transport looks up.
  struct Route {
    Handler handler;  // set unless `check` is
    HeadCheck check;
    FormLimit form;
  };
  // The route for GET, HEAD, POST, PUT or DELETE on `path`; nullptr when there is none.
  const Route* find(const std::string& method, const std::string& path) const;
  // The methods `path` has routes for ("GET, HEAD, POST", say), or "" for an unknown path.
  std::string allowed_methods(const std::string& path) const;
  const HeadFilter& head_filter() const { return head_filter_; }
  const ErrorFormatter& error_formatter() const { return error_formatter_; }
  const Logger& logger() const { return logger_; }

 private:
  static const Route* prefix_route(const std::map<std::string, Route>& table,
                                   const std::string& path);
  std::map<std::string, Route> get_, post_, put_, delete_;
  HeadFilter head_filter_;
  ErrorFormatter error_formatter_;
  Logger logger_;
};

struct TransportOptions {
  std::size_t worker_threads = 8;
  std::size_t io_threads = 2;
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds body_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(5)};
  // For each reply (each piece of a streamed one) to be taken by the client.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(60)};
  std::size_t max_connections = 10000;
  // 0: no limit. Behind a reverse proxy every connection comes from the proxy's address: raise
  // it there, or turn it off.
  std::size_t max_connections_per_address = 1000;
  std::size_t max_header_bytes = 16 * 1024;  // request line and header fields together
  std::size_t max_header_count = 100;
  std::size_t max_body_bytes = 8u << 20;  // as sent
  std::size_t max_requests_per_connection = 1000;
  // HTTPS: PEM files of the certificate (with its chain) and of its private key. Both empty: plain
  // HTTP. TLS 1.2 and 1.3 only; the handshake counts against header_timeout.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpTransport {
 public:
  HttpTransport(Router router, TransportOptions options);
  // Call stop() and wait for serve() to return first.
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Listens on host:port (port 0: a free port); returns the port. Raises the process's soft limit
  // on open files towards max_connections when it is lower (and the hard limit allows). With TLS
  // options, loads the certificate and key first (invalid_argument naming the file when it
  // cannot).
  Result<int> bind(const std::string& host, int port);
  // Loads the TLS certificate and key files again, for connections accepted from now on (a
  // renewed certificate; `sipas-server serve` calls it on SIGHUP); open connections keep theirs.
  // On error the certificate in use stays. Any thread, after bind().
  Status reload_tls();
  // Serves on the calling thread (one of the I/O threads) until stop(). Returns once the
  // listening socket is closed, every request that had begun to arrive has been answered, every
  // connection is closed and the workers are idle. Returns at once when stop() came first.
  Status serve();
  // The listening socket closes at once; idle connections are closed; requests that have begun
  // to arrive are read, handled and answered, and their connections then closed.
  void stop();
  // Runs `task` on a worker every `interval` while serving, the first time as serving starts; a
  // run is skipped while the previous one is still going. Call before serve().
  void every(std::chrono::milliseconds interval, std::function<void()> task);

  // Open connections, for tests and monitoring.
  std::size_t connection_count() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sipas::http
