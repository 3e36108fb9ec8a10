// The kiosk's real Voice: speech from pre-rendered WAV files (VoiceAssets) or espeak-ng, played
// through an SDL audio device, and the tap sound.
//
// Threads: speak(), stop(), set_volume() and tap_sound() are called from the UI thread and only
// queue work and take a short lock. One worker thread owns espeak-ng (not thread-safe), loads and
// synthesises, and opens the audio device (and SDL's audio subsystem) when there is something to
// play and closes both after two quiet seconds, so that an idle kiosk runs no audio thread at all.
// SDL's audio thread pulls the samples. A new speak() or stop() drops what waits (SpeechQueue's
// generations) and what is buffered, so a new screen cuts the old speech at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "speech.hpp"

namespace sipas {

class EspeakSynth;

struct VoiceOutputOptions {
  std::filesystem::path assets_dir;
  // Texts to synthesise and keep in memory at start when no asset has them (the questionnaire).
  std::vector<Utterance> preload;
  int volume = 80;
  // bench/: the steady-clock instant (ms) each speak() was asked for and the instant its first
  // sample reached the audio device, rewritten as JSON; empty: not recorded.
  std::string stats_file;
  // Where to report problems (one line each); called from the worker thread.
  std::function<void(const std::string&)> log;
};

class VoiceOutput final : public Voice {
 public:
  explicit VoiceOutput(VoiceOutputOptions options);
  ~VoiceOutput() override;
  VoiceOutput(const VoiceOutput&) = delete;
  VoiceOutput& operator=(const VoiceOutput&) = delete;

  void speak(std::vector<Utterance> utterances) override;
  void stop() override;
  void set_volume(int percent) override;
  void tap_sound() override;

  static constexpr int kRate = 22050;

 private:
  struct Timing {
    double requested_ms = 0;
    double first_sample_ms = -1;
  };
  static void audio_callback(void* self, std::uint8_t* stream, int len);
  void fill(std::int16_t* out, std::size_t n);
  void run();
  void say(const SpeechQueue::Item& item);
  // Appends samples of `generation` to what plays; false when that generation is no longer current.
  bool play(const std::int16_t* s, std::size_t n, std::uint64_t generation);
  const std::vector<std::int16_t>* load_asset(const Utterance& u);
  bool ensure_synth();
  bool open_device();
  void close_device();
  bool playing();
  void write_stats();
  void wake();

  VoiceOutputOptions options_;
  VoiceAssets assets_;
  SpeechQueue queue_;
  std::atomic<int> volume_;

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;
  bool quit_ = false;

  // What plays, shared with SDL's audio thread.
  std::mutex play_mu_;
  std::vector<std::int16_t> speech_;
  std::size_t speech_pos_ = 0;
  std::vector<std::int16_t> tap_;
  std::size_t tap_pos_ = 0;  // tap_.size(): not sounding
  std::vector<Timing> timings_;
  bool awaiting_first_sample_ = false;
  bool timings_dirty_ = false;

  // Worker thread only.
  std::unique_ptr<EspeakSynth> synth_;
  bool synth_tried_ = false;
  std::chrono::steady_clock::time_point retry_audio_at_{};
  bool audio_failure_logged_ = false;
  std::uint32_t device_ = 0;
  std::chrono::steady_clock::time_point quiet_since_;
  std::unordered_map<std::string, std::vector<std::int16_t>> cache_;
  std::size_t preloaded_ = 0;
  std::thread worker_;
};

}  // namespace sipas
