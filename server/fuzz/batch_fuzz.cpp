// libFuzzer target: the batch parser and validator (parse_batch) over arbitrary bodies, both as
// sent and through the gzip path with the server's decompression limit.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "sipas/config.hpp"
#include "sipas/crypto.hpp"
#include "sipas/server/batch.hpp"

namespace {

const sipas::SurveyCatalog& catalog() {
  static const sipas::SurveyCatalog c = [] {
    sipas::SurveyCatalog out;
    auto dir = std::filesystem::path(SIPAS_SOURCE_DIR) / "kiosk-config" / "surveys";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() != ".json") continue;
      auto s = sipas::load_survey(entry.path());
      if (s.is_ok()) out.add(std::move(s).value());
    }
    return out;
  }();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sipas::IngestLimits limits;
  limits.max_decompressed_bytes = 1u << 20;
  limits.max_responses = 64;
  sipas::BatchPoster poster{"k1", [](const std::string& unit) { return unit.rfind("22", 0) == 0; }};
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto result = sipas::parse_batch(body, catalog(), poster, limits);
  if (auto* batch = std::get_if<sipas::ParsedBatch>(&result)) {
    for (const auto& r : batch->responses) {
      if (r.response && !r.error.empty()) __builtin_trap();
      if (!r.response && r.error.empty()) __builtin_trap();
    }
  }
  std::string plain;
  if (sipas::gzip_decompress(body, limits.max_decompressed_bytes, &plain)) {
    if (plain.size() > limits.max_decompressed_bytes) __builtin_trap();
    (void)sipas::parse_batch(plain, catalog(), poster, limits);
  }
  return 0;
}
