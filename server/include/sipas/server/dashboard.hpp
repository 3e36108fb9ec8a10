// The province server's web dashboard and scores API, installed on the server's router:
//
//   GET  /api/v1/scores         SPEC's scores (see scores.hpp for the query parameters)
//   GET  /api/v1/reports        a unit's period report or its raw responses, CSV or XLSX
//   GET  /                      overview of the user's unit (the province for province users)
//   GET  /unit                  drill-down: ?unit=U[&counter=C[&officer=O]]
//   GET  /comments, /kiosks     citizens' comments with their reasons; the kiosk fleet
//   GET  /kiosk?id=ID           one kiosk: its health, findings and contacts
//   GET  /api/v1/kiosks[/ID]    the fleet as JSON (fleet.hpp; docs/protocol.md section 11)
//   GET  /login, POST /login, POST /logout, GET /login/link (one-time link, loopback only)
//   GET  /assets/app.css
//   GET, POST /api/v1/actions; PUT, DELETE /api/v1/actions/{id}; POST /actions, /actions/status
//                               improvement actions and their effect (actions_api.hpp)
//
// Every page and API call needs a user: the session cookie (HttpOnly, SameSite=Strict) or HTTP
// Basic. Wrong passwords (form or Basic) are throttled per user and per address: while locked,
// 429 with Retry-After, and no password is checked. A user bound to a unit sees only that unit and the units below it; anything else is 403.
// Every POST form carries the session's CSRF token (the login form a pre-session one). Pages are
// in Vietnamese, or English with lang=en; citizen text is always HTML-escaped.
//
// Threads: handlers run on the transport's worker threads (http_transport.hpp); each borrows its
// own database connection.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sipas/server/actions.hpp"
#include "sipas/server/fleet.hpp"
#include "sipas/server/login_throttle.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

namespace http {
class Router;
}

struct DashboardOptions {
  // The time used for "today" and session expiry; nullptr: the system clock. Must outlive the
  // dashboard.
  const Clock* clock = nullptr;
  // Where failed logins and login locks are reported, one line each (no newline), from the
  // handler threads; empty: standard error.
  std::function<void(const std::string& line)> security_log;
  // Failed-login throttling (login_throttle.hpp).
  ThrottlePolicy throttle;
  // The server itself serves HTTPS: cookies carry Secure, answers Strict-Transport-Security.
  bool tls = false;
  // Proxies whose X-Forwarded-For/-Proto are believed (client_info.hpp); exact addresses.
  std::vector<std::string> trusted_proxies;
  // Whether /login/link works at all. Even then only for a request from this machine that did not
  // come through a proxy (a proxy on this machine makes every request look local).
  bool login_links = true;
  // When a kiosk counts as late or offline (fleet.hpp).
  FleetOptions fleet;
  // The length of each window of an improvement action's effect when a request gives none
  // (serve --effect-window-weeks; actions.hpp).
  int effect_window_days = kDefaultEffectWindowDays;
};

class Dashboard {
 public:
  static Result<std::unique_ptr<Dashboard>> create(const std::string& db_path,
                                                   DashboardOptions options = {});
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // Registers the routes above. The dashboard must outlive the serving of the transport that
  // `http` is given to.
  void install(http::Router& http);

 private:
  struct Impl;
  explicit Dashboard(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The dashboard's commands of `sipas-server`, for the CLI to dispatch to:
//   rollup rebuild --db PATH                       recompute the rollups from the raw rows
//   user login-link --db PATH --user NAME [--next PATH]
//                                                  print a one-time login link (5 minutes)
// `args` is the whole command line after the program name. nullopt when `args` is not one of
// these commands; otherwise the exit code (0 done, 1 failure, 2 usage error).
std::optional<int> run_dashboard_command(const std::vector<std::string>& args, std::ostream& out,
                                         std::ostream& err);
constexpr const char* kDashboardUsage =
    "  sipas-server rollup rebuild --db PATH              (recompute the score rollups)\n"
    "  sipas-server user login-link --db PATH --user NAME [--next PATH]\n"
    "                                                 (a one-time login link, 5 minutes)\n";

}  // namespace sipas
