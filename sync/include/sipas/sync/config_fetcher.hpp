// ConfigFetcher: fetches this kiosk's configuration bundle from the province server
// (GET /api/v1/config, docs/protocol.md "Configuration") and keeps the last good one in the
// kiosk's store (received_bundle.hpp). Applying it is the kiosk's job, at its next welcome screen.
//
// One fetch: GET with If-None-Match naming the version it has. 304 and 404: nothing to do. 200:
// the signature (Sipas-Signature: ed25519=BASE64) is checked over the exact body bytes before
// anything in it is read; then that it names this kiosk, that its version is newer than the one
// it has (no replay, no rollback), and that it loads over the local configuration with the
// kiosk's own loader. Only then is it stored. A refused bundle changes nothing but
// config.last_error (and the log line); the kiosk runs on as it was. A later 304 or 404 clears an
// error the fetch recorded (nothing refused is waiting any more), never one the kiosk recorded.
//
// Threads: used by one thread at a time (the sync worker's, or sipas-sync --once); the store,
// transport and clock must outlive it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "sipas/config.hpp"
#include "sipas/status.hpp"
#include "sipas/store.hpp"
#include "sipas/time.hpp"
#include "sipas/transport.hpp"

namespace sipas {

struct ConfigFetcherOptions {
  std::string kiosk_id;
  std::string server_url;              // base URL; the bundle is at SERVER_URL/api/v1/config
  std::filesystem::path token_file;
  std::filesystem::path config_dir;    // the local configuration the bundle is laid over
  std::filesystem::path public_key;    // server.config_public_key; empty: fetch nothing
  // Where refusals are told (one line, no newline); empty: standard error.
  std::function<void(const std::string&)> log;

  static ConfigFetcherOptions from_config(const KioskConfig& config);
};

enum class FetchOutcome {
  not_set_up,  // no public key configured: nothing fetched
  unchanged,   // 304
  none,        // 404: no bundle for this kiosk on the server
  stored,      // a new bundle verified and stored
  refused,     // a bundle that failed a check (config.last_error says why)
  failed,      // no usable answer (network, token, server error)
};

struct FetchReport {
  FetchOutcome outcome = FetchOutcome::not_set_up;
  std::int64_t version = 0;  // the version stored (stored) or held (otherwise)
  std::string error;         // refused / failed: why
};

class ConfigFetcher {
 public:
  ConfigFetcher(ConfigFetcherOptions options, ResponseStore& store, HttpTransport& transport,
                const Clock& clock);
  FetchReport fetch_once();

 private:
  FetchReport refuse(FetchReport report, const std::string& why);

  ConfigFetcherOptions options_;
  ResponseStore& store_;
  HttpTransport& transport_;
  const Clock& clock_;
};

}  // namespace sipas
