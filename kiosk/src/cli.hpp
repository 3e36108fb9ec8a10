// sipas-kiosk's command line (SPEC: binaries).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sipas/status.hpp"

namespace sipas {

enum class KioskCommand { run, generate, set_pin, render_voice, help, version };

struct KioskArgs {
  KioskCommand command = KioskCommand::run;
  std::string config_dir;
  std::optional<std::string> db;
  std::optional<std::string> server;
  std::optional<std::string> token_file;
  std::optional<std::string> ui_dump;
  std::optional<std::pair<int, int>> windowed;  // width, height
  // Hidden, for bench/: redraw every frame as the usual ImGui loop does (capped at 60 Hz as vsync
  // would), and write frame counts to a file.
  bool continuous_redraw = false;
  // Hidden, for bench/: feed Dear ImGui all pending input at once, as its 1.86 SDL backend does,
  // instead of one press or release per frame (taps that arrive together merge).
  bool merge_input = false;
  // Frame counts, and when each typed key was first shown, are written here (bench/).
  std::optional<std::string> stats_file;
  // Hidden, for bench/: when each speech was asked for and when its first sample was played.
  std::optional<std::string> voice_stats;
  // render-voice: the assets folder written (its voice/ and tap.wav).
  std::optional<std::string> out;
  // generate
  int count = -1;
  int days = 30;
  std::uint64_t seed = 1;
};

// invalid_argument with a one-line message on a bad command line.
Result<KioskArgs> parse_kiosk_args(const std::vector<std::string>& args);

extern const char* const kKioskUsage;

}  // namespace sipas
