#include "render_voice.hpp"

#include <set>

#include <nlohmann/json.hpp>

#include "espeak_synth.hpp"
#include "sipas/files.hpp"
#include "speech.hpp"
#include "voice_output.hpp"

namespace sipas {

Result<RenderSummary> render_voice(const KioskConfig& config, const std::filesystem::path& out) {
  namespace fs = std::filesystem;
  auto synth = EspeakSynth::open();
  if (!synth.is_ok()) return synth.status();
  if ((*synth)->sample_rate() != VoiceOutput::kRate) {
    return Status::error(ErrorCode::internal, "espeak-ng's sample rate is not 22050 Hz");
  }
  std::error_code ec;
  fs::create_directories(out / "voice", ec);
  if (ec) return Status::error(ErrorCode::io_error, (out / "voice").string() + ": " + ec.message());

  RenderSummary summary;
  std::set<std::string> written;
  nlohmann::json index = nlohmann::json::array();
  for (const Utterance& u : speakable_texts(config)) {
    auto samples = (*synth)->synthesize(u);
    if (!samples.is_ok()) return samples.status();
    const std::string name = voice_asset_name(u);
    const std::string wav = encode_ima_adpcm_wav(*samples, VoiceOutput::kRate);
    if (Status st = write_file_atomically(out / "voice" / name, wav); !st.is_ok()) return st;
    written.insert(name);
    index.push_back({{"language", u.language},
                     {"text", u.text},
                     {"file", name},
                     {"ms", static_cast<long long>(samples->size() * 1000 / VoiceOutput::kRate)}});
    ++summary.files;
    summary.bytes += wav.size();
  }
  for (const auto& e : fs::directory_iterator(out / "voice", ec)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".wav" && !written.count(name)) {
      fs::remove(e.path(), ec);
      ++summary.removed;
    }
  }
  if (Status st = write_file_atomically(out / "voice" / "index.json", index.dump(1) + "\n"); !st.is_ok()) return st;
  const std::string tap = encode_wav(make_tap_click(VoiceOutput::kRate), VoiceOutput::kRate);
  if (Status st = write_file_atomically(out / "tap.wav", tap); !st.is_ok()) return st;
  summary.bytes += tap.size();
  return summary;
}

}  // namespace sipas
