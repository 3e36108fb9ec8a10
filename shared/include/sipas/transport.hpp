// The HTTP transport interface the uploader talks through: libcurl in sync/, fakes in tests
// (timeouts, HTTP 500, torn bodies) so that fault handling is tested deterministically.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sipas/status.hpp"

namespace sipas {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

// send() returns a response for any HTTP status; transport failures (connect refused, timeout,
// connection closed mid-reply, TLS errors) come back as ErrorCode::unavailable with curl's words.
// Implementations are used by one thread at a time.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

}  // namespace sipas
