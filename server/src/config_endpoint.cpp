#include "config_endpoint.hpp"

#include "json_reply.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "sipas/server/auth.hpp"
#include "sipas/server/config_bundles.hpp"
#include "sipas/server/http_transport.hpp"

namespace sipas {
namespace {


// The versions an If-None-Match header names: "12", W/"12", or a list of them.
bool names_version(const std::string& header, std::int64_t version) {
  const std::string wanted = "\"" + std::to_string(version) + "\"";
  std::size_t at = 0;
  while ((at = header.find(wanted, at)) != std::string::npos) {
    std::size_t end = at + wanted.size();
    bool starts = at == 0 || header[at - 1] == ' ' || header[at - 1] == ',' || header[at - 1] == '/';
    bool ends = end == header.size() || header[end] == ' ' || header[end] == ',';
    if (starts && ends) return true;
    at = end;
  }
  return false;
}

}  // namespace

void answer_config_request(ServerStore& store, const std::string& signing_key_pem, TimePoint now,
                           const httplib::Request& req, httplib::Response& res) {
  auto kiosk = kiosk_of_request(store, req, res);
  if (!kiosk) return;
  if (signing_key_pem.empty()) {
    send_error(res, 503, "configuration push is not set up on this server");
    return;
  }
  auto effective = effective_bundle(store, kKioskScope, kiosk->kiosk_id);
  if (!effective.is_ok()) {
    send_error(res, 503, effective.status().message());
    return;
  }
  if (!effective->has_content) {
    send_error(res, 404, "no configuration for this kiosk");
    return;
  }
  const std::string etag = "\"" + std::to_string(effective->version) + "\"";
  res.set_header("ETag", etag);
  res.set_header("Cache-Control", "no-store");
  if (names_version(req.get_header_value("If-None-Match"), effective->version)) {
    res.status = 304;
    return;
  }
  auto signed_config = sign_config(signing_key_pem, kiosk->kiosk_id, *effective, now);
  if (!signed_config.is_ok()) {
    send_error(res, 500, signed_config.status().message());
    return;
  }
  res.status = 200;
  res.set_header("Sipas-Signature", signed_config->signature_header);
  res.set_content(signed_config->body, "application/json");
}

}  // namespace sipas
