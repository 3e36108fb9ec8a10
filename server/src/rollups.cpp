#include "sipas/server/rollups.hpp"

#include <mutex>

namespace sipas {

ResponseFacts facts_of(const Response& r) {
  ResponseFacts f{r.survey_id,
                  r.unit,
                  r.counter,
                  r.officer.value_or(""),
                  r.procedure.value_or(""),
                  r.submitted_at,
                  r.status == ResponseStatus::complete,
                  {},
                  r.reasons};
  for (const Answer& a : r.answers) f.answers.emplace_back(a.criterion, a.value);
  return f;
}

Result<TimeZone> cached_zone(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, TimeZone> cache;
  std::lock_guard lock(mutex);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  auto tz = TimeZone::load(name);
  if (!tz.is_ok()) return tz.status();
  cache.emplace(name, *tz);
  return *tz;
}

Status accumulate(RollupLookups& lookups, Slice& slice, const ResponseFacts& r, const Needs& needs) {
  auto zone_name = lookups.zone_of(r.unit);
  if (!zone_name.is_ok()) return zone_name.status();
  auto tz = cached_zone(*zone_name);
  if (!tz.is_ok()) return tz.status();
  auto points = lookups.is_points(r.survey);
  if (!points.is_ok()) return points.status();
  SliceKey key{r.survey, r.unit, needs.day ? format_date(tz->local_date(r.submitted_at)) : "",
               needs.counter ? r.counter : "", needs.officer ? r.officer : "",
               needs.procedure ? r.procedure : ""};
  Tally& t = slice[key];
  if (r.complete) {
    ++t.complete;
  } else {
    ++t.partial;
  }
  int total = 0;
  bool any = false;
  for (const auto& [criterion, value] : r.answers) {
    if (!value) continue;
    t.answers[criterion][*value] += 1;
    total += *value;
    any = true;
  }
  for (const auto& reason : r.reasons) t.reasons[reason] += 1;
  if (*points && any) t.totals[total] += 1;
  return Status::ok();
}

RollupLevels rollup_levels(const Slice& detail) {
  RollupLevels out;
  for (const auto& [k, t] : detail) {
    out.day[{k.survey, k.unit, k.day}].merge(t);
    out.month[{k.survey, k.unit, k.day.substr(0, 7)}].merge(t);
  }
  return out;
}

Result<RollupLevels> below_levels(RollupLookups& lookups, const RollupLevels& own) {
  RollupLevels out;
  std::map<std::string, std::vector<std::string>> above;
  auto add = [&](const std::map<RollupLevels::Key, Tally>& from,
                 std::map<RollupLevels::Key, Tally>& to) -> Status {
    for (const auto& [k, t] : from) {
      const std::string& unit = std::get<1>(k);
      auto it = above.find(unit);
      if (it == above.end()) {
        auto chain = lookups.ancestors_of(unit);
        if (!chain.is_ok()) return chain.status();
        it = above.emplace(unit, std::move(chain).value()).first;
      }
      for (const std::string& a : it->second) to[{std::get<0>(k), a, std::get<2>(k)}].merge(t);
    }
    return Status::ok();
  };
  if (Status s = add(own.day, out.day); !s.is_ok()) return s;
  if (Status s = add(own.month, out.month); !s.is_ok()) return s;
  return out;
}

void add_rollup_row(Tally& t, int kind, const std::string& key, int value, std::int64_t n) {
  switch (kind) {
    case kRollupAnswer: t.answers[key][value] += n; break;
    case kRollupReason: t.reasons[key] += n; break;
    case kRollupStatus:
      if (key == "complete") {
        t.complete += n;
      } else {
        t.partial += n;
      }
      break;
    case kRollupTotal: t.totals[value] += n; break;
    default: break;
  }
}

}  // namespace sipas
