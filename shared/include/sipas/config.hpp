// The configuration a center edits (kiosk-config/): identity, unit, counters, server, timeouts and
// the questionnaires, loaded and validated in one go.
//
// Loading either yields a complete, validated KioskConfig or one error whose message names the
// file, the JSON path and the problem on one line:
//   kiosk-config/surveys/sipas-full.json: elements[2].criteria[0].text.vi: missing
// Unknown keys do not fail the load; they come back as warnings in the same format. A config is
// never half-loaded. The loaded value is immutable and may be shared between threads.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sipas/bundle.hpp"
#include "sipas/status.hpp"
#include "sipas/survey.hpp"

namespace sipas {

struct Officer {
  std::string id;
  std::string name;
};

// One administrative procedure (thủ tục hành chính) of the center's catalogue, procedures.json.
struct Procedure {
  std::string code;    // the national catalogue's code, e.g. "1.001193"; an id
  LocalizedText name;  // Vietnamese always; other languages when the file gives them
};

struct Counter {
  std::string id;
  std::string name;
  std::vector<Officer> officers;        // who may work at this counter
  std::vector<std::string> procedures;  // codes of KioskConfig::procedures handled here, in order
};

struct UnitInfo {
  std::string code;
  std::string name;
  std::string time_zone = "Asia/Ho_Chi_Minh";
};

struct ServerSettings {
  std::string url;                   // e.g. "https://sipas.example.gov.vn"
  std::string token_file;            // bearer token, resolved relative to the config dir
  std::string ca_file;               // empty: the system's CA store
  // The server's Ed25519 public key (PEM) that configuration bundles must be signed with;
  // resolved relative to the config dir. Empty: the kiosk fetches no configuration.
  std::string config_public_key;
  bool allow_insecure_http = false;  // plain http:// to a non-loopback host only when true
  int sync_interval_seconds = 60;
  int batch_size = 500;
  int connect_timeout_seconds = 10;
  int request_timeout_seconds = 60;
  // With nothing to send for this long, the sync sends a heartbeat (an empty batch with health).
  int heartbeat_seconds = 300;
};

// Speech output (accessibility): the kiosk reads its screens aloud once a citizen switches it on
// with the speaker button or `key`.
struct VoiceSettings {
  bool always_on = false;          // on for every citizen, without the button
  std::string key = "Keypad +";    // an SDL key name; checked by the kiosk at start
  int volume = 80;                 // 0–100; staff may change it (stored on the kiosk)
};

struct KioskConfig {
  std::filesystem::path dir;  // where it was loaded from

  std::string kiosk_id;
  UnitInfo unit;
  std::vector<Counter> counters;
  std::string counter;  // the counter this kiosk stands at (one of counters[].id)
  ServerSettings server;

  int idle_timeout_seconds = 30;        // mid-survey inactivity before "more time?" is asked
  int more_time_seconds = 20;           // how long that question waits before a partial is stored
  int thanks_seconds = 5;               // how long "thanks" stays
  int min_interval_seconds = 10;        // between two responses
  int double_tap_ms = 300;              // repeated taps on one button within this are ignored
  int selection_feedback_ms = 400;      // a chosen answer shows this long before the next screen
  // The officer across the counter should not read a citizen's answer off the screen: a chosen
  // answer is tinted lightly for at most kPrivateFeedbackMs, with no tick, and the next question
  // follows at once (its 600 ms guard against a quick second tap stays).
  bool private_answers = true;
  static constexpr int kPrivateFeedbackMs = 150;
  std::vector<std::string> languages = {"vi", "en"};
  std::string default_language = "vi";
  std::string staff_pin_hash;           // hash_secret() of the PIN; empty until set-pin
  int pin_lockout_seconds = 300;        // the PIN pad stays locked this long after 5 wrong PINs
  std::string db_path;                  // resolved relative to the config dir
  int retention_days = 365;             // acknowledged responses older than this are pruned
  std::string export_dir;               // staff CSV exports (a USB stick's mount point)
  std::vector<std::string> font_paths;  // tried in order; Noto Sans fallbacks after them
  VoiceSettings voice;
  bool tap_sound = true;                // a short, quiet click on every accepted tap
  // Pre-rendered sounds (tap.wav, voice/*.wav), resolved relative to the config dir.
  std::string assets_dir = "/usr/share/sipas-kiosk/assets";

  std::vector<Survey> surveys;          // every questionnaire in surveys/
  std::string active_survey;            // the id of the one the kiosk runs
  std::vector<Procedure> procedures;    // procedures.json; empty when the file is absent

  const Survey* find_survey(const std::string& id) const;
  const Survey& survey() const;         // the active survey (validated to exist)
  const Counter* find_counter(const std::string& id) const;
  const Procedure* find_procedure(const std::string& code) const;  // nullptr when unknown
};

struct Loaded {
  KioskConfig config;
  std::vector<std::string> warnings;  // unknown keys etc., one line each
};

// Reads DIR/kiosk.json, DIR/procedures.json when it exists, and every DIR/surveys/*.json. Every
// counter's "procedures" must name codes of procedures.json; every survey text must have every
// language of kiosk.json's "languages". Errors: not_found (kiosk.json missing), invalid_argument
// (anything wrong in the content), io_error, internal. The schema is in docs/configuration.md.
Result<Loaded> load_kiosk_config(const std::filesystem::path& dir);

// One questionnaire file (e.g. for the server), with Vietnamese required in every text. Warnings
// are appended to `warnings` when given, and only when the load succeeds.
Result<Survey> load_survey(const std::filesystem::path& file,
                           std::vector<std::string>* warnings = nullptr);

// A procedure catalogue file, {"procedures": [{"code", "name": {"vi", ...}}]}: codes are ids and
// unique, name.vi is required, other languages optional. Errors and warnings as load_survey's.
Result<std::vector<Procedure>> load_procedures(const std::filesystem::path& file,
                                               std::vector<std::string>* warnings = nullptr);

// Writes kiosk.json's "staff_pin_hash" in place (other keys and their order kept), atomically.
// invalid_argument when `hash` is not hash_secret()'s shape or kiosk.json is not a JSON object;
// disk_full / read_only / io_error when it cannot be written (the old file is then untouched).
Status write_staff_pin_hash(const std::filesystem::path& dir, const std::string& hash);

// The configuration of DIR with a bundle from the server laid over it (bundle.hpp): the bundle's
// settings replace kiosk.json's key by key, except the local-only ones, which kiosk.json always
// keeps; its questionnaires replace or join those of DIR/surveys by id; its procedure list, when
// it has one, replaces procedures.json. Problems in a setting the bundle gave are named after
// `bundle_name` ("configuration version 12: kiosk.json: idle_timeout_seconds: ..."), in a survey
// of the bundle after "surveys/ID.json". Errors as load_kiosk_config's.
Result<Loaded> load_kiosk_config_with_bundle(const std::filesystem::path& dir,
                                             const BundleContent& bundle,
                                             const std::string& bundle_name);

// One JSON file read as the loader reads every file: a size limit, "FILE: LINE:COL: malformed
// JSON: ..." and duplicate keys refused with their path. For bundle directories (bundle.hpp).
Result<nlohmann::json> read_json_file(const std::filesystem::path& file);

// The server's check of a bundle before it is stored: the bundle laid over a stand-in kiosk.json
// of `unit` (its local-only settings), without any local file, read by the same code as the
// kiosk's. A bundle without "active_survey" and without questionnaires is checked for the rest.
// invalid_argument naming "kiosk.json", "procedures.json" or "surveys/ID.json" and the field.
Status check_bundle(const BundleContent& bundle, const std::string& unit_code,
                    const std::string& unit_name, const std::string& time_zone,
                    std::vector<std::string>* warnings = nullptr);

}  // namespace sipas
