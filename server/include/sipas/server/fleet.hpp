// The kiosk fleet as the province sees it (GET /api/v1/kiosks, the dashboard's fleet pages): each
// kiosk's state from its last contact, its latest health, backlog, versions and findings.
//
// Pure functions over a ServerStore and a time; thread-safe as long as each thread uses its own
// ServerStore. Errors are the store's.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipas/server/server_store.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

// online: last contact less than late_after ago; late: less than offline_after ago; offline:
// longer; never: no contact yet.
enum class KioskState { online, late, offline, never };
const char* to_string(KioskState state);
std::optional<KioskState> parse_kiosk_state(std::string_view text);

// sipas-server serve --kiosk-late-after / --kiosk-offline-after (minutes).
struct FleetOptions {
  std::chrono::minutes late_after{15};
  std::chrono::minutes offline_after{60};
};

// The state of a kiosk last heard from at `last_contact` (RFC 3339; nullopt: never).
KioskState kiosk_state(const std::optional<std::string>& last_contact, TimePoint now,
                       const FleetOptions& options);

// Compares dotted versions part by part, numerically where both parts are numbers ("1.10" after
// "1.9"), else as text; a missing part counts as 0. <0, 0, >0 like strcmp.
int compare_versions(std::string_view a, std::string_view b);

struct FleetKiosk {
  KioskRecord record;
  KioskState state = KioskState::never;
  std::int64_t responses = 0;
  std::int64_t quarantined = 0;
  std::map<std::string, std::int64_t> finding_counts;
  std::vector<Finding> findings;       // the latest, newest first
  std::optional<LatestHealth> health;  // none from kiosks that never sent health
  // Its software version is lower than the newest one any kiosk of the province reported.
  bool software_outdated = false;
  std::optional<std::int64_t> backlog_age_seconds;  // now minus health.oldest_pending_at
  // The configuration version the server would give it now (config_bundles.hpp; 0: none), and
  // whether the version it reported applying is lower (or none while the server has one).
  std::int64_t config_expected = 0;
  bool config_outdated = false;
};

// Sort keys: kiosk, unit, state (online, late, offline, never), last_contact, backlog (pending
// count), skew (its size). Ties by kiosk id.
bool is_fleet_sort_key(std::string_view key);

struct FleetQuery {
  std::optional<std::vector<std::string>> units;  // only kiosks of these units; nullopt: all
  std::optional<KioskState> state;
  std::string sort = "kiosk";
  bool descending = false;
  std::optional<std::string> kiosk_id;  // only this kiosk
  std::size_t findings_limit = 50;
};

Result<std::vector<FleetKiosk>> load_fleet(ServerStore& store, const FleetQuery& query,
                                           TimePoint now, const FleetOptions& options);

// The API's shapes (docs/protocol.md section 11).
nlohmann::json fleet_kiosk_to_json(const FleetKiosk& kiosk);
nlohmann::json contact_to_json(const KioskContact& contact);

}  // namespace sipas
