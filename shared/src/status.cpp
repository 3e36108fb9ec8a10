#include "sipas/status.hpp"

namespace sipas {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::ok: return "ok";
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::disk_full: return "disk_full";
    case ErrorCode::read_only: return "read_only";
    case ErrorCode::corrupt: return "corrupt";
    case ErrorCode::io_error: return "io_error";
    case ErrorCode::busy: return "busy";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

std::string Status::to_string() const {
  std::string out = sipas::to_string(code_);
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace sipas
