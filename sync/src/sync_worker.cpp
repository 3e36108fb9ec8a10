#include "sipas/sync/sync_worker.hpp"

#include <algorithm>

namespace sipas {

SyncWorkerOptions SyncWorkerOptions::from_config(const KioskConfig& config) {
  SyncWorkerOptions o;
  o.db_path = config.db_path;
  o.uploader = UploaderOptions::from_config(config);
  o.transport.ca_file = config.server.ca_file;
  o.transport.connect_timeout = std::chrono::seconds(config.server.connect_timeout_seconds);
  o.transport.total_timeout = std::chrono::seconds(config.server.request_timeout_seconds);
  o.interval = std::chrono::seconds(config.server.sync_interval_seconds);
  o.config = ConfigFetcherOptions::from_config(config);
  return o;
}

Result<std::unique_ptr<SyncWorker>> SyncWorker::start(SyncWorkerOptions options,
                                                      TransportFactory make_transport,
                                                      const Clock* clock, RandomSource random) {
  std::unique_ptr<SyncWorker> w(new SyncWorker());
  w->options_ = std::move(options);
  w->clock_ = clock ? clock : &w->system_clock_;
  w->options_.transport.cancel = &w->cancel_;
  w->options_.uploader.cancel = &w->cancel_;
  if (w->options_.uploader.db_path.empty()) w->options_.uploader.db_path = w->options_.db_path;

  auto store = ResponseStore::open(w->options_.db_path);
  if (!store.is_ok()) return store.status();
  w->store_ = std::move(store).value();

  if (make_transport) {
    auto t = make_transport(w->options_.transport);
    if (!t.is_ok()) return t.status();
    w->transport_ = std::move(t).value();
  } else {
    auto t = CurlTransport::create(w->options_.transport);
    if (!t.is_ok()) return t.status();
    w->transport_ = std::move(t).value();
  }

  auto uploader = BatchUploader::create(w->options_.uploader, *w->store_, *w->transport_,
                                        *w->clock_,
                                        random ? std::move(random) : default_random_source());
  if (!uploader.is_ok()) return uploader.status();
  w->uploader_ = std::move(uploader).value();

  if (!w->options_.config.public_key.empty()) {
    ConfigFetcherOptions c = w->options_.config;
    c.kiosk_id = w->options_.uploader.kiosk_id;
    c.server_url = w->options_.uploader.server_url;
    c.token_file = w->options_.uploader.token_file;
    w->fetcher_ = std::make_unique<ConfigFetcher>(std::move(c), *w->store_, *w->transport_, *w->clock_);
  }

  if (auto recorded = read_sync_state(*w->store_); recorded.is_ok()) {
    w->state_.recorded = *recorded;
  }
  w->state_.syncing = true;
  w->thread_ = std::thread([raw = w.get()] { raw->run(); });
  return w;
}

SyncWorker::~SyncWorker() { stop(); }

void SyncWorker::notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  wake_.notify_all();
}

void SyncWorker::request_sync_now() {
  {
    std::lock_guard lock(mutex_);
    sync_now_ = true;
  }
  wake_.notify_all();
}

void SyncWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cancel_.store(true);
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SyncWorkerState SyncWorker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void SyncWorker::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    notified_ = false;
    sync_now_ = false;
    state_.syncing = true;
    lock.unlock();

    PassReport pass = uploader_->sync_once();
    if (fetcher_ && (pass.status.is_ok() || pass.http_status != 0)) fetcher_->fetch_once();
    auto recorded = read_sync_state(*store_);

    lock.lock();
    if (stop_) break;
    if (recorded.is_ok()) {
      state_.recorded = *recorded;
    } else {
      state_.recorded.last_error = recorded.status().message();
    }
    state_.syncing = false;
    ++state_.passes;
    state_.last_pass = pass;
    const bool ok = pass.status.is_ok();
    // A sync interval longer than the heartbeat's would leave the server without news too long.
    const auto wait =
        !ok ? pass.retry_after
        : options_.uploader.heartbeat_interval.count() > 0
            ? std::min<std::chrono::milliseconds>(options_.interval,
                                                  options_.uploader.heartbeat_interval)
            : options_.interval;
    lock.unlock();
    if (options_.on_change) options_.on_change();
    lock.lock();

    const auto deadline = std::chrono::steady_clock::now() + wait;
    wake_.wait_until(lock, deadline, [&] { return stop_ || sync_now_ || (ok && notified_); });
  }
  // A pass cut short by stop() recorded nothing; the final count still tells staff what is left.
  lock.unlock();
  auto left = store_->pending_count();
  lock.lock();
  if (left.is_ok()) state_.recorded.pending = *left;
  state_.syncing = false;
}

}  // namespace sipas
