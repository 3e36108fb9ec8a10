// Protocol v1 (kiosk -> server): JSON shapes, the canonical form and the hash chain.
// See docs/protocol.md for the full description.
//
// hash = sha256_hex(prev_hash + "\n" + canonical), canonical being the response object without
// "hash", keys sorted, no whitespace, UTF-8 unescaped. The first response's prev_hash is 64 zeros.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipas/response.hpp"
#include "sipas/status.hpp"

namespace sipas {

inline constexpr int kProtocolVersion = 1;
inline const std::string kGenesisHash(64, '0');

// The response object as sent (with "hash" when include_hash).
nlohmann::json response_to_json(const Response& r, bool include_hash = true);
// Strict structural parse of one response object: required fields, types, RFC 3339 times,
// UUID, status. Survey-specific checks (known criteria, scale) are the validator's.
// Errors are invalid_argument with the field named ("responses[3].seq: must be an integer >= 1").
Result<Response> response_from_json(const nlohmann::json& j, const std::string& where = "");

// Keys sorted, no whitespace, non-ASCII left as UTF-8.
std::string canonical_json(const nlohmann::json& j);
// The hash of a response given its prev_hash (r.hash is ignored).
std::string compute_hash(const Response& r);
// The hash of a response object as received (its "hash" key is ignored).
std::string compute_hash(const nlohmann::json& response_object);

// A kiosk's state as it reports it with every batch (the optional top-level "health" object of
// protocol v1; docs/protocol.md section 13). A heartbeat is a batch with no responses and health.
struct KioskHealth {
  std::string software_version;
  std::optional<std::int64_t> config_version;  // the configuration bundle applied; none yet
  std::int64_t pending = 0;                    // responses not yet acknowledged
  std::optional<TimePoint> oldest_pending_at;  // submitted_at of the oldest pending response
  std::int64_t disk_free_bytes = 0;            // on the filesystem holding the database
  TimePoint clock{};                           // the kiosk's clock when the body was made
  std::int64_t uptime_seconds = 0;
  std::optional<std::string> last_error;       // plain words; none when all is well
  bool operator==(const KioskHealth&) const = default;
};

nlohmann::json health_to_json(const KioskHealth& h);
// Strict parse of a health object; invalid_argument naming the field ("health.pending: must be an
// integer >= 0"). Unknown fields are ignored, so that later kiosks may add some.
Result<KioskHealth> health_from_json(const nlohmann::json& j);

struct BatchRequest {
  int protocol = kProtocolVersion;
  std::string kiosk_id;
  std::string batch_id;
  TimePoint sent_at{};
  std::vector<Response> responses;
  std::optional<KioskHealth> health;  // sent as "health" when set
};

std::string batch_to_body(const BatchRequest& b);

struct RejectedItem {
  std::string id;
  std::string error;
  bool operator==(const RejectedItem&) const = default;
};

struct BatchReply {
  std::int64_t accepted = 0;
  std::int64_t duplicates = 0;
  std::vector<RejectedItem> rejected;
  std::int64_t acked_seq = 0;  // every response of this kiosk with seq <= acked_seq is settled
                               // on the server (stored, duplicate or quarantined)
};

nlohmann::json batch_reply_to_json(const BatchReply& r);
Result<BatchReply> batch_reply_from_json(std::string_view body);

}  // namespace sipas
