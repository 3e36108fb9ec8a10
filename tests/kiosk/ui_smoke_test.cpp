// Real ImGui frames without a window: the screens draw at every supported size, their tappable
// elements lie inside the window and are large enough to touch, and a tap at a dumped element's
// coordinates reaches the flow.
#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <imgui.h>
#include <nlohmann/json.hpp>

#include "fonts.hpp"
#include "kiosk_test_support.hpp"
#include "staff.hpp"
#include "temp_dir.hpp"
#include "views.hpp"

namespace sipas {
namespace {

using namespace std::chrono_literals;

struct Size {
  int w, h;
};

class HeadlessUi {
 public:
  HeadlessUi(float w, float h) {
    ctx_ = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(w, h);
    io.DeltaTime = 1.0f / 60.0f;
    auto files = find_fonts({});
    EXPECT_TRUE(files.is_ok()) << files.status().message();
    auto fonts = load_fonts(io.Fonts, *files, w, h);
    EXPECT_TRUE(fonts.is_ok());
    unsigned char* pixels = nullptr;
    int tw = 0, th = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &tw, &th);
    view_ = std::make_unique<KioskView>(*fonts);
  }
  ~HeadlessUi() { ImGui::DestroyContext(ctx_); }
  void set_staff(const StaffModel* staff) { view_->set_staff(staff); }
  HeadlessUi(const HeadlessUi&) = delete;
  HeadlessUi& operator=(const HeadlessUi&) = delete;

  UiSnapshot frame(const Flow& flow, std::vector<Action>* actions, ImVec2 mouse = ImVec2(-1, -1),
                   bool down = false) {
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = mouse;
    io.MouseDown[0] = down;
    ImGui::NewFrame();
    UiSnapshot snap;
    view_->draw(flow, actions, &snap);
    ImGui::Render();
    return snap;
  }

 private:
  ImGuiContext* ctx_ = nullptr;
  std::unique_ptr<KioskView> view_;
};

// A flow brought to one screen by the same actions a citizen or staff member would take.
class ScreenRig {
 public:
  explicit ScreenRig(Screen target) {
    const bool dossier = target == Screen::dossier;
    config_ = testing::test_config(dossier ? testing::mau01_survey() : testing::short_survey());
    flow_ = std::make_unique<Flow>(config_, FlowSettings::from_config(config_), sink_, clock_,
                                   tz_);
    flow_->set_officer("o1");
    auto act = [&](ActionKind k, int v = 0, std::string t = {}) {
      clock_.advance(500ms);
      flow_->dispatch(Action{k, v, std::move(t)});
    };
    switch (target) {
      case Screen::welcome: break;
      case Screen::dossier:
      case Screen::question: act(ActionKind::start); break;
      case Screen::followup:
      case Screen::comment:
        act(ActionKind::start);
        for (int i = 0; i < 3; ++i) act(ActionKind::answer, 1);
        act(ActionKind::toggle_reason, 0, "long_wait");
        if (target == Screen::comment) {
          act(ActionKind::followup_next);
          for (char c : std::string("Phair chowf quas laau")) act(ActionKind::comment_key, c);
        }
        break;
      case Screen::thanks:
        act(ActionKind::start);
        for (int i = 0; i < 3; ++i) act(ActionKind::answer, 5);
        break;
      case Screen::pin:
      case Screen::staff:
        act(ActionKind::corner_down);
        clock_.advance(3s);
        flow_->tick();
        if (target == Screen::staff) {
          for (char c : std::string("2468")) act(ActionKind::pin_key, c);
          act(ActionKind::pin_submit);
        }
        break;
      case Screen::out_of_service: flow_->store_failed(); break;
    }
  }
  Flow& flow() { return *flow_; }

 private:
  ManualClock clock_{TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 9h};
  TimeZone tz_ = TimeZone::utc();
  testing::MemorySink sink_;
  KioskConfig config_;
  std::unique_ptr<Flow> flow_;
};

const Screen kScreens[] = {Screen::welcome, Screen::dossier,  Screen::question,
                           Screen::followup, Screen::comment, Screen::thanks,
                           Screen::pin,      Screen::staff,   Screen::out_of_service};

class UiSmoke : public ::testing::TestWithParam<Size> {};

TEST_P(UiSmoke, EveryScreenDrawsItsElementsInsideTheWindowAndLargeEnoughToTouch) {
  const Size size = GetParam();
  HeadlessUi ui(static_cast<float>(size.w), static_cast<float>(size.h));
  for (Screen screen : kScreens) {
    ScreenRig rig(screen);
    ASSERT_EQ(rig.flow().screen(), screen);
    std::vector<Action> actions;
    UiSnapshot snap = ui.frame(rig.flow(), &actions);
    snap = ui.frame(rig.flow(), &actions);
    EXPECT_TRUE(actions.empty());
    EXPECT_EQ(snap.screen, to_string(screen));
    if (screen != Screen::thanks) {
      EXPECT_FALSE(snap.elements.empty()) << snap.screen;
    }
    std::set<std::string> ids;
    for (const UiElement& e : snap.elements) {
      SCOPED_TRACE(snap.screen + " " + e.id + " at " + std::to_string(size.w) + "x" +
                   std::to_string(size.h));
      EXPECT_TRUE(ids.insert(e.id).second) << "ids are unique on a screen";
      EXPECT_GE(e.x, 0.0f);
      EXPECT_GE(e.y, 0.0f);
      EXPECT_LE(e.x + e.w, static_cast<float>(size.w) + 0.5f);
      EXPECT_LE(e.y + e.h, static_cast<float>(size.h) + 0.5f);
      EXPECT_GE(e.w, 44.0f);
      EXPECT_GE(e.h, 44.0f);
    }
  }
}

TEST_P(UiSmoke, EveryStaffTabDrawsItsElementsInsideTheWindowAndLargeEnoughToTouch) {
  const Size size = GetParam();
  HeadlessUi ui(static_cast<float>(size.w), static_cast<float>(size.h));
  ScreenRig rig(Screen::staff);
  testing::TempDir dir;
  auto store = ResponseStore::open((dir / "k.db").string());
  ASSERT_TRUE(store.is_ok());
  const TimePoint now = TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 9h;
  for (int i = 0; i < 6; ++i) {
    ResponseDraft d;
    d.survey_id = "short";
    d.unit = "22.PVHCC";
    d.counter = "q1";
    d.officer = "o1";
    d.submitted_at = now - std::chrono::hours(i * 20);
    d.started_at = d.submitted_at - 30s;
    d.answers = {{"access.waiting_time", 1 + i % 5}, {"officer.polite", 5 - i % 5}};
    d.reasons = {"long_wait"};
    d.comment = "Góp ý số " + std::to_string(i) + ", rất dài để thử xuống dòng trên màn hình nhỏ";
    ASSERT_TRUE((*store)->append(d).is_ok());
  }
  ManualClock clock(now);
  const TimeZone tz = TimeZone::utc();
  StaffModel staff(rig.flow().config(), tz, clock);
  ASSERT_TRUE(staff.refresh(**store, true).is_ok());
  (void)staff.export_csv(**store, ExportRange::today);
  ui.set_staff(&staff);
  const char* expected[] = {"staff-today-index", "staff-tab-criteria", "staff-tab-trend",
                            "staff-sync-now",    "staff-officer-o1",   "staff-export-today"};
  for (int tab = 0; tab < 6; ++tab) {
    staff.set_tab(static_cast<StaffTab>(tab));
    std::vector<Action> actions;
    UiSnapshot snap = ui.frame(rig.flow(), &actions);
    snap = ui.frame(rig.flow(), &actions);
    EXPECT_TRUE(actions.empty());
    std::set<std::string> ids;
    for (const UiElement& e : snap.elements) {
      SCOPED_TRACE(e.id + " on tab " + std::to_string(tab) + " at " + std::to_string(size.w) + "x" +
                   std::to_string(size.h));
      EXPECT_TRUE(ids.insert(e.id).second) << "ids are unique on a screen";
      EXPECT_GE(e.x, 0.0f);
      EXPECT_GE(e.y, 0.0f);
      EXPECT_LE(e.x + e.w, static_cast<float>(size.w) + 0.5f);
      EXPECT_LE(e.y + e.h, static_cast<float>(size.h) + 0.5f);
      EXPECT_GE(e.w, 44.0f);
      EXPECT_GE(e.h, 44.0f);
    }
    for (const char* id : {"staff-tab-today", "staff-tab-criteria", "staff-tab-trend", "staff-tab-sync",
                           "staff-tab-shift", "staff-tab-export",
                           "staff-back", "staff-exit", expected[tab]}) {
      EXPECT_TRUE(ids.count(id)) << id << " on tab " << tab;
    }
  }
}

TEST_P(UiSmoke, QuestionScreenOffersEveryAnswerAndItsStep) {
  const Size size = GetParam();
  HeadlessUi ui(static_cast<float>(size.w), static_cast<float>(size.h));
  ScreenRig rig(Screen::question);
  std::vector<Action> actions;
  const UiSnapshot snap = ui.frame(rig.flow(), &actions);
  EXPECT_EQ(snap.step, 1);
  std::set<std::string> ids;
  for (const auto& e : snap.elements) ids.insert(e.id);
  for (const char* id : {"answer-1", "answer-2", "answer-3", "answer-4", "answer-5", "answer-na"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, UiSmoke,
                         ::testing::Values(Size{800, 480}, Size{1280, 800}, Size{1920, 1080},
                                           Size{1080, 1920}),
                         [](const auto& info) {
                           return std::to_string(info.param.w) + "x" + std::to_string(info.param.h);
                         });

TEST(UiSmokeTap, ATapAtTheDumpedCoordinatesReachesTheFlow) {
  HeadlessUi ui(1280, 800);
  ScreenRig rig(Screen::question);
  std::vector<Action> actions;
  const UiSnapshot snap = ui.frame(rig.flow(), &actions);
  const UiElement* target = nullptr;
  for (const auto& e : snap.elements) {
    if (e.id == "answer-4") target = &e;
  }
  ASSERT_NE(target, nullptr);
  const ImVec2 c(target->x + target->w / 2, target->y + target->h / 2);
  ui.frame(rig.flow(), &actions, c, false);
  ui.frame(rig.flow(), &actions, c, true);
  EXPECT_TRUE(actions.empty()) << "a tap acts on release";
  ui.frame(rig.flow(), &actions, c, false);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, ActionKind::answer);
  EXPECT_EQ(actions[0].value, 4);
}

TEST(UiSmokeWelcome, DuringTheMinimumIntervalStartIsNotOffered) {
  HeadlessUi ui(1280, 800);
  const TimePoint now = TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 9h;
  ManualClock clock(now);
  testing::MemorySink sink;
  const KioskConfig config = testing::test_config(testing::short_survey());
  const TimeZone tz = TimeZone::utc();
  Flow flow(config, FlowSettings::from_config(config), sink, clock, tz, now - 4s);
  ASSERT_EQ(flow.seconds_until_next(), 6);
  std::vector<Action> actions;
  auto has_start = [&] {
    const UiSnapshot snap = ui.frame(flow, &actions);
    return std::any_of(snap.elements.begin(), snap.elements.end(),
                       [](const UiElement& e) { return e.id == "start"; });
  };
  EXPECT_FALSE(has_start());
  clock.advance(6s);
  EXPECT_TRUE(has_start());
}

TEST(UiSmokeComment, TheCommentScreenDrawsBeforeAnythingIsTyped) {
  HeadlessUi ui(1280, 800);
  ScreenRig rig(Screen::followup);
  rig.flow().dispatch(Action{ActionKind::followup_next, 0, {}});
  ASSERT_EQ(rig.flow().screen(), Screen::comment);
  ASSERT_EQ(rig.flow().comment().length(), 0u);
  std::vector<Action> actions;
  const UiSnapshot snap = ui.frame(rig.flow(), &actions);
  EXPECT_EQ(snap.screen, "comment");
  std::set<std::string> ids;
  for (const auto& e : snap.elements) ids.insert(e.id);
  for (const char* id : {"key-a", "key-space", "key-backspace", "key-shift", "submit", "back"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

TEST(UiSmokeTap, HoldingTheCornerReportsPressAndRelease) {
  HeadlessUi ui(1280, 800);
  ScreenRig rig(Screen::welcome);
  std::vector<Action> actions;
  ui.frame(rig.flow(), &actions, ImVec2(10, 10), false);
  ui.frame(rig.flow(), &actions, ImVec2(10, 10), true);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, ActionKind::corner_down);
  ui.frame(rig.flow(), &actions, ImVec2(10, 10), true);
  ui.frame(rig.flow(), &actions, ImVec2(10, 10), false);
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[1].kind, ActionKind::corner_up);
}

TEST(UiSmokeDump, SnapshotJsonHasTheContractFields) {
  UiSnapshot s{"question", 3, {UiElement{"answer-4", "Hài lòng", 10.4f, 20.6f, 100, 120}}};
  const auto j = nlohmann::json::parse(ui_snapshot_json(s));
  EXPECT_EQ(j["screen"], "question");
  EXPECT_EQ(j["step"], 3);
  ASSERT_EQ(j["elements"].size(), 1u);
  const auto& e = j["elements"][0];
  EXPECT_EQ(e["id"], "answer-4");
  EXPECT_EQ(e["label"], "Hài lòng");
  EXPECT_EQ(e["x"], 10);
  EXPECT_EQ(e["y"], 21);
  EXPECT_EQ(e["w"], 100);
  EXPECT_EQ(e["h"], 120);
}

}  // namespace
}  // namespace sipas
