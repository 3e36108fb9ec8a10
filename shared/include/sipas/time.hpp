// Time: the clock interface, RFC 3339 text, time zones and the reporting periods.
//
// All instants are UTC milliseconds (TimePoint). A "day" in every report is the local date in the
// unit's time zone (SPEC: Asia/Ho_Chi_Minh unless the unit says otherwise), so conversions go
// through TimeZone.
//
// TimeZone takes IANA zones from the system's tz database (tzdata, /usr/share/zoneinfo) through
// Howard Hinnant's date/tz library (libdate-tz); the first load() in a process lists the database
// (a few ms). Threads: a TimeZone is immutable once loaded; copies are cheap and share the zone,
// and any thread may use one or call load(). Errors: load()
// reports every failure as a Status whose message names the zone (invalid_argument for a
// malformed name or zone file, not_found for a zone the database lacks); a loaded TimeZone's
// lookups never fail and never throw.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sipas/status.hpp"

namespace sipas {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;
using Date = std::chrono::year_month_day;

// Milliseconds since the Unix epoch, as the stores keep instants.
inline std::int64_t unix_ms(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint from_unix_ms(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

// Wall-clock source. Implementations must be safe to call from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
};

// A clock that moves only when told to; for tests. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start);
  TimePoint now() const override;
  void set(TimePoint t);
  void advance(std::chrono::milliseconds d);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// "2026-11-24T01:15:00.123Z" (always UTC, millisecond precision).
std::string format_rfc3339(TimePoint t);
// Accepts RFC 3339 date-times with 'Z' or a numeric offset and optional fractional seconds.
std::optional<TimePoint> parse_rfc3339(std::string_view text);

// `t` shown at `offset` from UTC (a zone's offset_at(t)), to the minute, or to the second with
// `seconds`: "2026-11-24 08:15" (year first), or "08:15 24/11/2026" (day first, as Vietnamese
// readers write it).
enum class LocalStyle { year_first, day_first };
std::string format_local(TimePoint t, std::chrono::seconds offset, LocalStyle style,
                         bool seconds = false);

// "2026-11-24"
std::string format_date(Date d);
std::optional<Date> parse_date(std::string_view text);

class TimeZone {
 public:
  // name: an IANA name such as "Asia/Ho_Chi_Minh", or a fixed offset "UTC+07:00" / "UTC-03:30" /
  // "UTC". When $TZDIR names another directory than /usr/share/zoneinfo, the zone's TZif file is
  // read from there instead. Instants after a zone's transition table (2037 in Debian's files)
  // follow the POSIX rule at the end of its file, where the date library can read it (not
  // America/Nuuk's, which has negative times of day: that zone keeps its last offset).
  static Result<TimeZone> load(const std::string& name);
  static TimeZone utc();

  const std::string& name() const { return name_; }
  std::chrono::seconds offset_at(TimePoint t) const;
  Date local_date(TimePoint t) const;
  // The first instant of the local day d: local midnight (its earlier occurrence when clocks go
  // back over it), or the instant clocks jump forward over it.
  TimePoint start_of_day(Date d) const;

 private:
  struct Rules;                           // time.cpp
  std::string name_;
  std::shared_ptr<const Rules> rules_;    // null for UTC and fixed offsets
  std::chrono::seconds fixed_offset_{0};
};

// The report cycles of SPEC. Ranges are inclusive of both dates.
enum class PeriodKind { day, week, month, quarter, half_year, nine_months, year };

struct DateRange {
  Date from;
  Date to;
  int days() const;  // number of days, both ends included
  bool operator==(const DateRange&) const = default;
};

std::optional<PeriodKind> parse_period_kind(std::string_view text);  // "day", "week", "month",
                                                                      // "quarter", "6m", "9m", "year"
// The period of the given kind that contains d: ISO week (Monday–Sunday), calendar month,
// quarter, half year (Jan–Jun or Jul–Dec), the nine months Jan–Sep of d's year, calendar year.
DateRange period_containing(PeriodKind kind, Date d);
// The range of the same length that ends the day before r.from (for "change vs. previous").
DateRange previous_range(const DateRange& r);

}  // namespace sipas
