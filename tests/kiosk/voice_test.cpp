// Reading aloud without audio: what each screen and option says, the queue a new screen cuts, the
// asset names and lookup, and the Flow's voice rules, through a fake Voice that records calls.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "flow.hpp"
#include "kiosk_test_support.hpp"
#include "speech.hpp"
#include "temp_dir.hpp"
#include "text.hpp"

namespace sipas {
namespace {

using namespace std::chrono_literals;
using testing::MemorySink;

class FakeVoice final : public Voice {
 public:
  void speak(std::vector<Utterance> u) override { spoken.push_back(std::move(u)); }
  void stop() override { ++stops; }
  void set_volume(int percent) override { volume = percent; }
  void tap_sound() override { ++taps; }

  // Every text of the last speak(), in order.
  std::vector<std::string> last() const {
    std::vector<std::string> out;
    if (!spoken.empty()) {
      for (const Utterance& u : spoken.back()) out.push_back(u.text);
    }
    return out;
  }
  std::vector<std::vector<Utterance>> spoken;
  int stops = 0;
  int taps = 0;
  int volume = -1;
};

class VoiceFlowTest : public ::testing::Test {
 protected:
  void make(bool always_on = false, bool tap_sound = false) {
    config_ = testing::test_config(testing::short_survey());
    config_.voice.always_on = always_on;
    config_.tap_sound = tap_sound;
    flow_ = std::make_unique<Flow>(config_, FlowSettings::from_config(config_), sink_, clock_, tz_);
    flow_->set_voice(&voice_);
  }
  bool tap(ActionKind kind, int value = 0, std::string text = {}) {
    clock_.advance(700ms);
    const bool ok = flow_->dispatch(Action{kind, value, std::move(text)});
    clock_.advance(400ms);
    flow_->tick();
    return ok;
  }

  ManualClock clock_{TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 9h};
  TimeZone tz_ = TimeZone::utc();
  MemorySink sink_;
  KioskConfig config_;
  FakeVoice voice_;
  std::unique_ptr<Flow> flow_;
};

TEST_F(VoiceFlowTest, SwitchingVoiceOnAnnouncesItselfThenReadsTheScreen) {
  make();
  ASSERT_TRUE(tap(ActionKind::toggle_voice));
  EXPECT_TRUE(flow_->voice_on());
  const std::vector<std::string> expected{text("vi", Text::voice_on), "Thời gian chờ hợp lý"};
  EXPECT_EQ(voice_.last(), expected);
}

TEST_F(VoiceFlowTest, WithVoiceOffNothingIsSaid) {
  make();
  ASSERT_TRUE(tap(ActionKind::answer, 4));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_TRUE(voice_.spoken.empty());
}

TEST_F(VoiceFlowTest, FirstTouchOnAnOptionSaysItAndTheSecondChoosesIt) {
  make();
  ASSERT_TRUE(tap(ActionKind::toggle_voice));
  ASSERT_TRUE(tap(ActionKind::answer, 4));
  EXPECT_EQ(flow_->screen(), Screen::welcome) << "the first touch only reads the option";
  EXPECT_EQ(voice_.last(), std::vector<std::string>{"Hài lòng"});
  ASSERT_TRUE(tap(ActionKind::answer, 4));
  EXPECT_EQ(flow_->screen(), Screen::question);
  EXPECT_EQ(voice_.last(), std::vector<std::string>{"Cán bộ lịch sự"}) << "the new question is read";
}

// Page buttons are not options: like "back", the first touch acts, and turning a page reads
// nothing; the procedures keep their first-touch-speaks rule.
TEST_F(VoiceFlowTest, PageButtonsActAtOnceAndProceduresStillSpeakFirst) {
  make();
  flow_.reset();
  config_.procedures = {Procedure{"1.004227", testing::lt("Đăng ký biến động đất đai")},
                        Procedure{"1.001193", testing::lt("Đăng ký khai sinh")}};
  config_.counters[0].procedures = {"1.004227", "1.001193"};
  flow_ = std::make_unique<Flow>(config_, FlowSettings::from_config(config_), sink_, clock_, tz_);
  flow_->set_voice(&voice_);
  ASSERT_TRUE(tap(ActionKind::toggle_voice));
  ASSERT_TRUE(tap(ActionKind::answer, 4));
  ASSERT_TRUE(tap(ActionKind::answer, 4));
  ASSERT_EQ(flow_->screen(), Screen::procedure);
  const std::size_t said = voice_.spoken.size();
  ASSERT_TRUE(tap(ActionKind::procedure_page, 1, "2"));
  EXPECT_EQ(flow_->procedure_page(), 1u) << "the first touch turns the page";
  EXPECT_EQ(voice_.spoken.size(), said) << "and says nothing";
  ASSERT_TRUE(tap(ActionKind::procedure_choose, 0, "1.001193"));
  EXPECT_EQ(flow_->screen(), Screen::procedure) << "the first touch on a procedure only reads it";
  EXPECT_EQ(voice_.last(), std::vector<std::string>{"Đăng ký khai sinh"});
}

TEST_F(VoiceFlowTest, TouchingAnotherOptionSaysThatOneInstead) {
  make();
  ASSERT_TRUE(tap(ActionKind::toggle_voice));
  ASSERT_TRUE(tap(ActionKind::answer, 4));
  ASSERT_TRUE(tap(ActionKind::answer, 2));
  EXPECT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_EQ(voice_.last(), std::vector<std::string>{"Không hài lòng"});
  ASSERT_TRUE(tap(ActionKind::answer, 4));
  EXPECT_EQ(flow_->screen(), Screen::welcome) << "4 was no longer the option last touched";
}

TEST_F(VoiceFlowTest, SwitchingVoiceOffStopsTheSpeech) {
  make();
  ASSERT_TRUE(tap(ActionKind::toggle_voice));
  ASSERT_TRUE(tap(ActionKind::toggle_voice));
  EXPECT_FALSE(flow_->voice_on());
  EXPECT_EQ(voice_.stops, 1);
  ASSERT_TRUE(tap(ActionKind::answer, 4));
  EXPECT_EQ(flow_->screen(), Screen::question) << "one touch chooses again";
}

TEST_F(VoiceFlowTest, FollowUpReadsItsReasons) {
  make();
  ASSERT_TRUE(tap(ActionKind::toggle_voice));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(tap(ActionKind::answer, 1));
    ASSERT_TRUE(tap(ActionKind::answer, 1));
  }
  ASSERT_EQ(flow_->screen(), Screen::followup);
  const auto said = voice_.last();
  ASSERT_GE(said.size(), 3u);
  EXPECT_EQ(said[0], text("vi", Text::followup_title));
  EXPECT_NE(std::find(said.begin(), said.end(), "Chờ lâu"), said.end());
  EXPECT_NE(std::find(said.begin(), said.end(), "Thái độ cán bộ"), said.end());
}

TEST_F(VoiceFlowTest, ThanksAreRead) {
  make();
  ASSERT_TRUE(tap(ActionKind::toggle_voice));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(tap(ActionKind::answer, 5));
    ASSERT_TRUE(tap(ActionKind::answer, 5));
  }
  ASSERT_TRUE(tap(ActionKind::followup_finish));
  ASSERT_EQ(flow_->screen(), Screen::thanks);
  const std::vector<std::string> expected{text("vi", Text::thanks_title), text("vi", Text::thanks_body)};
  EXPECT_EQ(voice_.last(), expected);
}

TEST_F(VoiceFlowTest, VoiceEndsWithTheCitizensSurvey) {
  make();
  ASSERT_TRUE(tap(ActionKind::toggle_voice));
  ASSERT_TRUE(tap(ActionKind::answer, 5));
  ASSERT_TRUE(tap(ActionKind::answer, 5));
  clock_.advance(30s);
  flow_->tick();
  clock_.advance(20s);
  flow_->tick();
  ASSERT_EQ(flow_->screen(), Screen::welcome);
  EXPECT_FALSE(flow_->voice_on());
  EXPECT_GE(voice_.stops, 1);
}

TEST_F(VoiceFlowTest, AlwaysOnReadsTheWelcomeWithoutTheButton) {
  make(/*always_on=*/true);
  flow_->tick();
  EXPECT_TRUE(flow_->voice_on());
  EXPECT_EQ(voice_.last(), std::vector<std::string>{"Thời gian chờ hợp lý"});
}

TEST_F(VoiceFlowTest, TheVoiceKeyWorksOnANewScreenThatIgnoresTaps) {
  make();
  clock_.advance(700ms);
  ASSERT_TRUE(flow_->dispatch(Action{ActionKind::answer, 4, {}}));
  clock_.advance(400ms);
  flow_->tick();
  ASSERT_EQ(flow_->screen(), Screen::question);
  clock_.advance(100ms);
  EXPECT_TRUE(flow_->dispatch(Action{ActionKind::toggle_voice, 0, {}}));
  EXPECT_TRUE(flow_->voice_on());
}

TEST_F(VoiceFlowTest, VoiceCannotBeSwitchedOnTheStaffSide) {
  make();
  flow_->store_failed();
  EXPECT_FALSE(tap(ActionKind::toggle_voice));
  EXPECT_FALSE(flow_->voice_on());
}

TEST_F(VoiceFlowTest, EveryAcceptedTapSoundsWhenTapSoundIsOn) {
  make(false, /*tap_sound=*/true);
  ASSERT_TRUE(tap(ActionKind::set_language, 0, "en"));
  EXPECT_FALSE(tap(ActionKind::set_language, 0, "xx"));
  EXPECT_EQ(voice_.taps, 1);
}

TEST_F(VoiceFlowTest, NoTapSoundWhenSwitchedOff) {
  make(false, /*tap_sound=*/false);
  ASSERT_TRUE(tap(ActionKind::set_language, 0, "en"));
  EXPECT_EQ(voice_.taps, 0);
}

TEST_F(VoiceFlowTest, ChangingTheLanguageRereadsTheWelcomeInIt) {
  config_ = testing::test_config(testing::short_survey());
  make();
  ASSERT_TRUE(tap(ActionKind::toggle_voice));
  ASSERT_TRUE(tap(ActionKind::set_language, 0, "en"));
  ASSERT_EQ(voice_.spoken.size(), 2u);
  EXPECT_EQ(voice_.spoken.back().front().language, "en");
}

TEST_F(VoiceFlowTest, StaffVolumeReachesTheVoice) {
  make();
  EXPECT_EQ(voice_.volume, 80) << "the config's volume, given when the voice is set";
  flow_->set_volume(130);
  EXPECT_EQ(flow_->volume(), 100);
  EXPECT_EQ(voice_.volume, 100);
}

TEST(SpeechQueue, ReplaceDropsWhatWaitsAndStartsANewGeneration) {
  SpeechQueue q;
  const auto g1 = q.replace({{"vi", "a"}, {"vi", "b"}});
  auto first = q.try_next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->utterance.text, "a");
  EXPECT_EQ(first->generation, g1);
  const auto g2 = q.replace({{"vi", "c"}});
  EXPECT_FALSE(q.is_current(g1)) << "what the player holds of the old screen is dropped";
  auto next = q.try_next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->utterance.text, "c");
  EXPECT_EQ(next->generation, g2);
  EXPECT_FALSE(q.try_next());
}

TEST(SpeechQueue, ClearLeavesNothingAndCutsTheCurrent) {
  SpeechQueue q;
  const auto g = q.replace({{"vi", "a"}, {"vi", "b"}});
  ASSERT_TRUE(q.try_next());
  q.clear();
  EXPECT_FALSE(q.is_current(g));
  EXPECT_FALSE(q.try_next());
}

TEST(SpeechQueue, AWaitingPlayerWakesForANewUtterance) {
  SpeechQueue q;
  std::optional<SpeechQueue::Item> got;
  std::thread player([&] { got = q.wait_next(std::chrono::hours(1)); });
  q.replace({{"en", "hello"}});
  player.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->utterance.text, "hello");
}

TEST(SpeechQueue, CloseWakesTheWaitingPlayerWithNothing) {
  SpeechQueue q;
  std::optional<SpeechQueue::Item> got{SpeechQueue::Item{}};
  std::thread player([&] { got = q.wait_next(std::chrono::hours(1)); });
  q.close();
  player.join();
  EXPECT_FALSE(got);
  EXPECT_FALSE(q.is_current(q.generation()));
}

TEST(VoiceAssetName, IsStableAndDependsOnLanguageAndText) {
  const Utterance vi{"vi", "Xin cảm ơn Ông/Bà!"};
  EXPECT_EQ(voice_asset_name(vi), voice_asset_name(Utterance{"vi", "Xin cảm ơn Ông/Bà!"}));
  EXPECT_NE(voice_asset_name(vi), voice_asset_name(Utterance{"en", "Xin cảm ơn Ông/Bà!"}));
  EXPECT_NE(voice_asset_name(vi), voice_asset_name(Utterance{"vi", "Xin cảm ơn Ông/Bà"}));
  EXPECT_EQ(voice_asset_name(vi).rfind("vi-", 0), 0u);
  EXPECT_EQ(voice_asset_name(vi).size(), 3u + 16u + 4u);
  // FNV-1a 64 of "en", NUL, "" is fixed; a change here would orphan every rendered file.
  EXPECT_EQ(voice_asset_name(Utterance{"en", ""}), "en-02841251200a491c.wav");
}

TEST(VoiceAssets, FindsARenderedFileAndNothingForAnOtherText) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "voice");
  const Utterance u{"vi", "Hài lòng"};
  std::ofstream(dir.path() / "voice" / voice_asset_name(u)) << encode_wav({1, 2, 3}, 22050);
  VoiceAssets assets(dir.path());
  ASSERT_TRUE(assets.find(u));
  EXPECT_EQ(assets.find(u)->filename(), voice_asset_name(u));
  EXPECT_FALSE(assets.find(Utterance{"en", "Hài lòng"}));
  EXPECT_FALSE(assets.tap_sound());
}

TEST(EncodeWav, WritesAMono16BitHeaderAndTheSamples) {
  const std::string wav = encode_wav({0x0102, -2}, 22050);
  ASSERT_EQ(wav.size(), 44u + 4u);
  EXPECT_EQ(wav.substr(0, 4), "RIFF");
  EXPECT_EQ(wav.substr(8, 8), "WAVEfmt ");
  EXPECT_EQ(static_cast<unsigned char>(wav[22]), 1u) << "mono";
  EXPECT_EQ(static_cast<unsigned char>(wav[34]), 16u) << "16-bit";
  EXPECT_EQ(static_cast<unsigned char>(wav[24]) | static_cast<unsigned char>(wav[25]) << 8, 22050 & 0xFFFF);
  EXPECT_EQ(wav.substr(36, 4), "data");
  EXPECT_EQ(static_cast<unsigned char>(wav[44]), 0x02u);
  EXPECT_EQ(static_cast<unsigned char>(wav[45]), 0x01u);
}

// A plain IMA ADPCM decoder (the one SDL_LoadWAV follows), to read back what the encoder wrote.
std::vector<int> decode_ima_adpcm(const std::string& wav) {
  static const int steps[89] = {
      7,     8,     9,     10,    11,    12,    13,    14,    16,    17,    19,    21,    23,
      25,    28,    31,    34,    37,    41,    45,    50,    55,    60,    66,    73,    80,
      88,    97,    107,   118,   130,   143,   157,   173,   190,   209,   230,   253,   279,
      307,   337,   371,   408,   449,   494,   544,   598,   658,   724,   796,   876,   963,
      1060,  1166,  1282,  1411,  1552,  1707,  1878,  2066,  2272,  2499,  2749,  3024,  3327,
      3660,  4026,  4428,  4871,  5358,  5894,  6484,  7132,  7845,  8630,  9493,  10442, 11487,
      12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767};
  static const int index_change[8] = {-1, -1, -1, -1, 2, 4, 6, 8};
  auto byte = [&wav](std::size_t i) { return static_cast<unsigned char>(wav[i]); };
  const std::size_t data = wav.find("data") + 8;
  std::vector<int> out;
  for (std::size_t b = data; b + 512 <= wav.size(); b += 512) {
    int pred = static_cast<std::int16_t>(byte(b) | byte(b + 1) << 8);
    int index = byte(b + 2);
    out.push_back(pred);
    for (std::size_t i = b + 4; i < b + 512; ++i) {
      for (unsigned nibble : {byte(i) & 0x0Fu, static_cast<unsigned>(byte(i) >> 4)}) {
        const int step = steps[index];
        int delta = step >> 3;
        if (nibble & 4) delta += step;
        if (nibble & 2) delta += step >> 1;
        if (nibble & 1) delta += step >> 2;
        pred = std::clamp(nibble & 8 ? pred - delta : pred + delta, -32768, 32767);
        index = std::clamp(index + index_change[nibble & 7], 0, 88);
        out.push_back(pred);
      }
    }
  }
  return out;
}

TEST(EncodeImaAdpcmWav, ReadsBackCloseToTheSamplesInAQuarterOfTheSpace) {
  std::vector<std::int16_t> tone(5000);
  for (std::size_t i = 0; i < tone.size(); ++i) {
    tone[i] = static_cast<std::int16_t>(8000 * std::sin(static_cast<double>(i) * 0.07));
  }
  const std::string wav = encode_ima_adpcm_wav(tone, 22050);
  EXPECT_LT(wav.size(), encode_wav(tone, 22050).size() / 3);
  EXPECT_EQ(static_cast<unsigned char>(wav[20]), 0x11u) << "WAVE_FORMAT_IMA_ADPCM";
  const std::vector<int> back = decode_ima_adpcm(wav);
  ASSERT_GE(back.size(), tone.size());
  double err = 0;
  for (std::size_t i = 0; i < tone.size(); ++i) err += std::abs(back[i] - tone[i]);
  EXPECT_LT(err / static_cast<double>(tone.size()), 400.0) << "mean error under 5 % of the amplitude";
  // A sharp stop takes the decoder a few samples to follow.
  for (std::size_t i = tone.size() + 64; i < back.size(); ++i) EXPECT_LT(std::abs(back[i]), 600) << "padded with silence";
}

TEST(TapClick, IsShortAndQuiet) {
  const auto click = make_tap_click(22050);
  EXPECT_EQ(click.size(), 22050u * 30 / 1000);
  int peak = 0;
  for (auto s : click) peak = std::max(peak, std::abs(static_cast<int>(s)));
  EXPECT_GT(peak, 200);
  EXPECT_LT(peak, 4000) << "about -24 dBFS at most";
}

TEST(SpeakableTexts, CoverEveryQuestionOptionAndReasonInEachLanguageOnce) {
  KioskConfig config = testing::test_config(testing::short_survey());
  config.languages = {"vi", "en"};
  const auto texts = speakable_texts(config);
  auto has = [&texts](const std::string& lang, const std::string& t) {
    return std::count(texts.begin(), texts.end(), Utterance{lang, t}) == 1;
  };
  EXPECT_TRUE(has("vi", "Cán bộ lịch sự"));
  EXPECT_TRUE(has("vi", "Rất hài lòng"));
  EXPECT_TRUE(has("vi", "Chờ lâu"));
  EXPECT_TRUE(has("vi", text("vi", Text::thanks_title)));
  EXPECT_TRUE(has("en", text("en", Text::thanks_title)));
  EXPECT_TRUE(has("en", text("en", Text::voice_on)));
}

TEST(ScreenUtterances, TheStaffSideSaysNothing) {
  KioskConfig config = testing::test_config(testing::short_survey());
  MemorySink sink;
  ManualClock clock{TimePoint{}};
  const TimeZone tz = TimeZone::utc();
  Flow flow(config, FlowSettings::from_config(config), sink, clock, tz);
  flow.store_failed();
  EXPECT_TRUE(screen_utterances(flow).empty());
}

}  // namespace
}  // namespace sipas
