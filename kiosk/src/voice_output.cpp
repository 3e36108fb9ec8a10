#include "voice_output.hpp"

#include <SDL.h>

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "espeak_synth.hpp"
#include "sipas/files.hpp"

namespace sipas {
namespace {

using SteadyClock = std::chrono::steady_clock;

double steady_ms() {
  return std::chrono::duration<double, std::milli>(SteadyClock::now().time_since_epoch()).count();
}

std::string key_of(const Utterance& u) { return u.language + '\n' + u.text; }

// A WAV file as mono 16-bit samples at `rate`; empty when it cannot be read.
std::vector<std::int16_t> read_wav(const std::filesystem::path& file, int rate) {
  SDL_AudioSpec spec;
  Uint8* buf = nullptr;
  Uint32 len = 0;
  if (!SDL_LoadWAV(file.c_str(), &spec, &buf, &len)) return {};
  std::vector<std::int16_t> out;
  SDL_AudioCVT cvt;
  const int built = SDL_BuildAudioCVT(&cvt, spec.format, spec.channels, spec.freq, AUDIO_S16SYS, 1, rate);
  if (built == 0) {
    out.resize(len / 2);
    std::memcpy(out.data(), buf, out.size() * 2);
  } else if (built > 0) {
    std::vector<Uint8> work(static_cast<std::size_t>(len) * static_cast<std::size_t>(cvt.len_mult));
    std::memcpy(work.data(), buf, len);
    cvt.buf = work.data();
    cvt.len = static_cast<int>(len);
    if (SDL_ConvertAudio(&cvt) == 0) {
      out.resize(static_cast<std::size_t>(cvt.len_cvt) / 2);
      std::memcpy(out.data(), work.data(), out.size() * 2);
    }
  }
  SDL_FreeWAV(buf);
  return out;
}

// A pause between two utterances of one screen.
constexpr std::size_t kGapSamples = VoiceOutput::kRate / 5;
// The device closes after this long with nothing to play.
constexpr auto kCloseAfter = std::chrono::seconds(2);

}  // namespace

VoiceOutput::VoiceOutput(VoiceOutputOptions options)
    : options_(std::move(options)), assets_(options_.assets_dir), volume_(std::clamp(options_.volume, 0, 100)) {
  if (auto tap = assets_.tap_sound()) tap_ = read_wav(*tap, kRate);
  if (tap_.empty()) tap_ = make_tap_click(kRate);
  tap_pos_ = tap_.size();
  worker_ = std::thread([this] { run(); });
}

VoiceOutput::~VoiceOutput() {
  queue_.close();
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    quit_ = true;
  }
  wake_cv_.notify_all();
  worker_.join();
}

void VoiceOutput::wake() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    wake_ = true;
  }
  wake_cv_.notify_all();
}

void VoiceOutput::speak(std::vector<Utterance> utterances) {
  queue_.replace(std::move(utterances));
  {
    std::lock_guard<std::mutex> lock(play_mu_);
    speech_.clear();
    speech_pos_ = 0;
    if (!options_.stats_file.empty()) {
      timings_.push_back(Timing{steady_ms(), -1});
      awaiting_first_sample_ = true;
    }
  }
  wake();
}

void VoiceOutput::stop() {
  queue_.clear();
  {
    std::lock_guard<std::mutex> lock(play_mu_);
    speech_.clear();
    speech_pos_ = 0;
    awaiting_first_sample_ = false;
  }
  wake();
}

void VoiceOutput::set_volume(int percent) { volume_ = std::clamp(percent, 0, 100); }

void VoiceOutput::tap_sound() {
  {
    std::lock_guard<std::mutex> lock(play_mu_);
    tap_pos_ = 0;
  }
  wake();
}

void VoiceOutput::audio_callback(void* self, std::uint8_t* stream, int len) {
  static_cast<VoiceOutput*>(self)->fill(reinterpret_cast<std::int16_t*>(stream),
                                        static_cast<std::size_t>(len) / 2);
}

void VoiceOutput::fill(std::int16_t* out, std::size_t n) {
  const int volume = volume_.load();
  std::lock_guard<std::mutex> lock(play_mu_);
  const std::size_t from_speech = std::min(n, speech_.size() - speech_pos_);
  if (from_speech > 0 && awaiting_first_sample_ && !timings_.empty()) {
    timings_.back().first_sample_ms = steady_ms();
    awaiting_first_sample_ = false;
    timings_dirty_ = true;
  }
  for (std::size_t i = 0; i < n; ++i) {
    int v = i < from_speech ? speech_[speech_pos_ + i] : 0;
    if (tap_pos_ < tap_.size()) v += tap_[tap_pos_++];
    v = v * volume / 100;
    out[i] = static_cast<std::int16_t>(std::clamp(v, -32768, 32767));
  }
  speech_pos_ += from_speech;
  if (speech_pos_ == speech_.size()) {
    speech_.clear();
    speech_pos_ = 0;
  }
}

bool VoiceOutput::play(const std::int16_t* s, std::size_t n, std::uint64_t generation) {
  std::lock_guard<std::mutex> lock(play_mu_);
  if (!queue_.is_current(generation)) return false;
  speech_.insert(speech_.end(), s, s + n);
  return true;
}

bool VoiceOutput::playing() {
  std::lock_guard<std::mutex> lock(play_mu_);
  return speech_pos_ < speech_.size() || tap_pos_ < tap_.size();
}

// SDL's audio subsystem is started with the device and stopped with it: some of its drivers keep
// a thread of their own (ALSA's hotplug watch wakes ten times a second) while it is up. After a
// failure the next attempt waits a minute (a speaker plugged in later is found then) and the
// failure is logged once.
bool VoiceOutput::open_device() {
  if (device_ != 0) return true;
  if (SteadyClock::now() < retry_audio_at_) return false;
  auto failed = [this](const std::string& what) {
    if (SDL_WasInit(SDL_INIT_AUDIO)) SDL_QuitSubSystem(SDL_INIT_AUDIO);
    retry_audio_at_ = SteadyClock::now() + std::chrono::minutes(1);
    if (!audio_failure_logged_ && options_.log) options_.log("voice: " + what + SDL_GetError());
    audio_failure_logged_ = true;
    return false;
  };
  if (!SDL_WasInit(SDL_INIT_AUDIO) && SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
    return failed("no audio output: ");
  }
  SDL_AudioSpec want{};
  want.freq = kRate;
  want.format = AUDIO_S16SYS;
  want.channels = 1;
  want.samples = 512;
  want.callback = &VoiceOutput::audio_callback;
  want.userdata = this;
  SDL_AudioSpec have{};
  device_ = SDL_OpenAudioDevice(nullptr, 0, &want, &have, 0);
  if (device_ == 0) return failed("cannot open the audio device: ");
  SDL_PauseAudioDevice(device_, 0);
  quiet_since_ = SteadyClock::now();
  return true;
}

void VoiceOutput::close_device() {
  if (device_ == 0) return;
  SDL_CloseAudioDevice(device_);
  device_ = 0;
  SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

const std::vector<std::int16_t>* VoiceOutput::load_asset(const Utterance& u) {
  const std::string key = key_of(u);
  if (auto it = cache_.find(key); it != cache_.end()) return &it->second;
  if (auto file = assets_.find(u)) {
    std::vector<std::int16_t> samples = read_wav(*file, kRate);
    if (!samples.empty()) return &(cache_[key] = std::move(samples));
  }
  return nullptr;
}

// espeak-ng is started on first need, on this thread; without its data the kiosk says only what
// was pre-rendered.
bool VoiceOutput::ensure_synth() {
  if (synth_tried_) return synth_ != nullptr;
  synth_tried_ = true;
  auto opened = EspeakSynth::open();
  if (opened.is_ok() && (*opened)->sample_rate() == kRate) {
    synth_ = std::move(opened).value();
  } else if (options_.log) {
    options_.log("voice: speech synthesis unavailable, pre-rendered texts only (" +
                 (opened.is_ok() ? std::string("espeak-ng's sample rate is not 22050 Hz") : opened.status().message()) +
                 ")");
  }
  return synth_ != nullptr;
}

void VoiceOutput::say(const SpeechQueue::Item& item) {
  if (!open_device()) return;
  {
    // A pause after the previous utterance of the same screen.
    std::lock_guard<std::mutex> lock(play_mu_);
    if (speech_pos_ < speech_.size() && queue_.is_current(item.generation)) {
      speech_.insert(speech_.end(), kGapSamples, 0);
    }
  }
  if (const auto* samples = load_asset(item.utterance)) {
    play(samples->data(), samples->size(), item.generation);
    return;
  }
  if (!ensure_synth()) return;
  std::vector<std::int16_t> all;
  bool cut = false;
  const Status st = synth_->synthesize(item.utterance, [&](const std::int16_t* s, std::size_t n) {
    all.insert(all.end(), s, s + n);
    if (!play(s, n, item.generation)) cut = true;
    return !cut;
  });
  if (!st.is_ok()) {
    if (options_.log) options_.log("voice: " + st.message());
    return;
  }
  if (!cut) cache_[key_of(item.utterance)] = std::move(all);
}

void VoiceOutput::write_stats() {
  nlohmann::json j = nlohmann::json::array();
  {
    std::lock_guard<std::mutex> lock(play_mu_);
    if (!timings_dirty_) return;
    timings_dirty_ = false;
    for (const Timing& t : timings_) j.push_back({{"requested_ms", t.requested_ms}, {"first_sample_ms", t.first_sample_ms}});
  }
  (void)write_file_atomically(options_.stats_file, nlohmann::json{{"speech", j}}.dump() + "\n");
}

// Speech first; texts to preload when nothing else waits; the device closed once quiet.
void VoiceOutput::run() {
  for (;;) {
    while (auto item = queue_.try_next()) say(*item);
    if (queue_.closed()) break;
    const bool busy = playing();
    if (device_ != 0) {
      if (busy) {
        quiet_since_ = SteadyClock::now();
      } else if (SteadyClock::now() - quiet_since_ >= kCloseAfter) {
        close_device();
      }
    }
    if (busy && device_ == 0) open_device();  // a tap sound with the device closed
    if (!options_.stats_file.empty()) write_stats();

    std::chrono::milliseconds wait = std::chrono::hours(1);
    if (device_ != 0) wait = std::chrono::milliseconds(100);
    if (preloaded_ < options_.preload.size()) wait = std::chrono::milliseconds(0);
    std::unique_lock<std::mutex> lock(wake_mu_);
    wake_cv_.wait_for(lock, wait, [this] { return wake_ || quit_; });
    if (quit_) break;
    const bool woken = wake_;
    wake_ = false;
    lock.unlock();
    if (!woken && preloaded_ < options_.preload.size()) {
      const Utterance& u = options_.preload[preloaded_++];
      if (!load_asset(u) && ensure_synth()) {
        if (auto samples = synth_->synthesize(u); samples.is_ok()) cache_[key_of(u)] = std::move(samples).value();
      }
    }
  }
  close_device();
  synth_.reset();
}

}  // namespace sipas
