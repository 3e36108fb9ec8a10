// A citizen's response, as the kiosk stores it and protocol v1 carries it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sipas/time.hpp"

namespace sipas {

enum class ResponseStatus { complete, partial };
const char* to_string(ResponseStatus s);
std::optional<ResponseStatus> parse_response_status(std::string_view text);

struct Answer {
  std::string criterion;
  std::optional<int> value;  // nullopt: "not applicable" (sent as null). Skipped: no Answer at all.
  bool operator==(const Answer&) const = default;
};

// What the kiosk knows when a citizen finishes (or walks away).
struct ResponseDraft {
  std::string survey_id;
  int survey_version = 1;
  std::string unit;
  std::string counter;
  std::optional<std::string> officer;
  std::optional<std::string> dossier;
  // The administrative procedure the citizen came for (a code of the procedure catalogue);
  // nullopt when the counter has none configured or the citizen skipped it. Sent only when set,
  // so responses without it hash exactly as before the field existed.
  std::optional<std::string> procedure;
  std::string language = "vi";
  TimePoint started_at{};
  TimePoint submitted_at{};
  ResponseStatus status = ResponseStatus::complete;
  std::vector<Answer> answers;
  std::vector<std::string> reasons;
  std::optional<std::string> comment;
  bool operator==(const ResponseDraft&) const = default;
};

// A stored response: the draft plus what the store assigns in the same transaction.
struct Response : ResponseDraft {
  std::string id;         // UUID v4, the server's dedupe key
  std::int64_t seq = 0;   // per kiosk, from 1, no gaps
  std::string prev_hash;  // 64 hex zeros for seq 1
  std::string hash;       // see protocol.hpp
  bool operator==(const Response&) const = default;
};

}  // namespace sipas
