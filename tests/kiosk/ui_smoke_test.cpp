// Real ImGui frames without a window: the screens draw at every supported size, their tappable
// elements lie inside the window and are large enough to touch, and a tap at a dumped element's
// coordinates reaches the flow.
#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

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
    auto large = add_large_text_fonts(io.Fonts, *files, *fonts, w, h);
    EXPECT_TRUE(large.is_ok());
    unsigned char* pixels = nullptr;
    int tw = 0, th = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &tw, &th);
    view_ = std::make_unique<KioskView>(*fonts);
    view_->set_large_text_fonts(*large);
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
  // A frame drawn into `snap` as it stands, as the app reuses one snapshot from frame to frame.
  void frame_into(const Flow& flow, std::vector<Action>* actions, UiSnapshot* snap) {
    ImGui::NewFrame();
    view_->draw(flow, actions, snap);
    ImGui::Render();
  }

 private:
  ImGuiContext* ctx_ = nullptr;
  std::unique_ptr<KioskView> view_;
};

// Real procedure names of differing lengths; the English name is left out of the fourth.
const std::pair<const char*, LocalizedText> kProcedures[] = {
    {"1.004227", testing::lt("Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền "
                             "với đất",
                             "Registration of changes to land use rights and attached property")},
    {"1.004232", testing::lt("Cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
                             "First issue of a land use rights certificate")},
    {"1.004199", testing::lt("Đính chính Giấy chứng nhận đã cấp",
                             "Correction of an issued land use rights certificate")},
    {"1.001193", testing::lt("Đăng ký khai sinh")},
    {"1.000894", testing::lt("Đăng ký kết hôn", "Marriage registration")},
    {"2.000815", testing::lt("Chứng thực bản sao từ bản chính giấy tờ, văn bản",
                             "Certified copies of original documents")},
    {"2.000488", testing::lt("Cấp Phiếu lý lịch tư pháp", "Criminal record certificate")},
    {"1.009974", testing::lt("Cấp giấy phép xây dựng", "Construction permit")},
    {"1.004221", testing::lt("Cấp đổi, cấp lại Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà "
                             "ở và tài sản khác gắn liền với đất",
                             "Renewal or reissue of a land use rights and property certificate")},
    {"1.004194", testing::lt("Đăng ký thường trú", "Permanent residence registration")},
    {"2.000884", testing::lt("Chứng thực chữ ký trong các giấy tờ, văn bản",
                             "Certification of a signature on documents")},
    {"1.004884", testing::lt("Cấp bản sao trích lục hộ tịch", "Copy of a civil status extract")},
};

// A flow brought to one screen by the same actions a citizen or staff member would take. The
// procedure screen lists the first `procedures` of kProcedures.
class ScreenRig {
 public:
  // `large_text` / `contrast`: switched on at the welcome before going on, as a citizen would.
  explicit ScreenRig(Screen target, std::size_t procedures = 3, bool large_text = false, bool contrast = false) {
    const bool dossier = target == Screen::dossier;
    config_ = testing::test_config(dossier ? testing::mau01_survey() : testing::short_survey());
    if (target == Screen::procedure) {
      for (std::size_t i = 0; i < procedures && i < std::size(kProcedures); ++i) {
        config_.procedures.push_back(Procedure{kProcedures[i].first, kProcedures[i].second});
        config_.counters[0].procedures.push_back(kProcedures[i].first);
      }
    }
    flow_ = std::make_unique<Flow>(config_, FlowSettings::from_config(config_), sink_, clock_,
                                   tz_);
    flow_->set_officer("o1");
    // A tap after reading for a moment, then the time the choice shows.
    auto act = [&](ActionKind k, int v = 0, std::string t = {}) {
      clock_.advance(700ms);
      flow_->dispatch(Action{k, v, std::move(t)});
      clock_.advance(400ms);
      flow_->tick();
    };
    if (large_text) act(ActionKind::toggle_large_text);
    if (contrast) act(ActionKind::toggle_contrast);
    switch (target) {
      case Screen::welcome: break;
      case Screen::dossier:
      case Screen::procedure:
      case Screen::question: act(ActionKind::answer, dossier ? 2 : 5); break;
      case Screen::followup:
      case Screen::comment:
        for (int i = 0; i < 3; ++i) act(ActionKind::answer, 1);
        act(ActionKind::toggle_reason, 0, "long_wait");
        if (target == Screen::comment) {
          act(ActionKind::followup_next);
          for (char c : std::string("Phair chowf quas laau")) act(ActionKind::comment_key, c);
        }
        break;
      case Screen::thanks:
        for (int i = 0; i < 3; ++i) act(ActionKind::answer, 5);
        act(ActionKind::followup_finish);
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
  ManualClock& clock() { return clock_; }

 private:
  ManualClock clock_{TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 9h};
  TimeZone tz_ = TimeZone::utc();
  testing::MemorySink sink_;
  KioskConfig config_;
  std::unique_ptr<Flow> flow_;
};

const Screen kScreens[] = {Screen::welcome, Screen::dossier, Screen::procedure, Screen::question,
                           Screen::followup, Screen::comment, Screen::thanks,   Screen::pin,
                           Screen::staff,   Screen::out_of_service};

class UiSmoke : public ::testing::TestWithParam<Size> {};

// Rows and page labels the staff screen reports for reading, not for tapping.
bool is_figure(const std::string& id) {
  return id == "staff-sync-last-success" || id == "staff-sync-config" || id.find("-row-") != std::string::npos ||
         (id.size() > 5 && id.compare(id.size() - 5, 5, "-page") == 0);
}

const UiElement* element(const UiSnapshot& snap, const std::string& id) {
  for (const UiElement& e : snap.elements) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

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

// A citizen who cannot see the screen finds the speaker in the same corner on every citizen
// screen, at least 56 px tall and 96 px wide; the staff side has none.
TEST_P(UiSmoke, EveryCitizenScreenHasTheSpeakerInTheTopRightCorner) {
  const Size size = GetParam();
  HeadlessUi ui(static_cast<float>(size.w), static_cast<float>(size.h));
  for (Screen screen : kScreens) {
    ScreenRig rig(screen);
    std::vector<Action> actions;
    UiSnapshot snap = ui.frame(rig.flow(), &actions);
    snap = ui.frame(rig.flow(), &actions);
    const UiElement* v = element(snap, "voice");
    const bool staff_side = screen == Screen::pin || screen == Screen::staff || screen == Screen::out_of_service;
    SCOPED_TRACE(snap.screen + " at " + std::to_string(size.w) + "x" + std::to_string(size.h));
    if (staff_side) {
      EXPECT_EQ(v, nullptr);
      continue;
    }
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->label, "Đọc to");
    EXPECT_FLOAT_EQ(v->y, 0.0f);
    EXPECT_NEAR(v->x + v->w, static_cast<float>(size.w), 0.5f);
    EXPECT_GE(v->h, 56.0f);
    EXPECT_GE(v->w, 96.0f);
  }
}

TEST(UiSmokeTap, TappingTheSpeakerSwitchesVoice) {
  HeadlessUi ui(1280, 800);
  ScreenRig rig(Screen::question);
  std::vector<Action> actions;
  const UiSnapshot snap = ui.frame(rig.flow(), &actions);
  const UiElement* v = element(snap, "voice");
  ASSERT_NE(v, nullptr);
  const ImVec2 c(v->x + v->w / 2, v->y + v->h / 2);
  ui.frame(rig.flow(), &actions, c, false);
  ui.frame(rig.flow(), &actions, c, true);
  ui.frame(rig.flow(), &actions, c, false);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, ActionKind::toggle_voice);
}

// Large text never cuts a question or an option: labels wrap, the faces shrink and, where even
// that is not enough, the text steps down to the standard size; the dump says how each label was
// laid out. Four procedures, as many as a counter of the sample has.
TEST_P(UiSmoke, InLargeTextNoQuestionOrOptionLabelIsCut) {
  const Size size = GetParam();
  HeadlessUi ui(static_cast<float>(size.w), static_cast<float>(size.h));
  for (Screen screen : {Screen::welcome, Screen::dossier, Screen::procedure, Screen::question,
                        Screen::followup, Screen::comment, Screen::thanks}) {
    for (bool contrast : {false, true}) {
      ScreenRig rig(screen, 4, /*large_text=*/true, contrast);
      ASSERT_EQ(rig.flow().screen(), screen);
      ASSERT_TRUE(rig.flow().large_text());
      std::vector<Action> actions;
      UiSnapshot snap = ui.frame(rig.flow(), &actions);
      snap = ui.frame(rig.flow(), &actions);
      SCOPED_TRACE(snap.screen + " at " + std::to_string(size.w) + "x" + std::to_string(size.h));
      for (const UiElement& e : snap.elements) {
        if (e.label.empty() || e.id == "voice") continue;  // the speaker may be an icon alone
        EXPECT_GT(e.lines, 0) << e.id << ": its label's layout is reported";
        EXPECT_FALSE(e.cut) << e.id << " \"" << e.label << "\" in " << e.lines << " lines";
        EXPECT_EQ(e.label.find("…"), std::string::npos) << e.id;
      }
      for (const UiText& t : snap.texts) EXPECT_FALSE(t.cut) << t.id << " \"" << t.text << "\"";
      if (screen == Screen::welcome || screen == Screen::question) {
        ASSERT_EQ(snap.texts.size(), 1u);
        EXPECT_EQ(snap.texts[0].id, "question");
      }
    }
  }
}

TEST(UiSmokeDump, EachFrameReportsOnlyItsOwnTexts) {
  HeadlessUi ui(1280, 800);
  ScreenRig rig(Screen::question);
  std::vector<Action> actions;
  UiSnapshot snap;
  for (int i = 0; i < 3; ++i) ui.frame_into(rig.flow(), &actions, &snap);
  ASSERT_EQ(snap.texts.size(), 1u);
  EXPECT_EQ(snap.texts[0].id, "question");
  ScreenRig procedure(Screen::procedure);
  ui.frame_into(procedure.flow(), &actions, &snap);
  EXPECT_TRUE(snap.texts.empty()) << "the question is gone with its screen";
}

TEST(UiSmokeDump, ACutLabelIsReported) {
  // A label far too long for its tile at the smallest size, even at the standard size.
  Survey survey = testing::short_survey();
  survey.options[2].label = testing::lt(std::string(400, 'x'));
  KioskConfig config = testing::test_config(survey);
  testing::MemorySink sink;
  ManualClock clock{TimePoint{}};
  const TimeZone tz = TimeZone::utc();
  Flow flow(config, FlowSettings::from_config(config), sink, clock, tz);
  HeadlessUi ui(800, 480);
  std::vector<Action> actions;
  ui.frame(flow, &actions);
  const UiSnapshot snap = ui.frame(flow, &actions);
  const UiElement* e = element(snap, "answer-3");
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->cut);
  const UiElement* fine = element(snap, "answer-4");
  ASSERT_NE(fine, nullptr);
  EXPECT_FALSE(fine->cut);
}

// "More time?" replaces the survey it interrupts with one large button and nothing else to tap.
TEST_P(UiSmoke, MoreTimeShowsOneLargeButtonInsideTheWindowBesideTheSpeaker) {
  const Size size = GetParam();
  HeadlessUi ui(static_cast<float>(size.w), static_cast<float>(size.h));
  ScreenRig rig(Screen::question);
  rig.clock().advance(30s);
  rig.flow().tick();
  ASSERT_TRUE(rig.flow().more_time_left().has_value());
  std::vector<Action> actions;
  UiSnapshot snap = ui.frame(rig.flow(), &actions);
  snap = ui.frame(rig.flow(), &actions);
  EXPECT_EQ(snap.screen, "more_time");
  ASSERT_EQ(snap.elements.size(), 2u) << "the button, and the speaker in its corner";
  EXPECT_EQ(snap.elements[0].id, "voice");
  const UiElement& e = snap.elements[1];
  EXPECT_EQ(e.id, "more-time");
  EXPECT_EQ(e.label, "Tiếp tục");
  EXPECT_GE(e.w, 96.0f);
  EXPECT_GE(e.h, 96.0f);
  EXPECT_GE(e.y, 0.0f);
  EXPECT_LE(e.x + e.w, static_cast<float>(size.w) + 0.5f);
  EXPECT_LE(e.y + e.h, static_cast<float>(size.h) + 0.5f);
}

TEST_P(UiSmoke, EveryStaffTabDrawsItsElementsInsideTheWindowAndLargeEnoughToTouch) {
  const Size size = GetParam();
  HeadlessUi ui(static_cast<float>(size.w), static_cast<float>(size.h));
  ScreenRig rig(Screen::staff);
  test::TempDir dir;
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
      if (!is_figure(e.id)) {
        EXPECT_GE(e.w, 44.0f);
        EXPECT_GE(e.h, 44.0f);
      }
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
  EXPECT_EQ(snap.step, 2) << "the first question was answered on welcome";
  std::set<std::string> ids;
  for (const auto& e : snap.elements) ids.insert(e.id);
  for (const char* id : {"answer-1", "answer-2", "answer-3", "answer-4", "answer-5", "answer-na"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

bool overlap(const UiElement& a, const UiElement& b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

// From two procedures (the fewest that show the screen) to eight, at every size: each one and the
// skip are offered once, inside the window, large enough to touch and apart from each other.
TEST_P(UiSmoke, ProcedureScreenFitsTwoToEightProcedures) {
  const Size size = GetParam();
  HeadlessUi ui(static_cast<float>(size.w), static_cast<float>(size.h));
  for (std::size_t n = 2; n <= 8; ++n) {
    ScreenRig rig(Screen::procedure, n);
    ASSERT_EQ(rig.flow().screen(), Screen::procedure);
    std::vector<Action> actions;
    ui.frame(rig.flow(), &actions);
    const UiSnapshot snap = ui.frame(rig.flow(), &actions);
    EXPECT_EQ(snap.screen, "procedure");
    // Where they do not all fit, the first page shows the first of them and the next page button.
    const bool paged = element(snap, "procedure.next") != nullptr;
    std::vector<std::string> expected = {"back", "procedure.skip", "voice"};
    if (paged) expected.push_back("procedure.next");
    std::vector<std::string> ids;
    for (const UiElement& e : snap.elements) ids.push_back(e.id);
    const std::size_t shown = ids.size() - expected.size();
    EXPECT_TRUE(shown == n || (paged && shown >= 1 && shown < n)) << shown << " of " << n;
    for (std::size_t i = 0; i < shown; ++i) {
      expected.push_back(std::string("procedure.") + kProcedures[i].first);
    }
    std::sort(ids.begin(), ids.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(ids, expected) << n << " procedures";
    for (std::size_t i = 0; i < snap.elements.size(); ++i) {
      const UiElement& e = snap.elements[i];
      SCOPED_TRACE(e.id + " of " + std::to_string(n) + " at " + std::to_string(size.w) + "x" +
                   std::to_string(size.h));
      EXPECT_GE(e.x, 0.0f);
      EXPECT_GE(e.y, 0.0f);
      EXPECT_LE(e.x + e.w, static_cast<float>(size.w) + 0.5f);
      EXPECT_LE(e.y + e.h, static_cast<float>(size.h) + 0.5f);
      EXPECT_GE(e.w, 44.0f);
      EXPECT_GE(e.h, 44.0f);
      for (std::size_t j = i + 1; j < snap.elements.size(); ++j) {
        EXPECT_FALSE(overlap(e, snap.elements[j])) << snap.elements[j].id;
      }
    }
  }
}

// Each page of the procedure screen, from the first, reached by tapping "next" where the dump says
// it is until it is no longer offered.
std::vector<UiSnapshot> procedure_pages(HeadlessUi& ui, ScreenRig& rig) {
  std::vector<UiSnapshot> pages;
  std::vector<Action> actions;
  for (int guard = 0; guard < 20; ++guard) {
    ui.frame(rig.flow(), &actions);
    pages.push_back(ui.frame(rig.flow(), &actions));
    const UiElement* next = element(pages.back(), "procedure.next");
    if (!next) break;
    const ImVec2 c(next->x + next->w / 2, next->y + next->h / 2);
    actions.clear();
    ui.frame(rig.flow(), &actions, c, false);
    ui.frame(rig.flow(), &actions, c, true);
    ui.frame(rig.flow(), &actions, c, false);
    ui.frame(rig.flow(), &actions, ImVec2(-1, -1), false);
    EXPECT_EQ(actions.size(), 1u);
    rig.clock().advance(700ms);
    for (const Action& a : actions) EXPECT_TRUE(rig.flow().dispatch(a));
    actions.clear();
  }
  return pages;
}

// Eight and twelve procedures with long names, in standard and large text, at every size: where
// they do not all fit they go a page at a time, and no name is ever cut; each procedure is on
// exactly one page, and the page buttons are large enough to touch and inside the window.
TEST_P(UiSmoke, ManyProceduresArePagedAndNoNameIsCut) {
  const Size size = GetParam();
  HeadlessUi ui(static_cast<float>(size.w), static_cast<float>(size.h));
  for (std::size_t n : {std::size_t{8}, std::size_t{12}}) {
    for (bool large : {false, true}) {
      ScreenRig rig(Screen::procedure, n, large);
      ASSERT_EQ(rig.flow().screen(), Screen::procedure);
      ASSERT_EQ(rig.flow().large_text(), large);
      const std::vector<UiSnapshot> pages = procedure_pages(ui, rig);
      std::map<std::string, int> seen;
      for (std::size_t pg = 0; pg < pages.size(); ++pg) {
        const UiSnapshot& snap = pages[pg];
        SCOPED_TRACE(std::to_string(n) + (large ? " in large text" : "") + ", page " +
                     std::to_string(pg + 1) + " at " + std::to_string(size.w) + "x" +
                     std::to_string(size.h));
        for (const UiElement& e : snap.elements) {
          if (e.id == "voice") continue;
          EXPECT_FALSE(e.cut) << e.id << " \"" << e.label << "\" in " << e.lines << " lines";
          EXPECT_EQ(e.label.find("…"), std::string::npos) << e.id;
          if (e.id == "procedure.prev" || e.id == "procedure.next") {
            EXPECT_GE(e.w, 44.0f) << e.id;
            EXPECT_GE(e.h, 44.0f) << e.id;
            EXPECT_GE(e.x, 0.0f) << e.id;
            EXPECT_GE(e.y, 0.0f) << e.id;
            EXPECT_LE(e.x + e.w, static_cast<float>(size.w) + 0.5f) << e.id;
            EXPECT_LE(e.y + e.h, static_cast<float>(size.h) + 0.5f) << e.id;
          } else if (e.id != "back" && e.id != "procedure.skip") {
            ++seen[e.id];
          }
        }
        for (std::size_t i = 0; i < snap.elements.size(); ++i) {
          for (std::size_t j = i + 1; j < snap.elements.size(); ++j) {
            EXPECT_FALSE(overlap(snap.elements[i], snap.elements[j]))
                << snap.elements[i].id << " " << snap.elements[j].id;
          }
        }
        for (const UiText& t : snap.texts) EXPECT_FALSE(t.cut) << t.id << " \"" << t.text << "\"";
        EXPECT_EQ(element(snap, "procedure.prev") != nullptr, pg > 0) << "previous from the second page";
        EXPECT_EQ(element(snap, "procedure.next") != nullptr, pg + 1 < pages.size());
      }
      std::map<std::string, int> expected;
      for (std::size_t i = 0; i < n; ++i) expected[std::string("procedure.") + kProcedures[i].first] = 1;
      EXPECT_EQ(seen, expected) << n << (large ? " in large text" : "") << ", " << pages.size()
                                << " pages";
    }
  }
}

// Eight officers and six counters on the Today tab, and eight officers to choose from on the Shift
// tab: at every size, tapping ▼ until it is gone shows each of them exactly once.
TEST_P(UiSmoke, EveryCounterAndOfficerIsReachedByTappingNextPage) {
  const Size size = GetParam();
  HeadlessUi ui(static_cast<float>(size.w), static_cast<float>(size.h));
  KioskConfig config = testing::test_config(testing::short_survey());
  std::vector<Officer> officers;
  for (int i = 1; i <= 8; ++i) officers.push_back(Officer{"o" + std::to_string(i), "Cán bộ số " + std::to_string(i)});
  config.counters.clear();
  for (int i = 1; i <= 6; ++i) {
    config.counters.push_back(Counter{"q" + std::to_string(i), "Quầy " + std::to_string(i) + " – Một cửa",
                                      i == 1 ? officers : std::vector<Officer>{officers[static_cast<std::size_t>(i)]}});
  }
  const TimePoint now = TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 9h;
  ManualClock clock(now);
  const TimeZone tz = TimeZone::utc();
  testing::MemorySink sink;
  Flow flow(config, FlowSettings::from_config(config), sink, clock, tz);
  flow.set_officer("o1");
  flow.dispatch(Action{ActionKind::corner_down, 0, {}});
  clock.advance(3s);
  flow.tick();
  for (char c : std::string("2468")) {
    clock.advance(500ms);
    flow.dispatch(Action{ActionKind::pin_key, c, {}});
  }
  clock.advance(500ms);
  ASSERT_TRUE(flow.dispatch(Action{ActionKind::pin_submit, 0, {}}));
  ASSERT_EQ(flow.screen(), Screen::staff);

  test::TempDir dir;
  auto store = ResponseStore::open((dir / "k.db").string());
  ASSERT_TRUE(store.is_ok());
  for (int i = 0; i < 48; ++i) {
    ResponseDraft d;
    d.survey_id = "short";
    d.unit = "22.PVHCC";
    d.counter = "q" + std::to_string(1 + i % 6);
    d.officer = "o" + std::to_string(1 + i % 8);
    d.submitted_at = now - std::chrono::minutes(5 * (i + 1));
    d.started_at = d.submitted_at - 30s;
    d.answers = {{"access.waiting_time", 1 + i % 5}, {"officer.polite", 5 - i % 5}};
    ASSERT_TRUE((*store)->append(d).is_ok());
  }
  StaffModel staff(config, tz, clock);
  ASSERT_TRUE(staff.refresh(**store, true).is_ok());
  ASSERT_EQ(staff.today().officers.size(), 8u);
  ASSERT_EQ(staff.today().counters.size(), 6u);
  ui.set_staff(&staff);

  // Shows each page of `list` on `tab`, taps its ▼ at the dumped place, and counts the ids that
  // start with `prefix` on every page.
  auto reach_all = [&](StaffTab tab, const std::string& list, const std::string& prefix) {
    staff.set_tab(tab);
    std::map<std::string, int> seen;
    for (int pages = 0; pages < 20; ++pages) {
      std::vector<Action> actions;
      ui.frame(flow, &actions);
      const UiSnapshot snap = ui.frame(flow, &actions);
      for (const UiElement& e : snap.elements) {
        if (e.id.rfind(prefix, 0) == 0) ++seen[e.id.substr(prefix.size())];
      }
      const UiElement* next = element(snap, "staff-" + list + "-next");
      if (!next) break;
      EXPECT_NE(element(snap, "staff-" + list + "-page"), nullptr) << "a paged list says which rows show";
      const ImVec2 c(next->x + next->w / 2, next->y + next->h / 2);
      actions.clear();
      ui.frame(flow, &actions, c, false);
      ui.frame(flow, &actions, c, true);
      ui.frame(flow, &actions, c, false);
      ui.frame(flow, &actions, ImVec2(-1, -1), false);
      EXPECT_EQ(actions.size(), 1u);
      for (const Action& a : actions) {
        EXPECT_EQ(a.kind, ActionKind::staff_page);
        EXPECT_TRUE(flow.dispatch(a));
        EXPECT_TRUE(staff.apply(a, store->get(), {}).is_ok());
      }
    }
    return seen;
  };
  const std::string at = std::to_string(size.w) + "x" + std::to_string(size.h);
  std::map<std::string, int> expected_officers, expected_counters;
  for (int i = 1; i <= 8; ++i) expected_officers["o" + std::to_string(i)] = 1;
  for (int i = 1; i <= 6; ++i) expected_counters["q" + std::to_string(i)] = 1;
  EXPECT_EQ(reach_all(StaffTab::today, "officers", "staff-officers-row-"), expected_officers) << at;
  EXPECT_EQ(reach_all(StaffTab::today, "counters", "staff-counters-row-"), expected_counters) << at;
  EXPECT_EQ(reach_all(StaffTab::shift, "shift-officers", "staff-officer-"), expected_officers) << at;
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

TEST(UiSmokeTap, TappingAProcedureChoosesItAndTheSkipSkips) {
  HeadlessUi ui(1280, 800);
  ScreenRig rig(Screen::procedure, 4);
  std::vector<Action> actions;
  const UiSnapshot snap = ui.frame(rig.flow(), &actions);
  for (const char* id : {"procedure.1.004199", "procedure.skip"}) {
    const UiElement* target = element(snap, id);
    ASSERT_NE(target, nullptr) << id;
    const ImVec2 c(target->x + target->w / 2, target->y + target->h / 2);
    ui.frame(rig.flow(), &actions, c, false);
    ui.frame(rig.flow(), &actions, c, true);
    ui.frame(rig.flow(), &actions, c, false);
    ui.frame(rig.flow(), &actions, ImVec2(-1, -1), false);
  }
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0].kind, ActionKind::procedure_choose);
  EXPECT_EQ(actions[0].text, "1.004199");
  EXPECT_EQ(actions[1].kind, ActionKind::procedure_skip);
}

TEST(UiSmokeProcedure, NamesAreInTheCitizensLanguageWithVietnameseAsFallback) {
  HeadlessUi ui(1280, 800);
  ScreenRig rig(Screen::procedure, 4);
  std::vector<Action> actions;
  UiSnapshot snap = ui.frame(rig.flow(), &actions);
  ASSERT_NE(element(snap, "procedure.1.004232"), nullptr);
  EXPECT_EQ(element(snap, "procedure.1.004232")->label,
            "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu");
  EXPECT_EQ(element(snap, "procedure.skip")->label, "Khác / không nhớ");

  KioskConfig config = testing::test_config(testing::short_survey());
  config.languages = {"vi", "en"};
  for (const auto& [code, name] : kProcedures) {
    config.procedures.push_back(Procedure{code, name});
    if (config.counters[0].procedures.size() < 4) config.counters[0].procedures.push_back(code);
  }
  ManualClock clock(TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 9h);
  testing::MemorySink sink;
  const TimeZone tz = TimeZone::utc();
  Flow flow(config, FlowSettings::from_config(config), sink, clock, tz);
  ASSERT_TRUE(flow.dispatch(Action{ActionKind::set_language, 0, "en"}));
  clock.advance(500ms);
  ASSERT_TRUE(flow.dispatch(Action{ActionKind::answer, 5, {}}));
  clock.advance(500ms);
  flow.tick();
  ASSERT_EQ(flow.screen(), Screen::procedure);
  snap = ui.frame(flow, &actions);
  ASSERT_NE(element(snap, "procedure.1.004232"), nullptr);
  EXPECT_EQ(element(snap, "procedure.1.004232")->label,
            "First issue of a land use rights certificate");
  ASSERT_NE(element(snap, "procedure.1.001193"), nullptr);
  EXPECT_EQ(element(snap, "procedure.1.001193")->label, "Đăng ký khai sinh");
  EXPECT_EQ(element(snap, "procedure.skip")->label, "Other / not sure");
}

TEST(UiSmokeWelcome, DuringTheMinimumIntervalTheFacesAreNotOffered) {
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
                       [](const UiElement& e) { return e.id == "answer-1"; });
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

// The gap between two rectangles (0 when they touch or overlap).
float gap_between(const UiElement& a, const UiElement& b) {
  const float dx = std::max({0.0f, b.x - (a.x + a.w), a.x - (b.x + b.w)});
  const float dy = std::max({0.0f, b.y - (a.y + a.h), a.y - (b.y + b.h)});
  return std::max(dx, dy);
}

// Keys of one on-screen keyboard sit close like a real keyboard's; they still never touch.
bool keyboard_pair(const std::string& screen, const UiElement& a, const UiElement& b) {
  if (screen != "comment" && screen != "dossier" && screen != "pin") return false;
  auto on_keyboard = [](const std::string& id) {
    return id.rfind("key-", 0) == 0 || id.rfind("pin-", 0) == 0 || id == "back" ||
           id == "submit" || id == "skip";
  };
  return on_keyboard(a.id) && on_keyboard(b.id);
}

// Every citizen screen, also with "not applicable", "don't know" and a chosen answer, and the
// Mẫu 01 questions with their plain-language lines.
std::vector<UiSnapshot> citizen_screens(HeadlessUi& ui) {
  std::vector<UiSnapshot> out;
  std::vector<Action> actions;
  for (Screen screen : {Screen::welcome, Screen::dossier, Screen::procedure, Screen::question,
                        Screen::followup, Screen::comment, Screen::thanks}) {
    ScreenRig rig(screen, 8);
    ui.frame(rig.flow(), &actions);
    out.push_back(ui.frame(rig.flow(), &actions));
  }
  Survey mau = testing::mau01_survey();
  for (Criterion& c : mau.elements[0].criteria) {
    c.hint = testing::lt("Hồ sơ của Ông/Bà được trả kết quả sớm, đúng hay trễ so với ngày hẹn?");
    c.allow_unknown = true;
  }
  mau.dossier_optional = true;
  mau.allow_not_applicable = true;
  const KioskConfig config = testing::test_config(mau);
  ManualClock clock(TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 9h);
  testing::MemorySink sink;
  const TimeZone tz = TimeZone::utc();
  Flow flow(config, FlowSettings::from_config(config), sink, clock, tz);
  auto act = [&](ActionKind k, int v = 0) {
    clock.advance(700ms);
    flow.dispatch(Action{k, v, {}});
    clock.advance(400ms);
    flow.tick();
  };
  act(ActionKind::answer, 1);
  ui.frame(flow, &actions);
  out.push_back(ui.frame(flow, &actions));  // the dossier with "no number"
  act(ActionKind::dossier_skip);
  act(ActionKind::answer, 2);
  act(ActionKind::back);
  ui.frame(flow, &actions);
  out.push_back(ui.frame(flow, &actions));  // a question with a ticked answer, N/A and "Chưa biết"
  return out;
}

TEST_P(UiSmoke, NoTwoTappableElementsOfACitizenScreenAreCloserThan24Px) {
  const Size size = GetParam();
  HeadlessUi ui(static_cast<float>(size.w), static_cast<float>(size.h));
  for (const UiSnapshot& snap : citizen_screens(ui)) {
    for (std::size_t i = 0; i < snap.elements.size(); ++i) {
      for (std::size_t j = i + 1; j < snap.elements.size(); ++j) {
        const UiElement& a = snap.elements[i];
        const UiElement& b = snap.elements[j];
        if (a.id == "corner" || b.id == "corner") continue;  // the staff's hidden hold
        // Half a pixel for rounding: the dump itself gives whole pixels.
        const float least = (keyboard_pair(snap.screen, a, b) ? 6.0f : 24.0f) - 0.5f;
        EXPECT_GE(gap_between(a, b), least)
            << snap.screen << ": " << a.id << " and " << b.id << " at " << size.w << "x" << size.h;
      }
    }
  }
}

TEST_P(UiSmoke, TheAnswersStayPutFromOneQuestionToTheNext) {
  const Size size = GetParam();
  HeadlessUi ui(static_cast<float>(size.w), static_cast<float>(size.h));
  Survey survey = testing::short_survey();
  survey.elements[1].criteria[0].text = testing::lt(
      "Công chức có thái độ lịch sự, tôn trọng khi giao tiếp, lắng nghe và trả lời đầy đủ các câu "
      "hỏi, thắc mắc của Ông/Bà trong suốt quá trình giải quyết hồ sơ");
  const KioskConfig config = testing::test_config(survey);
  ManualClock clock(TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 9h);
  testing::MemorySink sink;
  const TimeZone tz = TimeZone::utc();
  Flow flow(config, FlowSettings::from_config(config), sink, clock, tz);
  std::vector<Action> actions;
  std::vector<UiElement> tiles;
  for (int q = 0; q < 3; ++q) {
    clock.advance(1s);
    flow.dispatch(Action{ActionKind::answer, 4, {}});
    clock.advance(500ms);
    flow.tick();
    if (flow.screen() != Screen::question) break;
    ui.frame(flow, &actions);
    const UiSnapshot snap = ui.frame(flow, &actions);
    ASSERT_NE(element(snap, "answer-5"), nullptr);
    tiles.push_back(*element(snap, "answer-5"));
  }
  ASSERT_EQ(tiles.size(), 2u);
  EXPECT_EQ(tiles[0].y, tiles[1].y);
  EXPECT_EQ(tiles[0].x, tiles[1].x);
  EXPECT_EQ(tiles[0].h, tiles[1].h);
}

TEST(UiSmokeWelcome, TheFacesAreTheFirstQuestionsAnswers) {
  HeadlessUi ui(1280, 800);
  ScreenRig rig(Screen::welcome);
  std::vector<Action> actions;
  ui.frame(rig.flow(), &actions);
  const UiSnapshot snap = ui.frame(rig.flow(), &actions);
  for (int v = 1; v <= 5; ++v) {
    const UiElement* e = element(snap, "answer-" + std::to_string(v));
    ASSERT_NE(e, nullptr) << v;
    ui.frame(rig.flow(), &actions, ImVec2(e->x + e->w / 2, e->y + e->h / 2), false);
    ui.frame(rig.flow(), &actions, ImVec2(e->x + e->w / 2, e->y + e->h / 2), true);
    ui.frame(rig.flow(), &actions, ImVec2(e->x + e->w / 2, e->y + e->h / 2), false);
  }
  ASSERT_EQ(actions.size(), 5u);
  for (int v = 1; v <= 5; ++v) {
    EXPECT_EQ(actions[v - 1].kind, ActionKind::answer);
    EXPECT_EQ(actions[v - 1].value, v);
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
