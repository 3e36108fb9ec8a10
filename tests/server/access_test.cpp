#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "dashboard_test_support.hpp"
#include "sipas/server/cli.hpp"
#include "sipas/server/client_info.hpp"
#include "sipas/server/sessions.hpp"

namespace sipas::test {
namespace {

class AccessTest : public DashboardTest {
 protected:
  void SetUp() override {
    DashboardTest::SetUp();
    post_fixture();
    auto svc = service();
    ASSERT_TRUE(svc);
    ASSERT_TRUE(svc->rebuild().is_ok());
  }

  static std::string set_cookie(const httplib::Result& r, const std::string& name) {
    for (const auto& [k, v] : r->headers) {
      if (k == "Set-Cookie" && v.rfind(name + "=", 0) == 0) return v;
    }
    return "";
  }
  static std::string cookie_value(const std::string& set_cookie_header) {
    auto eq = set_cookie_header.find('=');
    auto semi = set_cookie_header.find(';');
    return set_cookie_header.substr(eq + 1, semi - eq - 1);
  }

  // Logs in through the form and returns the session cookie value ("" on failure).
  std::string login(const std::string& user, const std::string& password) {
    auto c = dash_client();
    auto page = c.Get("/login");
    if (!page || page->status != 200) return "";
    std::string login_cookie = cookie_value(set_cookie(page, "sipas_login"));
    std::smatch m;
    if (!std::regex_search(page->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\""))) return "";
    httplib::Params form{{"csrf", m[1]}, {"user", user}, {"password", password}, {"next", "/"}};
    auto res = c.Post("/login", {{"Cookie", "sipas_login=" + login_cookie}}, form);
    if (!res || res->status != 303) return "";
    return cookie_value(set_cookie(res, "sipas_session"));
  }

  // `sipas-server user ...` on this test's database; the exit status.
  int user_command(const std::string& verb, const std::string& user, const std::string& input = "") {
    std::istringstream in(input);
    std::ostringstream out, err;
    int status = run_cli({"user", verb, "--db", db_path_, "--user", user}, in, out, err);
    last_out_ = out.str();
    last_err_ = err.str();
    return status;
  }
  int api_status(const std::string& user, const std::string& password) {
    auto r = get_as(user, password, "/api/v1/scores?period=year&date=2026-09-30");
    return r ? r->status : -1;
  }
  std::string last_out_, last_err_;

  httplib::Result get_with_session(const std::string& session, const std::string& target) {
    auto c = dash_client();
    return c.Get(target, {{"Cookie", "sipas_session=" + session}});
  }
};

TEST_F(AccessTest, UnitUserGets403ForAnotherUnitInApi) {
  auto r = get_as("pvhcc", "pw-pvhcc", "/api/v1/scores?unit=22.SO-TP&period=year&date=2026-09-30");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  auto up = get_as("pvhcc", "pw-pvhcc", "/api/v1/scores?unit=22&period=year&date=2026-09-30");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, 403);
  auto x = get_as("pvhcc", "pw-pvhcc", "/api/v1/reports?unit=22.SO-TP&period=year&date=2026-09-30");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->status, 403);
}

TEST_F(AccessTest, UnitUserSeesItsOwnSubtree) {
  auto own = get_as("pvhcc", "pw-pvhcc", "/api/v1/scores?unit=22.PVHCC.Q1&period=year&date=2026-09-30");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200);
  auto def = get_as("pvhcc", "pw-pvhcc", "/api/v1/scores?period=year&date=2026-09-30");
  ASSERT_TRUE(def);
  ASSERT_EQ(def->status, 200);
  EXPECT_EQ(nlohmann::json::parse(def->body)["unit"], "22.PVHCC");
}

TEST_F(AccessTest, UnitUserGets403ForAnotherUnitsPage) {
  std::string session = login("pvhcc", "pw-pvhcc");
  ASSERT_FALSE(session.empty());
  auto r = get_with_session(session, "/unit?unit=22.SO-TP");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  auto own = get_with_session(session, "/unit?unit=22.PVHCC");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200);
}

TEST_F(AccessTest, KioskPageListsOnlyTheUsersKiosks) {
  std::string session = login("pvhcc", "pw-pvhcc");
  auto r = get_with_session(session, "/kiosks");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("data-kiosk=\"k1\""), std::string::npos);
  EXPECT_EQ(r->body.find("data-kiosk=\"k2\""), std::string::npos);
}

TEST_F(AccessTest, NoCredentialsGets401FromApiAndLoginRedirectFromPages) {
  auto c = dash_client();
  auto api = c.Get("/api/v1/scores?unit=22");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 401);
  auto page = c.Get("/unit?unit=22");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 303);
  EXPECT_EQ(page->get_header_value("Location").rfind("/login?next=", 0), 0u);
  auto wrong = get_as("province", "not-the-password", "/api/v1/scores?unit=22");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
}

TEST_F(AccessTest, LoginSetsHttpOnlySameSiteSessionCookie) {
  auto c = dash_client();
  auto page = c.Get("/login");
  ASSERT_TRUE(page);
  std::string login_cookie = cookie_value(set_cookie(page, "sipas_login"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\"")));
  auto res = c.Post("/login", {{"Cookie", "sipas_login=" + login_cookie}},
                    httplib::Params{{"csrf", m[1]}, {"user", "province"}, {"password", "pw-province"}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 303);
  std::string sc = set_cookie(res, "sipas_session");
  EXPECT_NE(sc.find("HttpOnly"), std::string::npos);
  EXPECT_NE(sc.find("SameSite=Strict"), std::string::npos);
  auto home = get_with_session(cookie_value(sc), "/");
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 200);
}

TEST_F(AccessTest, WrongPasswordIsRefused) {
  EXPECT_EQ(login("province", "wrong"), "");
}

TEST_F(AccessTest, LoginWithoutCsrfTokenIsRejected) {
  auto c = dash_client();
  auto page = c.Get("/login");
  ASSERT_TRUE(page);
  std::string login_cookie = cookie_value(set_cookie(page, "sipas_login"));
  auto res = c.Post("/login", {{"Cookie", "sipas_login=" + login_cookie}},
                    httplib::Params{{"csrf", "0123456789abcdef0123456789abcdef"},
                                    {"user", "province"},
                                    {"password", "pw-province"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(set_cookie(res, "sipas_session"), "");
}

TEST_F(AccessTest, LogoutWithoutCsrfTokenIsRejected) {
  std::string session = login("province", "pw-province");
  ASSERT_FALSE(session.empty());
  auto c = dash_client();
  auto res = c.Post("/logout", {{"Cookie", "sipas_session=" + session}}, httplib::Params{});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  auto still = get_with_session(session, "/");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
}

TEST_F(AccessTest, LogoutWithCsrfTokenEndsTheSession) {
  std::string session = login("province", "pw-province");
  auto home = get_with_session(session, "/");
  ASSERT_TRUE(home);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(home->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\"")));
  auto c = dash_client();
  auto res = c.Post("/logout", {{"Cookie", "sipas_session=" + session}},
                    httplib::Params{{"csrf", m[1]}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 303);
  auto after = get_with_session(session, "/");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 303);
}

TEST_F(AccessTest, LoginLinkIsSingleUse) {
  auto svc = service();
  auto token = svc->store().create_login_link("province", clock_.now());
  ASSERT_TRUE(token.is_ok());
  auto c = dash_client();
  auto first = c.Get("/login/link?token=" + *token + "&next=/kiosks");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 303);
  EXPECT_EQ(first->get_header_value("Location"), "/kiosks");
  EXPECT_NE(set_cookie(first, "sipas_session"), "");
  auto second = c.Get("/login/link?token=" + *token);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 403);
}

TEST_F(AccessTest, LoginRedirectStaysOnThisSite) {
  auto c = dash_client();
  auto page = c.Get("/login");
  std::string login_cookie = cookie_value(set_cookie(page, "sipas_login"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\"")));
  auto res = c.Post("/login", {{"Cookie", "sipas_login=" + login_cookie}},
                    httplib::Params{{"csrf", m[1]}, {"user", "province"}, {"password", "pw-province"},
                                    {"next", "//evil.example/"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Location"), "/");
}

// Browsers drop tabs and newlines inside URLs and read "\" as "/": each of these would leave the
// site.
TEST_F(AccessTest, LoginRedirectRefusesPathsABrowserReadsAsAnotherSite) {
  auto c = dash_client();
  auto page = c.Get("/login");
  ASSERT_TRUE(page);
  std::string login_cookie = cookie_value(set_cookie(page, "sipas_login"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\"")));
  const std::string csrf = m[1];
  auto after_login = [&](const std::string& next) {
    auto res = c.Post("/login", {{"Cookie", "sipas_login=" + login_cookie}},
                      httplib::Params{{"csrf", csrf}, {"user", "province"},
                                      {"password", "pw-province"}, {"next", next}});
    return res ? res->get_header_value("Location") : std::string("(no answer)");
  };
  for (const std::string next : {"/\t/evil.example", "/\n/evil.example", "/\\evil.example",
                                 "/ /evil.example", "/\x7f/evil.example", "//evil.example"}) {
    EXPECT_EQ(after_login(next), "/") << next;
  }
  EXPECT_EQ(after_login("/unit?unit=22.PVHCC&period=year"), "/unit?unit=22.PVHCC&period=year");
}

TEST_F(AccessTest, LoginLinkRedirectStaysOnThisSite) {
  auto svc = service();
  auto token = svc->store().create_login_link("province", clock_.now());
  ASSERT_TRUE(token.is_ok());
  auto c = dash_client();
  auto r = c.Get("/login/link?token=" + *token + "&next=/%09/evil.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  EXPECT_EQ(r->get_header_value("Location"), "/");
}

// A unit-bound user cannot tell a unit that does not exist from one outside their own.
TEST_F(AccessTest, UnitUserGetsTheSameAnswerForUnknownAndForeignUnits) {
  auto foreign = get_as("pvhcc", "pw-pvhcc", "/api/v1/scores?unit=22.SO-TP&period=year&date=2026-09-30");
  auto unknown = get_as("pvhcc", "pw-pvhcc", "/api/v1/scores?unit=22.NOPE&period=year&date=2026-09-30");
  ASSERT_TRUE(foreign);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(foreign->status, 403);
  EXPECT_EQ(unknown->status, 403);
  std::string session = login("pvhcc", "pw-pvhcc");
  ASSERT_FALSE(session.empty());
  auto foreign_page = get_with_session(session, "/unit?unit=22.SO-TP");
  auto unknown_page = get_with_session(session, "/unit?unit=22.NOPE");
  ASSERT_TRUE(foreign_page);
  ASSERT_TRUE(unknown_page);
  EXPECT_EQ(foreign_page->status, 403);
  EXPECT_EQ(unknown_page->status, 403);
  auto main_of = [](const std::string& page) {
    auto from = page.find("<main>"), to = page.find("</main>");
    return from == std::string::npos || to == std::string::npos ? page : page.substr(from, to - from);
  };
  EXPECT_EQ(main_of(foreign_page->body), main_of(unknown_page->body));
  // A province-wide user sees every unit and is told when one does not exist.
  auto province = get_as("province", "pw-province", "/api/v1/scores?unit=22.NOPE");
  ASSERT_TRUE(province);
  EXPECT_EQ(province->status, 404);
}

TEST_F(AccessTest, ApiAndExportAnswersAreNeitherStoredNorSniffed) {
  for (const char* target : {"/api/v1/scores?unit=22&period=year&date=2026-09-30",
                             "/api/v1/reports?unit=22&period=year&date=2026-09-30",
                             "/api/v1/reports?unit=22&period=year&date=2026-09-30&kind=raw",
                             "/api/v1/scores?unit=22&period=nonsense"}) {
    auto r = get_as("province", "pw-province", target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store") << target;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << target;
  }
}

TEST_F(AccessTest, ReportOverMoreThanTenYearsIsTheClientsMistake) {
  for (const char* kind : {"report", "raw"}) {
    auto r = get_as("province", "pw-province",
                    std::string("/api/v1/reports?unit=22&from=0001-01-01&to=9999-12-31&kind=") + kind);
    ASSERT_TRUE(r) << kind;
    EXPECT_EQ(r->status, 400) << kind;
    EXPECT_NE(r->body.find("longer than ten years"), std::string::npos) << r->body;
  }
}

TEST_F(AccessTest, PasswordResetLetsOnlyTheNewPasswordInAndEndsSessions) {
  std::string session = login("pvhcc", "pw-pvhcc");
  ASSERT_FALSE(session.empty());
  ASSERT_EQ(api_status("pvhcc", "pw-pvhcc"), 200);
  ASSERT_EQ(user_command("password", "pvhcc", "a new long password\n"), 0) << last_err_;
  EXPECT_EQ(api_status("pvhcc", "pw-pvhcc"), 401);  // even though just verified
  EXPECT_EQ(api_status("pvhcc", "a new long password"), 200);
  auto page = get_with_session(session, "/unit");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 303);  // back to the login page
  EXPECT_EQ(user_command("password", "pvhcc", "short\n"), 1);
  EXPECT_NE(last_err_.find("at least 8 characters"), std::string::npos) << last_err_;
  EXPECT_EQ(user_command("password", "nobody", "a long enough one\n"), 1);
  EXPECT_NE(last_err_.find("unknown user nobody"), std::string::npos) << last_err_;
}

TEST_F(AccessTest, DisabledUserIsOutAtOnceAndBackWhenEnabled) {
  std::string session = login("pvhcc", "pw-pvhcc");
  ASSERT_FALSE(session.empty());
  ASSERT_EQ(api_status("pvhcc", "pw-pvhcc"), 200);
  ASSERT_EQ(user_command("disable", "pvhcc"), 0) << last_err_;
  auto page = get_with_session(session, "/unit");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 303);
  EXPECT_EQ(api_status("pvhcc", "pw-pvhcc"), 401);
  EXPECT_TRUE(login("pvhcc", "pw-pvhcc").empty());
  auto svc = service();
  EXPECT_FALSE(svc->store().create_login_link("pvhcc", clock_.now()).is_ok());
  ASSERT_EQ(user_command("list", ""), 2);  // list takes no --user
  {
    std::istringstream in;
    std::ostringstream out, err;
    ASSERT_EQ(run_cli({"user", "list", "--db", db_path_}, in, out, err), 0) << err.str();
    EXPECT_NE(out.str().find("pvhcc\t22.PVHCC\tdisabled"), std::string::npos) << out.str();
  }
  ASSERT_EQ(user_command("enable", "pvhcc"), 0) << last_err_;
  EXPECT_EQ(api_status("pvhcc", "pw-pvhcc"), 200);
  EXPECT_FALSE(login("pvhcc", "pw-pvhcc").empty());
  EXPECT_EQ(api_status("province", "pw-province"), 200);  // nobody else was touched
}

TEST_F(AccessTest, DeletedUserCannotComeBack) {
  std::string session = login("pvhcc", "pw-pvhcc");
  ASSERT_FALSE(session.empty());
  ASSERT_EQ(user_command("delete", "pvhcc"), 0) << last_err_;
  EXPECT_EQ(api_status("pvhcc", "pw-pvhcc"), 401);
  auto page = get_with_session(session, "/unit");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 303);
  EXPECT_EQ(user_command("delete", "pvhcc"), 1);
  EXPECT_NE(last_err_.find("unknown user pvhcc"), std::string::npos) << last_err_;
}

TEST_F(AccessTest, LogoutCommandEndsEverySessionOfThatUserOnly) {
  std::string a = login("pvhcc", "pw-pvhcc");
  std::string b = login("pvhcc", "pw-pvhcc");
  std::string other = login("province", "pw-province");
  ASSERT_FALSE(a.empty() || b.empty() || other.empty());
  ASSERT_EQ(user_command("logout", "pvhcc"), 0) << last_err_;
  EXPECT_NE(last_out_.find("2 session(s) ended"), std::string::npos) << last_out_;
  for (const auto& s : {a, b}) {
    auto page = get_with_session(s, "/unit");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 303);
  }
  auto still = get_with_session(other, "/unit");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
  EXPECT_EQ(api_status("pvhcc", "pw-pvhcc"), 200);  // the password still works
}

TEST_F(AccessTest, GuessingPasswordsEndsInLocksThatLiftAndSpareOtherUsers) {
  std::vector<int> statuses;
  for (int i = 0; i < 8; ++i) statuses.push_back(api_status("pvhcc", "guess" + std::to_string(i)));
  EXPECT_EQ(statuses.front(), 401);
  EXPECT_EQ(statuses.back(), 429);
  auto locked = get_as("pvhcc", "pw-pvhcc", "/api/v1/scores?period=year&date=2026-09-30");
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status, 429);  // the right password too, while locked
  int retry_after = std::stoi(locked->get_header_value("Retry-After"));
  EXPECT_GE(retry_after, 1);
  EXPECT_EQ(api_status("province", "pw-province"), 200);  // others are not locked out
  clock_.advance(std::chrono::seconds(retry_after));
  EXPECT_EQ(api_status("pvhcc", "pw-pvhcc"), 200);
  // Each failure and the lock are logged with the address.
  auto log = security_log();
  auto count = [&](const std::string& what) {
    return std::count_if(log.begin(), log.end(), [&](const std::string& l) {
      return l.find(what) != std::string::npos && l.find("user=pvhcc address=127.0.0.1") != std::string::npos;
    });
  };
  EXPECT_GE(count("login failed "), 5) << ::testing::PrintToString(log);
  EXPECT_GE(count("login locked "), 1) << ::testing::PrintToString(log);
  EXPECT_GE(count("login refused while locked "), 1) << ::testing::PrintToString(log);
}

TEST_F(AccessTest, TheLoginFormIsThrottledLikeTheApi) {
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(login("sotp", "guess" + std::to_string(i)).empty());
  auto c = dash_client();
  auto page = c.Get("/login");
  ASSERT_TRUE(page);
  std::string login_cookie = cookie_value(set_cookie(page, "sipas_login"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\"")));
  auto res = c.Post("/login", {{"Cookie", "sipas_login=" + login_cookie}},
                    httplib::Params{{"csrf", m[1]}, {"user", "sotp"}, {"password", "pw-sotp"}, {"next", "/"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_FALSE(res->get_header_value("Retry-After").empty());
  EXPECT_NE(res->body.find("login-error"), std::string::npos);
  EXPECT_EQ(api_status("sotp", "pw-sotp"), 429);  // one lock for both ways in
  clock_.advance(std::chrono::minutes(1));
  EXPECT_FALSE(login("sotp", "pw-sotp").empty());
}

TEST(VerifiedCredentialsTest, RemembersForItsLifetimeAndOnlyForTheSameStoredHash) {
  VerifiedCredentials cache(std::chrono::seconds(60), 2);
  const TimePoint t0 = *parse_rfc3339("2026-09-30T08:00:00Z");
  BasicCredentials c{"u", "secret"};
  EXPECT_FALSE(cache.contains(c, "hash1", t0));
  cache.remember(c, "hash1", t0);
  EXPECT_TRUE(cache.contains(c, "hash1", t0 + std::chrono::seconds(59)));
  EXPECT_FALSE(cache.contains(c, "hash1", t0 + std::chrono::seconds(60)));
  EXPECT_FALSE(cache.contains(c, "hash2", t0));  // the password was changed since
  EXPECT_FALSE(cache.contains({"u", "other"}, "hash1", t0));
  EXPECT_FALSE(cache.contains({"v", "secret"}, "hash1", t0));
  cache.remember({"v", "1"}, "h", t0 + std::chrono::seconds(1));
  cache.remember({"w", "2"}, "h", t0 + std::chrono::seconds(2));  // capacity 2: u goes
  EXPECT_FALSE(cache.contains(c, "hash1", t0 + std::chrono::seconds(3)));
  EXPECT_TRUE(cache.contains({"w", "2"}, "h", t0 + std::chrono::seconds(3)));
}

TEST_F(AccessTest, LoginLinkCommandPrintsAWorkingLink) {
  std::ostringstream out, err;
  auto code = run_dashboard_command({"user", "login-link", "--db", db_path_, "--user", "pvhcc",
                                     "--next", "/kiosks"},
                                    out, err);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << err.str();
  std::string path = out.str();
  ASSERT_EQ(path.rfind("/login/link?token=", 0), 0u) << path;
  path.pop_back();
  auto c = dash_client();
  auto r = c.Get(path);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  EXPECT_EQ(r->get_header_value("Location"), "/kiosks");
}

TEST_F(AccessTest, LoginLinkCommandRefusesUnknownUser) {
  std::ostringstream out, err;
  auto code = run_dashboard_command({"user", "login-link", "--db", db_path_, "--user", "nobody"},
                                    out, err);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  EXPECT_NE(err.str().find("unknown user nobody"), std::string::npos);
}

TEST_F(AccessTest, EveryAnswerTellsBrowsersNotToLeakTheAddress) {
  auto c = dash_client();
  for (const char* target : {"/login", "/assets/app.css", "/unit", "/api/v1/scores"}) {
    auto r = c.Get(target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->get_header_value("Referrer-Policy"), "same-origin") << target;
    EXPECT_FALSE(r->has_header("Strict-Transport-Security")) << target;  // plain HTTP here
  }
}

TEST_F(AccessTest, LoginLinkThroughAProxyIsRefused) {
  auto svc = service();
  auto token = svc->store().create_login_link("province", clock_.now());
  ASSERT_TRUE(token.is_ok());
  auto c = dash_client();
  auto r = c.Get("/login/link?token=" + *token, {{"X-Forwarded-For", "203.0.113.9"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
}

// The dashboard behind a TLS-terminating proxy on this machine (127.0.0.1).
class ProxiedAccessTest : public AccessTest {
 protected:
  void adjust(DashboardOptions& o) override { o.trusted_proxies = {"127.0.0.1"}; }
};

TEST_F(ProxiedAccessTest, CookiesAreSecureAndHstsIsSentWhenTheProxySaysHttps) {
  auto c = dash_client();
  auto https = c.Get("/login", {{"X-Forwarded-Proto", "https"}, {"X-Forwarded-For", "198.51.100.7"}});
  ASSERT_TRUE(https);
  EXPECT_NE(set_cookie(https, "sipas_login").find("; Secure"), std::string::npos);
  EXPECT_EQ(https->get_header_value("Strict-Transport-Security"), "max-age=31536000");
  auto plain = c.Get("/login", {{"X-Forwarded-Proto", "http"}});
  ASSERT_TRUE(plain);
  EXPECT_EQ(set_cookie(plain, "sipas_login").find("; Secure"), std::string::npos);
  EXPECT_FALSE(plain->has_header("Strict-Transport-Security"));
}

TEST_F(ProxiedAccessTest, ThrottlingAndLogsUseTheForwardedAddress) {
  auto guess = [&](const char* from, const std::string& password) {
    auto c = dash_client();
    auto r = c.Get("/api/v1/scores?period=year&date=2026-09-30",
                   {{"Authorization", "Basic " + base64_encode("pvhcc:" + password)},
                    {"X-Forwarded-For", from}});
    return r ? r->status : -1;
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(guess("198.51.100.7", "wrong"), 401);
  auto log = security_log();
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.back().find("address=198.51.100.7"), std::string::npos) << log.back();
  auto svc = service();
  auto token = svc->store().create_login_link("province", clock_.now());
  ASSERT_TRUE(token.is_ok());
  auto c = dash_client();
  auto link = c.Get("/login/link?token=" + *token);  // from the proxy: not this machine's user
  ASSERT_TRUE(link);
  EXPECT_EQ(link->status, 403);
}

TEST(ClientInfoTest, ForwardingHeadersAreBelievedOnlyFromTrustedProxies) {
  httplib::Request req;
  req.remote_addr = "203.0.113.5";
  req.headers.emplace("X-Forwarded-For", "10.9.9.9");
  req.headers.emplace("X-Forwarded-Proto", "https");
  ClientInfo direct = client_info(req, false, {"127.0.0.1"});
  EXPECT_EQ(direct.address, "203.0.113.5");
  EXPECT_FALSE(direct.https);
  EXPECT_FALSE(direct.via_proxy);
  EXPECT_TRUE(client_info(req, true, {}).https);  // served over TLS here

  req.remote_addr = "::ffff:127.0.0.1";
  req.headers.clear();
  req.headers.emplace("X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.0.0.2");
  req.headers.emplace("X-Forwarded-Proto", "https");
  ClientInfo proxied = client_info(req, false, {"127.0.0.1", "10.0.0.2"});
  EXPECT_TRUE(proxied.via_proxy);
  EXPECT_TRUE(proxied.https);
  // 10.0.0.2 is a trusted proxy too; 6.6.6.6 is what the client claimed and nobody vouches for.
  EXPECT_EQ(proxied.address, "198.51.100.7");
  EXPECT_TRUE(is_loopback("::ffff:127.0.0.1"));
  EXPECT_TRUE(is_loopback("127.0.0.2"));
  EXPECT_FALSE(is_loopback("10.0.0.1"));
}

}  // namespace
}  // namespace sipas::test
