#include "sipas/server/service_notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "sipas/server/server_store.hpp"

namespace sipas {
namespace {

// sd_notify() would do nothing without NOTIFY_SOCKET either; checking first keeps a server run
// by hand from starting a thread at all.
bool manager_listens() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket != nullptr && *socket != '\0';
}

// The STATUS= text on one line: sd_notify's variables are separated by newlines.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

}  // namespace

ServiceNotifier::ServiceNotifier(const std::string& status, Probe probe)
    : probe_(std::move(probe)) {
  if (!manager_listens()) return;
  sd_notify(0, ("READY=1\nSTATUS=" + one_line(status)).c_str());
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0 && probe_) {
    interval_ = std::chrono::microseconds(usec / 2);
    thread_ = std::thread([this] { run(); });
  }
}

ServiceNotifier::~ServiceNotifier() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  if (manager_listens()) sd_notify(0, "STOPPING=1");
}

void ServiceNotifier::run() {
  bool was_healthy = true;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const Status health = probe_();
    if (health.is_ok()) {
      sd_notify(0, was_healthy ? "WATCHDOG=1" : "WATCHDOG=1\nSTATUS=serving");
    } else {
      sd_notify(0, ("STATUS=unhealthy: " + one_line(health.message())).c_str());
    }
    was_healthy = health.is_ok();
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

ServiceNotifier::Probe store_probe(std::string db) {
  auto store = std::make_shared<std::unique_ptr<ServerStore>>();
  return [db = std::move(db), store]() -> Status {
    if (!*store) {
      auto opened = ServerStore::open(db);
      if (!opened.is_ok()) return opened.status();
      *store = std::move(opened).value();
    }
    return (*store)->ping();
  };
}

}  // namespace sipas
