// CurlTransport: sipas::HttpTransport over libcurl.
//
// One CURL easy handle is kept for the transport's lifetime, so consecutive requests to the same
// server reuse one kept-alive connection. TLS peer and host verification are always on; ca_file
// replaces the system's CA store when set. Only http:// and https:// URLs are accepted and
// redirects are never followed. Whether plain http:// is acceptable for a given server is the
// uploader's decision (check_server_url in uploader.hpp), not the transport's.
//
// Threads: like every HttpTransport, used by one thread at a time. curl's global initialisation
// happens once per process, on the first create().
//
// Errors: send() returns the response for any HTTP status; connect failures, timeouts, TLS errors
// and connections closed mid-reply come back as ErrorCode::unavailable with curl's words.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sipas/status.hpp"
#include "sipas/transport.hpp"

namespace sipas {

struct CurlOptions {
  std::string ca_file;                                 // empty: the system's CA store
  std::chrono::milliseconds connect_timeout{10'000};   // TCP + TLS handshake
  std::chrono::milliseconds total_timeout{60'000};     // whole request, upload to last byte
  std::string user_agent = "sipas-sync";
  // When set and it becomes true, a transfer in progress is abandoned within about a second
  // (send() returns unavailable). Must outlive the transport.
  const std::atomic<bool>* cancel = nullptr;
};

// Totals since the transport was created; for tests and the bench.
struct TransferStats {
  std::int64_t requests = 0;         // send() calls that got an HTTP response
  std::int64_t connections = 0;      // new connections curl had to open
  std::int64_t bytes_sent = 0;       // request line, headers and body
  std::int64_t bytes_received = 0;   // status line, headers and body
};

class CurlTransport final : public HttpTransport {
 public:
  static Result<std::unique_ptr<CurlTransport>> create(const CurlOptions& options);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<HttpResponse> send(const HttpRequest& request) override;
  const TransferStats& stats() const { return stats_; }

 private:
  struct Handle;
  CurlTransport(CurlOptions options, std::unique_ptr<Handle> handle);
  CurlOptions options_;
  std::unique_ptr<Handle> handle_;
  TransferStats stats_;
};

}  // namespace sipas
