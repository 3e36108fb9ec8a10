// Telling systemd how `sipas-server serve` is doing, for its Type=notify unit (sd_notify(3),
// libsystemd): READY=1 once the listening socket is bound, WATCHDOG=1 pings while the server is
// healthy, STOPPING=1 on the way out. When the process was not started by a service manager that
// listens (NOTIFY_SOCKET unset) every call is a no-op and no thread is started, so running the
// server by hand or in tests is unaffected.
//
// Threads: construct and destroy on one thread; the pings come from a thread of the notifier's
// own, which is the only caller of the probe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "sipas/status.hpp"

namespace sipas {

class ServiceNotifier {
 public:
  // Whether the server can do its work; ok means healthy. Called from the watchdog thread.
  using Probe = std::function<Status()>;

  // Sends READY=1 with STATUS=`status`. When the manager asked for a watchdog (WatchdogSec=,
  // seen as WATCHDOG_USEC for this process), starts a thread that calls `probe` every half of
  // that interval and sends WATCHDOG=1 each time it returns ok; while it fails the thread sends
  // STATUS= with the probe's message and no ping, so the manager restarts the server once the
  // interval runs out.
  ServiceNotifier(const std::string& status, Probe probe);
  // Sends STOPPING=1 and stops the thread.
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  // The time between two probes; zero when there is no watchdog.
  std::chrono::microseconds ping_interval() const { return interval_; }

 private:
  void run();

  Probe probe_;
  std::chrono::microseconds interval_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// A probe that pings the server's store `db` (ServerStore::ping, as GET /healthz does) through
// a connection of its own, opened on the first call.
ServiceNotifier::Probe store_probe(std::string db);

}  // namespace sipas
