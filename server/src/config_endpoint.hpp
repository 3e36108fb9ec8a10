// GET /api/v1/config: a kiosk's signed configuration bundle (docs/protocol.md, "Configuration").
// Internal to server/; called by HttpServer on a worker thread with a store of its own.
#pragma once

#include <string>

#include "sipas/server/server_store.hpp"
#include "sipas/time.hpp"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace sipas {

// Authenticates the kiosk's bearer token (401), then answers 503 without a signing key, 404 when
// no scope of its chain has a bundle, 304 when If-None-Match names its effective version, else
// 200 with the signed body, Sipas-Signature and ETag.
void answer_config_request(ServerStore& store, const std::string& signing_key_pem, TimePoint now,
                           const httplib::Request& req, httplib::Response& res);

}  // namespace sipas
