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

// The procedures table: responses and index per procedure, as data-value attributes.
std::pair<std::string, std::string> procedure_row(const std::string& body, const std::string& code) {
  std::smatch m;
  std::regex re("<tr data-procedure=\"" + std::regex_replace(code, std::regex("\\."), "\\.") +
                "\"><td>.*?</td><td class=\"num\" data-value=\"([^\"]*)\">.*?</td><td class=\"num[^\"]*\" "
                "data-value=\"([^\"]*)\"");
  if (!std::regex_search(body, m, re)) return {"<missing>", "<missing>"};
  return {m[1], m[2]};
}

TEST_F(DashboardPageTest, ProceduresTableEqualsTheApi) {
  load_procedures();
  std::string body = page("/unit?unit=22&period=quarter&date=2026-09-30");
  ASSERT_NE(body.find("id=\"procedures\""), std::string::npos);
  EXPECT_NE(body.find("Thủ tục hành chính"), std::string::npos);
  auto api = get_as("province", "pw-province",
                    "/api/v1/scores?unit=22&period=quarter&date=2026-09-30&group=procedure");
  ASSERT_TRUE(api);
  auto j = nlohmann::json::parse(api->body);
  ASSERT_EQ(j["groups"].size(), 3u);
  for (const auto& g : j["groups"]) {
    std::string code = g["key"].is_string() ? g["key"].get<std::string>() : "";
    auto [responses, index] = procedure_row(body, code);
    EXPECT_EQ(responses, std::to_string(g["responses"].get<int>())) << code;
    char expected[32] = "";
    if (g["index"].is_number()) std::snprintf(expected, sizeof expected, "%.2f", g["index"].get<double>());
    EXPECT_EQ(index, expected) << code;
  }
  EXPECT_NE(body.find("Đăng ký khai sinh"), std::string::npos);
  EXPECT_NE(body.find("procedure=1.001193"), std::string::npos);
  std::string en = page("/unit?unit=22&period=quarter&date=2026-09-30&lang=en");
  EXPECT_NE(en.find("Birth registration"), std::string::npos);
  EXPECT_NE(en.find("Weakest element"), std::string::npos);
}

TEST_F(DashboardPageTest, ProceduresTableIsLeftOutWhenNoResponseNamesOne) {
  std::string body = page("/unit?unit=22.SO-TP&period=quarter&date=2026-09-30");
  EXPECT_EQ(body.find("id=\"procedures\""), std::string::npos);
}

TEST_F(DashboardPageTest, ProcedureFilterCarriesThroughDrillDownAndPicker) {
  load_procedures();
  std::string body = page("/unit?unit=22&procedure=1.001193&period=quarter&date=2026-09-30");
  EXPECT_NE(body.find("id=\"crumb-procedure\""), std::string::npos);
  EXPECT_NE(body.find("Đăng ký khai sinh (1.001193)"), std::string::npos);
  EXPECT_NE(body.find("<input type=\"hidden\" name=\"procedure\" value=\"1.001193\">"),
            std::string::npos);
  EXPECT_NE(body.find("/unit?unit=22.PVHCC&amp;procedure=1.001193&amp;period=quarter"),
            std::string::npos);
  EXPECT_EQ(body.find("id=\"procedures\""), std::string::npos);
  auto api = get_as("province", "pw-province",
                    "/api/v1/scores?unit=22&period=quarter&date=2026-09-30&procedure=1.001193");
  ASSERT_TRUE(api);
  auto j = nlohmann::json::parse(api->body);
  char expected[32];
  std::snprintf(expected, sizeof expected, "%.2f", j["index"].get<double>());
  EXPECT_EQ(data_value(body, "overall-index"), expected);
  EXPECT_EQ(data_value(body, "responses"), "1");
  std::string counter = page("/unit?unit=22.PVHCC&counter=Q1&procedure=1.001193&period=quarter&date=2026-09-30");
  EXPECT_NE(counter.find("officer=A&amp;procedure=1.001193"), std::string::npos);
}

// R1 (1.001193, Q1, officer A) holds the only comment of the quarter.
TEST_F(DashboardPageTest, LatestCommentsFollowThePagesCounterOfficerAndProcedure) {
  const std::string mark = "chờ lâu";
  auto comments_box = [](const std::string& body) {
    auto at = body.find("id=\"latest-comments\"");
    return at == std::string::npos ? std::string("<missing>") : body.substr(at);
  };
  const char* q = "&period=quarter&date=2026-09-30";
  EXPECT_NE(comments_box(page(std::string("/unit?unit=22") + q)).find(mark), std::string::npos);
  EXPECT_NE(comments_box(page(std::string("/unit?unit=22&procedure=1.001193") + q)).find(mark),
            std::string::npos);
  EXPECT_EQ(comments_box(page(std::string("/unit?unit=22&procedure=2.002154") + q)).find(mark),
            std::string::npos);
  EXPECT_EQ(comments_box(page(std::string("/unit?unit=22.PVHCC&counter=Q2") + q)).find(mark),
            std::string::npos);
  EXPECT_EQ(comments_box(page(std::string("/unit?unit=22.PVHCC&counter=Q1&officer=B") + q))
                .find(mark),
            std::string::npos);
  std::string box = comments_box(page(std::string("/unit?unit=22.PVHCC&counter=Q1&procedure=1.001193") + q));
  EXPECT_NE(box.find(mark), std::string::npos);
  EXPECT_NE(box.find("/comments?unit=22.PVHCC&amp;counter=Q1&amp;procedure=1.001193"),
            std::string::npos)
      << box.substr(0, 400);
}

TEST_F(DashboardPageTest, CommentsPageNarrowsByCounterOfficerAndProcedure) {
  const std::string mark = "chờ lâu";
  const char* q = "&period=quarter&date=2026-09-30";
  EXPECT_NE(page(std::string("/comments?unit=22") + q).find(mark), std::string::npos);
  EXPECT_NE(page(std::string("/comments?unit=22&procedure=1.001193") + q).find(mark),
            std::string::npos);
  std::string other = page(std::string("/comments?unit=22&procedure=2.002154") + q);
  EXPECT_EQ(other.find(mark), std::string::npos);
  EXPECT_NE(other.find("<input type=\"hidden\" name=\"procedure\" value=\"2.002154\">"),
            std::string::npos);
  EXPECT_EQ(page(std::string("/comments?unit=22&counter=Q2") + q).find(mark), std::string::npos);
  EXPECT_EQ(page(std::string("/comments?unit=22&officer=B") + q).find(mark), std::string::npos);
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

// A unit, counter, officer and comment whose names are markup: every page shows them as text.
TEST_F(DashboardPageTest, HostileNamesAreEscapedOnEveryPage) {
  const std::string script = "<script>alert(1)</script>";
  const std::string attribute = "\"onmouseover=alert(2) x=\"";
  ASSERT_TRUE(store_->import_units({{"22.X", script + attribute, std::string("22")}}).is_ok());
  std::string token = random_token();
  ASSERT_TRUE(store_->add_kiosk("k3", "22.X", token_hash(token), test_now()).is_ok());
  post_chain("k3", token,
             {likert("22.X", script, attribute, "2026-09-30T10:00:00Z", ResponseStatus::complete,
                     {{"access.waiting_time", 2}, {"officer.polite", 2}}, {"long_wait"},
                     script + attribute)});
  auto svc = service();
  ASSERT_TRUE(svc);
  ASSERT_TRUE(svc->rebuild().is_ok());
  const std::string q = "&period=quarter&date=2026-09-30";
  const std::string counter = "&counter=" + httplib::detail::encode_query_param(script);
  const std::string officer = "&officer=" + httplib::detail::encode_query_param(attribute);
  for (const std::string& target :
       {"/unit?unit=22" + q, "/unit?unit=22.X" + q, "/unit?unit=22.X" + counter + q,
        "/unit?unit=22.X" + counter + officer + q, "/comments?unit=22.X" + q,
        "/comments?unit=22.X" + officer + q}) {
    std::string body = page(target);
    EXPECT_EQ(body.find(script), std::string::npos) << target;
    EXPECT_EQ(body.find(attribute), std::string::npos) << target;
    EXPECT_NE(body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << target;
    EXPECT_NE(body.find("&quot;onmouseover=alert(2) x=&quot;"), std::string::npos) << target;
  }
}

// The pages' Content-Security-Policy (style-src 'self') would block inline styles.
TEST_F(DashboardPageTest, NoPageHasAnInlineStyle) {
  load_procedures();
  const std::string q = "&period=quarter&date=2026-09-30";
  for (const std::string& target :
       {std::string("/"), "/unit?unit=22" + q, "/unit?unit=22.PVHCC" + q,
        "/unit?unit=22.PVHCC&counter=Q1" + q, "/unit?unit=22.PVHCC&counter=Q1&officer=A" + q,
        "/unit?unit=22&procedure=1.001193" + q, "/unit?unit=22&lang=en" + q,
        "/comments?unit=22" + q, std::string("/kiosks")}) {
    std::string body = page(target);
    EXPECT_EQ(body.find("style="), std::string::npos) << target;
    EXPECT_NE(body.find("</html>"), std::string::npos) << target;
  }
  auto c = dash_client();
  for (const char* target : {"/login", "/login/link?token=nope"}) {
    auto r = c.Get(target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->body.find("style="), std::string::npos) << target;
    EXPECT_NE(r->body.find("</html>"), std::string::npos) << target;
  }
  auto forbidden = get_as("pvhcc", "pw-pvhcc", "/unit?unit=22.SO-TP");
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->status, 403);
  EXPECT_EQ(forbidden->body.find("style="), std::string::npos);
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
