#include "sipas/time.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace sipas {
namespace {

using namespace std::chrono;
using std::chrono::year;

TimePoint at(const char* text) {
  std::optional<TimePoint> t = parse_rfc3339(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

Date ymd(int y, unsigned m, unsigned d) { return Date{year(y), month(m), day(d)}; }

TimeZone hcm() {
  Result<TimeZone> tz = TimeZone::load("Asia/Ho_Chi_Minh");
  EXPECT_TRUE(tz.is_ok()) << tz.status().to_string();
  return tz.is_ok() ? *tz : TimeZone::utc();
}

TEST(Time, FormatsUtcWithMilliseconds) {
  TimePoint t = sys_days(ymd(2026, 11, 24)) + 1h + 15min + 123ms;
  EXPECT_EQ(format_rfc3339(t), "2026-11-24T01:15:00.123Z");
  EXPECT_EQ(format_rfc3339(TimePoint{}), "1970-01-01T00:00:00.000Z");
}

TEST(Time, FormatsLocalTimeYearOrDayFirstAcrossMidnight) {
  const TimePoint t = *parse_rfc3339("2026-11-24T20:15:42.500Z");
  EXPECT_EQ(format_local(t, std::chrono::hours(7), LocalStyle::year_first), "2026-11-25 03:15");
  EXPECT_EQ(format_local(t, std::chrono::hours(7), LocalStyle::day_first), "03:15 25/11/2026");
  EXPECT_EQ(format_local(t, std::chrono::hours(7), LocalStyle::day_first, true),
            "03:15:42 25/11/2026");
  EXPECT_EQ(format_local(t, std::chrono::seconds(0), LocalStyle::year_first), "2026-11-24 20:15");
}

TEST(Time, ParsesZuluOffsetsAndFractions) {
  TimePoint expected = sys_days(ymd(2026, 11, 24)) + 1h + 15min + 30s;
  EXPECT_EQ(at("2026-11-24T01:15:30Z"), expected);
  EXPECT_EQ(at("2026-11-24T08:15:30+07:00"), expected);
  EXPECT_EQ(at("2026-11-23T21:45:30-03:30"), expected);
  EXPECT_EQ(at("2026-11-24t01:15:30z"), expected);
  EXPECT_EQ(at("2026-11-24T01:15:30.5Z"), expected + 500ms);
  EXPECT_EQ(at("2026-11-24T01:15:30.123Z"), expected + 123ms);
  EXPECT_EQ(at("2026-11-24T01:15:30.123999999Z"), expected + 123ms);
  EXPECT_EQ(at("2026-11-24T08:15:30.25+07:00"), expected + 250ms);
}

TEST(Time, OffsetCrossesDateBoundary) {
  EXPECT_EQ(at("2027-01-01T06:59:59+07:00"), at("2026-12-31T23:59:59Z"));
}

TEST(Time, RoundTripsThroughText) {
  TimePoint t = sys_days(ymd(2028, 2, 29)) + 23h + 59min + 59s + 999ms;
  EXPECT_EQ(parse_rfc3339(format_rfc3339(t)), t);
}

TEST(Time, RejectsMalformedDateTimes) {
  for (const char* bad : {"", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z",
                          "2026-00-10T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-24T24:00:00Z",
                          "2026-11-24T23:60:00Z", "2026-11-24T23:59:60Z", "2026-11-24T01:15:30",
                          "2026-11-24 01:15:30Z", "2026-11-24T01:15Z", "2026-11-24T01:15:30.Z",
                          "2026-11-24T01:15:30+0700", "2026-11-24T01:15:30+24:00",
                          "2026-11-24T01:15:30+07:60", "2026-11-24T01:15:30Zjunk",
                          "26-11-24T01:15:30Z", "2026-1-24T01:15:30Z", "2026-11-24T1:15:30Z",
                          "２026-11-24T01:15:30Z", "garbage"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

TEST(Time, DatesFormatAndParseStrictly) {
  EXPECT_EQ(format_date(ymd(2026, 3, 5)), "2026-03-05");
  EXPECT_EQ(parse_date("2026-03-05"), ymd(2026, 3, 5));
  EXPECT_EQ(parse_date("2024-02-29"), ymd(2024, 2, 29));
  for (const char* bad : {"2026-02-30", "2026-13-01", "2026-3-5", "2026-03-05T00:00:00Z",
                          "2026-03-05 ", "", "20260305"}) {
    EXPECT_FALSE(parse_date(bad).has_value()) << bad;
  }
}

TEST(Time, ManualClockMovesOnlyWhenTold) {
  TimePoint start = at("2026-11-24T00:00:00Z");
  ManualClock clock(start);
  EXPECT_EQ(clock.now(), start);
  clock.advance(1500ms);
  EXPECT_EQ(clock.now(), start + 1500ms);
  clock.set(start - 1h);
  EXPECT_EQ(clock.now(), start - 1h);
}

TEST(Time, ManualClockCopiesShareOneTime) {
  ManualClock a(TimePoint{});
  ManualClock b = a;
  a.advance(5s);
  EXPECT_EQ(b.now(), TimePoint{} + 5s);
}

TEST(Time, ManualClockIsSafeAcrossThreads) {
  ManualClock clock(TimePoint{});
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&clock] {
      for (int k = 0; k < 1000; ++k) clock.advance(1ms);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(clock.now(), TimePoint{} + 4000ms);
}

TEST(Time, SystemClockIsNearTheSystemTime) {
  SystemClock clock;
  auto before = floor<milliseconds>(system_clock::now());
  TimePoint now = clock.now();
  auto after = ceil<milliseconds>(system_clock::now());
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST(TimeZoneTest, HoChiMinhLocalDateAroundMidnight) {
  TimeZone tz = hcm();
  EXPECT_EQ(tz.name(), "Asia/Ho_Chi_Minh");
  // 23:59 local on 24 Nov is 16:59 UTC; 00:01 local on 25 Nov is 17:01 UTC the same UTC day.
  EXPECT_EQ(tz.local_date(at("2026-11-24T16:59:00Z")), ymd(2026, 11, 24));
  EXPECT_EQ(tz.local_date(at("2026-11-24T17:01:00Z")), ymd(2026, 11, 25));
  EXPECT_EQ(tz.local_date(at("2026-11-24T23:59:00+07:00")), ymd(2026, 11, 24));
  EXPECT_EQ(tz.local_date(at("2026-11-25T00:01:00+07:00")), ymd(2026, 11, 25));
  EXPECT_EQ(tz.offset_at(at("2026-11-24T00:00:00Z")), 7h);
}

TEST(TimeZoneTest, HoChiMinhStartOfDay) {
  TimeZone tz = hcm();
  EXPECT_EQ(tz.start_of_day(ymd(2026, 11, 25)), at("2026-11-24T17:00:00Z"));
  EXPECT_EQ(tz.local_date(tz.start_of_day(ymd(2026, 11, 25)) - 1ms), ymd(2026, 11, 24));
}

TEST(TimeZoneTest, HoChiMinhHistoricOffsets) {
  TimeZone tz = hcm();
  // Saigon kept UTC+8 until the end of 1975 (tzdata), UTC+7 since.
  EXPECT_EQ(tz.offset_at(at("1970-06-01T00:00:00Z")), 8h);
  EXPECT_EQ(tz.offset_at(at("2100-06-01T00:00:00Z")), 7h);
}

TEST(TimeZoneTest, FixedOffsets) {
  Result<TimeZone> plus7 = TimeZone::load("UTC+07:00");
  ASSERT_TRUE(plus7.is_ok()) << plus7.status().to_string();
  EXPECT_EQ(plus7->name(), "UTC+07:00");
  EXPECT_EQ(plus7->offset_at(TimePoint{}), 7h);
  EXPECT_EQ(plus7->start_of_day(ymd(2026, 1, 1)), at("2025-12-31T17:00:00Z"));

  Result<TimeZone> minus = TimeZone::load("UTC-03:30");
  ASSERT_TRUE(minus.is_ok());
  EXPECT_EQ(minus->offset_at(TimePoint{}), -(3h + 30min));
  EXPECT_EQ(minus->local_date(at("2026-01-01T03:29:00Z")), ymd(2025, 12, 31));

  Result<TimeZone> utc = TimeZone::load("UTC");
  ASSERT_TRUE(utc.is_ok());
  EXPECT_EQ(utc->offset_at(TimePoint{}), 0s);
  EXPECT_EQ(TimeZone::utc().name(), "UTC");
  EXPECT_EQ(TimeZone::utc().start_of_day(ymd(2026, 1, 1)), at("2026-01-01T00:00:00Z"));
}

TEST(TimeZoneTest, DaylightSavingZoneFollowsItsRulesBeyondTheTableAndAtGaps) {
  Result<TimeZone> ny = TimeZone::load("America/New_York");
  ASSERT_TRUE(ny.is_ok()) << ny.status().to_string();
  EXPECT_EQ(ny->offset_at(at("2026-01-15T12:00:00Z")), -5h);
  EXPECT_EQ(ny->offset_at(at("2026-07-15T12:00:00Z")), -4h);
  // Beyond 2037 the times come from the file's POSIX rule (EST5EDT,M3.2.0,M11.1.0).
  EXPECT_EQ(ny->offset_at(at("2050-07-15T12:00:00Z")), -4h);
  EXPECT_EQ(ny->offset_at(at("2050-12-15T12:00:00Z")), -5h);
  // 2050-03-13 is the second Sunday of March; clocks go forward at 02:00 EST = 07:00 UTC.
  EXPECT_EQ(ny->offset_at(at("2050-03-13T06:59:59Z")), -5h);
  EXPECT_EQ(ny->offset_at(at("2050-03-13T07:00:00Z")), -4h);
}

TEST(TimeZoneTest, StartOfDayWhenMidnightIsSkipped) {
  // America/Havana moves clocks from 00:00 to 01:00 on the second Sunday of March.
  Result<TimeZone> havana = TimeZone::load("America/Havana");
  ASSERT_TRUE(havana.is_ok()) << havana.status().to_string();
  // 2026-03-08: 00:00 CST (UTC-5) becomes 01:00 CDT, so the day begins at 05:00 UTC.
  EXPECT_EQ(havana->start_of_day(ymd(2026, 3, 8)), at("2026-03-08T05:00:00Z"));
  EXPECT_EQ(havana->local_date(at("2026-03-08T05:00:00Z")), ymd(2026, 3, 8));
  EXPECT_EQ(havana->local_date(at("2026-03-08T04:59:59Z")), ymd(2026, 3, 7));
}

TEST(TimeZoneTest, UnknownAndUnsafeNamesAreErrors) {
  Result<TimeZone> unknown = TimeZone::load("Asia/Atlantis");
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_EQ(unknown.status().code(), ErrorCode::not_found);
  EXPECT_NE(unknown.status().message().find("Asia/Atlantis"), std::string::npos);
  for (const char* bad : {"", "../etc/passwd", "/etc/localtime", "Asia/../UTC", "UTC+25:00",
                          "UTC+07:75", "UTC+", "Asia/Ho Chi Minh"}) {
    Result<TimeZone> tz = TimeZone::load(bad);
    EXPECT_FALSE(tz.is_ok()) << bad;
    if (!tz.is_ok()) {
      EXPECT_EQ(tz.status().code(), ErrorCode::invalid_argument) << bad;
    }
  }
}

TEST(TimeZoneTest, BerlinAroundItsDaylightSavingChanges) {
  Result<TimeZone> berlin = TimeZone::load("Europe/Berlin");
  ASSERT_TRUE(berlin.is_ok()) << berlin.status().to_string();
  // 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC; 2026-10-25: back at 01:00 UTC.
  EXPECT_EQ(berlin->offset_at(at("2026-03-29T00:59:59.999Z")), 1h);
  EXPECT_EQ(berlin->offset_at(at("2026-03-29T01:00:00Z")), 2h);
  EXPECT_EQ(berlin->offset_at(at("2026-10-25T00:59:59.999Z")), 2h);
  EXPECT_EQ(berlin->offset_at(at("2026-10-25T01:00:00Z")), 1h);
  EXPECT_EQ(berlin->local_date(at("2026-07-01T21:59:59.999Z")), ymd(2026, 7, 1));
  EXPECT_EQ(berlin->local_date(at("2026-07-01T22:00:00Z")), ymd(2026, 7, 2));
  // Midnight itself is untouched: the day of the change is 23 (or 25) hours long.
  EXPECT_EQ(berlin->start_of_day(ymd(2026, 3, 29)), at("2026-03-28T23:00:00Z"));
  EXPECT_EQ(berlin->start_of_day(ymd(2026, 3, 30)), at("2026-03-29T22:00:00Z"));
  EXPECT_EQ(berlin->start_of_day(ymd(2026, 10, 25)), at("2026-10-24T22:00:00Z"));
  EXPECT_EQ(berlin->start_of_day(ymd(2026, 10, 26)), at("2026-10-25T23:00:00Z"));
}

TEST(TimeZoneTest, RulesHoldBeyondTheTableInBothHemispheres) {
  // Debian's zone files list transitions up to 2037; later ones come from each file's rule.
  Result<TimeZone> berlin = TimeZone::load("Europe/Berlin");
  Result<TimeZone> sydney = TimeZone::load("Australia/Sydney");
  Result<TimeZone> havana = TimeZone::load("America/Havana");
  ASSERT_TRUE(berlin.is_ok() && sydney.is_ok() && havana.is_ok());
  // CET-1CEST,M3.5.0,M10.5.0/3: 2050-03-27 and 2050-10-30 are the last Sundays.
  EXPECT_EQ(berlin->offset_at(at("2050-03-27T00:59:59Z")), 1h);
  EXPECT_EQ(berlin->offset_at(at("2050-03-27T01:00:00Z")), 2h);
  EXPECT_EQ(berlin->offset_at(at("2050-10-30T00:59:59Z")), 2h);
  EXPECT_EQ(berlin->offset_at(at("2050-10-30T01:00:00Z")), 1h);
  EXPECT_EQ(berlin->start_of_day(ymd(2050, 3, 28)), at("2050-03-27T22:00:00Z"));
  // AEST-10AEDT,M10.1.0,M4.1.0/3: summer time spans the new year; it ends 2045-04-02 03:00.
  EXPECT_EQ(sydney->offset_at(at("2045-01-15T00:00:00Z")), 11h);
  EXPECT_EQ(sydney->offset_at(at("2045-07-15T00:00:00Z")), 10h);
  EXPECT_EQ(sydney->offset_at(at("2045-04-01T15:59:59Z")), 11h);
  EXPECT_EQ(sydney->offset_at(at("2045-04-01T16:00:00Z")), 10h);
  // Havana still skips midnight in March 2050 (second Sunday, the 13th).
  EXPECT_EQ(havana->start_of_day(ymd(2050, 3, 13)), at("2050-03-13T05:00:00Z"));
}

TEST(TimeZoneTest, StartOfDayTakesTheEarlierMidnightWhenClocksGoBackOverIt) {
  // America/Havana, 2026-11-01: 01:00 CDT becomes 00:00 CST, so the local clock shows midnight
  // at 04:00 and again at 05:00 UTC.
  Result<TimeZone> havana = TimeZone::load("America/Havana");
  ASSERT_TRUE(havana.is_ok()) << havana.status().to_string();
  EXPECT_EQ(havana->start_of_day(ymd(2026, 11, 1)), at("2026-11-01T04:00:00Z"));
  EXPECT_EQ(havana->local_date(at("2026-11-01T03:59:59.999Z")), ymd(2026, 10, 31));
  EXPECT_EQ(havana->local_date(at("2026-11-01T05:30:00Z")), ymd(2026, 11, 1));
  EXPECT_EQ(havana->start_of_day(ymd(2026, 11, 2)), at("2026-11-02T05:00:00Z"));
}

TEST(TimeZoneTest, UnknownZoneErrorNamesTheZoneOnOneLine) {
  Result<TimeZone> tz = TimeZone::load("Europe/Atlantis");
  ASSERT_FALSE(tz.is_ok());
  EXPECT_EQ(tz.status().code(), ErrorCode::not_found);
  const std::string& message = tz.status().message();
  EXPECT_EQ(message.rfind("time zone Europe/Atlantis: unknown", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(TimeZoneTest, ZoneWithARuleTheLibraryCannotReadStillLoads) {
  // America/Nuuk's rule (<-02>2<-01>,M3.5.0/-1,M10.5.0/0) has a negative time of day, which the
  // date library's POSIX reader rejects; the zone loads and is right within its table.
  Result<TimeZone> nuuk = TimeZone::load("America/Nuuk");
  ASSERT_TRUE(nuuk.is_ok()) << nuuk.status().to_string();
  EXPECT_EQ(nuuk->offset_at(at("2026-01-15T00:00:00Z")), -2h);
  EXPECT_EQ(nuuk->offset_at(at("2026-07-15T00:00:00Z")), -1h);
}

TEST(TimeZoneTest, LoadsAndLookupsFromManyThreads) {
  // In a process of its own (ctest), the first load also reads the tz database: the threads race
  // to it.
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&wrong] {
      for (const char* name : {"Europe/Berlin", "Asia/Ho_Chi_Minh", "America/Havana"}) {
        Result<TimeZone> tz = TimeZone::load(name);
        if (!tz.is_ok()) {
          ++wrong;
          continue;
        }
        TimeZone copy = *tz;
        for (int day = 1; day <= 31; ++day) {
          Date d = ymd(2026, 3, static_cast<unsigned>(day));
          if (copy.local_date(copy.start_of_day(d)) != d) ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

class TzdirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sipas-tzdir-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(dir_ / "Test");
    const char* old = std::getenv("TZDIR");
    if (old != nullptr) old_tzdir_ = old;
    setenv("TZDIR", dir_.c_str(), 1);
  }
  void TearDown() override {
    if (old_tzdir_) {
      setenv("TZDIR", old_tzdir_->c_str(), 1);
    } else {
      unsetenv("TZDIR");
    }
    std::filesystem::remove_all(dir_);
  }
  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }

  std::filesystem::path dir_;
  std::optional<std::string> old_tzdir_;
};

std::string be32(std::int32_t v) {
  auto u = static_cast<std::uint32_t>(v);
  return {char(u >> 24), char(u >> 16 & 0xff), char(u >> 8 & 0xff), char(u & 0xff)};
}

// A version 1 TZif file: UTC+2 until 2000-01-01T00:00:00Z, UTC+3 after.
std::string tzif_v1() {
  std::string s = "TZif";
  s += '\0';
  s += std::string(15, '\0');
  s += be32(0) + be32(0) + be32(0) + be32(1) + be32(2) + be32(4);  // 1 transition, 2 types
  s += be32(946684800);
  s += '\x01';
  s += be32(7200) + '\0' + '\0';
  s += be32(10800) + '\0' + '\x02';
  s += std::string("AA\0B", 4);
  return s;
}

TEST_F(TzdirTest, ReadsVersionOneFilesFromTzdir) {
  write("Test/Zone", tzif_v1());
  Result<TimeZone> tz = TimeZone::load("Test/Zone");
  ASSERT_TRUE(tz.is_ok()) << tz.status().to_string();
  EXPECT_EQ(tz->offset_at(at("1999-12-31T23:59:59Z")), 2h);
  EXPECT_EQ(tz->offset_at(at("2000-01-01T00:00:00Z")), 3h);
  EXPECT_EQ(tz->start_of_day(ymd(2000, 1, 2)), at("2000-01-01T21:00:00Z"));
}

TEST_F(TzdirTest, ReadsVersionTwoFilesAndTheirRuleFromTzdir) {
  std::ifstream in("/usr/share/zoneinfo/America/New_York", std::ios::binary);
  ASSERT_TRUE(in) << "tzdata is not installed";
  write("Test/New_York", std::string(std::istreambuf_iterator<char>(in), {}));
  Result<TimeZone> tz = TimeZone::load("Test/New_York");
  ASSERT_TRUE(tz.is_ok()) << tz.status().to_string();
  EXPECT_EQ(tz->offset_at(at("1970-01-01T00:00:00Z")), -5h);
  EXPECT_EQ(tz->offset_at(at("2026-07-15T12:00:00Z")), -4h);
  EXPECT_EQ(tz->offset_at(at("2050-03-13T06:59:59Z")), -5h);
  EXPECT_EQ(tz->offset_at(at("2050-03-13T07:00:00Z")), -4h);
  EXPECT_EQ(tz->start_of_day(ymd(2050, 11, 6)), at("2050-11-06T04:00:00Z"));
}

TEST_F(TzdirTest, RejectsFilesThatAreNotTzif) {
  write("Test/Text", "not a zone file at all, just text that is long enough to have a header..");
  std::string truncated = tzif_v1();
  truncated.resize(truncated.size() - 10);
  write("Test/Short", truncated);
  for (const char* name : {"Test/Text", "Test/Short"}) {
    Result<TimeZone> tz = TimeZone::load(name);
    ASSERT_FALSE(tz.is_ok()) << name;
    EXPECT_EQ(tz.status().code(), ErrorCode::invalid_argument) << name;
  }
}

TEST(Periods, DayDaysAndParse) {
  DateRange d = period_containing(PeriodKind::day, ymd(2026, 11, 24));
  EXPECT_EQ(d, (DateRange{ymd(2026, 11, 24), ymd(2026, 11, 24)}));
  EXPECT_EQ(d.days(), 1);
  EXPECT_EQ(parse_period_kind("day"), PeriodKind::day);
  EXPECT_EQ(parse_period_kind("week"), PeriodKind::week);
  EXPECT_EQ(parse_period_kind("month"), PeriodKind::month);
  EXPECT_EQ(parse_period_kind("quarter"), PeriodKind::quarter);
  EXPECT_EQ(parse_period_kind("6m"), PeriodKind::half_year);
  EXPECT_EQ(parse_period_kind("9m"), PeriodKind::nine_months);
  EXPECT_EQ(parse_period_kind("year"), PeriodKind::year);
  EXPECT_FALSE(parse_period_kind("fortnight").has_value());
}

TEST(Periods, IsoWeekRunsMondayToSunday) {
  // 2026-11-24 is a Tuesday.
  EXPECT_EQ(period_containing(PeriodKind::week, ymd(2026, 11, 24)),
            (DateRange{ymd(2026, 11, 23), ymd(2026, 11, 29)}));
  EXPECT_EQ(period_containing(PeriodKind::week, ymd(2026, 11, 23)),
            (DateRange{ymd(2026, 11, 23), ymd(2026, 11, 29)}));
  EXPECT_EQ(period_containing(PeriodKind::week, ymd(2026, 11, 29)),
            (DateRange{ymd(2026, 11, 23), ymd(2026, 11, 29)}));
}

TEST(Periods, IsoWeekOverAYearEnd) {
  // 2026-01-01 is a Thursday: ISO week 1 of 2026 runs 2025-12-29 .. 2026-01-04.
  DateRange expected{ymd(2025, 12, 29), ymd(2026, 1, 4)};
  EXPECT_EQ(period_containing(PeriodKind::week, ymd(2025, 12, 29)), expected);
  EXPECT_EQ(period_containing(PeriodKind::week, ymd(2025, 12, 31)), expected);
  EXPECT_EQ(period_containing(PeriodKind::week, ymd(2026, 1, 4)), expected);
  EXPECT_EQ(period_containing(PeriodKind::week, ymd(2026, 1, 5)),
            (DateRange{ymd(2026, 1, 5), ymd(2026, 1, 11)}));
}

TEST(Periods, MonthIncludesLeapDay) {
  EXPECT_EQ(period_containing(PeriodKind::month, ymd(2028, 2, 10)),
            (DateRange{ymd(2028, 2, 1), ymd(2028, 2, 29)}));
  EXPECT_EQ(period_containing(PeriodKind::month, ymd(2026, 2, 28)).days(), 28);
}

TEST(Periods, QuarterEndsOnItsLastDay) {
  EXPECT_EQ(period_containing(PeriodKind::quarter, ymd(2026, 3, 31)),
            (DateRange{ymd(2026, 1, 1), ymd(2026, 3, 31)}));
  EXPECT_EQ(period_containing(PeriodKind::quarter, ymd(2026, 4, 1)),
            (DateRange{ymd(2026, 4, 1), ymd(2026, 6, 30)}));
  EXPECT_EQ(period_containing(PeriodKind::quarter, ymd(2026, 9, 30)),
            (DateRange{ymd(2026, 7, 1), ymd(2026, 9, 30)}));
  EXPECT_EQ(period_containing(PeriodKind::quarter, ymd(2026, 12, 31)),
            (DateRange{ymd(2026, 10, 1), ymd(2026, 12, 31)}));
}

TEST(Periods, HalfYear) {
  EXPECT_EQ(period_containing(PeriodKind::half_year, ymd(2026, 6, 30)),
            (DateRange{ymd(2026, 1, 1), ymd(2026, 6, 30)}));
  EXPECT_EQ(period_containing(PeriodKind::half_year, ymd(2026, 7, 1)),
            (DateRange{ymd(2026, 7, 1), ymd(2026, 12, 31)}));
}

TEST(Periods, NineMonthsRunJanuaryToSeptember) {
  DateRange expected{ymd(2026, 1, 1), ymd(2026, 9, 30)};
  EXPECT_EQ(period_containing(PeriodKind::nine_months, ymd(2026, 1, 1)), expected);
  EXPECT_EQ(period_containing(PeriodKind::nine_months, ymd(2026, 9, 30)), expected);
  EXPECT_EQ(period_containing(PeriodKind::nine_months, ymd(2026, 11, 24)), expected);
  EXPECT_EQ(expected.days(), 273);
}

TEST(Periods, Year) {
  DateRange y = period_containing(PeriodKind::year, ymd(2028, 7, 4));
  EXPECT_EQ(y, (DateRange{ymd(2028, 1, 1), ymd(2028, 12, 31)}));
  EXPECT_EQ(y.days(), 366);
}

TEST(Periods, PreviousRangeHasTheSameLengthAndEndsTheDayBefore) {
  EXPECT_EQ(previous_range({ymd(2026, 11, 24), ymd(2026, 11, 24)}),
            (DateRange{ymd(2026, 11, 23), ymd(2026, 11, 23)}));
  EXPECT_EQ(previous_range({ymd(2026, 1, 5), ymd(2026, 1, 11)}),
            (DateRange{ymd(2025, 12, 29), ymd(2026, 1, 4)}));
  // A 90-day quarter (Q1 2026) is preceded by the 90 days ending 2025-12-31.
  EXPECT_EQ(previous_range({ymd(2026, 1, 1), ymd(2026, 3, 31)}),
            (DateRange{ymd(2025, 10, 3), ymd(2025, 12, 31)}));
  EXPECT_EQ(previous_range({ymd(2024, 3, 1), ymd(2024, 3, 2)}),
            (DateRange{ymd(2024, 2, 28), ymd(2024, 2, 29)}));
}

}  // namespace
}  // namespace sipas
