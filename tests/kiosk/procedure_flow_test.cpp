#include <memory>

#include <gtest/gtest.h>

#include "flow.hpp"
#include "kiosk_test_support.hpp"

namespace sipas {
namespace {

using namespace std::chrono_literals;
using testing::lt;
using testing::MemorySink;

// The kiosk's counter handles the first `count` of these procedures.
const char* const kCodes[] = {"1.004227", "1.004232", "1.004199", "1.001193"};

class ProcedureFlowTest : public ::testing::Test {
 protected:
  void make(const Survey& s, std::size_t count) {
    config_ = testing::test_config(s);
    config_.procedures = {Procedure{"1.004227", lt("Đăng ký biến động đất đai", "Land changes")},
                          Procedure{"1.004232", lt("Cấp Giấy chứng nhận lần đầu")},
                          Procedure{"1.004199", lt("Đính chính Giấy chứng nhận")},
                          Procedure{"1.001193", lt("Đăng ký khai sinh", "Birth registration")}};
    for (std::size_t i = 0; i < count; ++i) config_.counters[0].procedures.push_back(kCodes[i]);
    flow_ = std::make_unique<Flow>(config_, FlowSettings::from_config(config_), sink_, clock_,
                                   tz_);
  }
  // The welcome's faces answer the first question; the procedure is asked after it.
  bool tap(ActionKind kind, int value = 0, std::string text = {}) {
    clock_.advance(700ms);
    const bool ok = flow_->dispatch(Action{kind, value, std::move(text)});
    clock_.advance(400ms);
    flow_->tick();
    return ok;
  }
  void answer_all(std::initializer_list<int> values) {
    for (int v : values) ASSERT_TRUE(tap(ActionKind::answer, v));
  }
  // The questions after the welcome's, then "Hoàn tất".
  void complete(std::initializer_list<int> values) {
    answer_all(values);
    ASSERT_EQ(flow_->screen(), Screen::followup);
    ASSERT_TRUE(tap(ActionKind::followup_finish));
  }
  void enter_dossier(const std::string& number) {
    for (char c : number) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
    ASSERT_TRUE(tap(ActionKind::dossier_submit));
  }

  ManualClock clock_{TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 9h};
  TimeZone tz_ = TimeZone::utc();
  MemorySink sink_;
  KioskConfig config_;
  std::unique_ptr<Flow> flow_;
};

TEST(ProcedureScreen, IsNamedProcedure) { EXPECT_STREQ(to_string(Screen::procedure), "procedure"); }

TEST_F(ProcedureFlowTest, ListsTheCountersProceduresInTheirOrder) {
  make(testing::short_survey(), 3);
  ASSERT_EQ(flow_->procedures().size(), 3u);
  EXPECT_EQ(flow_->procedures()[0]->code, "1.004227");
  EXPECT_EQ(flow_->procedures()[2]->code, "1.004199");
}

TEST_F(ProcedureFlowTest, TwoOrMoreProceduresShowTheScreenAfterWelcome) {
  make(testing::short_survey(), 2);
  ASSERT_TRUE(tap(ActionKind::answer, 5));
  EXPECT_EQ(flow_->screen(), Screen::procedure);
  EXPECT_TRUE(flow_->can_go_back());
}

TEST_F(ProcedureFlowTest, ChosenProcedureIsStoredWithTheResponse) {
  make(testing::short_survey(), 3);
  tap(ActionKind::answer, 5);
  ASSERT_TRUE(tap(ActionKind::procedure_choose, 0, "1.004232"));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 1u) << "the first was answered on welcome";
  EXPECT_EQ(flow_->procedure(), std::optional<std::string>("1.004232"));
  complete({4, 4});
  ASSERT_EQ(flow_->screen(), Screen::thanks);
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].procedure, std::optional<std::string>("1.004232"));
}

TEST_F(ProcedureFlowTest, SkipStoresNoProcedure) {
  make(testing::short_survey(), 3);
  tap(ActionKind::answer, 5);
  ASSERT_TRUE(tap(ActionKind::procedure_skip));
  EXPECT_EQ(flow_->screen(), Screen::question);
  complete({4, 4});
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_FALSE(sink_.stored[0].procedure.has_value());
}

TEST_F(ProcedureFlowTest, ACodeNotAtThisCounterIsRefused) {
  make(testing::short_survey(), 2);
  tap(ActionKind::answer, 5);
  EXPECT_FALSE(tap(ActionKind::procedure_choose, 0, "1.001193")) << "known, but not at q1";
  EXPECT_FALSE(tap(ActionKind::procedure_choose, 0, "nope"));
  EXPECT_FALSE(tap(ActionKind::answer, 4)) << "no question is on screen yet";
  EXPECT_EQ(flow_->screen(), Screen::procedure);
  EXPECT_FALSE(flow_->procedure().has_value());
}

TEST_F(ProcedureFlowTest, OneProcedureIsRecordedWithoutAsking) {
  make(testing::short_survey(), 1);
  ASSERT_TRUE(tap(ActionKind::answer, 5));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 1u);
  complete({4, 4});
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].procedure, std::optional<std::string>("1.004227"));
}

TEST_F(ProcedureFlowTest, NoProceduresMeansNoScreenAndNoProcedure) {
  make(testing::short_survey(), 0);
  ASSERT_TRUE(tap(ActionKind::answer, 5));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 1u);
  complete({4, 4});
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_FALSE(sink_.stored[0].procedure.has_value());
}

TEST_F(ProcedureFlowTest, TheScreenFollowsTheDossier) {
  make(testing::mau01_survey(), 2);
  tap(ActionKind::answer, 2);
  ASSERT_EQ(flow_->screen(), Screen::dossier);
  enter_dossier("H40-0012");
  ASSERT_EQ(flow_->screen(), Screen::procedure);
  ASSERT_TRUE(tap(ActionKind::procedure_choose, 0, "1.004227"));
  complete({1, 2});
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].dossier, "H40-0012");
  EXPECT_EQ(sink_.stored[0].procedure, std::optional<std::string>("1.004227"));
}

TEST_F(ProcedureFlowTest, BackFromTheScreenReturnsToTheDossier) {
  make(testing::mau01_survey(), 2);
  tap(ActionKind::answer, 2);
  enter_dossier("77");
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::dossier);
  EXPECT_EQ(flow_->dossier_entry(), "77");
}

TEST_F(ProcedureFlowTest, BackFromTheScreenWithoutADossierShowsTheWelcomesQuestion) {
  make(testing::short_survey(), 2);
  tap(ActionKind::answer, 5);
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 0u);
  EXPECT_TRUE(sink_.stored.empty());
}

TEST_F(ProcedureFlowTest, BackFromTheFirstQuestionReturnsToTheScreen) {
  make(testing::short_survey(), 3);
  tap(ActionKind::answer, 5);
  tap(ActionKind::procedure_choose, 0, "1.004199");
  ASSERT_TRUE(flow_->can_go_back());
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::procedure);
  EXPECT_EQ(flow_->procedure(), std::optional<std::string>("1.004199"));
  ASSERT_TRUE(tap(ActionKind::procedure_choose, 0, "1.004227"));
  complete({4, 4});
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].procedure, std::optional<std::string>("1.004227"));
}

TEST_F(ProcedureFlowTest, BackFromTheFirstQuestionWithADossierStillGoesThroughTheScreen) {
  make(testing::mau01_survey(), 2);
  tap(ActionKind::answer, 2);
  enter_dossier("5");
  tap(ActionKind::procedure_skip);
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::procedure);
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::dossier);
}

// One tap on the welcome's faces is a rating: walking away on the procedure screen keeps it.
TEST_F(ProcedureFlowTest, IdleOnTheScreenStoresTheWelcomesAnswerAsPartial) {
  make(testing::short_survey(), 2);
  tap(ActionKind::answer, 2);
  const TimePoint tapped = clock_.now() - 400ms;
  ASSERT_TRUE(flow_->next_deadline().has_value());
  EXPECT_EQ(*flow_->next_deadline(), tapped + 30s);
  clock_.set(tapped + 29999ms);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::procedure);
  clock_.advance(1ms);
  flow_->tick();
  EXPECT_TRUE(flow_->more_time_left().has_value()) << "more time? first";
  clock_.advance(20s);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].status, ResponseStatus::partial);
  EXPECT_EQ(sink_.stored[0].answers, (std::vector<Answer>{{"access.waiting_time", 2}}));
  EXPECT_FALSE(sink_.stored[0].procedure.has_value());
}

TEST_F(ProcedureFlowTest, PartialResponseKeepsTheChosenProcedure) {
  make(testing::short_survey(), 3);
  tap(ActionKind::answer, 5);
  tap(ActionKind::procedure_choose, 0, "1.004232");
  answer_all({4});
  testing::walk_away(clock_, *flow_);
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].status, ResponseStatus::partial);
  EXPECT_EQ(sink_.stored[0].procedure, std::optional<std::string>("1.004232"));
}

TEST_F(ProcedureFlowTest, PartialFromTheScreenAfterBackKeepsTheAnswersAndProcedure) {
  make(testing::short_survey(), 3);
  tap(ActionKind::answer, 5);
  tap(ActionKind::procedure_choose, 0, "1.004199");
  answer_all({2});
  tap(ActionKind::back);
  tap(ActionKind::back);
  ASSERT_EQ(flow_->screen(), Screen::procedure);
  testing::walk_away(clock_, *flow_);
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].status, ResponseStatus::partial);
  EXPECT_EQ(sink_.stored[0].procedure, std::optional<std::string>("1.004199"));
  EXPECT_EQ(sink_.stored[0].answers.size(), 2u);
}

TEST_F(ProcedureFlowTest, TheNextCitizenStartsWithoutTheLastProcedure) {
  make(testing::short_survey(), 3);
  tap(ActionKind::answer, 5);
  tap(ActionKind::procedure_choose, 0, "1.004232");
  complete({5, 5});
  clock_.advance(10s);
  flow_->tick();
  ASSERT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_FALSE(flow_->procedure().has_value());
  ASSERT_TRUE(tap(ActionKind::answer, 5));
  EXPECT_EQ(flow_->screen(), Screen::procedure);
  tap(ActionKind::procedure_skip);
  complete({5, 5});
  ASSERT_EQ(sink_.stored.size(), 2u);
  EXPECT_FALSE(sink_.stored[1].procedure.has_value());
}

// The view draws the procedures a page at a time when they do not fit; each page action carries
// the number of pages it drew.
TEST_F(ProcedureFlowTest, PageActionsMoveWithinThePagesDrawn) {
  make(testing::short_survey(), 4);
  tap(ActionKind::answer, 5);
  ASSERT_EQ(flow_->screen(), Screen::procedure);
  EXPECT_EQ(flow_->procedure_page(), 0u);
  EXPECT_FALSE(tap(ActionKind::procedure_page, -1, "2")) << "no page before the first";
  EXPECT_EQ(flow_->procedure_page(), 0u);
  EXPECT_TRUE(tap(ActionKind::procedure_page, 1, "2"));
  EXPECT_EQ(flow_->procedure_page(), 1u);
  EXPECT_FALSE(tap(ActionKind::procedure_page, 1, "2")) << "no page after the last";
  EXPECT_EQ(flow_->procedure_page(), 1u);
  EXPECT_FALSE(tap(ActionKind::procedure_page, 2, "2")) << "one page at a time";
  EXPECT_FALSE(tap(ActionKind::procedure_page, -1, "")) << "the pages drawn are named";
  EXPECT_TRUE(tap(ActionKind::procedure_page, -1, "2"));
  EXPECT_EQ(flow_->procedure_page(), 0u);
  EXPECT_EQ(flow_->screen(), Screen::procedure) << "turning a page chooses nothing";
  EXPECT_FALSE(flow_->procedure().has_value());
}

TEST_F(ProcedureFlowTest, EnteringTheScreenShowsTheFirstPage) {
  make(testing::short_survey(), 4);
  tap(ActionKind::answer, 5);
  ASSERT_TRUE(tap(ActionKind::procedure_page, 1, "2"));
  ASSERT_TRUE(tap(ActionKind::procedure_choose, 0, "1.001193"));
  ASSERT_EQ(flow_->screen(), Screen::question);
  ASSERT_TRUE(tap(ActionKind::back));
  ASSERT_EQ(flow_->screen(), Screen::procedure);
  EXPECT_EQ(flow_->procedure_page(), 0u) << "back to the screen";
  ASSERT_TRUE(tap(ActionKind::procedure_page, 1, "2"));
  ASSERT_TRUE(tap(ActionKind::back));
  ASSERT_TRUE(tap(ActionKind::answer, 4));
  ASSERT_EQ(flow_->screen(), Screen::procedure);
  EXPECT_EQ(flow_->procedure_page(), 0u) << "forward to the screen";
}

TEST_F(ProcedureFlowTest, TheNextCitizenStartsOnTheFirstPage) {
  make(testing::short_survey(), 4);
  tap(ActionKind::answer, 5);
  ASSERT_TRUE(tap(ActionKind::procedure_page, 1, "2"));
  clock_.advance(31s);
  flow_->tick();
  ASSERT_TRUE(flow_->more_time_left().has_value());
  clock_.advance(21s);
  flow_->tick();
  ASSERT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_EQ(flow_->procedure_page(), 0u);
}

TEST_F(ProcedureFlowTest, TheChosenProcedureStaysChosenAcrossPages) {
  make(testing::short_survey(), 4);
  tap(ActionKind::answer, 5);
  ASSERT_TRUE(tap(ActionKind::procedure_page, 1, "2"));
  ASSERT_TRUE(tap(ActionKind::procedure_choose, 0, "1.001193"));
  ASSERT_TRUE(tap(ActionKind::back));
  ASSERT_EQ(flow_->screen(), Screen::procedure);
  ASSERT_TRUE(tap(ActionKind::procedure_page, 1, "2"));
  ASSERT_TRUE(tap(ActionKind::procedure_page, -1, "2"));
  ASSERT_EQ(flow_->procedure(), std::optional<std::string>("1.001193"));
  ASSERT_TRUE(tap(ActionKind::procedure_skip));
  EXPECT_FALSE(flow_->procedure().has_value());
}

}  // namespace
}  // namespace sipas
