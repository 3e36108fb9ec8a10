// SyncWorker: the kiosk's background uploader.
//
// Threading contract:
// - start() opens the worker's own ResponseStore connection (the UI thread keeps its own) and its
//   own transport, then starts one thread that owns them, the BatchUploader and its backoff. Open
//   errors come back from start(); nothing is left running then.
// - The thread runs a pass at once, then sleeps on a condition variable until the interval has
//   passed, notify() was called (only while the last pass succeeded: new responses do not shorten
//   a backoff after a failure), request_sync_now() was called (also cuts a backoff short), or
//   stop() was called. It never sleeps uninterruptibly.
// - While passes succeed it wakes at least every uploader.heartbeat_interval, so that a kiosk with
//   nothing to send still sends its heartbeat on time (BatchUploader::sync_once).
// - notify(), request_sync_now(), state() and stop() may be called from any thread and never
//   block on network or disk: they only take a mutex that the worker holds for short updates.
// - on_change runs on the worker thread after each pass; it must be quick and thread-safe (the
//   kiosk passes a function that calls SDL_PushEvent). No SDL here.
// - stop() (also run by the destructor) abandons a request in flight within about a second and
//   joins the thread. After stop() the worker does nothing more, and state().recorded.pending
//   holds the number of responses left pending.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "sipas/config.hpp"
#include "sipas/status.hpp"
#include "sipas/store.hpp"
#include "sipas/sync/config_fetcher.hpp"
#include "sipas/sync/curl_transport.hpp"
#include "sipas/sync/uploader.hpp"
#include "sipas/time.hpp"
#include "sipas/transport.hpp"

namespace sipas {

struct SyncWorkerOptions {
  std::string db_path;
  UploaderOptions uploader;
  CurlOptions transport;  // its cancel pointer is set by the worker
  std::chrono::milliseconds interval = std::chrono::seconds(60);
  std::function<void()> on_change;
  // The configuration fetch after each pass the server answered (config_fetcher.hpp); its kiosk
  // id, server URL and token file are taken from `uploader` at start(). Without a public key the
  // worker fetches nothing.
  ConfigFetcherOptions config;

  // db path, uploader options, CA file, timeouts and interval from a loaded config.
  static SyncWorkerOptions from_config(const KioskConfig& config);
};

// A snapshot for the staff screen.
struct SyncWorkerState {
  SyncState recorded;          // as last recorded in the store's settings
  bool syncing = false;        // a pass is in progress
  std::int64_t passes = 0;     // passes finished since start()
  PassReport last_pass;        // counts and status of the last finished pass
};

class SyncWorker {
 public:
  // Builds the transport on start(); tests pass a fake. Called on the calling thread of start().
  using TransportFactory =
      std::function<Result<std::unique_ptr<HttpTransport>>(const CurlOptions& options)>;

  // clock: for timestamps (must outlive the worker); nullptr means the system clock.
  // random: for the backoff's jitter; empty means default_random_source().
  static Result<std::unique_ptr<SyncWorker>> start(SyncWorkerOptions options,
                                                   TransportFactory make_transport = {},
                                                   const Clock* clock = nullptr,
                                                   RandomSource random = {});
  ~SyncWorker();
  SyncWorker(const SyncWorker&) = delete;
  SyncWorker& operator=(const SyncWorker&) = delete;

  void notify();
  void request_sync_now();
  void stop();
  SyncWorkerState state() const;

 private:
  SyncWorker() = default;
  void run();

  SyncWorkerOptions options_;
  SystemClock system_clock_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<ResponseStore> store_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<BatchUploader> uploader_;
  std::unique_ptr<ConfigFetcher> fetcher_;
  std::atomic<bool> cancel_{false};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool notified_ = false;
  bool sync_now_ = false;
  SyncWorkerState state_;
  std::thread thread_;
};

}  // namespace sipas
