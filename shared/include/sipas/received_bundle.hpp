// The configuration bundle a kiosk received from the server, kept in its ResponseStore's settings
// (one key, so that it is replaced in one committed write), and what the kiosk records about it:
//   config.bundle         {"version": N, "body": "<the signed bytes>", "signature": "<base64>"}
//   config.version        the version the kiosk runs on (absent: none; written when applied)
//   config.last_error     plain words; empty when the last fetch or apply was fine
//   config.last_error_at  RFC 3339
//   config.last_error_by  "fetch" or "apply": which side recorded it
// The sync side (ConfigFetcher) writes config.bundle after verifying it; the kiosk applies it at
// its next welcome screen, verifying it again. Errors as ResponseStore's; nothing throws.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "sipas/bundle.hpp"
#include "sipas/config.hpp"
#include "sipas/status.hpp"
#include "sipas/store.hpp"
#include "sipas/time.hpp"

namespace sipas {

inline constexpr const char* kConfigBundleKey = "config.bundle";
inline constexpr const char* kConfigVersionKey = "config.version";
inline constexpr const char* kConfigErrorKey = "config.last_error";
inline constexpr const char* kConfigErrorAtKey = "config.last_error_at";
inline constexpr const char* kConfigErrorByKey = "config.last_error_by";

struct ReceivedBundle {
  std::int64_t version = 0;
  std::string body;       // the exact signed bytes
  std::string signature;  // raw 64 bytes
};

// The stored bundle's envelope, unverified; nullopt when none was stored.
Result<std::optional<ReceivedBundle>> read_received_bundle(ResponseStore& store);
Status store_received_bundle(ResponseStore& store, const ReceivedBundle& bundle);
// The version of the stored bundle (0 when none): what the next fetch says it has.
Result<std::int64_t> received_version(ResponseStore& store);
// The applied version (config.version), nullopt when none.
Result<std::optional<std::int64_t>> applied_version(ResponseStore& store);

// `by`: "fetch" (the sync refused a bundle, or the server cannot sign) or "apply" (the kiosk).
Status record_config_error(ResponseStore& store, const std::string& error, TimePoint now,
                           const char* by = "apply");
Status clear_config_error(ResponseStore& store);
// Clears the last error only when the fetch side recorded it: the server has nothing newer that
// was refused (304, 404), while a refusal at apply stands until a new bundle comes.
Status clear_fetch_error(ResponseStore& store);
// config.version = version, and the last error cleared.
Status record_config_applied(ResponseStore& store, std::int64_t version);

// The configuration of `dir` with the stored bundle over it, verified again with the public key
// of kiosk.json's server.config_public_key: nullopt when there is no stored bundle or the config
// names no public key; invalid_argument naming the problem when the bundle does not verify, is
// for another kiosk, or does not load over the local configuration.
struct ReceivedConfig {
  Loaded loaded;
  std::int64_t version = 0;
};
Result<std::optional<ReceivedConfig>> load_received_config(const KioskConfig& local,
                                                           ResponseStore& store);

}  // namespace sipas
