#include "sipas/server/dashboard.hpp"

#include <httplib.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "actions_api.hpp"
#include "html.hpp"
#include "sipas/server/fleet.hpp"
#include "sipas/crypto.hpp"
#include "sipas/server/alerts.hpp"
#include "sipas/server/cli_options.hpp"
#include "sipas/server/auth.hpp"
#include "sipas/server/config_bundles.hpp"
#include "sipas/server/client_info.hpp"
#include "sipas/server/http_transport.hpp"
#include "sipas/server/log_text.hpp"
#include "sipas/server/one_at_a_time.hpp"
#include "sipas/server/reports.hpp"
#include "sipas/server/report_document.hpp"
#include "sipas/server/scores.hpp"
#include "sipas/server/sessions.hpp"
#include "json_reply.hpp"

namespace sipas {
namespace {

using nlohmann::json;
using html::Data;
using html::tr;
using Object = kainjow::mustache::object;

constexpr const char* kSessionCookie = "sipas_session";
constexpr const char* kLoginCookie = "sipas_login";
constexpr std::size_t kMaxConfigFormBytes = 1u << 20;

struct Principal {
  std::string user;
  std::optional<std::string> unit;
  std::optional<std::string> csrf;  // set for sessions (Basic has no forms)
};

std::optional<std::string> cookie(const httplib::Request& req, const std::string& name) {
  std::string header = req.get_header_value("Cookie");
  std::size_t p = 0;
  while (p < header.size()) {
    auto end = header.find(';', p);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(p, end - p);
    auto b = part.find_first_not_of(' ');
    if (b != std::string::npos) part = part.substr(b);
    auto eq = part.find('=');
    if (eq != std::string::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
    p = end + 1;
  }
  return std::nullopt;
}

bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : std::string();
}

std::optional<std::string> opt_param(const httplib::Request& req, const char* name) {
  std::string v = param(req, name);
  if (v.empty()) return std::nullopt;
  return v;
}

std::string lang_of(const httplib::Request& req) { return param(req, "lang") == "en" ? "en" : "vi"; }

void no_store(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                 "frame-ancestors 'none'");
}

void redirect(httplib::Response& res, const std::string& to) {
  res.status = 303;
  res.set_header("Location", to);
}

// A local path to return to after logging in; anything else becomes "/". Browsers drop tabs and
// newlines inside URLs and read a backslash as a slash, so "/\t/evil.example" would leave the
// site: only a plain path is kept — starting with one "/", without control characters, spaces or
// backslashes.
std::string safe_next(const std::string& next) {
  if (next.empty() || next[0] != '/' || (next.size() > 1 && next[1] == '/')) return "/";
  for (unsigned char c : next) {
    if (c < 0x21 || c == 0x7f || c == '\\') return "/";
  }
  return next;
}

// The URL of the current request (path and query), for "next" and the language switch.
std::string with_params(const std::string& path,
                        const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out = path;
  char sep = '?';
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    out += sep + k + "=" + html::url(v);
    sep = '&';
  }
  return out;
}

std::string index_class(const std::optional<double>& v) {
  if (!v) return "idx";
  return *v >= 80 ? "idx good" : *v >= 60 ? "idx fair" : "idx poor";
}

Data list() { return Data(Data::type::list); }

// What every template starts from: the page's language and its words ({{t.key}}).
Data page_data(const std::string& lang) {
  Data d;
  d.set("lang", lang);
  d.set("t", html::words(lang));
  return d;
}

void send_html(httplib::Response& res, const Result<std::string>& page) {
  if (!page.is_ok()) {
    res.status = 500;
    res.set_content(page.status().message(), "text/plain; charset=utf-8");
    return;
  }
  res.set_content(*page, "text/html; charset=utf-8");
}

}  // namespace

// Whether a user may see a unit. A user bound to a unit gets the same answer (forbidden) for a
// code that does not exist as for a unit outside their own, so unit codes cannot be probed;
// province-wide users see every unit and are told when one does not exist.
namespace {
enum class UnitAccess { visible, unknown, forbidden };
Result<UnitAccess> unit_access(ScoreService& svc, const Principal& who, const std::string& unit) {
  auto units = svc.units();
  if (!units.is_ok()) return units.status();
  bool known = std::any_of(units->begin(), units->end(),
                           [&](const UnitRecord& u) { return u.code == unit; });
  if (!who.unit) return known ? UnitAccess::visible : UnitAccess::unknown;
  if (!known) return UnitAccess::forbidden;
  auto inside = svc.is_within(unit, *who.unit);
  if (!inside.is_ok()) return inside.status();
  return *inside ? UnitAccess::visible : UnitAccess::forbidden;
}
}  // namespace

struct Dashboard::Impl {
  Impl(std::string path, DashboardOptions opts)
      : db_path(std::move(path)), options(opts), clock(opts.clock ? opts.clock : &system_clock) {}

  std::string db_path;
  DashboardOptions options;
  SystemClock system_clock;
  const Clock* clock;
  // HTTP Basic callers of the API verified in the last minutes (skips PBKDF2 for them).
  VerifiedCredentials verified;
  // Failed logins counted in the database, shared with every server on it.
  StoreThrottleBook throttle_book{db_path};
  LoginThrottle throttle{options.throttle, throttle_book};

  // One export at a time per user: a second one while the first is still being sent is refused
  // (429).
  OneAtATime exports;
  std::mutex mutex;
  std::vector<std::unique_ptr<ScoreService>> free;

  class Lease {
   public:
    Lease(Impl* impl, std::unique_ptr<ScoreService> s) : impl_(impl), s_(std::move(s)) {}
    ~Lease() {
      if (s_) {
        std::lock_guard lock(impl_->mutex);
        impl_->free.push_back(std::move(s_));
      }
    }
    Lease(Lease&&) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ScoreService* operator->() const { return s_.get(); }
    ScoreService& operator*() const { return *s_; }

   private:
    Impl* impl_;
    std::unique_ptr<ScoreService> s_;
  };

  Result<Lease> acquire() {
    {
      std::lock_guard lock(mutex);
      if (!free.empty()) {
        auto s = std::move(free.back());
        free.pop_back();
        return Lease(this, std::move(s));
      }
    }
    auto s = ScoreService::open(db_path);
    if (!s.is_ok()) return s.status();
    return Lease(this, std::move(s).value());
  }

  ClientInfo client(const httplib::Request& req) const {
    return client_info(req, options.tls, options.trusted_proxies);
  }

  // What every answer carries: no Referer to other sites, and over HTTPS the promise to stay on
  // HTTPS.
  void harden(const httplib::Request& req, httplib::Response& res) const {
    res.set_header("Referrer-Policy", "same-origin");
    if (client(req).https) {
      res.set_header("Strict-Transport-Security", "max-age=31536000");
    }
  }

  void log(const std::string& line) {
    if (options.security_log) {
      options.security_log(line);
    } else {
      std::lock_guard lock(mutex);
      std::cerr << line << "\n";
    }
  }

  // The one way a password is checked, from the login form or HTTP Basic: refused while the user
  // or address is locked (nothing hashed), then checked, and the outcome counted and logged.
  struct PasswordCheck {
    std::optional<ApiPrincipal> who;                  // the password was right
    std::optional<std::chrono::seconds> locked_for;   // refused: try again after this
  };
  Result<PasswordCheck> check_password(ServerStore& store, const BasicCredentials& c,
                                       const std::string& address, const char* via) {
    const TimePoint now = clock->now();
    const std::string who = "user=" + log_text(c.user) + " address=" + log_text(address) +
                            " via=" + via;
    auto wait = throttle.locked(c.user, address, now);
    if (!wait.is_ok()) return wait.status();
    if (*wait) {
      log("login refused while locked " + who + " retry_after=" + std::to_string((*wait)->count()));
      return PasswordCheck{std::nullopt, *wait};
    }
    auto checked = authenticate_user(store, c, &verified, now);
    if (checked.is_ok()) {
      if (Status s = throttle.succeeded(c.user, address); !s.is_ok()) return s;
      return PasswordCheck{std::move(checked).value(), std::nullopt};
    }
    if (checked.status().code() != ErrorCode::not_found) return checked.status();
    log("login failed " + who);
    auto lock = throttle.failed(c.user, address, now);
    if (!lock.is_ok()) return lock.status();
    if (*lock) log("login locked " + who + " seconds=" + std::to_string((*lock)->count()));
    return PasswordCheck{};
  }

  // Who is calling: a session cookie, else HTTP Basic. `who` is nullopt when neither is valid;
  // `locked_for` says the Basic credentials were not even checked.
  struct Caller {
    std::optional<Principal> who;
    std::optional<std::chrono::seconds> locked_for;
  };
  Result<Caller> principal(ScoreService& svc, const httplib::Request& req) {
    if (auto token = cookie(req, kSessionCookie)) {
      auto s = svc.store().find_session(*token, clock->now());
      if (!s.is_ok()) return s.status();
      if (*s) return Caller{Principal{(*s)->user, (*s)->unit, (*s)->csrf}, std::nullopt};
    }
    if (req.has_header("Authorization")) {
      auto credentials = basic_credentials(req.get_header_value("Authorization"));
      if (!credentials) return Caller{};
      auto checked = check_password(svc.store(), *credentials, client(req).address, "basic");
      if (!checked.is_ok()) return checked.status();
      if (checked->who) return Caller{Principal{checked->who->user, checked->who->unit, std::nullopt}, std::nullopt};
      return Caller{std::nullopt, checked->locked_for};
    }
    return Caller{};
  }

  // The top unit a principal may see.
  Result<std::string> home_unit(ScoreService& svc, const Principal& p) {
    if (p.unit) return *p.unit;
    auto units = svc.units();
    if (!units.is_ok()) return units.status();
    for (const auto& u : *units) {
      if (!u.parent) return u.code;
    }
    return Status::error(ErrorCode::not_found, "no units are defined yet");
  }

  Result<DateRange> range_of(ScoreService& svc, const httplib::Request& req,
                             const std::string& unit) {
    auto today = svc.today(unit, clock->now());
    if (!today.is_ok()) return today.status();
    std::string period = param(req, "period");
    if (period == "range" || (period.empty() && (req.has_param("from") || req.has_param("to")))) {
      auto from = parse_date(param(req, "from"));
      auto to = parse_date(param(req, "to"));
      if (!from || !to) {
        return Status::error(ErrorCode::invalid_argument, "from and to must be YYYY-MM-DD dates");
      }
      if (std::chrono::sys_days(*from) > std::chrono::sys_days(*to)) {
        return Status::error(ErrorCode::invalid_argument, "from is after to");
      }
      DateRange r{*from, *to};
      // Reports and exports as well as scores: an unbounded range is the client's mistake, and
      // would build an export of everything.
      if (r.days() > kMaxRangeDays) {
        return Status::error(ErrorCode::invalid_argument, "the range is longer than ten years");
      }
      return r;
    }
    Date d = *today;
    // "day" is the period report's name for the same parameter.
    if (req.has_param("date") || req.has_param("day")) {
      auto parsed = parse_date(param(req, req.has_param("date") ? "date" : "day"));
      if (!parsed) return Status::error(ErrorCode::invalid_argument, "date must be YYYY-MM-DD");
      d = *parsed;
    }
    if (period.empty()) period = "month";
    auto kind = parse_period_kind(period);
    if (!kind) {
      return Status::error(ErrorCode::invalid_argument,
                           "period must be day, week, month, quarter, 6m, 9m, year or range");
    }
    return period_containing(*kind, d);
  }

  void install(http::Router& http);
  // The common start of the API calls: a connection, the caller (401 with WWW-Authenticate
  // otherwise) and the unit asked for (the caller's top unit when none is), as unit_access()
  // says: 404 unknown, 403 not visible. Marks the answer no-store and nosniff. false when `res`
  // already holds the error.
  bool authorize_api(const httplib::Request& req, httplib::Response& res,
                     std::optional<Lease>& svc, std::string& unit, std::string* user = nullptr,
                     Principal* caller = nullptr);
  // A connection and the caller: 503 without either, 429 while the caller's logins are locked,
  // 401 with WWW-Authenticate for no caller. Marks the answer no-store and nosniff. false when
  // `res` already holds the error.
  bool authenticate(const httplib::Request& req, httplib::Response& res,
                    std::optional<Lease>& lease, Principal& who);
  // The start of an API call that changes something: authenticate(), then a session's caller
  // must send its CSRF token (form field csrf or header X-CSRF-Token: 403 otherwise); HTTP Basic
  // callers have no session to forge. false when `res` already holds the error.
  bool authorize_write(const httplib::Request& req, httplib::Response& res,
                       std::optional<Lease>& lease, Principal& who);
  void api_scores(const httplib::Request& req, httplib::Response& res);
  void api_reports(const httplib::Request& req, httplib::Response& res);
  // The period report as a document (report_document.hpp) in one of report_formats().
  void send_report_document(const httplib::Request& req, httplib::Response& res,
                            ScoreService& svc, const std::string& unit, const DateRange& range,
                            const std::string& lang, const ReportFormat& format);
  void login_page(const httplib::Request& req, httplib::Response& res);
  void login_post(const httplib::Request& req, httplib::Response& res);
  void logout(const httplib::Request& req, httplib::Response& res);
  void login_link(const httplib::Request& req, httplib::Response& res);
  void unit_page(const httplib::Request& req, httplib::Response& res);
  void stylesheet(const httplib::Request& req, httplib::Response& res);
  void comments_page(const httplib::Request& req, httplib::Response& res);
  void kiosks_page(const httplib::Request& req, httplib::Response& res);
  // The fleet (fleet.hpp; issue 13): GET /api/v1/kiosks, /api/v1/kiosks/{id}, the page /kiosk?id=.
  void api_kiosks(const httplib::Request& req, httplib::Response& res);
  void api_kiosk(const httplib::Request& req, httplib::Response& res);
  void kiosk_page(const httplib::Request& req, httplib::Response& res);
  // The query a fleet request asks for, kept to what `who` may see: the units below `unit=` when
  // given (checked by the caller), else below the user's own unit, else every kiosk.
  Result<FleetQuery> fleet_query(ScoreService& svc, const httplib::Request& req,
                                 const Principal& who);

  // Common start of every page: a connection, the user (else a redirect to the login page).
  struct PageContext {
    std::optional<Lease> svc;
    Principal who;
    std::string home;
    std::string lang;
    std::string unit;  // the unit the page is about, carried by the menu's configuration link
  };
  bool begin_page(const httplib::Request& req, httplib::Response& res, PageContext& ctx);
  // The unit a request asks for, checked against what the user may see (403 page otherwise).
  bool visible_unit(const httplib::Request& req, httplib::Response& res, PageContext& ctx,
                    std::string& unit);
  // A unit page's start: the session, the unit the user may see and the period asked for (a
  // period picked as "range" uses the date inputs). False when an error page was sent.
  bool begin_unit_page(const httplib::Request& req, httplib::Response& res, PageContext& ctx,
                       std::string& unit, DateRange& range);
  // The template `page` rendered with `data` inside the layout (header, navigation, language
  // switch, logout), sent as the response; without `ctx` (no user yet) the layout has no header.
  void send_page(httplib::Response& res, const PageContext* ctx, const httplib::Request& req,
                 const std::string& title, const std::string& active, std::string_view page,
                 Data data);
  void page_error(httplib::Response& res, const PageContext* ctx, const httplib::Request& req,
                  int status, const std::string& message);
  // Remote configuration (config_bundles.hpp): a unit's or a kiosk's bundle, below.
  void config_page(const httplib::Request& req, httplib::Response& res);
  void config_post(const httplib::Request& req, httplib::Response& res);
  bool begin_config_form(const httplib::Request& req, httplib::Response& res, PageContext& ctx,
                         std::string& unit, std::string& kiosk);
  // A configuration form over its route's limit: the page again, with the user's text.
  void config_too_large(const httplib::Request& req, httplib::Response& res);
  // Any other dashboard form over its limit: an error page in the user's language.
  void form_too_large(const httplib::Request& req, httplib::Response& res);
  // False (and a 404 page sent) when `kiosk` is set and is not a kiosk of `unit`.
  bool config_kiosk_of_unit(const httplib::Request& req, httplib::Response& res,
                            PageContext& ctx, const std::string& unit, const std::string& kiosk);
  void render_config(const httplib::Request& req, httplib::Response& res, PageContext& ctx,
                     const std::string& unit, const std::string& kiosk, const std::string& message,
                     bool error, const std::string* text, bool invalid_bundle = false);
  // Alerts (alerts.hpp): the API, the acknowledge form, and the unit page's list.
  void api_alerts(const httplib::Request& req, httplib::Response& res);
  void api_alert_ack(const httplib::Request& req, httplib::Response& res);
  void api_alert_rules(const httplib::Request& req, httplib::Response& res);
  void alert_ack_form(const httplib::Request& req, httplib::Response& res);
  void add_alerts(Data& d, PageContext& ctx, const std::string& unit, const httplib::Request& req);
  // The alert `id` when `who` may see its unit; nullopt for an unknown or hidden one.
  Result<std::optional<AlertRecord>> visible_alert(ScoreService& svc, const Principal& who,
                                                   std::int64_t id);
  // Improvement actions (actions_api.hpp): GET /api/v1/actions; POST /api/v1/actions and PUT,
  // DELETE /api/v1/actions/{id}; the unit page's forms POST /actions and /actions/status. The
  // unit page itself, again with a form the user sent back with a problem.
  void api_actions(const httplib::Request& req, httplib::Response& res);
  void api_action_write(const httplib::Request& req, httplib::Response& res);
  void action_add_form(const httplib::Request& req, httplib::Response& res);
  void action_status_form(const httplib::Request& req, httplib::Response& res);
  void unit_page_with(const httplib::Request& req, httplib::Response& res,
                      const ActionFormState* form);
};

namespace {

std::string lang_switch_url(const httplib::Request& req, const std::string& lang) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [k, v] : req.params) {
    if (k != "lang") params.emplace_back(k, v);
  }
  if (lang == "vi") params.emplace_back("lang", "en");
  return with_params(req.path, params);
}

}  // namespace

void Dashboard::Impl::send_page(httplib::Response& res, const PageContext* ctx,
                                const httplib::Request& req, const std::string& title,
                                const std::string& active, std::string_view page, Data data) {
  auto body = html::render(page, std::move(data));
  if (!body.is_ok()) return send_html(res, body);
  const std::string lang = ctx ? ctx->lang : "vi";
  Data d = page_data(lang);
  d.set("title", title);
  d.set("body", *body);
  d.set("signed_in", ctx != nullptr);
  if (ctx) {
    const std::string l = lang == "en" ? "en" : "";
    Data nav = list();
    for (const auto& [key, path] : {std::pair<const char*, const char*>{"overview", "/"},
                                    {"comments", "/comments"},
                                    {"kiosks", "/kiosks"},
                                    {"configuration", "/config"}}) {
      const std::string unit =
          std::string_view(key) == "configuration" ? (ctx->unit.empty() ? param(req, "unit") : ctx->unit) : "";
      nav << Object{{"href", with_params(path, {{"unit", unit}, {"lang", l}})},
                    {"text", tr(key, lang)}, {"on", active == key}};
    }
    d.set("nav", nav);
    d.set("lang_switch", lang_switch_url(req, lang));
    d.set("other_language", tr("other_language", lang));
    d.set("user", ctx->who.user);
    d.set("has_csrf", ctx->who.csrf.has_value());
    if (ctx->who.csrf) d.set("csrf", *ctx->who.csrf);
  }
  send_html(res, html::render("layout", std::move(d)));
}

void Dashboard::Impl::page_error(httplib::Response& res, const PageContext* ctx,
                                 const httplib::Request& req, int status,
                                 const std::string& message) {
  no_store(res);
  res.status = status;
  Data d = page_data(ctx ? ctx->lang : "vi");
  d.set("status", std::to_string(status));
  d.set("message", message);
  send_page(res, ctx, req, std::to_string(status), "", "error", std::move(d));
}

bool Dashboard::Impl::begin_page(const httplib::Request& req, httplib::Response& res,
                                 PageContext& ctx) {
  ctx.lang = lang_of(req);
  auto svc = acquire();
  if (!svc.is_ok()) {
    page_error(res, nullptr, req, 503, svc.status().message());
    return false;
  }
  ctx.svc.emplace(std::move(svc).value());
  auto caller = principal(**ctx.svc, req);
  if (!caller.is_ok()) {
    page_error(res, nullptr, req, 503, caller.status().message());
    return false;
  }
  if (caller->locked_for) {
    res.set_header("Retry-After", std::to_string(caller->locked_for->count()));
    page_error(res, nullptr, req, 429, tr("too_many_logins", ctx.lang));
    return false;
  }
  if (!caller->who) {
    no_store(res);
    redirect(res, with_params("/login", {{"next", req.target}, {"lang", ctx.lang == "en" ? "en" : ""}}));
    return false;
  }
  ctx.who = *caller->who;
  auto home = home_unit(**ctx.svc, ctx.who);
  if (!home.is_ok()) {
    page_error(res, &ctx, req, 503, home.status().message());
    return false;
  }
  ctx.home = *home;
  return true;
}

bool Dashboard::Impl::visible_unit(const httplib::Request& req, httplib::Response& res,
                                   PageContext& ctx, std::string& unit) {
  unit = param(req, "unit");
  if (unit.empty()) unit = ctx.home;
  auto access = unit_access(**ctx.svc, ctx.who, unit);
  if (!access.is_ok()) {
    page_error(res, &ctx, req, 503, access.status().message());
    return false;
  }
  if (*access == UnitAccess::unknown) {
    page_error(res, &ctx, req, 404, tr("unknown_unit", ctx.lang) + (" " + unit));
    return false;
  }
  if (*access == UnitAccess::forbidden) {
    page_error(res, &ctx, req, 403, tr("forbidden", ctx.lang));
    return false;
  }
  return true;
}


void Dashboard::Impl::install(http::Router& http) {
  using Handler = void (Impl::*)(const httplib::Request&, httplib::Response&);
  // Every route gets harden()'s headers before its handler runs.
  auto route = [this](Handler h) {
    return [this, h](const httplib::Request& q, httplib::Response& r) {
      harden(q, r);
      (this->*h)(q, r);
    };
  };
  http.Get("/api/v1/scores", route(&Impl::api_scores));
  http.Get("/api/v1/reports", route(&Impl::api_reports));
  http.Get("/login", route(&Impl::login_page));
  // A form over its limit gets a page in the user's language rather than the transport's JSON.
  auto form = [&](std::size_t max_bytes, Handler too_large) {
    return http::FormLimit{max_bytes, route(too_large)};
  };
  const std::size_t small_form = http::FormLimit{}.max_form_bytes;
  http.Post("/login", route(&Impl::login_post));
  http.Post("/logout", route(&Impl::logout), form(small_form, &Impl::form_too_large));
  http.Get("/login/link", route(&Impl::login_link));
  http.Get("/", route(&Impl::unit_page));
  http.Get("/unit", route(&Impl::unit_page));
  http.Get("/comments", route(&Impl::comments_page));
  http.Get("/kiosks", route(&Impl::kiosks_page));
  http.Get("/kiosk", route(&Impl::kiosk_page));
  http.Get("/api/v1/kiosks", route(&Impl::api_kiosks));
  http.Get("/api/v1/kiosks/*", route(&Impl::api_kiosk));
  http.Get("/assets/app.css", route(&Impl::stylesheet));
  http.Get("/config", route(&Impl::config_page));
  // A bundle with its surveys and procedure catalogue in Vietnamese runs to tens of KB encoded.
  http.Post("/config", route(&Impl::config_post), form(kMaxConfigFormBytes, &Impl::config_too_large));
  http.Get("/api/v1/alerts", route(&Impl::api_alerts));
  http.Post("/api/v1/alerts/*", route(&Impl::api_alert_ack));
  http.Get("/api/v1/alert-rules", route(&Impl::api_alert_rules));
  http.Post("/alerts/ack", route(&Impl::alert_ack_form), form(small_form, &Impl::form_too_large));
  http.Get("/api/v1/actions", route(&Impl::api_actions));
  http.Post("/api/v1/actions", route(&Impl::api_action_write));
  http.Put("/api/v1/actions/*", route(&Impl::api_action_write));
  http.Delete("/api/v1/actions/*", route(&Impl::api_action_write));
  // A page sent back with a form's problem links (language, period) to its own path.
  http.Get("/actions", route(&Impl::unit_page));
  http.Post("/actions", route(&Impl::action_add_form), form(small_form, &Impl::form_too_large));
  http.Post("/actions/status", route(&Impl::action_status_form),
            form(small_form, &Impl::form_too_large));
}

void Dashboard::Impl::stylesheet(const httplib::Request&, httplib::Response& res) {
  res.set_header("Cache-Control", "max-age=3600");
  res.set_content(std::string(html::app_css()), "text/css; charset=utf-8");
}

bool Dashboard::Impl::authenticate(const httplib::Request& req, httplib::Response& res,
                                   std::optional<Lease>& lease, Principal& who) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  auto acquired = acquire();
  if (!acquired.is_ok()) {
    send_error(res, 503, acquired.status().message());
    return false;
  }
  lease.emplace(std::move(acquired).value());
  auto caller = principal(**lease, req);
  if (!caller.is_ok()) {
    send_error(res, 503, caller.status().message());
    return false;
  }
  if (caller->locked_for) {
    res.set_header("Retry-After", std::to_string(caller->locked_for->count()));
    send_error(res, 429, "too many failed logins; try again in " +
                             std::to_string(caller->locked_for->count()) + " s");
    return false;
  }
  if (!caller->who) {
    res.set_header("WWW-Authenticate", "Basic realm=\"sipas\", charset=\"UTF-8\"");
    send_error(res, 401, "log in, or send HTTP Basic credentials of a user");
    return false;
  }
  who = *caller->who;
  return true;
}

bool Dashboard::Impl::authorize_api(const httplib::Request& req, httplib::Response& res,
                                    std::optional<Lease>& svc, std::string& unit,
                                    std::string* user, Principal* caller_out) {
  Principal who;
  if (!authenticate(req, res, svc, who)) return false;
  if (user) *user = who.user;
  if (caller_out) *caller_out = who;
  auto home = home_unit(**svc, who);
  if (!home.is_ok()) {
    send_error(res, 404, home.status().message());
    return false;
  }
  unit = param(req, "unit");
  if (unit.empty()) unit = *home;
  auto access = unit_access(**svc, who, unit);
  if (!access.is_ok()) {
    send_error(res, 503, access.status().message());
    return false;
  }
  if (*access == UnitAccess::unknown) {
    send_error(res, 404, "unknown unit " + unit);
    return false;
  }
  if (*access == UnitAccess::forbidden) {
    send_error(res, 403, "user " + who.user + " may not see unit " + unit);
    return false;
  }
  return true;
}

void Dashboard::Impl::api_scores(const httplib::Request& req, httplib::Response& res) {
  std::optional<Lease> svc;
  ScoreQuery q;
  if (!authorize_api(req, res, svc, q.unit)) return;
  auto range = range_of(**svc, req, q.unit);
  if (!range.is_ok()) return send_error(res, 400, range.status().message());
  q.range = *range;
  if (req.has_param("group")) {
    auto g = parse_grouping(param(req, "group"));
    if (!g) {
      return send_error(res, 400,
                        "group must be unit, counter, officer, procedure, day, survey, criterion "
                        "or element");
    }
    q.group = *g;
  }
  q.counter = opt_param(req, "counter");
  q.officer = opt_param(req, "officer");
  q.procedure = opt_param(req, "procedure");
  q.survey = opt_param(req, "survey");
  q.language = lang_of(req);
  if (param(req, "source") == "raw") q.source = ScoreSource::raw;
  if (param(req, "extras") == "0") q.extras = false;
  auto scores = (*svc)->scores(q);
  if (!scores.is_ok()) {
    int status = scores.status().code() == ErrorCode::invalid_argument ? 400 : 503;
    return send_error(res, status, scores.status().message());
  }
  send_json(res, 200, to_json(*scores));
}

namespace {

constexpr std::size_t kExportPiece = 64 * 1024;
constexpr const char* kXlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// A raw CSV export sent a piece at a time: rows are read from the storage's cursor as the client
// takes them, so memory stays at one piece whatever the range. Holds the database connection and
// the user's export slot until the last piece is sent or the client goes away.
template <class Lease>
struct RawCsvStream {
  std::optional<Lease> lease;
  std::shared_ptr<void> slot;  // the user's export slot
  std::unique_ptr<RawCursor> rows;  // after `lease`: destroyed before the connection it uses
  std::vector<std::string> criteria;
  std::string sheet;
  CsvRows csv;
  bool header_sent = false;

  // One piece into the sink; false when the storage fails (the client sees a cut-off file).
  bool next(httplib::DataSink& sink) {
    if (!header_sent) {
      csv.title(sheet);
      csv.row(raw_header(criteria));
      header_sent = true;
    }
    std::string piece;
    RawRow row;
    bool more = true;
    while (piece.size() < kExportPiece) {
      auto r = rows->next(row);
      if (!r.is_ok()) return false;
      more = *r;
      if (!more) break;
      csv.row(raw_row(row, criteria));
      piece += csv.take();
    }
    piece += csv.take();
    if (!piece.empty() && !sink.write(piece.data(), piece.size())) return false;
    if (!more) sink.done();
    return true;
  }
};

// A finished XLSX file sent a piece at a time; the file goes when the last piece is sent.
struct FileStream {
  std::shared_ptr<void> slot;  // the user's export slot
  std::unique_ptr<XlsxFile> file;
  std::ifstream in;
  bool next(httplib::DataSink& sink) {
    std::string piece(kExportPiece, '\0');
    in.read(piece.data(), static_cast<std::streamsize>(piece.size()));
    piece.resize(static_cast<std::size_t>(in.gcount()));
    if (!piece.empty() && !sink.write(piece.data(), piece.size())) return false;
    if (in.eof()) sink.done();
    return !in.bad();
  }
};

}  // namespace

void Dashboard::Impl::send_report_document(const httplib::Request& req, httplib::Response& res,
                                           ScoreService& svc, const std::string& unit,
                                           const DateRange& range, const std::string& lang,
                                           const ReportFormat& format) {
  ReportDocumentRequest rq;
  rq.unit = unit;
  rq.range = range;
  std::string period = param(req, "period");
  if (period.empty() && !req.has_param("from") && !req.has_param("to")) period = "month";
  rq.period = parse_period_kind(period);  // nullopt for "range": the title gives the dates
  rq.language = lang;
  rq.now = clock->now();
  auto actions = report_actions(svc, rq, options.effect_window_days);
  if (!actions.is_ok()) return send_error(res, 503, actions.status().message());
  auto document = build_report_document(svc, rq, *actions);
  if (!document.is_ok()) {
    int status = document.status().code() == ErrorCode::invalid_argument ? 400 : 503;
    return send_error(res, status, document.status().message());
  }
  auto bytes = format.write(*document);
  if (!bytes.is_ok()) {
    // unavailable: the machine lacks the fonts the PDF needs (the message names the package).
    int status = bytes.status().code() == ErrorCode::unavailable ? 503 : 500;
    return send_error(res, status, bytes.status().message());
  }
  res.set_header("Content-Disposition",
                 "attachment; filename=\"" +
                     report_file_name(unit, rq.period, range, format.extension) + "\"");
  res.set_content(*bytes, format.content_type);
}

void Dashboard::Impl::api_reports(const httplib::Request& req, httplib::Response& res) {
  std::optional<Lease> svc;
  std::string unit, user;
  if (!authorize_api(req, res, svc, unit, &user)) return;
  auto range = range_of(**svc, req, unit);
  if (!range.is_ok()) return send_error(res, 400, range.status().message());
  std::string format = param(req, "format");
  if (format.empty()) format = "csv";
  // The period report as a document (report_document.hpp): its formats are report_formats().
  const auto document_format = report_formats().find(format);
  if (format != "csv" && format != "xlsx" && document_format == report_formats().end()) {
    return send_error(res, 400, "format must be csv, xlsx, " + report_format_names());
  }
  std::string kind = param(req, "kind");
  if (kind.empty()) kind = "report";
  if (kind != "report" && kind != "raw") return send_error(res, 400, "kind must be report or raw");
  std::string lang = lang_of(req);
  auto slot = exports.try_take(user);
  if (!slot) {
    res.set_header("Retry-After", "10");
    return send_error(res, 429, "an export of user " + user + " is still running; one at a time");
  }
  if (document_format != report_formats().end()) {
    if (kind != "report") return send_error(res, 400, "kind must be report for format " + format);
    return send_report_document(req, res, **svc, unit, *range, lang, document_format->second);
  }
  std::string name = "sipas-" + kind + "-" + unit + "-" + format_date(range->from) + "-" +
                     format_date(range->to) + "." + format;
  res.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");

  if (kind == "report") {
    auto report = build_report(**svc, unit, *range, lang);
    if (!report.is_ok()) {
      int status = report.status().code() == ErrorCode::invalid_argument ? 400 : 503;
      return send_error(res, status, report.status().message());
    }
    auto tables = report_tables(*report, **svc);
    if (format == "csv") return res.set_content(to_csv(tables), "text/csv; charset=utf-8");
    auto bytes = to_xlsx(tables);
    if (!bytes.is_ok()) return send_error(res, 500, bytes.status().message());
    return res.set_content(*bytes, kXlsxType);
  }

  auto rows = (*svc)->raw_responses(unit, *range, kRawExportRows);
  if (!rows.is_ok()) return send_error(res, 503, rows.status().message());
  const std::vector<std::string> criteria = (*svc)->criterion_ids();
  if (format == "csv") {
    auto stream = std::make_shared<RawCsvStream<Lease>>();
    stream->lease.emplace(std::move(*svc));
    stream->slot = std::move(slot);
    stream->rows = std::move(rows).value();
    stream->criteria = criteria;
    stream->sheet = raw_sheet_name(lang);
    svc.reset();
    res.set_chunked_content_provider("text/csv; charset=utf-8",
                                     [stream](std::size_t, httplib::DataSink& sink) {
                                       return stream->next(sink);
                                     });
    return;
  }
  // XLSX: written to a temporary file in constant memory, then sent from it.
  auto file = XlsxFile::create(true);
  if (!file.is_ok()) return send_error(res, 500, file.status().message());
  Status s = (*file)->add_sheet(raw_sheet_name(lang));
  if (s.is_ok()) s = (*file)->add_row(raw_header(criteria));
  RawRow row;
  for (;;) {
    if (!s.is_ok()) break;
    auto more = (*rows)->next(row);
    if (!more.is_ok()) return send_error(res, 503, more.status().message());
    if (!*more) break;
    s = (*file)->add_row(raw_row(row, criteria));
  }
  if (s.is_ok()) s = (*file)->close();
  if (!s.is_ok()) return send_error(res, 500, s.message());
  auto stream = std::make_shared<FileStream>();
  stream->slot = std::move(slot);
  stream->in.open((*file)->path(), std::ios::binary);
  if (!stream->in) return send_error(res, 500, "cannot read back the XLSX file");
  stream->file = std::move(file).value();
  res.set_chunked_content_provider(kXlsxType, [stream](std::size_t, httplib::DataSink& sink) {
    return stream->next(sink);
  });
}

namespace {

// `error`: the catalogue key of the message above the form, or nullptr for none.
Result<std::string> login_html(const std::string& lang, const std::string& csrf,
                               const std::string& next, const char* error) {
  Data d = page_data(lang);
  d.set("title", tr("login", lang));
  d.set("failed", error != nullptr);
  d.set("login_error", error ? tr(error, lang) : "");
  d.set("csrf", csrf);
  d.set("next", next);
  d.set("lang_switch", with_params("/login", {{"next", next}, {"lang", lang == "en" ? "" : "en"}}));
  d.set("other_language", tr("other_language", lang));
  return html::render("login", std::move(d));
}

// A cookie the page's scripts cannot read, sent back only to this site; only over HTTPS when the
// page came over HTTPS.
void set_cookie(httplib::Response& res, const char* name, const std::string& value,
                const char* path, std::int64_t max_age, bool secure) {
  res.set_header("Set-Cookie", std::string(name) + "=" + value + "; Path=" + path +
                                   "; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age) +
                                   (secure ? "; Secure" : ""));
}

void set_login_cookie(httplib::Response& res, const std::string& token, bool secure) {
  set_cookie(res, kLoginCookie, token, "/login", 3600, secure);
}

void set_session_cookie(httplib::Response& res, const std::string& token, bool secure) {
  set_cookie(res, kSessionCookie, token, "/",
             std::chrono::duration_cast<std::chrono::seconds>(kSessionLifetime).count(), secure);
}

}  // namespace

void Dashboard::Impl::login_page(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  std::string lang = lang_of(req);
  std::string csrf = cookie(req, kLoginCookie).value_or("");
  if (csrf.size() != 32) {
    csrf = random_token(16);
    set_login_cookie(res, csrf, client(req).https);
  }
  send_html(res, login_html(lang, csrf, safe_next(param(req, "next")), nullptr));
}

void Dashboard::Impl::login_post(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  std::string lang = lang_of(req);
  auto expected = cookie(req, kLoginCookie);
  if (!expected || !same_secret(*expected, param(req, "csrf"))) {
    page_error(res, nullptr, req, 403, tr("form_expired", lang));
    return;
  }
  std::string next = safe_next(param(req, "next"));
  auto svc = acquire();
  if (!svc.is_ok()) return page_error(res, nullptr, req, 503, svc.status().message());
  BasicCredentials credentials{param(req, "user"), param(req, "password")};
  auto checked = check_password((*svc)->store(), credentials, client(req).address, "form");
  if (!checked.is_ok()) return page_error(res, nullptr, req, 503, checked.status().message());
  if (checked->locked_for) {
    res.set_header("Retry-After", std::to_string(checked->locked_for->count()));
    res.status = 429;
    send_html(res, login_html(lang, *expected, next, "too_many_logins"));
    return;
  }
  if (!checked->who) {
    res.status = 401;
    send_html(res, login_html(lang, *expected, next, "bad_login"));
    return;
  }
  auto session = (*svc)->store().create_session(checked->who->user, clock->now());
  if (!session.is_ok()) return page_error(res, nullptr, req, 503, session.status().message());
  set_session_cookie(res, session->token, client(req).https);
  redirect(res, next);
}

void Dashboard::Impl::logout(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  auto svc = acquire();
  if (!svc.is_ok()) return page_error(res, nullptr, req, 503, svc.status().message());
  auto token = cookie(req, kSessionCookie);
  if (!token) return redirect(res, "/login");
  auto s = (*svc)->store().find_session(*token, clock->now());
  if (!s.is_ok()) return page_error(res, nullptr, req, 503, s.status().message());
  if (!*s) return redirect(res, "/login");
  if (!same_secret((*s)->csrf, param(req, "csrf"))) {
    return page_error(res, nullptr, req, 403, "CSRF token missing or wrong");
  }
  Status st = (*svc)->store().end_session(*token);
  if (!st.is_ok()) return page_error(res, nullptr, req, 503, st.message());
  set_cookie(res, kSessionCookie, "", "/", 0, client(req).https);
  redirect(res, "/login");
}

void Dashboard::Impl::login_link(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  // The TCP peer alone cannot tell: behind a proxy on this machine every request is local.
  const ClientInfo who = client(req);
  if (!options.login_links || who.via_proxy || !is_loopback(req.remote_addr) ||
      req.has_header("X-Forwarded-For")) {
    return page_error(res, nullptr, req, 403, "login links work only from the server itself");
  }
  auto svc = acquire();
  if (!svc.is_ok()) return page_error(res, nullptr, req, 503, svc.status().message());
  auto user = (*svc)->store().redeem_login_link(param(req, "token"), clock->now());
  if (!user.is_ok()) return page_error(res, nullptr, req, 503, user.status().message());
  if (!*user) return page_error(res, nullptr, req, 403, "this login link is unknown, used or expired");
  auto session = (*svc)->store().create_session(**user, clock->now());
  if (!session.is_ok()) return page_error(res, nullptr, req, 503, session.status().message());
  set_session_cookie(res, session->token, who.https);
  redirect(res, safe_next(param(req, "next")));
}

namespace {

// The period form's data ({{> picker}}): the period, its dates and the filters to keep.
Data period_form(const httplib::Request& req, const std::string& path, const std::string& lang,
                 const DateRange& range,
                 const std::vector<std::pair<std::string, std::string>>& keep, Data exports) {
  std::string period = param(req, "period");
  if (period.empty()) period = (req.has_param("from") || req.has_param("to")) ? "range" : "month";
  Data f;
  f.set("action", path);
  Data hidden = list();
  for (const auto& [k, v] : keep) {
    if (v.empty()) continue;
    hidden << Object{{"name", k}, {"value", v}};
  }
  f.set("keep", hidden);
  f.set("english", lang == "en");
  Data periods = list();
  for (const char* k : {"day", "week", "month", "quarter", "6m", "9m", "year", "range"}) {
    periods << Object{{"value", k}, {"text", tr(k, lang)}, {"selected", period == k}};
  }
  f.set("periods", periods);
  std::string date = param(req, "date");
  if (date.empty()) date = format_date(range.to);
  f.set("date", date);
  f.set("from", format_date(range.from));
  f.set("to", format_date(range.to));
  f.set("has_exports", exports.is_non_empty_list());
  f.set("exports", exports);
  return f;
}

std::string count_text(std::int64_t v) { return std::to_string(v); }

// An index cell: its colour class, the value tests compare with the API, the text shown.
void set_index(Data& d, const std::optional<double>& v, const std::string& lang) {
  d.set("cls", index_class(v));
  d.set("value", html::data_number(v));
  d.set("index", html::number(v, lang));
}

}  // namespace

bool Dashboard::Impl::begin_unit_page(const httplib::Request& req, httplib::Response& res,
                                      PageContext& ctx, std::string& unit, DateRange& range) {
  no_store(res);
  if (!begin_page(req, res, ctx)) return false;
  if (!visible_unit(req, res, ctx, unit)) return false;
  httplib::Request adjusted = req;
  if (param(req, "period") == "range" && !req.has_param("from")) adjusted.params.erase("period");
  auto r = range_of(**ctx.svc, adjusted, unit);
  if (!r.is_ok()) {
    page_error(res, &ctx, req, 400, r.status().message());
    return false;
  }
  range = *r;
  return true;
}

void Dashboard::Impl::unit_page(const httplib::Request& req, httplib::Response& res) {
  unit_page_with(req, res, nullptr);
}

void Dashboard::Impl::unit_page_with(const httplib::Request& req, httplib::Response& res,
                                     const ActionFormState* action_form) {
  PageContext ctx;
  std::string unit;
  DateRange period;
  if (!begin_unit_page(req, res, ctx, unit, period)) return;
  ScoreService& svc = **ctx.svc;
  const std::string& lang = ctx.lang;
  const std::string l = lang == "en" ? "en" : "";
  const DateRange* range = &period;

  ScoreQuery q;
  q.unit = unit;
  q.range = *range;
  q.language = lang;
  q.counter = opt_param(req, "counter");
  q.officer = opt_param(req, "officer");
  q.procedure = opt_param(req, "procedure");
  auto scores = svc.scores(q);
  if (!scores.is_ok()) {
    int st = scores.status().code() == ErrorCode::invalid_argument ? 400 : 503;
    return page_error(res, &ctx, req, st, scores.status().message());
  }
  const Scores& s = *scores;
  const SurveyScore& overall = s.overall;
  std::string procedure_shown;
  if (q.procedure) {
    procedure_shown = s.procedure_name ? *s.procedure_name + " (" + *q.procedure + ")" : *q.procedure;
  }

  std::vector<std::pair<std::string, std::string>> period_params;
  for (const char* k : {"period", "date", "from", "to"}) {
    if (req.has_param(k)) period_params.emplace_back(k, param(req, k));
  }
  // Links keep the period; drill-down links also keep the procedure filter (the unit crumbs,
  // going back up, drop it).
  auto link_with = [&](const std::string& path, std::vector<std::pair<std::string, std::string>> p,
                       bool keep_procedure) {
    if (keep_procedure && q.procedure &&
        std::none_of(p.begin(), p.end(), [](const auto& x) { return x.first == "procedure"; })) {
      p.emplace_back("procedure", *q.procedure);
    }
    for (const auto& x : period_params) p.push_back(x);
    p.emplace_back("lang", l);
    return with_params(path, p);
  };
  auto link = [&](const std::string& path, std::vector<std::pair<std::string, std::string>> p) {
    return link_with(path, std::move(p), true);
  };

  Data d = page_data(lang);
  add_alerts(d, ctx, unit, req);
  // Breadcrumbs from the user's top unit down.
  {
    auto units = svc.units();
    std::vector<std::pair<std::string, std::string>> chain;
    if (units.is_ok()) {
      std::string cur = unit;
      for (int guard = 0; guard < 32; ++guard) {
        auto it = std::find_if(units->begin(), units->end(),
                               [&](const UnitRecord& u) { return u.code == cur; });
        if (it == units->end()) break;
        chain.emplace_back(it->code, it->name);
        if (cur == ctx.home || !it->parent) break;
        cur = *it->parent;
      }
    }
    std::reverse(chain.begin(), chain.end());
    Data crumbs = list();
    for (std::size_t i = 0; i < chain.size(); ++i) {
      crumbs << Object{{"first", i == 0},
                       {"href", link_with("/unit", {{"unit", chain[i].first}}, false)},
                       {"name", chain[i].second}};
    }
    d.set("crumbs", crumbs);
    if (q.counter) {
      d.set("counter", Object{{"href", link("/unit", {{"unit", unit}, {"counter", *q.counter}})},
                              {"code", *q.counter}});
    }
    if (q.officer) {
      // Linked only when a procedure narrows the page: the link then widens it to all of them.
      d.set("officer", Object{{"linked", q.procedure.has_value()},
                              {"href", link("/unit", {{"unit", unit},
                                                      {"counter", q.counter.value_or("")},
                                                      {"officer", *q.officer}})},
                              {"code", *q.officer}});
    }
    if (q.procedure) {
      d.set("procedure", Object{{"shown", procedure_shown},
                                {"clear_href", link_with("/unit",
                                                         {{"unit", unit},
                                                          {"counter", q.counter.value_or("")},
                                                          {"officer", q.officer.value_or("")}},
                                                         false)}});
    }
  }
  std::string title = s.unit_name;
  if (q.counter) title += " · " + std::string(tr("counter", lang)) + " " + *q.counter;
  if (q.officer) title += " · " + std::string(tr("officer", lang)) + " " + *q.officer;
  if (q.procedure) title += " · " + procedure_shown;
  d.set("title", title);
  d.set("from", format_date(range->from));
  d.set("to", format_date(range->to));

  Data exports = list();
  {
    std::vector<std::pair<std::string, std::string>> ep{{"unit", unit},
                                                        {"from", format_date(range->from)},
                                                        {"to", format_date(range->to)},
                                                        {"lang", l}};
    for (const auto& [kind, format, label] :
         {std::tuple<const char*, const char*, const char*>{"report", "csv", "report_csv"},
          {"report", "xlsx", "report_xlsx"},
          {"raw", "csv", "raw_csv"},
          {"raw", "xlsx", "raw_xlsx"}}) {
      auto p = ep;
      p.emplace_back("kind", kind);
      p.emplace_back("format", format);
      exports << Object{{"href", with_params("/api/v1/reports", p)}, {"text", tr(label, lang)}};
    }
  }
  {
    // The period report (report_card.mustache): the page's period when it is one the report
    // has, else the quarter, of the day the page shows.
    Data r;
    r.set("unit", unit);
    r.set("day", format_date(range->to));
    r.set("english", lang == "en");
    std::string shown = param(req, "period");
    Data periods = list();
    bool any = false;
    for (const char* k : {"quarter", "6m", "9m", "year"}) any = any || shown == k;
    for (const char* k : {"quarter", "6m", "9m", "year"}) {
      periods << Object{{"value", k}, {"text", tr(k, lang)}, {"selected", any ? shown == k : std::string(k) == "quarter"}};
    }
    r.set("periods", periods);
    d.set("report_doc", r);
  }
  d.set("form", period_form(req, req.path, lang, *range,
                            {{"unit", unit}, {"counter", q.counter.value_or("")},
                             {"officer", q.officer.value_or("")},
                             {"procedure", q.procedure.value_or("")}},
                            std::move(exports)));

  // Key figures.
  const NationalReference& nat = national_reference();
  const ScoreExtras& x = *s.extras;
  {
    Data k;
    k.set("index_class", index_class(overall.index));
    k.set("index_value", html::data_number(overall.index));
    k.set("index_text", html::number(overall.index, lang) + (overall.index ? "%" : ""));
    k.set("responses", count_text(overall.responses));
    k.set("complete", count_text(overall.complete));
    k.set("partial", count_text(overall.partial));
    k.set("change_class", x.change ? (*x.change >= 0 ? "up" : "down") : "");
    k.set("change_value", html::data_number(x.change));
    k.set("change_text", html::signed_number(x.change, lang));
    k.set("previous_from", format_date(x.previous.range.from));
    k.set("previous_to", format_date(x.previous.range.to));
    k.set("previous_index", html::number(x.previous.index, lang));
    k.set("national", html::number(nat.latest(), lang, 2));
    k.set("target", html::number(nat.target_2030, lang, 0));
    d.set("kpi", k);
  }

  // Elements and trend.
  std::vector<html::Bar> bars;
  for (const auto& e : overall.elements) {
    if (!e.in_index) continue;
    html::Bar bar;
    bar.label = e.name.get(lang);
    bar.value = e.index;
    auto ref = nat.elements_2023.find(e.id);
    if (ref != nat.elements_2023.end()) bar.reference = ref->second;
    bars.push_back(bar);
  }
  std::vector<html::TrendPoint> trend;
  {
    Date end = range->to;
    Date first = Date{end.year() / end.month() / std::chrono::day(1)};
    for (int i = 11; i >= 0; --i) {
      auto ym = std::chrono::year_month(first.year(), first.month()) - std::chrono::months(i);
      ScoreQuery m = q;
      m.extras = false;
      m.range = DateRange{Date{ym / std::chrono::day(1)}, Date{ym / std::chrono::last}};
      auto ms = svc.scores(m);
      if (!ms.is_ok()) return page_error(res, &ctx, req, 503, ms.status().message());
      char label[16];
      std::snprintf(label, sizeof label, "%u/%d", static_cast<unsigned>(ym.month()),
                    static_cast<int>(ym.year()) % 100);
      trend.push_back({label, ms->overall.index});
    }
  }
  d.set("elements_svg", html::bars_svg(bars, lang, tr("national", lang)));
  d.set("trend_svg", html::trend_svg(trend,
                                     {{std::string(tr("national", lang)) + " " +
                                           std::to_string(nat.sipas.back().year),
                                       nat.latest(), "national"},
                                      {tr("target", lang), nat.target_2030, "target"}},
                                     lang));

  // Improvement actions of the unit and below; a weak fix-first criterion (below the national
  // index) that none of them targets is flagged.
  std::set<std::string> covered;
  {
    auto today = svc.today(unit, clock->now());
    std::vector<std::pair<std::string, std::string>> keep;  // not the pre-filled criterion
    for (const auto& [k, v] : req.params) {
      if (k != "action_criterion") keep.emplace_back(k, v);
    }
    const std::string back =
        action_form ? safe_next(param(req, "back")) : with_params(req.path, keep);
    auto section = today.is_ok()
                       ? actions_section(svc, unit, *today, lang, options.effect_window_days,
                                         ctx.who.csrf, back, param(req, "action_criterion"),
                                         action_form, period_params)
                       : Result<ActionsSection>(today.status());
    if (!section.is_ok()) return page_error(res, &ctx, req, 503, section.status().message());
    d.set("actions_box", section->data);
    covered = std::move(section->covered);
  }
  // Fix first and reasons.
  {
    Data rows = list();
    for (const auto& f : x.fix_first) {
      Data r = Object{{"text", f.text}, {"element", f.element_name}, {"n", count_text(f.n)}};
      set_index(r, f.index, lang);
      r.set("id", f.id);
      r.set("no_action", f.index < nat.latest() && !covered.count(f.id));
      r.set("can_add", ctx.who.csrf.has_value());
      r.set("add_href",
            link("/unit", {{"unit", unit}, {"action_criterion", f.id}}) + "#action-form");
      rows << r;
    }
    d.set("any_fix_first", !x.fix_first.empty());
    d.set("fix_first", rows);
  }
  {
    Data rows = list();
    for (const auto& r : x.top_reasons) {
      rows << Object{{"text", r.text}, {"count", count_text(r.count)}};
    }
    d.set("any_reasons", !x.top_reasons.empty());
    d.set("reasons", rows);
  }

  // Drill-down: units below, counters, officers.
  d.set("any_children", !q.counter && !q.officer && !x.children.empty());
  {
    Data rows = list();
    for (const auto& c : x.children) {
      Data row;
      row.set("code", c.unit);
      row.set("rank", c.rank ? std::to_string(*c.rank) : "–");
      row.set("href", link("/unit", {{"unit", c.unit}}));
      row.set("name", c.name);
      row.set("responses", count_text(c.score.responses));
      set_index(row, c.score.index, lang);
      Data weak = list();
      for (const auto& f : c.fix_first) {
        weak << Object{{"text", f.text}, {"index", html::number(f.index, lang, 0)}};
      }
      row.set("weak", weak);
      Data why = list();
      for (const auto& r : c.top_reasons) {
        why << Object{{"text", r.text}, {"count", count_text(r.count)}};
      }
      row.set("why", why);
      rows << row;
    }
    d.set("children", rows);
  }
  if (!q.officer) {
    ScoreQuery g = q;
    g.extras = false;
    g.group = q.counter ? Grouping::officer : Grouping::counter;
    auto groups = svc.scores(g);
    if (!groups.is_ok()) return page_error(res, &ctx, req, 503, groups.status().message());
    Data box;
    box.set("id", q.counter ? "officers" : "counters");
    box.set("heading", tr(q.counter ? "officers" : "counters", lang));
    box.set("key_title", tr(q.counter ? "officer" : "counter", lang));
    box.set("any_rows", !groups->groups.empty());
    Data names = list();
    for (const auto& e : overall.elements) {
      if (e.in_index) names << Data(e.name.get(lang));
    }
    box.set("element_names", names);
    Data rows = list();
    for (const auto& gr : groups->groups) {
      std::string key = gr.key.value_or("");
      std::vector<std::pair<std::string, std::string>> p{{"unit", unit}};
      if (q.counter) {
        p.emplace_back("counter", *q.counter);
        p.emplace_back("officer", key);
      } else {
        p.emplace_back("counter", key);
      }
      Data row;
      row.set("linked", !key.empty());
      row.set("href", link("/unit", p));
      row.set("shown", key.empty() ? tr("not_recorded", lang) : key);
      row.set("responses", count_text(gr.score.responses));
      set_index(row, gr.score.index, lang);
      Data cells = list();
      for (const auto& e : gr.score.elements) {
        if (!e.in_index) continue;
        Data cell;
        set_index(cell, e.index, lang);
        cells << cell;
      }
      row.set("elements", cells);
      rows << row;
    }
    box.set("rows", rows);
    d.set("groups", box);
  }

  // Procedures: where a unit's citizens are least satisfied, by what they came for. Shown once
  // any response of the period names a procedure.
  if (!q.procedure) {
    ScoreQuery g = q;
    g.extras = false;
    g.group = Grouping::procedure;
    auto groups = svc.scores(g);
    if (!groups.is_ok()) return page_error(res, &ctx, req, 503, groups.status().message());
    // The weakest first, so that the row to act on leads; responses without a procedure last.
    std::vector<ScoreGroup> sorted = std::move(groups->groups);
    std::stable_sort(sorted.begin(), sorted.end(), [](const ScoreGroup& a, const ScoreGroup& b) {
      auto rank = [](const ScoreGroup& g) { return !g.key ? 2 : g.score.index ? 0 : 1; };
      if (rank(a) != rank(b)) return rank(a) < rank(b);
      return rank(a) == 0 && *a.score.index < *b.score.index;
    });
    d.set("any_procedures", std::any_of(sorted.begin(), sorted.end(),
                                        [](const ScoreGroup& g) { return g.key.has_value(); }));
    Data rows = list();
    for (const auto& gr : sorted) {
      const ElementScore* weakest = nullptr;
      for (const auto& e : gr.score.elements) {
        if (!e.in_index || !e.index) continue;
        if (!weakest || *e.index < *weakest->index) weakest = &e;
      }
      std::string code = gr.key.value_or("");
      Data row;
      row.set("code", code);
      row.set("linked", !code.empty());
      row.set("named", gr.name.has_value());
      row.set("name", gr.name.value_or(code));
      row.set("href", link("/unit", {{"unit", unit},
                                     {"counter", q.counter.value_or("")},
                                     {"officer", q.officer.value_or("")},
                                     {"procedure", code}}));
      row.set("responses", count_text(gr.score.responses));
      set_index(row, gr.score.index, lang);
      if (weakest) {
        Data w;
        w.set("id", weakest->id);
        w.set("name", weakest->name.get(lang));
        set_index(w, weakest->index, lang);
        row.set("weakest", w);
      } else {
        row.set("weakest", false);
      }
      rows << row;
    }
    d.set("procedures", rows);
  }

  // Criteria.
  {
    Data rows = list();
    for (const auto& e : overall.elements) {
      for (const auto& c : e.criteria) {
        Data row;
        row.set("id", c.id);
        row.set("element", e.name.get(lang));
        row.set("text", c.text.get(lang));
        set_index(row, c.index, lang);
        row.set("mean", html::number(c.mean, lang, 2));
        row.set("n", count_text(c.n));
        Data counts = list();
        for (int k = 1; k <= 5; ++k) {
          auto it = c.counts.find(k);
          counts << Data(std::to_string(it == c.counts.end() ? 0 : it->second));
        }
        row.set("counts", counts);
        rows << row;
      }
    }
    d.set("criteria", rows);
  }

  // Mẫu 01.
  {
    Data boxes = list();
    for (const auto& p : x.points) {
      Data box;
      box.set("responses", count_text(p.score.responses));
      box.set("mean_total_value", html::data_number(p.score.mean_total));
      box.set("mean_total", html::number(p.score.mean_total, lang, 2));
      Data grades = list();
      for (const auto& g : p.score.grades) {
        grades << Object{{"name", g.name.get(lang)}, {"count", count_text(g.count)}};
      }
      box.set("grades", grades);
      Data officers = list();
      for (const auto& o : p.officers) {
        officers << Object{{"name", o.key.empty() ? tr("not_recorded", lang) : o.key},
                           {"responses", count_text(o.score.responses)},
                           {"mean_total", html::number(o.score.mean_total, lang, 2)}};
      }
      box.set("officers", officers);
      Data indicators = list();
      for (const auto& i : p.score.indicators) {
        indicators << Object{{"text", i.text.get(lang)}, {"mean", html::number(i.mean, lang, 2)}};
      }
      box.set("indicators", indicators);
      boxes << box;
    }
    d.set("points", boxes);
  }

  // The latest comments.
  // The same counter/officer/procedure as the page's figures, here and on the page it links to.
  CommentFilter comment_filter{q.counter, q.officer, q.procedure};
  auto comments = svc.comments(unit, *range, 5, comment_filter);
  if (!comments.is_ok()) return page_error(res, &ctx, req, 503, comments.status().message());
  std::vector<std::pair<std::string, std::string>> comment_params{{"unit", unit}};
  if (q.counter) comment_params.emplace_back("counter", *q.counter);
  if (q.officer) comment_params.emplace_back("officer", *q.officer);
  d.set("comments_href", link_with("/comments", comment_params, true));
  {
    Data rows = list();
    for (const auto& c : *comments) {
      rows << Object{{"time", c.local_time}, {"counter_code", c.counter}, {"text", c.text}};
    }
    d.set("any_latest", !comments->empty());
    d.set("latest", rows);
  }

  send_page(res, &ctx, req, title, req.path == "/" ? "overview" : "", "unit", std::move(d));
}

void Dashboard::Impl::comments_page(const httplib::Request& req, httplib::Response& res) {
  PageContext ctx;
  std::string unit;
  DateRange period;
  if (!begin_unit_page(req, res, ctx, unit, period)) return;
  ScoreService& svc = **ctx.svc;
  const std::string& lang = ctx.lang;
  const DateRange* range = &period;
  CommentFilter filter{opt_param(req, "counter"), opt_param(req, "officer"),
                       opt_param(req, "procedure")};
  auto comments = svc.comments(unit, *range, 500, filter);
  if (!comments.is_ok()) return page_error(res, &ctx, req, 503, comments.status().message());
  auto units = svc.units();
  std::string unit_name = unit;
  if (units.is_ok()) {
    for (const auto& u : *units) {
      if (u.code == unit) unit_name = u.name;
    }
  }
  Data d = page_data(lang);
  Data narrowed = list();
  std::vector<std::pair<std::string, std::string>> keep{{"unit", unit}};
  for (const auto& [key, value] : {std::pair<const char*, const std::optional<std::string>*>{
                                       "counter", &filter.counter},
                                   {"officer", &filter.officer},
                                   {"procedure", &filter.procedure}}) {
    if (!*value) continue;
    narrowed << Object{{"label", tr(key, lang)}, {"value", **value}};
    keep.emplace_back(key, **value);
  }
  d.set("unit_name", unit_name);
  d.set("narrowed", narrowed);
  d.set("from", format_date(range->from));
  d.set("to", format_date(range->to));
  d.set("form", period_form(req, "/comments", lang, *range, keep, list()));
  Data rows = list();
  for (const auto& c : *comments) {
    Data reasons = list();
    for (const auto& id : c.reasons) reasons << Data(svc.reason_text(id, lang));
    rows << Object{{"time", c.local_time},         {"unit_code", c.unit},
                   {"counter", c.counter},           {"officer", c.officer.value_or("")},
                   {"reasons", std::move(reasons)},  {"text", c.text}};
  }
  d.set("any_rows", !comments->empty());
  d.set("rows", rows);
  send_page(res, &ctx, req, tr("comments", lang), "comments", "comments", std::move(d));
}

namespace {

// Times on the dashboard are Vietnam's (Asia/Ho_Chi_Minh: UTC+7 all year, no summer time):
// "HH:MM DD/MM/YYYY" in Vietnamese, "YYYY-MM-DD HH:MM" in English; `seconds` adds ":SS".
std::string local_time_text(TimePoint at, const std::string& lang, bool seconds = false) {
  return format_local(at, std::chrono::hours(7),
                      lang == "en" ? LocalStyle::year_first : LocalStyle::day_first, seconds);
}

// The same for an instant as the stores give it (RFC 3339); text that is not one is shown as is.
std::string local_time_text(std::string_view rfc3339, const std::string& lang, bool seconds = false) {
  auto at = parse_rfc3339(rfc3339);
  return at ? local_time_text(*at, lang, seconds) : std::string(rfc3339);
}

std::string local_minute(const std::optional<std::string>& at, const std::string& lang) {
  if (!at || at->empty()) return tr("never", lang);
  return local_time_text(std::string_view(*at), lang);
}

// "45 s", "12 min", "5 h", "3 days" (Vietnamese: giây, phút, giờ, ngày).
std::string span_text(std::int64_t seconds, const std::string& lang) {
  const bool vi = lang != "en";
  auto a = seconds < 0 ? -seconds : seconds;
  if (a < 90) return std::to_string(a) + (vi ? " giây" : " s");
  if (a < 90 * 60) return std::to_string(a / 60) + (vi ? " phút" : " min");
  if (a < 48 * 3600) return std::to_string(a / 3600) + (vi ? " giờ" : " h");
  return std::to_string(a / 86400) + (vi ? " ngày" : " days");
}

std::string bytes_text(std::int64_t bytes, const std::string& lang) {
  const double gb = static_cast<double>(bytes) / 1e9;
  if (gb >= 1) return html::number(gb, lang, 1) + " GB";
  return html::number(static_cast<double>(bytes) / 1e6, lang, 0) + " MB";
}

// "+1,5 s" below a minute and a half, then "+8 phút" / "+8 min", "-3 giờ" / "-3 h".
std::string skew_text(std::int64_t ms, const std::string& lang) {
  // A skew that rounds to 0.0 s is no skew: not "-0,0 s".
  if (ms > -50 && ms < 50) return html::number(0.0, lang, 1) + " s";
  if (ms > -90'000 && ms < 90'000) {
    return html::signed_number(static_cast<double>(ms) / 1000.0, lang, 1) + " s";
  }
  return (ms < 0 ? "-" : "+") + span_text(ms / 1000, lang);
}

std::string state_word(KioskState s, const std::string& lang) {
  return tr(std::string("state_") + to_string(s), lang);
}

}  // namespace

Result<FleetQuery> Dashboard::Impl::fleet_query(ScoreService& svc, const httplib::Request& req,
                                                const Principal& who) {
  auto bad = [](const std::string& why) { return Status::error(ErrorCode::invalid_argument, why); };
  FleetQuery q;
  std::optional<std::string> top = opt_param(req, "unit");
  if (!top) top = who.unit;
  if (top) {
    auto below = svc.store().unit_subtree(*top);
    if (!below.is_ok()) return below.status();
    q.units = std::move(below).value();
  }
  if (auto s = opt_param(req, "state")) {
    q.state = parse_kiosk_state(*s);
    if (!q.state) return bad("state must be online, late, offline or never");
  }
  if (auto s = opt_param(req, "sort")) {
    if (!is_fleet_sort_key(*s)) {
      return bad("sort must be kiosk, unit, state, last_contact, backlog or skew");
    }
    q.sort = *s;
  }
  std::string order = param(req, "order");
  if (!order.empty() && order != "asc" && order != "desc") return bad("order must be asc or desc");
  q.descending = order == "desc";
  return q;
}

void Dashboard::Impl::api_kiosks(const httplib::Request& req, httplib::Response& res) {
  std::optional<Lease> svc;
  std::string unit;
  Principal who;
  if (!authorize_api(req, res, svc, unit, nullptr, &who)) return;
  auto q = fleet_query(**svc, req, who);
  if (!q.is_ok()) {
    return send_error(res, q.status().code() == ErrorCode::invalid_argument ? 400 : 503,
                      q.status().message());
  }
  auto fleet = load_fleet((*svc)->store(), *q, clock->now(), options.fleet);
  if (!fleet.is_ok()) return send_error(res, 503, fleet.status().message());
  json list = json::array();
  for (const FleetKiosk& f : *fleet) list.push_back(fleet_kiosk_to_json(f));
  send_json(res, 200, json{{"kiosks", std::move(list)}});
}

void Dashboard::Impl::api_kiosk(const httplib::Request& req, httplib::Response& res) {
  std::optional<Lease> svc;
  std::string unit;
  Principal who;
  if (!authorize_api(req, res, svc, unit, nullptr, &who)) return;
  FleetQuery q;
  q.kiosk_id = req.path.substr(std::string_view("/api/v1/kiosks/").size());
  if (who.unit) {
    auto below = (*svc)->store().unit_subtree(*who.unit);
    if (!below.is_ok()) return send_error(res, 503, below.status().message());
    q.units = std::move(below).value();
  }
  std::int64_t limit = 100;
  if (auto l = opt_param(req, "limit")) {
    auto n = std::strtoll(l->c_str(), nullptr, 10);
    if (l->find_first_not_of("0123456789") != std::string::npos || n < 1 || n > 10000) {
      return send_error(res, 400, "limit must be a number from 1 to 10000");
    }
    limit = n;
  }
  auto fleet = load_fleet((*svc)->store(), q, clock->now(), options.fleet);
  if (!fleet.is_ok()) return send_error(res, 503, fleet.status().message());
  // A kiosk of another unit is as unknown as one that does not exist: ids are not probed.
  if (fleet->empty()) return send_error(res, 404, "unknown kiosk " + *q.kiosk_id);
  auto contacts = (*svc)->store().contacts(*q.kiosk_id, static_cast<std::size_t>(limit));
  if (!contacts.is_ok()) return send_error(res, 503, contacts.status().message());
  json j = fleet_kiosk_to_json(fleet->front());
  json history = json::array();
  for (const KioskContact& c : *contacts) history.push_back(contact_to_json(c));
  j["contacts"] = std::move(history);
  send_json(res, 200, j);
}

void Dashboard::Impl::kiosks_page(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  PageContext ctx;
  if (!begin_page(req, res, ctx)) return;
  ScoreService& svc = **ctx.svc;
  const std::string& lang = ctx.lang;
  if (req.has_param("unit")) {
    std::string unit;
    if (!visible_unit(req, res, ctx, unit)) return;
  }
  auto q = fleet_query(svc, req, ctx.who);
  if (!q.is_ok()) {
    return page_error(res, &ctx, req,
                      q.status().code() == ErrorCode::invalid_argument ? 400 : 503,
                      q.status().message());
  }
  q->findings_limit = 3;
  auto fleet = load_fleet(svc.store(), *q, clock->now(), options.fleet);
  if (!fleet.is_ok()) return page_error(res, &ctx, req, 503, fleet.status().message());
  const std::string l = lang == "en" ? "en" : "";
  const std::string unit = param(req, "unit");
  const std::string state = param(req, "state");
  Data rows = list();
  for (const FleetKiosk& f : *fleet) {
    const KioskRecord& k = f.record;
    Data findings = list();
    for (const auto& [kind, n] : f.finding_counts) {
      findings << Object{{"kind", kind}, {"count", std::to_string(n)}};
    }
    Data recent = list();
    for (const auto& x : f.findings) {
      recent << Object{{"at", local_time_text(std::string_view(x.created_at), lang)}, {"detail", x.detail}};
    }
    Object row{{"id", k.kiosk_id},
               {"href", with_params("/kiosk", {{"id", k.kiosk_id}, {"lang", l}})},
               {"revoked", k.revoked_at.has_value()},
               {"unit_code", k.unit},
               {"state", to_string(f.state)},
               {"state_text", state_word(f.state, lang)},
               {"last_contact", local_minute(k.last_contact, lang)},
               {"last_seq", std::to_string(k.last_seq)},
               {"responses", std::to_string(f.responses)},
               {"quarantined", std::to_string(f.quarantined)},
               {"any_findings", !f.finding_counts.empty()},
               {"findings", std::move(findings)},
               {"latest", std::move(recent)},
               {"has_health", f.health.has_value()},
               {"outdated", f.software_outdated},
               {"config_outdated", f.config_outdated},
               {"config_expected", std::to_string(f.config_expected)},
               {"config_href", with_params("/config", {{"unit", k.unit}, {"kiosk", k.kiosk_id}, {"lang", l}})}};
    if (f.health) {
      const KioskHealth& h = f.health->health;
      row["pending"] = std::to_string(h.pending);
      row["has_backlog_age"] = f.backlog_age_seconds.has_value();
      row["backlog_age"] = f.backlog_age_seconds ? span_text(*f.backlog_age_seconds, lang) : "";
      row["software"] = h.software_version;
      row["config_version"] = h.config_version ? std::to_string(*h.config_version) : tr("not_reported", lang);
      row["disk"] = bytes_text(h.disk_free_bytes, lang);
      row["skew"] = skew_text(f.health->skew_ms, lang);
    }
    rows << row;
  }
  // Sortable columns: a click sorts by it, a second click turns the order round.
  const std::string sort = q->sort;
  const std::string order = q->descending ? "desc" : "asc";
  Data columns = list();
  using Column = std::tuple<const char*, const char*, bool>;  // sort key ("" none), word, numeric
  for (auto [key, word, num] : std::initializer_list<Column>{
                                {"kiosk", "kiosk", false}, {"unit", "unit", false},
                                {"state", "state", false}, {"last_contact", "last_contact", false},
                                {"backlog", "backlog", true}, {"", "software", false},
                                {"", "config_version", true}, {"", "disk_free", true},
                                {"skew", "clock_skew", true}, {"", "responses", true},
                                {"", "quarantined", true}, {"", "findings", false}}) {
    Object c{{"text", std::string(tr(word, lang))}, {"num", num}};
    if (*key) {
      const bool on = sort == key;
      const std::string next = on && order == "asc" ? "desc" : "asc";
      c["href"] = with_params("/kiosks", {{"unit", unit}, {"state", state}, {"sort", key},
                                          {"order", next}, {"lang", l}});
      c["on"] = on;
      c["arrow"] = on ? (order == "asc" ? " ▲" : " ▼") : "";
    }
    columns << c;
  }
  Data units = list();
  {
    auto all = svc.units();
    if (!all.is_ok()) return page_error(res, &ctx, req, 503, all.status().message());
    if (!ctx.who.unit) units << Object{{"code", ""}, {"label", std::string(tr("all_units", lang))},
                                       {"selected", unit.empty()}};
    for (const UnitRecord& u : *all) {
      if (ctx.who.unit) {
        auto inside = svc.is_within(u.code, *ctx.who.unit);
        if (!inside.is_ok() || !*inside) continue;
      }
      units << Object{{"code", u.code}, {"label", u.code + " – " + u.name},
                      {"selected", u.code == unit}};
    }
  }
  Data states = list();
  for (KioskState s : {KioskState::online, KioskState::late, KioskState::offline,
                       KioskState::never}) {
    states << Object{{"value", to_string(s)}, {"text", state_word(s, lang)},
                     {"selected", state == to_string(s)}};
  }
  Data d = page_data(lang);
  d.set("rows", rows);
  d.set("any_rows", !fleet->empty());
  d.set("columns", columns);
  d.set("units", units);
  d.set("states", states);
  d.set("sort", sort);
  d.set("order", order);
  d.set("english", lang == "en");
  d.set("late_after", std::to_string(options.fleet.late_after.count()));
  d.set("offline_after", std::to_string(options.fleet.offline_after.count()));
  send_page(res, &ctx, req, tr("kiosks", lang), "kiosks", "kiosks", std::move(d));
}

void Dashboard::Impl::kiosk_page(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  PageContext ctx;
  if (!begin_page(req, res, ctx)) return;
  ScoreService& svc = **ctx.svc;
  const std::string& lang = ctx.lang;
  FleetQuery q;
  q.kiosk_id = param(req, "id");
  if (ctx.who.unit) {
    auto below = svc.store().unit_subtree(*ctx.who.unit);
    if (!below.is_ok()) return page_error(res, &ctx, req, 503, below.status().message());
    q.units = std::move(below).value();
  }
  auto fleet = load_fleet(svc.store(), q, clock->now(), options.fleet);
  if (!fleet.is_ok()) return page_error(res, &ctx, req, 503, fleet.status().message());
  if (fleet->empty()) {
    return page_error(res, &ctx, req, 404, tr("unknown_kiosk", lang) + (" " + *q.kiosk_id));
  }
  const FleetKiosk& f = fleet->front();
  auto contacts = svc.store().contacts(f.record.kiosk_id, 200);
  if (!contacts.is_ok()) return page_error(res, &ctx, req, 503, contacts.status().message());
  const std::string l = lang == "en" ? "en" : "";
  Data d = page_data(lang);
  d.set("back", with_params("/kiosks", {{"lang", l}}));
  d.set("id", f.record.kiosk_id);
  d.set("unit_code", f.record.unit);
  d.set("config_href", with_params("/config", {{"unit", f.record.unit}, {"kiosk", f.record.kiosk_id}, {"lang", l}}));
  ctx.unit = f.record.unit;
  d.set("state", to_string(f.state));
  d.set("state_text", state_word(f.state, lang));
  d.set("revoked", f.record.revoked_at.has_value());
  d.set("last_contact", local_minute(f.record.last_contact, lang));
  d.set("responses", std::to_string(f.responses));
  d.set("quarantined", std::to_string(f.quarantined));
  d.set("has_health", f.health.has_value());
  if (f.health) {
    const KioskHealth& h = f.health->health;
    d.set("pending", std::to_string(h.pending));
    d.set("has_backlog_age", f.backlog_age_seconds.has_value());
    d.set("backlog_age", f.backlog_age_seconds ? span_text(*f.backlog_age_seconds, lang) : "");
    d.set("software", h.software_version);
    d.set("outdated", f.software_outdated);
    d.set("config_outdated", f.config_outdated);
    d.set("config_expected", std::to_string(f.config_expected));
    d.set("config_version", h.config_version ? std::to_string(*h.config_version) : tr("not_reported", lang));
    d.set("disk", bytes_text(h.disk_free_bytes, lang));
    d.set("skew", skew_text(f.health->skew_ms, lang));
    d.set("uptime", span_text(h.uptime_seconds, lang));
    d.set("last_error", h.last_error.value_or(""));
    d.set("has_error", h.last_error.has_value());
    d.set("health_at", local_minute(f.health->received_at, lang));
  }
  Data findings = list();
  for (const auto& x : f.findings) {
    findings << Object{{"at", local_time_text(std::string_view(x.created_at), lang)}, {"kind", x.kind}, {"detail", x.detail}};
  }
  d.set("findings", findings);
  d.set("any_findings", !f.findings.empty());
  Data history = list();
  for (const KioskContact& c : *contacts) {
    Object row{{"at", local_time_text(std::string_view(c.received_at), lang, true)},
               {"heartbeat", c.heartbeat},
               {"responses", std::to_string(c.responses)},
               {"accepted", std::to_string(c.accepted)},
               {"duplicates", std::to_string(c.duplicates)},
               {"rejected", std::to_string(c.rejected)},
               {"skew", skew_text(c.skew_ms, lang)}};
    // Set in every row: mustache would otherwise show the kiosk's own values from the page.
    row["pending"] = c.health ? std::to_string(c.health->pending) : "–";
    row["software"] = c.health ? c.health->software_version : "–";
    row["config_version"] = c.health && c.health->config_version
                                ? std::to_string(*c.health->config_version)
                                : "–";
    history << row;
  }
  d.set("contacts", history);
  d.set("any_contacts", !contacts->empty());
  send_page(res, &ctx, req, tr("kiosk", lang) + (" " + f.record.kiosk_id), "kiosks", "kiosk",
            std::move(d));
}

// The configuration page: the unit's (or, with ?kiosk=, a kiosk's) own bundle in a form, what
// its kiosks get once merged down the tree, and the history of versions. A user sees and changes
// the units they may see (their own and those below), and the kiosks of those units.
void Dashboard::Impl::render_config(const httplib::Request& req, httplib::Response& res,
                                    PageContext& ctx, const std::string& unit,
                                    const std::string& kiosk, const std::string& message,
                                    bool error, const std::string* text, bool invalid_bundle) {
  ScoreService& svc = **ctx.svc;
  ServerStore& store = svc.store();
  const std::string& lang = ctx.lang;
  const std::string l = lang == "en" ? "en" : "";
  const std::string scope = kiosk.empty() ? kUnitScope : kKioskScope;
  const std::string id = kiosk.empty() ? unit : kiosk;
  auto own = store.latest_config_bundle(scope, id);
  auto history = store.config_bundle_history(scope, id);
  auto effective = effective_bundle(store, scope, id);
  auto kiosks = store.kiosks();
  auto units = svc.units();
  if (!own.is_ok() || !history.is_ok() || !effective.is_ok() || !kiosks.is_ok() || !units.is_ok()) {
    return page_error(res, &ctx, req, 503, "database error while reading the configuration");
  }
  ctx.unit = unit;
  std::string form_text = "{\n  \"settings\": {},\n  \"surveys\": [],\n  \"procedures\": null\n}";
  if (text) {
    form_text = *text;
  } else if (*own && (*own)->content) {
    form_text = json::parse(*(*own)->content).dump(2);
  }
  Data versions = list();
  for (const auto& r : *history) {
    versions << Object{{"version", std::to_string(r.version)},
                       {"at", local_time_text(std::string_view(r.uploaded_at), lang)},
                       {"by", r.uploaded_by}, {"removed", !r.content.has_value()}};
  }
  Data kiosk_links = list();
  bool any_kiosks = false;
  for (const auto& k : *kiosks) {
    if (k.unit != unit) continue;
    any_kiosks = true;
    kiosk_links << Object{{"id", k.kiosk_id},
                          {"href", with_params("/config", {{"unit", unit}, {"kiosk", k.kiosk_id},
                                                            {"lang", l}})},
                          {"on", k.kiosk_id == kiosk}};
  }
  Data unit_links = list();
  bool any_units = false;
  std::string unit_name = unit;
  for (const UnitRecord& u : *units) {
    if (u.code == unit) unit_name = u.code + " – " + u.name;
    if (u.parent != unit) continue;
    any_units = true;
    unit_links << Object{{"code", u.code}, {"name", u.name},
                         {"href", with_params("/config", {{"unit", u.code}, {"lang", l}})}};
  }
  Data d = page_data(lang);
  if (!kiosk.empty()) {
    // What the kiosk says it runs, beside what the server has for it.
    FleetQuery q;
    q.kiosk_id = kiosk;
    q.findings_limit = 0;
    auto fleet = load_fleet(store, q, clock->now(), options.fleet);
    if (!fleet.is_ok()) return page_error(res, &ctx, req, 503, fleet.status().message());
    const bool reported = !fleet->empty() && fleet->front().health &&
                          fleet->front().health->health.config_version;
    d.set("kiosk_running", reported ? std::to_string(*fleet->front().health->health.config_version)
                                    : tr("not_reported", lang));
    d.set("kiosk_href", with_params("/kiosk", {{"id", kiosk}, {"lang", l}}));
  }
  const bool has_own = *own && (*own)->content.has_value();
  d.set("unit_code", unit);
  d.set("unit_name", unit_name);
  d.set("scope_kiosk", kiosk);
  d.set("is_kiosk", !kiosk.empty());
  d.set("scope_name", kiosk.empty() ? unit_name : kiosk);
  d.set("unit_href", with_params("/config", {{"unit", unit}, {"lang", l}}));
  d.set("lang", l);
  d.set("text", form_text);
  d.set("has_message", !message.empty());
  d.set("message", message);
  d.set("is_error", error);
  d.set("invalid_bundle", invalid_bundle);
  d.set("has_own", has_own);
  d.set("kiosk_inherits", !kiosk.empty() && !has_own);
  d.set("effective_version", effective->version > 0 ? std::to_string(effective->version) : "");
  d.set("has_version", effective->version > 0);
  d.set("has_effective", effective->has_content);
  d.set("effective", effective->has_content ? bundle_content_json(effective->content).dump(2) : "");
  d.set("versions", versions);
  d.set("any_versions", !history->empty());
  d.set("kiosk_links", kiosk_links);
  d.set("any_kiosks", any_kiosks);
  d.set("unit_links", unit_links);
  d.set("any_units", any_units);
  d.set("has_csrf", ctx.who.csrf.has_value());
  if (ctx.who.csrf) d.set("csrf", *ctx.who.csrf);
  send_page(res, &ctx, req, tr("configuration", lang), "configuration", "config", std::move(d));
}

bool Dashboard::Impl::config_kiosk_of_unit(const httplib::Request& req, httplib::Response& res,
                                           PageContext& ctx, const std::string& unit,
                                           const std::string& kiosk) {
  if (kiosk.empty()) return true;
  auto kiosks = (**ctx.svc).store().kiosks();
  if (!kiosks.is_ok()) {
    page_error(res, &ctx, req, 503, kiosks.status().message());
    return false;
  }
  if (std::none_of(kiosks->begin(), kiosks->end(),
                   [&](const KioskRecord& k) { return k.kiosk_id == kiosk && k.unit == unit; })) {
    page_error(res, &ctx, req, 404, std::string(tr("config_unknown_kiosk", ctx.lang)) + " " + kiosk);
    return false;
  }
  return true;
}

void Dashboard::Impl::config_page(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  PageContext ctx;
  if (!begin_page(req, res, ctx)) return;
  std::string unit;
  if (!visible_unit(req, res, ctx, unit)) return;
  const std::string kiosk = param(req, "kiosk");
  if (!config_kiosk_of_unit(req, res, ctx, unit, kiosk)) return;
  std::string message;
  if (auto saved = opt_param(req, "saved")) message = std::string(tr("config_saved", ctx.lang)) + " " + *saved;
  render_config(req, res, ctx, unit, kiosk, message, false, nullptr);
}

// What both configuration forms check first: a page context, the session's CSRF token (HTTP Basic
// callers have none and cannot post), a unit the user may see and, when given, a kiosk of it.
// False when a reply has been sent.
bool Dashboard::Impl::begin_config_form(const httplib::Request& req, httplib::Response& res,
                                        PageContext& ctx, std::string& unit, std::string& kiosk) {
  no_store(res);
  if (!begin_page(req, res, ctx)) return false;
  if (!ctx.who.csrf || !same_secret(*ctx.who.csrf, param(req, "csrf"))) {
    page_error(res, &ctx, req, 403, "CSRF token missing or wrong");
    return false;
  }
  if (!visible_unit(req, res, ctx, unit)) return false;
  kiosk = param(req, "kiosk");
  return config_kiosk_of_unit(req, res, ctx, unit, kiosk);
}

void Dashboard::Impl::config_post(const httplib::Request& req, httplib::Response& res) {
  PageContext ctx;
  std::string unit, kiosk;
  if (!begin_config_form(req, res, ctx, unit, kiosk)) return;
  ServerStore& store = (**ctx.svc).store();
  const std::string scope = kiosk.empty() ? kUnitScope : kKioskScope;
  const std::string id = kiosk.empty() ? unit : kiosk;
  const std::string text = param(req, "bundle");
  Result<std::int64_t> version = Status::ok();
  const bool removing = param(req, "action") == "remove";
  if (removing) {
    // One click must not throw a unit's configuration away: the form's box must be ticked.
    if (param(req, "confirm_remove") != "1") {
      res.status = 422;
      return render_config(req, res, ctx, unit, kiosk, tr("config_remove_unconfirmed", ctx.lang),
                           true, &text);
    }
    version = remove_bundle(store, scope, id, ctx.who.user, clock->now());
  } else {
    json doc = json::parse(text, nullptr, false);
    auto content = doc.is_discarded()
                       ? Result<BundleContent>(Status::error(ErrorCode::invalid_argument,
                                                             "bundle: malformed JSON"))
                       : parse_bundle_content(doc, "bundle");
    if (content.is_ok()) {
      auto stored = put_bundle(store, scope, id, *content, ctx.who.user, clock->now());
      version = stored.is_ok() ? Result<std::int64_t>(stored->version) : Result<std::int64_t>(stored.status());
    } else {
      version = content.status();
    }
  }
  if (!version.is_ok()) {
    const bool refused = version.status().code() == ErrorCode::invalid_argument ||
                         version.status().code() == ErrorCode::not_found;
    res.status = refused ? 422 : 503;
    return render_config(req, res, ctx, unit, kiosk, version.status().message(), true, &text,
                         refused && !removing);
  }
  res.status = 303;
  res.set_header("Location", with_params("/config", {{"unit", unit}, {"kiosk", kiosk},
                                                      {"saved", std::to_string(*version)},
                                                      {"lang", ctx.lang == "en" ? "en" : ""}}));
}

void Dashboard::Impl::config_too_large(const httplib::Request& req, httplib::Response& res) {
  PageContext ctx;
  std::string unit, kiosk;
  if (!begin_config_form(req, res, ctx, unit, kiosk)) return;
  const std::string text = param(req, "bundle");
  res.status = 413;
  render_config(req, res, ctx, unit, kiosk,
                tr("config_too_large", ctx.lang) + (" " + std::to_string(kMaxConfigFormBytes / 1024)) + " KiB.",
                true, &text);
}

void Dashboard::Impl::form_too_large(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  PageContext ctx;
  if (!begin_page(req, res, ctx)) return;
  page_error(res, &ctx, req, 413, tr("form_too_large", ctx.lang));
}

Result<std::optional<AlertRecord>> Dashboard::Impl::visible_alert(ScoreService& svc,
                                                                  const Principal& who,
                                                                  std::int64_t id) {
  AlertFilter filter;
  filter.state = "all";
  filter.id = id;
  auto found = svc.store().alerts(filter);
  if (!found.is_ok()) return found.status();
  if (found->empty()) return std::optional<AlertRecord>();
  auto access = unit_access(svc, who, found->front().unit);
  if (!access.is_ok()) return access.status();
  // Someone else's alert is answered as an unknown one: its number tells nothing.
  if (*access != UnitAccess::visible) return std::optional<AlertRecord>();
  return std::optional<AlertRecord>(found->front());
}

void Dashboard::Impl::add_alerts(Data& d, PageContext& ctx, const std::string& unit,
                                 const httplib::Request& req) {
  ScoreService& svc = **ctx.svc;
  AlertFilter filter;
  auto below = svc.store().unit_subtree(unit);
  if (below.is_ok()) filter.units = *below;
  auto open = below.is_ok() ? svc.store().alerts(filter) : Result<std::vector<AlertRecord>>(below.status());
  Data rows = list();
  std::size_t n = 0;
  if (open.is_ok()) {
    n = open->size();
    for (const AlertRecord& a : *open) {
      rows << Object{{"id", std::to_string(a.id)},
                     {"kind", tr("alert_" + a.kind, ctx.lang)},
                     {"kind_code", a.kind},
                     {"kiosk", a.kiosk_id.value_or("")},
                     {"unit_code", a.unit},
                     {"opened", local_time_text(a.opened_at, ctx.lang)},
                     {"count", std::to_string(a.count)},
                     {"detail", ctx.lang == "vi" && !a.detail_vi.empty() ? a.detail_vi : a.detail},
                     {"acked", a.acked_by.has_value()},
                     {"acked_by", a.acked_by.value_or("")},
                     {"acked_at", a.acked_at ? local_time_text(*a.acked_at, ctx.lang) : ""},
                     {"can_ack", ctx.who.csrf.has_value()},
                     {"csrf", ctx.who.csrf.value_or("")},
                     {"back", req.target}};
    }
  }
  d.set("alert_count", std::to_string(n));
  d.set("alerts_open", n > 0 ? "open" : "");
  d.set("any_alerts", n > 0);
  d.set("alerts", rows);
}

void Dashboard::Impl::api_alerts(const httplib::Request& req, httplib::Response& res) {
  std::optional<Lease> svc;
  std::string unit;
  if (!authorize_api(req, res, svc, unit)) return;
  AlertFilter filter;
  filter.state = req.has_param("state") ? param(req, "state") : "open";
  if (filter.state != "open" && filter.state != "cleared" && filter.state != "all") {
    return send_error(res, 400, "state must be open, cleared or all");
  }
  auto below = (*svc)->store().unit_subtree(unit);
  if (!below.is_ok()) return send_error(res, 503, below.status().message());
  filter.units = *below;
  auto found = (*svc)->store().alerts(filter);
  if (!found.is_ok()) return send_error(res, 503, found.status().message());
  json list = json::array();
  for (const AlertRecord& a : *found) list.push_back(alert_to_json(a));
  send_json(res, 200, json{{"unit", unit}, {"state", filter.state}, {"alerts", std::move(list)}});
}

void Dashboard::Impl::api_alert_rules(const httplib::Request& req, httplib::Response& res) {
  std::optional<Lease> svc;
  std::string unit;
  if (!authorize_api(req, res, svc, unit)) return;
  auto texts = (*svc)->store().alert_rules();
  auto units = (*svc)->units();
  if (!texts.is_ok() || !units.is_ok()) return send_error(res, 503, "database error reading alert rules");
  std::map<std::string, AlertRules> rules;
  for (const auto& [u, text] : *texts) {
    auto parsed = parse_alert_rules(text, "the stored alert rules of " + u);
    if (parsed.is_ok()) rules[u] = *parsed;
  }
  std::map<std::string, std::optional<std::string>> parents;
  for (const auto& u : *units) parents[u.code] = u.parent;
  json effective = json::parse(effective_rules_json(effective_alert_rules(unit, rules, parents)));
  send_json(res, 200, json{{"unit", unit}, {"rules", std::move(effective)}});
}

bool Dashboard::Impl::authorize_write(const httplib::Request& req, httplib::Response& res,
                                      std::optional<Lease>& lease, Principal& who) {
  if (!authenticate(req, res, lease, who)) return false;
  if (who.csrf) {
    std::string token = param(req, "csrf");
    if (token.empty()) token = req.get_header_value("X-CSRF-Token");
    if (!same_secret(*who.csrf, token)) {
      send_error(res, 403, "missing or wrong CSRF token");
      return false;
    }
  }
  return true;
}

// POST /api/v1/alerts/{id}/ack. A session's caller sends its CSRF token (form field csrf or
// header X-CSRF-Token); HTTP Basic callers have no session to forge.
void Dashboard::Impl::api_alert_ack(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  const std::string prefix = "/api/v1/alerts/";
  std::string rest = req.path.substr(prefix.size());
  std::int64_t id = 0;
  const auto slash = rest.find('/');
  if (slash == std::string::npos || rest.substr(slash) != "/ack" || slash == 0 || slash > 18 ||
      rest.find_first_not_of("0123456789") != slash) {
    return send_error(res, 404, "not found");
  }
  id = std::stoll(rest.substr(0, slash));
  std::optional<Lease> lease;
  Principal who;
  if (!authorize_write(req, res, lease, who)) return;
  auto alert = visible_alert(**lease, who, id);
  if (!alert.is_ok()) return send_error(res, 503, alert.status().message());
  if (!*alert) return send_error(res, 404, "unknown alert " + std::to_string(id));
  Status s = (*lease)->store().ack_alert(id, who.user, clock->now(), ack_closes((*alert)->kind));
  if (!s.is_ok()) return send_error(res, 503, s.message());
  auto after = visible_alert(**lease, who, id);
  if (!after.is_ok() || !*after) return send_error(res, 503, "the alert could not be read back");
  send_json(res, 200, json{{"alert", alert_to_json(**after)}});
}

void Dashboard::Impl::alert_ack_form(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  PageContext ctx;
  if (!begin_page(req, res, ctx)) return;
  if (!ctx.who.csrf || !same_secret(*ctx.who.csrf, param(req, "csrf"))) {
    return page_error(res, &ctx, req, 403, tr("forbidden", ctx.lang));
  }
  const std::string id_text = param(req, "id");
  if (id_text.empty() || id_text.size() > 18 ||
      id_text.find_first_not_of("0123456789") != std::string::npos) {
    return page_error(res, &ctx, req, 400, "id must be an alert number");
  }
  const std::int64_t id = std::stoll(id_text);
  auto alert = visible_alert(**ctx.svc, ctx.who, id);
  if (!alert.is_ok()) return page_error(res, &ctx, req, 503, alert.status().message());
  if (!*alert) return page_error(res, &ctx, req, 404, "unknown alert " + id_text);
  Status s = (*ctx.svc)->store().ack_alert(id, ctx.who.user, clock->now(), ack_closes((*alert)->kind));
  if (!s.is_ok()) return page_error(res, &ctx, req, 503, s.message());
  redirect(res, safe_next(param(req, "back")));
}

Dashboard::Dashboard(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Dashboard::~Dashboard() = default;

Result<std::unique_ptr<Dashboard>> Dashboard::create(const std::string& db_path,
                                                     DashboardOptions options) {
  auto impl = std::make_unique<Impl>(db_path, options);
  auto first = impl->acquire();
  if (!first.is_ok()) return first.status();
  return std::unique_ptr<Dashboard>(new Dashboard(std::move(impl)));
}

void Dashboard::install(http::Router& http) { impl_->install(http); }

std::optional<int> run_dashboard_command(const std::vector<std::string>& args, std::ostream& out,
                                         std::ostream& err) {
  if (args.size() < 2) return std::nullopt;
  std::string command = args[0] + " " + args[1];
  if (command != "rollup rebuild" && command != "user login-link") return std::nullopt;
  const bool rebuild = command == "rollup rebuild";
  auto parsed = parse_command_options(
      args, 2, command,
      rebuild ? std::set<std::string>{"db"} : std::set<std::string>{"db", "user", "next"},
      rebuild ? std::set<std::string>{"db"} : std::set<std::string>{"db", "user"}, {}, err);
  if (!parsed) return 2;
  std::map<std::string, std::string>& opts = *parsed;
  if (command == "rollup rebuild") {
    auto svc = ScoreService::open(opts["db"]);
    if (!svc.is_ok()) {
      err << "sipas-server rollup rebuild: " << svc.status().message() << "\n";
      return 1;
    }
    Status s = (*svc)->rebuild();
    if (!s.is_ok()) {
      err << "sipas-server rollup rebuild: " << s.message() << "\n";
      return 1;
    }
    out << "rollups rebuilt\n";
    return 0;
  }
  auto token = create_login_link_at(opts["db"], opts["user"], SystemClock().now());
  if (!token.is_ok()) {
    err << "sipas-server user login-link: " << token.status().message() << "\n";
    return 1;
  }
  out << with_params("/login/link", {{"token", *token}, {"next", safe_next(opts["next"])}})
      << "\n";
  return 0;
}

// Improvement actions: the caller is checked here, the rest is actions_api.cpp's.
void Dashboard::Impl::api_actions(const httplib::Request& req, httplib::Response& res) {
  std::optional<Lease> svc;
  std::string unit;
  if (!authorize_api(req, res, svc, unit)) return;
  auto window = effect_window_days(opt_param(req, "window_weeks"), options.effect_window_days);
  if (!window.is_ok()) return send_error(res, 400, window.status().message());
  auto today = (*svc)->today(unit, clock->now());
  if (!today.is_ok()) return send_error(res, 503, today.status().message());
  ActionReply r = list_actions_reply(**svc, unit, *today, lang_of(req), *window);
  send_json(res, r.status, r.body);
}

// POST /api/v1/actions, PUT and DELETE /api/v1/actions/{id}. A session's caller sends its CSRF
// token (header X-CSRF-Token, or a csrf parameter) as for an alert's acknowledgement.
void Dashboard::Impl::api_action_write(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  std::optional<std::int64_t> id;
  if (req.method != "POST") {
    id = action_id_of_path(req.path);
    if (!id) return send_error(res, 404, "not found");
  }
  std::optional<Lease> lease;
  Principal who;
  if (!authorize_write(req, res, lease, who)) return;
  auto window = effect_window_days(opt_param(req, "window_weeks"), options.effect_window_days);
  if (!window.is_ok()) return send_error(res, 400, window.status().message());
  auto home = home_unit(**lease, who);
  if (!home.is_ok()) return send_error(res, 503, home.status().message());
  auto today = (*lease)->today(*home, clock->now());
  if (!today.is_ok()) return send_error(res, 503, today.status().message());
  const ActionCaller me{who.user, who.unit};
  const std::string lang = lang_of(req);
  ActionReply r =
      req.method == "POST"
          ? create_action_reply(**lease, me, req.body, clock->now(), *today, lang, *window)
      : req.method == "PUT"
          ? update_action_reply(**lease, me, *id, req.body, clock->now(), *today, lang, *window)
          : delete_action_reply(**lease, me, *id);
  send_json(res, r.status, r.body);
}

void Dashboard::Impl::action_add_form(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  PageContext ctx;
  if (!begin_page(req, res, ctx)) return;
  if (!ctx.who.csrf || !same_secret(*ctx.who.csrf, param(req, "csrf"))) {
    return page_error(res, &ctx, req, 403, tr("forbidden", ctx.lang));
  }
  ActionFormState state;
  state.fields = action_fields_of_form([&](const char* k) { return opt_param(req, k); });
  FormOutcome out = add_action_form(**ctx.svc, ActionCaller{ctx.who.user, ctx.who.unit},
                                    state.fields, clock->now(), ctx.lang);
  if (out.status == 200) return redirect(res, safe_next(param(req, "back")) + "#actions");
  if (out.status != 422) return page_error(res, &ctx, req, out.status, out.message);
  state.error = out.message;
  ctx.svc.reset();
  res.status = 422;
  unit_page_with(req, res, &state);
}

void Dashboard::Impl::action_status_form(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  PageContext ctx;
  if (!begin_page(req, res, ctx)) return;
  if (!ctx.who.csrf || !same_secret(*ctx.who.csrf, param(req, "csrf"))) {
    return page_error(res, &ctx, req, 403, tr("forbidden", ctx.lang));
  }
  const std::string id_text = param(req, "id");
  if (id_text.empty() || id_text.size() > 18 ||
      id_text.find_first_not_of("0123456789") != std::string::npos) {
    return page_error(res, &ctx, req, 400, "id must be an action number");
  }
  ActionFormState state;
  state.id = std::stoll(id_text);
  state.fields.status = param(req, "status");
  FormOutcome out = set_action_status_form(**ctx.svc, ActionCaller{ctx.who.user, ctx.who.unit},
                                           *state.id, *state.fields.status, clock->now(), ctx.lang);
  if (out.status == 200) return redirect(res, safe_next(param(req, "back")) + "#actions");
  if (out.status != 422) return page_error(res, &ctx, req, out.status, out.message);
  state.error = out.message;
  ctx.svc.reset();
  res.status = 422;
  unit_page_with(req, res, &state);
}

}  // namespace sipas
