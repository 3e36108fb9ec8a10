// JSON replies of the server's HTTP handlers (API, dashboard, kiosk endpoints). Internal to
// server/; safe on any worker thread. Strings with invalid UTF-8 are written with U+FFFD rather
// than failing the reply.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sipas/server/server_store.hpp"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace sipas {

// `body` as application/json with `status`.
void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// {"error": message} with `status`.
void send_error(httplib::Response& res, int status, const std::string& message);

// The kiosk whose bearer token the request carries (authenticate_kiosk), named in the access log.
// Otherwise answers 401 with WWW-Authenticate: Bearer (missing, unknown or revoked token) or 503
// (storage error), and returns nullopt.
std::optional<KioskRecord> kiosk_of_request(ServerStore& store, const httplib::Request& req,
                                            httplib::Response& res);

}  // namespace sipas
