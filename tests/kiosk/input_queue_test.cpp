// The input queue: presses and releases that arrive together reach Dear ImGui one per frame, in
// order, keys keep their place between taps, and real ImGui frames turn every queued tap into a
// click (where 1.86's backend alone merges them).
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <imgui.h>

#include "fonts.hpp"
#include "input_queue.hpp"
#include "kiosk_test_support.hpp"
#include "views.hpp"

namespace sipas {
namespace {

using namespace std::chrono_literals;

InputEvent down(float x, float y) { return InputEvent{InputKind::pointer_down, x, y, 0, 0, 0, {}}; }
InputEvent up(float x, float y) { return InputEvent{InputKind::pointer_up, x, y, 0, 0, 0, {}}; }
InputEvent move(float x, float y) { return InputEvent{InputKind::pointer_move, x, y, 0, 0, 0, {}}; }
InputEvent text(const std::string& t) { return InputEvent{InputKind::text, 0, 0, 0, 0, 0, t}; }

void tap(InputQueue* q, float x, float y) {
  q->push(move(x, y));
  q->push(down(x, y));
  q->push(up(x, y));
}

TEST(InputQueue, PressReleasePairsForDifferentTargetsInOneFrameComeOutOverConsecutiveFrames) {
  InputQueue q;
  tap(&q, 10, 20);
  tap(&q, 300, 40);
  struct Seen {
    float x, y;
    bool down;
  };
  std::vector<Seen> frames;
  while (!q.empty()) {
    const InputFrame f = q.next_frame();
    frames.push_back({f.pointer.x, f.pointer.y, f.pointer.down[0]});
  }
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_TRUE(frames[0].down);
  EXPECT_EQ(frames[0].x, 10);
  EXPECT_EQ(frames[0].y, 20);
  EXPECT_FALSE(frames[1].down);
  EXPECT_EQ(frames[1].x, 10);
  EXPECT_TRUE(frames[2].down);
  EXPECT_EQ(frames[2].x, 300);
  EXPECT_EQ(frames[2].y, 40);
  EXPECT_FALSE(frames[3].down);
  EXPECT_EQ(frames[3].x, 300);
}

TEST(InputQueue, EachFrameCarriesTheTimeOfThePressOrReleaseItApplies) {
  InputQueue q;
  const TimePoint t0{std::chrono::sys_days(std::chrono::year{2026} / 11 / 28)};
  InputEvent press = down(10, 10);
  press.at = t0;
  InputEvent release = up(10, 10);
  release.at = t0 + 40ms;
  q.push(press);
  q.push(release);
  EXPECT_EQ(q.next_frame().transition_at, t0);
  EXPECT_EQ(q.next_frame().transition_at, t0 + 40ms);
  EXPECT_FALSE(q.next_frame().transition_at.has_value()) << "nothing queued, no tap";
}

TEST(InputQueue, AMoveAfterAPressWaitsSoThePressKeepsItsOwnPosition) {
  InputQueue q;
  q.push(down(5, 5));
  q.push(move(90, 90));
  q.push(up(90, 90));
  InputFrame f = q.next_frame();
  EXPECT_TRUE(f.pointer.down[0]);
  EXPECT_EQ(f.pointer.x, 5);
  f = q.next_frame();
  EXPECT_FALSE(f.pointer.down[0]);
  EXPECT_EQ(f.pointer.x, 90);
  EXPECT_TRUE(q.empty());
}

TEST(InputQueue, KeysKeepTheirOrderAroundTaps) {
  InputQueue q;
  q.push(text("a"));
  tap(&q, 1, 1);
  q.push(text("b"));
  q.push(InputEvent{InputKind::enter, 0, 0, 0, 0, 0, {}});
  InputFrame f = q.next_frame();
  ASSERT_EQ(f.keys.size(), 1u);
  EXPECT_EQ(f.keys[0].text, "a");
  EXPECT_TRUE(f.pointer.down[0]);
  f = q.next_frame();
  EXPECT_TRUE(f.keys.empty()) << "the key typed after the release waits for the frame after it";
  EXPECT_FALSE(f.pointer.down[0]);
  f = q.next_frame();
  ASSERT_EQ(f.keys.size(), 2u);
  EXPECT_EQ(f.keys[0].text, "b");
  EXPECT_EQ(f.keys[1].kind, InputKind::enter);
  EXPECT_TRUE(q.empty());
}

TEST(InputQueue, ScannerTextWithoutTapsComesOutInOneFrameAndWhole) {
  InputQueue q;
  const std::string scanned = "H40-2611-0007-AB";
  for (char c : scanned) q.push(text(std::string(1, c)));
  const InputFrame f = q.next_frame();
  std::string got;
  for (const InputEvent& k : f.keys) got += k.text;
  EXPECT_EQ(got, scanned);
  EXPECT_TRUE(q.empty());
}

TEST(InputQueue, AnEmptyQueueGivesNoInputAndKeepsThePointer) {
  InputQueue q;
  q.push(move(7, 8));
  (void)q.next_frame();
  const InputFrame f = q.next_frame();
  EXPECT_FALSE(f.had_input);
  EXPECT_EQ(f.pointer.x, 7);
  EXPECT_EQ(f.pointer.y, 8);
  EXPECT_FALSE(f.pointer.down[0]);
}

TEST(InputQueue, WheelTurnsCountOnlyInTheFrameThatTookThem) {
  InputQueue q;
  q.push(InputEvent{InputKind::wheel, 0, 0, 0, 0, -1, {}});
  q.push(InputEvent{InputKind::wheel, 0, 0, 0, 0, -2, {}});
  EXPECT_EQ(q.next_frame().pointer.wheel_y, -3);
  EXPECT_EQ(q.next_frame().pointer.wheel_y, 0);
}

TEST(InputQueue, MergedModeTakesEverythingInOneFrameLikeTheBackend) {
  InputQueue q(false);
  tap(&q, 10, 20);
  tap(&q, 300, 40);
  const InputFrame f = q.next_frame();
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(f.pointer.down[0]) << "a press in the frame is shown as held";
  EXPECT_EQ(f.pointer.x, 300);
}

TEST(KeyActions, TextBecomesOneKeyPerCodePointOnTheTypingScreens) {
  const auto comment = key_actions(Screen::comment, text("lâu"));
  ASSERT_EQ(comment.size(), 3u);
  EXPECT_EQ(comment[0].kind, ActionKind::comment_key);
  EXPECT_EQ(comment[1].value, 0xE2);
  EXPECT_EQ(key_actions(Screen::dossier, text("7"))[0].kind, ActionKind::dossier_key);
  EXPECT_EQ(key_actions(Screen::pin, text("7"))[0].kind, ActionKind::pin_key);
  EXPECT_TRUE(key_actions(Screen::welcome, text("x")).empty());
  EXPECT_TRUE(key_actions(Screen::question, text("5")).empty());
}

TEST(KeyActions, EnterAndBackspaceMapToTheScreensOwnActions) {
  const InputEvent enter{InputKind::enter, 0, 0, 0, 0, 0, {}};
  const InputEvent erase{InputKind::backspace, 0, 0, 0, 0, 0, {}};
  EXPECT_EQ(key_actions(Screen::dossier, enter)[0].kind, ActionKind::dossier_submit);
  EXPECT_EQ(key_actions(Screen::pin, enter)[0].kind, ActionKind::pin_submit);
  EXPECT_TRUE(key_actions(Screen::comment, enter).empty());
  EXPECT_EQ(key_actions(Screen::comment, erase)[0].kind, ActionKind::comment_backspace);
  EXPECT_EQ(key_actions(Screen::dossier, erase)[0].kind, ActionKind::dossier_backspace);
  EXPECT_EQ(key_actions(Screen::pin, erase)[0].kind, ActionKind::pin_backspace);
  EXPECT_TRUE(key_actions(Screen::welcome, erase).empty());
}

// Real Dear ImGui frames without a window, fed only through the queue and apply_pointer, as the
// app feeds them.
class QueuedFrames : public ::testing::Test {
 protected:
  QueuedFrames() {
    ctx_ = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60.0f;
  }
  ~QueuedFrames() override { ImGui::DestroyContext(ctx_); }

  void begin_frame(InputQueue* q) {
    ImGuiIO& io = ImGui::GetIO();
    apply_pointer(q->next_frame().pointer, io);
    ImGui::NewFrame();
  }

  ImGuiContext* ctx_ = nullptr;
};

// Two buttons side by side; every click is recorded by name, frame after frame until the queue
// is drained and the UI has settled.
std::vector<std::string> clicks_of_two_buttons(InputQueue* q, int settle_frames = 3) {
  unsigned char* pixels = nullptr;
  int tw = 0, th = 0;
  ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &tw, &th);
  std::vector<std::string> clicks;
  int idle = 0;
  // Frame 0 takes no input: as in the app, the window exists before the first tap reaches it.
  for (int frame = 0; frame < 100 && idle < settle_frames; ++frame) {
    idle = q->empty() ? idle + 1 : 0;
    apply_pointer(frame == 0 ? PointerState{} : q->next_frame().pointer, ImGui::GetIO());
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(1280, 800));
    ImGui::Begin("w", nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove);
    ImGui::SetCursorScreenPos(ImVec2(100, 100));
    if (ImGui::InvisibleButton("a", ImVec2(100, 100))) clicks.push_back("a");
    ImGui::SetCursorScreenPos(ImVec2(300, 100));
    if (ImGui::InvisibleButton("b", ImVec2(100, 100))) clicks.push_back("b");
    ImGui::End();
    ImGui::Render();
  }
  return clicks;
}

TEST_F(QueuedFrames, TwoTapsOnDifferentButtonsBetweenTwoFramesAreTwoClicks) {
  InputQueue q;
  tap(&q, 150, 150);
  tap(&q, 350, 150);
  tap(&q, 150, 150);
  EXPECT_EQ(clicks_of_two_buttons(&q), (std::vector<std::string>{"a", "b", "a"}));
}

TEST_F(QueuedFrames, MergedInputLosesTheEarlierTapAsThe186BackendDoes) {
  InputQueue q(false);
  tap(&q, 150, 150);
  tap(&q, 350, 150);
  EXPECT_EQ(clicks_of_two_buttons(&q), (std::vector<std::string>{"b"}));
}

// The comment screen's own keyboard: twenty keys tapped before a single frame is drawn all reach
// the flow, in order.
TEST_F(QueuedFrames, TwentyKeysOfTheCommentKeyboardQueuedAtOnceAllReachTheFlow) {
  auto files = find_fonts({});
  ASSERT_TRUE(files.is_ok()) << files.status().message();
  auto fonts = load_fonts(ImGui::GetIO().Fonts, *files, 1280, 800);
  ASSERT_TRUE(fonts.is_ok());
  unsigned char* pixels = nullptr;
  int tw = 0, th = 0;
  ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &tw, &th);
  KioskView view(*fonts);

  KioskConfig config = testing::test_config(testing::short_survey());
  config.surveys[0].comment_max_length = 40;
  ManualClock clock{TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 9h};
  testing::MemorySink sink;
  const TimeZone tz = TimeZone::utc();
  Flow flow(config, FlowSettings::from_config(config), sink, clock, tz);
  auto act = [&](ActionKind k, int v = 0, std::string t = {}) {
    clock.advance(700ms);
    flow.dispatch(Action{k, v, std::move(t)});
    clock.advance(400ms);
    flow.tick();
  };
  for (int i = 0; i < 3; ++i) act(ActionKind::answer, 1);
  act(ActionKind::toggle_reason, 0, "long_wait");
  act(ActionKind::followup_next);
  ASSERT_EQ(flow.screen(), Screen::comment);

  InputQueue q;
  std::vector<Action> actions;
  UiSnapshot snap;
  ImGui::NewFrame();
  view.draw(flow, &actions, &snap);
  ImGui::Render();
  const std::string keys = "1234567890bcghklmnpq";
  for (char c : keys) {
    const UiElement* e = nullptr;
    for (const UiElement& el : snap.elements) {
      if (el.id == std::string("key-") + c) e = &el;
    }
    ASSERT_NE(e, nullptr) << c;
    tap(&q, e->x + e->w / 2, e->y + e->h / 2);
  }
  for (int frame = 0; frame < 100 && !q.empty(); ++frame) {
    begin_frame(&q);
    view.draw(flow, &actions, &snap);
    ImGui::Render();
    for (const Action& a : actions) flow.dispatch(a);
    actions.clear();
    clock.advance(1ms);
  }
  EXPECT_EQ(flow.comment().utf8(), keys);
}

}  // namespace
}  // namespace sipas
