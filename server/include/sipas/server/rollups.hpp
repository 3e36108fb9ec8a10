// The score rollups without their storage: what a rollup row counts, the keys responses are
// summed under, and how accepted responses become those sums. Every storage (SQLite,
// PostgreSQL) keeps the sums in its own tables and reads them back through ServerStore; the
// arithmetic lives here once so that every storage agrees.
//
// Threads: plain values and functions; cached_zone() is safe from any thread.
// Errors: Status from the lookups and from loading a time zone.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sipas/response.hpp"
#include "sipas/scoring.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

// What a rollup row counts.
enum RollupKind : int { kRollupAnswer = 0, kRollupReason = 1, kRollupStatus = 2, kRollupTotal = 3 };

// The finest key any query needs; fields a query does not group by are left empty ("" also stands
// for no officer and no procedure).
struct SliceKey {
  std::string survey, unit, day, counter, officer, procedure;
  auto operator<=>(const SliceKey&) const = default;
};
using Slice = std::map<SliceKey, Tally>;

// Which of the optional key fields a query groups by.
struct Needs {
  bool day = false;
  bool counter = false;
  bool officer = false;
  bool procedure = false;
};

// One response as the rollups see it.
struct ResponseFacts {
  std::string survey, unit, counter, officer, procedure;  // "" for no officer or procedure
  TimePoint submitted_at{};
  bool complete = true;
  std::vector<std::pair<std::string, std::optional<int>>> answers;
  std::vector<std::string> reasons;
};
ResponseFacts facts_of(const Response& r);

// What the storage is asked while responses are summed.
class RollupLookups {
 public:
  virtual ~RollupLookups() = default;
  // The unit's time zone name (Asia/Ho_Chi_Minh for an unknown unit).
  virtual Result<std::string> zone_of(const std::string& unit) = 0;
  // Whether the questionnaire is on the points scale (Mẫu 01): its totals are kept per response.
  virtual Result<bool> is_points(const std::string& survey) = 0;
  // The units above `unit`, its parent first, up to the root (none for a root or an unknown unit).
  virtual Result<std::vector<std::string>> ancestors_of(const std::string& unit) = 0;
};

// Adds one response to `slice` under the key `needs` asks for (its local day in its unit's zone).
Status accumulate(RollupLookups& lookups, Slice& slice, const ResponseFacts& r, const Needs& needs);
// Adds one stored rollup row (kind, key, value, n) to a tally.
void add_rollup_row(Tally& t, int kind, const std::string& key, int value, std::int64_t n);
// Calls f(kind, key, value, n) for each row a tally is stored as.
template <class F>
void for_each_rollup_row(const Tally& t, F&& f) {
  for (const auto& [criterion, by_value] : t.answers) {
    for (const auto& [value, n] : by_value) f(kRollupAnswer, criterion, value, n);
  }
  for (const auto& [reason, n] : t.reasons) f(kRollupReason, reason, 0, n);
  if (t.complete) f(kRollupStatus, std::string("complete"), 0, t.complete);
  if (t.partial) f(kRollupStatus, std::string("partial"), 0, t.partial);
  for (const auto& [total, n] : t.totals) f(kRollupTotal, std::string(), total, n);
}

// The day and month rollups of a detail-level slice (day, counter, officer and procedure filled),
// keyed by survey, unit and the day ("YYYY-MM-DD") or month ("YYYY-MM").
struct RollupLevels {
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, Tally> day, month;
};
RollupLevels rollup_levels(const Slice& detail);
// The sums over each unit's strict descendants ("below" rollups): every day and month entry of
// `own` added again under each unit above its own. A query for a unit reads the unit's own
// rollups, its children's own and its children's below rollups, instead of every unit of its
// subtree: a country's year is a few thousand rows instead of millions.
Result<RollupLevels> below_levels(RollupLookups& lookups, const RollupLevels& own);

// A time zone by name, loaded once per process.
Result<TimeZone> cached_zone(const std::string& name);

// One level of rollups to read: the sums of `surveys` x `units` over [from, to] (dates, or months
// "YYYY-MM" for the month level), keyed by survey, unit and what `needs` asks for, narrowed by
// the filters.
struct RollupRead {
  enum class Level { detail, day, month };
  Level level = Level::day;
  // The sums over each unit's strict descendants, keyed by the unit (day and month levels only).
  bool below = false;
  std::vector<std::string> surveys, units;
  std::string from, to;
  Needs needs;
  std::optional<std::string> counter, officer, procedure;
};

// Raw responses to stream: `units` (all in one time zone) submitted in [from, to), of `surveys`,
// narrowed by the filters ("" matches no officer / no procedure).
struct RawFilter {
  std::vector<std::string> units, surveys;
  TimePoint from{}, to{};
  std::optional<std::string> counter, officer, procedure;
};

}  // namespace sipas
