// Configuration bundles: the part of a kiosk's configuration the province server keeps and
// pushes (docs/configuration.md, "Configuration from the server"). A bundle holds kiosk.json
// settings that are neither secret nor specific to one box, questionnaires, and the procedure
// catalogue. The server keeps one per unit and per kiosk and merges them down the unit tree; the
// kiosk receives the merged bundle signed (Ed25519) and lays it over its local kiosk.json, whose
// local-only settings always win.
//
// Everything here is pure (no I/O except read_bundle_dir and read_public_key) and thread-safe.
// Errors name the file or part and the field, as config.hpp's do.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipas/status.hpp"

namespace sipas {

struct BundleContent {
  nlohmann::json settings = nlohmann::json::object();  // kiosk.json keys; none local-only
  std::vector<nlohmann::json> surveys;  // questionnaire documents, each with a string "id"
  std::optional<nlohmann::json> procedures;  // procedures.json's "procedures" array; nullopt: none
  bool operator==(const BundleContent&) const = default;
};

// The kiosk.json keys that never come from the server: identity, unit, counter, server
// connection (URL, token, CA, public key), secrets, paths and display.
bool is_local_only_setting(std::string_view key);
const std::vector<std::string>& local_only_settings();

// Reads {"settings": {...}, "surveys": [...], "procedures": [...] | null} (each part optional).
// Keys other than those and `extra_keys` are refused; local-only settings are left out with a
// warning (so that a whole kiosk.json may be uploaded). Surveys must be objects with an "id"
// string, each id once. Errors are invalid_argument: "NAME: surveys[1].id: missing".
Result<BundleContent> parse_bundle_content(const nlohmann::json& doc, const std::string& name,
                                           std::vector<std::string>* warnings = nullptr,
                                           const std::vector<std::string>& extra_keys = {});
// A bundle file (JSON, parse_bundle_content's shape) or a directory laid out like a kiosk's
// configuration directory: kiosk.json (its non-local settings), surveys/*.json, procedures.json,
// each optional.
Result<BundleContent> read_bundle(const std::filesystem::path& path,
                                  std::vector<std::string>* warnings = nullptr);

// The bundles of one chain, root unit first and the kiosk's own last: settings merged key by
// key, surveys by id, the procedure list taken whole from the nearest bundle that has one; the
// nearer one wins each time. Surveys come out ordered by id.
BundleContent merge_bundles(const std::vector<const BundleContent*>& root_first);
nlohmann::json bundle_content_json(const BundleContent& content);

// What a kiosk receives: the merged bundle for one kiosk at one version.
struct SignedBundle {
  std::string kiosk_id;
  std::int64_t version = 0;
  std::string issued_at;
  BundleContent content;
};
// The exact bytes the server signs and sends (a JSON object with "format": 1).
std::string signed_bundle_body(const SignedBundle& bundle);
// Checks `signature` (raw 64 bytes) over the exact `body` bytes with `public_key_pem` BEFORE
// reading anything in it, then reads it. invalid_argument naming the problem otherwise.
Result<SignedBundle> verify_bundle(std::string_view body, std::string_view signature,
                                   std::string_view public_key_pem);
// A PEM public key file, checked to be an Ed25519 public key.
Result<std::string> read_public_key(const std::filesystem::path& file);

}  // namespace sipas
