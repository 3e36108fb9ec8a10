// The real sipas-kiosk under Xvfb: tapped with xdotool at the coordinates of its --ui-dump, then
// the SQLite file is checked for exactly what was tapped.
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e_support.hpp"
#include "sipas/store.hpp"

namespace sipas {
namespace {

using namespace e2e;
using namespace std::chrono_literals;

// The sample configuration with this test's database and questionnaire, and a sync server that
// refuses connections.
fs::path make_config(const TempDir& dir, const std::string& survey) {
  const fs::path cfg = dir / "config";
  fs::create_directories(cfg / "surveys");
  const fs::path src = fs::path(SIPAS_SOURCE_DIR) / "kiosk-config";
  for (const auto& e : fs::directory_iterator(src / "surveys")) {
    fs::copy_file(e.path(), cfg / "surveys" / e.path().filename());
  }
  fs::copy_file(src / "procedures.json", cfg / "procedures.json");
  auto j = nlohmann::json::parse(read_file(src / "kiosk.json"));
  j["db_path"] = (dir / "kiosk.db").string();
  j["active_survey"] = survey;
  j["server"]["url"] = "http://127.0.0.1:1";
  j["min_interval_seconds"] = 10;
  std::ofstream(cfg / "kiosk.json") << j.dump(2);
  return cfg;
}

class KioskE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"Xvfb", "xdotool"}) {
      if (!have_tool(tool)) GTEST_SKIP() << tool << " is not installed";
    }
  }

  void start(const fs::path& config, const std::string& db, int w = 1280, int h = 800) {
    kiosk_.start(config, w, h, {"--db", db});
  }

  // The dump once it shows `screen` (at question `step`, when given); otherwise an empty one, so
  // that ASSERT_FALSE(d.empty()) stops the test where the kiosk went astray (the session has
  // recorded what it showed instead).
  nlohmann::json wait_for(const std::string& screen, int step = -1) {
    return only_if_shows(kiosk_.wait_for(screen, step), screen, step);
  }
  nlohmann::json open_pin_pad() { return only_if_shows(kiosk_.open_pin_pad(), "pin"); }
  nlohmann::json open_staff(const std::string& pin) { return only_if_shows(kiosk_.open_staff(pin), "staff"); }

  // Answers the questions from the second to the `questions`th with `value`, then "Hoàn tất";
  // returns once the thanks show (a test failure where the kiosk went astray).
  void answer_rest_and_finish(std::size_t questions, int value) {
    for (std::size_t i = 1; i < questions; ++i) {
      auto d = wait_for("question", static_cast<int>(i + 1));
      ASSERT_FALSE(d.empty());
      kiosk_.choose(d, "answer-" + std::to_string(value));
    }
    auto d = wait_for("followup");
    ASSERT_FALSE(d.empty());
    kiosk_.choose(d, "finish");
    ASSERT_FALSE(wait_for("thanks").empty());
  }

  std::vector<Response> stored(const fs::path& db) {
    auto store = ResponseStore::open(db.string());
    EXPECT_TRUE(store.is_ok()) << store.status().to_string();
    if (!store.is_ok()) return {};
    auto all = (*store)->pending(1000);
    EXPECT_TRUE(all.is_ok());
    return all.is_ok() ? *all : std::vector<Response>{};
  }

  TempDir dir_;
  KioskSession kiosk_{dir_.path(), SIPAS_KIOSK_BIN};

 private:
  static nlohmann::json only_if_shows(nlohmann::json dump, const std::string& screen, int step = -1) {
    return shows(dump, screen, step) ? dump : nlohmann::json();
  }
};

// The questionnaire's criteria in the order the kiosk asks them (first_question, which the welcome
// screen's faces answer, then the rest in file order) and its reasons, read from the sample file
// the test uses.
struct SurveyFile {
  std::vector<std::string> criteria;
  std::vector<std::string> reasons;
  bool allow_not_applicable = false;
};

SurveyFile read_survey(const fs::path& config, const std::string& id) {
  SurveyFile out;
  const auto j = nlohmann::json::parse(read_file(config / "surveys" / (id + ".json")));
  for (const auto& e : j["elements"]) {
    for (const auto& c : e["criteria"]) out.criteria.push_back(c["id"]);
  }
  const std::string first = j.value("first_question", "");
  if (auto it = std::find(out.criteria.begin(), out.criteria.end(), first); it != out.criteria.end()) {
    std::rotate(out.criteria.begin(), it, it + 1);
  }
  for (const auto& r : j.value("reasons", nlohmann::json::array())) out.reasons.push_back(r["id"]);
  out.allow_not_applicable = j.value("allow_not_applicable", false);
  return out;
}

// Sets the staff PIN with the kiosk's own `set-pin`.
void set_pin(const fs::path& cfg, const std::string& pin) {
  const std::string cmd = "echo " + pin + " | " + SIPAS_KIOSK_BIN + " set-pin --config " +
                          cfg.string() + " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
}

TEST_F(KioskE2e, ATappedSurveyIsStoredExactlyAsTapped) {
  const fs::path cfg = make_config(dir_, "counter-short");
  const SurveyFile survey = read_survey(cfg, "counter-short");
  ASSERT_GE(survey.criteria.size(), 3u);
  ASSERT_GE(survey.reasons.size(), 2u);
  start(cfg, (dir_ / "kiosk.db").string());
  auto d = wait_for("welcome");
  ASSERT_FALSE(d.empty());
  // The welcome's faces answer overall satisfaction; its 2 offers the reasons tied to it.
  const int pattern[] = {2, 5, 0, 3, 5, 4, 1, 4};
  kiosk_.choose(d, "answer-2");
  std::vector<Answer> expected = {Answer{survey.criteria[0], 2}};
  // The sample kiosk stands at counter q1, which lists three land procedures.
  d = wait_for("procedure");
  ASSERT_FALSE(d.empty());
  kiosk_.find(d, "procedure.skip");
  kiosk_.choose(d, "procedure.1.004232");
  // 0 stands for "not applicable".
  for (std::size_t i = 1; i < survey.criteria.size(); ++i) {
    int v = pattern[i % std::size(pattern)];
    if (v == 0 && !survey.allow_not_applicable) v = 4;
    d = wait_for("question", static_cast<int>(i + 1));
    ASSERT_FALSE(d.empty());
    kiosk_.choose(d, v == 0 ? "answer-na" : "answer-" + std::to_string(v));
    expected.push_back(Answer{survey.criteria[i], v == 0 ? std::nullopt : std::optional<int>(v)});
  }
  d = wait_for("followup");
  ASSERT_FALSE(d.empty());
  kiosk_.choose(d, "reason-" + survey.reasons[1]);
  kiosk_.tap(d, "reason-" + survey.reasons[0]);
  kiosk_.tap(d, "next");
  d = wait_for("comment");
  ASSERT_FALSE(d.empty());
  for (const char* key : {"key-c", "key-h", "key-o", "key-w", "key-f", "key-space", "key-l",
                          "key-a", "key-a", "key-u"}) {
    kiosk_.tap(d, key);
  }
  kiosk_.tap(d, "submit");
  ASSERT_FALSE(wait_for("thanks").empty());

  const auto all = stored(dir_ / "kiosk.db");
  ASSERT_EQ(all.size(), 1u);
  const Response& r = all[0];
  EXPECT_EQ(r.status, ResponseStatus::complete);
  EXPECT_EQ(r.survey_id, "counter-short");
  EXPECT_EQ(r.counter, "q1");
  EXPECT_EQ(r.language, "vi");
  EXPECT_EQ(r.answers, expected);
  const std::vector<std::string> reasons = {survey.reasons[0], survey.reasons[1]};
  EXPECT_EQ(r.reasons, reasons);
  EXPECT_EQ(r.comment, "chờ lâu");
  EXPECT_FALSE(r.dossier.has_value());
  EXPECT_EQ(r.procedure, std::optional<std::string>("1.004232"));
}

TEST_F(KioskE2e, Mau01IsCompletedByTouchWithTheDossierNumber) {
  const fs::path cfg = make_config(dir_, "mau01");
  const SurveyFile survey = read_survey(cfg, "mau01");
  start(cfg, (dir_ / "kiosk.db").string(), 800, 480);
  auto d = wait_for("welcome");
  ASSERT_FALSE(d.empty());
  const int pattern[] = {2, 1, 2};
  kiosk_.choose(d, "answer-2");
  std::vector<Answer> expected = {Answer{survey.criteria[0], 2}};
  d = wait_for("dossier");
  ASSERT_FALSE(d.empty());
  for (const char* key : {"key-h", "key-4", "key-2", "key-dash", "key-7", "key-7"}) kiosk_.tap(d, key);
  kiosk_.choose(d, "submit");
  d = wait_for("procedure");
  ASSERT_FALSE(d.empty());
  kiosk_.choose(d, "procedure.skip");
  for (std::size_t i = 1; i < survey.criteria.size(); ++i) {
    const int v = pattern[i % 3];
    d = wait_for("question", static_cast<int>(i + 1));
    ASSERT_FALSE(d.empty());
    kiosk_.choose(d, "answer-" + std::to_string(v));
    expected.push_back(Answer{survey.criteria[i], v});
  }
  d = wait_for("followup");
  ASSERT_FALSE(d.empty());
  kiosk_.choose(d, "finish");
  ASSERT_FALSE(wait_for("thanks").empty());
  const auto all = stored(dir_ / "kiosk.db");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].dossier, "H42-77");
  EXPECT_FALSE(all[0].procedure.has_value()) << "the citizen tapped \"other / not sure\"";
  EXPECT_EQ(all[0].answers, expected);
}

TEST_F(KioskE2e, ABarcodeScannerTypesTheDossierNumber) {
  const fs::path cfg = make_config(dir_, "mau01");
  start(cfg, (dir_ / "kiosk.db").string());
  auto d = wait_for("welcome");
  ASSERT_FALSE(d.empty());
  kiosk_.choose(d, "answer-2");
  ASSERT_FALSE(wait_for("dossier").empty());
  kiosk_.xdotool("type --delay 20 H40-2611");
  kiosk_.xdotool("key Return");
  d = wait_for("procedure");
  ASSERT_FALSE(d.empty());
  kiosk_.choose(d, "procedure.1.004227");
  d = wait_for("question", 2);
  ASSERT_FALSE(d.empty());
  kiosk_.tap(d, "answer-2");
  const auto all = [&] {
    kiosk_.stop();
    return stored(dir_ / "kiosk.db");
  }();
  EXPECT_TRUE(all.empty()) << "nothing is stored before the end or the idle timeout";
}

TEST_F(KioskE2e, KeyboardShortcutsDoNotCloseTheKiosk) {
  const fs::path cfg = make_config(dir_, "counter-short");
  start(cfg, (dir_ / "kiosk.db").string());
  ASSERT_FALSE(wait_for("welcome").empty());
  kiosk_.xdotool("key Escape");
  kiosk_.xdotool("key alt+F4");
  kiosk_.xdotool("key ctrl+q");
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(kiosk_.running());
  EXPECT_EQ(kiosk_.current()["screen"], "welcome");
}

TEST_F(KioskE2e, AHeldCornerAndTheStaffPinLeadToExit) {
  const fs::path cfg = make_config(dir_, "counter-short");
  {
    auto j = nlohmann::json::parse(read_file(cfg / "kiosk.json"));
    j.erase("staff_pin_hash");
    std::ofstream(cfg / "kiosk.json") << j.dump(2);
  }
  set_pin(cfg, "2468");
  start(cfg, (dir_ / "kiosk.db").string());
  ASSERT_FALSE(wait_for("welcome").empty());
  const nlohmann::json d = open_staff("2468");
  ASSERT_FALSE(d.empty());
  kiosk_.tap(d, "staff-exit");
  EXPECT_EQ(kiosk_.wait_exit(10s), 0);
}

// An idle citizen is asked "more time?" by the real kiosk; "Tiếp tục" returns to the very
// question, with nothing stored, and the survey then completes as one response.
TEST_F(KioskE2e, MoreTimeAppearsWhenIdleAndContinuingKeepsTheSurvey) {
  const fs::path cfg = make_config(dir_, "counter-short");
  {
    auto j = nlohmann::json::parse(read_file(cfg / "kiosk.json"));
    j["idle_timeout_seconds"] = 5;
    std::ofstream(cfg / "kiosk.json") << j.dump(2);
  }
  start(cfg, (dir_ / "kiosk.db").string());
  auto d = wait_for("welcome");
  ASSERT_FALSE(d.empty());
  kiosk_.choose(d, "answer-4");
  d = wait_for("procedure");
  ASSERT_FALSE(d.empty());
  kiosk_.choose(d, "procedure.1.004232");
  d = wait_for("question", 2);
  ASSERT_FALSE(d.empty());
  d = kiosk_.wait_until("more time? after 5 s untouched", [](const nlohmann::json& dump) {
    return shows(dump, "more_time") && find_element(dump, "more-time") != nullptr;
  });
  EXPECT_TRUE(stored(dir_ / "kiosk.db").empty()) << "nothing is stored while the citizen may still be there";
  kiosk_.tap(d, "more-time");
  d = wait_for("question", 2);
  ASSERT_FALSE(d.empty()) << "back on the question that was showing";
  answer_rest_and_finish(read_survey(cfg, "counter-short").criteria.size(), 5);
  const auto all = stored(dir_ / "kiosk.db");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].status, ResponseStatus::complete);
  EXPECT_EQ(all[0].answers.at(0).value, 4);
}

// Three citizens tap through the survey; the staff screen then counts them and shows the index.
TEST_F(KioskE2e, ThreeTappedSurveysShowOnTheStaffScreenWithTheirIndex) {
  const fs::path cfg = make_config(dir_, "counter-short");
  {
    auto j = nlohmann::json::parse(read_file(cfg / "kiosk.json"));
    j["min_interval_seconds"] = 1;
    j["thanks_seconds"] = 1;
    std::ofstream(cfg / "kiosk.json") << j.dump(2);
  }
  set_pin(cfg, "2468");
  const SurveyFile survey = read_survey(cfg, "counter-short");
  start(cfg, (dir_ / "kiosk.db").string());
  for (int value : {5, 4, 3}) {
    nlohmann::json d = kiosk_.wait_until("the welcome screen's faces", [](const nlohmann::json& dump) {
      return shows(dump, "welcome") && find_element(dump, "answer-1") != nullptr;
    });
    kiosk_.choose(d, "answer-" + std::to_string(value));
    d = wait_for("procedure");
    ASSERT_FALSE(d.empty());
    kiosk_.choose(d, "procedure.1.004227");
    answer_rest_and_finish(survey.criteria.size(), value);
  }
  ASSERT_FALSE(wait_for("welcome").empty());
  const nlohmann::json d = open_staff("2468");
  ASSERT_FALSE(d.empty());
  std::map<std::string, std::string> shown = labels(d);
  EXPECT_EQ(shown["staff-today-responses"], "3");
  EXPECT_EQ(shown["staff-today-complete"], "3");
  // Every criterion got one 5, one 4 and one 3: two of three answers are 4 or 5.
  EXPECT_EQ(shown["staff-today-index"], "66.7");
  kiosk_.tap(d, "staff-exit");
  EXPECT_EQ(kiosk_.wait_exit(10s), 0);
}

TEST_F(KioskE2e, FiveWrongPinsLockThePad) {
  const fs::path cfg = make_config(dir_, "counter-short");
  set_pin(cfg, "2468");
  start(cfg, (dir_ / "kiosk.db").string());
  auto d = wait_for("welcome");
  ASSERT_FALSE(d.empty());
  d = open_pin_pad();
  ASSERT_FALSE(d.empty());
  auto has = [](const nlohmann::json& dump, const std::string& id) { return find_element(dump, id) != nullptr; };
  for (int attempt = 0; attempt < 5; ++attempt) {
    EXPECT_FALSE(has(kiosk_.current(), "pin-locked")) << "attempt " << attempt;
    for (const char* key : {"pin-1", "pin-1", "pin-1", "pin-1", "pin-ok"}) {
      kiosk_.tap(d, key);
      std::this_thread::sleep_for(50ms);
    }
  }
  std::this_thread::sleep_for(300ms);
  d = kiosk_.current();
  EXPECT_EQ(d["screen"], "pin");
  EXPECT_TRUE(has(d, "pin-locked")) << d.dump();
  // The right PIN is refused while locked.
  for (const char* key : {"pin-2", "pin-4", "pin-6", "pin-8", "pin-ok"}) kiosk_.tap(d, key);
  std::this_thread::sleep_for(300ms);
  d = kiosk_.current();
  EXPECT_EQ(d["screen"], "pin");
  EXPECT_TRUE(has(d, "pin-locked"));
}

// A read-only bind mount over the database's directory (needs root and mount rights).
class ReadOnlyMount {
 public:
  ReadOnlyMount(const fs::path& src, const fs::path& target) : target_(target) {
    fs::create_directories(target);
    if (::mount(src.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) return;
    mounted_ = true;
    ok_ = ::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }
  bool ok() const { return ok_; }
  bool make_writable() {
    return ::mount(nullptr, target_.c_str(), nullptr, MS_BIND | MS_REMOUNT, nullptr) == 0;
  }
  ~ReadOnlyMount() {
    if (mounted_) ::umount2(target_.c_str(), MNT_DETACH);
  }
  ReadOnlyMount(const ReadOnlyMount&) = delete;
  ReadOnlyMount& operator=(const ReadOnlyMount&) = delete;

 private:
  fs::path target_;
  bool mounted_ = false;
  bool ok_ = false;
};

TEST_F(KioskE2e, AReadOnlyDatabaseShowsOutOfServiceUntilItIsWritableAgain) {
  if (::geteuid() != 0) GTEST_SKIP() << "a read-only bind mount needs root";
  const fs::path cfg = make_config(dir_, "counter-short");
  fs::create_directories(dir_ / "data");
  {
    auto store = ResponseStore::open((dir_ / "data" / "kiosk.db").string());
    ASSERT_TRUE(store.is_ok());
  }
  ReadOnlyMount ro(dir_ / "data", dir_ / "ro");
  if (!ro.ok()) GTEST_SKIP() << "cannot bind-mount read-only here";
  start(cfg, (dir_ / "ro" / "kiosk.db").string());
  ASSERT_FALSE(wait_for("out_of_service").empty());
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(kiosk_.current()["screen"], "out_of_service");
  ASSERT_TRUE(ro.make_writable());
  EXPECT_FALSE(wait_for("welcome").empty()) << "the kiosk returns by itself";
  kiosk_.stop();
}

TEST_F(KioskE2e, ABrokenConfigExitsWith2AndNamesTheFileAndField) {
  const fs::path cfg = make_config(dir_, "counter-short");
  auto j = nlohmann::json::parse(read_file(cfg / "kiosk.json"));
  j["idle_timeout_seconds"] = "soon";
  std::ofstream(cfg / "kiosk.json") << j.dump(2);
  Process kiosk({SIPAS_KIOSK_BIN, "--config", cfg.string()}, {}, dir_ / "broken.log");
  EXPECT_EQ(kiosk.wait_exit(20s), 2);
  const std::string err = read_file(dir_ / "broken.log");
  EXPECT_NE(err.find("kiosk.json"), std::string::npos) << err;
  EXPECT_NE(err.find("idle_timeout_seconds"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line: " << err;
}

// Fast input: taps that arrive faster than frames are drawn, and a barcode scanner's typing.
// Every key must arrive, in order, also while other processes keep both cores busy.
class KioskFastInputE2e : public KioskE2e {
 protected:
  // Brings a counter-short survey with low answers to the comment screen at 1280x800.
  nlohmann::json reach_comment() {
    const fs::path cfg = make_config(dir_, "counter-short");
    const SurveyFile survey = read_survey(cfg, "counter-short");
    start(cfg, (dir_ / "kiosk.db").string());
    auto d = wait_for("welcome");
    if (d.empty()) return d;
    kiosk_.choose(d, "answer-2");
    d = wait_for("procedure");
    if (d.empty()) return d;
    kiosk_.choose(d, "procedure.skip");
    for (std::size_t i = 1; i < survey.criteria.size(); ++i) {
      d = wait_for("question", static_cast<int>(i + 1));
      if (d.empty()) return d;
      kiosk_.choose(d, "answer-2");
    }
    d = wait_for("followup");
    if (d.empty()) return d;
    kiosk_.choose(d, "reason-" + survey.reasons[0]);
    kiosk_.tap(d, "next");
    return wait_for("comment");
  }

  // Twenty distinct keys that Telex leaves as they are, tapped 30 ms apart, then "submit".
  void twenty_comment_keys_arrive_in_order() {
    auto d = reach_comment();
    ASSERT_FALSE(d.empty());
    const std::string keys = "bcghklmnpqtv12345678";
    std::vector<std::string> ids;
    for (char c : keys) ids.push_back(std::string("key-") + c);
    kiosk_.tap_quickly(d, ids, 30ms);
    std::this_thread::sleep_for(400ms);
    kiosk_.tap(d, "submit");
    ASSERT_FALSE(wait_for("thanks").empty());
    const auto all = stored(dir_ / "kiosk.db");
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].comment, keys);
  }

  // Mẫu 01 at 1920x1080 (the slowest frames) with the dossier number entered by `enter`, then
  // every indicator answered.
  void dossier_arrives_whole(const std::function<void(const nlohmann::json&)>& enter,
                             const std::string& expected) {
    const fs::path cfg = make_config(dir_, "mau01");
    const SurveyFile survey = read_survey(cfg, "mau01");
    start(cfg, (dir_ / "kiosk.db").string(), 1920, 1080);
    auto d = wait_for("welcome");
    ASSERT_FALSE(d.empty());
    kiosk_.choose(d, "answer-2");
    d = wait_for("dossier");
    ASSERT_FALSE(d.empty());
    enter(d);
    d = wait_for("procedure");
    ASSERT_FALSE(d.empty());
    kiosk_.choose(d, "procedure.skip");
    answer_rest_and_finish(survey.criteria.size(), 2);
    const auto all = stored(dir_ / "kiosk.db");
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].dossier, expected);
  }

  // An eight-digit PIN tapped 30 ms apart at 1920x1080 opens the staff screen.
  void pin_taps_arrive() {
    const fs::path cfg = make_config(dir_, "counter-short");
    set_pin(cfg, "29047135");
    start(cfg, (dir_ / "kiosk.db").string(), 1920, 1080);
    ASSERT_FALSE(wait_for("welcome").empty());
    auto d = open_pin_pad();
    ASSERT_FALSE(d.empty());
    kiosk_.tap_quickly(d, {"pin-2", "pin-9", "pin-0", "pin-4", "pin-7", "pin-1", "pin-3", "pin-5", "pin-ok"},
                       30ms);
    EXPECT_FALSE(wait_for("staff").empty()) << "a digit went missing or was doubled";
  }
};

const char* const kSixteenKeys[] = {"key-4", "key-2", "key-dash", "key-7", "key-7", "key-0",
                                    "key-1", "key-dash", "key-9", "key-8", "key-3", "key-6",
                                    "key-5", "key-dash", "key-1", "key-2"};
const char* const kSixteenKeysTyped = "42-7701-98365-12";

TEST_F(KioskFastInputE2e, TwentyCommentKeysTapped30msApartAreStoredInOrder) {
  twenty_comment_keys_arrive_in_order();
}

TEST_F(KioskFastInputE2e, TwentyCommentKeysTapped30msApartAreStoredInOrderWhileBothCoresAreBusy) {
  BusyCores busy;
  twenty_comment_keys_arrive_in_order();
}

TEST_F(KioskFastInputE2e, PinDigitsTapped30msApartOpenTheStaffScreenWhileBothCoresAreBusy) {
  BusyCores busy;
  pin_taps_arrive();
}

TEST_F(KioskFastInputE2e, DossierKeysTapped30msApartAreStoredWholeWhileBothCoresAreBusy) {
  BusyCores busy;
  dossier_arrives_whole(
      [&](const nlohmann::json& d) {
        std::vector<std::string> ids(std::begin(kSixteenKeys), std::end(kSixteenKeys));
        ids.push_back("submit");
        kiosk_.tap_quickly(d, ids, 30ms);
      },
      kSixteenKeysTyped);
}

TEST_F(KioskFastInputE2e, AScannersSixteenCharactersTypedAtItsSpeedAreStoredWhole) {
  dossier_arrives_whole(
      [&](const nlohmann::json&) {
        kiosk_.xdotool("type --delay 4 'H40-2611/QN-0007'");
        kiosk_.xdotool("key Return");
      },
      "H40-2611/QN-0007");
}

}  // namespace
}  // namespace sipas
