#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "app.hpp"
#include "cli.hpp"
#include "generate.hpp"
#include "render_voice.hpp"
#include "sipas/config.hpp"
#include "sipas/crypto.hpp"
#include "sipas/store.hpp"
#include "sipas/time.hpp"

namespace {

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "sipas-kiosk: %s\n", message.c_str());
  return code;
}

int set_pin(const std::string& dir) {
  std::string pin;
  std::getline(std::cin, pin);
  while (!pin.empty() && (pin.back() == '\r' || pin.back() == ' ')) pin.pop_back();
  if (pin.size() < 4 || pin.size() > 8 ||
      pin.find_first_not_of("0123456789") != std::string::npos) {
    return fail(2, "set-pin: the PIN must be 4 to 8 digits, read from standard input");
  }
  const sipas::Status st = sipas::write_staff_pin_hash(dir, sipas::hash_secret(pin));
  if (!st.is_ok()) return fail(1, "set-pin: " + st.message());
  std::printf("staff PIN updated in %s/kiosk.json\n", dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = sipas::parse_kiosk_args(args);
  if (!parsed.is_ok()) return fail(2, parsed.status().message());
  const sipas::KioskArgs& a = *parsed;
  switch (a.command) {
    case sipas::KioskCommand::help:
      std::fputs(sipas::kKioskUsage, stdout);
      return 0;
    case sipas::KioskCommand::version:
      std::printf("sipas-kiosk %s\n", SIPAS_VERSION);
      return 0;
    case sipas::KioskCommand::set_pin:
      return set_pin(a.config_dir);
    default:
      break;
  }

  auto loaded = sipas::load_kiosk_config(a.config_dir);
  if (!loaded.is_ok()) return fail(2, loaded.status().message());
  for (const auto& w : loaded->warnings) std::fprintf(stderr, "sipas-kiosk: warning: %s\n", w.c_str());
  const sipas::KioskConfig& config = loaded->config;

  if (a.command == sipas::KioskCommand::generate) {
    const std::string db = a.db ? *a.db : config.db_path;
    auto tz = sipas::TimeZone::load(config.unit.time_zone);
    if (!tz.is_ok()) return fail(2, "unit.time_zone: " + tz.status().message());
    auto store = sipas::ResponseStore::open(db);
    if (!store.is_ok()) return fail(1, db + ": " + store.status().to_string());
    sipas::SystemClock clock;
    auto n = sipas::generate_responses(config, **store, {a.count, a.days, a.seed}, clock.now(), *tz);
    if (!n.is_ok()) return fail(1, db + ": " + n.status().to_string());
    std::printf("wrote %d responses to %s\n", *n, db.c_str());
    return 0;
  }
  if (a.command == sipas::KioskCommand::render_voice) {
    auto done = sipas::render_voice(config, *a.out);
    if (!done.is_ok()) return fail(1, "render-voice: " + done.status().message());
    std::printf("wrote %d spoken texts and the tap sound to %s (%.1f MB)%s\n", done->files, a.out->c_str(),
                static_cast<double>(done->bytes) / 1e6,
                done->removed > 0 ? (", removed " + std::to_string(done->removed) + " no longer used").c_str() : "");
    return 0;
  }
  return sipas::run_kiosk(config, a);
}
