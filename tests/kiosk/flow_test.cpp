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
  // A tap a citizen makes after reading the screen for 0.7 s, and the 0.4 s in which the choice
  // shows before the next screen.
  bool tap(ActionKind kind, int value = 0, std::string text = {}) {
    clock_.advance(700ms);
    const bool ok = flow_->dispatch(Action{kind, value, std::move(text)});
    clock_.advance(400ms);
    flow_->tick();
    return ok;
  }
  // No tap for the idle timeout in the middle of a survey: "more time?" is asked.
  void idle_until_asked() {
    clock_.advance(30s);
    flow_->tick();
    ASSERT_TRUE(flow_->more_time_left().has_value());
  }
  // "Hoàn tất" on the follow-up step, offered to everyone after the last question.
  bool finish() { return tap(ActionKind::followup_finish); }
  // The first value answers the welcome's faces when the welcome shows.
  void answer_all(std::initializer_list<int> values) {
    for (int v : values) ASSERT_TRUE(tap(ActionKind::answer, v));
  }
  // Every question answered, then "Hoàn tất".
  void complete(std::initializer_list<int> values) {
    answer_all(values);
    ASSERT_EQ(flow_->screen(), Screen::followup);
    ASSERT_TRUE(finish());
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
  ASSERT_TRUE(tap(ActionKind::answer, 5)) << "the welcome's faces answer the first question";
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 1u);
  answer_all({4, 3});
  EXPECT_EQ(flow_->screen(), Screen::followup) << "offered to everyone";
  EXPECT_TRUE(sink_.stored.empty());
  ASSERT_TRUE(finish());
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
  EXPECT_EQ(d.started_at, at(2026, 11, 24, 9) + 700ms);
  EXPECT_EQ(d.submitted_at, at(2026, 11, 24, 9) + 3 * 1100ms + 700ms);
  const std::vector<Answer> expected = {{"access.waiting_time", 5}, {"officer.polite", 4},
                                        {"officer.guidance", 3}};
  EXPECT_EQ(d.answers, expected);
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_FALSE(d.comment.has_value());
}

// A hurried citizen taps a face on the welcome and walks away: that rating is stored.
TEST_F(FlowTest, OneTapOnTheWelcomeIsARatingKeptWhenTheCitizenLeaves) {
  Survey survey = testing::short_survey();
  survey.first_question = "officer.guidance";
  make(survey);
  ASSERT_TRUE(tap(ActionKind::answer, 1));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->current_question().id, "access.waiting_time");
  testing::walk_away(clock_, *flow_);
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].status, ResponseStatus::partial);
  EXPECT_EQ(sink_.stored[0].answers, (std::vector<Answer>{{"officer.guidance", 1}}));
}

// An idle reset comes 30 s after the citizen's last tap; the next citizen may start at once.
TEST_F(FlowTest, AnAbandonedSurveyDoesNotLockOutTheNextCitizen) {
  make(testing::short_survey());
  answer_all({4});
  testing::walk_away(clock_, *flow_);
  ASSERT_EQ(sink_.stored.size(), 1u);
  ASSERT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_EQ(flow_->seconds_until_next(), 0);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 5, {}}));
}

TEST_F(FlowTest, QuickRepeatedRatingsAreStillHeldBack) {
  make(testing::short_survey());
  complete({4, 4, 4});
  clock_.advance(5s);
  flow_->tick();
  ASSERT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_GT(flow_->seconds_until_next(), 0);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::answer, 5, {}}));
}

TEST_F(FlowTest, ReasonsFollowTheCriteriaAnsweredLow) {
  Survey survey = testing::short_survey();
  survey.reasons = {Reason{"long_wait", testing::lt("Chờ lâu"), {"access.waiting_time"}},
                    Reason{"unclear_guidance", testing::lt("Hướng dẫn chưa rõ"), {"officer.guidance"}},
                    Reason{"officer_attitude", testing::lt("Thái độ"), {"officer.polite"}},
                    Reason{"other_issue", testing::lt("Khác"), {}}};
  make(survey);
  answer_all({4, 1, 5});  // only "officer polite" low
  ASSERT_EQ(flow_->screen(), Screen::followup);
  std::vector<std::string> offered;
  for (const Reason* r : flow_->offered_reasons()) offered.push_back(r->id);
  EXPECT_EQ(offered, (std::vector<std::string>{"officer_attitude", "other_issue"}));
  EXPECT_FALSE(tap(ActionKind::toggle_reason, 0, "long_wait")) << "not offered";
  EXPECT_TRUE(tap(ActionKind::toggle_reason, 0, "officer_attitude"));
  ASSERT_TRUE(finish());
  EXPECT_EQ(sink_.stored.at(0).reasons, (std::vector<std::string>{"officer_attitude"}));
}

// The same step follows the last question whatever the answers, so the screen does not tell the
// officer how the citizen rated.
TEST_F(FlowTest, EveryoneIsOfferedTheComment) {
  make(testing::short_survey());
  answer_all({5, 5, 5});
  ASSERT_EQ(flow_->screen(), Screen::followup);
  EXPECT_TRUE(flow_->offered_reasons().empty());
  ASSERT_TRUE(tap(ActionKind::followup_next));
  ASSERT_EQ(flow_->screen(), Screen::comment);
  type("tootj");
  ASSERT_TRUE(tap(ActionKind::comment_submit));
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].comment, "tột");
  EXPECT_TRUE(sink_.stored[0].reasons.empty());
}

TEST_F(FlowTest, TelexOnlyInVietnameseAndSwitchedOnTheKeyboard) {
  make(testing::short_survey());
  config_.languages = {"vi", "en"};
  config_.surveys[0].comment_max_length = 100;
  flow_ = std::make_unique<Flow>(config_, FlowSettings::from_config(config_), sink_, clock_, tz_);
  ASSERT_TRUE(tap(ActionKind::set_language, 0, "en"));
  answer_all({2, 2, 2});
  tap(ActionKind::followup_next);
  ASSERT_EQ(flow_->screen(), Screen::comment);
  EXPECT_FALSE(flow_->comment_telex());
  type("the wait was too long");
  EXPECT_EQ(flow_->comment().utf8(), "the wait was too long");
  ASSERT_TRUE(tap(ActionKind::comment_telex));
  EXPECT_TRUE(flow_->comment_telex());
  type(" dduowcj");
  EXPECT_EQ(flow_->comment().utf8(), "the wait was too long được");
  ASSERT_TRUE(tap(ActionKind::comment_submit));
  EXPECT_EQ(sink_.stored.at(0).comment, "the wait was too long được");

  make(testing::short_survey());
  answer_all({2, 2, 2});
  tap(ActionKind::followup_next);
  EXPECT_TRUE(flow_->comment_telex()) << "on in Vietnamese";
}

// "Chưa biết" is not an answer: the criterion is left unanswered, which the server accepts and no
// score counts.
TEST_F(FlowTest, DontKnowLeavesTheCriterionUnansweredWhereItIsAllowed) {
  Survey survey = testing::mau01_survey();
  survey.first_question = "mau01.officer_attitude";
  survey.elements[0].criteria[0].allow_unknown = true;  // total_time
  survey.dossier_optional = true;
  make(survey);
  ASSERT_TRUE(tap(ActionKind::answer, 2));
  ASSERT_EQ(flow_->screen(), Screen::dossier);
  ASSERT_TRUE(tap(ActionKind::dossier_skip)) << "no number: the citizen goes on";
  ASSERT_EQ(flow_->current_question().id, "mau01.total_time");
  ASSERT_TRUE(tap(ActionKind::unknown));
  ASSERT_EQ(flow_->current_question().id, "mau01.return_visits");
  EXPECT_FALSE(tap(ActionKind::unknown)) << "not offered on this indicator";
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_TRUE(flow_->current_unknown());
  EXPECT_FALSE(flow_->current_answer().has_value());
  ASSERT_TRUE(tap(ActionKind::unknown));
  ASSERT_TRUE(tap(ActionKind::answer, 1));
  ASSERT_TRUE(finish());
  ASSERT_EQ(sink_.stored.size(), 1u);
  const ResponseDraft& d = sink_.stored[0];
  EXPECT_EQ(d.status, ResponseStatus::complete);
  EXPECT_FALSE(d.dossier.has_value());
  EXPECT_EQ(d.answers, (std::vector<Answer>{{"mau01.officer_attitude", 2}, {"mau01.return_visits", 1}}));
}

TEST_F(FlowTest, DossierNumbersTakeLetters) {
  make(testing::mau01_survey());
  tap(ActionKind::answer, 2);
  for (char c : std::string("000.00.22.H34-251124-0001")) {
    EXPECT_TRUE(flow_->dispatch(Action{ActionKind::dossier_key, c, {}})) << c;
  }
  ASSERT_TRUE(tap(ActionKind::dossier_submit));
  complete({2, 2});
  EXPECT_EQ(sink_.stored.at(0).dossier, "000.00.22.H34-251124-0001");
}

TEST_F(FlowTest, ThanksReturnsToWelcomeAfterThanksTime) {
  make(testing::short_survey());
  complete({5, 5, 5});
  ASSERT_EQ(flow_->screen(), Screen::thanks);
  clock_.advance(4500ms);  // 4.9 s after "Hoàn tất"
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::thanks);
  clock_.advance(100ms);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::welcome);
}

TEST_F(FlowTest, BackReturnsToPreviousQuestionAndTheAnswerCanChange) {
  make(testing::short_survey());
  EXPECT_FALSE(flow_->can_go_back());
  EXPECT_FALSE(tap(ActionKind::back));
  answer_all({2, 4});
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->question_index(), 1u);
  ASSERT_TRUE(flow_->current_answer().has_value());
  EXPECT_EQ(**flow_->current_answer(), 4);
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->question_index(), 0u) << "the welcome's question, on a screen of its own";
  EXPECT_EQ(**flow_->current_answer(), 2);
  EXPECT_FALSE(flow_->can_go_back()) << "the welcome itself is not a step back";
  complete({5, 4, 4});
  ASSERT_EQ(flow_->screen(), Screen::thanks);
  EXPECT_EQ(sink_.stored.at(0).answers.at(0).value, 5);
}

// WCAG 2.2.1: before an idle citizen's survey is reset, "more time?" gives 20 s to continue.
TEST_F(FlowTest, IdleAsksForMoreTimeBeforeStoringThePartial) {
  make(testing::short_survey());
  answer_all({4});
  clock_.advance(29999ms - 400ms);  // 30 s after the tap, less 1 ms
  flow_->tick();
  EXPECT_FALSE(flow_->more_time_left().has_value());
  clock_.advance(1ms);
  flow_->tick();
  ASSERT_EQ(flow_->more_time_left(), std::optional<int>(20));
  EXPECT_EQ(flow_->screen(), Screen::question) << "the survey is still there behind the question";
  EXPECT_TRUE(sink_.stored.empty());
  clock_.advance(19999ms);
  flow_->tick();
  EXPECT_EQ(flow_->more_time_left(), std::optional<int>(1));
  EXPECT_TRUE(sink_.stored.empty());
  clock_.advance(1ms);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_FALSE(flow_->more_time_left().has_value());
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].status, ResponseStatus::partial);
  const std::vector<Answer> expected = {{"access.waiting_time", 4}};
  EXPECT_EQ(sink_.stored[0].answers, expected);
}

TEST_F(FlowTest, ContinuingAfterMoreTimeKeepsTheAnswersAndTheQuestion) {
  make(testing::short_survey());
  answer_all({4});
  const std::size_t question = flow_->question_index();
  idle_until_asked();
  clock_.advance(15s);
  EXPECT_TRUE(tap(ActionKind::more_time));
  EXPECT_FALSE(flow_->more_time_left().has_value());
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), question);
  clock_.advance(29s);
  flow_->tick();
  EXPECT_FALSE(flow_->more_time_left().has_value()) << "a full idle timeout again from the tap";
  complete({5, 5});
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].status, ResponseStatus::complete);
  EXPECT_EQ(sink_.stored[0].answers.at(0), (Answer{"access.waiting_time", 4}));
}

// The question covers the survey: a tap anywhere means "I am here" and answers nothing beneath.
TEST_F(FlowTest, ATapElsewhereWhileAskedForMoreTimeOnlyContinues) {
  make(testing::short_survey());
  answer_all({4});
  const std::size_t question = flow_->question_index();
  idle_until_asked();
  EXPECT_TRUE(tap(ActionKind::answer, 1));
  EXPECT_FALSE(flow_->more_time_left().has_value());
  EXPECT_EQ(flow_->question_index(), question);
  EXPECT_FALSE(flow_->current_answer().has_value());
  EXPECT_FALSE(tap(ActionKind::more_time)) << "\"continue\" means nothing when not asked";
}

TEST_F(FlowTest, MoreTimeDeadlinesFollowTheCountdown) {
  make(testing::short_survey());
  answer_all({4});
  idle_until_asked();
  ASSERT_TRUE(flow_->next_deadline().has_value());
  EXPECT_EQ(*flow_->next_deadline(), clock_.now() + 1s) << "the seconds left change each second";
  clock_.advance(19500ms);
  EXPECT_EQ(*flow_->next_deadline(), clock_.now() + 500ms);
}

TEST_F(FlowTest, IdleTimeoutWithoutAnyAnswerStoresNothing) {
  make(testing::short_survey());
  clock_.advance(30s);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_TRUE(sink_.stored.empty());
  EXPECT_EQ(sink_.append_calls, 0);
}

TEST_F(FlowTest, IdleDeadlineIsTheTimeoutAfterTheLastTap) {
  make(testing::short_survey());
  EXPECT_FALSE(flow_->next_deadline().has_value()) << "the idle welcome screen sleeps";
  const TimePoint t = clock_.now();
  ASSERT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}));
  ASSERT_TRUE(flow_->next_deadline().has_value());
  EXPECT_EQ(*flow_->next_deadline(), t + 400ms) << "the end of the chosen face's moment";
  clock_.advance(400ms);
  flow_->tick();
  ASSERT_EQ(flow_->screen(), Screen::question);
  ASSERT_TRUE(flow_->next_deadline().has_value());
  EXPECT_EQ(*flow_->next_deadline(), t + 30s);
}

TEST_F(FlowTest, FollowupShownWhenAnAnswerIsOne) {
  make(testing::short_survey());
  answer_all({4, 1, 5});
  EXPECT_EQ(flow_->screen(), Screen::followup);
  EXPECT_TRUE(sink_.stored.empty());
}

TEST_F(FlowTest, FollowupShownWhenAnAnswerIsTwo) {
  make(testing::short_survey());
  answer_all({2, 5, 5});
  EXPECT_EQ(flow_->screen(), Screen::followup);
}

TEST_F(FlowTest, NoFollowupWhenTheLowestAnswerIsThree) {
  make(testing::short_survey());
  complete({3, 3, 4});
  EXPECT_EQ(flow_->screen(), Screen::thanks);
  EXPECT_EQ(sink_.stored.size(), 1u);
}

TEST_F(FlowTest, SeveralReasonsAndACommentAreStored) {
  make(testing::short_survey());
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
  answer_all({4, 4, 1});
  ASSERT_EQ(flow_->screen(), Screen::followup);
  tap(ActionKind::toggle_reason, 0, "long_wait");
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 2u);
  answer_all({4});
  ASSERT_EQ(flow_->screen(), Screen::followup);
  EXPECT_TRUE(flow_->offered_reasons().empty());
  ASSERT_TRUE(finish());
  EXPECT_TRUE(sink_.stored.at(0).reasons.empty()) << "a reason no longer offered is not stored";
}

TEST_F(FlowTest, MinimumIntervalBlocksTheNextStartAndCountsDown) {
  make(testing::short_survey());
  complete({5, 5, 5});
  const TimePoint submitted = clock_.now() - 400ms;
  clock_.advance(5s - 400ms);
  flow_->tick();
  ASSERT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_EQ(flow_->seconds_until_next(), 5);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::answer, 5, {}}));
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  ASSERT_TRUE(flow_->next_deadline().has_value());
  EXPECT_LE(*flow_->next_deadline(), clock_.now() + 1s);
  clock_.set(submitted + 10s);
  EXPECT_EQ(flow_->seconds_until_next(), 0);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 5, {}}));
}

TEST_F(FlowTest, MinimumIntervalCountsFromTheLastStoredResponseAtStart) {
  make(testing::short_survey(), clock_.now() - 3s);
  EXPECT_EQ(flow_->seconds_until_next(), 7);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::answer, 5, {}}));
  clock_.advance(7s);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 5, {}}));
}

TEST_F(FlowTest, RepeatedTapOnTheSameButtonWithin300msIsIgnored) {
  make(testing::short_survey());
  answer_all({4});
  clock_.advance(1s);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}));
  clock_.advance(299ms);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::answer, 4, {}})) << "a bounce";
  clock_.advance(1ms);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}))
      << "a second tap on the shown choice keeps it";
  EXPECT_EQ(flow_->question_index(), 1u);
  clock_.advance(400ms);
  flow_->tick();
  EXPECT_EQ(flow_->question_index(), 2u);
  EXPECT_FALSE(flow_->current_answer().has_value());
}

// Taps that waited in the input queue behind slow frames reach the flow together; the window
// counts between the taps themselves.
TEST_F(FlowTest, TheRepeatWindowCountsFromWhenTheTapsHappenedNotWhenTheyArrive) {
  make(testing::short_survey());
  answer_all({5});
  const TimePoint first = clock_.now() + 1s;
  clock_.advance(3s);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}, first));
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 3, {}}, first + 200ms))
      << "another face 200 ms later, handled in the same instant, changes the choice";
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::answer, 3, {}}, first + 300ms))
      << "a bounce 100 ms after the last tap is still ignored";
  clock_.advance(400ms);
  flow_->tick();
  EXPECT_EQ(flow_->question_index(), 2u);
  EXPECT_FALSE(flow_->current_answer().has_value());
  testing::walk_away(clock_, *flow_);
  ASSERT_EQ(sink_.stored.size(), 1u);
  const std::vector<Answer> expected = {{"access.waiting_time", 5}, {"officer.polite", 3}};
  EXPECT_EQ(sink_.stored[0].answers, expected);
}

// The usability walk: two taps on "Hài lòng" 0.35 s apart answered question 1 and then question 2
// unread. The chosen face now shows for 0.4 s and the next question ignores taps for 0.6 s.
TEST_F(FlowTest, TwoQuickTapsAnswerOneQuestionOnly) {
  for (auto gap : {300ms, 350ms, 400ms, 500ms, 700ms, 900ms}) {
    SCOPED_TRACE(gap.count());
    sink_ = MemorySink{};
    make(testing::short_survey());
    ASSERT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}));  // question 1, on welcome
    for (auto t = 0ms; t < gap; t += 100ms) {
      clock_.advance(std::min(100ms, gap - t));
      flow_->tick();
    }
    flow_->dispatch(Action{ActionKind::answer, 4, {}});
    clock_.advance(2s);
    flow_->tick();
    ASSERT_EQ(flow_->screen(), Screen::question);
    EXPECT_EQ(flow_->question_index(), 1u) << "still on question 2";
    EXPECT_FALSE(flow_->current_answer().has_value()) << "question 2 has no answer";
  }
}

TEST_F(FlowTest, TheChosenAnswerShowsBeforeTheNextQuestion) {
  make(testing::short_survey());
  answer_all({5});
  clock_.advance(1s);
  ASSERT_TRUE(flow_->dispatch(Action{ActionKind::answer, 2, {}}));
  EXPECT_EQ(flow_->question_index(), 1u);
  ASSERT_TRUE(flow_->confirming().has_value());
  EXPECT_EQ(*flow_->confirming(), std::optional<int>(2));
  EXPECT_FALSE(tap(ActionKind::back)) << "only another choice counts while it shows";
  EXPECT_FALSE(flow_->confirming().has_value());
  EXPECT_EQ(flow_->question_index(), 2u);
}

TEST_F(FlowTest, ANewQuestionIgnoresTapsForItsFirst600ms) {
  make(testing::short_survey());
  answer_all({5});
  clock_.advance(1s);
  ASSERT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}));
  clock_.advance(400ms);
  flow_->tick();
  ASSERT_EQ(flow_->question_index(), 2u);
  clock_.advance(599ms);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::answer, 1, {}}));
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::back, 0, {}}));
  clock_.advance(1ms);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 1, {}}));
}

TEST_F(FlowTest, SelectionFeedbackIsOneSettingAndZeroMovesOnAtOnce) {
  config_ = testing::test_config(testing::short_survey());
  config_.selection_feedback_ms = 0;
  EXPECT_EQ(FlowSettings::from_config(config_).selection_feedback, 0ms);
  flow_ = std::make_unique<Flow>(config_, FlowSettings::from_config(config_), sink_, clock_, tz_);
  ASSERT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_FALSE(flow_->confirming().has_value());
  clock_.advance(300ms);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::answer, 5, {}})) << "the guard still holds";
  EXPECT_EQ(FlowSettings::from_config(testing::test_config(testing::short_survey())).selection_feedback,
            400ms);
}

// High contrast is a citizen's choice on the welcome: it lasts through their survey and ends
// with it, as the language chosen does.
TEST_F(FlowTest, HighContrastLastsForOneCitizensSurvey) {
  make(testing::short_survey());
  EXPECT_FALSE(flow_->high_contrast());
  ASSERT_TRUE(tap(ActionKind::toggle_contrast));
  EXPECT_TRUE(flow_->high_contrast());
  complete({4, 4, 4});
  ASSERT_EQ(flow_->screen(), Screen::thanks);
  EXPECT_TRUE(flow_->high_contrast()) << "still on for the thanks";
  clock_.advance(5s);
  flow_->tick();
  ASSERT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_FALSE(flow_->high_contrast()) << "the next citizen starts from the kiosk's own settings";
}

TEST_F(FlowTest, ASwitchedWelcomeLeftUntouchedReturnsToTheKiosksOwnSettings) {
  make(testing::short_survey());
  EXPECT_FALSE(flow_->next_deadline().has_value()) << "an untouched welcome sleeps";
  ASSERT_TRUE(tap(ActionKind::toggle_contrast));
  ASSERT_TRUE(tap(ActionKind::set_language, 0, "en"));
  const TimePoint last = clock_.now() - 400ms;
  ASSERT_TRUE(flow_->next_deadline().has_value());
  EXPECT_EQ(*flow_->next_deadline(), last + 30s);
  clock_.set(last + 29999ms);
  flow_->tick();
  EXPECT_TRUE(flow_->high_contrast());
  clock_.advance(1ms);
  flow_->tick();
  EXPECT_FALSE(flow_->high_contrast());
  EXPECT_EQ(flow_->language(), "vi");
  EXPECT_FALSE(flow_->next_deadline().has_value());
}

// Large text, like high contrast, is one citizen's: switched on the welcome, reset at welcome.
TEST_F(FlowTest, LargeTextLastsForOneCitizensSurvey) {
  make(testing::short_survey());
  EXPECT_FALSE(flow_->large_text());
  ASSERT_TRUE(tap(ActionKind::toggle_large_text));
  EXPECT_TRUE(flow_->large_text());
  complete({4, 4, 4});
  ASSERT_EQ(flow_->screen(), Screen::thanks);
  EXPECT_TRUE(flow_->large_text()) << "still on for the thanks";
  clock_.advance(5s);
  flow_->tick();
  ASSERT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_FALSE(flow_->large_text());
}

TEST_F(FlowTest, LargeTextLeftOnAnUntouchedWelcomeIsReset) {
  make(testing::short_survey());
  ASSERT_TRUE(tap(ActionKind::toggle_large_text));
  ASSERT_TRUE(flow_->next_deadline().has_value()) << "a changed welcome has a deadline";
  clock_.advance(30s);
  flow_->tick();
  EXPECT_FALSE(flow_->large_text());
  EXPECT_FALSE(flow_->next_deadline().has_value());
}

TEST_F(FlowTest, LargeTextIsSwitchedOnlyOnTheWelcome) {
  make(testing::short_survey());
  ASSERT_TRUE(tap(ActionKind::answer, 4));
  ASSERT_EQ(flow_->screen(), Screen::question);
  EXPECT_FALSE(tap(ActionKind::toggle_large_text));
  EXPECT_FALSE(flow_->large_text());
}

// Private answers (the default): the chosen answer shows for 150 ms at most, whatever
// selection_feedback_ms says; the guard on the next question stays.
TEST_F(FlowTest, PrivateAnswersShortenTheChosenAnswersMoment) {
  config_ = testing::test_config(testing::short_survey());
  EXPECT_TRUE(KioskConfig{}.private_answers) << "on by default";
  config_.private_answers = true;
  EXPECT_EQ(FlowSettings::from_config(config_).selection_feedback, 150ms);
  config_.selection_feedback_ms = 100;
  EXPECT_EQ(FlowSettings::from_config(config_).selection_feedback, 100ms);
  config_.selection_feedback_ms = 400;
  flow_ = std::make_unique<Flow>(config_, FlowSettings::from_config(config_), sink_, clock_, tz_);
  ASSERT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}));
  clock_.advance(149ms);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  clock_.advance(1ms);
  flow_->tick();
  EXPECT_EQ(flow_->screen(), Screen::question) << "the next question follows at once";
  clock_.advance(300ms);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::answer, 5, {}})) << "the guard still holds";
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
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}));
  clock_.advance(50ms);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::answer, 5, {}})) << "the second face replaces the first";
  clock_.advance(400ms);
  flow_->tick();
  EXPECT_EQ(flow_->question_index(), 1u);
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(**flow_->current_answer(), 5);
}

TEST_F(FlowTest, QuickRepeatsOfATypingKeyAreKeptForTelex) {
  make(testing::short_survey());
  answer_all({1, 1, 1});
  tap(ActionKind::followup_next);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::comment_key, 'a', {}}));
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::comment_key, 'a', {}}));
  EXPECT_EQ(flow_->comment().utf8(), "â");
}

TEST_F(FlowTest, NotApplicableIsStoredAsNullValue) {
  make(testing::short_survey());
  EXPECT_FALSE(tap(ActionKind::not_applicable)) << "the welcome's faces are a rating";
  answer_all({4});
  ASSERT_TRUE(tap(ActionKind::not_applicable));
  answer_all({4});
  ASSERT_TRUE(finish());
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].answers[1], (Answer{"officer.polite", std::nullopt}));
}

TEST_F(FlowTest, ValuesOffTheScaleAreRefused) {
  make(testing::short_survey());
  EXPECT_FALSE(tap(ActionKind::answer, 0));
  EXPECT_FALSE(tap(ActionKind::answer, 6));
  EXPECT_EQ(flow_->question_index(), 0u);
}

TEST_F(FlowTest, LanguageChosenOnWelcomeIsStoredAndResetAfterwards) {
  make(testing::short_survey());
  EXPECT_FALSE(tap(ActionKind::set_language, 0, "fr"));
  ASSERT_TRUE(tap(ActionKind::set_language, 0, "en"));
  EXPECT_EQ(flow_->language(), "en");
  complete({5, 5, 5});
  EXPECT_EQ(sink_.stored.at(0).language, "en");
  clock_.advance(5s);
  flow_->tick();
  EXPECT_EQ(flow_->language(), "vi");
}

TEST_F(FlowTest, Mau01RunsWithPointsAndTheDossierNumber) {
  make(testing::mau01_survey());
  ASSERT_TRUE(tap(ActionKind::answer, 2));
  ASSERT_EQ(flow_->screen(), Screen::dossier);
  EXPECT_FALSE(tap(ActionKind::dossier_skip)) << "this questionnaire requires the dossier";
  EXPECT_FALSE(tap(ActionKind::dossier_submit));
  EXPECT_EQ(flow_->dossier_notice(), DossierNotice::empty);
  for (char c : std::string("H40-0012")) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
  ASSERT_TRUE(tap(ActionKind::dossier_submit));
  ASSERT_EQ(flow_->screen(), Screen::question);
  EXPECT_FALSE(tap(ActionKind::answer, 3)) << "points go from 0 to 2";
  complete({1, 2});
  ASSERT_EQ(flow_->screen(), Screen::thanks);
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].dossier, "H40-0012");
  const std::vector<Answer> expected = {{"mau01.total_time", 2}, {"mau01.return_visits", 1},
                                        {"mau01.officer_attitude", 2}};
  EXPECT_EQ(sink_.stored[0].answers, expected);
}

TEST_F(FlowTest, Mau01ZeroPointsOffersReasons) {
  make(testing::mau01_survey());
  tap(ActionKind::answer, 2);
  for (char c : std::string("77")) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
  tap(ActionKind::dossier_submit);
  answer_all({0, 1});
  EXPECT_EQ(flow_->screen(), Screen::followup);
  ASSERT_EQ(flow_->offered_reasons().size(), 1u);
  EXPECT_EQ(flow_->offered_reasons()[0]->id, "late_result");
}

TEST_F(FlowTest, BackFromTheSecondQuestionReturnsToTheDossier) {
  make(testing::mau01_survey());
  tap(ActionKind::answer, 2);
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
    tap(ActionKind::answer, 2);
    for (char c : dossier) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
    return tap(ActionKind::dossier_submit);
  };
  ASSERT_TRUE(rate("A-1"));
  complete({2, 2});
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
  tap(ActionKind::answer, 2);
  for (char c : std::string("B-7")) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
  tap(ActionKind::dossier_submit);
  complete({2, 2});
  clock_.set(at(2026, 11, 25, 1));
  flow_->tick();
  tap(ActionKind::answer, 2);
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
    complete({5, 5, 5});
    EXPECT_EQ(flow_->screen(), Screen::out_of_service) << to_string(code);
    EXPECT_TRUE(flow_->has_pending());
    EXPECT_TRUE(sink_.stored.empty());
  }
}

TEST_F(FlowTest, OutOfServiceKeepsRetryingAndReturnsWithTheResponseStored) {
  make(testing::short_survey());
  sink_.fail_with = ErrorCode::disk_full;
  complete({4, 4, 4});
  ASSERT_EQ(flow_->screen(), Screen::out_of_service);
  for (int i = 0; i < 3; ++i) {
    clock_.advance(2s);
    flow_->tick();
    EXPECT_EQ(flow_->screen(), Screen::out_of_service);
  }
  EXPECT_EQ(sink_.recover_calls, 3);
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::answer, 5, {}}));
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
    last = clock_.now() - 400ms;  // when it was tapped
  }
  ASSERT_TRUE(flow_->pin_locked_until().has_value());
  EXPECT_EQ(*flow_->pin_locked_until(), last + 5min);

  config_.pin_lockout_seconds = 90;
  flow_ = std::make_unique<Flow>(config_, FlowSettings::from_config(config_), sink_, clock_, tz_);
  press_corner(3s);
  for (int i = 0; i < 5; ++i) {
    flow_->dispatch(Action{ActionKind::pin_key, '9', {}});
    tap(ActionKind::pin_submit);
    last = clock_.now() - 400ms;  // when it was tapped
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
  clock_.advance(119s - 400ms);
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
  answer_all({4});
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
  check("first question without dossier or procedure");
  make(testing::short_survey());
  answer_all({4});
  check("second question");
  make(testing::short_survey());
  answer_all({1, 4, 4});
  check("followup");
  make(testing::short_survey());
  answer_all({1, 4, 4});
  tap(ActionKind::followup_next);
  check("comment");
  make(testing::short_survey());
  complete({4, 4, 4});
  ASSERT_EQ(flow_->screen(), Screen::thanks);
  check("thanks");
  make(testing::short_survey());
  press_corner(3s);
  check("pin");
  make(testing::short_survey());
  open_staff();
  check("staff");
  make(testing::mau01_survey());
  check("dossier");
  make(testing::short_survey());
  flow_->store_failed();
  check("out of service");
}

TEST_F(FlowTest, BackFromTheCommentReturnsToTheFollowupWithOrWithoutReasons) {
  make(testing::short_survey());
  answer_all({1, 4, 4});
  tap(ActionKind::followup_next);
  ASSERT_EQ(flow_->screen(), Screen::comment);
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::followup);

  Survey no_reasons = testing::short_survey();
  no_reasons.reasons.clear();
  make(no_reasons);
  answer_all({1, 4, 4});
  ASSERT_EQ(flow_->screen(), Screen::followup);
  tap(ActionKind::followup_next);
  ASSERT_EQ(flow_->screen(), Screen::comment);
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::followup);
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 2u);
}

// The welcome's answer is the citizen's rating: "back" from the dossier shows that question on a
// screen of its own rather than starting afresh.
TEST_F(FlowTest, BackFromTheDossierShowsTheWelcomesQuestion) {
  make(testing::mau01_survey());
  config_.languages = {"vi", "en"};
  ASSERT_TRUE(tap(ActionKind::set_language, 0, "en"));
  ASSERT_TRUE(tap(ActionKind::answer, 1));
  for (char c : std::string("12/3")) flow_->dispatch(Action{ActionKind::dossier_key, c, {}});
  ASSERT_TRUE(tap(ActionKind::back));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 0u);
  EXPECT_EQ(**flow_->current_answer(), 1);
  EXPECT_EQ(flow_->language(), "en");
  EXPECT_FALSE(flow_->can_go_back());
  ASSERT_TRUE(tap(ActionKind::answer, 2));
  EXPECT_EQ(flow_->screen(), Screen::dossier);
  EXPECT_EQ(flow_->dossier_entry(), "12/3");
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
  for (ActionKind k : {ActionKind::not_applicable, ActionKind::unknown, ActionKind::comment_submit,
                       ActionKind::pin_submit, ActionKind::staff_exit, ActionKind::dossier_submit,
                       ActionKind::followup_next}) {
    EXPECT_FALSE(tap(k, 3)) << "welcome, action " << static_cast<int>(k);
  }
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  answer_all({4});
  for (ActionKind k : {ActionKind::followup_finish, ActionKind::set_language, ActionKind::toggle_reason,
                       ActionKind::comment_submit, ActionKind::staff_tab, ActionKind::pin_key}) {
    EXPECT_FALSE(tap(k, '1', "long_wait")) << "question, action " << static_cast<int>(k);
  }
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(flow_->question_index(), 1u);
  press_corner(3s);
  EXPECT_EQ(flow_->screen(), Screen::question);
  make(testing::short_survey());
  press_corner(3s);
  for (char c : std::string("2468")) flow_->dispatch(Action{ActionKind::pin_key, c, {}});
  ASSERT_TRUE(tap(ActionKind::pin_submit));
  for (ActionKind k : {ActionKind::followup_finish, ActionKind::pin_key, ActionKind::answer, ActionKind::comment_key}) {
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
  EXPECT_FALSE(flow_->dispatch(Action{ActionKind::staff_sync_now, 0, {}}, clock_.now() - 300ms))
      << "a repeated tap";
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
