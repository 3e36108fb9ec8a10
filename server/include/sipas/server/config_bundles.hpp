// Remote configuration on the server: bundles (sipas/bundle.hpp) per unit and per kiosk, their
// validation, inheritance down the unit tree, and the signing key.
//
// A kiosk's effective bundle merges the bundles of its unit's chain, root first, then its own
// override (the nearer scope wins). Its version is the highest version stored for any scope of
// that chain (a removal counts: it is a version too), so any change at or above a kiosk raises
// it, and it never goes down while the kiosk stays in its unit.
//
// Threads: free functions over a ServerStore the caller owns (one thread at a time, as always).
// Errors: invalid_argument for a bad bundle (the message names the file and the field, e.g.
// "surveys/counter-short.json: elements[0].criteria[1].text.en: missing"), not_found for an
// unknown unit or kiosk or nothing to remove, and the storage codes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sipas/bundle.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

inline constexpr const char* kUnitScope = "unit";
inline constexpr const char* kKioskScope = "kiosk";

struct StoredBundle {
  std::int64_t version = 0;
  std::vector<std::string> warnings;  // unknown keys and left-out local settings, one line each
};

// Validates `content` for the scope (the scope's own effective bundle, and that of every scope
// below it that has a bundle of its own), refuses a questionnaire whose (id, version) the server
// already holds with other content, then stores the bundle and its questionnaires in one
// transaction. `scope` is kUnitScope or kKioskScope.
Result<StoredBundle> put_bundle(ServerStore& store, const std::string& scope,
                                const std::string& scope_id, const BundleContent& content,
                                const std::string& uploaded_by, TimePoint now);
// Removes the scope's bundle (a new version without content). not_found when it has none.
Result<std::int64_t> remove_bundle(ServerStore& store, const std::string& scope,
                                   const std::string& scope_id, const std::string& uploaded_by,
                                   TimePoint now);

struct EffectiveBundle {
  std::int64_t version = 0;   // 0 when no scope of the chain ever had a bundle
  bool has_content = false;   // false: nothing to send (HTTP 404)
  BundleContent content;
  std::vector<ConfigBundleRecord> chain;  // the latest record of each scope that has one, root first
};
// The effective bundle of a unit (its chain) or of a kiosk (its unit's chain and its own).
Result<EffectiveBundle> effective_bundle(ServerStore& store, const std::string& scope,
                                         const std::string& scope_id);

// Every kiosk's effective version (as effective_bundle would give it; 0 when no scope of its chain
// ever had a bundle), by kiosk id, from one read of the latest versions and the unit tree: what
// the fleet compares with the version each kiosk reports having applied.
Result<std::map<std::string, std::int64_t>> effective_versions(ServerStore& store);

// The signing key: `sipas-server keygen` writes the private key (PEM, mode 0600, never over an
// existing file) and the public key the kiosks install. conflict when a file exists.
Status generate_signing_key(const std::filesystem::path& private_file,
                            const std::filesystem::path& public_file);
// The private key file's PEM, checked to be an Ed25519 private key.
Result<std::string> load_signing_key(const std::filesystem::path& private_file);

// The body and headers GET /api/v1/config answers with: the signed bytes and
// "ed25519=BASE64" for Sipas-Signature.
struct SignedConfig {
  std::string body;
  std::string signature_header;
};
Result<SignedConfig> sign_config(const std::string& private_pem, const std::string& kiosk_id,
                                 const EffectiveBundle& effective, TimePoint now);

}  // namespace sipas
