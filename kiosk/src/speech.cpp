#include "speech.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "flow.hpp"
#include "text.hpp"

namespace sipas {
namespace {

// The catalogue's messages that screens say (screen_utterances, the voice-on announcement and the
// options that are the kiosk's own words).
constexpr Text kSpoken[] = {
    Text::voice_on,        Text::dossier_title,  Text::procedure_title, Text::procedure_skip,
    Text::not_applicable,  Text::unknown,        Text::followup_title,  Text::followup_hint,
    Text::followup_reasons_hint, Text::comment_title, Text::more_time_title, Text::thanks_title,
    Text::thanks_body,
};

void add_unique(std::vector<Utterance>* out, Utterance u) {
  if (u.text.empty()) return;
  if (std::find(out->begin(), out->end(), u) == out->end()) out->push_back(std::move(u));
}

void add_survey(std::vector<Utterance>* out, const Survey& s, const std::string& lang) {
  for (const Criterion* c : s.asking_order()) {
    add_unique(out, {lang, c->text.get(lang)});
    for (const Option& o : s.options_for(*c)) add_unique(out, {lang, o.label.get(lang)});
  }
  for (const Reason& r : s.reasons) add_unique(out, {lang, r.text.get(lang)});
}

}  // namespace

std::vector<Utterance> screen_utterances(const Flow& flow) {
  const std::string& lang = flow.language();
  auto say = [&lang](Text t) { return Utterance{lang, text(lang, t)}; };
  if (flow.more_time_left()) return {say(Text::more_time_title)};
  switch (flow.screen()) {
    case Screen::welcome: return {{lang, flow.first_question().text.get(lang)}};
    case Screen::question: return {{lang, flow.current_question().text.get(lang)}};
    case Screen::dossier: return {say(Text::dossier_title)};
    case Screen::procedure: return {say(Text::procedure_title)};
    case Screen::followup: {
      const auto reasons = flow.offered_reasons();
      std::vector<Utterance> out{say(Text::followup_title)};
      out.push_back(say(reasons.empty() ? Text::followup_hint : Text::followup_reasons_hint));
      for (const Reason* r : reasons) out.push_back({lang, r->text.get(lang)});
      return out;
    }
    case Screen::comment: return {say(Text::comment_title)};
    case Screen::thanks: return {say(Text::thanks_title), say(Text::thanks_body)};
    case Screen::pin:
    case Screen::staff:
    case Screen::out_of_service: return {};
  }
  return {};
}

std::vector<Utterance> option_utterances(const Flow& flow, const Action& a) {
  const std::string& lang = flow.language();
  const Survey& survey = flow.survey();
  switch (a.kind) {
    case ActionKind::answer: {
      const Criterion& c = flow.screen() == Screen::welcome ? flow.first_question() : flow.current_question();
      for (const Option& o : survey.options_for(c)) {
        if (o.value == a.value) return {{lang, o.label.get(lang)}};
      }
      return {};
    }
    case ActionKind::not_applicable: return {{lang, text(lang, Text::not_applicable)}};
    case ActionKind::unknown: return {{lang, text(lang, Text::unknown)}};
    case ActionKind::procedure_skip: return {{lang, text(lang, Text::procedure_skip)}};
    case ActionKind::procedure_choose:
      for (const Procedure* p : flow.procedures()) {
        if (p->code == a.text) return {{lang, p->name.get(lang)}};
      }
      return {};
    case ActionKind::toggle_reason:
      if (const Reason* r = survey.find_reason(a.text)) return {{lang, r->text.get(lang)}};
      return {};
    default: return {};
  }
}

std::vector<Utterance> speakable_texts(const KioskConfig& config) {
  std::vector<Utterance> out;
  for (const std::string& lang : config.languages) {
    for (Text t : kSpoken) add_unique(&out, {lang, text(lang, t)});
    for (const Survey& s : config.surveys) add_survey(&out, s, lang);
    for (const Procedure& p : config.procedures) add_unique(&out, {lang, p.name.get(lang)});
  }
  return out;
}

std::vector<Utterance> survey_texts(const KioskConfig& config) {
  std::vector<Utterance> out;
  for (const std::string& lang : config.languages) add_survey(&out, config.survey(), lang);
  return out;
}

std::string voice_asset_name(const Utterance& u) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ULL;
  };
  for (char c : u.language) mix(static_cast<unsigned char>(c));
  mix(0);
  for (char c : u.text) mix(static_cast<unsigned char>(c));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return u.language + "-" + hex + ".wav";
}

std::optional<std::filesystem::path> VoiceAssets::find(const Utterance& u) const {
  std::filesystem::path p = dir_ / "voice" / voice_asset_name(u);
  std::error_code ec;
  if (std::filesystem::is_regular_file(p, ec)) return p;
  return std::nullopt;
}

std::optional<std::filesystem::path> VoiceAssets::tap_sound() const {
  std::filesystem::path p = dir_ / "tap.wav";
  std::error_code ec;
  if (std::filesystem::is_regular_file(p, ec)) return p;
  return std::nullopt;
}

std::string encode_wav(const std::vector<std::int16_t>& samples, int rate) {
  std::string out;
  auto u32 = [&out](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  auto u16 = [&out](std::uint16_t v) {
    out.push_back(static_cast<char>(v & 0xFF));
    out.push_back(static_cast<char>(v >> 8));
  };
  const auto data = static_cast<std::uint32_t>(samples.size() * 2);
  out += "RIFF";
  u32(36 + data);
  out += "WAVEfmt ";
  u32(16);
  u16(1);  // PCM
  u16(1);  // mono
  u32(static_cast<std::uint32_t>(rate));
  u32(static_cast<std::uint32_t>(rate) * 2);
  u16(2);
  u16(16);
  out += "data";
  u32(data);
  for (std::int16_t s : samples) u16(static_cast<std::uint16_t>(s));
  return out;
}

namespace {

constexpr int kImaSteps[89] = {
    7,     8,     9,     10,    11,    12,    13,    14,    16,    17,    19,    21,    23,
    25,    28,    31,    34,    37,    41,    45,    50,    55,    60,    66,    73,    80,
    88,    97,    107,   118,   130,   143,   157,   173,   190,   209,   230,   253,   279,
    307,   337,   371,   408,   449,   494,   544,   598,   658,   724,   796,   876,   963,
    1060,  1166,  1282,  1411,  1552,  1707,  1878,  2066,  2272,  2499,  2749,  3024,  3327,
    3660,  4026,  4428,  4871,  5358,  5894,  6484,  7132,  7845,  8630,  9493,  10442, 11487,
    12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767};
constexpr int kImaIndex[16] = {-1, -1, -1, -1, 2, 4, 6, 8, -1, -1, -1, -1, 2, 4, 6, 8};

struct ImaState {
  int predicted = 0;
  int index = 0;

  unsigned encode(int sample) {
    int diff = sample - predicted;
    unsigned nibble = 0;
    if (diff < 0) {
      nibble = 8;
      diff = -diff;
    }
    int step = kImaSteps[index];
    int delta = step >> 3;
    if (diff >= step) { nibble |= 4; diff -= step; delta += step; }
    step >>= 1;
    if (diff >= step) { nibble |= 2; diff -= step; delta += step; }
    step >>= 1;
    if (diff >= step) { nibble |= 1; delta += step; }
    predicted = std::clamp(nibble & 8 ? predicted - delta : predicted + delta, -32768, 32767);
    index = std::clamp(index + kImaIndex[nibble], 0, 88);
    return nibble;
  }
};

}  // namespace

std::string encode_ima_adpcm_wav(const std::vector<std::int16_t>& samples, int rate) {
  constexpr std::size_t kBlock = 512;
  constexpr std::size_t kPerBlock = (kBlock - 4) * 2 + 1;
  const std::size_t blocks = std::max<std::size_t>(1, (samples.size() + kPerBlock - 1) / kPerBlock);
  std::string out;
  auto u32 = [&out](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  auto u16 = [&out](std::uint16_t v) {
    out.push_back(static_cast<char>(v & 0xFF));
    out.push_back(static_cast<char>(v >> 8));
  };
  const auto data = static_cast<std::uint32_t>(blocks * kBlock);
  out += "RIFF";
  u32(4 + 28 + 12 + 8 + data);
  out += "WAVEfmt ";
  u32(20);
  u16(0x11);  // IMA ADPCM
  u16(1);
  u32(static_cast<std::uint32_t>(rate));
  u32(static_cast<std::uint32_t>(static_cast<std::size_t>(rate) * kBlock / kPerBlock));
  u16(kBlock);
  u16(4);
  u16(2);
  u16(kPerBlock);
  out += "fact";
  u32(4);
  u32(static_cast<std::uint32_t>(samples.size()));
  out += "data";
  u32(data);
  auto at = [&samples](std::size_t i) -> int { return i < samples.size() ? samples[i] : 0; };
  // Each block starts afresh from its first sample; the step index carries over, as encoders do.
  int carried = 0;
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t first = b * kPerBlock;
    ImaState st;
    st.predicted = at(first);
    st.index = carried;
    u16(static_cast<std::uint16_t>(static_cast<std::int16_t>(st.predicted)));
    out.push_back(static_cast<char>(st.index));
    out.push_back(0);
    for (std::size_t k = 1; k < kPerBlock; k += 2) {
      const unsigned lo = st.encode(at(first + k));
      const unsigned hi = st.encode(at(first + k + 1));
      out.push_back(static_cast<char>(lo | (hi << 4)));
    }
    carried = st.index;
  }
  return out;
}

std::vector<std::int16_t> make_tap_click(int rate) {
  const int n = rate * 30 / 1000;
  std::vector<std::int16_t> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double attack = std::min(1.0, t / 0.002);
    const double env = attack * std::exp(-t / 0.006);
    out[static_cast<std::size_t>(i)] =
        static_cast<std::int16_t>(std::lround(2000.0 * env * std::sin(2 * 3.14159265358979 * 2000.0 * t)));
  }
  return out;
}

std::uint64_t SpeechQueue::replace(std::vector<Utterance> utterances) {
  std::lock_guard<std::mutex> lock(mu_);
  waiting_ = std::move(utterances);
  next_ = 0;
  ++generation_;
  cv_.notify_all();
  return generation_;
}

std::uint64_t SpeechQueue::clear() { return replace({}); }

std::optional<SpeechQueue::Item> SpeechQueue::try_next() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || next_ >= waiting_.size()) return std::nullopt;
  return Item{waiting_[next_++], generation_};
}

std::optional<SpeechQueue::Item> SpeechQueue::wait_next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return closed_ || next_ < waiting_.size(); });
  if (closed_ || next_ >= waiting_.size()) return std::nullopt;
  return Item{waiting_[next_++], generation_};
}

bool SpeechQueue::is_current(std::uint64_t generation) const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation == generation_ && !closed_;
}

std::uint64_t SpeechQueue::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

void SpeechQueue::close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

bool SpeechQueue::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

}  // namespace sipas
