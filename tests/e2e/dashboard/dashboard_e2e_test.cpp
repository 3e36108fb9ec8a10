// The dashboard in Debian's headless Chromium: a province with a year of plausible responses, a
// user logged in through a one-time login link (the browser gets its session cookie from the
// server's redirect, as after the login form), every page opened, the numbers on the page compared
// with the API's, and screenshots saved to docs/screenshots/dashboard-*.png.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <regex>

#include "command_output.hpp"
#include "dashboard_test_support.hpp"
#include "sipas/server/sessions.hpp"

namespace sipas::test {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

std::string run(const std::string& command, int* status = nullptr) {
  return command_output(command, status);
}

class DashboardE2eTest : public DashboardTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kChromium)) GTEST_SKIP() << "no " << kChromium;
    DashboardTest::SetUp();
    ASSERT_TRUE(store_->import_units({{"22.PVHCC.Q2", "Quầy 2 — Đất đai", std::string(kUnit)},
                                      {"22.HL", "UBND TP Hạ Long", std::string("22")},
                                      {"22.HL.P1", "UBND phường Bãi Cháy", std::string("22.HL")}})
                    .is_ok());
    std::string t3 = random_token();
    ASSERT_TRUE(store_->add_kiosk("k3", "22.HL", token_hash(t3), test_now()).is_ok());
    ASSERT_TRUE(store_
                    ->import_procedures(
                        {{"1.001193", {{"vi", "Đăng ký khai sinh"}, {"en", "Birth registration"}}},
                         {"1.000894", {{"vi", "Đăng ký kết hôn"}, {"en", "Marriage registration"}}},
                         {"2.000815", {{"vi", "Chứng thực bản sao từ bản chính"},
                                       {"en", "Certified copy from the original"}}},
                         {"1.012302", {{"vi", "Đăng ký biến động đất đai"},
                                       {"en", "Registration of land changes"}}}})
                    .is_ok());
    // Uploaded two hours ago, before the fleet's latest heartbeats (seed_fleet).
    clock_.set(test_now() - std::chrono::hours(2));
    seed_year("k1", token1_, {kUnit, kSubUnit, "22.PVHCC.Q2"}, 0.86, 1);
    seed_year("k2", token2_, {kOtherUnit}, 0.74, 2);
    seed_year("k3", t3, {"22.HL", "22.HL.P1"}, 0.81, 3);
    clock_.set(test_now());
    seed_fleet(t3);
    auto svc = service();
    ASSERT_TRUE(svc);
    ASSERT_TRUE(svc->rebuild().is_ok());
    out_dir_ = std::filesystem::path(SIPAS_SOURCE_DIR) / "docs" / "screenshots";
    std::filesystem::create_directories(out_dir_);
  }

  // About 1 500 responses per kiosk from January to mid-November 2026, satisfaction near `level`.
  void seed_year(const std::string& kiosk, const std::string& token,
                 const std::vector<std::string>& units, double level, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    static const char* criteria[] = {"access.waiting_time", "procedures.documents", "officer.polite",
                                     "officer.guidance",    "result.on_time",       "feedback.channels",
                                     "general.overall"};
    static const char* comments[] = {"Cán bộ hướng dẫn tận tình, cảm ơn.",
                                     "Phải chờ gần 1 tiếng mới đến lượt.",
                                     "Nên có thêm ghế ngồi chờ.",
                                     "<b>Thủ tục</b> còn rườm rà & mất thời gian",
                                     "Trả kết quả trễ hẹn 2 ngày."};
    std::vector<Response> all;
    TimePoint t = utc("2026-01-05T01:30:00Z");
    TimePoint end = utc("2026-11-18T09:00:00Z");
    int i = 0;
    while (t < end) {
      double month_drift = (std::chrono::duration_cast<std::chrono::hours>(t - utc("2026-01-01T00:00:00Z")).count() / 720.0) * 0.012;
      Response r;
      r.id = random_uuid();
      r.survey_id = "counter-short";
      r.unit = units[static_cast<std::size_t>(i) % units.size()];
      r.counter = "Q" + std::to_string(1 + (i / 2) % 3);
      r.officer = "CB" + std::to_string(1 + (i / 3) % 4 + static_cast<int>(seed) * 10);
      // Kiosk k1's counters list procedures; one in five citizens skips the question, and land
      // changes (the slowest procedure) are rated lower.
      static const char* procedures[] = {"1.001193", "1.000894", "2.000815", "1.012302"};
      bool land = false;
      if (seed == 1 && i % 5 != 4) {
        r.procedure = procedures[static_cast<std::size_t>(i) % 5];
        land = i % 5 == 3;
      }
      r.submitted_at = t;
      r.started_at = t - std::chrono::seconds(35);
      r.status = u(rng) < 0.08 ? ResponseStatus::partial : ResponseStatus::complete;
      bool low = false;
      for (const char* c : criteria) {
        double p = level + month_drift - (std::string(c) == "access.waiting_time" ? 0.12 : 0) -
                   (std::string(c) == "feedback.channels" ? 0.07 : 0) -
                   (land && std::string(c) == "result.on_time" ? 0.25 : 0);
        double x = u(rng);
        int v = x < p ? (u(rng) < 0.55 ? 5 : 4) : (u(rng) < 0.5 ? 3 : (u(rng) < 0.6 ? 2 : 1));
        if (v <= 2) low = true;
        r.answers.push_back({c, v});
        if (r.status == ResponseStatus::partial && u(rng) < 0.4) break;
      }
      if (low && u(rng) < 0.6) {
        r.reasons = {u(rng) < 0.6 ? "long_wait" : "unclear_guidance"};
        if (u(rng) < 0.3) r.comment = comments[static_cast<std::size_t>(i) % 5];
      }
      all.push_back(std::move(r));
      t += std::chrono::minutes(150 + static_cast<int>(u(rng) * 180));
      ++i;
    }
    std::string prev = kGenesisHash;
    std::int64_t seq = 1;
    for (auto& r : all) {
      r.seq = seq++;
      r.prev_hash = prev;
      r.hash = compute_hash(r);
      prev = r.hash;
    }
    for (std::size_t b = 0; b < all.size(); b += 500) {
      std::vector<Response> part(all.begin() + static_cast<long>(b),
                                 all.begin() + static_cast<long>(std::min(all.size(), b + 500)));
      auto res = post(make_body(kiosk, part, clock_.now()), token);
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 200) << res->body;
    }
  }

  // A fleet in every state for the fleet pages (issue 13): heartbeats sent at past server times,
  // with the kiosks' own clocks, backlogs and versions.
  void seed_fleet(const std::string& t3) {
    std::string t4 = random_token(), t5 = random_token();
    ASSERT_TRUE(store_->add_kiosk("k4", "22.PVHCC.Q2", token_hash(t4), test_now()).is_ok());
    ASSERT_TRUE(store_->add_kiosk("k5", "22.HL.P1", token_hash(t5), test_now()).is_ok());
    ASSERT_TRUE(store_->add_kiosk("k6", kOtherUnit, token_hash(random_token()), test_now()).is_ok());
    auto beat = [&](const std::string& kiosk, const std::string& token, std::chrono::minutes ago,
                    std::chrono::seconds skew, const std::string& version, std::int64_t pending,
                    std::optional<std::string> error = std::nullopt) {
      clock_.set(test_now() - ago);
      KioskHealth h;
      h.software_version = version;
      h.config_version = version == "1.4.0" ? 12 : 9;
      h.pending = pending;
      if (pending > 0) h.oldest_pending_at = clock_.now() - std::chrono::minutes(pending * 3);
      h.disk_free_bytes = 21'400'000'000LL - pending * 40'000'000LL;
      h.clock = clock_.now() + skew;
      h.uptime_seconds = 3 * 86400 + 3600;
      h.last_error = std::move(error);
      BatchRequest b;
      b.kiosk_id = kiosk;
      b.batch_id = random_uuid();
      b.sent_at = h.clock;
      b.health = h;
      auto res = post(batch_to_body(b), token);
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 200) << res->body;
    };
    using std::chrono::minutes;
    using std::chrono::seconds;
    for (int i = 6; i >= 0; --i) beat("k1", token1_, minutes(2 + 5 * i), seconds(1), "1.4.0", 0);
    beat("k2", token2_, minutes(70), seconds(-2), "1.4.0", 12);
    beat("k2", token2_, minutes(25), seconds(-2), "1.4.0", 37,
         "server unreachable: Timeout was reached");
    beat("k3", t3, minutes(95), seconds(0), "1.3.2", 190);
    beat("k3", t3, minutes(90), seconds(0), "1.3.2", 210,
         "server unreachable: Could not resolve host: sipas.quangninh.gov.vn");
    beat("k5", t5, minutes(1), seconds(8 * 60 + 12), "1.4.0", 0);
    clock_.set(test_now());
  }

  std::string link(const std::string& user, const std::string& next) {
    auto svc = service();
    auto token = svc->store().create_login_link(user, clock_.now());
    EXPECT_TRUE(token.is_ok());
    return "http://127.0.0.1:" + std::to_string(dash_port_) + "/login/link?token=" + *token +
           "&next=" + next;
  }

  // `console` keeps Chromium's log (console messages, CSP violations among them) after the output.
  std::string chromium(const std::string& mode, const std::string& url, int height,
                       bool console = false) {
    std::string profile = (dir_.path() / ("chromium-" + std::to_string(++runs_))).string();
    std::filesystem::create_directories(profile);
    std::string cmd = std::string(kChromium) +
                      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                      "--disable-background-networking --disable-component-update --disable-sync "
                      "--hide-scrollbars --user-data-dir='" + profile + "' --window-size=1440," +
                      std::to_string(height) + " " + mode + " '" + url + "'" +
                      (console ? " --enable-logging=stderr --v=0 2>&1" : " 2>/dev/null");
    return run(cmd);
  }

  std::string dom(const std::string& user, const std::string& next) {
    return chromium("--dump-dom", link(user, next), 900);
  }

  void screenshot(const std::string& user, const std::string& next, const std::string& name,
                  int height) {
    auto file = out_dir_ / ("dashboard-" + name + ".png");
    std::filesystem::remove(file);
    chromium("--screenshot='" + file.string() + "'", link(user, next), height);
    EXPECT_TRUE(std::filesystem::exists(file)) << file;
    EXPECT_GT(std::filesystem::exists(file) ? std::filesystem::file_size(file) : 0u, 20000u) << file;
  }

  static std::string data_value(const std::string& body, const std::string& id) {
    std::smatch m;
    return std::regex_search(body, m, std::regex("id=\"" + id + "\" data-value=\"([^\"]*)\""))
               ? std::string(m[1])
               : "<missing>";
  }

  nlohmann::json api(const std::string& query) {
    auto r = get_as("province", "pw-province", "/api/v1/scores?" + query);
    EXPECT_TRUE(r && r->status == 200);
    return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
  }

  static std::string two(const nlohmann::json& v) {
    if (!v.is_number()) return "";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v.get<double>());
    return buf;
  }

  std::filesystem::path out_dir_;
  int runs_ = 0;
};

TEST_F(DashboardE2eTest, OverviewShowsTheApisNumbers) {
  std::string page = dom("province", "/%3Fperiod%3Dyear%26date%3D2026-11-18");
  ASSERT_NE(page.find("id=\"overall-index\""), std::string::npos) << page.substr(0, 2000);
  auto j = api("unit=22&period=year&date=2026-11-18");
  EXPECT_EQ(data_value(page, "overall-index"), two(j["index"]));
  EXPECT_EQ(data_value(page, "responses"), std::to_string(j["responses"].get<int>()));
  EXPECT_EQ(data_value(page, "change"), two(j["change"]));
  for (const auto& c : j["children"]) {
    std::smatch m;
    std::string unit = c["unit"];
    ASSERT_TRUE(std::regex_search(page, m,
                                  std::regex("data-unit=\"" + std::regex_replace(unit, std::regex("\\."), "\\.") +
                                             "\">[\\s\\S]*?data-value=\"([^\"]*)\"")));
    EXPECT_EQ(std::string(m[1]), two(c["index"])) << unit;
  }
}

TEST_F(DashboardE2eTest, DrillDownPagesShowTheApisNumbers) {
  std::string unit = dom("province", "/unit%3Funit%3D22.PVHCC%26period%3Dquarter%26date%3D2026-09-30");
  auto ju = api("unit=22.PVHCC&period=quarter&date=2026-09-30");
  EXPECT_EQ(data_value(unit, "overall-index"), two(ju["index"]));
  std::string counter =
      dom("province", "/unit%3Funit%3D22.PVHCC%26counter%3DQ1%26period%3Dquarter%26date%3D2026-09-30");
  auto jc = api("unit=22.PVHCC&counter=Q1&period=quarter&date=2026-09-30");
  EXPECT_EQ(data_value(counter, "overall-index"), two(jc["index"]));
  EXPECT_EQ(data_value(counter, "responses"), std::to_string(jc["responses"].get<int>()));
  std::string officer = dom(
      "province", "/unit%3Funit%3D22.PVHCC%26counter%3DQ1%26officer%3DCB11%26period%3Dquarter%26date%3D2026-09-30");
  auto jo = api("unit=22.PVHCC&counter=Q1&officer=CB11&period=quarter&date=2026-09-30");
  EXPECT_EQ(data_value(officer, "overall-index"), two(jo["index"]));
}

TEST_F(DashboardE2eTest, ProceduresTableShowsTheApisNumbers) {
  std::string page = dom("province", "/unit%3Funit%3D22.PVHCC%26period%3Dquarter%26date%3D2026-09-30");
  ASSERT_NE(page.find("id=\"procedures\""), std::string::npos) << page.substr(0, 2000);
  auto j = api("unit=22.PVHCC&period=quarter&date=2026-09-30&group=procedure");
  ASSERT_EQ(j["groups"].size(), 5u);  // four procedures and none
  for (const auto& g : j["groups"]) {
    std::string code = g["key"].is_string() ? g["key"].get<std::string>() : "";
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        page, m,
        std::regex("<tr data-procedure=\"" + std::regex_replace(code, std::regex("\\."), "\\.") +
                   "\"><td>[\\s\\S]*?</td><td class=\"num\" data-value=\"([^\"]*)\">[\\s\\S]*?"
                   "</td><td class=\"num[^\"]*\" data-value=\"([^\"]*)\"")))
        << code;
    EXPECT_EQ(std::string(m[1]), std::to_string(g["responses"].get<int>())) << code;
    EXPECT_EQ(std::string(m[2]), two(g["index"])) << code;
  }
  EXPECT_NE(page.find("Đăng ký biến động đất đai"), std::string::npos);
  std::string filtered = dom(
      "province", "/unit%3Funit%3D22.PVHCC%26procedure%3D1.012302%26period%3Dquarter%26date%3D2026-09-30");
  auto jf = api("unit=22.PVHCC&procedure=1.012302&period=quarter&date=2026-09-30");
  EXPECT_EQ(data_value(filtered, "overall-index"), two(jf["index"]));
  EXPECT_EQ(data_value(filtered, "responses"), std::to_string(jf["responses"].get<int>()));
  EXPECT_NE(filtered.find("id=\"crumb-procedure\""), std::string::npos);
}

TEST_F(DashboardE2eTest, CommentsPageEscapesCitizenText) {
  std::string page = dom("province", "/comments%3Fperiod%3Dyear%26date%3D2026-11-18");
  EXPECT_NE(page.find("&lt;b&gt;Thủ tục&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<b>Thủ tục</b>"), std::string::npos);
}

TEST_F(DashboardE2eTest, UnitUserIsRefusedAnotherUnitsPage) {
  std::string page = dom("pvhcc", "/unit%3Funit%3D22.SO-TP");
  EXPECT_NE(page.find("403"), std::string::npos);
  EXPECT_EQ(page.find("id=\"overall-index\""), std::string::npos);
}

// The pages keep to their own Content-Security-Policy: no inline style or script is refused.
TEST_F(DashboardE2eTest, NoPageBreaksItsContentSecurityPolicy) {
  for (const char* next :
       {"/%3Fperiod%3Dyear%26date%3D2026-11-18",
        "/unit%3Funit%3D22.PVHCC%26period%3Dquarter%26date%3D2026-09-30",
        "/unit%3Funit%3D22.PVHCC%26counter%3DQ1%26period%3Dquarter%26date%3D2026-09-30",
        "/unit%3Funit%3D22.PVHCC%26procedure%3D1.012302%26period%3Dquarter%26date%3D2026-09-30",
        "/comments%3Fperiod%3Dyear%26date%3D2026-11-18", "/kiosks", "/kiosk%3Fid%3Dk3"}) {
    std::string out = chromium("--dump-dom", link("province", next), 900, true);
    EXPECT_NE(out.find("</html>"), std::string::npos) << next;
    EXPECT_EQ(out.find("Content Security Policy"), std::string::npos) << next << "\n" << out.substr(0, 3000);
  }
  std::string login = chromium("--dump-dom", "http://127.0.0.1:" + std::to_string(dash_port_) + "/login",
                               900, true);
  EXPECT_NE(login.find("</html>"), std::string::npos);
  EXPECT_EQ(login.find("Content Security Policy"), std::string::npos) << login.substr(0, 3000);
}

TEST_F(DashboardE2eTest, Screenshots) {
  screenshot("province", "/%3Fperiod%3Dyear%26date%3D2026-11-18", "overview", 2600);
  screenshot("province", "/%3Fperiod%3Dyear%26date%3D2026-11-18%26lang%3Den", "overview-en", 2600);
  screenshot("province", "/unit%3Funit%3D22.PVHCC%26period%3Dquarter%26date%3D2026-09-30", "unit", 2550);
  screenshot("province",
             "/unit%3Funit%3D22.PVHCC%26procedure%3D1.012302%26period%3Dquarter%26date%3D2026-09-30",
             "procedure", 2300);
  screenshot("province", "/unit%3Funit%3D22.PVHCC%26counter%3DQ1%26period%3Dquarter%26date%3D2026-09-30",
             "counter", 2350);
  screenshot("province", "/comments%3Fperiod%3Dmonth%26date%3D2026-11-18", "comments", 1200);
  screenshot("province", "/kiosks", "kiosks", 900);
  screenshot("province", "/kiosks%3Flang%3Den%26sort%3Dbacklog%26order%3Ddesc", "kiosks-en", 900);
  screenshot("province", "/kiosk%3Fid%3Dk3", "kiosk", 900);
  auto file = out_dir_ / "dashboard-login.png";
  std::filesystem::remove(file);
  chromium("--screenshot='" + file.string() + "'",
           "http://127.0.0.1:" + std::to_string(dash_port_) + "/login", 900);
  EXPECT_TRUE(std::filesystem::exists(file));
}

}  // namespace
}  // namespace sipas::test
