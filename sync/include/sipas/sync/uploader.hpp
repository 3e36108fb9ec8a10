// BatchUploader: sends the kiosk's pending responses to the province server (protocol v1) and
// settles them in the store from the server's replies.
//
// The rule it keeps: a response is marked sent only when an HTTP 200 reply with a valid body
// acknowledges it (ResponseStore::apply_reply); responses the server rejects are marked rejected
// with the server's reason and never block the queue; anything else (transport errors, timeouts,
// 4xx/5xx, malformed replies) leaves every response pending and is recorded as the last error.
// All state lives in the store, so a restarted uploader resumes where the last one stopped.
//
// What it records in the store's settings after each pass (read back with read_sync_state):
//   sync.pending            pending responses left (decimal)
//   sync.last_attempt_at    RFC 3339 time of the last pass
//   sync.last_success_at    RFC 3339 time of the last pass that ended with an empty queue
//   sync.last_error         plain words, empty when the last pass succeeded
//   sync.server_reachable   "1" when the last request got an HTTP reply, else "0"
//   sync.next_attempt_at    RFC 3339 time of the next retry after a failure, empty otherwise
//
// Threads: a BatchUploader and the store, transport and clock it was given are used by one thread
// at a time (the caller's). The store, transport and clock must outlive the uploader.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sipas/config.hpp"
#include "sipas/status.hpp"
#include "sipas/store.hpp"
#include "sipas/time.hpp"
#include "sipas/transport.hpp"

namespace sipas {

// Waits between retries of BatchUploader::drain. Tests record the waits instead of sleeping.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleep_for(std::chrono::milliseconds d) = 0;
};

class RealSleeper final : public Sleeper {
 public:
  void sleep_for(std::chrono::milliseconds d) override;
};

// Uniform numbers in [0, 1). Called from the uploader's thread only.
using RandomSource = std::function<double()>;
RandomSource default_random_source();

// Exponential backoff with jitter. After the n-th consecutive failure the base wait is
// min(cap, initial * 2^(n-1)) and the wait returned is uniform in [base/2, base]: it grows with
// every failure until the cap, never exceeds the cap, and two kiosks that failed together do not
// retry together.
class Backoff {
 public:
  explicit Backoff(RandomSource random,
                   std::chrono::milliseconds initial = std::chrono::seconds(1),
                   std::chrono::milliseconds cap = std::chrono::minutes(5));
  std::chrono::milliseconds next_delay();
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }
  std::chrono::milliseconds cap() const { return cap_; }

 private:
  RandomSource random_;
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds cap_;
  int failures_ = 0;
};

struct UploaderOptions {
  std::string kiosk_id;
  std::string server_url;             // base URL; batches go to SERVER_URL/api/v1/batches
  std::filesystem::path token_file;   // holds the bearer token (surrounding whitespace ignored)
  int batch_size = 500;               // responses per request (1..10000)
  bool allow_insecure_http = false;   // plain http:// to a host that is not loopback
  std::chrono::milliseconds backoff_initial = std::chrono::seconds(1);
  std::chrono::milliseconds backoff_cap = std::chrono::minutes(5);
  // The health every request carries (docs/protocol.md section 13).
  std::string software_version = SIPAS_VERSION;
  std::filesystem::path db_path;         // its filesystem's free space is reported; empty: 0
  std::optional<TimePoint> started_at;   // uptime counts from here; unset: the uploader's creation
  // A pass with nothing to send sends a heartbeat (an empty batch with health) when no request
  // got a 200 reply for this long, or none yet; 0: on every such pass (sipas-sync --once).
  std::chrono::seconds heartbeat_interval{300};
  // When set and true, a pass stops before its next request, records nothing and reports
  // ErrorCode::unavailable "stopped". Must outlive the uploader.
  const std::atomic<bool>* cancel = nullptr;

  // From a loaded config: kiosk id, server URL, token file, batch size, allow_insecure_http,
  // database path, heartbeat interval.
  static UploaderOptions from_config(const KioskConfig& config);
};

// OK for https:// URLs, and for http:// ones whose host is loopback (localhost, 127.0.0.0/8, ::1)
// or when allow_insecure_http is set; invalid_argument naming the problem otherwise.
Status check_server_url(const std::string& url, bool allow_insecure_http);

// What one pass (or a drain) did.
struct PassReport {
  std::int64_t accepted = 0;     // new responses the server stored
  std::int64_t duplicates = 0;   // responses the server already had
  std::int64_t rejected = 0;     // marked rejected (server's reason, or refused as too large)
  std::int64_t batches = 0;      // requests answered with 200 (heartbeats included)
  bool heartbeat = false;        // a heartbeat was sent
  std::int64_t pending_left = -1;  // -1 when the store could not tell
  int http_status = 0;           // of the last request; 0 when none got an HTTP reply
  Status status;                 // OK when the pass ended with an empty queue
  // False when retrying without a change is pointless: a refused token (401/403), a missing or
  // empty token file. The kiosk's worker still retries, at the backoff cap.
  bool retryable = true;
  std::chrono::milliseconds retry_after{0};  // when status is not OK: wait before the next pass
};

// The uploader's state as recorded in the store's settings.
struct SyncState {
  std::int64_t pending = 0;
  std::optional<TimePoint> last_attempt;
  std::optional<TimePoint> last_success;
  std::optional<TimePoint> next_attempt;
  std::string last_error;
  bool server_reachable = false;
};
Result<SyncState> read_sync_state(ResponseStore& store);

// The kiosk's health now, as sent with a batch: the pending responses that are not in the body
// (the backlog once the server takes it: `in_body` responses up to seq `body_last_seq`), and the
// oldest of them; config version (setting config.version), last error (sync.last_error, else
// config.last_error; none when both are empty), free space of `options.db_path`'s filesystem,
// `now` as the clock, uptime since `started_at`.
Result<KioskHealth> collect_health(ResponseStore& store, const UploaderOptions& options,
                                   TimePoint started_at, TimePoint now, std::int64_t in_body = 0,
                                   std::int64_t body_last_seq = 0);

class BatchUploader {
 public:
  // Checks the options (URL scheme and host, batch size, kiosk id); the token file is read on
  // every pass so that a fixed file takes effect without a restart.
  static Result<std::unique_ptr<BatchUploader>> create(UploaderOptions options,
                                                       ResponseStore& store,
                                                       HttpTransport& transport,
                                                       const Clock& clock,
                                                       RandomSource random = default_random_source());
  BatchUploader(const BatchUploader&) = delete;
  BatchUploader& operator=(const BatchUploader&) = delete;

  // Sends batches, lowest seq first, until the queue is empty or a request fails. A 413 halves
  // the batch (down to one response; a single response refused as too large is marked rejected
  // so that it does not block the queue). On failure the backoff advances and report.retry_after
  // says how long to wait (at least the server's Retry-After, never beyond the cap); on success
  // the backoff resets. The outcome is recorded in the settings (see above).
  // Also sends the health with every batch, and a heartbeat when there is nothing to send and
  // options.heartbeat_interval has passed since the last 200 reply (see UploaderOptions).
  PassReport sync_once();

  // Passes until the queue is empty, a non-retryable error, or max_attempts failed passes,
  // sleeping retry_after between them. Counts are summed over the passes.
  PassReport drain(Sleeper& sleeper, int max_attempts);

  const Backoff& backoff() const { return backoff_; }

 private:
  BatchUploader(UploaderOptions options, ResponseStore& store, HttpTransport& transport,
                const Clock& clock, RandomSource random);
  Result<std::string> read_token();

  UploaderOptions options_;
  ResponseStore& store_;
  HttpTransport& transport_;
  const Clock& clock_;
  Backoff backoff_;
  std::string endpoint_;
  bool warned_token_mode_ = false;
  TimePoint started_at_{};
  std::optional<TimePoint> last_reply_;  // the last 200 reply, for the heartbeat

};

}  // namespace sipas
