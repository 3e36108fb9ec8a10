// `sipas-kiosk generate`: plausible synthetic responses for demos and load tests, written through
// the same ResponseStore::append the kiosk uses.
#pragma once

#include <cstdint>

#include "sipas/config.hpp"
#include "sipas/status.hpp"
#include "sipas/store.hpp"
#include "sipas/time.hpp"

namespace sipas {

struct GenerateOptions {
  int count = 0;
  int days = 30;            // spread over the last `days` local days, today included
  std::uint64_t seed = 1;   // same seed, config and `now`: same responses
};

// Mostly satisfied citizens with a per-officer tendency, about 7% partial responses, reasons and
// Vietnamese comments for low ratings, dossier numbers where the survey asks for them, the
// procedure as the kiosk would record it from each counter's list (drawn from a random stream of
// its own, so a seed's answers do not depend on the procedure catalogue), submission times in
// office hours on working days, in ascending order and never after `now`. Stops at the first
// store error. Returns how many were written.
Result<int> generate_responses(const KioskConfig& config, ResponseStore& store,
                               const GenerateOptions& options, TimePoint now, const TimeZone& tz);

}  // namespace sipas
