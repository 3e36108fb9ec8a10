// Parsing and validating one protocol v1 batch (POST /api/v1/batches) before anything is stored.
//
// parse_batch() is pure: no I/O, no shared state, safe to call from any thread. It either refuses
// the whole batch (BatchRefusal: HTTP status and a one-line message; nothing may be stored) or
// returns every response with its verdict: valid (to be stored) or invalid (to be quarantined
// with `error`). See docs/protocol.md for which problems refuse a batch and which reject a single
// response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipas/protocol.hpp"
#include "sipas/response.hpp"
#include "sipas/survey.hpp"
#include "sipas/time.hpp"

namespace sipas {

struct IngestLimits {
  std::size_t max_body_bytes = 8u << 20;           // as received (compressed when gzip)
  std::size_t max_decompressed_bytes = 16u << 20;  // after gunzip
  std::size_t max_responses = 2000;                // per batch
  std::size_t max_depth = 16;                      // JSON nesting
  std::size_t max_field_bytes = 256;               // unit, counter, officer, dossier, language
  std::size_t max_answers = 200;                   // per response
};

// The questionnaires the server knows, by (id, version). Immutable once built; shared by threads.
class SurveyCatalog {
 public:
  void add(Survey survey);  // replaces an existing (id, version)
  const Survey* find(const std::string& id, int version) const;
  std::size_t size() const { return surveys_.size(); }
  // Every survey, by id then version.
  std::vector<const Survey*> all() const;

 private:
  std::map<std::pair<std::string, int>, Survey> surveys_;
};

struct ParsedResponse {
  std::string id;
  std::int64_t seq = 0;
  std::string hash_field;       // "hash" as sent ("" when absent or not a string)
  std::string prev_hash_field;  // "prev_hash" as sent
  std::string canonical;        // canonical_json of the object as received (the raw copy kept)
  std::string content_hash;     // sha256_hex(canonical): the dedupe fingerprint
  std::optional<Response> response;  // set when valid
  std::string error;                 // why it is invalid (empty when valid)
  bool hash_matches = false;         // "hash" equals compute_hash of the object
  std::string answers_key;           // identical answer sets share it (burst detection)
};

struct ParsedBatch {
  std::string kiosk_id;
  std::string batch_id;
  TimePoint sent_at{};
  std::vector<ParsedResponse> responses;  // strictly ascending seq
  // The optional "health" object. An invalid one does not refuse the batch: it is left out and
  // health_error says why (the reply carries it back to the kiosk).
  std::optional<KioskHealth> health;
  std::string health_error;
};

struct BatchRefusal {
  int http_status = 400;  // 400 malformed, 403 kiosk/unit mismatch, 413 too large, 422 invalid
  std::string error;
};

// Who is posting: the kiosk the token belongs to, and the units it may post for (its own and
// every unit below it).
struct BatchPoster {
  std::string kiosk_id;
  std::function<bool(const std::string& unit)> unit_allowed;
};

// `body` is the decompressed request body.
std::variant<ParsedBatch, BatchRefusal> parse_batch(std::string_view body,
                                                    const SurveyCatalog& surveys,
                                                    const BatchPoster& poster,
                                                    const IngestLimits& limits);

// The survey-level checks of one structurally valid response: known survey and version, known
// and unique criteria, values on the scale (null only where the survey allows "not applicable"),
// known and unique reasons, comment length in code points, sane field lengths. Empty when valid.
std::string validate_response(const Response& r, const SurveyCatalog& surveys,
                              const IngestLimits& limits);

// Nesting depth of a JSON text, counting only brackets outside strings; stops counting past
// `limit` (returns limit + 1).
std::size_t json_depth(std::string_view text, std::size_t limit);

}  // namespace sipas
