#include "sipas/sync/curl_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <string_view>

namespace sipas {
namespace {

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

Status global_init() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK) {
    return Status::error(ErrorCode::internal,
                         std::string("curl_global_init failed: ") + curl_easy_strerror(rc));
  }
  return Status::ok();
}

size_t write_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

size_t write_header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string_view line(data, size * count);
  // A new status line starts a new header block (after "100 Continue" or an interim reply).
  if (line.starts_with("HTTP/")) {
    headers->clear();
    return size * count;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    (*headers)[trim(name)] = trim(line.substr(colon + 1));
  }
  return size * count;
}

int check_cancel(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel->load() ? 1 : 0;
}

}  // namespace

struct CurlTransport::Handle {
  EasyPtr easy;
  char error[CURL_ERROR_SIZE] = {};
};

CurlTransport::CurlTransport(CurlOptions options, std::unique_ptr<Handle> handle)
    : options_(std::move(options)), handle_(std::move(handle)) {}

CurlTransport::~CurlTransport() = default;

Result<std::unique_ptr<CurlTransport>> CurlTransport::create(const CurlOptions& options) {
  if (Status s = global_init(); !s.is_ok()) return s;
  auto handle = std::make_unique<Handle>();
  handle->easy.reset(curl_easy_init());
  if (!handle->easy) return Status::error(ErrorCode::internal, "curl_easy_init failed");
  return std::unique_ptr<CurlTransport>(new CurlTransport(options, std::move(handle)));
}

Result<HttpResponse> CurlTransport::send(const HttpRequest& request) {
  CURL* c = handle_->easy.get();
  // reset() clears the options but keeps the connection cache, so keep-alive survives.
  curl_easy_reset(c);
  handle_->error[0] = '\0';

  SlistPtr headers;
  for (const auto& [name, value] : request.headers) {
    std::string line = name + ": " + value;
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (!next) return Status::error(ErrorCode::internal, "out of memory building headers");
    headers.release();
    headers.reset(next);
  }
  // curl would otherwise wait for "100 Continue" before sending a large body.
  if (curl_slist* next = curl_slist_append(headers.get(), "Expect:")) {
    headers.release();
    headers.reset(next);
  }

  HttpResponse response;
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.user_agent.empty()) curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, handle_->error);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &write_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &write_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
  if (options_.cancel) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &check_cancel);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(options_.cancel));
  }

  if (request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
  } else if (request.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty()) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    }
  }

  CURLcode rc = curl_easy_perform(c);

  long connects = 0, request_size = 0, header_size = 0;
  curl_off_t uploaded = 0, downloaded = 0;
  curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
  curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &request_size);
  curl_easy_getinfo(c, CURLINFO_HEADER_SIZE, &header_size);
  curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &uploaded);
  curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &downloaded);
  stats_.connections += connects;
  // CURLINFO_REQUEST_SIZE already includes a body given through POSTFIELDS.
  stats_.bytes_sent += std::max<std::int64_t>(request_size, uploaded);
  stats_.bytes_received += header_size + downloaded;

  if (rc != CURLE_OK) {
    std::string words = handle_->error[0] != '\0' ? handle_->error : curl_easy_strerror(rc);
    return Status::error(ErrorCode::unavailable, words + " (" + request.url + ")");
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  response.status = static_cast<int>(code);
  ++stats_.requests;
  return response;
}

}  // namespace sipas
