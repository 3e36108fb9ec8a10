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
  r = post_form(cookie, {{"csrf", csrf}, {"unit", kUnit}, {"kiosk", "k1"}, {"action", "remove"}});
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

}  // namespace
}  // namespace sipas::test
