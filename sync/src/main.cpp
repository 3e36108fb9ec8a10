#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <signal.h>
#include <time.h>

#include "sipas/config.hpp"
#include "sipas/store.hpp"
#include "sipas/sync/config_fetcher.hpp"
#include "sipas/sync/curl_transport.hpp"
#include "sipas/sync/sync_worker.hpp"
#include "sipas/sync/uploader.hpp"

namespace {

constexpr const char* kUsage =
    "Usage: sipas-sync --config DIR [--db PATH] [--server URL] [--token-file PATH]\n"
    "                  [--batch-size N] [--once [--attempts N]]\n"
    "\n"
    "Uploads the kiosk's pending responses to the province server (protocol v1).\n"
    "\n"
    "  --config DIR        the kiosk configuration directory (kiosk.json, surveys/)\n"
    "  --db PATH           the kiosk database (default: the config's db_path)\n"
    "  --server URL        the server's base URL (default: the config's server.url)\n"
    "  --token-file PATH   the file holding this kiosk's bearer token\n"
    "  --batch-size N      responses per request (default: the config's batch_size)\n"
    "  --once              upload everything pending, print a summary and exit:\n"
    "                      0 when nothing is left pending, 1 otherwise\n"
    "  --attempts N        with --once: passes to try, waiting with backoff between\n"
    "                      failed ones (default 1)\n"
    "  --help, --version\n"
    "\n"
    "With server.config_public_key set it also fetches the kiosk's configuration bundle\n"
    "after uploading, verifies it and keeps it for the kiosk to apply.\n"
    "Without --once it keeps uploading (at the config's interval, with backoff after\n"
    "failures) until SIGTERM or SIGINT.\n"
    "Exit status: 0 done, 1 responses left pending, 2 bad usage or configuration.\n";

int fail(const std::string& message, int code = 2) {
  std::cerr << "sipas-sync: " << message << "\n";
  return code;
}

std::optional<int> parse_int(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string summary(const sipas::PassReport& r) {
  return "sent " + std::to_string(r.accepted) + ", duplicates " + std::to_string(r.duplicates) +
         ", rejected " + std::to_string(r.rejected) + ", pending left " +
         (r.pending_left < 0 ? std::string("unknown") : std::to_string(r.pending_left));
}

std::string config_summary(const sipas::FetchReport& r) {
  using sipas::FetchOutcome;
  switch (r.outcome) {
    case FetchOutcome::stored:
      return "configuration version " + std::to_string(r.version) + " received";
    case FetchOutcome::unchanged:
      return "configuration version " + std::to_string(r.version) + " is current";
    case FetchOutcome::none:
      return "no configuration for this kiosk on the server";
    case FetchOutcome::refused:
      return "configuration refused: " + r.error;
    case FetchOutcome::failed:
      return "configuration not fetched: " + r.error;
    case FetchOutcome::not_set_up:
      break;
  }
  return "configuration not fetched (no server.config_public_key)";
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> config_dir, db, server, token_file;
  std::optional<int> batch_size;
  int attempts = 1;
  bool once = false;

  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::optional<std::string>& out) -> bool {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--version") {
      std::cout << "sipas-sync " << SIPAS_VERSION << "\n";
      return 0;
    } else if (arg == "--once") {
      once = true;
    } else if (arg == "--config" || arg == "--db" || arg == "--server" || arg == "--token-file") {
      auto& target = arg == "--config" ? config_dir
                     : arg == "--db"   ? db
                     : arg == "--server" ? server
                                         : token_file;
      if (!value(target)) return fail(std::string(arg) + " needs a value");
    } else if (arg == "--batch-size" || arg == "--attempts") {
      std::optional<std::string> text;
      if (!value(text)) return fail(std::string(arg) + " needs a value");
      auto n = parse_int(*text);
      if (!n || *n < 1) return fail(std::string(arg) + ": expected a positive number, got \"" + *text + "\"");
      if (arg == "--batch-size") {
        batch_size = *n;
      } else {
        attempts = *n;
      }
    } else {
      return fail("unknown option " + std::string(arg) + " (see --help)");
    }
  }
  if (!config_dir) return fail("--config DIR is required (see --help)");

  auto loaded = sipas::load_kiosk_config(*config_dir);
  if (!loaded.is_ok()) return fail(loaded.status().message());
  for (const auto& w : loaded->warnings) std::cerr << "sipas-sync: warning: " << w << "\n";
  const sipas::KioskConfig& config = loaded->config;

  sipas::SyncWorkerOptions options = sipas::SyncWorkerOptions::from_config(config);
  if (db) {
    options.db_path = *db;
    options.uploader.db_path = *db;
  }
  if (server) options.uploader.server_url = *server;
  if (token_file) options.uploader.token_file = *token_file;
  if (batch_size) options.uploader.batch_size = *batch_size;
  options.transport.user_agent = std::string("sipas-sync/") + SIPAS_VERSION;
  if (options.uploader.server_url.empty()) return fail("no server URL (config server.url or --server)");
  if (sipas::Status s = sipas::check_server_url(options.uploader.server_url,
                                                options.uploader.allow_insecure_http);
      !s.is_ok()) {
    return fail(s.message());
  }

  if (once) {
    options.uploader.heartbeat_interval = std::chrono::seconds(0);
    auto store = sipas::ResponseStore::open(options.db_path);
    if (!store.is_ok()) return fail(store.status().message());
    auto transport = sipas::CurlTransport::create(options.transport);
    if (!transport.is_ok()) return fail(transport.status().message());
    sipas::SystemClock clock;
    auto uploader = sipas::BatchUploader::create(options.uploader, **store, **transport, clock);
    if (!uploader.is_ok()) return fail(uploader.status().message());
    sipas::RealSleeper sleeper;
    sipas::PassReport report = (*uploader)->drain(sleeper, attempts);
    std::cout << summary(report) << std::endl;
    if (!options.config.public_key.empty()) {
      // Fetched and stored even when the kiosk's screen is down; the kiosk applies it.
      sipas::ConfigFetcherOptions c = options.config;
      c.server_url = options.uploader.server_url;
      c.token_file = options.uploader.token_file;
      sipas::FetchReport fetched = sipas::ConfigFetcher(c, **store, **transport, clock).fetch_once();
      std::cout << config_summary(fetched) << std::endl;
    }
    if (!report.status.is_ok()) std::cerr << "sipas-sync: " << report.status.message() << "\n";
    return report.pending_left == 0 ? 0 : 1;
  }

  // Signals are taken synchronously by this thread; the worker thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto worker = sipas::SyncWorker::start(options);
  if (!worker.is_ok()) return fail(worker.status().message());
  std::cerr << "sipas-sync: uploading to " << options.uploader.server_url << " every "
            << options.interval.count() / 1000 << " s\n";
  std::int64_t logged = 0;
  while (true) {
    timespec tick{1, 0};
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) break;
    sipas::SyncWorkerState state = (*worker)->state();
    if (state.passes != logged) {
      logged = state.passes;
      std::cerr << "sipas-sync: " << summary(state.last_pass);
      if (!state.last_pass.status.is_ok()) {
        std::cerr << "; " << state.last_pass.status.message() << "; retry in "
                  << state.last_pass.retry_after.count() / 1000 << " s";
      }
      std::cerr << "\n";
    }
  }
  (*worker)->stop();
  sipas::SyncWorkerState state = (*worker)->state();
  std::cout << "stopped; pending left " << state.recorded.pending << std::endl;
  return 0;
}
