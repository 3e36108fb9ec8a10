#include "health_rows.hpp"

namespace sipas {

std::string health_text(const KioskHealth& health) { return canonical_json(health_to_json(health)); }

std::optional<KioskHealth> health_of_text(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  auto h = health_from_json(j);
  if (!h.is_ok()) return std::nullopt;
  return std::move(h).value();
}

std::int64_t contact_skew_ms(const ParsedBatch& batch, TimePoint now) {
  return unix_ms(batch.health ? batch.health->clock : batch.sent_at) - unix_ms(now);
}

}  // namespace sipas
