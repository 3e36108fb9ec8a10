#include "sipas/config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sipas/crypto.hpp"

namespace sipas {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
bool starts_with(const std::string& text, const std::string& prefix) {
  return text.starts_with(prefix);
}
bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

fs::path shipped_config() { return fs::path(SIPAS_SOURCE_DIR) / "kiosk-config"; }

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sipas-config-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// Each test gets a copy of the shipped configuration in a temp dir and breaks one thing in it.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() / "kiosk-config";
    fs::create_directories(dir_ / "surveys");
    fs::copy_file(shipped_config() / "kiosk.json", dir_ / "kiosk.json");
    fs::copy_file(shipped_config() / "procedures.json", dir_ / "procedures.json");
    for (const char* name : {"counter-short.json", "sipas-full.json", "mau01.json"})
      fs::copy_file(shipped_config() / "surveys" / name, dir_ / "surveys" / name);
  }

  fs::path kiosk_file() const { return dir_ / "kiosk.json"; }
  fs::path survey_file(const std::string& name) const { return dir_ / "surveys" / name; }
  Json kiosk() const { return Json::parse(read_text(kiosk_file())); }
  void set_kiosk(const Json& j) const { write_text(kiosk_file(), j.dump(2)); }
  fs::path procedures_file() const { return dir_ / "procedures.json"; }
  Json procedures() const { return Json::parse(read_text(procedures_file())); }
  void set_procedures(const Json& j) const { write_text(procedures_file(), j.dump(2)); }
  std::string procedures_prefix() const { return procedures_file().generic_string() + ": "; }
  Json survey(const std::string& name) const { return Json::parse(read_text(survey_file(name))); }
  void set_survey(const std::string& name, const Json& j) const {
    write_text(survey_file(name), j.dump(2));
  }

  // The error of loading dir_, which must fail.
  std::string load_error() const {
    Result<Loaded> r = load_kiosk_config(dir_);
    EXPECT_FALSE(r.is_ok());
    if (r.is_ok()) return "";
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos) << r.status().message();
    return r.status().message();
  }

  std::string kiosk_prefix() const { return kiosk_file().generic_string() + ": "; }
  std::string survey_prefix(const std::string& name) const {
    return survey_file(name).generic_string() + ": ";
  }

  TempDir tmp_;
  fs::path dir_;
};

TEST(ShippedConfig, LoadsWithoutWarnings) {
  Result<Loaded> r = load_kiosk_config(shipped_config());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(r->warnings.empty()) << r->warnings.front();
  const KioskConfig& c = r->config;
  EXPECT_EQ(c.surveys.size(), 3u);
  EXPECT_EQ(c.survey().id, c.active_survey);
  ASSERT_NE(c.find_counter(c.counter), nullptr);
  EXPECT_EQ(c.languages, (std::vector<std::string>{"vi", "en"}));
  EXPECT_EQ(c.unit.time_zone, "Asia/Ho_Chi_Minh");
  EXPECT_EQ(c.server.url, "http://127.0.0.1:8080");
  EXPECT_FALSE(c.server.allow_insecure_http);
  EXPECT_EQ(c.server.batch_size, 500);
  EXPECT_EQ(c.idle_timeout_seconds, 30);
  EXPECT_EQ(c.double_tap_ms, 300);
  EXPECT_EQ(c.retention_days, 365);
}

TEST(ShippedConfig, DefaultStaffPinIs1234) {
  Result<Loaded> r = load_kiosk_config(shipped_config());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(verify_secret("1234", r->config.staff_pin_hash));
  EXPECT_FALSE(verify_secret("0000", r->config.staff_pin_hash));
}

TEST(ShippedConfig, EveryTextIsInVietnameseAndEnglish) {
  Result<Loaded> r = load_kiosk_config(shipped_config());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  auto both = [](const LocalizedText& t) {
    return t.by_language.contains("vi") && t.by_language.contains("en");
  };
  for (const Survey& s : r->config.surveys) {
    EXPECT_TRUE(both(s.title)) << s.id;
    for (const Element& e : s.elements) {
      EXPECT_TRUE(both(e.name)) << e.id;
      for (const Criterion& c : e.criteria) {
        EXPECT_TRUE(both(c.text)) << c.id;
        for (const Option& o : s.options_for(c)) EXPECT_TRUE(both(o.label)) << c.id;
      }
    }
    for (const Reason& reason : s.reasons) EXPECT_TRUE(both(reason.text)) << reason.id;
    for (const GradeBand& g : s.grades) EXPECT_TRUE(both(g.name)) << g.id;
  }
}

TEST(ShippedSurveys, CounterShortTouchesAllFiveElementsPlusOverall) {
  Result<Survey> s = load_survey(shipped_config() / "surveys" / "counter-short.json");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->scale, ScaleKind::likert5);
  std::vector<std::string> in_index;
  for (const Element& e : s->elements) {
    EXPECT_FALSE(e.criteria.empty()) << e.id;
    if (e.in_index) in_index.push_back(e.id);
  }
  EXPECT_EQ(in_index,
            (std::vector<std::string>{"access", "procedures", "officer", "result", "feedback"}));
  const Element* general = s->element_of("general.overall");
  ASSERT_NE(general, nullptr);
  EXPECT_FALSE(general->in_index);
  std::size_t indexed_questions = s->questions().size() - general->criteria.size();
  EXPECT_GE(indexed_questions, 5u);
  EXPECT_LE(indexed_questions, 8u);
  ASSERT_EQ(s->options.size(), 5u);
  EXPECT_EQ(s->options.front().label.get("vi"), "Rất không hài lòng");
  EXPECT_EQ(s->options.back().label.get("en"), "Very satisfied");
  EXPECT_FALSE(s->reasons.empty());
}

TEST(ShippedSurveys, SipasFullHas19ItemsOverFiveElements) {
  Result<Survey> s = load_survey(shipped_config() / "surveys" / "sipas-full.json");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  std::vector<std::pair<std::string, std::size_t>> shape;
  for (const Element& e : s->elements) {
    EXPECT_TRUE(e.in_index) << e.id;
    shape.emplace_back(e.id, e.criteria.size());
  }
  EXPECT_EQ(shape,
            (std::vector<std::pair<std::string, std::size_t>>{
                {"access", 4}, {"procedures", 4}, {"officer", 5}, {"result", 3}, {"feedback", 3}}));
  EXPECT_EQ(s->questions().size(), 19u);
  for (const Criterion* c : s->questions()) {
    EXPECT_TRUE(c->options.empty()) << c->id;
    EXPECT_EQ(s->options_for(*c).size(), 5u);
  }
}

TEST(ShippedSurveys, Mau01HasNinePointsIndicatorsAndGradeBands) {
  Result<Survey> s = load_survey(shipped_config() / "surveys" / "mau01.json");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->scale, ScaleKind::points);
  EXPECT_TRUE(s->ask_dossier);
  ASSERT_EQ(s->questions().size(), 9u);
  for (const Criterion* c : s->questions()) {
    ASSERT_EQ(c->options.size(), 3u) << c->id;
    EXPECT_EQ(c->options[0].value, 0);
    EXPECT_EQ(c->options[2].value, 2);
  }
  const Criterion* time = s->find_criterion("mau01.total_time");
  ASSERT_NE(time, nullptr);
  EXPECT_EQ(time->options[2].label.get("en"), "Before the deadline");
  EXPECT_EQ(time->options[0].label.get("vi"), "Quá hạn");

  auto grade = [&](double total) {
    const GradeBand* g = s->grade_for(total);
    return g == nullptr ? std::string("none") : g->name.get("vi");
  };
  EXPECT_EQ(grade(18), "Xuất sắc");
  EXPECT_EQ(grade(15), "Xuất sắc");
  EXPECT_EQ(grade(14.5), "Tốt");
  EXPECT_EQ(grade(12), "Tốt");
  EXPECT_EQ(grade(9), "Khá");
  EXPECT_EQ(grade(6), "Trung bình");
  EXPECT_EQ(grade(5), "Yếu");
  EXPECT_EQ(grade(0), "Yếu");
  ASSERT_EQ(s->grades.size(), 5u);
  EXPECT_EQ(s->grades.front().min_total, 15);
}

TEST(ShippedSurveys, Mau01LetsACitizenGoOnWithoutKnowingEverything) {
  Result<Survey> s = load_survey(shipped_config() / "surveys" / "mau01.json");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_TRUE(s->dossier_optional);
  for (const Criterion* c : s->questions()) {
    EXPECT_FALSE(c->hint.get("vi").empty()) << c->id;
    EXPECT_FALSE(c->hint.get("en").empty()) << c->id;
    const bool times = c->id == "mau01.total_time" || c->id == "mau01.agency_time";
    EXPECT_EQ(c->allow_unknown, times) << c->id;
  }
  EXPECT_EQ(s->asking_order().front()->id, "mau01.officer_attitude");
  Result<Survey> shortsv = load_survey(shipped_config() / "surveys" / "counter-short.json");
  ASSERT_TRUE(shortsv.is_ok());
  EXPECT_EQ(shortsv->asking_order().front()->id, "general.overall");
}

TEST(ShippedSurveys, ShortAndFullShareCriterionIds) {
  Result<Survey> short_survey = load_survey(shipped_config() / "surveys" / "counter-short.json");
  Result<Survey> full = load_survey(shipped_config() / "surveys" / "sipas-full.json");
  ASSERT_TRUE(short_survey.is_ok() && full.is_ok());
  std::size_t shared = 0;
  for (const Criterion* c : short_survey->questions()) {
    const Criterion* same = full->find_criterion(c->id);
    if (same == nullptr) continue;
    ++shared;
    EXPECT_EQ(short_survey->element_of(c->id)->id, full->element_of(c->id)->id) << c->id;
  }
  EXPECT_GE(shared, 5u);
  EXPECT_NE(full->find_criterion("officer.polite"), nullptr);
  EXPECT_NE(short_survey->find_criterion("officer.polite"), nullptr);
}

TEST_F(ConfigTest, RelativePathsResolveAgainstTheConfigDir) {
  Json j = kiosk();
  j["export_dir"] = "exports";
  j["font_paths"] = {"fonts/Local.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"};
  set_kiosk(j);
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const KioskConfig& c = r->config;
  EXPECT_EQ(c.dir, dir_);
  EXPECT_EQ(fs::path(c.db_path), dir_ / "data" / "kiosk.db");
  EXPECT_EQ(fs::path(c.server.token_file), dir_ / "kiosk.token");
  EXPECT_EQ(fs::path(c.export_dir), dir_ / "exports");
  ASSERT_EQ(c.font_paths.size(), 2u);
  EXPECT_EQ(fs::path(c.font_paths[0]), dir_ / "fonts" / "Local.ttf");
  EXPECT_EQ(c.font_paths[1], "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf");
}

TEST_F(ConfigTest, RelativeDirGivesRelativeFileNamesInErrors) {
  Json s = survey("sipas-full.json");
  s["elements"][2]["criteria"][0]["text"].erase("vi");
  set_survey("sipas-full.json", s);
  fs::path before = fs::current_path();
  fs::current_path(tmp_.path());
  Result<Loaded> r = load_kiosk_config("kiosk-config");
  fs::current_path(before);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(),
            "kiosk-config/surveys/sipas-full.json: elements[2].criteria[0].text.vi: missing");
}

TEST_F(ConfigTest, MissingKioskFileIsNamed) {
  fs::remove(kiosk_file());
  EXPECT_EQ(load_error(), kiosk_prefix() + "cannot read: No such file or directory");
}

TEST_F(ConfigTest, MissingSurveysDirIsNamed) {
  fs::remove_all(dir_ / "surveys");
  EXPECT_PRED2(starts_with, load_error(), (dir_ / "surveys").generic_string() + ": missing");
}

TEST_F(ConfigTest, MalformedJsonGivesLineAndColumn) {
  write_text(kiosk_file(), "{\n  \"kiosk_id\": \"k1\",\n  \"unit\": }\n");
  std::string e = load_error();
  EXPECT_PRED2(starts_with, e, kiosk_prefix() + "3:11: malformed JSON: ");
  EXPECT_PRED2(contains, e, "unexpected '}'");
}

TEST_F(ConfigTest, MalformedJsonColumnCountsCharactersNotBytes) {
  std::string text = "{\"title\": {\"vi\": \"Đánh giá\" \"en\": \"x\"}}";
  write_text(survey_file("mau01.json"), text);
  // The parser stops at the end of the stray "en": character 32 of the line, byte 35.
  EXPECT_PRED2(starts_with, load_error(), survey_prefix("mau01.json") + "1:32: malformed JSON: ");
}

TEST_F(ConfigTest, EmptyFileIsMalformed) {
  write_text(survey_file("counter-short.json"), "");
  EXPECT_PRED2(starts_with, load_error(),
               survey_prefix("counter-short.json") + "1:1: malformed JSON");
}

TEST_F(ConfigTest, TopLevelMustBeAnObject) {
  write_text(kiosk_file(), "[1, 2]");
  EXPECT_EQ(load_error(), kiosk_prefix() + "expected an object, got array");
}

TEST_F(ConfigTest, WrongTypeNamesPathAndType) {
  Json j = kiosk();
  j["idle_timeout_seconds"] = "30";
  set_kiosk(j);
  EXPECT_EQ(load_error(),
            kiosk_prefix() + "idle_timeout_seconds: expected a whole number, got string");
}

TEST_F(ConfigTest, FractionalNumberWhereWholeNumberNeeded) {
  Json j = kiosk();
  j["server"]["batch_size"] = 12.5;
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "server.batch_size: expected a whole number, got 12.5");
}

TEST_F(ConfigTest, WrongTypeInsideSurveyArray) {
  Json s = survey("counter-short.json");
  s["elements"][1]["criteria"] = "procedures.documents";
  set_survey("counter-short.json", s);
  EXPECT_EQ(load_error(), survey_prefix("counter-short.json") +
                              "elements[1].criteria: expected an array, got string");
}

TEST_F(ConfigTest, FilesWithoutTheNewerSurveyFieldsStillLoad) {
  Json s = survey("mau01.json");
  s.erase("first_question");
  for (auto& c : s["elements"][0]["criteria"]) {
    c.erase("hint");
    c.erase("allow_unknown");
  }
  set_survey("mau01.json", s);
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
}

TEST_F(ConfigTest, FirstQuestionMustNameACriterion) {
  Json s = survey("counter-short.json");
  s["first_question"] = "general.nope";
  set_survey("counter-short.json", s);
  EXPECT_EQ(load_error(),
            survey_prefix("counter-short.json") + "first_question: unknown criterion \"general.nope\"");
}

TEST_F(ConfigTest, HintMustBeInEveryConfiguredLanguage) {
  Json s = survey("mau01.json");
  s["elements"][0]["criteria"][0]["hint"].erase("en");
  set_survey("mau01.json", s);
  EXPECT_NE(load_error().find("elements[0].criteria[0].hint"), std::string::npos);
}

TEST_F(ConfigTest, MissingRequiredFieldIsNamed) {
  Json j = kiosk();
  j["unit"].erase("code");
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "unit.code: missing");
}

TEST_F(ConfigTest, NumberOutOfRangeIsRejected) {
  Json j = kiosk();
  j["idle_timeout_seconds"] = 3;
  set_kiosk(j);
  EXPECT_EQ(load_error(),
            kiosk_prefix() + "idle_timeout_seconds: must be between 5 and 600, got 3");
}

TEST_F(ConfigTest, PrivateAnswersIsTrueOrFalse) {
  Json j = kiosk();
  j["private_answers"] = "yes";
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "private_answers: expected true or false, got string");
  j["private_answers"] = false;
  set_kiosk(j);
  auto loaded = load_kiosk_config(dir_);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_FALSE(loaded->config.private_answers);
}

TEST_F(ConfigTest, VoiceSettingsAreReadWithTheirDefaults) {
  Json j = kiosk();
  j.erase("voice");
  j.erase("tap_sound");
  set_kiosk(j);
  auto loaded = load_kiosk_config(dir_);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_FALSE(loaded->config.voice.always_on);
  EXPECT_EQ(loaded->config.voice.key, "Keypad +");
  EXPECT_EQ(loaded->config.voice.volume, 80);
  EXPECT_TRUE(loaded->config.tap_sound);
  j["voice"] = Json{{"always_on", true}, {"key", "Return"}, {"volume", 35}};
  j["tap_sound"] = false;
  set_kiosk(j);
  loaded = load_kiosk_config(dir_);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_TRUE(loaded->config.voice.always_on);
  EXPECT_EQ(loaded->config.voice.key, "Return");
  EXPECT_EQ(loaded->config.voice.volume, 35);
  EXPECT_FALSE(loaded->config.tap_sound);
}

TEST_F(ConfigTest, VoiceVolumeOutOfRangeIsNamed) {
  Json j = kiosk();
  j["voice"]["volume"] = 120;
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "voice.volume: must be between 0 and 100, got 120");
}

TEST_F(ConfigTest, VoiceAlwaysOnIsTrueOrFalse) {
  Json j = kiosk();
  j["voice"]["always_on"] = 1;
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "voice.always_on: expected true or false, got number");
}

TEST_F(ConfigTest, VoiceKeyMustBeANonEmptyString) {
  Json j = kiosk();
  j["voice"]["key"] = "";
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "voice.key: empty");
  j["voice"]["key"] = 43;
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "voice.key: expected a string, got number");
}

TEST_F(ConfigTest, VoiceMustBeAnObject) {
  Json j = kiosk();
  j["voice"] = true;
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "voice: expected an object, got boolean");
}

TEST_F(ConfigTest, TapSoundIsTrueOrFalse) {
  Json j = kiosk();
  j["tap_sound"] = "on";
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "tap_sound: expected true or false, got string");
}

TEST_F(ConfigTest, AssetsDirIsResolvedFromTheConfigDirectory) {
  Json j = kiosk();
  j["assets_dir"] = "../assets";
  set_kiosk(j);
  auto loaded = load_kiosk_config(dir_);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(std::filesystem::path(loaded->config.assets_dir).lexically_normal(),
            (dir_ / "../assets").lexically_normal());
}

TEST_F(ConfigTest, AnUnknownVoiceKeyIsAWarningNamingIt) {
  Json j = kiosk();
  j["voice"]["volum"] = 50;
  set_kiosk(j);
  auto loaded = load_kiosk_config(dir_);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  ASSERT_EQ(loaded->warnings.size(), 1u);
  EXPECT_NE(loaded->warnings[0].find("voice.volum: unknown key, ignored (did you mean \"volume\"?)"),
            std::string::npos);
}

// WCAG 2.2.1 asks for at least 20 s to extend a time limit.
TEST_F(ConfigTest, MoreTimeUnder20SecondsIsRejected) {
  Json j = kiosk();
  j["more_time_seconds"] = 10;
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "more_time_seconds: must be between 20 and 300, got 10");
  j["more_time_seconds"] = 45;
  set_kiosk(j);
  auto loaded = load_kiosk_config(dir_);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->config.more_time_seconds, 45);
}

TEST_F(ConfigTest, HugeNumberIsOutOfRangeNotWrapped) {
  Json j = kiosk();
  j["retention_days"] = 18446744073709551615ull;
  set_kiosk(j);
  EXPECT_PRED2(starts_with, load_error(), kiosk_prefix() + "retention_days: must be between 1 and");
}

TEST_F(ConfigTest, TextMissingAConfiguredLanguage) {
  Json s = survey("sipas-full.json");
  s["elements"][2]["criteria"][0]["text"].erase("en");
  set_survey("sipas-full.json", s);
  EXPECT_EQ(load_error(),
            survey_prefix("sipas-full.json") + "elements[2].criteria[0].text.en: missing");
}

TEST_F(ConfigTest, EveryConfiguredLanguageIsRequired) {
  Json j = kiosk();
  j["languages"] = {"vi", "en", "fr"};
  set_kiosk(j);
  EXPECT_EQ(load_error(), survey_prefix("counter-short.json") + "title.fr: missing");
}

TEST_F(ConfigTest, EmptyTextIsRejected) {
  Json s = survey("mau01.json");
  s["reasons"][0]["text"]["vi"] = "  ";
  set_survey("mau01.json", s);
  EXPECT_EQ(load_error(), survey_prefix("mau01.json") + "reasons[0].text.vi: empty");
}

TEST_F(ConfigTest, DefaultLanguageMustBeConfigured) {
  Json j = kiosk();
  j["default_language"] = "fr";
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "default_language: \"fr\" is not one of languages");
}

TEST_F(ConfigTest, UnknownCriterionInReasonIsRejected) {
  Json s = survey("counter-short.json");
  s["reasons"][0]["criteria"][0] = "officer.rude";
  set_survey("counter-short.json", s);
  EXPECT_EQ(load_error(), survey_prefix("counter-short.json") +
                              "reasons[0].criteria[0]: unknown criterion \"officer.rude\"");
}

TEST_F(ConfigTest, LikertValueOffTheScaleIsRejected) {
  Json s = survey("sipas-full.json");
  s["options"][4]["value"] = 6;
  set_survey("sipas-full.json", s);
  EXPECT_EQ(load_error(), survey_prefix("sipas-full.json") +
                              "options[4].value: 6 is off the likert5 scale (1..5)");
}

TEST_F(ConfigTest, PointsValueOffTheScaleIsRejected) {
  Json s = survey("mau01.json");
  s["elements"][0]["criteria"][3]["options"][2]["value"] = 3;
  set_survey("mau01.json", s);
  EXPECT_EQ(load_error(), survey_prefix("mau01.json") +
                              "elements[0].criteria[3].options[2].value: 3 is off the points "
                              "scale (0..2)");
}

TEST_F(ConfigTest, LikertScaleNeedsEveryValue) {
  Json s = survey("counter-short.json");
  s["options"].erase(2);
  set_survey("counter-short.json", s);
  EXPECT_EQ(load_error(), survey_prefix("counter-short.json") +
                              "options: no option with value 3 (the likert5 scale (1..5) needs "
                              "every value)");
}

TEST_F(ConfigTest, UnknownScaleIsRejected) {
  Json s = survey("counter-short.json");
  s["scale"] = "stars";
  set_survey("counter-short.json", s);
  EXPECT_EQ(load_error(), survey_prefix("counter-short.json") +
                              "scale: must be \"likert5\" or \"points\", got \"stars\"");
}

TEST_F(ConfigTest, DuplicateCriterionIdAcrossElementsIsRejected) {
  Json s = survey("sipas-full.json");
  s["elements"][4]["criteria"][1]["id"] = "officer.polite";
  set_survey("sipas-full.json", s);
  EXPECT_EQ(load_error(), survey_prefix("sipas-full.json") +
                              "elements[4].criteria[1].id: duplicate criterion id "
                              "\"officer.polite\" (also at elements[2].criteria[0].id)");
}

TEST_F(ConfigTest, DuplicateElementIdIsRejected) {
  Json s = survey("sipas-full.json");
  s["elements"][3]["id"] = "access";
  set_survey("sipas-full.json", s);
  EXPECT_EQ(load_error(), survey_prefix("sipas-full.json") +
                              "elements[3].id: duplicate id \"access\" (also at elements[0])");
}

TEST_F(ConfigTest, DuplicateReasonIdIsRejected) {
  Json s = survey("counter-short.json");
  s["reasons"][2]["id"] = s["reasons"][0]["id"];
  set_survey("counter-short.json", s);
  EXPECT_PRED2(starts_with, load_error(),
               survey_prefix("counter-short.json") + "reasons[2].id: duplicate id");
}

TEST_F(ConfigTest, DuplicateCounterIdIsRejected) {
  Json j = kiosk();
  j["counters"][1]["id"] = "q1";
  set_kiosk(j);
  EXPECT_EQ(load_error(),
            kiosk_prefix() + "counters[1].id: duplicate id \"q1\" (also at counters[0])");
}

TEST_F(ConfigTest, DuplicateOfficerAtOneCounterIsRejected) {
  Json j = kiosk();
  j["counters"][0]["officers"][1]["id"] = j["counters"][0]["officers"][0]["id"];
  set_kiosk(j);
  EXPECT_PRED2(starts_with, load_error(),
               kiosk_prefix() + "counters[0].officers[1].id: duplicate id");
}

TEST_F(ConfigTest, OfficerIdNamingTwoPeopleIsRejected) {
  Json j = kiosk();
  j["counters"][2]["officers"][0]["id"] = j["counters"][0]["officers"][0]["id"];
  set_kiosk(j);
  EXPECT_PRED2(starts_with, load_error(), kiosk_prefix() + "counters[2].officers[0].name: ");
}

TEST_F(ConfigTest, DuplicateSurveyIdAcrossFilesIsRejected) {
  fs::copy_file(survey_file("mau01.json"), survey_file("mau01-copy.json"));
  EXPECT_EQ(load_error(), survey_prefix("mau01.json") +
                              "id: duplicate survey id \"mau01\" (also in " +
                              survey_file("mau01-copy.json").generic_string() + ")");
}

TEST_F(ConfigTest, DuplicateJsonKeyIsRejected) {
  write_text(survey_file("mau01.json"),
             "{\"id\": \"mau01\", \"grades\": [{\"id\": \"a\"}, {\"id\": \"b\", \"id\": \"c\"}]}");
  EXPECT_EQ(load_error(),
            survey_prefix("mau01.json") + "grades[1].id: duplicate key (a key may appear once)");
}

TEST_F(ConfigTest, UnknownKeyWarnsAndStillLoads) {
  Json j = kiosk();
  j["idle_timout_seconds"] = 45;
  set_kiosk(j);
  Json s = survey("sipas-full.json");
  s["elements"][0]["colour"] = "blue";
  set_survey("sipas-full.json", s);
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->config.idle_timeout_seconds, 30);
  EXPECT_EQ(r->warnings,
            (std::vector<std::string>{
                kiosk_prefix() + "idle_timout_seconds: unknown key, ignored (did you mean "
                                 "\"idle_timeout_seconds\"?)",
                survey_prefix("sipas-full.json") + "elements[0].colour: unknown key, ignored"}));
}

TEST_F(ConfigTest, WarningsStayOnOneLine) {
  Json j = kiosk();
  j["odd\nkey"] = 1;
  set_kiosk(j);
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0], kiosk_prefix() + "odd key: unknown key, ignored");
}

TEST_F(ConfigTest, StrayFileInSurveysDirWarns) {
  write_text(dir_ / "surveys" / "notes.txt", "draft");
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->warnings,
            (std::vector<std::string>{(dir_ / "surveys" / "notes.txt").generic_string() +
                                      ": not a .json file, ignored"}));
}

TEST_F(ConfigTest, BadTimeZoneIsRejected) {
  Json j = kiosk();
  j["unit"]["time_zone"] = "Asia/Hanoi_City";
  set_kiosk(j);
  EXPECT_PRED2(starts_with, load_error(),
               kiosk_prefix() + "unit.time_zone: cannot load time zone \"Asia/Hanoi_City\"");
}

TEST_F(ConfigTest, FixedOffsetTimeZoneLoads) {
  Json j = kiosk();
  j["unit"]["time_zone"] = "UTC+07:00";
  set_kiosk(j);
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->config.unit.time_zone, "UTC+07:00");
}

TEST_F(ConfigTest, InsecureHttpToRemoteHostIsRejected) {
  Json j = kiosk();
  j["server"]["url"] = "http://sipas.quangninh.gov.vn";
  set_kiosk(j);
  EXPECT_PRED2(starts_with, load_error(),
               kiosk_prefix() + "server.url: plain http to \"sipas.quangninh.gov.vn\"");
}

TEST_F(ConfigTest, InsecureHttpAllowedWhenConfigured) {
  Json j = kiosk();
  j["server"]["url"] = "http://10.0.0.5:8080/";
  j["server"]["allow_insecure_http"] = true;
  set_kiosk(j);
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(r->config.server.allow_insecure_http);
}

TEST_F(ConfigTest, HttpToLoopbackAndHttpsAreAccepted) {
  for (const char* url : {"http://localhost:8080", "http://[::1]:8080", "http://127.0.0.2",
                          "https://sipas.quangninh.gov.vn", "HTTPS://10.1.2.3:8443/sipas"}) {
    Json j = kiosk();
    j["server"]["url"] = url;
    set_kiosk(j);
    Result<Loaded> r = load_kiosk_config(dir_);
    EXPECT_TRUE(r.is_ok()) << url << ": " << r.status().message();
  }
}

TEST_F(ConfigTest, BadServerUrlsAreRejected) {
  for (const char* url :
       {"ftp://example.org", "sipas.example.org", "https://", "https://host:99999",
        "https://user:pw@host", "http://127.0.0.1.evil.example"}) {
    Json j = kiosk();
    j["server"]["url"] = url;
    set_kiosk(j);
    EXPECT_PRED2(starts_with, load_error(), kiosk_prefix() + "server.url: ") << url;
  }
}

TEST_F(ConfigTest, MissingCaFileIsRejected) {
  Json j = kiosk();
  j["server"]["ca_file"] = "certs/province-ca.pem";
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "server.ca_file: " +
                              (dir_ / "certs" / "province-ca.pem").string() + ": no such file");
}

TEST_F(ConfigTest, CounterMustBeOneOfCounters) {
  Json j = kiosk();
  j["counter"] = "q9";
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "counter: no counter with id \"q9\" in counters");
}

TEST_F(ConfigTest, ActiveSurveyMustExist) {
  Json j = kiosk();
  j["active_survey"] = "sipas-2019";
  set_kiosk(j);
  EXPECT_PRED2(starts_with, load_error(),
               kiosk_prefix() +
                   "active_survey: no questionnaire with id "
                   "\"sipas-2019\"");
}

TEST_F(ConfigTest, ActiveSurveyCanBeAnyShippedQuestionnaire) {
  for (const char* id : {"counter-short", "sipas-full", "mau01"}) {
    Json j = kiosk();
    j["active_survey"] = id;
    set_kiosk(j);
    Result<Loaded> r = load_kiosk_config(dir_);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    EXPECT_EQ(r->config.survey().id, id);
  }
}

TEST_F(ConfigTest, MalformedPinHashIsRejected) {
  Json j = kiosk();
  j["staff_pin_hash"] = "1234";
  set_kiosk(j);
  EXPECT_PRED2(starts_with, load_error(), kiosk_prefix() + "staff_pin_hash: not a PIN hash");
}

TEST_F(ConfigTest, PointsSurveyNeedsGradeBands) {
  Json s = survey("mau01.json");
  s.erase("grades");
  set_survey("mau01.json", s);
  EXPECT_EQ(load_error(),
            survey_prefix("mau01.json") + "grades: missing (the points scale needs grade bands)");
}

TEST_F(ConfigTest, GradeBandsMustCoverZero) {
  Json s = survey("mau01.json");
  s["grades"].erase(4);
  set_survey("mau01.json", s);
  EXPECT_EQ(load_error(), survey_prefix("mau01.json") +
                              "grades: no band has min_total 0, so low totals would get no grade");
}

TEST_F(ConfigTest, GradeThresholdAboveMaximumTotalIsRejected) {
  Json s = survey("mau01.json");
  s["grades"][0]["min_total"] = 19;
  set_survey("mau01.json", s);
  EXPECT_EQ(load_error(),
            survey_prefix("mau01.json") + "grades[0].min_total: must be between 0 and 18, got 19");
}

TEST_F(ConfigTest, GradeBandsAreConfigurable) {
  Json s = survey("mau01.json");
  s["grades"] = Json::parse(R"([
    {"id": "dat", "min_total": 10, "name": {"vi": "Đạt", "en": "Pass"}},
    {"id": "khong_dat", "min_total": 0, "name": {"vi": "Không đạt", "en": "Fail"}}])");
  set_survey("mau01.json", s);
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const Survey* m = r->config.find_survey("mau01");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->grade_for(10)->id, "dat");
  EXPECT_EQ(m->grade_for(9.5)->id, "khong_dat");
}

TEST_F(ConfigTest, LikertSurveyCannotHaveGradeBands) {
  Json s = survey("counter-short.json");
  s["grades"] = survey("mau01.json")["grades"];
  set_survey("counter-short.json", s);
  EXPECT_EQ(load_error(),
            survey_prefix("counter-short.json") + "grades: only the points scale has grade bands");
}

TEST_F(ConfigTest, CriterionWithoutOptionsNeedsSurveyOptions) {
  Json s = survey("mau01.json");
  s["elements"][0]["criteria"][8].erase("options");
  set_survey("mau01.json", s);
  EXPECT_PRED2(starts_with, load_error(),
               survey_prefix("mau01.json") + "elements[0].criteria[8].options: missing");
}

TEST_F(ConfigTest, IdsMustBePlainTokens) {
  Json s = survey("counter-short.json");
  s["elements"][0]["criteria"][0]["id"] = "access wait";
  set_survey("counter-short.json", s);
  EXPECT_PRED2(starts_with, load_error(),
               survey_prefix("counter-short.json") +
                   "elements[0].criteria[0].id: \"access wait\" is not an id");
}

TEST(LoadSurvey, AloneRequiresVietnamese) {
  TempDir tmp;
  Json s = Json::parse(read_text(shipped_config() / "surveys" / "counter-short.json"));
  s["title"].erase("vi");
  fs::path file = tmp.path() / "s.json";
  write_text(file, s.dump());
  Result<Survey> r = load_survey(file);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(r.status().message(), file.generic_string() + ": title.vi: missing");
}

TEST(LoadSurvey, ReturnsWarningsForUnknownKeys) {
  TempDir tmp;
  Json s = Json::parse(read_text(shipped_config() / "surveys" / "mau01.json"));
  s["grades"][1]["max_total"] = 14;
  fs::path file = tmp.path() / "m.json";
  write_text(file, s.dump());
  std::vector<std::string> warnings;
  Result<Survey> r = load_survey(file, &warnings);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(warnings,
            (std::vector<std::string>{file.generic_string() +
                                      ": grades[1].max_total: unknown key, ignored (did you mean "
                                      "\"min_total\"?)"}));
}

TEST(LoadSurvey, MissingFileIsNotFound) {
  TempDir tmp;
  Result<Survey> r = load_survey(tmp.path() / "none.json");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::not_found);
}

TEST(ShippedConfig, EveryCounterListsKnownProceduresAndTheKiosksCounterShowsThem) {
  Result<Loaded> r = load_kiosk_config(shipped_config());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const KioskConfig& c = r->config;
  EXPECT_EQ(c.procedures.size(), 11u);
  for (const Counter& counter : c.counters) {
    EXPECT_FALSE(counter.procedures.empty()) << counter.id;
    for (const std::string& code : counter.procedures) {
      const Procedure* p = c.find_procedure(code);
      ASSERT_NE(p, nullptr) << code;
      EXPECT_TRUE(p->name.by_language.contains("vi")) << code;
      EXPECT_TRUE(p->name.by_language.contains("en")) << code;
    }
  }
  const Counter* here = c.find_counter(c.counter);
  ASSERT_NE(here, nullptr);
  EXPECT_GE(here->procedures.size(), 3u);
  EXPECT_LE(here->procedures.size(), 4u);
  ASSERT_NE(c.find_procedure("1.001193"), nullptr);
  EXPECT_EQ(c.find_procedure("1.001193")->name.get("vi"), "Đăng ký khai sinh");
  EXPECT_EQ(c.find_procedure("9.999999"), nullptr);
}

TEST_F(ConfigTest, ProceduresFileIsOptional) {
  fs::remove(procedures_file());
  Json j = kiosk();
  for (Json& counter : j["counters"]) counter.erase("procedures");
  set_kiosk(j);
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(r->config.procedures.empty());
  EXPECT_TRUE(r->config.find_counter("q1")->procedures.empty());
}

TEST_F(ConfigTest, ProceduresPathThatIsNotAFileIsAnError) {
  fs::remove(procedures_file());
  fs::create_directory(procedures_file());
  EXPECT_EQ(load_error(), procedures_file().generic_string() + ": is a directory, not a file");
}

TEST_F(ConfigTest, CounterProceduresKeepTheirOrder) {
  Json j = kiosk();
  j["counters"][0]["procedures"] = {"1.004199", "1.001193"};
  set_kiosk(j);
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->config.find_counter("q1")->procedures,
            (std::vector<std::string>{"1.004199", "1.001193"}));
}

TEST_F(ConfigTest, ProcedureNameNeedsOnlyVietnamese) {
  Json p = procedures();
  p["procedures"][0]["name"].erase("en");
  set_procedures(p);
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const Procedure* proc = r->config.find_procedure("1.004227");
  ASSERT_NE(proc, nullptr);
  EXPECT_FALSE(proc->name.by_language.contains("en"));
  EXPECT_EQ(proc->name.get("en"), proc->name.get("vi"));
}

TEST_F(ConfigTest, ProcedureNameWithoutVietnameseIsRejected) {
  Json p = procedures();
  p["procedures"][3]["name"].erase("vi");
  set_procedures(p);
  EXPECT_EQ(load_error(), procedures_prefix() + "procedures[3].name.vi: missing");
}

TEST_F(ConfigTest, ProcedureCodeMustBeAPlainToken) {
  Json p = procedures();
  p["procedures"][1]["code"] = "1.004 232";
  set_procedures(p);
  EXPECT_EQ(load_error(), procedures_prefix() +
                              "procedures[1].code: \"1.004 232\" is not an id (1 to 64 of A-Z "
                              "a-z 0-9 . _ -)");
}

TEST_F(ConfigTest, DuplicateProcedureCodeIsRejected) {
  Json p = procedures();
  p["procedures"][2]["code"] = "1.004227";
  set_procedures(p);
  EXPECT_EQ(load_error(), procedures_prefix() +
                              "procedures[2].code: duplicate id \"1.004227\" (also at "
                              "procedures[0])");
}

TEST_F(ConfigTest, ProceduresFileNeedsTheProceduresArray) {
  write_text(procedures_file(), "{\"procedure\": []}");
  EXPECT_EQ(load_error(), procedures_prefix() + "procedures: missing");
}

TEST_F(ConfigTest, MalformedProceduresFileIsNamed) {
  write_text(procedures_file(), "{\"procedures\": [");
  EXPECT_PRED2(starts_with, load_error(), procedures_prefix() + "1:");
}

TEST_F(ConfigTest, CounterProcedureMustBeInTheCatalogue) {
  Json j = kiosk();
  j["counters"][1]["procedures"][2] = "9.999999";
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "counters[1].procedures[2]: no procedure with code "
                                           "\"9.999999\" in " +
                              procedures_file().generic_string());
}

TEST_F(ConfigTest, CounterProceduresWithoutACatalogueAreRejected) {
  fs::remove(procedures_file());
  EXPECT_EQ(load_error(), kiosk_prefix() + "counters[0].procedures[0]: no procedure with code "
                                           "\"1.004227\" in " +
                              procedures_file().generic_string());
}

TEST_F(ConfigTest, DuplicateCounterProcedureIsRejected) {
  Json j = kiosk();
  j["counters"][0]["procedures"][1] = "1.004227";
  set_kiosk(j);
  EXPECT_EQ(load_error(), kiosk_prefix() + "counters[0].procedures[1]: \"1.004227\" appears twice");
}

TEST_F(ConfigTest, UnknownKeyInProceduresFileWarns) {
  Json p = procedures();
  p["procedures"][0]["nam"] = "x";
  set_procedures(p);
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->warnings, (std::vector<std::string>{
                             procedures_prefix() +
                             "procedures[0].nam: unknown key, ignored (did you mean \"name\"?)"}));
}

TEST(LoadProcedures, ReadsAFileAlone) {
  TempDir tmp;
  fs::path file = tmp.path() / "p.json";
  write_text(file,
             R"({"procedures": [{"code": "1.001193", "name": {"vi": "Đăng ký khai sinh", )"
             R"("en": "Birth registration"}}, {"code": "x_1", "name": {"vi": "Khác"}}]})");
  Result<std::vector<Procedure>> r = load_procedures(file);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].code, "1.001193");
  EXPECT_EQ((*r)[0].name.get("en"), "Birth registration");
  EXPECT_EQ((*r)[1].name.get("vi"), "Khác");
}

TEST(LoadProcedures, MissingFileIsNotFound) {
  TempDir tmp;
  Result<std::vector<Procedure>> r = load_procedures(tmp.path() / "none.json");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::not_found);
}

TEST_F(ConfigTest, WriteStaffPinHashRoundTrips) {
  std::string hash = hash_secret("4321", 1000);
  ASSERT_TRUE(write_staff_pin_hash(dir_, hash).is_ok());
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(r->warnings.empty());
  EXPECT_EQ(r->config.staff_pin_hash, hash);
  EXPECT_TRUE(verify_secret("4321", r->config.staff_pin_hash));
  EXPECT_FALSE(verify_secret("1234", r->config.staff_pin_hash));
  EXPECT_EQ(r->config.kiosk_id, "22.PVHCC.K01");
  EXPECT_EQ(r->config.counters.size(), 4u);
  std::string text = read_text(kiosk_file());
  EXPECT_LT(text.find("\"kiosk_id\""), text.find("\"staff_pin_hash\""));
  EXPECT_LT(text.find("\"staff_pin_hash\""), text.find("\"active_survey\""));
  EXPECT_NE(text.find("Quầy 2 – Tư pháp – Hộ tịch"), std::string::npos);
}

TEST_F(ConfigTest, WriteStaffPinHashAddsTheKeyWhenAbsent) {
  Json j = kiosk();
  j.erase("staff_pin_hash");
  set_kiosk(j);
  ASSERT_TRUE(load_kiosk_config(dir_).is_ok());
  std::string hash = hash_secret("2468", 1000);
  ASSERT_TRUE(write_staff_pin_hash(dir_, hash).is_ok());
  Result<Loaded> r = load_kiosk_config(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(verify_secret("2468", r->config.staff_pin_hash));
}

TEST_F(ConfigTest, WriteStaffPinHashRejectsAMalformedHash) {
  std::string before = read_text(kiosk_file());
  Status s = write_staff_pin_hash(dir_, "1234");
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(read_text(kiosk_file()), before);
}

TEST_F(ConfigTest, WriteStaffPinHashLeavesAMalformedFileAlone) {
  write_text(kiosk_file(), "{\"kiosk_id\": ");
  Status s = write_staff_pin_hash(dir_, hash_secret("1111", 1000));
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_PRED2(starts_with, s.message(), kiosk_prefix() + "1:14: malformed JSON");
  EXPECT_EQ(read_text(kiosk_file()), "{\"kiosk_id\": ");
  std::vector<std::string> leftovers;
  for (const auto& e : fs::directory_iterator(dir_)) leftovers.push_back(e.path().filename());
  std::sort(leftovers.begin(), leftovers.end());
  EXPECT_EQ(leftovers, (std::vector<std::string>{"kiosk.json", "procedures.json", "surveys"}));
}

// Kiosk health (issue 13): the heartbeat interval, 5 minutes unless set, 30 s to 5 min.
TEST_F(ConfigTest, HeartbeatIntervalDefaultsToFiveMinutesAndOutOfRangeIsNamed) {
  auto loaded = load_kiosk_config(dir_);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->config.server.heartbeat_seconds, 300);
  Json j = kiosk();
  j["server"]["heartbeat_seconds"] = 60;
  set_kiosk(j);
  loaded = load_kiosk_config(dir_);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->config.server.heartbeat_seconds, 60);
  j["server"]["heartbeat_seconds"] = 301;
  set_kiosk(j);
  EXPECT_EQ(load_error(),
            kiosk_prefix() + "server.heartbeat_seconds: must be between 30 and 300, got 301");
}

}  // namespace
}  // namespace sipas
