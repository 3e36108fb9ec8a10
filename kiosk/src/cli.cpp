#include "cli.hpp"

#include <charconv>

namespace sipas {

const char* const kKioskUsage =
    "Usage:\n"
    "  sipas-kiosk --config DIR [--db PATH] [--server URL] [--token-file PATH]\n"
    "              [--ui-dump FILE] [--windowed WxH]\n"
    "  sipas-kiosk --config DIR [--db PATH] generate --count N [--days D] [--seed S]\n"
    "  sipas-kiosk set-pin --config DIR        (reads the new PIN from standard input)\n"
    "  sipas-kiosk --config DIR render-voice --out DIR\n"
    "  sipas-kiosk --help | --version\n"
    "\n"
    "The touch-screen satisfaction survey kiosk. Full screen unless --windowed is given.\n"
    "--ui-dump FILE rewrites FILE with the current screen and its tappable elements.\n"
    "render-voice writes the spoken form of every fixed text of the configuration into\n"
    "DIR/voice/ (WAV files the kiosk plays without speech synthesis) and the tap sound DIR/tap.wav.\n";

namespace {

Status bad(const std::string& message) {
  return Status::error(ErrorCode::invalid_argument, message);
}

template <class T>
bool parse_number(const std::string& s, T* out) {
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && p == end;
}

}  // namespace

Result<KioskArgs> parse_kiosk_args(const std::vector<std::string>& args) {
  KioskArgs a;
  bool have_command = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string* out) -> Status {
      if (i + 1 >= args.size()) return bad(arg + ": missing value");
      *out = args[++i];
      return Status::ok();
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      a.command = KioskCommand::help;
      return a;
    }
    if (arg == "--version") {
      a.command = KioskCommand::version;
      return a;
    }
    if (arg == "generate" || arg == "set-pin" || arg == "render-voice") {
      if (have_command) return bad(arg + ": only one command may be given");
      a.command = arg == "generate"  ? KioskCommand::generate
                  : arg == "set-pin" ? KioskCommand::set_pin
                                     : KioskCommand::render_voice;
      have_command = true;
      continue;
    }
    if (arg == "--continuous-redraw") {
      a.continuous_redraw = true;
      continue;
    }
    if (arg == "--merge-input") {
      a.merge_input = true;
      continue;
    }
    const bool known = arg == "--config" || arg == "--db" || arg == "--server" ||
                       arg == "--token-file" || arg == "--ui-dump" || arg == "--windowed" ||
                       arg == "--count" || arg == "--days" || arg == "--seed" ||
                       arg == "--stats-file" || arg == "--voice-stats" || arg == "--out";
    if (!known) return bad(arg + ": unknown argument (see --help)");
    if (Status st = value(&v); !st.is_ok()) return st;
    if (arg == "--config") a.config_dir = v;
    if (arg == "--db") a.db = v;
    if (arg == "--server") a.server = v;
    if (arg == "--token-file") a.token_file = v;
    if (arg == "--ui-dump") a.ui_dump = v;
    if (arg == "--stats-file") a.stats_file = v;
    if (arg == "--voice-stats") a.voice_stats = v;
    if (arg == "--out") a.out = v;
    if (arg == "--windowed") {
      const auto x = v.find('x');
      int w = 0, h = 0;
      if (x == std::string::npos || !parse_number(v.substr(0, x), &w) ||
          !parse_number(v.substr(x + 1), &h) || w < 320 || h < 240 || w > 16384 || h > 16384) {
        return bad("--windowed: expected WIDTHxHEIGHT such as 1280x800, got \"" + v + "\"");
      }
      a.windowed = std::make_pair(w, h);
    }
    if (arg == "--count" && (!parse_number(v, &a.count) || a.count < 0)) {
      return bad("--count: expected a number >= 0, got \"" + v + "\"");
    }
    if (arg == "--days" && (!parse_number(v, &a.days) || a.days < 1)) {
      return bad("--days: expected a number >= 1, got \"" + v + "\"");
    }
    if (arg == "--seed" && !parse_number(v, &a.seed)) {
      return bad("--seed: expected a non-negative number, got \"" + v + "\"");
    }
  }
  if (a.config_dir.empty()) return bad("--config DIR is required (see --help)");
  if (a.command == KioskCommand::generate && a.count < 0) {
    return bad("generate: --count N is required");
  }
  if (a.command != KioskCommand::generate && a.count >= 0) {
    return bad("--count: only with generate");
  }
  if (a.command == KioskCommand::render_voice && !a.out) return bad("render-voice: --out DIR is required");
  if (a.command != KioskCommand::render_voice && a.out) return bad("--out: only with render-voice");
  return a;
}

}  // namespace sipas
