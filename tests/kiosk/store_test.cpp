// The kiosk's StoreSink and `generate` against real SQLite files.
#include <algorithm>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "generate.hpp"
#include "kiosk_test_support.hpp"
#include "store_sink.hpp"
#include "temp_dir.hpp"

namespace sipas {
namespace {

using namespace std::chrono_literals;

TimePoint noon() {
  return TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 5h;
}

ResponseDraft draft(const std::string& dossier, TimePoint at) {
  ResponseDraft d;
  d.survey_id = "short";
  d.unit = "22.PVHCC";
  d.counter = "q1";
  d.dossier = dossier;
  d.started_at = at - 20s;
  d.submitted_at = at;
  d.answers = {{"officer.polite", 4}};
  return d;
}

TEST(StoreSink, AppendIsDurableAndNotifies) {
  test::TempDir dir;
  StoreSink sink((dir / "k.db").string());
  ASSERT_TRUE(sink.open().is_ok());
  int notified = 0;
  sink.set_on_appended([&] { ++notified; });
  ASSERT_TRUE(sink.append(draft("D-1", noon())).is_ok());
  EXPECT_EQ(notified, 1);
  auto reopened = ResponseStore::open((dir / "k.db").string());
  ASSERT_TRUE(reopened.is_ok());
  EXPECT_EQ(*(*reopened)->last_seq(), 1);
}

TEST(StoreSink, DossierUsedLooksAtTheGivenRange) {
  test::TempDir dir;
  StoreSink sink((dir / "k.db").string());
  ASSERT_TRUE(sink.open().is_ok());
  ASSERT_TRUE(sink.append(draft("D-1", noon())).is_ok());
  EXPECT_TRUE(*sink.dossier_used("D-1", noon() - 1h, noon() + 1h));
  EXPECT_FALSE(*sink.dossier_used("D-2", noon() - 1h, noon() + 1h));
  EXPECT_FALSE(*sink.dossier_used("D-1", noon() + 1h, noon() + 2h));
}

TEST(StoreSink, AnUnopenableDatabaseFailsAndRecoversWhenItBecomesUsable) {
  test::TempDir dir;
  const auto path = dir / "sub" / "k.db";
  StoreSink sink(path.string());
  EXPECT_FALSE(sink.open().is_ok());
  EXPECT_FALSE(sink.append(draft("D-1", noon())).is_ok());
  EXPECT_FALSE(sink.recover().is_ok());
  std::filesystem::create_directories(dir / "sub");
  EXPECT_TRUE(sink.recover().is_ok());
  EXPECT_TRUE(sink.append(draft("D-1", noon())).is_ok());
}

TEST(Generate, WritesPlausibleResponsesThroughTheStore) {
  test::TempDir dir;
  auto store = ResponseStore::open((dir / "k.db").string());
  ASSERT_TRUE(store.is_ok());
  KioskConfig config = testing::test_config(testing::short_survey());
  config.counters.push_back(Counter{"q2", "Quầy 2", {Officer{"o2", "Trần Văn Minh"}}});
  const TimePoint now = noon();
  auto n = generate_responses(config, **store, {300, 14, 7}, now, TimeZone::utc());
  ASSERT_TRUE(n.is_ok()) << n.status().message();
  EXPECT_EQ(*n, 300);
  auto all = (*store)->responses_between(now - std::chrono::days(15), now + 1ms);
  ASSERT_TRUE(all.is_ok());
  ASSERT_EQ(all->size(), 300u);
  int partial = 0, low = 0, with_reasons = 0, comments = 0;
  std::set<std::string> counters;
  TimePoint previous{};
  for (const Response& r : *all) {
    EXPECT_GE(r.submitted_at, previous);
    previous = r.submitted_at;
    EXPECT_LE(r.submitted_at, now);
    EXPECT_GE(r.submitted_at, now - std::chrono::days(14));
    EXPECT_LT(r.started_at, r.submitted_at);
    counters.insert(r.counter);
    if (r.status == ResponseStatus::partial) ++partial;
    EXPECT_FALSE(r.answers.empty());
    const bool is_low = std::any_of(r.answers.begin(), r.answers.end(),
                                    [](const Answer& a) { return a.value && *a.value <= 2; });
    if (is_low) ++low;
    if (!r.reasons.empty()) {
      ++with_reasons;
      EXPECT_TRUE(is_low) << "reasons only follow a low rating";
    }
    if (r.comment) ++comments;
  }
  EXPECT_GT(partial, 5);
  EXPECT_LT(partial, 60);
  EXPECT_GT(low, 5);
  EXPECT_LT(low, 150);
  EXPECT_EQ(with_reasons, low);
  EXPECT_GT(comments, 0);
  EXPECT_EQ(counters.size(), 2u);
}

// Just after midnight every office hour of the day is still ahead: the day's responses must stay
// on that day, not spill into the day before, or a staff screen's "today" comes up short.
TEST(Generate, JustAfterMidnightTheDaysResponsesStayOnThatDay) {
  test::TempDir dir;
  auto store = ResponseStore::open((dir / "k.db").string());
  ASSERT_TRUE(store.is_ok());
  KioskConfig config = testing::test_config(testing::short_survey());
  const TimePoint midnight{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)};
  const TimePoint now = midnight + 10min;
  ASSERT_TRUE(generate_responses(config, **store, {50, 1, 3}, now, TimeZone::utc()).is_ok());
  auto all = (*store)->responses_between(midnight - std::chrono::days(2), now + 1ms);
  ASSERT_TRUE(all.is_ok());
  ASSERT_EQ(all->size(), 50u);
  for (const Response& r : *all) {
    EXPECT_GE(r.submitted_at, midnight);
    EXPECT_LE(r.submitted_at, now);
  }
}

TEST(Generate, PicksProceduresFromEachCountersList) {
  test::TempDir dir;
  auto store = ResponseStore::open((dir / "k.db").string());
  ASSERT_TRUE(store.is_ok());
  KioskConfig config = testing::test_config(testing::short_survey());
  config.procedures = {Procedure{"1.004227", testing::lt("Đăng ký biến động đất đai")},
                       Procedure{"1.004232", testing::lt("Cấp Giấy chứng nhận lần đầu")},
                       Procedure{"1.009974", testing::lt("Cấp giấy phép xây dựng")}};
  config.counters[0].procedures = {"1.004227", "1.004232"};
  config.counters.push_back(Counter{"q2", "Quầy 2", {Officer{"o2", "Trần Văn Minh"}}});
  config.counters.push_back(Counter{"q4", "Quầy 4", {Officer{"o4", "Đỗ Mạnh Cường"}}});
  config.counters[2].procedures = {"1.009974"};
  ASSERT_TRUE(generate_responses(config, **store, {300, 7, 5}, noon(), TimeZone::utc()).is_ok());
  auto all = (*store)->responses_between(noon() - std::chrono::days(8), noon() + 1ms);
  ASSERT_TRUE(all.is_ok());
  ASSERT_EQ(all->size(), 300u);
  std::map<std::string, int> q1;
  for (const Response& r : *all) {
    if (r.counter == "q1") {
      ++q1[r.procedure.value_or("")];
      if (r.procedure) {
        EXPECT_TRUE(*r.procedure == "1.004227" || *r.procedure == "1.004232") << *r.procedure;
      }
    } else if (r.counter == "q2") {
      EXPECT_FALSE(r.procedure.has_value()) << "q2 lists no procedures";
    } else {
      EXPECT_EQ(r.procedure, std::optional<std::string>("1.009974")) << "q4's only procedure";
    }
  }
  EXPECT_GT(q1["1.004227"], q1["1.004232"]) << "the first listed is the busiest";
  EXPECT_GT(q1["1.004232"], 0);
  EXPECT_GT(q1[""], 0) << "some citizens tap \"other / not sure\"";
  EXPECT_LT(q1[""], q1["1.004232"]);
}

TEST(Generate, TheSameSeedGivesTheSameAnswers) {
  test::TempDir dir;
  KioskConfig config = testing::test_config(testing::mau01_survey());
  std::vector<std::vector<Answer>> runs[2];
  for (int run = 0; run < 2; ++run) {
    auto store = ResponseStore::open((dir / ("k" + std::to_string(run) + ".db")).string());
    ASSERT_TRUE(store.is_ok());
    ASSERT_TRUE(generate_responses(config, **store, {40, 5, 99}, noon(), TimeZone::utc()).is_ok());
    auto all = (*store)->responses_between(noon() - std::chrono::days(6), noon() + 1ms);
    ASSERT_TRUE(all.is_ok());
    for (const Response& r : *all) {
      runs[run].push_back(r.answers);
      EXPECT_TRUE(r.dossier.has_value()) << "Mẫu 01 requires the dossier";
      for (const Answer& a : r.answers) {
        EXPECT_GE(*a.value, 0);
        EXPECT_LE(*a.value, 2);
      }
    }
  }
  EXPECT_EQ(runs[0], runs[1]);
}

}  // namespace
}  // namespace sipas
