// Reading the kiosk aloud: what each screen says, the Voice interface the Flow speaks through, the
// queue that lets a new screen cut off the old speech, and where pre-rendered speech is found.
// No SDL and no espeak here: the real Voice (voice_output.hpp) plays through them; tests use a
// fake.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sipas/config.hpp"

namespace sipas {

class Flow;
struct Action;

// One text to say in one language ("vi", "en").
struct Utterance {
  std::string language;
  std::string text;
  bool operator==(const Utterance& o) const { return language == o.language && text == o.text; }
};

// Speech and the tap sound. Called from the UI thread; no call blocks on audio or synthesis.
class Voice {
 public:
  virtual ~Voice() = default;
  // Cuts off whatever is being said or waits to be said, then says `utterances` in order.
  virtual void speak(std::vector<Utterance> utterances) = 0;
  // Cuts off whatever is being said or waits to be said.
  virtual void stop() = 0;
  // 0 (silent) to 100; applies to what is playing too.
  virtual void set_volume(int percent) = 0;
  // The short, quiet confirmation of an accepted tap, over any speech.
  virtual void tap_sound() = 0;
};

// What the current screen of `flow` says when it appears (or when voice is switched on there):
// the question, the follow-up reasons, the thanks, in the citizen's language. Empty for the staff
// side (PIN pad, staff screen, out of service).
std::vector<Utterance> screen_utterances(const Flow& flow);

// What an answer option, procedure or reason says when a citizen touches it with voice on; the
// argument is the Action the touch would carry out. Empty when the action is not such an option.
std::vector<Utterance> option_utterances(const Flow& flow, const Action& action);

// Every fixed text the kiosk may say with `config`, each once: the catalogue's spoken messages
// and every survey's questions, options and reasons and every procedure's name, in each of the
// configured languages (render-voice turns them into WAV files).
std::vector<Utterance> speakable_texts(const KioskConfig& config);

// The texts of the active survey alone (what the kiosk synthesises and keeps at start when no
// pre-rendered file has them).
std::vector<Utterance> survey_texts(const KioskConfig& config);

// The file name of an utterance's pre-rendered speech: "vi-" + 16 hex digits of a stable 64-bit
// hash (FNV-1a) of the language and the text + ".wav".
std::string voice_asset_name(const Utterance& u);

// Pre-rendered speech under DIR/voice/ and the tap sound DIR/tap.wav.
class VoiceAssets {
 public:
  explicit VoiceAssets(std::filesystem::path dir) : dir_(std::move(dir)) {}
  // The WAV file of `u`; nullopt when there is none.
  std::optional<std::filesystem::path> find(const Utterance& u) const;
  std::optional<std::filesystem::path> tap_sound() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// A mono 16-bit PCM WAV file's bytes.
std::string encode_wav(const std::vector<std::int16_t>& samples, int rate);

// The same as a mono IMA ADPCM WAV file (4 bits a sample, blocks of 512 bytes): a quarter of the
// size, which SDL_LoadWAV reads back. The last block is padded with silence. Written here rather
// than with libsndfile: only render-voice writes sounds, and the kiosk would otherwise carry a
// library (and its codecs) for a few dozen lines of a fixed, public algorithm.
std::string encode_ima_adpcm_wav(const std::vector<std::int16_t>& samples, int rate);

// A soft click: a 30 ms decaying 2 kHz tone at about -24 dBFS, for the tap sound.
std::vector<std::int16_t> make_tap_click(int rate);

// What waits to be said, shared by the UI thread (replace, clear) and the one thread that
// synthesises and plays (next, is_current). Every replace or clear starts a new generation; the
// player drops anything of an older one, so a new screen cuts off the old speech however far the
// player had got.
class SpeechQueue {
 public:
  struct Item {
    Utterance utterance;
    std::uint64_t generation = 0;
  };

  // Drops what waits and queues `utterances`; returns the new generation.
  std::uint64_t replace(std::vector<Utterance> utterances);
  // Drops what waits; returns the new generation.
  std::uint64_t clear();
  // The next utterance, without waiting; nullopt when none waits.
  std::optional<Item> try_next();
  // Waits up to `timeout` for an utterance (or close()); nullopt when none came.
  std::optional<Item> wait_next(std::chrono::milliseconds timeout);
  bool is_current(std::uint64_t generation) const;
  std::uint64_t generation() const;
  // Wakes every waiter; nothing is handed out afterwards.
  void close();
  bool closed() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Utterance> waiting_;  // in order; front first
  std::size_t next_ = 0;
  std::uint64_t generation_ = 0;
  bool closed_ = false;
};

}  // namespace sipas
