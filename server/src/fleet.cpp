#include "sipas/server/fleet.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <set>
#include <tuple>

#include "sipas/server/config_bundles.hpp"

namespace sipas {

using nlohmann::json;

const char* to_string(KioskState state) {
  switch (state) {
    case KioskState::online: return "online";
    case KioskState::late: return "late";
    case KioskState::offline: return "offline";
    case KioskState::never: return "never";
  }
  return "never";
}

std::optional<KioskState> parse_kiosk_state(std::string_view text) {
  for (KioskState s : {KioskState::online, KioskState::late, KioskState::offline,
                       KioskState::never}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

KioskState kiosk_state(const std::optional<std::string>& last_contact, TimePoint now,
                       const FleetOptions& options) {
  if (!last_contact) return KioskState::never;
  auto at = parse_rfc3339(*last_contact);
  if (!at) return KioskState::never;
  const auto age = now - *at;
  if (age < options.late_after) return KioskState::online;
  if (age < options.offline_after) return KioskState::late;
  return KioskState::offline;
}

int compare_versions(std::string_view a, std::string_view b) {
  auto next = [](std::string_view& s) {
    auto dot = s.find('.');
    std::string_view part = s.substr(0, dot);
    s = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
    return part;
  };
  auto number = [](std::string_view p) -> std::optional<unsigned long long> {
    unsigned long long v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || end != p.data() + p.size()) return std::nullopt;
    return v;
  };
  while (!a.empty() || !b.empty()) {
    std::string_view pa = next(a), pb = next(b);
    auto na = number(pa.empty() ? "0" : pa), nb = number(pb.empty() ? "0" : pb);
    int c = 0;
    if (na && nb) {
      c = *na < *nb ? -1 : *na > *nb ? 1 : 0;
    } else {
      c = pa.compare(pb);
      c = c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    if (c != 0) return c;
  }
  return 0;
}

bool is_fleet_sort_key(std::string_view key) {
  for (const char* k : {"kiosk", "unit", "state", "last_contact", "backlog", "skew"}) {
    if (key == k) return true;
  }
  return false;
}

Result<std::vector<FleetKiosk>> load_fleet(ServerStore& store, const FleetQuery& query,
                                           TimePoint now, const FleetOptions& options) {
  auto kiosks = store.kiosks();
  if (!kiosks.is_ok()) return kiosks.status();
  auto health = store.latest_health();
  if (!health.is_ok()) return health.status();
  // The newest version anywhere in the province, whoever asks: a unit's kiosks are behind when
  // another unit already runs a newer release.
  std::optional<std::string> newest;
  for (const auto& [id, h] : *health) {
    if (!newest || compare_versions(h.health.software_version, *newest) > 0) {
      newest = h.health.software_version;
    }
  }
  auto expected = effective_versions(store);
  if (!expected.is_ok()) return expected.status();
  std::set<std::string> units;
  if (query.units) units.insert(query.units->begin(), query.units->end());

  std::vector<FleetKiosk> out;
  for (const KioskRecord& k : *kiosks) {
    if (query.units && !units.count(k.unit)) continue;
    if (query.kiosk_id && k.kiosk_id != *query.kiosk_id) continue;
    FleetKiosk f;
    f.record = k;
    f.state = kiosk_state(k.last_contact, now, options);
    f.config_expected = (*expected)[k.kiosk_id];
    if (query.state && f.state != *query.state) continue;
    auto counts = store.finding_counts(k.kiosk_id);
    if (!counts.is_ok()) return counts.status();
    f.finding_counts = std::move(counts).value();
    auto latest = store.findings(k.kiosk_id, query.findings_limit);
    if (!latest.is_ok()) return latest.status();
    f.findings = std::move(latest).value();
    auto totals = store.kiosk_counts(k.kiosk_id);
    if (!totals.is_ok()) return totals.status();
    f.responses = totals->first;
    f.quarantined = totals->second;
    if (auto it = health->find(k.kiosk_id); it != health->end()) {
      f.health = it->second;
      f.software_outdated = compare_versions(it->second.health.software_version, *newest) < 0;
      const std::optional<std::int64_t>& applied = it->second.health.config_version;
      f.config_outdated = f.config_expected > 0 && (!applied || *applied < f.config_expected);
      if (it->second.health.oldest_pending_at) {
        f.backlog_age_seconds = std::max<std::int64_t>(
            0, std::chrono::duration_cast<std::chrono::seconds>(
                   now - *it->second.health.oldest_pending_at)
                   .count());
      }
    }
    out.push_back(std::move(f));
  }

  auto key = [&](const FleetKiosk& f) {
    const std::string& sort = query.sort;
    std::int64_t n = 0;
    std::string text;
    if (sort == "unit") {
      text = f.record.unit;
    } else if (sort == "state") {
      n = static_cast<std::int64_t>(f.state);
    } else if (sort == "last_contact") {
      text = f.record.last_contact.value_or("");
    } else if (sort == "backlog") {
      n = f.health ? f.health->health.pending : -1;
    } else if (sort == "skew") {
      n = f.health ? std::llabs(f.health->skew_ms) : -1;
    }
    return std::make_tuple(n, text);
  };
  std::stable_sort(out.begin(), out.end(), [&](const FleetKiosk& a, const FleetKiosk& b) {
    auto ka = key(a), kb = key(b);
    if (ka != kb) return query.descending ? kb < ka : ka < kb;
    return a.record.kiosk_id < b.record.kiosk_id;
  });
  return out;
}

namespace {

json opt(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

json seconds_of(std::int64_t ms) {
  // Rounded to tenths: a skew of a few hundred milliseconds is network delay, not a clock fault.
  return static_cast<double>((ms >= 0 ? ms + 50 : ms - 50) / 100) / 10.0;
}

}  // namespace

json fleet_kiosk_to_json(const FleetKiosk& f) {
  const KioskRecord& k = f.record;
  json findings = json::array();
  for (const Finding& x : f.findings) {
    findings.push_back({{"kind", x.kind},
                        {"seq", x.seq ? json(*x.seq) : json(nullptr)},
                        {"response_id", opt(x.response_id)},
                        {"detail", x.detail},
                        {"at", x.created_at}});
  }
  json j = {{"kiosk_id", k.kiosk_id},
            {"unit", k.unit},
            {"created_at", k.created_at},
            {"revoked", k.revoked_at.has_value()},
            {"revoked_at", opt(k.revoked_at)},
            {"last_contact", opt(k.last_contact)},
            {"last_seq", k.last_seq},
            {"acked_seq", k.acked_seq},
            {"responses", f.responses},
            {"quarantined", f.quarantined},
            {"finding_counts", f.finding_counts},
            {"findings", std::move(findings)},
            {"state", to_string(f.state)}};
  if (f.health) {
    const KioskHealth& h = f.health->health;
    json health = health_to_json(h);
    health["received_at"] = f.health->received_at;
    j["health"] = std::move(health);
    j["clock_skew_seconds"] = seconds_of(f.health->skew_ms);
    j["backlog"] = {{"pending", h.pending},
                    {"oldest_pending_at", health_to_json(h)["oldest_pending_at"]},
                    {"age_seconds", f.backlog_age_seconds ? json(*f.backlog_age_seconds)
                                                          : json(nullptr)}};
    j["software_version"] = h.software_version;
    j["software_outdated"] = f.software_outdated;
    j["config_version"] = h.config_version ? json(*h.config_version) : json(nullptr);
  } else {
    j["health"] = nullptr;
    j["clock_skew_seconds"] = nullptr;
    j["backlog"] = nullptr;
    j["software_version"] = nullptr;
    j["software_outdated"] = false;
    j["config_version"] = nullptr;
  }
  j["config_expected_version"] = f.config_expected > 0 ? json(f.config_expected) : json(nullptr);
  j["config_outdated"] = f.config_outdated;
  return j;
}

json contact_to_json(const KioskContact& c) {
  return {{"received_at", c.received_at},
          {"heartbeat", c.heartbeat},
          {"responses", c.responses},
          {"accepted", c.accepted},
          {"duplicates", c.duplicates},
          {"rejected", c.rejected},
          {"clock_skew_seconds", seconds_of(c.skew_ms)},
          {"health", c.health ? health_to_json(*c.health) : json(nullptr)}};
}

}  // namespace sipas
