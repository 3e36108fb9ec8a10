#include "sipas/time.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>

namespace sipas {

using std::chrono::days;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::sys_days;

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

constexpr std::int64_t kSecondsPerDay = 86400;
// Rules from a TZif footer are expanded into explicit transitions up to this year.
constexpr int kLastExpandedYear = 2200;

std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  return sys_days(Date{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)})
      .time_since_epoch()
      .count();
}

int year_of(std::int64_t utc_seconds) {
  auto day = sys_days(days(utc_seconds >= 0 ? utc_seconds / kSecondsPerDay
                                            : -((-utc_seconds + kSecondsPerDay - 1) /
                                                kSecondsPerDay)));
  return int(Date(day).year());
}

bool is_leap(int y) { return std::chrono::year(y).is_leap(); }

// A POSIX TZ string as found in a TZif footer, e.g. "EST5EDT,M3.2.0,M11.1.0" or "<+07>-7".
class PosixRule {
 public:
  bool parse(std::string_view s) {
    text_ = s;
    pos_ = 0;
    if (!name() || !offset(&std_offset_)) return false;
    std_offset_ = -std_offset_;  // POSIX counts west as positive
    if (pos_ == text_.size()) return true;
    if (!name()) return false;
    has_dst_ = true;
    dst_offset_ = std_offset_ + 3600;
    if (pos_ < text_.size() && text_[pos_] != ',') {
      std::int32_t o = 0;
      if (!offset(&o)) return false;
      dst_offset_ = -o;
    }
    if (pos_ == text_.size()) {
      // No rule: POSIX leaves it to the implementation; the US rule is the usual choice.
      start_ = {DateRule::month_week_day, 3, 2, 0, 7200};
      end_ = {DateRule::month_week_day, 11, 1, 0, 7200};
      return true;
    }
    return expect(',') && date_rule(&start_) && expect(',') && date_rule(&end_) &&
           pos_ == text_.size();
  }

  std::int32_t std_offset() const { return std_offset_; }
  bool has_dst() const { return has_dst_; }

  // The transitions of `year`, unsorted: DST start then end.
  void transitions(int year, std::vector<std::pair<std::int64_t, std::int32_t>>* out) const {
    std::int64_t start_local = day_of(start_, year) * kSecondsPerDay + start_.time;
    std::int64_t end_local = day_of(end_, year) * kSecondsPerDay + end_.time;
    out->emplace_back(start_local - std_offset_, dst_offset_);
    out->emplace_back(end_local - dst_offset_, std_offset_);
  }

 private:
  struct DateRule {
    enum Kind { julian_no_leap, zero_based, month_week_day } kind = month_week_day;
    int a = 0, b = 0, c = 0;  // Jn: a=n; n: a=n; Mm.w.d: a=m, b=w, c=d
    std::int32_t time = 7200;
  };

  bool expect(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  bool name() {
    if (pos_ < text_.size() && text_[pos_] == '<') {
      std::size_t close = text_.find('>', pos_);
      if (close == std::string_view::npos) return false;
      pos_ = close + 1;
      return true;
    }
    std::size_t start = pos_;
    while (pos_ < text_.size() && ((text_[pos_] >= 'A' && text_[pos_] <= 'Z') ||
                                   (text_[pos_] >= 'a' && text_[pos_] <= 'z'))) {
      ++pos_;
    }
    return pos_ - start >= 3;
  }

  bool number(int* out, int max) {
    std::size_t start = pos_;
    int v = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9' && pos_ - start < 4) {
      v = v * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    if (pos_ == start || v > max) return false;
    *out = v;
    return true;
  }

  // [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536 extension for rule times).
  bool offset(std::int32_t* out) {
    int sign = 1;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
      sign = text_[pos_] == '-' ? -1 : 1;
      ++pos_;
    }
    int h = 0, m = 0, s = 0;
    if (!number(&h, 167)) return false;
    if (pos_ < text_.size() && text_[pos_] == ':') {
      ++pos_;
      if (!number(&m, 59)) return false;
      if (pos_ < text_.size() && text_[pos_] == ':') {
        ++pos_;
        if (!number(&s, 59)) return false;
      }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
  }

  bool date_rule(DateRule* r) {
    if (pos_ < text_.size() && text_[pos_] == 'J') {
      ++pos_;
      r->kind = DateRule::julian_no_leap;
      if (!number(&r->a, 365) || r->a < 1) return false;
    } else if (pos_ < text_.size() && text_[pos_] == 'M') {
      ++pos_;
      r->kind = DateRule::month_week_day;
      if (!number(&r->a, 12) || r->a < 1 || !expect('.') || !number(&r->b, 5) || r->b < 1 ||
          !expect('.') || !number(&r->c, 6)) {
        return false;
      }
    } else {
      r->kind = DateRule::zero_based;
      if (!number(&r->a, 365)) return false;
    }
    r->time = 7200;
    if (pos_ < text_.size() && text_[pos_] == '/') {
      ++pos_;
      if (!offset(&r->time)) return false;
    }
    return true;
  }

  // Days since the epoch of the rule's date in `year`.
  static std::int64_t day_of(const DateRule& r, int year) {
    std::int64_t jan1 = days_from_civil(year, 1, 1);
    switch (r.kind) {
      case DateRule::julian_no_leap: {
        std::int64_t d = r.a - 1;
        if (is_leap(year) && r.a >= 60) ++d;  // Jn never counts Feb 29
        return jan1 + d;
      }
      case DateRule::zero_based:
        return jan1 + r.a;
      case DateRule::month_week_day: {
        std::int64_t first = days_from_civil(year, unsigned(r.a), 1);
        // 1970-01-01 was a Thursday (4).
        int first_wday = int(((first % 7) + 7 + 4) % 7);
        std::int64_t d = first + (r.c - first_wday + 7) % 7 + 7 * (r.b - 1);
        auto last = Date{std::chrono::year(year) / std::chrono::month(unsigned(r.a)) /
                         std::chrono::last};
        std::int64_t last_day = sys_days(last).time_since_epoch().count();
        while (d > last_day) d -= 7;
        return d;
      }
    }
    return jan1;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::int32_t std_offset_ = 0;
  std::int32_t dst_offset_ = 0;
  bool has_dst_ = false;
  DateRule start_, end_;
};

class ByteReader {
 public:
  explicit ByteReader(const std::string& data) : data_(data) {}
  bool has(std::size_t n) const { return pos_ <= data_.size() && data_.size() - pos_ >= n; }
  std::size_t pos() const { return pos_; }
  void skip(std::size_t n) { pos_ += n; }
  std::uint8_t u8() { return static_cast<std::uint8_t>(data_[pos_++]); }
  std::int64_t be(int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = v << 8 | u8();
    if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    return static_cast<std::int64_t>(v);
  }

 private:
  const std::string& data_;
  std::size_t pos_ = 0;
};

struct TzifHeader {
  char version = 0;
  std::size_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

bool read_header(ByteReader* r, TzifHeader* h) {
  if (!r->has(44)) return false;
  if (r->u8() != 'T' || r->u8() != 'Z' || r->u8() != 'i' || r->u8() != 'f') return false;
  h->version = static_cast<char>(r->u8());
  r->skip(15);
  h->isutcnt = static_cast<std::uint32_t>(r->be(4));
  h->isstdcnt = static_cast<std::uint32_t>(r->be(4));
  h->leapcnt = static_cast<std::uint32_t>(r->be(4));
  h->timecnt = static_cast<std::uint32_t>(r->be(4));
  h->typecnt = static_cast<std::uint32_t>(r->be(4));
  h->charcnt = static_cast<std::uint32_t>(r->be(4));
  return h->typecnt >= 1 && h->typecnt <= 256 && h->timecnt <= 100000 && h->leapcnt <= 100000 &&
         h->charcnt <= 100000 && h->isutcnt <= 256 && h->isstdcnt <= 256;
}

std::size_t block_size(const TzifHeader& h, int time_bytes) {
  return h.timecnt * time_bytes + h.timecnt + h.typecnt * 6 + h.charcnt +
         h.leapcnt * (time_bytes + 4) + h.isstdcnt + h.isutcnt;
}

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

}  // namespace

Result<TimeZone> TimeZone::load(const std::string& name) {
  if (std::optional<std::int32_t> fixed = fixed_offset(name)) {
    TimeZone tz;
    tz.name_ = name;
    tz.initial_offset_ = *fixed;
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
  std::string dir = env != nullptr && *env != '\0' ? env : "/usr/share/zoneinfo";
  std::string path = dir + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::error(ErrorCode::not_found, "time zone " + name + ": unknown (no " + path + ")");
  }
  std::string data;
  constexpr std::size_t kMaxTzifBytes = 1 << 20;
  data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  auto bad = [&](const char* why) {
    return Status::error(ErrorCode::invalid_argument, "time zone " + name + ": " + path + ": " + why);
  };
  if (in.bad() || data.size() > kMaxTzifBytes) return bad("cannot be read as a TZif file");

  ByteReader r(data);
  TzifHeader h;
  if (!read_header(&r, &h)) return bad("not a TZif file");
  int time_bytes = 4;
  if (h.version >= '2') {
    if (!r.has(block_size(h, 4))) return bad("truncated");
    r.skip(block_size(h, 4));
    if (!read_header(&r, &h)) return bad("bad second header");
    time_bytes = 8;
  }
  if (!r.has(block_size(h, time_bytes))) return bad("truncated");

  std::vector<std::int64_t> times(h.timecnt);
  for (auto& t : times) t = r.be(time_bytes);
  std::vector<std::uint8_t> type_of(h.timecnt);
  for (auto& i : type_of) {
    i = r.u8();
    if (i >= h.typecnt) return bad("transition names a missing type");
  }
  std::vector<std::int32_t> offsets(h.typecnt);
  for (auto& o : offsets) {
    o = static_cast<std::int32_t>(r.be(4));
    r.skip(2);  // isdst, desigidx
    if (o < -25 * 3600 || o > 26 * 3600) return bad("offset out of range");
  }
  r.skip(h.charcnt + h.leapcnt * (time_bytes + 4) + h.isstdcnt + h.isutcnt);

  TimeZone tz;
  tz.name_ = name;
  tz.initial_offset_ = offsets[0];
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (i > 0 && times[i] <= times[i - 1]) return bad("transitions out of order");
    tz.transitions_.push_back({times[i], offsets[type_of[i]]});
  }

  if (time_bytes == 8 && r.has(1) && r.u8() == '\n') {
    std::size_t start = r.pos();
    std::size_t end = data.find('\n', start);
    if (end == std::string::npos) return bad("unterminated footer");
    std::string_view footer(data.data() + start, end - start);
    PosixRule rule;
    if (!footer.empty()) {
      if (!rule.parse(footer)) return bad("footer rule not understood");
      std::int64_t last_at = tz.transitions_.empty() ? INT64_MIN : tz.transitions_.back().at;
      std::int32_t last_offset =
          tz.transitions_.empty() ? tz.initial_offset_ : tz.transitions_.back().offset;
      if (!rule.has_dst()) {
        if (tz.transitions_.empty()) {
          tz.initial_offset_ = rule.std_offset();
        } else if (rule.std_offset() != last_offset) {
          tz.transitions_.push_back({last_at + 1, rule.std_offset()});
        }
      } else {
        std::vector<std::pair<std::int64_t, std::int32_t>> extra;
        int first_year = tz.transitions_.empty() ? 1970 : year_of(last_at);
        for (int y = first_year; y <= kLastExpandedYear; ++y) rule.transitions(y, &extra);
        std::stable_sort(extra.begin(), extra.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& [at, offset] : extra) {
          if (at <= last_at) continue;
          // Two rule transitions at one instant (all-year DST): the later-listed one stands.
          if (!tz.transitions_.empty() && tz.transitions_.back().at == at) {
            tz.transitions_.back().offset = offset;
          } else {
            tz.transitions_.push_back({at, offset});
          }
        }
      }
    }
  }
  return tz;
}

TimeZone TimeZone::utc() {
  TimeZone tz;
  tz.name_ = "UTC";
  return tz;
}

std::chrono::seconds TimeZone::offset_at(TimePoint t) const {
  std::int64_t s = std::chrono::floor<seconds>(t).time_since_epoch().count();
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), s,
                             [](std::int64_t v, const Transition& tr) { return v < tr.at; });
  if (it == transitions_.begin()) return seconds(initial_offset_);
  return seconds(std::prev(it)->offset);
}

Date TimeZone::local_date(TimePoint t) const {
  return Date(std::chrono::floor<days>(t + offset_at(t)));
}

TimePoint TimeZone::start_of_day(Date d) const {
  const std::int64_t midnight = sys_days(d).time_since_epoch().count() * kSecondsPerDay;
  auto at = [](std::int64_t s) { return TimePoint(seconds(s)); };

  // Offsets that could be in effect at local midnight: the one before and each one from a
  // transition within two days of it.
  std::vector<std::int32_t> candidates;
  auto lo = std::lower_bound(
      transitions_.begin(), transitions_.end(), midnight - 2 * kSecondsPerDay,
      [](const Transition& tr, std::int64_t v) { return tr.at < v; });
  candidates.push_back(lo == transitions_.begin() ? initial_offset_ : std::prev(lo)->offset);
  auto hi = lo;
  for (; hi != transitions_.end() && hi->at <= midnight + 2 * kSecondsPerDay; ++hi) {
    candidates.push_back(hi->offset);
  }

  std::optional<std::int64_t> best;
  for (std::int32_t off : candidates) {
    std::int64_t t = midnight - off;
    if (offset_at(at(t)).count() == off && (!best || t < *best)) best = t;
  }
  if (best) return at(*best);

  // Local midnight does not exist (a forward jump over it): the day starts at the jump.
  for (auto it = lo; it != hi; ++it) {
    std::int32_t before = it == transitions_.begin() ? initial_offset_ : std::prev(it)->offset;
    if (it->at + before < midnight && it->at + it->offset >= midnight) return at(it->at);
  }
  return at(midnight - candidates.front());
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
