#include "sipas/time.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <system_error>

#include <date/date.h>
// ptz.h of date 3.0.1 (Debian 12) predates C++20: its time_zone::name() names hh_mm_ss after
// `using namespace date; using namespace std::chrono;`, ambiguous once std::chrono has one too.
// A declaration in Posix is found first. Upstream fixed the header in 2025 ("Port ptz.h to C++20").
namespace Posix {
using date::hh_mm_ss;
}
#include <date/ptz.h>
#include <date/tz.h>

namespace sipas {

using namespace std::chrono_literals;
using std::chrono::days;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

TimePoint SystemClock::now() const {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

struct ManualClock::State {
  mutable std::mutex mu;
  TimePoint now;
};

ManualClock::ManualClock(TimePoint start) : state_(std::make_shared<State>()) {
  state_->now = start;
}

TimePoint ManualClock::now() const {
  std::lock_guard lock(state_->mu);
  return state_->now;
}

void ManualClock::set(TimePoint t) {
  std::lock_guard lock(state_->mu);
  state_->now = t;
}

void ManualClock::advance(milliseconds d) {
  std::lock_guard lock(state_->mu);
  state_->now += d;
}

namespace {

// Reads exactly n decimal digits at text[*pos]; -1 if they are not all there.
int read_digits(std::string_view text, std::size_t* pos, std::size_t n) {
  if (*pos + n > text.size()) return -1;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  *pos += n;
  return value;
}

bool expect(std::string_view text, std::size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

std::optional<Date> read_date(std::string_view text, std::size_t* pos) {
  int y = read_digits(text, pos, 4);
  if (y < 0 || !expect(text, pos, '-')) return std::nullopt;
  int m = read_digits(text, pos, 2);
  if (m < 0 || !expect(text, pos, '-')) return std::nullopt;
  int d = read_digits(text, pos, 2);
  if (d < 0) return std::nullopt;
  Date date{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
            std::chrono::day(static_cast<unsigned>(d))};
  if (!date.ok()) return std::nullopt;
  return date;
}

}  // namespace

std::string format_local(TimePoint t, std::chrono::seconds offset, LocalStyle style,
                         bool seconds) {
  const std::string r = format_rfc3339(t + offset);  // 2026-11-24T08:15:12.000Z
  const std::string clock = r.substr(11, seconds ? 8 : 5);
  if (style == LocalStyle::year_first) return r.substr(0, 10) + " " + clock;
  return clock + " " + r.substr(8, 2) + "/" + r.substr(5, 2) + "/" + r.substr(0, 4);
}

std::string format_rfc3339(TimePoint t) {
  sys_days day = std::chrono::floor<days>(t);
  Date date(day);
  auto ms = (t - day).count();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(date.year()),
                unsigned(date.month()), unsigned(date.day()), int(ms / 3'600'000),
                int(ms / 60'000 % 60), int(ms / 1000 % 60), int(ms % 1000));
  return buf;
}

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
  std::size_t pos = 0;
  std::optional<Date> date = read_date(text, &pos);
  if (!date) return std::nullopt;
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) return std::nullopt;
  ++pos;
  int hh = read_digits(text, &pos, 2);
  if (hh < 0 || hh > 23 || !expect(text, &pos, ':')) return std::nullopt;
  int mm = read_digits(text, &pos, 2);
  if (mm < 0 || mm > 59 || !expect(text, &pos, ':')) return std::nullopt;
  // A leap second (60) cannot be represented on the system clock; it is refused rather than
  // silently moved.
  int ss = read_digits(text, &pos, 2);
  if (ss < 0 || ss > 59) return std::nullopt;

  int ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) ms = ms * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t i = digits; i < 3; ++i) ms *= 10;
  }

  if (pos >= text.size()) return std::nullopt;
  int offset_minutes = 0;
  char zone = text[pos++];
  if (zone == 'Z' || zone == 'z') {
    offset_minutes = 0;
  } else if (zone == '+' || zone == '-') {
    int oh = read_digits(text, &pos, 2);
    if (oh < 0 || oh > 23 || !expect(text, &pos, ':')) return std::nullopt;
    int om = read_digits(text, &pos, 2);
    if (om < 0 || om > 59) return std::nullopt;
    offset_minutes = (oh * 60 + om) * (zone == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  TimePoint local = sys_days(*date) + std::chrono::hours(hh) + std::chrono::minutes(mm) +
                    seconds(ss) + milliseconds(ms);
  return local - std::chrono::minutes(offset_minutes);
}

std::string format_date(Date d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(d.year()), unsigned(d.month()),
                unsigned(d.day()));
  return buf;
}

std::optional<Date> parse_date(std::string_view text) {
  std::size_t pos = 0;
  std::optional<Date> date = read_date(text, &pos);
  if (!date || pos != text.size()) return std::nullopt;
  return date;
}

namespace {

// Debian's libdate-tz finds its database once, here, and offers no way to point it elsewhere.
constexpr const char* kSystemTzDir = "/usr/share/zoneinfo";
// Zone files are a few KiB; anything much larger is not one.
constexpr std::size_t kMaxTzifBytes = 1 << 20;

// libdate-tz (and ptz.h) open a zone's first interval at the smallest year they represent and
// end its last at the largest; a table read here is given the same bounds, and lookups outside
// them are answered as at the bound (the rule code would overflow a date::year).
constexpr sys_seconds kBeforeAll{date::sys_days{date::year::min() / date::January / 1}};
constexpr sys_seconds kAfterAll{date::sys_days{date::year::max() / date::December / 31}};

// An interval of constant offset, [begin, end): date::sys_info without its abbreviation.
struct Span {
  sys_seconds begin;
  sys_seconds end;
  seconds offset;

  Span(sys_seconds b, sys_seconds e, seconds o) : begin(b), end(e), offset(o) {}
  explicit Span(const date::sys_info& i) : begin(i.begin), end(i.end), offset(i.offset) {}
  bool open_ended() const { return end >= kAfterAll; }
};

bool valid_zone_name(const std::string& name) {
  if (name.empty() || name.size() > 255 || name.front() == '/') return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+' || c == '.';
    if (!ok) return false;
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string_view part(name.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

// "UTC", "UTC+07:00", "UTC-03:30", "UTC+7"; nullopt when `name` is not of that form.
std::optional<std::int32_t> fixed_offset(std::string_view name) {
  if (name == "UTC") return 0;
  if (name.size() < 5 || name.substr(0, 3) != "UTC" || (name[3] != '+' && name[3] != '-')) {
    return std::nullopt;
  }
  int sign = name[3] == '-' ? -1 : 1;
  std::string_view rest = name.substr(4);
  std::size_t pos = 0;
  int h = -1;
  if (rest.size() == 1 || (rest.size() > 1 && rest[1] == ':')) {
    h = read_digits(rest, &pos, 1);
  } else {
    h = read_digits(rest, &pos, 2);
  }
  if (h < 0 || h > 18) return std::nullopt;
  int m = 0;
  if (pos < rest.size()) {
    if (!expect(rest, &pos, ':')) return std::nullopt;
    m = read_digits(rest, &pos, 2);
    if (m < 0 || m > 59 || pos != rest.size()) return std::nullopt;
  }
  return sign * (h * 3600 + m * 60);
}

bool is_tzif(std::string_view data) { return data.size() >= 44 && data.substr(0, 4) == "TZif"; }

// The POSIX TZ rule that ends a version 2+ TZif file ("\nEST5EDT,M3.2.0,M11.1.0\n"); empty when
// there is none. The rule is the file's last line: it cannot itself contain a newline.
std::string_view footer_of(std::string_view data) {
  if (!is_tzif(data) || data[4] < '2' || data.back() != '\n') return {};
  std::size_t start = data.rfind('\n', data.size() - 2);
  return data.substr(start + 1, data.size() - start - 2);
}

// The intervals of a TZif file's transition table (RFC 8536): the 64-bit block of a version 2+
// file, the only block of a version 1 file. Only zones under $TZDIR are read this way: libdate-tz
// cannot be pointed there.
Result<std::vector<Span>> table_of(std::string_view data) {
  auto bad = [](const char* why) { return Status::error(ErrorCode::invalid_argument, why); };
  std::size_t pos = 0;
  auto be = [&](std::size_t bytes) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v = v << 8 | static_cast<unsigned char>(data[pos++]);
    return bytes == 4 ? std::int64_t{static_cast<std::int32_t>(v)} : static_cast<std::int64_t>(v);
  };
  std::size_t isut = 0, isstd = 0, leaps = 0, times = 0, types = 0, chars = 0;
  auto header = [&] {
    if (!is_tzif(data.substr(pos))) return false;
    pos += 20;
    for (std::size_t* count : {&isut, &isstd, &leaps, &times, &types, &chars}) {
      *count = static_cast<std::uint32_t>(be(4));
    }
    return types >= 1 && types <= 256;
  };
  auto fits = [&](std::size_t time_bytes) {
    std::size_t block = times * (time_bytes + 1) + types * 6 + chars + leaps * (time_bytes + 4) +
                        isstd + isut;
    return block <= data.size() - pos;
  };

  if (!header()) return bad("not a TZif file");
  std::size_t time_bytes = 4;
  if (data[4] >= '2') {
    if (!fits(4)) return bad("truncated");
    pos += times * 5 + types * 6 + chars + leaps * 8 + isstd + isut;
    if (!header()) return bad("bad second header");
    time_bytes = 8;
  }
  if (!fits(time_bytes)) return bad("truncated");

  std::vector<std::int64_t> at(times);
  for (auto& t : at) t = be(time_bytes);
  std::vector<std::size_t> type_of(times);
  for (auto& i : type_of) {
    i = static_cast<unsigned char>(data[pos++]);
    if (i >= types) return bad("transition names a missing type");
  }
  std::vector<seconds> offset(types);
  for (auto& o : offset) {
    o = seconds(be(4));
    pos += 2;  // isdst, desigidx
    if (o < -25h || o > 26h) return bad("offset out of range");
  }

  // Before the first transition, local time type 0 applies (RFC 8536 3.2).
  std::vector<Span> spans{{kBeforeAll, kAfterAll, offset[0]}};
  for (std::size_t i = 0; i < times; ++i) {
    if (i > 0 && at[i] <= at[i - 1]) return bad("transitions out of order");
    // A transition outside the representable years (zic's "big bang" at -2^59) only sets the
    // offset of the interval at that end.
    sys_seconds t = std::clamp(sys_seconds{seconds(at[i])}, kBeforeAll, kAfterAll);
    if (t > spans.back().begin) {
      spans.back().end = t;
      spans.emplace_back(t, kAfterAll, offset[type_of[i]]);
    } else {
      spans.back().offset = offset[type_of[i]];
    }
  }
  return spans;
}

}  // namespace

struct TimeZone::Rules {
  // Where the table comes from: the system database through libdate-tz, or a TZif file read
  // above (a zone under $TZDIR).
  const date::time_zone* zone = nullptr;
  std::vector<Span> table;  // ascending, covering all time
  // The file's POSIX rule, for instants after its last transition. libdate-tz ignores it and
  // repeats the last interval forever, which is wrong for daylight-saving zones after 2037 (where
  // zic stops writing transitions); kept only for such zones.
  std::optional<Posix::time_zone> rule;

  Span span(sys_seconds t) const {
    t = std::clamp(t, kBeforeAll, kAfterAll - 1s);
    auto later = [](sys_seconds v, const Span& x) { return v < x.begin; };
    Span s = zone != nullptr
                 ? Span(zone->get_info(t))
                 : *std::prev(std::upper_bound(table.begin(), table.end(), t, later));
    return rule && s.open_ended() ? Span(rule->get_info(t)) : s;
  }
};

Result<TimeZone> TimeZone::load(const std::string& name) {
  if (std::optional<std::int32_t> fixed = fixed_offset(name)) {
    TimeZone tz;
    tz.name_ = name;
    tz.fixed_offset_ = seconds(*fixed);
    return tz;
  }
  if (name.rfind("UTC", 0) == 0 && name.size() > 3 && (name[3] == '+' || name[3] == '-')) {
    return Status::error(ErrorCode::invalid_argument,
                         "time zone " + name + ": expected a fixed offset like UTC+07:00");
  }
  if (!valid_zone_name(name)) {
    return Status::error(ErrorCode::invalid_argument, "time zone \"" + name + "\": not a valid name");
  }

  const char* env = std::getenv("TZDIR");
  std::string dir = env != nullptr && *env != '\0' ? env : kSystemTzDir;
  std::error_code ec;
  const bool from_system_db = std::filesystem::equivalent(dir, kSystemTzDir, ec);
  std::string path = dir + "/" + name;
  auto rules = std::make_shared<Rules>();

  auto unknown = [&] {
    return Status::error(ErrorCode::not_found, "time zone " + name + ": unknown (no " + path + ")");
  };
  if (from_system_db) {
    try {
      rules->zone = date::locate_zone(name);
    } catch (const std::exception&) {
      return unknown();  // not in the database, or no database (tzdata not installed)
    }
  }

  std::ifstream in(path, std::ios::binary);
  if (!in) return unknown();
  std::string data;
  data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  auto bad = [&](const std::string& why) {
    return Status::error(ErrorCode::invalid_argument, "time zone " + name + ": " + path + ": " + why);
  };
  if (in.bad() || data.size() > kMaxTzifBytes) return bad("cannot be read as a TZif file");
  if (!is_tzif(data)) return bad("not a TZif file");

  if (from_system_db) {
    // libdate-tz reads a zone's file on first use and asserts (abort) rather than throws on a bad
    // header, hence the check above; reading it now reports any other failure here, once, and
    // leaves later lookups nothing to fail on.
    try {
      rules->zone->get_info(sys_seconds{});
    } catch (const std::exception& e) {
      return bad(e.what());
    }
  } else {
    Result<std::vector<Span>> table = table_of(data);
    if (!table.is_ok()) return bad(table.status().message());
    rules->table = std::move(*table);
  }

  std::string_view footer = footer_of(data);
  if (footer.find(',') != std::string_view::npos) {  // a rule with daylight saving
    try {
      rules->rule.emplace(footer);
    } catch (const std::exception&) {
      // ptz.h cannot read every rule RFC 8536 allows (America/Nuuk's "M3.5.0/-1": negative
      // times); such a zone keeps its table's last offset after 2037 rather than not loading.
    }
  }

  TimeZone tz;
  tz.name_ = name;
  tz.rules_ = std::move(rules);
  return tz;
}

TimeZone TimeZone::utc() {
  TimeZone tz;
  tz.name_ = "UTC";
  return tz;
}

std::chrono::seconds TimeZone::offset_at(TimePoint t) const {
  if (!rules_) return fixed_offset_;
  return rules_->span(std::chrono::floor<seconds>(t)).offset;
}

Date TimeZone::local_date(TimePoint t) const {
  return Date(std::chrono::floor<days>(t + offset_at(t)));
}

TimePoint TimeZone::start_of_day(Date d) const {
  const sys_seconds midnight{sys_days(d)};  // local midnight, read as if it were UTC
  if (!rules_) return midnight - fixed_offset_;
  // Walk the intervals from one in effect before the day can begin (no offset exceeds 26 h): the
  // day starts in the first one whose local times reach midnight, at midnight if it occurs there,
  // else (a forward jump over midnight) where that interval begins. Two days hold a handful of
  // intervals; the bound only guards against a rule that fails to advance.
  Span span = rules_->span(midnight - 26h);
  for (int i = 0; i < 8; ++i) {
    sys_seconds t = midnight - span.offset;
    if (t < span.begin) return span.begin;
    if (t < span.end) return t;
    span = rules_->span(span.end);
  }
  return midnight - span.offset;
}

int DateRange::days() const { return int((sys_days(to) - sys_days(from)).count()) + 1; }

std::optional<PeriodKind> parse_period_kind(std::string_view text) {
  if (text == "day") return PeriodKind::day;
  if (text == "week") return PeriodKind::week;
  if (text == "month") return PeriodKind::month;
  if (text == "quarter") return PeriodKind::quarter;
  if (text == "6m" || text == "half_year") return PeriodKind::half_year;
  if (text == "9m" || text == "nine_months") return PeriodKind::nine_months;
  if (text == "year") return PeriodKind::year;
  return std::nullopt;
}

DateRange period_containing(PeriodKind kind, Date d) {
  using std::chrono::last;
  using std::chrono::month;
  const std::chrono::year y = d.year();
  auto months = [&](unsigned first, unsigned final) {
    return DateRange{y / month(first) / 1, Date{y / month(final) / last}};
  };
  switch (kind) {
    case PeriodKind::day:
      return {d, d};
    case PeriodKind::week: {
      sys_days day(d);
      unsigned since_monday = std::chrono::weekday(day).iso_encoding() - 1;
      sys_days monday = day - days(since_monday);
      return {Date(monday), Date(monday + days(6))};
    }
    case PeriodKind::month: {
      unsigned m = unsigned(d.month());
      return months(m, m);
    }
    case PeriodKind::quarter: {
      unsigned first = (unsigned(d.month()) - 1) / 3 * 3 + 1;
      return months(first, first + 2);
    }
    case PeriodKind::half_year:
      return unsigned(d.month()) <= 6 ? months(1, 6) : months(7, 12);
    case PeriodKind::nine_months:
      return months(1, 9);
    case PeriodKind::year:
      return months(1, 12);
  }
  return {d, d};
}

DateRange previous_range(const DateRange& r) {
  sys_days to = sys_days(r.from) - days(1);
  sys_days from = to - days(r.days() - 1);
  return {Date(from), Date(to)};
}

}  // namespace sipas
