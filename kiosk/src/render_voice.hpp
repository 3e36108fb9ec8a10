// sipas-kiosk render-voice: every fixed text of a configuration spoken by espeak-ng into WAV
// files (VoiceAssets' layout), so that a kiosk without espeak-ng's data still speaks them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "sipas/config.hpp"
#include "sipas/status.hpp"

namespace sipas {

struct RenderSummary {
  int files = 0;
  int removed = 0;          // WAV files of texts no longer in the configuration
  std::uintmax_t bytes = 0;
};

// Writes OUT/voice/<voice_asset_name>.wav for each of speakable_texts(config) (mono IMA ADPCM,
// 22050 Hz), OUT/voice/index.json listing them, and OUT/tap.wav. Main thread; uses espeak-ng.
Result<RenderSummary> render_voice(const KioskConfig& config, const std::filesystem::path& out);

}  // namespace sipas
