#include "json_reply.hpp"

#include <httplib.h>

#include "sipas/server/auth.hpp"
#include "sipas/server/http_transport.hpp"

namespace sipas {

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, nlohmann::json{{"error", message}});
}

std::optional<KioskRecord> kiosk_of_request(ServerStore& store, const httplib::Request& req,
                                            httplib::Response& res) {
  auto kiosk = authenticate_kiosk(store, req.get_header_value("Authorization"));
  if (!kiosk.is_ok()) {
    if (kiosk.status().code() == ErrorCode::not_found) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, kiosk.status().message());
    } else {
      send_error(res, 503, kiosk.status().message());
    }
    return std::nullopt;
  }
  http::set_log_subject(kiosk->kiosk_id);
  return std::move(kiosk).value();
}

}  // namespace sipas
