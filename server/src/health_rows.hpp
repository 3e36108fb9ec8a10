// What both storages share about kiosk health rows: the health kept as JSON text, the clock skew
// of a contact. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sipas/protocol.hpp"
#include "sipas/server/batch.hpp"
#include "sipas/time.hpp"

namespace sipas {

std::string health_text(const KioskHealth& health);
// The health kept by health_text; nullopt for NULL or a text that no longer reads as health.
std::optional<KioskHealth> health_of_text(const std::optional<std::string>& text);
// The kiosk's clock when it made the batch (health.clock, else sent_at) minus `now`.
std::int64_t contact_skew_ms(const ParsedBatch& batch, TimePoint now);

}  // namespace sipas
