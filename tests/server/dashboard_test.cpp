#include <gtest/gtest.h>

#include <regex>

#include "dashboard_test_support.hpp"
#include "sipas/server/sessions.hpp"

namespace sipas::test {
namespace {

class DashboardPageTest : public DashboardTest {
 protected:
  void SetUp() override {
    DashboardTest::SetUp();
    post_fixture();
    auto svc = service();
    ASSERT_TRUE(svc);
    ASSERT_TRUE(svc->rebuild().is_ok());
  }
  std::string page(const std::string& target) {
    auto r = get_as("province", "pw-province", target);
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 200) << target;
    return r->body;
  }
  static std::string data_value(const std::string& body, const std::string& id) {
    std::smatch m;
    std::regex re("id=\"" + id + "\" data-value=\"([^\"]*)\"");
    return std::regex_search(body, m, re) ? std::string(m[1]) : "<missing>";
  }
};

TEST_F(DashboardPageTest, CommentIsEscapedNeverMarkup) {
  for (const char* target : {"/comments?unit=22&period=quarter&date=2026-09-30",
                             "/unit?unit=22&period=quarter&date=2026-09-30"}) {
    std::string body = page(target);
    EXPECT_EQ(body.find("<script>alert"), std::string::npos) << target;
    EXPECT_NE(body.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; chờ lâu"),
              std::string::npos)
        << target;
  }
}

TEST_F(DashboardPageTest, CommentsShowTheirReasons) {
  std::string body = page("/comments?unit=22&period=quarter&date=2026-09-30");
  EXPECT_NE(body.find("pill warn"), std::string::npos);
  EXPECT_NE(body.find("Hướng dẫn"), std::string::npos);
}

TEST_F(DashboardPageTest, OverviewNumbersEqualTheApi) {
  std::string body = page("/unit?unit=22&period=quarter&date=2026-09-30");
  auto api = get_as("province", "pw-province", "/api/v1/scores?unit=22&period=quarter&date=2026-09-30");
  ASSERT_TRUE(api);
  auto j = nlohmann::json::parse(api->body);
  char expected[32];
  std::snprintf(expected, sizeof expected, "%.2f", j["index"].get<double>());
  EXPECT_EQ(data_value(body, "overall-index"), expected);
  EXPECT_EQ(data_value(body, "responses"), std::to_string(j["responses"].get<int>()));
  EXPECT_NE(body.find("Trung tâm PVHCC"), std::string::npos);
}

TEST_F(DashboardPageTest, EnglishSwitch) {
  std::string vi = page("/unit?unit=22&period=quarter&date=2026-09-30");
  EXPECT_NE(vi.find("Chỉ số hài lòng"), std::string::npos);
  EXPECT_NE(vi.find("lang=en"), std::string::npos);
  std::string en = page("/unit?unit=22&period=quarter&date=2026-09-30&lang=en");
  EXPECT_NE(en.find("Satisfaction index"), std::string::npos);
  EXPECT_NE(en.find("Access to the service"), std::string::npos);
}

TEST_F(DashboardPageTest, DrillDownFromUnitToCounterToOfficer) {
  std::string unit = page("/unit?unit=22.PVHCC&period=quarter&date=2026-09-30");
  EXPECT_NE(unit.find("counter=Q1"), std::string::npos);
  std::string counter = page("/unit?unit=22.PVHCC&counter=Q1&period=quarter&date=2026-09-30");
  EXPECT_NE(counter.find("id=\"officers\""), std::string::npos);
  EXPECT_NE(counter.find("officer=A"), std::string::npos);
  std::string officer = page("/unit?unit=22.PVHCC&counter=Q1&officer=A&period=quarter&date=2026-09-30");
  EXPECT_EQ(data_value(officer, "overall-index"), "75.00");
}

TEST_F(DashboardPageTest, EveryPeriodOfThePickerRenders) {
  for (const char* p : {"day", "week", "month", "quarter", "6m", "9m", "year"}) {
    page(std::string("/unit?unit=22&date=2026-09-30&period=") + p);
  }
  std::string range = page("/unit?unit=22&period=range&from=2026-09-30&to=2026-10-01");
  EXPECT_EQ(data_value(range, "responses"), "3");
}

TEST_F(DashboardPageTest, KioskFleetPage) {
  std::string body = page("/kiosks");
  EXPECT_NE(body.find("data-kiosk=\"k1\""), std::string::npos);
  EXPECT_NE(body.find("data-kiosk=\"k2\""), std::string::npos);
}

TEST_F(DashboardPageTest, StylesheetIsServedLocally) {
  auto c = dash_client();
  auto css = c.Get("/assets/app.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_NE(css->body.find(".cards"), std::string::npos);
  std::string body = page("/");
  EXPECT_EQ(body.find("http://"), std::string::npos);
  EXPECT_EQ(body.find("https://"), std::string::npos);
}

}  // namespace
}  // namespace sipas::test
