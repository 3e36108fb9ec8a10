#include "espeak_synth.hpp"

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

namespace sipas {
namespace {

// espeak's synth callback has no user pointer of its own; the one thread that synthesises sets
// the chunk receiver for the duration of a call.
const EspeakSynth::Chunk* g_chunk = nullptr;
bool g_stopped = false;

int on_samples(short* wav, int count, espeak_EVENT*) {
  if (!wav || count <= 0 || !g_chunk) return g_stopped ? 1 : 0;
  if (!(*g_chunk)(reinterpret_cast<const std::int16_t*>(wav), static_cast<std::size_t>(count))) {
    g_stopped = true;
    return 1;
  }
  return 0;
}

std::string status_text(espeak_ng_STATUS st) {
  char buf[512] = {0};
  espeak_ng_GetStatusCodeMessage(st, buf, sizeof buf);
  return buf;
}

// Slower than espeak's 175 words a minute: many of the citizens who switch voice on are elderly.
constexpr int kWordsPerMinute = 150;

}  // namespace

Result<std::unique_ptr<EspeakSynth>> EspeakSynth::open() {
  espeak_ng_InitializePath(nullptr);
  espeak_ng_ERROR_CONTEXT context = nullptr;
  espeak_ng_STATUS st = espeak_ng_Initialize(&context);
  if (st != ENS_OK) {
    espeak_ng_ClearErrorContext(&context);
    return Status::error(ErrorCode::unavailable, "espeak-ng: " + status_text(st));
  }
  st = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, nullptr);
  if (st != ENS_OK) {
    espeak_ng_Terminate();
    return Status::error(ErrorCode::unavailable, "espeak-ng: " + status_text(st));
  }
  espeak_SetSynthCallback(on_samples);
  espeak_ng_SetParameter(espeakRATE, kWordsPerMinute, 0);
  return std::unique_ptr<EspeakSynth>(new EspeakSynth(espeak_ng_GetSampleRate()));
}

EspeakSynth::~EspeakSynth() { espeak_ng_Terminate(); }

Status EspeakSynth::synthesize(const Utterance& u, const Chunk& chunk) {
  if (u.language != voice_) {
    const espeak_ng_STATUS st = espeak_ng_SetVoiceByName(u.language.c_str());
    if (st != ENS_OK) {
      voice_.clear();
      return Status::error(ErrorCode::not_found, "espeak-ng: no voice \"" + u.language + "\": " + status_text(st));
    }
    voice_ = u.language;
    espeak_ng_SetParameter(espeakRATE, kWordsPerMinute, 0);
  }
  g_chunk = &chunk;
  g_stopped = false;
  const espeak_ng_STATUS st = espeak_ng_Synthesize(u.text.c_str(), u.text.size() + 1, 0, POS_CHARACTER, 0,
                                                   espeakCHARS_UTF8, nullptr, nullptr);
  g_chunk = nullptr;
  if (st != ENS_OK && !g_stopped) return Status::error(ErrorCode::internal, "espeak-ng: " + status_text(st));
  return Status::ok();
}

Result<std::vector<std::int16_t>> EspeakSynth::synthesize(const Utterance& u) {
  std::vector<std::int16_t> out;
  Status st = synthesize(u, [&out](const std::int16_t* s, std::size_t n) {
    out.insert(out.end(), s, s + n);
    return true;
  });
  if (!st.is_ok()) return st;
  return out;
}

}  // namespace sipas
