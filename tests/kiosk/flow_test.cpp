#include "flow.hpp"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "kiosk_test_support.hpp"

namespace sipas {
namespace {

using namespace std::chrono_literals;
using testing::MemorySink;

TimePoint at(int y, unsigned m, unsigned d, int hour) {
  return TimePoint{std::chrono::sys_days(std::chrono::year{y} / m / d)} + std::chrono::hours(hour);
}

class FlowTest : public ::testing::Test {
 protected:
  void make(const Survey& s, std::optional<TimePoint> last = std::nullopt) {
    config_ = testing::test_config(s);
    flow_ = std::make_unique<Flow>(config_, FlowSettings::from_config(config_), sink_, clock_, tz_,
                                   last);
    flow_->set_officer("o1");
  }
  // A tap a citizen makes a little after the previous one.
  bool tap(ActionKind kind, int value = 0, std::string text = {}) {
    clock_.advance(400ms);
    return flow_->dispatch(Action{kind, value, std::move(text)});
  }
  void answer_all(std::initializer_list<int> values) {
    for (int v : values) ASSERT_TRUE(tap(ActionKind::answer, v));
  }
  void type(const std::string& keys) {
    for (char c : keys) flow_->dispatch(Action{ActionKind::comment_key, c, {}});
  }
  void press_corner(std::chrono::milliseconds hold) {
    flow_->dispatch(Action{ActionKind::corner_down, 0, {}});
    clock_.advance(hold);
    flow_->tick();
    flow_->dispatch(Action{ActionKind::corner_up, 0, {}});
  }

  ManualClock clock_{at(2026, 11, 24, 9)};
  TimeZone tz_ = TimeZone::utc();
  MemorySink sink_;
  KioskConfig config_;
  std::unique_ptr<Flow> flow_;
};

TEST_F(FlowTest, FullSurveyStoresCompleteResponseBeforeThanks) {
  make(testing::short_survey());
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  ASSERT_TRUE(tap(ActionKind::start));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 0u);
  answer_all({5, 4});
  EXPECT_EQ(flow_->question_index(), 2u);
  EXPECT_TRUE(sink_.stored.empty());
  ASSERT_TRUE(tap(ActionKind::answer, 3));
  EXPECT_EQ(flow_->screen(), Screen::thanks);
  ASSERT_EQ(sink_.stored.size(), 1u);
  const ResponseDraft& d = sink_.stored[0];
  EXPECT_EQ(d.status, ResponseStatus::complete);
  EXPECT_EQ(d.survey_id, "short");
  EXPECT_EQ(d.survey_version, 3);
  EXPECT_EQ(d.unit, "22.PVHCC");
  EXPECT_EQ(d.counter, "q1");
  EXPECT_EQ(d.officer, "o1");
  EXPECT_EQ(d.language, "vi");
  EXPECT_FALSE(d.dossier.has_value());
  EXPECT_EQ(d.started_at, at(2026, 11, 24, 9) + 400ms);
  EXPECT_EQ(d.submitted_at, at(2026, 11, 24, 9) + 1600ms);
  const std::vector<Answer> expected = {{"access.waiting_time", 5}, {"officer.polite", 4},
                                        {"officer.guidance", 3}};
  EXPECT_EQ(d.answers, expected);
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_FALSE(d.comment.has_value());
}

TEST_F(FlowTest, ThanksReturnsToWelcomeAfterThanksTime) {
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({5, 5, 5});
  ASSERT_EQ(flow_->screen(), Screen::thanks);
  clock_.advance(4900ms);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::thanks);
  clock_.advance(100ms);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::welcome);
}

TEST_F(FlowTest, BackReturnsToPreviousQuestionAndTheAnswerCanChange) {
  make(testing::short_survey());
  tap(ActionKind::start);
  EXPECT_FALSE(flow_->can_go_back());
  EXPECT_FALSE(tap(ActionKind::back));
  answer_all({2, 4});
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->question_index(), 1u);
  ASSERT_TRUE(flow_->current_answer().has_value());
  EXPECT_EQ(**flow_->current_answer(), 4);
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->question_index(), 0u);
  answer_all({5, 4, 4});
  ASSERT_EQ(flow_->screen(), Screen::thanks);
  EXPECT_EQ(sink_.stored.at(0).answers.at(0).value, 5);
}

TEST_F(FlowTest, IdleTimeoutStoresPartialWithTheAnswersGivenSoFar) {
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({4});
  clock_.advance(29999ms);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_TRUE(sink_.stored.empty());
  clock_.advance(1ms);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].status, ResponseStatus::partial);
  const std::vector<Answer> expected = {{"access.waiting_time", 4}};
  EXPECT_EQ(sink_.stored[0].answers, expected);
}

TEST_F(FlowTest, IdleTimeoutWithoutAnyAnswerStoresNothing) {
  make(testing::short_survey());
  tap(ActionKind::start);
  clock_.advance(30s);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_TRUE(sink_.stored.empty());
  EXPECT_EQ(sink_.append_calls, 0);
}

TEST_F(FlowTest, IdleDeadlineIsTheTimeoutAfterTheLastTap) {
  make(testing::short_survey());
  EXPECT_FALSE(flow_->next_deadline().has_value()) << "the idle welcome screen sleeps";
  tap(ActionKind::start);
  const TimePoint t = clock_.now();
  ASSERT_TRUE(flow_->next_deadline().has_value());
  EXPECT_EQ(*flow_->next_deadline(), t + 30s);
}

TEST_F(FlowTest, FollowupShownWhenAnAnswerIsOne) {
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({4, 1, 5});
  EXPECT_EQ(flow_->screen(), Screen::followup);
  EXPECT_TRUE(sink_.stored.empty());
}

TEST_F(FlowTest, FollowupShownWhenAnAnswerIsTwo) {
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({2, 5, 5});
  EXPECT_EQ(flow_->screen(), Screen::followup);
}

TEST_F(FlowTest, NoFollowupWhenTheLowestAnswerIsThree) {
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({3, 3, 4});
  EXPECT_EQ(flow_->screen(), Screen::thanks);
  EXPECT_EQ(sink_.stored.size(), 1u);
}

TEST_F(FlowTest, SeveralReasonsAndACommentAreStored) {
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({1, 2, 3});
  ASSERT_TRUE(tap(ActionKind::toggle_reason, 0, "officer_attitude"));
  ASSERT_TRUE(tap(ActionKind::toggle_reason, 0, "long_wait"));
  ASSERT_TRUE(tap(ActionKind::toggle_reason, 0, "unclear_guidance"));
  ASSERT_TRUE(tap(ActionKind::toggle_reason, 0, "unclear_guidance"));
  EXPECT_FALSE(tap(ActionKind::toggle_reason, 0, "no_such_reason"));
  EXPECT_TRUE(flow_->reason_selected("long_wait"));
  EXPECT_FALSE(flow_->reason_selected("unclear_guidance"));
  ASSERT_TRUE(tap(ActionKind::followup_next));
  ASSERT_EQ(flow_->screen(), Screen::comment);
  type("chowf lau");
  EXPECT_EQ(flow_->comment().utf8(), "chờ lau");
  ASSERT_TRUE(tap(ActionKind::comment_submit));
  EXPECT_EQ(flow_->screen(), Screen::thanks);
  ASSERT_EQ(sink_.stored.size(), 1u);
  const std::vector<std::string> reasons = {"long_wait", "officer_attitude"};
  EXPECT_EQ(sink_.stored[0].reasons, reasons) << "survey order, not tap order";
  EXPECT_EQ(sink_.stored[0].comment, "chờ lau");
}

TEST_F(FlowTest, CommentRefusesKeysBeyondItsLimit) {
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({1, 1, 1});
  tap(ActionKind::followup_next);
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(flow_->dispatch(Action{ActionKind::comment_key, 'b', {}}));
  }
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::comment_key, 'c', {}}));
  EXPECT_EQ(flow_->comment().length(), 20u);
  EXPECT_EQ(flow_->comment().max_length(), 20u);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::comment_backspace, 0, {}}));
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::comment_key, 'c', {}}));
}

TEST_F(FlowTest, ChangingALowAnswerBackSkipsTheFollowup) {
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({4, 4, 1});
  ASSERT_EQ(flow_->screen(), Screen::followup);
  tap(ActionKind::toggle_reason, 0, "long_wait");
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 2u);
  answer_all({4});
  EXPECT_EQ(flow_->screen(), Screen::thanks);
  EXPECT_TRUE(sink_.stored.at(0).reasons.empty());
}

TEST_F(FlowTest, MinimumIntervalBlocksTheNextStartAndCountsDown) {
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({5, 5, 5});
  const TimePoint submitted = clock_.now();
  clock_.advance(5s);
  flow_->tick();
  ASSERT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_EQ(flow_->seconds_until_next(), 5);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::start, 0, {}}));
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  ASSERT_TRUE(flow_->next_deadline().has_value());
  EXPECT_LE(*flow_->next_deadline(), clock_.now() + 1s);
  clock_.set(submitted + 10s);
  EXPECT_EQ(flow_->seconds_until_next(), 0);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::start, 0, {}}));
}

TEST_F(FlowTest, MinimumIntervalCountsFromTheLastStoredResponseAtStart) {
  make(testing::short_survey(), clock_.now() - 3s);
  EXPECT_EQ(flow_->seconds_until_next(), 7);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::start, 0, {}}));
  clock_.advance(7s);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::start, 0, {}}));
}

TEST_F(FlowTest, RepeatedTapOnTheSameButtonWithin300msIsIgnored) {
  make(testing::short_survey());
  tap(ActionKind::start);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}));
  clock_.advance(299ms);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::answer, 4, {}}));
  EXPECT_EQ(flow_->question_index(), 1u) << "the second question was not answered by the bounce";
  clock_.advance(1ms);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}));
  EXPECT_EQ(flow_->question_index(), 2u);
}

// Taps that waited in the input queue behind slow frames reach the flow together; the window
// counts between the taps themselves.
TEST_F(FlowTest, TheRepeatWindowCountsFromWhenTheTapsHappenedNotWhenTheyArrive) {
  make(testing::short_survey());
  tap(ActionKind::start);
  const TimePoint first = clock_.now();
  clock_.advance(2s);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}, first));
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}, first + 350ms))
      << "two deliberate taps 350 ms apart, handled in the same instant";
  EXPECT_EQ(flow_->question_index(), 2u);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::answer, 4, {}}, first + 450ms))
      << "a bounce 100 ms after the last tap is still ignored";
  EXPECT_EQ(flow_->question_index(), 2u);
}

TEST_F(FlowTest, AHeldCornerWhoseReleaseArrivesBeforeTheDeadlineTickStillOpensThePinPad) {
  make(testing::short_survey());
  const TimePoint pressed = clock_.now();
  clock_.advance(500ms);
  ASSERT_TRUE(flow_->dispatch(Action{ActionKind::corner_down, 0, {}}, pressed));
  clock_.advance(2900ms);
  // The hold lasted 3.4 s; the flow has not ticked past its deadline yet.
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::corner_up, 0, {}}, pressed + 3400ms));
  EXPECT_EQ(flow_->screen(), Screen::pin);
}

TEST_F(FlowTest, AShortCornerPressDoesNotOpenThePinPad) {
  make(testing::short_survey());
  const TimePoint pressed = clock_.now();
  ASSERT_TRUE(flow_->dispatch(Action{ActionKind::corner_down, 0, {}}, pressed));
  clock_.advance(1s);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::corner_up, 0, {}}, pressed + 1s));
  clock_.advance(5s);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::welcome);
}

TEST_F(FlowTest, DifferentButtonsWithin300msAreBothAccepted) {
  make(testing::short_survey());
  tap(ActionKind::start);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}));
  clock_.advance(50ms);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 5, {}}));
  EXPECT_EQ(flow_->question_index(), 2u);
}

TEST_F(FlowTest, QuickRepeatsOfATypingKeyAreKeptForTelex) {
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({1, 1, 1});
  tap(ActionKind::followup_next);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::comment_key, 'a', {}}));
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::comment_key, 'a', {}}));
  EXPECT_EQ(flow_->comment().utf8(), "â");
}

TEST_F(FlowTest, NotApplicableIsStoredAsNullValue) {
  make(testing::short_survey());
  tap(ActionKind::start);
  ASSERT_TRUE(tap(ActionKind::not_applicable));
  answer_all({4, 4});
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].answers[0], (Answer{"access.waiting_time", std::nullopt}));
}

TEST_F(FlowTest, ValuesOffTheScaleAreRefused) {
  make(testing::short_survey());
  tap(ActionKind::start);
  EXPECT_FALSE(tap(ActionKind::answer, 0));
  EXPECT_FALSE(tap(ActionKind::answer, 6));
  EXPECT_EQ(flow_->question_index(), 0u);
}

TEST_F(FlowTest, LanguageChosenOnWelcomeIsStoredAndResetAfterwards) {
  make(testing::short_survey());
  EXPECT_FALSE(tap(ActionKind::set_language, 0, "fr"));
  ASSERT_TRUE(tap(ActionKind::set_language, 0, "en"));
  EXPECT_EQ(flow_->language(), "en");
  tap(ActionKind::start);
  answer_all({5, 5, 5});
  EXPECT_EQ(sink_.stored.at(0).language, "en");
  clock_.advance(5s);
  flow_->tick();
  EXPECT_EQ(flow_->language(), "vi");
}

TEST_F(FlowTest, Mau01RunsWithPointsAndTheDossierNumber) {
  make(testing::mau01_survey());
  ASSERT_TRUE(tap(ActionKind::start));
  ASSERT_EQ(flow_->screen(), Screen::dossier);
  EXPECT_FALSE(tap(ActionKind::dossier_skip)) << "this questionnaire requires the dossier";
  EXPECT_FALSE(tap(ActionKind::dossier_submit));
  EXPECT_EQ(flow_->dossier_notice(), DossierNotice::empty);
  for (char c : std::string("H40-0012")) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
  ASSERT_TRUE(tap(ActionKind::dossier_submit));
  ASSERT_EQ(flow_->screen(), Screen::question);
  EXPECT_FALSE(tap(ActionKind::answer, 3)) << "points go from 0 to 2";
  answer_all({2, 1, 2});
  ASSERT_EQ(flow_->screen(), Screen::thanks);
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].dossier, "H40-0012");
  const std::vector<Answer> expected = {{"mau01.total_time", 2}, {"mau01.return_visits", 1},
                                        {"mau01.officer_attitude", 2}};
  EXPECT_EQ(sink_.stored[0].answers, expected);
}

TEST_F(FlowTest, Mau01ZeroPointsAsksForReasons) {
  make(testing::mau01_survey());
  tap(ActionKind::start);
  for (char c : std::string("77")) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
  tap(ActionKind::dossier_submit);
  answer_all({2, 0, 1});
  EXPECT_EQ(flow_->screen(), Screen::followup);
}

TEST_F(FlowTest, BackFromTheFirstQuestionReturnsToTheDossier) {
  make(testing::mau01_survey());
  tap(ActionKind::start);
  for (char c : std::string("5")) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
  tap(ActionKind::dossier_submit);
  ASSERT_TRUE(flow_->can_go_back());
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::dossier);
  EXPECT_EQ(flow_->dossier_entry(), "5");
}

TEST_F(FlowTest, ADossierRatedTodayIsRefused) {
  make(testing::mau01_survey());
  auto rate = [&](const std::string& dossier) {
    tap(ActionKind::start);
    for (char c : dossier) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
    return tap(ActionKind::dossier_submit);
  };
  ASSERT_TRUE(rate("A-1"));
  answer_all({2, 2, 2});
  clock_.advance(20s);
  flow_->tick();
  ASSERT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_FALSE(rate("A-1"));
  EXPECT_EQ(flow_->screen(), Screen::dossier);
  EXPECT_EQ(flow_->dossier_notice(), DossierNotice::used_today);
  flow_->dispatch(Action{ActionKind::dossier_backspace, 0, {}});
  flow_->dispatch(Action{ActionKind::dossier_key, '2', {}});
  EXPECT_TRUE(tap(ActionKind::dossier_submit)) << "another dossier is fine";
}

TEST_F(FlowTest, TheSameDossierMayBeRatedAgainTheNextDay) {
  make(testing::mau01_survey());
  tap(ActionKind::start);
  for (char c : std::string("B-7")) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
  tap(ActionKind::dossier_submit);
  answer_all({2, 2, 2});
  clock_.set(at(2026, 11, 25, 1));
  flow_->tick();
  tap(ActionKind::start);
  for (char c : std::string("B-7")) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
  EXPECT_TRUE(tap(ActionKind::dossier_submit));
  EXPECT_EQ(flow_->screen(), Screen::question);
}

TEST_F(FlowTest, FailedAppendShowsOutOfServiceInsteadOfThanks) {
  for (ErrorCode code : {ErrorCode::disk_full, ErrorCode::read_only, ErrorCode::corrupt,
                         ErrorCode::io_error}) {
    sink_ = MemorySink{};
    make(testing::short_survey());
    sink_.fail_with = code;
    tap(ActionKind::start);
    answer_all({5, 5, 5});
    EXPECT_EQ(flow_->screen(), Screen::out_of_service) << to_string(code);
    EXPECT_TRUE(flow_->has_pending());
    EXPECT_TRUE(sink_.stored.empty());
  }
}

TEST_F(FlowTest, OutOfServiceKeepsRetryingAndReturnsWithTheResponseStored) {
  make(testing::short_survey());
  sink_.fail_with = ErrorCode::disk_full;
  tap(ActionKind::start);
  answer_all({4, 4, 4});
  ASSERT_EQ(flow_->screen(), Screen::out_of_service);
  for (int i = 0; i < 3; ++i) {
    clock_.advance(2s);
    flow_->tick();
    EXPECT_EQ(flow_->screen(), Screen::out_of_service);
  }
  EXPECT_EQ(sink_.recover_calls, 3);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::start, 0, {}}));
  sink_.fail_with = ErrorCode::ok;
  clock_.advance(2s);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  ASSERT_EQ(sink_.stored.size(), 1u) << "the response waiting during the outage is not lost";
  EXPECT_EQ(sink_.stored[0].answers.size(), 3u);
  EXPECT_FALSE(flow_->has_pending());
}

TEST_F(FlowTest, StoreFailureAtStartShowsOutOfServiceUntilItRecovers) {
  make(testing::short_survey());
  sink_.fail_with = ErrorCode::read_only;
  flow_->store_failed();
  EXPECT_EQ(flow_->screen(), Screen::out_of_service);
  clock_.advance(2s);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::out_of_service);
  sink_.fail_with = ErrorCode::ok;
  clock_.advance(2s);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_TRUE(sink_.stored.empty());
}

TEST_F(FlowTest, LongPressInTheCornerOpensThePinPad) {
  make(testing::short_survey());
  press_corner(2999ms);
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  flow_->dispatch(Action{ActionKind::corner_down, 0, {}});
  ASSERT_TRUE(flow_->next_deadline().has_value());
  EXPECT_EQ(*flow_->next_deadline(), clock_.now() + 3s);
  clock_.advance(3s);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::pin);
}

TEST_F(FlowTest, TheRightPinOpensTheStaffScreen) {
  make(testing::short_survey());
  press_corner(3s);
  ASSERT_EQ(flow_->screen(), Screen::pin);
  for (char c : std::string("1357")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  EXPECT_FALSE(tap(ActionKind::pin_submit));
  EXPECT_EQ(flow_->pin_notice(), PinNotice::wrong);
  EXPECT_EQ(flow_->screen(), Screen::pin);
  for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  EXPECT_EQ(flow_->pin_length(), 4u);
  ASSERT_TRUE(tap(ActionKind::pin_submit));
  EXPECT_EQ(flow_->screen(), Screen::staff);
  ASSERT_TRUE(tap(ActionKind::staff_back));
  EXPECT_EQ(flow_->screen(), Screen::welcome);
}

TEST_F(FlowTest, FiveWrongPinsLockThePad) {
  make(testing::short_survey());
  press_corner(3s);
  for (int i = 0; i < 5; ++i) {
    flow_->dispatch(Action{ActionKind::pin_key, '9', {}});
    tap(ActionKind::pin_submit);
  }
  EXPECT_EQ(flow_->pin_notice(), PinNotice::locked);
  for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  EXPECT_EQ(flow_->pin_length(), 0u);
  EXPECT_FALSE(tap(ActionKind::pin_submit));
  ASSERT_TRUE(flow_->pin_locked_until().has_value());
  clock_.set(*flow_->pin_locked_until() - 1ms);
  flow_->tick();
  flow_->dispatch(Action{ActionKind::pin_key, '2', {}});
  EXPECT_EQ(flow_->pin_length(), 0u);
  EXPECT_EQ(flow_->pin_notice(), PinNotice::locked);
  clock_.advance(1ms);
  flow_->tick();
  EXPECT_FALSE(flow_->pin_locked_until().has_value());
  press_corner(3s);
  ASSERT_EQ(flow_->screen(), Screen::pin);
  EXPECT_EQ(flow_->pin_notice(), PinNotice::none);
  for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  EXPECT_TRUE(tap(ActionKind::pin_submit));
  EXPECT_EQ(flow_->screen(), Screen::staff);
}

TEST_F(FlowTest, ThePadLocksForFiveMinutesByDefaultAndForTheConfiguredTime) {
  make(testing::short_survey());
  press_corner(3s);
  TimePoint last{};
  for (int i = 0; i < 5; ++i) {
    flow_->dispatch(Action{ActionKind::pin_key, '9', {}});
    tap(ActionKind::pin_submit);
    last = clock_.now();
  }
  ASSERT_TRUE(flow_->pin_locked_until().has_value());
  EXPECT_EQ(*flow_->pin_locked_until(), last + 5min);

  config_.pin_lockout_seconds = 90;
  flow_ = std::make_unique<Flow>(config_, FlowSettings::from_config(config_), sink_, clock_, tz_);
  press_corner(3s);
  for (int i = 0; i < 5; ++i) {
    flow_->dispatch(Action{ActionKind::pin_key, '9', {}});
    tap(ActionKind::pin_submit);
    last = clock_.now();
  }
  ASSERT_TRUE(flow_->pin_locked_until().has_value());
  EXPECT_EQ(*flow_->pin_locked_until(), last + 90s);
}

TEST_F(FlowTest, FourWrongPinsDoNotLockThePad) {
  make(testing::short_survey());
  press_corner(3s);
  for (int i = 0; i < 4; ++i) {
    flow_->dispatch(Action{ActionKind::pin_key, '9', {}});
    tap(ActionKind::pin_submit);
  }
  EXPECT_FALSE(flow_->pin_locked_until().has_value());
  EXPECT_EQ(flow_->pin_notice(), PinNotice::wrong);
}

TEST_F(FlowTest, TheStaffScreenReturnsToWelcomeAfterTwoMinutesWithoutATouch) {
  make(testing::short_survey());
  press_corner(3s);
  for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  ASSERT_TRUE(tap(ActionKind::pin_submit));
  ASSERT_EQ(flow_->screen(), Screen::staff);
  clock_.advance(100s);
  ASSERT_TRUE(tap(ActionKind::staff_tab, 1));  // a touch restarts the two minutes
  clock_.advance(119s);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::staff);
  ASSERT_TRUE(flow_->next_deadline().has_value());
  EXPECT_EQ(*flow_->next_deadline(), clock_.now() + 1s);
  clock_.advance(1s);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::welcome);
}

TEST_F(FlowTest, StaffExitRequestsQuit) {
  make(testing::short_survey());
  press_corner(3s);
  for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  tap(ActionKind::pin_submit);
  EXPECT_FALSE(flow_->quit_requested());
  ASSERT_TRUE(tap(ActionKind::staff_exit));
  EXPECT_TRUE(flow_->quit_requested());
}

TEST_F(FlowTest, PinPadCancelAndIdleReturnToWhereItWasOpened) {
  make(testing::short_survey());
  press_corner(3s);
  ASSERT_TRUE(tap(ActionKind::pin_cancel));
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  sink_.fail_with = ErrorCode::read_only;
  flow_->store_failed();
  press_corner(3s);
  ASSERT_EQ(flow_->screen(), Screen::pin);
  clock_.advance(30s);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::out_of_service);
}

TEST_F(FlowTest, TheCornerDoesNothingDuringASurvey) {
  make(testing::short_survey());
  tap(ActionKind::start);
  press_corner(3s);
  EXPECT_EQ(flow_->screen(), Screen::question);
}

// "back" is routed in one place for every screen: the back button is drawn exactly where the
// action is accepted.
TEST_F(FlowTest, BackIsOfferedExactlyWhereItIsAccepted) {
  auto check = [&](const char* where) {
    SCOPED_TRACE(where);
    const bool offered = flow_->can_go_back();
    EXPECT_EQ(tap(ActionKind::back), offered);
  };
  auto open_staff = [&] {
    press_corner(3s);
    for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
    ASSERT_TRUE(tap(ActionKind::pin_submit));
  };
  make(testing::short_survey());
  check("welcome");
  make(testing::short_survey());
  tap(ActionKind::start);
  check("first question without dossier or procedure");
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({4});
  check("second question");
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({1, 4, 4});
  check("followup");
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({1, 4, 4});
  tap(ActionKind::followup_next);
  check("comment");
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({4, 4, 4});
  ASSERT_EQ(flow_->screen(), Screen::thanks);
  check("thanks");
  make(testing::short_survey());
  press_corner(3s);
  check("pin");
  make(testing::short_survey());
  open_staff();
  check("staff");
  make(testing::mau01_survey());
  tap(ActionKind::start);
  check("dossier");
  make(testing::short_survey());
  flow_->store_failed();
  check("out of service");
}

TEST_F(FlowTest, BackFromTheCommentReturnsToTheFollowupOrWithoutReasonsToTheLastQuestion) {
  make(testing::short_survey());
  tap(ActionKind::start);
  answer_all({1, 4, 4});
  tap(ActionKind::followup_next);
  ASSERT_EQ(flow_->screen(), Screen::comment);
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::followup);

  Survey no_reasons = testing::short_survey();
  no_reasons.reasons.clear();
  make(no_reasons);
  tap(ActionKind::start);
  answer_all({1, 4, 4});
  ASSERT_EQ(flow_->screen(), Screen::comment);
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 2u);
}

TEST_F(FlowTest, BackFromTheDossierStartsAfreshOnWelcome) {
  make(testing::mau01_survey());
  config_.languages = {"vi", "en"};
  ASSERT_TRUE(tap(ActionKind::set_language, 0, "en"));
  tap(ActionKind::start);
  for (char c : std::string("12/3")) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_EQ(flow_->language(), "vi");
  EXPECT_EQ(flow_->dossier_entry(), "");
}

// Leaving the staff screen, by its back button or after two minutes, returns to out_of_service
// when the store had failed.
TEST_F(FlowTest, LeavingTheStaffScreenKeepsAFailedStoreOutOfService) {
  make(testing::short_survey());
  sink_.fail_with = ErrorCode::read_only;
  flow_->store_failed();
  for (bool by_timeout : {false, true}) {
    SCOPED_TRACE(by_timeout ? "timeout" : "back");
    press_corner(3s);
    for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
    ASSERT_TRUE(tap(ActionKind::pin_submit));
    ASSERT_EQ(flow_->screen(), Screen::staff);
    if (by_timeout) {
      clock_.advance(120s);
      flow_->tick();
    } else {
      ASSERT_TRUE(tap(ActionKind::staff_back));
    }
    EXPECT_EQ(flow_->screen(), Screen::out_of_service);
  }
}

// Each screen takes its own actions only; an action of another screen changes nothing.
TEST_F(FlowTest, AScreenRefusesTheActionsOfOtherScreens) {
  make(testing::short_survey());
  for (ActionKind k : {ActionKind::answer, ActionKind::comment_submit, ActionKind::pin_submit,
                       ActionKind::staff_exit, ActionKind::dossier_submit, ActionKind::followup_next}) {
    EXPECT_FALSE(tap(k, 3)) << "welcome, action " << static_cast<int>(k);
  }
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  tap(ActionKind::start);
  for (ActionKind k : {ActionKind::start, ActionKind::set_language, ActionKind::toggle_reason,
                       ActionKind::comment_submit, ActionKind::staff_tab, ActionKind::pin_key}) {
    EXPECT_FALSE(tap(k, '1', "long_wait")) << "question, action " << static_cast<int>(k);
  }
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 0u);
  press_corner(3s);
  EXPECT_EQ(flow_->screen(), Screen::question);
  make(testing::short_survey());
  press_corner(3s);
  for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  ASSERT_TRUE(tap(ActionKind::pin_submit));
  for (ActionKind k : {ActionKind::start, ActionKind::pin_key, ActionKind::answer, ActionKind::comment_key}) {
    EXPECT_FALSE(tap(k, '1')) << "staff, action " << static_cast<int>(k);
  }
  EXPECT_EQ(flow_->screen(), Screen::staff);
}

// Records what the Flow hands to the staff screen's model, and the officer the Flow held then.
class RecordingDesk final : public StaffDesk {
 public:
  explicit RecordingDesk(const std::unique_ptr<Flow>& flow) : flow_(flow) {}
  void opened() override { ++opened_calls; }
  void carry_out(const Action& a) override {
    carried.push_back(a.kind);
    officer_then = flow_->officer();
  }
  int opened_calls = 0;
  std::vector<ActionKind> carried;
  std::optional<std::string> officer_then;

 private:
  const std::unique_ptr<Flow>& flow_;
};

TEST_F(FlowTest, TheRightPinOpensTheStaffDeskOnce) {
  make(testing::short_survey());
  RecordingDesk desk(flow_);
  flow_->set_staff_desk(&desk);
  press_corner(3s);
  for (char c : std::string("1357")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  EXPECT_FALSE(tap(ActionKind::pin_submit));
  EXPECT_EQ(desk.opened_calls, 0);
  for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  ASSERT_TRUE(tap(ActionKind::pin_submit));
  EXPECT_EQ(desk.opened_calls, 1);
  ASSERT_TRUE(tap(ActionKind::staff_tab, 2));
  EXPECT_EQ(desk.opened_calls, 1);
}

// Staff work goes to the desk from the Flow alone: every staff action but back and exit, once
// accepted, and the officer only after the Flow has taken it.
TEST_F(FlowTest, AcceptedStaffActionsAndOnlyTheyReachTheStaffDesk) {
  make(testing::short_survey());
  config_.counters[0].officers.push_back(Officer{"o2", "Trần Văn Bình"});
  RecordingDesk desk(flow_);
  flow_->set_staff_desk(&desk);
  EXPECT_FALSE(tap(ActionKind::staff_tab, 1));
  EXPECT_FALSE(tap(ActionKind::staff_sync_now));
  press_corner(3s);
  for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  ASSERT_TRUE(tap(ActionKind::pin_submit));
  EXPECT_TRUE(desk.carried.empty()) << "nothing before the staff screen";

  ASSERT_TRUE(tap(ActionKind::staff_tab, 1));
  ASSERT_TRUE(tap(ActionKind::staff_page, 5, "officers"));
  ASSERT_TRUE(tap(ActionKind::staff_sync_now));
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::staff_sync_now, 0, {}})) << "a repeated tap";
  ASSERT_TRUE(tap(ActionKind::staff_export, 1));
  EXPECT_FALSE(tap(ActionKind::staff_officer, 0, "o9")) << "not at this counter";
  ASSERT_TRUE(tap(ActionKind::staff_officer, 0, "o2"));
  EXPECT_EQ(desk.officer_then, "o2");
  EXPECT_EQ(desk.carried, (std::vector<ActionKind>{ActionKind::staff_tab, ActionKind::staff_page,
                                                   ActionKind::staff_sync_now, ActionKind::staff_export,
                                                   ActionKind::staff_officer}));
  ASSERT_TRUE(tap(ActionKind::staff_back));
  EXPECT_EQ(desk.carried.size(), 5u);
  press_corner(3s);
  for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  ASSERT_TRUE(tap(ActionKind::pin_submit));
  ASSERT_TRUE(tap(ActionKind::staff_exit));
  EXPECT_EQ(desk.carried.size(), 5u);
  EXPECT_EQ(desk.opened_calls, 2);
}

TEST_F(FlowTest, WithoutAStaffDeskTheOfficerIsStillTaken) {
  make(testing::short_survey());
  config_.counters[0].officers.push_back(Officer{"o2", "Trần Văn Bình"});
  press_corner(3s);
  for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  ASSERT_TRUE(tap(ActionKind::pin_submit));
  ASSERT_TRUE(tap(ActionKind::staff_officer, 0, "o2"));
  EXPECT_EQ(flow_->officer(), "o2");
  ASSERT_TRUE(tap(ActionKind::staff_tab, 3));
}

}  // namespace
}  // namespace sipas
