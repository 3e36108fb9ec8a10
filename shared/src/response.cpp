#include "sipas/response.hpp"

namespace sipas {

const char* to_string(ResponseStatus s) {
  switch (s) {
    case ResponseStatus::complete: return "complete";
    case ResponseStatus::partial: return "partial";
  }
  return "unknown";
}

std::optional<ResponseStatus> parse_response_status(std::string_view text) {
  if (text == "complete") return ResponseStatus::complete;
  if (text == "partial") return ResponseStatus::partial;
  return std::nullopt;
}

}  // namespace sipas
