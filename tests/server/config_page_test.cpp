// The dashboard's configuration page (issue 13): a unit's bundle shown, checked and saved through
// the session's CSRF-protected form, errors named, and only for units the user may see. Both
// stores.
#include <gtest/gtest.h>

#include "dashboard_test_support.hpp"
#include "sipas/server/config_bundles.hpp"

namespace sipas::test {
namespace {

class ConfigPageTest : public DashboardTest {
 protected:
  // A session of `user`: its cookie header and its CSRF token.
  std::pair<httplib::Headers, std::string> session_of(const std::string& user) {
    auto s = store_->create_session(user, test_now());
    EXPECT_TRUE(s.is_ok()) << s.status().message();
    if (!s.is_ok()) return {};
    return {httplib::Headers{{"Cookie", "sipas_session=" + s->token}}, s->session.csrf};
  }

  httplib::Result post_form(const httplib::Headers& headers, const httplib::Params& form) {
    auto c = dash_client();
    return c.Post("/config", headers, form);
  }
};

TEST_F(ConfigPageTest, SavingAValidBundleStoresANewVersionForTheUnit) {
  auto [cookie, csrf] = session_of("pvhcc");
  auto r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"action", "save"},
                              {"bundle", R"({"settings": {"thanks_seconds": 7}})"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  auto latest = store_->latest_config_bundle(kUnitScope, kUnit);
  ASSERT_TRUE(latest.is_ok());
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->uploaded_by, "pvhcc");
  EXPECT_NE((*latest)->content->find("\"thanks_seconds\":7"), std::string::npos);

  auto c = dash_client();
  auto page = c.Get(r->get_header_value("Location"), cookie);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("id=\"config-effective\""), std::string::npos);
  EXPECT_NE(page->body.find(std::to_string((*latest)->version)), std::string::npos);
}

TEST_F(ConfigPageTest, AnInvalidBundleIsRefusedWithTheFileAndFieldNamedAndNothingStored) {
  auto [cookie, csrf] = session_of("pvhcc");
  auto r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"action", "save"},
                              {"bundle", R"({"settings": {"idle_timeout_seconds": 2}})"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_NE(r->body.find("kiosk.json: idle_timeout_seconds: must be between 5 and 600, got 2"),
            std::string::npos)
      << r->body;
  auto latest = store_->latest_config_bundle(kUnitScope, kUnit);
  ASSERT_TRUE(latest.is_ok());
  EXPECT_FALSE(latest->has_value());
}

TEST_F(ConfigPageTest, AUserCannotChangeAUnitOutsideTheirOwn) {
  auto [cookie, csrf] = session_of("sotp");
  auto r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"action", "save"},
                              {"bundle", R"({"settings": {"thanks_seconds": 7}})"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  auto latest = store_->latest_config_bundle(kUnitScope, kUnit);
  ASSERT_TRUE(latest.is_ok());
  EXPECT_FALSE(latest->has_value());
  auto page = get_as("sotp", "pw-sotp", std::string("/config?unit=") + kUnit);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 403);
}

TEST_F(ConfigPageTest, APostWithoutTheSessionsCsrfTokenIsRefused) {
  auto [cookie, csrf] = session_of("province");
  auto r = post_form(cookie, {{"csrf", "wrong"}, {"unit", kUnit}, {"action", "save"},
                              {"bundle", R"({"settings": {"thanks_seconds": 7}})"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  auto latest = store_->latest_config_bundle(kUnitScope, kUnit);
  ASSERT_TRUE(latest.is_ok());
  EXPECT_FALSE(latest->has_value());
}

TEST_F(ConfigPageTest, AKioskOverrideIsSavedAndRemovedFromItsPage) {
  auto [cookie, csrf] = session_of("province");
  auto r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"kiosk", "k1"}, {"action", "save"},
                              {"bundle", R"({"settings": {"thanks_seconds": 9}})"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  auto e = effective_bundle(*store_, kKioskScope, "k1");
  ASSERT_TRUE(e.is_ok());
  EXPECT_EQ(e->content.settings["thanks_seconds"], 9);
  r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"kiosk", "k1"}, {"action", "remove"},
                         {"confirm_remove", "1"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  e = effective_bundle(*store_, kKioskScope, "k1");
  ASSERT_TRUE(e.is_ok());
  EXPECT_FALSE(e->has_content);
  // k2 is not a kiosk of this unit.
  r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"kiosk", "k2"}, {"action", "save"},
                         {"bundle", "{}"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

// A realistic bundle: a procedure catalogue in Vietnamese, some 12 KB once url-encoded.
std::string vietnamese_bundle(std::size_t min_encoded_bytes) {
  nlohmann::json procedures = nlohmann::json::array();
  std::string encoded;
  for (int i = 0; encoded.size() < min_encoded_bytes; ++i) {
    procedures.push_back({{"code", "1.00" + std::to_string(1000 + i)},
                          {"name", {{"vi", "Cấp đổi giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở số " +
                                                  std::to_string(i)}}}});
    nlohmann::json doc{{"settings", {{"thanks_seconds", 7}}}, {"procedures", procedures}};
    encoded = httplib::detail::encode_query_param(doc.dump());
  }
  return nlohmann::json{{"settings", {{"thanks_seconds", 7}}}, {"procedures", procedures}}.dump();
}

TEST_F(ConfigPageTest, ABundleOfTwelveKilobytesWithVietnameseTextIsSaved) {
  auto [cookie, csrf] = session_of("pvhcc");
  const std::string bundle = vietnamese_bundle(12 * 1024);
  ASSERT_GT(httplib::detail::encode_query_param(bundle).size(), 12u * 1024);
  auto r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"action", "save"}, {"bundle", bundle}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  auto latest = store_->latest_config_bundle(kUnitScope, kUnit);
  ASSERT_TRUE(latest.is_ok());
  ASSERT_TRUE(latest->has_value());
  EXPECT_NE((*latest)->content->find("quyền sở hữu nhà ở số 3"), std::string::npos);
}

TEST_F(ConfigPageTest, AFormOverTheLimitGetsThePageInTheUsersLanguageWithTheirText) {
  auto [cookie, csrf] = session_of("pvhcc");
  const std::string bundle = vietnamese_bundle(1100 * 1024);
  for (const std::string lang : {"", "en"}) {
    auto r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"lang", lang}, {"action", "save"},
                                {"bundle", bundle}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(r->get_header_value("Content-Type").rfind("text/html", 0), 0u);
    EXPECT_NE(r->body.find(lang == "en" ? "Not saved: the form is too large"
                                        : "Chưa lưu: nội dung gửi lên quá lớn"),
              std::string::npos);
    EXPECT_NE(r->body.find("quyền sở hữu nhà ở số 1000"), std::string::npos);  // in the textarea
    EXPECT_EQ(r->body.find("payload too large"), std::string::npos);
  }
  auto latest = store_->latest_config_bundle(kUnitScope, kUnit);
  ASSERT_TRUE(latest.is_ok());
  EXPECT_FALSE(latest->has_value());
}

TEST_F(ConfigPageTest, AnInvalidBundleIsShownAsAnErrorWithALeadIn) {
  auto [cookie, csrf] = session_of("pvhcc");
  for (const std::string lang : {"", "en"}) {
    auto r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"lang", lang}, {"action", "save"},
                                {"bundle", R"({"settings": {"idle_timeout_seconds": 2}})"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422);
    EXPECT_NE(r->body.find("class=\"card error-card\" id=\"config-message\""), std::string::npos);
    EXPECT_NE(r->body.find(lang == "en" ? "Not saved — the configuration has an error:"
                                        : "Chưa lưu — cấu hình có lỗi:"),
              std::string::npos)
        << r->body;
  }
}

TEST_F(ConfigPageTest, TheMenuCarriesTheUnitAndThePageLinksTheUnitsBelow) {
  auto [cookie, csrf] = session_of("province");
  auto c = dash_client();
  auto root = c.Get("/config?unit=22", cookie);
  ASSERT_TRUE(root);
  ASSERT_EQ(root->status, 200);
  EXPECT_NE(root->body.find("id=\"config-units\""), std::string::npos);
  EXPECT_NE(root->body.find("href=\"/config?unit=22.PVHCC\">22.PVHCC – Trung tâm PVHCC</a>"),
            std::string::npos)
      << root->body;
  EXPECT_NE(root->body.find("Sở Tư pháp</a>"), std::string::npos);
  // No bundle anywhere yet: said so, not "version 0"; the empty history says so too.
  EXPECT_NE(root->body.find("id=\"config-no-bundle\">chưa có cấu hình</span>"), std::string::npos);
  EXPECT_EQ(root->body.find("phiên bản 0"), std::string::npos);
  EXPECT_NE(root->body.find("Chưa có phiên bản nào."), std::string::npos);
  auto unit = c.Get("/config?unit=22.PVHCC", cookie);
  ASSERT_TRUE(unit);
  EXPECT_NE(unit->body.find("<a href=\"/config?unit=22.PVHCC\" class=\"on\">"), std::string::npos)
      << unit->body;
  auto kiosks = c.Get("/kiosks?unit=22.PVHCC", cookie);
  ASSERT_TRUE(kiosks);
  EXPECT_NE(kiosks->body.find("<a href=\"/config?unit=22.PVHCC\">"), std::string::npos);
}

TEST_F(ConfigPageTest, TheKioskPageSaysWhatItRunsAndThatItInheritsItsUnits) {
  auto [cookie, csrf] = session_of("province");
  auto c = dash_client();
  auto page = c.Get(std::string("/config?unit=") + kUnit + "&kiosk=k1", cookie);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("id=\"config-kiosk-running\""), std::string::npos);
  EXPECT_NE(page->body.find("href=\"/kiosk?id=k1\" id=\"config-kiosk-page\""), std::string::npos);
  EXPECT_NE(page->body.find("Kiosk dùng cấu hình của đơn vị"), std::string::npos);
  EXPECT_EQ(page->body.find("name=\"confirm_remove\""), std::string::npos);  // nothing to remove
  auto r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"kiosk", "k1"}, {"action", "save"},
                              {"bundle", R"({"settings": {"thanks_seconds": 9}})"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303);
  page = c.Get(std::string("/config?unit=") + kUnit + "&kiosk=k1&lang=en", cookie);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->body.find("The kiosk uses its unit's configuration"), std::string::npos);
  EXPECT_NE(page->body.find("The kiosk reports running configuration version"), std::string::npos);
  EXPECT_NE(page->body.find("name=\"confirm_remove\""), std::string::npos);
}

TEST_F(ConfigPageTest, RemovingNeedsTheBoxTicked) {
  auto [cookie, csrf] = session_of("province");
  auto r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"action", "save"},
                              {"bundle", R"({"settings": {"thanks_seconds": 9}})"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303);
  r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"action", "remove"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_NE(r->body.find("Chưa xóa"), std::string::npos);
  auto latest = store_->latest_config_bundle(kUnitScope, kUnit);
  ASSERT_TRUE(latest.is_ok());
  ASSERT_TRUE(latest->has_value());
  EXPECT_TRUE((*latest)->content.has_value());
  r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"action", "remove"}, {"confirm_remove", "1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  latest = store_->latest_config_bundle(kUnitScope, kUnit);
  ASSERT_TRUE(latest.is_ok());
  ASSERT_TRUE(latest->has_value());
  EXPECT_FALSE((*latest)->content.has_value());
}

TEST_F(ConfigPageTest, TheHistoryHasHeadingsAndVietnamsLocalTime) {
  auto [cookie, csrf] = session_of("province");
  // test_now() is 2026-11-18 11:06:40 UTC: 18:06 in Vietnam.
  auto v = store_->put_config_bundle(kUnitScope, kUnit, "{}", {}, "admin", test_now());
  ASSERT_TRUE(v.is_ok()) << v.status().message();
  auto c = dash_client();
  auto vi = c.Get(std::string("/config?unit=") + kUnit, cookie);
  ASSERT_TRUE(vi);
  EXPECT_NE(vi->body.find("<th class=\"num\">Phiên bản</th><th>Thời gian</th><th>Người thực hiện</th>"),
            std::string::npos);
  EXPECT_NE(vi->body.find("<td class=\"date\">18:06 18/11/2026</td>"), std::string::npos) << vi->body;
  auto en = c.Get(std::string("/config?unit=") + kUnit + "&lang=en", cookie);
  ASSERT_TRUE(en);
  EXPECT_NE(en->body.find("<td class=\"date\">2026-11-18 18:06</td>"), std::string::npos);
  EXPECT_EQ(en->body.find("UTC"), std::string::npos);
}

}  // namespace
}  // namespace sipas::test
