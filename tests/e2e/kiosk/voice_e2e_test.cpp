// Reading aloud in the real sipas-kiosk under Xvfb, tapped with xdotool, heard through SDL's disk
// audio driver (SDL_AUDIODRIVER=disk writes the device's samples to SDL_DISKAUDIOFILE as they are
// played, in real time: mono 16-bit at 22050 Hz). The lengths expected come from the rendered
// assets' index (assets/voice/index.json), which lists how long espeak-ng says each text.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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

constexpr double kRate = 22050;

// What the disk file holds: when speech was heard, in seconds from the device's opening.
struct Heard {
  double seconds = 0;       // the whole file
  double first = -1;        // the first 10 ms window with speech in it
  double last = -1;         // the end of the last one
  double voiced = 0;        // every window with speech
  double span() const { return first < 0 ? 0 : last - first; }
};

Heard listen(const fs::path& file) {
  const std::string bytes = read_file(file);
  const std::size_t n = bytes.size() / 2;
  Heard h;
  h.seconds = static_cast<double>(n) / kRate;
  constexpr std::size_t kWindow = 220;
  for (std::size_t i = 0; i + kWindow <= n; i += kWindow) {
    int peak = 0;
    for (std::size_t k = i; k < i + kWindow; ++k) {
      const auto lo = static_cast<unsigned char>(bytes[2 * k]);
      const auto hi = static_cast<unsigned char>(bytes[2 * k + 1]);
      peak = std::max(peak, std::abs(static_cast<int>(static_cast<std::int16_t>(lo | hi << 8))));
    }
    if (peak > 500) {
      if (h.first < 0) h.first = static_cast<double>(i) / kRate;
      h.last = static_cast<double>(i + kWindow) / kRate;
      h.voiced += kWindow / kRate;
    }
  }
  return h;
}

std::size_t words(const std::string& s) {
  std::size_t n = 0;
  bool in = false;
  for (char c : s) {
    const bool space = c == ' ';
    if (!space && !in) ++n;
    in = !space;
  }
  return n;
}

class VoiceE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"Xvfb", "xdotool"}) {
      if (!have_tool(tool)) GTEST_SKIP() << tool << " is not installed";
    }
    const auto index = nlohmann::json::parse(read_file(source_ / "assets" / "voice" / "index.json"));
    for (const auto& e : index) ms_[e["language"].get<std::string>() + "\n" + e["text"].get<std::string>()] = e["ms"];
    const auto survey = nlohmann::json::parse(read_file(source_ / "kiosk-config" / "surveys" / "counter-short.json"));
    std::vector<std::string> texts;
    std::string first;
    for (const auto& el : survey["elements"]) {
      for (const auto& c : el["criteria"]) {
        if (c["id"] == survey.value("first_question", "")) {
          first = c["text"]["vi"];
        } else {
          texts.push_back(c["text"]["vi"]);
        }
      }
    }
    welcome_text_ = first;
    second_question_ = texts.at(0);
  }

  // The sample configuration (counter-short, the first counter with its three procedures), with
  // `assets` as the assets folder, no tap sound and full volume.
  fs::path make_config(const fs::path& assets, const std::string& survey = "counter-short") {
    const fs::path cfg = dir_ / "config";
    fs::create_directories(cfg / "surveys");
    for (const auto& e : fs::directory_iterator(source_ / "kiosk-config" / "surveys")) {
      fs::copy_file(e.path(), cfg / "surveys" / e.path().filename(), fs::copy_options::overwrite_existing);
    }
    fs::copy_file(source_ / "kiosk-config" / "procedures.json", cfg / "procedures.json",
                  fs::copy_options::overwrite_existing);
    auto j = nlohmann::json::parse(read_file(source_ / "kiosk-config" / "kiosk.json"));
    j["db_path"] = (dir_ / "kiosk.db").string();
    j["active_survey"] = survey;
    j["server"]["url"] = "http://127.0.0.1:1";
    j["assets_dir"] = assets.string();
    j["tap_sound"] = false;
    j["voice"]["volume"] = 100;
    std::ofstream(cfg / "kiosk.json") << j.dump(2);
    return cfg;
  }

  void start(const fs::path& assets, std::vector<std::string> env = {}) {
    env.push_back("SDL_AUDIODRIVER=disk");
    env.push_back("SDL_DISKAUDIOFILE=" + audio_.string());
    kiosk_.start(make_config(assets), 1280, 800, {"--db", (dir_ / "kiosk.db").string()}, std::move(env));
  }

  // The second question's screen, through the welcome's faces and the procedure screen.
  nlohmann::json to_second_question() {
    auto d = kiosk_.wait_for("welcome");
    kiosk_.choose(d, "answer-4");
    d = kiosk_.wait_for("procedure");
    kiosk_.choose(d, "procedure.skip");
    return kiosk_.wait_for("question", 2);
  }

  // Once the device has closed (nothing more to say): the file stops growing.
  Heard heard_when_quiet(std::chrono::seconds limit = 40s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    std::uintmax_t size = 0;
    auto stable_since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < end) {
      std::error_code ec;
      const std::uintmax_t now = fs::exists(audio_, ec) ? fs::file_size(audio_, ec) : 0;
      if (now != size) {
        size = now;
        stable_since = std::chrono::steady_clock::now();
      } else if (size > 0 && std::chrono::steady_clock::now() - stable_since > 1s) {
        break;
      }
      std::this_thread::sleep_for(100ms);
    }
    return listen(audio_);
  }

  // Waits until at least `seconds` of speech is in the file; returns what was heard by then.
  Heard heard_at_least(double seconds) {
    const auto end = std::chrono::steady_clock::now() + 20s;
    Heard h;
    while (std::chrono::steady_clock::now() < end) {
      std::error_code ec;
      if (fs::exists(audio_, ec)) {
        h = listen(audio_);
        if (h.voiced >= seconds) return h;
      }
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "less than " << seconds << " s of speech heard; kiosk log: " << kiosk_.log();
    return h;
  }

  double ms(const std::string& lang, const std::string& text) const {
    auto it = ms_.find(lang + "\n" + text);
    EXPECT_NE(it, ms_.end()) << "no rendered asset for " << text;
    return it == ms_.end() ? 0 : static_cast<double>(it->second);
  }

  const fs::path source_ = SIPAS_SOURCE_DIR;
  std::map<std::string, long long> ms_;
  std::string welcome_text_, second_question_;
  const std::string voice_on_ = "Đã bật đọc to. Chạm một lần vào một lựa chọn để nghe, chạm lần nữa để chọn.";
  const std::string procedure_title_ = "Hôm nay Ông/Bà đến làm thủ tục gì?";
  TempDir dir_;
  fs::path audio_ = dir_ / "audio.raw";
  KioskSession kiosk_{dir_.path(), SIPAS_KIOSK_BIN};
};

TEST_F(VoiceE2e, TheSpeakerOnAQuestionSaysItselfThenTheQuestionAtItsLength) {
  start(source_ / "assets");
  const auto d = to_second_question();
  ASSERT_TRUE(shows(d, "question", 2));
  EXPECT_FALSE(fs::exists(audio_)) << "no audio device is open before anything is said";
  kiosk_.tap(d, "voice");
  const Heard h = heard_when_quiet();
  const double expected = (ms("vi", voice_on_) + ms("vi", second_question_)) / 1000.0;
  EXPECT_GT(h.span(), 0.85 * expected) << "heard " << h.span() << " s of " << h.seconds << " s";
  EXPECT_LT(h.span(), 1.15 * expected + 0.3) << "heard " << h.span() << " s of " << h.seconds << " s";
  const std::size_t n = words(voice_on_) + words(second_question_);
  EXPECT_GT(h.voiced, 0.15 * static_cast<double>(n)) << "at least 0.15 s of speech a word, " << n << " words";
  EXPECT_LT(h.span(), 1.0 * static_cast<double>(n)) << "at most 1 s a word, " << n << " words";
  EXPECT_TRUE(kiosk_.running());
}

TEST_F(VoiceE2e, TurningVoiceOffStopsTheSpeech) {
  start(source_ / "assets");
  const auto d = to_second_question();
  ASSERT_TRUE(shows(d, "question", 2));
  kiosk_.tap(d, "voice");
  heard_at_least(0.8);
  kiosk_.tap(d, "voice");
  const Heard h = heard_when_quiet();
  EXPECT_LT(h.span(), ms("vi", voice_on_) / 1000.0 * 0.8)
      << "switched off while the announcement was said, it went no further";
}

TEST_F(VoiceE2e, ANewScreenCutsTheOldSpeech) {
  start(source_ / "assets");
  const auto d = to_second_question();
  ASSERT_TRUE(shows(d, "question", 2));
  kiosk_.tap(d, "voice");
  const Heard before = heard_at_least(0.8);
  kiosk_.tap(d, "back");
  ASSERT_TRUE(shows(kiosk_.wait_for("procedure"), "procedure"));
  const Heard h = heard_when_quiet();
  const double procedure = ms("vi", procedure_title_) / 1000.0;
  const double full = (ms("vi", voice_on_) + ms("vi", second_question_)) / 1000.0 + procedure;
  EXPECT_LT(h.last, before.seconds + procedure + 1.5) << "after the tap only the new screen's title";
  EXPECT_GT(h.last, before.seconds + 0.7 * procedure) << "the new screen's title is said whole";
  EXPECT_LT(h.span(), 0.7 * full);
}

TEST_F(VoiceE2e, QuestionnaireTextsWithoutAssetsAreSynthesised) {
  fs::create_directories(dir_ / "no-assets");
  start(dir_ / "no-assets");
  const auto d = to_second_question();
  ASSERT_TRUE(shows(d, "question", 2));
  kiosk_.tap(d, "voice");
  const Heard h = heard_when_quiet();
  const double expected = (ms("vi", voice_on_) + ms("vi", second_question_)) / 1000.0;
  EXPECT_GT(h.span(), 0.85 * expected) << kiosk_.log();
  EXPECT_LT(h.span(), 1.15 * expected + 0.3);
}

TEST_F(VoiceE2e, WithoutEspeakDataThePreRenderedTextsAreStillSaid) {
  fs::create_directories(dir_ / "no-espeak-data");
  start(source_ / "assets", {"ESPEAK_DATA_PATH=" + (dir_ / "no-espeak-data").string()});
  const auto d = kiosk_.wait_for("welcome");
  ASSERT_TRUE(shows(d, "welcome"));
  kiosk_.tap(d, "voice");
  const Heard h = heard_when_quiet();
  const double expected = (ms("vi", voice_on_) + ms("vi", welcome_text_)) / 1000.0;
  EXPECT_GT(h.span(), 0.85 * expected) << kiosk_.log();
  EXPECT_LT(h.span(), 1.15 * expected + 0.3);
}

TEST_F(VoiceE2e, WithoutEspeakDataOrAssetsTheKioskRunsSilentAndSaysWhy) {
  fs::create_directories(dir_ / "no-espeak-data");
  fs::create_directories(dir_ / "no-assets");
  start(dir_ / "no-assets", {"ESPEAK_DATA_PATH=" + (dir_ / "no-espeak-data").string()});
  auto d = kiosk_.wait_for("welcome");
  ASSERT_TRUE(shows(d, "welcome"));
  kiosk_.tap(d, "voice");
  kiosk_.wait_until("the log naming the missing synthesis", [&](const nlohmann::json&) {
    return kiosk_.log().find("speech synthesis unavailable, pre-rendered texts only") != std::string::npos;
  });
  kiosk_.tap(d, "voice");
  kiosk_.choose(d, "answer-5");
  d = kiosk_.wait_for("procedure");
  EXPECT_TRUE(shows(d, "procedure")) << "the survey goes on";
  EXPECT_LT(listen(audio_).voiced, 0.05);
}

TEST_F(VoiceE2e, TheVoiceKeySwitchesVoiceOn) {
  start(source_ / "assets");
  const auto d = kiosk_.wait_for("welcome");
  ASSERT_TRUE(shows(d, "welcome"));
  kiosk_.xdotool("key KP_Add");
  const Heard h = heard_at_least(0.5);
  EXPECT_GT(h.voiced, 0.5);
}

TEST_F(VoiceE2e, TheVoiceKeyTypesNothingIntoTheDossierNumber) {
  const fs::path cfg = make_config(source_ / "assets", "mau01");
  kiosk_.start(cfg, 1280, 800, {"--db", (dir_ / "kiosk.db").string()},
               {"SDL_AUDIODRIVER=disk", "SDL_DISKAUDIOFILE=" + audio_.string()});
  auto d = kiosk_.wait_for("welcome");
  kiosk_.choose(d, "answer-2");
  ASSERT_TRUE(shows(kiosk_.wait_for("dossier"), "dossier"));
  kiosk_.xdotool("type --delay 20 H4");
  kiosk_.xdotool("key KP_Add");
  kiosk_.xdotool("type --delay 20 0-7");
  std::this_thread::sleep_for(400ms);  // a second press within 300 ms would count as a repeat
  kiosk_.xdotool("key KP_Add");
  kiosk_.xdotool("key Return");
  d = kiosk_.wait_for("procedure");
  ASSERT_TRUE(shows(d, "procedure"));
  kiosk_.choose(d, "procedure.skip");
  // Voice is off again (pressed twice): one touch answers each indicator.
  for (d = kiosk_.wait_for("question", 2); shows(d, "question");) {
    const int step = d["step"];
    kiosk_.choose(d, "answer-2");
    d = kiosk_.wait_until("the next screen", [step](const nlohmann::json& x) {
      return !shows(x, "question", step);
    });
  }
  ASSERT_TRUE(shows(d, "followup"));
  kiosk_.choose(d, "finish");
  ASSERT_TRUE(shows(kiosk_.wait_for("thanks"), "thanks"));
  kiosk_.stop();
  auto store = ResponseStore::open((dir_ / "kiosk.db").string());
  ASSERT_TRUE(store.is_ok());
  auto all = (*store)->pending(10);
  ASSERT_TRUE(all.is_ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().dossier.value_or(""), "H40-7");
}

TEST_F(VoiceE2e, AnUnknownVoiceKeyStopsTheKioskNamingTheField) {
  const fs::path cfg = make_config(source_ / "assets");
  auto j = nlohmann::json::parse(read_file(cfg / "kiosk.json"));
  j["voice"]["key"] = "Plus Key";
  std::ofstream(cfg / "kiosk.json") << j.dump(2);
  kiosk_.start(cfg, 800, 480, {"--db", (dir_ / "kiosk.db").string()}, {"SDL_AUDIODRIVER=disk"});
  EXPECT_EQ(kiosk_.wait_exit(20s), 2);
  EXPECT_NE(kiosk_.log().find("kiosk.json: voice.key: \"Plus Key\" is not a key name"), std::string::npos)
      << kiosk_.log();
}

}  // namespace
}  // namespace sipas
