#include "sipas/server/dashboard.hpp"

#include <httplib.h>

#include <algorithm>
#include <map>
#include <set>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "html.hpp"
#include "sipas/crypto.hpp"
#include "sipas/server/auth.hpp"
#include "sipas/server/reports.hpp"
#include "sipas/server/scores.hpp"
#include "sipas/server/sessions.hpp"

namespace sipas {
namespace {

using nlohmann::json;
using html::esc;
using html::tr;

constexpr const char* kSessionCookie = "sipas_session";
constexpr const char* kLoginCookie = "sipas_login";

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

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, json{{"error", message}});
}

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

bool is_loopback(const std::string& addr) {
  return addr == "127.0.0.1" || addr == "::1" || addr == "::ffff:127.0.0.1";
}

// A local path to return to after logging in; anything else becomes "/".
std::string safe_next(const std::string& next) {
  if (next.empty() || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\'))) {
    return "/";
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

std::string index_class(const json& v) {
  if (!v.is_number()) return "idx";
  double d = v.get<double>();
  return d >= 80 ? "idx good" : d >= 60 ? "idx fair" : "idx poor";
}

std::optional<double> num(const json& v) {
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

}  // namespace

struct Dashboard::Impl {
  Impl(std::string path, DashboardOptions opts)
      : db_path(std::move(path)), options(opts), clock(opts.clock ? opts.clock : &system_clock) {}

  std::string db_path;
  DashboardOptions options;
  SystemClock system_clock;
  const Clock* clock;
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

  // Who is calling: a session cookie, else HTTP Basic. nullopt when neither is valid.
  Result<std::optional<Principal>> principal(ScoreService& svc, const httplib::Request& req) {
    if (auto token = cookie(req, kSessionCookie)) {
      auto s = svc.store().find_session(*token, clock->now());
      if (!s.is_ok()) return s.status();
      if (*s) return std::optional<Principal>(Principal{(*s)->user, (*s)->unit, (*s)->csrf});
    }
    if (req.has_header("Authorization")) {
      auto who = authenticate_user(svc.store(), req.get_header_value("Authorization"));
      if (who.is_ok()) return std::optional<Principal>(Principal{who->user, who->unit, std::nullopt});
      if (who.status().code() != ErrorCode::not_found) return who.status();
    }
    return std::optional<Principal>();
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
      return DateRange{*from, *to};
    }
    Date d = *today;
    if (req.has_param("date")) {
      auto parsed = parse_date(param(req, "date"));
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

  void install(httplib::Server& http);
  // The common start of the API calls: a connection, the caller (401 with WWW-Authenticate
  // otherwise) and the unit asked for (the caller's top unit when none is), known (404) and
  // visible to the caller (403). false when `res` already holds the error.
  bool authorize_api(const httplib::Request& req, httplib::Response& res,
                     std::optional<Lease>& svc, std::string& unit);
  void api_scores(const httplib::Request& req, httplib::Response& res);
  void api_reports(const httplib::Request& req, httplib::Response& res);
  void login_page(const httplib::Request& req, httplib::Response& res);
  void login_post(const httplib::Request& req, httplib::Response& res);
  void logout(const httplib::Request& req, httplib::Response& res);
  void login_link(const httplib::Request& req, httplib::Response& res);
  void unit_page(const httplib::Request& req, httplib::Response& res);
  void comments_page(const httplib::Request& req, httplib::Response& res);
  void kiosks_page(const httplib::Request& req, httplib::Response& res);

  // Common start of every page: a connection, the user (else a redirect to the login page).
  struct PageContext {
    std::optional<Lease> svc;
    Principal who;
    std::string home;
    std::string lang;
  };
  bool begin_page(const httplib::Request& req, httplib::Response& res, PageContext& ctx);
  // The unit a request asks for, checked against what the user may see (403 page otherwise).
  bool visible_unit(const httplib::Request& req, httplib::Response& res, PageContext& ctx,
                    std::string& unit);
  std::string layout(const PageContext& ctx, const httplib::Request& req, const std::string& title,
                     const std::string& active, const std::string& body);
  void page_error(httplib::Response& res, const PageContext* ctx, const httplib::Request& req,
                  int status, const std::string& message);
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

std::string Dashboard::Impl::layout(const PageContext& ctx, const httplib::Request& req,
                                    const std::string& title, const std::string& active,
                                    const std::string& body) {
  const std::string& lang = ctx.lang;
  std::string l = lang == "en" ? "en" : "";
  auto nav = [&](const char* key, const std::string& href) {
    return std::string("<a href=\"") + esc(href) + "\"" + (active == key ? " class=\"on\"" : "") +
           ">" + tr(key, lang) + "</a>";
  };
  std::string h = "<!doctype html><html lang=\"" + lang +
                  "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                  "content=\"width=device-width, initial-scale=1\"><title>" +
                  esc(title) + " · SIPAS</title><link rel=\"stylesheet\" href=\"/assets/app.css\">"
                  "</head><body><header class=\"top\"><span class=\"brand\">" +
                  tr("app", lang) + "</span><nav>" + nav("overview", with_params("/", {{"lang", l}})) +
                  nav("comments", with_params("/comments", {{"lang", l}})) +
                  nav("kiosks", with_params("/kiosks", {{"lang", l}})) +
                  "</nav><div class=\"right\"><a id=\"lang-switch\" href=\"" +
                  esc(lang_switch_url(req, lang)) + "\">" + (lang == "en" ? "Tiếng Việt" : "English") +
                  "</a><span>" + esc(ctx.who.user) + "</span>";
  if (ctx.who.csrf) {
    h += "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"" +
         esc(*ctx.who.csrf) + "\"><button type=\"submit\">" + tr("logout", lang) +
         "</button></form>";
  }
  h += "</div></header><main>" + body + "</main></body></html>";
  return h;
}

void Dashboard::Impl::page_error(httplib::Response& res, const PageContext* ctx,
                                 const httplib::Request& req, int status,
                                 const std::string& message) {
  no_store(res);
  res.status = status;
  std::string body = "<h1>" + std::to_string(status) + "</h1><p class=\"error\">" + esc(message) +
                     "</p><p><a href=\"/\">" + tr("back", ctx ? ctx->lang : "vi") + "</a></p>";
  std::string page = ctx ? layout(*ctx, req, std::to_string(status), "", body)
                         : "<!doctype html><html><head><meta charset=\"utf-8\"><link "
                           "rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main>" +
                               body + "</main></body></html>";
  res.set_content(page, "text/html; charset=utf-8");
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
  auto who = principal(**ctx.svc, req);
  if (!who.is_ok()) {
    page_error(res, nullptr, req, 503, who.status().message());
    return false;
  }
  if (!*who) {
    no_store(res);
    redirect(res, with_params("/login", {{"next", req.target}, {"lang", ctx.lang == "en" ? "en" : ""}}));
    return false;
  }
  ctx.who = **who;
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
  auto units = (*ctx.svc)->units();
  if (!units.is_ok()) {
    page_error(res, &ctx, req, 503, units.status().message());
    return false;
  }
  bool known = std::any_of(units->begin(), units->end(),
                           [&](const UnitRecord& u) { return u.code == unit; });
  if (!known) {
    page_error(res, &ctx, req, 404, (ctx.lang == "en" ? "Unknown unit " : "Không có đơn vị ") + unit);
    return false;
  }
  if (ctx.who.unit) {
    auto inside = (*ctx.svc)->is_within(unit, *ctx.who.unit);
    if (!inside.is_ok() || !*inside) {
      page_error(res, &ctx, req, 403, tr("forbidden", ctx.lang));
      return false;
    }
  }
  return true;
}

void Dashboard::Impl::install(httplib::Server& http) {
  http.Get("/api/v1/scores", [this](const httplib::Request& q, httplib::Response& r) { api_scores(q, r); });
  http.Get("/api/v1/reports", [this](const httplib::Request& q, httplib::Response& r) { api_reports(q, r); });
  http.Get("/login", [this](const httplib::Request& q, httplib::Response& r) { login_page(q, r); });
  http.Post("/login", [this](const httplib::Request& q, httplib::Response& r) { login_post(q, r); });
  http.Post("/logout", [this](const httplib::Request& q, httplib::Response& r) { logout(q, r); });
  http.Get("/login/link", [this](const httplib::Request& q, httplib::Response& r) { login_link(q, r); });
  http.Get("/", [this](const httplib::Request& q, httplib::Response& r) { unit_page(q, r); });
  http.Get("/unit", [this](const httplib::Request& q, httplib::Response& r) { unit_page(q, r); });
  http.Get("/comments", [this](const httplib::Request& q, httplib::Response& r) { comments_page(q, r); });
  http.Get("/kiosks", [this](const httplib::Request& q, httplib::Response& r) { kiosks_page(q, r); });
  http.Get("/assets/app.css", [](const httplib::Request&, httplib::Response& r) {
    r.set_header("Cache-Control", "max-age=3600");
    r.set_content(std::string(html::app_css()), "text/css; charset=utf-8");
  });
}

bool Dashboard::Impl::authorize_api(const httplib::Request& req, httplib::Response& res,
                                    std::optional<Lease>& svc, std::string& unit) {
  res.set_header("Cache-Control", "no-store");
  auto lease = acquire();
  if (!lease.is_ok()) {
    send_error(res, 503, lease.status().message());
    return false;
  }
  svc.emplace(std::move(lease).value());
  auto who = principal(**svc, req);
  if (!who.is_ok()) {
    send_error(res, 503, who.status().message());
    return false;
  }
  if (!*who) {
    res.set_header("WWW-Authenticate", "Basic realm=\"sipas\", charset=\"UTF-8\"");
    send_error(res, 401, "log in, or send HTTP Basic credentials of a user");
    return false;
  }
  auto home = home_unit(**svc, **who);
  if (!home.is_ok()) {
    send_error(res, 404, home.status().message());
    return false;
  }
  unit = param(req, "unit");
  if (unit.empty()) unit = *home;
  auto units = (*svc)->units();
  if (!units.is_ok()) {
    send_error(res, 503, units.status().message());
    return false;
  }
  if (std::none_of(units->begin(), units->end(),
                   [&](const UnitRecord& u) { return u.code == unit; })) {
    send_error(res, 404, "unknown unit " + unit);
    return false;
  }
  if ((*who)->unit) {
    auto inside = (*svc)->is_within(unit, *(*who)->unit);
    if (!inside.is_ok()) {
      send_error(res, 503, inside.status().message());
      return false;
    }
    if (!*inside) {
      send_error(res, 403, "user " + (*who)->user + " may not see unit " + unit);
      return false;
    }
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
  send_json(res, 200, *scores);
}

void Dashboard::Impl::api_reports(const httplib::Request& req, httplib::Response& res) {
  std::optional<Lease> svc;
  std::string unit;
  if (!authorize_api(req, res, svc, unit)) return;
  auto range = range_of(**svc, req, unit);
  if (!range.is_ok()) return send_error(res, 400, range.status().message());
  std::string format = param(req, "format");
  if (format.empty()) format = "csv";
  if (format != "csv" && format != "xlsx") return send_error(res, 400, "format must be csv or xlsx");
  std::string kind = param(req, "kind");
  if (kind.empty()) kind = "report";
  if (kind != "report" && kind != "raw") return send_error(res, 400, "kind must be report or raw");
  std::string lang = lang_of(req);

  std::vector<Table> tables;
  if (kind == "report") {
    auto report = build_report(**svc, unit, *range, lang);
    if (!report.is_ok()) return send_error(res, 503, report.status().message());
    tables = report_tables(*report, **svc);
  } else {
    auto rows = (*svc)->raw_responses(unit, *range, kRawExportRows);
    if (!rows.is_ok()) return send_error(res, 503, rows.status().message());
    tables = raw_tables(*rows, **svc, lang);
  }
  std::string name = "sipas-" + kind + "-" + unit + "-" + format_date(range->from) + "-" +
                     format_date(range->to) + "." + format;
  res.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
  if (format == "csv") {
    res.set_content(to_csv(tables), "text/csv; charset=utf-8");
  } else {
    auto bytes = to_xlsx(tables);
    if (!bytes.is_ok()) return send_error(res, 500, bytes.status().message());
    res.set_content(*bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  }
}

namespace {

std::string login_html(const std::string& lang, const std::string& csrf, const std::string& next,
                       bool failed) {
  std::string h = "<!doctype html><html lang=\"" + lang +
                  "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                  "content=\"width=device-width, initial-scale=1\"><title>" +
                  tr("login", lang) + " · SIPAS</title><link rel=\"stylesheet\" "
                  "href=\"/assets/app.css\"></head><body><form class=\"login\" method=\"post\" "
                  "action=\"/login\"><h1>" +
                  tr("app", lang) + "</h1>";
  if (failed) h += "<p class=\"error\" id=\"login-error\">" + std::string(tr("bad_login", lang)) + "</p>";
  h += "<input type=\"hidden\" name=\"csrf\" value=\"" + esc(csrf) +
       "\"><input type=\"hidden\" name=\"next\" value=\"" + esc(next) +
       "\"><input type=\"hidden\" name=\"lang\" value=\"" + esc(lang) + "\"><label>" +
       tr("user", lang) + "<input name=\"user\" autocomplete=\"username\" required></label><label>" +
       tr("password", lang) +
       "<input name=\"password\" type=\"password\" autocomplete=\"current-password\" "
       "required></label><button type=\"submit\">" +
       tr("login", lang) + "</button><p class=\"note\"><a href=\"" +
       esc(with_params("/login", {{"next", next}, {"lang", lang == "en" ? "" : "en"}})) + "\">" +
       (lang == "en" ? "Tiếng Việt" : "English") + "</a></p></form></body></html>";
  return h;
}

void set_login_cookie(httplib::Response& res, const std::string& token) {
  res.set_header("Set-Cookie", std::string(kLoginCookie) + "=" + token +
                                   "; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600");
}

void set_session_cookie(httplib::Response& res, const std::string& token) {
  res.set_header("Set-Cookie",
                 std::string(kSessionCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                     std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kSessionLifetime).count()));
}

}  // namespace

void Dashboard::Impl::login_page(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  std::string lang = lang_of(req);
  std::string csrf = cookie(req, kLoginCookie).value_or("");
  if (csrf.size() != 32) {
    csrf = random_token(16);
    set_login_cookie(res, csrf);
  }
  res.set_content(login_html(lang, csrf, safe_next(param(req, "next")), false),
                  "text/html; charset=utf-8");
}

void Dashboard::Impl::login_post(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  std::string lang = lang_of(req);
  auto expected = cookie(req, kLoginCookie);
  if (!expected || !same_secret(*expected, param(req, "csrf"))) {
    page_error(res, nullptr, req, 403,
               lang == "en" ? "The form has expired; open the login page again."
                            : "Biểu mẫu đã hết hạn; hãy mở lại trang đăng nhập.");
    return;
  }
  std::string next = safe_next(param(req, "next"));
  auto svc = acquire();
  if (!svc.is_ok()) return page_error(res, nullptr, req, 503, svc.status().message());
  std::string user = param(req, "user");
  std::string password = param(req, "password");
  auto creds = base64_encode(user + ":" + password);
  auto who = authenticate_user((*svc)->store(), "Basic " + creds);
  if (!who.is_ok()) {
    if (who.status().code() != ErrorCode::not_found) {
      return page_error(res, nullptr, req, 503, who.status().message());
    }
    res.status = 401;
    res.set_content(login_html(lang, *expected, next, true), "text/html; charset=utf-8");
    return;
  }
  auto session = (*svc)->store().create_session(who->user, clock->now());
  if (!session.is_ok()) return page_error(res, nullptr, req, 503, session.status().message());
  set_session_cookie(res, session->token);
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
  res.set_header("Set-Cookie", std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  redirect(res, "/login");
}

void Dashboard::Impl::login_link(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  if (!is_loopback(req.remote_addr)) {
    return page_error(res, nullptr, req, 403, "login links work only from the server itself");
  }
  auto svc = acquire();
  if (!svc.is_ok()) return page_error(res, nullptr, req, 503, svc.status().message());
  auto user = (*svc)->store().redeem_login_link(param(req, "token"), clock->now());
  if (!user.is_ok()) return page_error(res, nullptr, req, 503, user.status().message());
  if (!*user) return page_error(res, nullptr, req, 403, "this login link is unknown, used or expired");
  auto session = (*svc)->store().create_session(**user, clock->now());
  if (!session.is_ok()) return page_error(res, nullptr, req, 503, session.status().message());
  set_session_cookie(res, session->token);
  redirect(res, safe_next(param(req, "next")));
}

namespace {

std::string period_picker(const httplib::Request& req, const std::string& path,
                          const std::string& lang, const DateRange& range,
                          const std::vector<std::pair<std::string, std::string>>& keep,
                          const std::string& exports) {
  std::string period = param(req, "period");
  if (period.empty()) period = (req.has_param("from") || req.has_param("to")) ? "range" : "month";
  std::string h = "<form class=\"picker\" method=\"get\" action=\"" + esc(path) + "\">";
  for (const auto& [k, v] : keep) {
    if (!v.empty()) h += "<input type=\"hidden\" name=\"" + esc(k) + "\" value=\"" + esc(v) + "\">";
  }
  if (lang == "en") h += "<input type=\"hidden\" name=\"lang\" value=\"en\">";
  h += "<label>" + std::string(tr("period", lang)) + "<select name=\"period\" id=\"period\">";
  for (const char* k : {"day", "week", "month", "quarter", "6m", "9m", "year", "range"}) {
    h += std::string("<option value=\"") + k + "\"" + (period == k ? " selected" : "") + ">" +
         tr(k, lang) + "</option>";
  }
  std::string date = param(req, "date");
  if (date.empty()) date = format_date(range.to);
  h += "</select></label><label>" + std::string(tr("date", lang)) +
       "<input type=\"date\" name=\"date\" value=\"" + esc(date) + "\"></label><label>" +
       tr("from", lang) + "<input type=\"date\" name=\"from\" value=\"" +
       esc(format_date(range.from)) + "\"></label><label>" + tr("to", lang) +
       "<input type=\"date\" name=\"to\" value=\"" + esc(format_date(range.to)) +
       "\"></label><button type=\"submit\">" + tr("show", lang) + "</button>";
  h += "<span class=\"exports\">" + exports + "</span></form>";
  return h;
}

}  // namespace

void Dashboard::Impl::unit_page(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  PageContext ctx;
  if (!begin_page(req, res, ctx)) return;
  std::string unit;
  if (!visible_unit(req, res, ctx, unit)) return;
  ScoreService& svc = **ctx.svc;
  const std::string& lang = ctx.lang;
  const std::string l = lang == "en" ? "en" : "";

  // The range: period/date, or from/to (a range picked as "range" uses the date inputs below).
  httplib::Request adjusted = req;
  if (param(req, "period") == "range" && !req.has_param("from")) {
    adjusted.params.erase("period");
  }
  auto range = range_of(svc, adjusted, unit);
  if (!range.is_ok()) return page_error(res, &ctx, req, 400, range.status().message());

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
  const json& s = *scores;
  std::string procedure_shown;
  if (q.procedure) {
    procedure_shown = s["procedure_name"].is_string()
                          ? s["procedure_name"].get<std::string>() + " (" + *q.procedure + ")"
                          : *q.procedure;
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

  std::string b;
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
    b += "<div class=\"crumbs\">";
    for (std::size_t i = 0; i < chain.size(); ++i) {
      if (i) b += " › ";
      b += "<a href=\"" + esc(link_with("/unit", {{"unit", chain[i].first}}, false)) + "\">" +
           esc(chain[i].second) + "</a>";
    }
    if (q.counter) {
      b += " › <a href=\"" + esc(link("/unit", {{"unit", unit}, {"counter", *q.counter}})) + "\">" +
           tr("counter", lang) + " " + esc(*q.counter) + "</a>";
    }
    if (q.officer) {
      if (q.procedure) {
        b += " › <a href=\"" +
             esc(link("/unit", {{"unit", unit},
                                {"counter", q.counter.value_or("")},
                                {"officer", *q.officer}})) +
             "\">" + tr("officer", lang) + " " + esc(*q.officer) + "</a>";
      } else {
        b += " › " + std::string(tr("officer", lang)) + " " + esc(*q.officer);
      }
    }
    if (q.procedure) {
      b += " › <span id=\"crumb-procedure\">" + std::string(tr("procedure", lang)) + ": " +
           esc(procedure_shown) + "</span> <a class=\"clear\" href=\"" +
           esc(link_with("/unit",
                         {{"unit", unit},
                          {"counter", q.counter.value_or("")},
                          {"officer", q.officer.value_or("")}},
                         false)) +
           "\">" + tr("all_procedures", lang) + "</a>";
    }
    b += "</div>";
  }
  std::string title = s["unit_name"].get<std::string>();
  if (q.counter) title += " · " + std::string(tr("counter", lang)) + " " + *q.counter;
  if (q.officer) title += " · " + std::string(tr("officer", lang)) + " " + *q.officer;
  if (q.procedure) title += " · " + procedure_shown;
  b += "<h1 id=\"title\">" + esc(title) + "</h1><div class=\"sub\">" + esc(format_date(range->from)) +
       " – " + esc(format_date(range->to)) + "</div>";

  std::string exports;
  {
    std::vector<std::pair<std::string, std::string>> ep{{"unit", unit},
                                                        {"from", format_date(range->from)},
                                                        {"to", format_date(range->to)},
                                                        {"lang", l}};
    auto e = [&](const char* kind, const char* format, const char* label) {
      auto p = ep;
      p.emplace_back("kind", kind);
      p.emplace_back("format", format);
      return "<a href=\"" + esc(with_params("/api/v1/reports", p)) + "\">" + tr(label, lang) + "</a>";
    };
    exports = std::string(tr("export", lang)) + ":" + e("report", "csv", "report_csv") +
              e("report", "xlsx", "report_xlsx") + e("raw", "csv", "raw_csv") +
              e("raw", "xlsx", "raw_xlsx");
  }
  b += period_picker(req, req.path, lang, *range,
                     {{"unit", unit}, {"counter", q.counter.value_or("")},
                      {"officer", q.officer.value_or("")},
                      {"procedure", q.procedure.value_or("")}},
                     exports);

  // Key figures.
  const json& nat = s["national"];
  b += "<div class=\"cards\"><div class=\"card kpi\"><div class=\"label\">" +
       std::string(tr("index", lang)) + "</div><div class=\"big " + index_class(s["index"]) +
       "\" id=\"overall-index\" data-value=\"" + html::data_number(num(s["index"])) + "\">" +
       html::number(num(s["index"]), lang) + (s["index"].is_number() ? "%" : "") +
       "</div></div>";
  b += "<div class=\"card kpi\"><div class=\"label\">" + std::string(tr("responses", lang)) +
       "</div><div class=\"big\" id=\"responses\" data-value=\"" +
       std::to_string(s["responses"].get<std::int64_t>()) + "\">" +
       std::to_string(s["responses"].get<std::int64_t>()) + "</div><div class=\"small\">" +
       std::to_string(s["complete"].get<std::int64_t>()) + " " + tr("complete", lang) + " · " +
       std::to_string(s["partial"].get<std::int64_t>()) + " " + tr("partial", lang) + "</div></div>";
  auto change = num(s["change"]);
  b += "<div class=\"card kpi\"><div class=\"label\">" + std::string(tr("change", lang)) +
       "</div><div class=\"big " + (change ? (*change >= 0 ? "up" : "down") : "") +
       "\" id=\"change\" data-value=\"" + html::data_number(change) + "\">" +
       html::signed_number(change, lang) + "</div><div class=\"small\">" + tr("previous", lang) +
       " " + esc(s["previous"]["from"].get<std::string>()) + " – " +
       esc(s["previous"]["to"].get<std::string>()) + ": " +
       html::number(num(s["previous"]["index"]), lang) + "</div></div>";
  b += "<div class=\"card kpi\"><div class=\"label\">" + std::string(tr("national", lang)) +
       " 2024</div><div class=\"big\">" + html::number(83.94, lang, 2) +
       "%</div><div class=\"small\">" + tr("target", lang) + ": ≥ " +
       html::number(nat["target_2030"].get<double>(), lang, 0) + "%</div></div></div>";

  // Elements and trend.
  std::vector<html::Bar> bars;
  for (const auto& e : s["elements"]) {
    if (!e["in_index"].get<bool>()) continue;
    html::Bar bar;
    bar.label = e["name"].get<std::string>();
    bar.value = num(e["index"]);
    std::string id = e["id"].get<std::string>();
    if (nat["elements_2023"].contains(id)) bar.reference = nat["elements_2023"][id].get<double>();
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
      trend.push_back({label, num((*ms)["index"])});
    }
  }
  b += "<div class=\"grid2\"><div class=\"card\" id=\"elements\"><h2>" +
       std::string(tr("elements", lang)) + "</h2>" +
       html::bars_svg(bars, lang, tr("national", lang)) + "<div class=\"note\">" +
       tr("ref_elements", lang) + "</div></div><div class=\"card\" id=\"trend\"><h2>" +
       tr("trend", lang) + "</h2>" +
       html::trend_svg(trend,
                       {{std::string(tr("national", lang)) + " 2024", 83.94, "national"},
                        {tr("target", lang), 95.0, "target"}},
                       lang) +
       "</div></div>";

  // Fix first and reasons.
  b += "<div class=\"grid2\"><div class=\"card\" id=\"fix-first\"><h2>" +
       std::string(tr("fix_first", lang)) + "</h2>";
  if (s["fix_first"].empty()) {
    b += "<div class=\"empty\">" + std::string(tr("no_data", lang)) + "</div>";
  } else {
    b += "<table><tr><th>" + std::string(tr("criterion", lang)) + "</th><th>" + tr("element", lang) +
         "</th><th class=\"num\">%</th><th class=\"num\">" + tr("answers", lang) + "</th></tr>";
    for (const auto& f : s["fix_first"]) {
      b += "<tr><td>" + esc(f["text"].get<std::string>()) + "</td><td>" +
           esc(f["element_name"].get<std::string>()) + "</td><td class=\"num " +
           index_class(f["index"]) + "\">" + html::number(num(f["index"]), lang) +
           "</td><td class=\"num\">" + std::to_string(f["n"].get<std::int64_t>()) + "</td></tr>";
    }
    b += "</table>";
  }
  b += "</div><div class=\"card\" id=\"reasons\"><h2>" + std::string(tr("reasons", lang)) + "</h2>";
  if (s["top_reasons"].empty()) {
    b += "<div class=\"empty\">" + std::string(tr("none", lang)) + "</div>";
  } else {
    b += "<table><tr><th>" + std::string(tr("reasons", lang)) + "</th><th class=\"num\">" +
         tr("count", lang) + "</th></tr>";
    for (const auto& r : s["top_reasons"]) {
      b += "<tr><td>" + esc(r["text"].get<std::string>()) + "</td><td class=\"num\">" +
           std::to_string(r["count"].get<std::int64_t>()) + "</td></tr>";
    }
    b += "</table>";
  }
  b += "</div></div>";

  // Drill-down: units below, counters, officers.
  if (!q.counter && !q.officer && !s["children"].empty()) {
    b += "<div class=\"card\" id=\"children\" style=\"margin-bottom:14px\"><h2>" +
         std::string(tr("units_below", lang)) + "</h2><table><tr><th class=\"num\">" +
         tr("rank", lang) + "</th><th>" + tr("unit", lang) + "</th><th class=\"num\">" +
         tr("responses", lang) + "</th><th class=\"num\">" + tr("index", lang) + "</th><th>" +
         tr("fix_first", lang) + "</th><th>" + tr("reasons", lang) + "</th></tr>";
    for (const auto& c : s["children"]) {
      std::string weak, why;
      for (const auto& f : c["fix_first"]) {
        weak += "<span class=\"pill\">" + esc(f["text"].get<std::string>()) + " " +
                html::number(num(f["index"]), lang, 0) + "</span>";
      }
      for (const auto& r : c["top_reasons"]) {
        why += "<span class=\"pill warn\">" + esc(r["text"].get<std::string>()) + " ×" +
               std::to_string(r["count"].get<std::int64_t>()) + "</span>";
      }
      b += "<tr data-unit=\"" + esc(c["unit"].get<std::string>()) + "\"><td class=\"num\">" +
           (c["rank"].is_number() ? std::to_string(c["rank"].get<int>()) : "–") +
           "</td><td><a href=\"" + esc(link("/unit", {{"unit", c["unit"].get<std::string>()}})) +
           "\">" + esc(c["name"].get<std::string>()) + "</a></td><td class=\"num\">" +
           std::to_string(c["responses"].get<std::int64_t>()) + "</td><td class=\"num " +
           index_class(c["index"]) + "\" data-value=\"" + html::data_number(num(c["index"])) +
           "\">" + html::number(num(c["index"]), lang) + "</td><td>" + weak + "</td><td>" + why +
           "</td></tr>";
    }
    b += "</table></div>";
  }
  if (!q.officer) {
    ScoreQuery g = q;
    g.extras = false;
    g.group = q.counter ? Grouping::officer : Grouping::counter;
    auto groups = svc.scores(g);
    if (!groups.is_ok()) return page_error(res, &ctx, req, 503, groups.status().message());
    const char* key_title = q.counter ? "officer" : "counter";
    b += "<div class=\"card\" id=\"" + std::string(q.counter ? "officers" : "counters") +
         "\" style=\"margin-bottom:14px\"><h2>" + tr(q.counter ? "officers" : "counters", lang) +
         "</h2>";
    if ((*groups)["groups"].empty()) {
      b += "<div class=\"empty\">" + std::string(tr("no_data", lang)) + "</div>";
    } else {
      b += "<table><tr><th>" + std::string(tr(key_title, lang)) + "</th><th class=\"num\">" +
           tr("responses", lang) + "</th><th class=\"num\">" + tr("index", lang) + "</th>";
      for (const auto& e : s["elements"]) {
        if (e["in_index"].get<bool>()) b += "<th class=\"num\">" + esc(e["name"].get<std::string>()) + "</th>";
      }
      b += "</tr>";
      for (const auto& gr : (*groups)["groups"]) {
        std::string key = gr["key"].get<std::string>();
        std::string shown = key.empty() ? tr("not_recorded", lang) : key;
        std::vector<std::pair<std::string, std::string>> p{{"unit", unit}};
        if (q.counter) {
          p.emplace_back("counter", *q.counter);
          p.emplace_back("officer", key);
        } else {
          p.emplace_back("counter", key);
        }
        b += "<tr><td>" +
             (key.empty() ? esc(shown)
                          : "<a href=\"" + esc(link("/unit", p)) + "\">" + esc(shown) + "</a>") +
             "</td><td class=\"num\">" + std::to_string(gr["responses"].get<std::int64_t>()) +
             "</td><td class=\"num " + index_class(gr["index"]) + "\" data-value=\"" +
             html::data_number(num(gr["index"])) + "\">" + html::number(num(gr["index"]), lang) +
             "</td>";
        for (const auto& e : gr["elements"]) {
          if (e["in_index"].get<bool>()) {
            b += "<td class=\"num " + index_class(e["index"]) + "\">" +
                 html::number(num(e["index"]), lang) + "</td>";
          }
        }
        b += "</tr>";
      }
      b += "</table>";
    }
    b += "</div>";
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
    std::vector<json> rows((*groups)["groups"].begin(), (*groups)["groups"].end());
    std::stable_sort(rows.begin(), rows.end(), [](const json& a, const json& b) {
      auto rank = [](const json& g) { return g["key"].is_null() ? 2 : g["index"].is_number() ? 0 : 1; };
      if (rank(a) != rank(b)) return rank(a) < rank(b);
      return rank(a) == 0 && a["index"].get<double>() < b["index"].get<double>();
    });
    bool any = std::any_of(rows.begin(), rows.end(), [](const json& r) { return r["key"].is_string(); });
    if (any) {
      b += "<div class=\"card\" id=\"procedures\" style=\"margin-bottom:14px\"><h2>" +
           std::string(tr("procedures", lang)) + "</h2><table><tr><th>" + tr("procedure", lang) +
           "</th><th class=\"num\">" + tr("responses", lang) + "</th><th class=\"num\">" +
           tr("index", lang) + "</th><th>" + tr("weakest_element", lang) + "</th></tr>";
      for (const auto& gr : rows) {
        const json* weakest = nullptr;
        for (const auto& e : gr["elements"]) {
          if (!e["in_index"].get<bool>() || !e["index"].is_number()) continue;
          if (!weakest || e["index"].get<double>() < (*weakest)["index"].get<double>()) weakest = &e;
        }
        std::string cell;
        std::string code = gr["key"].is_string() ? gr["key"].get<std::string>() : "";
        if (code.empty()) {
          cell = esc(tr("no_procedure", lang));
        } else {
          std::string name = gr["name"].is_string() ? gr["name"].get<std::string>() : code;
          std::vector<std::pair<std::string, std::string>> p{{"unit", unit},
                                                              {"counter", q.counter.value_or("")},
                                                              {"officer", q.officer.value_or("")},
                                                              {"procedure", code}};
          cell = "<a href=\"" + esc(link("/unit", p)) + "\">" + esc(name) + "</a>" +
                 (gr["name"].is_string() ? " <span class=\"code\">" + esc(code) + "</span>" : "");
        }
        b += "<tr data-procedure=\"" + esc(code) + "\"><td>" + cell +
             "</td><td class=\"num\" data-value=\"" +
             std::to_string(gr["responses"].get<std::int64_t>()) + "\">" +
             std::to_string(gr["responses"].get<std::int64_t>()) + "</td><td class=\"num " +
             index_class(gr["index"]) + "\" data-value=\"" + html::data_number(num(gr["index"])) +
             "\">" + html::number(num(gr["index"]), lang) + "</td><td" +
             (weakest ? " data-element=\"" + esc((*weakest)["id"].get<std::string>()) + "\">" +
                            esc((*weakest)["name"].get<std::string>()) + " <span class=\"" +
                            index_class((*weakest)["index"]) + "\">" +
                            html::number(num((*weakest)["index"]), lang) + "</span>"
                      : std::string(">–")) +
             "</td></tr>";
      }
      b += "</table></div>";
    }
  }

  // Criteria.
  b += "<div class=\"card\" id=\"criteria\" style=\"margin-bottom:14px\"><h2>" +
       std::string(tr("criteria", lang)) + "</h2><table><tr><th>" + tr("element", lang) +
       "</th><th>" + tr("criterion", lang) + "</th><th class=\"num\">%</th><th class=\"num\">" +
       tr("mean", lang) + "</th><th class=\"num\">" + tr("answers", lang) +
       "</th><th class=\"num\">1</th><th class=\"num\">2</th><th class=\"num\">3</th><th "
       "class=\"num\">4</th><th class=\"num\">5</th></tr>";
  for (const auto& e : s["elements"]) {
    for (const auto& c : e["criteria"]) {
      b += "<tr data-criterion=\"" + esc(c["id"].get<std::string>()) + "\"><td>" +
           esc(e["name"].get<std::string>()) + "</td><td>" + esc(c["text"].get<std::string>()) +
           "</td><td class=\"num " + index_class(c["index"]) + "\" data-value=\"" +
           html::data_number(num(c["index"])) + "\">" + html::number(num(c["index"]), lang) +
           "</td><td class=\"num\">" + html::number(num(c["mean"]), lang, 2) +
           "</td><td class=\"num\">" + std::to_string(c["n"].get<std::int64_t>()) + "</td>";
      for (int k = 1; k <= 5; ++k) {
        b += "<td class=\"num\">" + std::to_string(c["counts"].value(std::to_string(k), 0)) + "</td>";
      }
      b += "</tr>";
    }
  }
  b += "</table></div>";

  // Mẫu 01.
  for (const auto& p : s["points"]) {
    b += "<div class=\"card\" id=\"points\" style=\"margin-bottom:14px\"><h2>" +
         std::string(tr("points", lang)) + "</h2><div class=\"grid2\"><div><p>" +
         tr("responses", lang) + ": <b>" + std::to_string(p["responses"].get<std::int64_t>()) +
         "</b> · " + tr("mean_total", lang) + ": <b id=\"mean-total\" data-value=\"" +
         html::data_number(num(p["mean_total"])) + "\">" +
         html::number(num(p["mean_total"]), lang, 2) + "</b></p><table><tr><th>" +
         tr("grade", lang) + "</th><th class=\"num\">" + tr("responses", lang) + "</th></tr>";
    for (const auto& g : p["grades"]) {
      b += "<tr><td>" + esc(g["name"].get<std::string>()) + "</td><td class=\"num\">" +
           std::to_string(g["count"].get<std::int64_t>()) + "</td></tr>";
    }
    b += "</table><h2 style=\"margin-top:12px\">" + std::string(tr("officers", lang)) +
         "</h2><table><tr><th>" + tr("officer", lang) + "</th><th class=\"num\">" +
         tr("responses", lang) + "</th><th class=\"num\">" + tr("mean_total", lang) + "</th></tr>";
    for (const auto& o : p["officers"]) {
      std::string name = o["officer"].get<std::string>();
      b += "<tr><td>" + esc(name.empty() ? tr("not_recorded", lang) : name) +
           "</td><td class=\"num\">" + std::to_string(o["responses"].get<std::int64_t>()) +
           "</td><td class=\"num\">" + html::number(num(o["mean_total"]), lang, 2) + "</td></tr>";
    }
    b += "</table></div><div><table><tr><th>" + std::string(tr("indicator", lang)) +
         "</th><th class=\"num\">" + tr("mean_points", lang) + "</th></tr>";
    for (const auto& i : p["indicators"]) {
      b += "<tr><td>" + esc(i["text"].get<std::string>()) + "</td><td class=\"num\">" +
           html::number(num(i["mean"]), lang, 2) + "</td></tr>";
    }
    b += "</table></div></div></div>";
  }

  // The latest comments.
  // The same counter/officer/procedure as the page's figures, here and on the page it links to.
  CommentFilter comment_filter{q.counter, q.officer, q.procedure};
  auto comments = svc.comments(unit, *range, 5, comment_filter);
  if (!comments.is_ok()) return page_error(res, &ctx, req, 503, comments.status().message());
  std::vector<std::pair<std::string, std::string>> comment_params{{"unit", unit}};
  if (q.counter) comment_params.emplace_back("counter", *q.counter);
  if (q.officer) comment_params.emplace_back("officer", *q.officer);
  b += "<div class=\"card\" id=\"latest-comments\"><h2><a href=\"" +
       esc(link_with("/comments", comment_params, true)) + "\">" + tr("comments", lang) +
       "</a></h2>";
  if (comments->empty()) {
    b += "<div class=\"empty\">" + std::string(tr("none", lang)) + "</div>";
  } else {
    b += "<table>";
    for (const auto& c : *comments) {
      b += "<tr><td>" + esc(c.local_time) + "</td><td>" + esc(c.counter) +
           "</td><td class=\"comment\">" + esc(c.text) + "</td></tr>";
    }
    b += "</table>";
  }
  b += "</div>";

  res.set_content(layout(ctx, req, title, req.path == "/" ? "overview" : "", b),
                  "text/html; charset=utf-8");
}

void Dashboard::Impl::comments_page(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  PageContext ctx;
  if (!begin_page(req, res, ctx)) return;
  std::string unit;
  if (!visible_unit(req, res, ctx, unit)) return;
  ScoreService& svc = **ctx.svc;
  const std::string& lang = ctx.lang;
  httplib::Request adjusted = req;
  if (param(req, "period") == "range" && !req.has_param("from")) adjusted.params.erase("period");
  auto range = range_of(svc, adjusted, unit);
  if (!range.is_ok()) return page_error(res, &ctx, req, 400, range.status().message());
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
  std::string narrowed;
  std::vector<std::pair<std::string, std::string>> keep{{"unit", unit}};
  for (const auto& [key, value] : {std::pair<const char*, const std::optional<std::string>*>{
                                       "counter", &filter.counter},
                                   {"officer", &filter.officer},
                                   {"procedure", &filter.procedure}}) {
    if (!*value) continue;
    narrowed += " · " + std::string(tr(key, lang)) + " " + esc(**value);
    keep.emplace_back(key, **value);
  }
  std::string b = "<h1>" + std::string(tr("comments", lang)) + " · " + esc(unit_name) + narrowed +
                  "</h1><div class=\"sub\">" + esc(format_date(range->from)) + " – " +
                  esc(format_date(range->to)) + "</div>";
  b += period_picker(req, "/comments", lang, *range, keep, "");
  b += "<div class=\"card\" id=\"comments\">";
  if (comments->empty()) {
    b += "<div class=\"empty\">" + std::string(tr("none", lang)) + "</div>";
  } else {
    b += "<table><tr><th>" + std::string(tr("time", lang)) + "</th><th>" + tr("unit", lang) +
         "</th><th>" + tr("counter", lang) + "</th><th>" + tr("officer", lang) + "</th><th>" +
         tr("reason_col", lang) + "</th><th>" + tr("comment", lang) + "</th></tr>";
    for (const auto& c : *comments) {
      std::string reasons;
      for (const auto& id : c.reasons) {
        std::string text = id;
        for (const auto& sv : svc.surveys()) {
          if (const Reason* r = sv.find_reason(id)) {
            text = r->text.get(lang);
            break;
          }
        }
        reasons += "<span class=\"pill warn\">" + esc(text) + "</span>";
      }
      b += "<tr><td>" + esc(c.local_time) + "</td><td>" +
           esc(c.unit) + "</td><td>" + esc(c.counter) + "</td><td>" +
           esc(c.officer.value_or("")) + "</td><td>" + reasons + "</td><td class=\"comment\">" +
           esc(c.text) + "</td></tr>";
    }
    b += "</table>";
  }
  b += "</div>";
  res.set_content(layout(ctx, req, tr("comments", lang), "comments", b), "text/html; charset=utf-8");
}

void Dashboard::Impl::kiosks_page(const httplib::Request& req, httplib::Response& res) {
  no_store(res);
  PageContext ctx;
  if (!begin_page(req, res, ctx)) return;
  ScoreService& svc = **ctx.svc;
  const std::string& lang = ctx.lang;
  auto kiosks = svc.store().kiosks();
  if (!kiosks.is_ok()) return page_error(res, &ctx, req, 503, kiosks.status().message());
  std::string b = "<h1>" + std::string(tr("kiosks", lang)) + "</h1><div class=\"card\" id=\"kiosks\">"
                  "<table><tr><th>" + tr("kiosk", lang) + "</th><th>" + tr("unit", lang) +
                  "</th><th>" + tr("last_contact", lang) + "</th><th class=\"num\">" +
                  tr("last_seq", lang) + "</th><th class=\"num\">" + tr("responses", lang) +
                  "</th><th class=\"num\">" + tr("quarantined", lang) + "</th><th>" +
                  tr("findings", lang) + "</th></tr>";
  for (const auto& k : *kiosks) {
    if (ctx.who.unit) {
      auto inside = svc.is_within(k.unit, *ctx.who.unit);
      if (!inside.is_ok() || !*inside) continue;
    }
    auto counts = svc.store().finding_counts(k.kiosk_id);
    auto latest = svc.store().findings(k.kiosk_id, 3);
    auto totals = svc.store().kiosk_counts(k.kiosk_id);
    if (!counts.is_ok() || !latest.is_ok() || !totals.is_ok()) {
      return page_error(res, &ctx, req, 503, "database error while listing kiosks");
    }
    std::string findings;
    for (const auto& [kind, n] : *counts) {
      findings += "<span class=\"pill warn\">" + esc(kind) + " ×" + std::to_string(n) + "</span>";
    }
    if (findings.empty()) findings = "<span class=\"pill\">" + std::string(tr("none", lang)) + "</span>";
    for (const auto& f : *latest) {
      findings += "<div class=\"note\">" + esc(f.created_at.substr(0, 16)) + " " + esc(f.detail) + "</div>";
    }
    b += "<tr data-kiosk=\"" + esc(k.kiosk_id) + "\"><td>" + esc(k.kiosk_id) +
         (k.revoked_at ? " <span class=\"pill warn\">" + std::string(tr("revoked", lang)) + "</span>" : "") +
         "</td><td>" + esc(k.unit) + "</td><td>" +
         esc(k.last_contact ? k.last_contact->substr(0, 10) + " " + k.last_contact->substr(11, 5) + " UTC"
                            : tr("never", lang)) +
         "</td><td class=\"num\">" + std::to_string(k.last_seq) + "</td><td class=\"num\">" +
         std::to_string(totals->first) + "</td><td class=\"num\">" + std::to_string(totals->second) +
         "</td><td>" + findings + "</td></tr>";
  }
  b += "</table></div>";
  res.set_content(layout(ctx, req, tr("kiosks", lang), "kiosks", b), "text/html; charset=utf-8");
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

void Dashboard::install(httplib::Server& http) { impl_->install(http); }

std::optional<int> run_dashboard_command(const std::vector<std::string>& args, std::ostream& out,
                                         std::ostream& err) {
  if (args.size() < 2) return std::nullopt;
  std::string command = args[0] + " " + args[1];
  if (command != "rollup rebuild" && command != "user login-link") return std::nullopt;
  std::map<std::string, std::string> opts;
  for (std::size_t i = 2; i < args.size(); ++i) {
    std::string a = args[i];
    if (a.rfind("--", 0) != 0) {
      err << "sipas-server " << command << ": unexpected argument " << a << "\n";
      return 2;
    }
    a = a.substr(2);
    auto eq = a.find('=');
    if (eq != std::string::npos) {
      opts[a.substr(0, eq)] = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      opts[a] = args[++i];
    } else {
      err << "sipas-server " << command << ": --" << a << " needs a value\n";
      return 2;
    }
  }
  std::set<std::string> allowed = command == "rollup rebuild"
                                      ? std::set<std::string>{"db"}
                                      : std::set<std::string>{"db", "user", "next"};
  for (const auto& [k, v] : opts) {
    if (!allowed.count(k)) {
      err << "sipas-server " << command << ": unknown option --" << k << "\n";
      return 2;
    }
  }
  if (!opts.count("db")) {
    err << "sipas-server " << command << ": --db is required\n";
    return 2;
  }
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
  if (!opts.count("user")) {
    err << "sipas-server user login-link: --user is required\n";
    return 2;
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

}  // namespace sipas
