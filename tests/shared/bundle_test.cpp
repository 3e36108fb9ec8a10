// Configuration bundles in the core: Ed25519 signatures, merging down the unit tree, and the
// kiosk's loader with a bundle laid over a real copy of kiosk-config/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sipas/bundle.hpp"
#include "sipas/config.hpp"
#include "sipas/crypto.hpp"
#include "sipas/received_bundle.hpp"
#include "sipas/store.hpp"
#include "temp_dir.hpp"

namespace sipas {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

TEST(Ed25519, SignatureVerifiesWithItsKeyAndNoOther) {
  Ed25519KeyPair a, b;
  std::string error;
  ASSERT_TRUE(ed25519_generate(&a, &error)) << error;
  ASSERT_TRUE(ed25519_generate(&b, &error)) << error;
  std::string signature;
  ASSERT_TRUE(ed25519_sign(a.private_pem, "bundle bytes", &signature, &error)) << error;
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_TRUE(ed25519_verify(a.public_pem, "bundle bytes", signature, &error)) << error;
  EXPECT_FALSE(ed25519_verify(b.public_pem, "bundle bytes", signature, &error));
  EXPECT_EQ(error, "signature does not match");
  EXPECT_FALSE(ed25519_verify(a.public_pem, "bundle bytez", signature, &error));
  EXPECT_FALSE(ed25519_verify("not a key", "bundle bytes", signature, &error));
  EXPECT_EQ(error, "not a PEM public key");
  std::string public_pem;
  ASSERT_TRUE(ed25519_public_of(a.private_pem, &public_pem, &error));
  EXPECT_EQ(public_pem, a.public_pem);
}

TEST(Base64, RoundTripsEveryLength) {
  std::string data;
  for (int i = 0; i < 70; ++i) {
    EXPECT_EQ(base64_decode(base64_encode(data)), data);
    data.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_FALSE(base64_decode("YW*=").has_value());
}

TEST(MergeBundles, NearerScopeWinsKeyByKeySurveyByIdAndProceduresWhole) {
  BundleContent root, unit, kiosk;
  root.settings = {{"thanks_seconds", 5}, {"idle_timeout_seconds", 40}};
  root.surveys = {Json{{"id", "a"}, {"v", 1}}, Json{{"id", "b"}, {"v", 1}}};
  root.procedures = Json::array({Json{{"code", "1"}}});
  unit.settings = {{"idle_timeout_seconds", 50}};
  unit.surveys = {Json{{"id", "b"}, {"v", 2}}};
  kiosk.procedures = Json::array({Json{{"code", "2"}}, Json{{"code", "3"}}});
  BundleContent m = merge_bundles({&root, &unit, &kiosk});
  EXPECT_EQ(m.settings, (Json{{"thanks_seconds", 5}, {"idle_timeout_seconds", 50}}));
  ASSERT_EQ(m.surveys.size(), 2u);
  EXPECT_EQ(m.surveys[1], (Json{{"id", "b"}, {"v", 2}}));
  EXPECT_EQ(*m.procedures, kiosk.procedures);
}

class BundleLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() / "kiosk-config";
    fs::copy(fs::path(SIPAS_SOURCE_DIR) / "kiosk-config", dir_, fs::copy_options::recursive);
  }
  test::TempDir tmp_;
  fs::path dir_;
};

TEST_F(BundleLoadTest, BundleSettingsAndSurveysReplaceTheLocalOnesButNeverLocalOnlySettings) {
  BundleContent b;
  b.settings = {{"thanks_seconds", 9}, {"db_path", "/elsewhere.db"}, {"kiosk_id", "other"}};
  Json survey = Json::parse(std::ifstream(dir_ / "surveys" / "counter-short.json"));
  survey["version"] = 4;
  b.surveys = {survey};
  auto local = load_kiosk_config(dir_);
  ASSERT_TRUE(local.is_ok()) << local.status().message();
  auto loaded = load_kiosk_config_with_bundle(dir_, b, "configuration version 3");
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->config.thanks_seconds, 9);
  EXPECT_EQ(loaded->config.db_path, local->config.db_path);
  EXPECT_EQ(loaded->config.kiosk_id, local->config.kiosk_id);
  EXPECT_EQ(loaded->config.surveys.size(), local->config.surveys.size());
  EXPECT_EQ(loaded->config.survey().version, 4);
}

TEST_F(BundleLoadTest, ProblemsAreNamedAfterTheBundleOrTheLocalFileTheyComeFrom) {
  BundleContent b;
  b.settings = {{"languages", Json::array({"vi", "en", "fr"})}};
  auto loaded = load_kiosk_config_with_bundle(dir_, b, "configuration version 3");
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_NE(loaded.status().message().find(".fr: missing"), std::string::npos) << loaded.status().message();

  b.settings = {{"active_survey", "nope"}};
  loaded = load_kiosk_config_with_bundle(dir_, b, "configuration version 3");
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_TRUE(loaded.status().message().starts_with("configuration version 3: kiosk.json: active_survey: "))
      << loaded.status().message();
}

// What the kiosk does at its welcome screen: the kept bundle is verified again before use.
TEST_F(BundleLoadTest, AKeptBundleIsVerifiedAgainAndRefusedWhenItNoLongerHolds) {
  Ed25519KeyPair server, other;
  std::string error;
  ASSERT_TRUE(ed25519_generate(&server, &error));
  ASSERT_TRUE(ed25519_generate(&other, &error));
  std::ofstream(dir_ / "server.pub") << server.public_pem;
  Json kiosk = Json::parse(std::ifstream(dir_ / "kiosk.json"));
  kiosk["server"]["config_public_key"] = "server.pub";
  std::ofstream(dir_ / "kiosk.json") << kiosk.dump(2);
  auto local = load_kiosk_config(dir_);
  ASSERT_TRUE(local.is_ok()) << local.status().message();
  auto store = ResponseStore::open(":memory:");
  ASSERT_TRUE(store.is_ok());

  auto keep = [&](const std::string& kiosk_id, const Ed25519KeyPair& keys) {
    SignedBundle b{kiosk_id, 4, "2026-11-29T10:00:00Z", {}};
    b.content.settings = {{"thanks_seconds", 8}};
    ReceivedBundle r{4, signed_bundle_body(b), ""};
    std::string e;
    EXPECT_TRUE(ed25519_sign(keys.private_pem, r.body, &r.signature, &e));
    EXPECT_TRUE(store_received_bundle(**store, r).is_ok());
  };
  keep(local->config.kiosk_id, server);
  auto received = load_received_config(local->config, **store);
  ASSERT_TRUE(received.is_ok()) << received.status().message();
  ASSERT_TRUE(received->has_value());
  EXPECT_EQ((*received)->loaded.config.thanks_seconds, 8);

  keep(local->config.kiosk_id, other);
  received = load_received_config(local->config, **store);
  ASSERT_FALSE(received.is_ok());
  EXPECT_NE(received.status().message().find("signature does not match"), std::string::npos);

  keep("22.PVHCC.K99", server);
  received = load_received_config(local->config, **store);
  ASSERT_FALSE(received.is_ok());
  EXPECT_NE(received.status().message().find("is for kiosk \"22.PVHCC.K99\""), std::string::npos)
      << received.status().message();
}

TEST(CheckBundle, ServerCheckNamesTheQuestionnaireFileAndField) {
  Json survey = Json::parse(std::ifstream(fs::path(SIPAS_SOURCE_DIR) / "kiosk-config" / "surveys" / "mau01.json"));
  survey["elements"][0]["criteria"][0]["text"] = "plain";
  BundleContent b;
  b.surveys = {survey};
  Status s = check_bundle(b, "22.PVHCC", "Trung tâm", "Asia/Ho_Chi_Minh");
  ASSERT_FALSE(s.is_ok());
  EXPECT_TRUE(s.message().starts_with("surveys/mau01.json: elements[0].criteria[0].text: expected an object"))
      << s.message();
  EXPECT_TRUE(check_bundle(BundleContent{}, "22.PVHCC", "Trung tâm", "Asia/Ho_Chi_Minh").is_ok());
}

}  // namespace
}  // namespace sipas
