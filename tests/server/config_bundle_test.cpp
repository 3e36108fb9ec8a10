// Remote configuration on the server (issue 13): bundles per unit and kiosk, validated with the
// kiosk's loader, inherited down the unit tree, served signed on GET /api/v1/config. Runs on both
// stores (SIPAS_TEST_STORE, see test_database.hpp).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "server_test_support.hpp"
#include "sipas/bundle.hpp"
#include "sipas/server/cli.hpp"
#include "sipas/server/config_bundles.hpp"

namespace sipas::test {
namespace {

using Json = nlohmann::json;

Json shipped_survey(const std::string& id) {
  std::ifstream in(std::filesystem::path(SIPAS_SOURCE_DIR) / "kiosk-config" / "surveys" / (id + ".json"));
  return Json::parse(in);
}

BundleContent bundle_of(Json settings, std::vector<Json> surveys = {}) {
  BundleContent b;
  b.settings = std::move(settings);
  b.surveys = std::move(surveys);
  return b;
}

class ConfigBundleTest : public ServerTest {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(ed25519_generate(&keys_, &error)) << error;
    ServerOptions options;
    options.config_signing_key = keys_.private_pem;
    start_server(options);
  }

  Result<StoredBundle> put(const std::string& scope, const std::string& id, const BundleContent& b) {
    return put_bundle(*store_, scope, id, b, "test", test_now());
  }

  httplib::Result fetch(const std::string& token, const std::string& if_none_match = "") const {
    auto c = client();
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    if (!if_none_match.empty()) headers.emplace("If-None-Match", if_none_match);
    return c.Get("/api/v1/config", headers);
  }

  std::string signature_of(const httplib::Result& r) const {
    std::string header = r->get_header_value("Sipas-Signature");
    EXPECT_TRUE(header.starts_with("ed25519=")) << header;
    return base64_decode(header.substr(8)).value_or("");
  }

  Ed25519KeyPair keys_;
};

TEST_F(ConfigBundleTest, InvalidQuestionnaireIsRefusedNamingFileAndField) {
  Json survey = shipped_survey("counter-short");
  survey["version"] = 2;
  survey["elements"][0]["criteria"][0]["text"].erase("en");
  auto r = put(kUnitScope, kUnit, bundle_of(Json::object(), {survey}));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(r.status().message(), "surveys/counter-short.json: elements[0].criteria[0].text.en: missing");
  auto latest = store_->latest_config_bundle(kUnitScope, kUnit);
  ASSERT_TRUE(latest.is_ok());
  EXPECT_FALSE(latest->has_value());
}

TEST_F(ConfigBundleTest, InvalidSettingIsRefusedNamingKioskJsonAndKey) {
  auto r = put(kUnitScope, kUnit, bundle_of({{"idle_timeout_seconds", 2}}));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(), "kiosk.json: idle_timeout_seconds: must be between 5 and 600, got 2");
}

TEST_F(ConfigBundleTest, LocalOnlySettingsAreLeftOutOfAnUploadedBundle) {
  std::vector<std::string> warnings;
  auto content = parse_bundle_content(
      Json{{"settings", {{"db_path", "/tmp/x.db"}, {"staff_pin_hash", ""}, {"thanks_seconds", 7}}}},
      "bundle.json", &warnings);
  ASSERT_TRUE(content.is_ok()) << content.status().message();
  EXPECT_EQ(content->settings, (Json{{"thanks_seconds", 7}}));
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("settings.db_path: local to each kiosk"), std::string::npos) << warnings[0];
}

TEST_F(ConfigBundleTest, NearerScopeWinsAndEveryChangeInTheChainRaisesTheVersion) {
  auto root = put(kUnitScope, "22", bundle_of({{"idle_timeout_seconds", 40}, {"thanks_seconds", 6}}));
  ASSERT_TRUE(root.is_ok()) << root.status().message();
  auto center = put(kUnitScope, kUnit, bundle_of({{"idle_timeout_seconds", 50}}));
  ASSERT_TRUE(center.is_ok()) << center.status().message();
  auto own = put(kKioskScope, "k1", bundle_of({{"idle_timeout_seconds", 60}}));
  ASSERT_TRUE(own.is_ok()) << own.status().message();
  EXPECT_LT(root->version, center->version);
  EXPECT_LT(center->version, own->version);

  auto e = effective_bundle(*store_, kKioskScope, "k1");
  ASSERT_TRUE(e.is_ok()) << e.status().message();
  EXPECT_EQ(e->content.settings, (Json{{"idle_timeout_seconds", 60}, {"thanks_seconds", 6}}));
  EXPECT_EQ(e->version, own->version);
  auto other = effective_bundle(*store_, kKioskScope, "k2");  // under 22.SO-TP
  ASSERT_TRUE(other.is_ok());
  EXPECT_EQ(other->content.settings, (Json{{"idle_timeout_seconds", 40}, {"thanks_seconds", 6}}));
  EXPECT_EQ(other->version, root->version);

  auto again = put(kUnitScope, "22", bundle_of({{"thanks_seconds", 8}}));
  ASSERT_TRUE(again.is_ok());
  e = effective_bundle(*store_, kKioskScope, "k1");
  ASSERT_TRUE(e.is_ok());
  EXPECT_EQ(e->version, again->version);
  EXPECT_EQ(e->content.settings, (Json{{"idle_timeout_seconds", 60}, {"thanks_seconds", 8}}));

  auto removed = remove_bundle(*store_, kKioskScope, "k1", "test", test_now());
  ASSERT_TRUE(removed.is_ok()) << removed.status().message();
  e = effective_bundle(*store_, kKioskScope, "k1");
  ASSERT_TRUE(e.is_ok());
  EXPECT_EQ(e->version, *removed);
  EXPECT_GT(*removed, again->version);
  EXPECT_EQ(e->content.settings, (Json{{"idle_timeout_seconds", 50}, {"thanks_seconds", 8}}));

  auto history = store_->config_bundle_history(kKioskScope, "k1");
  ASSERT_TRUE(history.is_ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_FALSE((*history)[0].content.has_value());
  EXPECT_EQ((*history)[1].uploaded_by, "test");
}

TEST_F(ConfigBundleTest, UnitBundleThatBreaksAKioskOverrideBelowIsRefused) {
  Json extra = shipped_survey("counter-short");
  extra["id"] = "extra";
  ASSERT_TRUE(put(kKioskScope, "k1", bundle_of(Json::object(), {extra})).is_ok());
  auto r = put(kUnitScope, "22", bundle_of({{"languages", {"vi", "en", "fr"}}}));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("as merged for kiosk k1: surveys/extra.json: "),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find(".fr: missing"), std::string::npos) << r.status().message();
}

TEST_F(ConfigBundleTest, QuestionnaireVersionAlreadyStoredWithOtherContentIsRefused) {
  Json changed = shipped_survey("counter-short");  // version 1 is on the server already
  changed["title"]["vi"] = "Khác";
  auto r = put(kUnitScope, kUnit, bundle_of(Json::object(), {changed}));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("surveys/counter-short.json: version: "), std::string::npos)
      << r.status().message();
  ASSERT_TRUE(put(kUnitScope, kUnit, bundle_of(Json::object(), {shipped_survey("counter-short")})).is_ok());
}

TEST_F(ConfigBundleTest, EndpointServesASignedBundleThatOnlyTheServersKeyVerifies) {
  auto stored = put(kUnitScope, kUnit, bundle_of({{"thanks_seconds", 7}}));
  ASSERT_TRUE(stored.is_ok()) << stored.status().message();
  auto r = fetch(token1_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("ETag"), "\"" + std::to_string(stored->version) + "\"");
  std::string signature = signature_of(r);
  auto verified = verify_bundle(r->body, signature, keys_.public_pem);
  ASSERT_TRUE(verified.is_ok()) << verified.status().message();
  EXPECT_EQ(verified->kiosk_id, "k1");
  EXPECT_EQ(verified->version, stored->version);
  EXPECT_EQ(verified->content.settings, (Json{{"thanks_seconds", 7}}));

  Ed25519KeyPair other;
  std::string error;
  ASSERT_TRUE(ed25519_generate(&other, &error));
  EXPECT_FALSE(verify_bundle(r->body, signature, other.public_pem).is_ok());
  std::string tampered = r->body;
  tampered.replace(tampered.find("\"thanks_seconds\":7"), 18, "\"thanks_seconds\":9");
  EXPECT_FALSE(verify_bundle(tampered, signature, keys_.public_pem).is_ok());
}

TEST_F(ConfigBundleTest, UnchangedVersionAnswers304AndAChangeAnswers200) {
  auto first = put(kUnitScope, kUnit, bundle_of({{"thanks_seconds", 7}}));
  ASSERT_TRUE(first.is_ok());
  const std::string etag = "\"" + std::to_string(first->version) + "\"";
  auto r = fetch(token1_, etag);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 304);
  EXPECT_TRUE(r->body.empty());
  ASSERT_TRUE(put(kUnitScope, "22", bundle_of({{"min_interval_seconds", 3}})).is_ok());
  r = fetch(token1_, etag);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ConfigBundleTest, NoBundleIs404AndABadTokenIs401) {
  auto r = fetch(token2_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json_of(r)["error"], "no configuration for this kiosk");
  r = fetch("not-a-token");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST_F(ConfigBundleTest, WithoutASigningKeyTheEndpointAnswers503) {
  stop_server();
  start_server(ServerOptions{});
  ASSERT_TRUE(put(kUnitScope, kUnit, bundle_of({{"thanks_seconds", 7}})).is_ok());
  auto r = fetch(token1_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(json_of(r)["error"], "configuration push is not set up on this server");
}

// Pushed while the server runs: the questionnaire is in the survey table before the bundle can be
// fetched, and a response on it is accepted, not quarantined as an unknown survey.
TEST_F(ConfigBundleTest, PushedQuestionnaireVersionIsAcceptedWithoutQuarantine) {
  Json v2 = shipped_survey("counter-short");
  v2["version"] = 2;
  v2["title"]["vi"] = "Phiên bản mới";
  auto stored = put(kUnitScope, kUnit, bundle_of(Json::object(), {v2}));
  ASSERT_TRUE(stored.is_ok()) << stored.status().message();
  auto texts = store_->survey_texts();
  ASSERT_TRUE(texts.is_ok());
  bool found = false;
  for (const auto& t : *texts) {
    Json doc = Json::parse(t);
    found = found || (doc["id"] == "counter-short" && doc.value("version", 1) == 2);
  }
  EXPECT_TRUE(found);

  auto responses = make_chain(kUnit, 1, 2);
  for (auto& r : responses) r.survey_version = 2;
  responses[0].hash = compute_hash(responses[0]);
  responses[1].prev_hash = responses[0].hash;
  responses[1].hash = compute_hash(responses[1]);
  auto reply = post(make_body("k1", responses), token1_);
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  EXPECT_EQ(json_of(reply)["accepted"], 2) << reply->body;
  EXPECT_EQ(quarantined(), 0);
}

TEST_F(ConfigBundleTest, MigratesFromThePreviousSchema) {
  ASSERT_TRUE(put(kUnitScope, kUnit, bundle_of({{"thanks_seconds", 7}})).is_ok());
  stop_server();
  store_.reset();
  if (TestDatabase::postgresql()) {
    db_.exec("DROP TABLE config_bundles; DROP TABLE alert_outbox; DROP TABLE alerts; "
             "DROP TABLE alert_cursor; DROP TABLE alert_rules; DROP TABLE improvement_actions; "
             "UPDATE schema_version SET version = 6;");
  } else {
    db_.exec("DROP TABLE config_bundles; DROP TABLE alert_outbox; DROP TABLE alerts; "
             "DROP TABLE alert_cursor; DROP TABLE alert_rules; DROP TABLE improvement_actions; "
             "PRAGMA user_version = 9;");
  }
  auto store = ServerStore::open(db_.db());
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  EXPECT_EQ(db_.query(TestDatabase::postgresql() ? "SELECT version FROM schema_version"
                                                 : "PRAGMA user_version"),
            TestDatabase::postgresql() ? "9" : "12");
  auto none = (*store)->latest_config_bundles();
  ASSERT_TRUE(none.is_ok()) << none.status().message();
  EXPECT_TRUE(none->empty());
  auto v = (*store)->put_config_bundle(kUnitScope, kUnit, "{}", {}, "test", test_now());
  ASSERT_TRUE(v.is_ok()) << v.status().message();
}

class ConfigCliTest : public ::testing::Test {
 protected:
  int run(std::vector<std::string> args, std::string* out = nullptr, std::string* err = nullptr) {
    std::istringstream in;
    std::ostringstream o, e;
    int status = run_cli(args, in, o, e);
    if (out) *out = o.str();
    if (err) *err = e.str();
    return status;
  }
  TempDir dir_;
  TestDatabase db_{dir_.path()};
};

TEST_F(ConfigCliTest, KeygenWritesAPrivateKeyOnlyItsOwnerReadsAndNeverOverwrites) {
  const auto priv = dir_.path() / "sign.pem";
  const auto pub = dir_.path() / "sign.pub";
  std::string err;
  ASSERT_EQ(run({"keygen", "--private", priv.string(), "--public", pub.string()}, nullptr, &err), 0) << err;
  struct stat st {};
  ASSERT_EQ(::stat(priv.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto key = load_signing_key(priv);
  ASSERT_TRUE(key.is_ok()) << key.status().message();
  EXPECT_TRUE(read_public_key(pub).is_ok());
  std::ifstream before(priv);
  std::stringstream first;
  first << before.rdbuf();
  EXPECT_NE(run({"keygen", "--private", priv.string(), "--public", (dir_.path() / "b.pub").string()},
                nullptr, &err),
            0);
  EXPECT_NE(err.find("already exists"), std::string::npos) << err;
  EXPECT_EQ(*load_signing_key(priv), first.str());
}

TEST_F(ConfigCliTest, ConfigSetTakesAKioskConfigDirectoryAndShowsTheEffectiveBundle) {
  ASSERT_EQ(run({"unit", "add", "--db", db_.db(), "--code", "22", "--name", "Tỉnh"}), 0);
  ASSERT_EQ(run({"unit", "add", "--db", db_.db(), "--code", "22.C", "--name", "Trung tâm", "--parent", "22"}), 0);
  ASSERT_EQ(run({"kiosk", "add", "--db", db_.db(), "--kiosk-id", "K1", "--unit", "22.C"}), 0);
  std::string out, err;
  const std::string shipped = (std::filesystem::path(SIPAS_SOURCE_DIR) / "kiosk-config").string();
  ASSERT_EQ(run({"config", "set", "--db", db_.db(), "--unit", "22", "--file", shipped}, &out, &err), 0) << err;
  EXPECT_NE(out.find("unit 22: configuration version "), std::string::npos) << out;
  ASSERT_EQ(run({"config", "show", "--db", db_.db(), "--kiosk-id", "K1", "--effective"}, &out, &err), 0) << err;
  Json shown = Json::parse(out);
  EXPECT_EQ(shown["bundle"]["settings"]["active_survey"], "counter-short");
  EXPECT_FALSE(shown["bundle"]["settings"].contains("db_path"));
  EXPECT_FALSE(shown["bundle"]["settings"].contains("kiosk_id"));
  EXPECT_EQ(shown["bundle"]["surveys"].size(), 3u);
  EXPECT_EQ(run({"config", "remove", "--db", db_.db(), "--kiosk-id", "K1"}, &out, &err), 1);
  EXPECT_NE(err.find("has no configuration bundle to remove"), std::string::npos) << err;
}

}  // namespace
}  // namespace sipas::test
