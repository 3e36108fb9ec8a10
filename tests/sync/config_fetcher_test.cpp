// The kiosk's side of remote configuration (issue 13): ConfigFetcher against a fake server, with
// a real copy of kiosk-config/ and a real store.
#include <gtest/gtest.h>

#include <fstream>

#include "sipas/bundle.hpp"
#include "sipas/crypto.hpp"
#include "sipas/received_bundle.hpp"
#include "sipas/sync/config_fetcher.hpp"
#include "sync_test_support.hpp"

namespace sipas::test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class ConfigFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(ed25519_generate(&server_keys_, &error)) << error;
    ASSERT_TRUE(ed25519_generate(&other_keys_, &error)) << error;
    config_dir_ = dir_.path() / "kiosk-config";
    fs::copy(fs::path(SIPAS_SOURCE_DIR) / "kiosk-config", config_dir_, fs::copy_options::recursive);
    std::ofstream(config_dir_ / "server.pub") << server_keys_.public_pem;
    write_token(config_dir_ / "kiosk.token", "token-1");
    Json kiosk = Json::parse(std::ifstream(config_dir_ / "kiosk.json"));
    kiosk["server"]["config_public_key"] = "server.pub";
    kiosk["db_path"] = (dir_.path() / "kiosk.db").string();
    std::ofstream(config_dir_ / "kiosk.json") << kiosk.dump(2);
    auto loaded = load_kiosk_config(config_dir_);
    ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
    local_ = loaded->config;
    store_ = open_store(dir_.path() / "kiosk.db");
    ASSERT_TRUE(store_);
  }

  // A 200 answer signed with `keys` (the server's by default).
  HttpResponse answer(std::int64_t version, Json settings, const std::string& kiosk_id = "",
                      const Ed25519KeyPair* keys = nullptr, std::vector<Json> surveys = {}) {
    SignedBundle b;
    b.kiosk_id = kiosk_id.empty() ? local_.kiosk_id : kiosk_id;
    b.version = version;
    b.issued_at = "2026-11-29T10:00:00Z";
    b.content.settings = std::move(settings);
    b.content.surveys = std::move(surveys);
    HttpResponse r;
    r.status = 200;
    r.body = signed_bundle_body(b);
    std::string signature, error;
    EXPECT_TRUE(ed25519_sign((keys ? *keys : server_keys_).private_pem, r.body, &signature, &error));
    r.headers["sipas-signature"] = "ed25519=" + base64_encode(signature);
    return r;
  }

  FetchReport fetch(const HttpResponse& reply) {
    FakeTransport transport([reply](const HttpRequest&) -> Result<HttpResponse> { return reply; });
    ConfigFetcher fetcher(ConfigFetcherOptions::from_config(local_), *store_, transport, clock_);
    FetchReport r = fetcher.fetch_once();
    last_requests_ = transport.requests();
    return r;
  }

  std::string setting(const char* key) {
    auto v = store_->setting(key);
    return v.is_ok() && *v ? **v : std::string("<none>");
  }

  std::int64_t held_version() {
    auto v = received_version(*store_);
    return v.is_ok() ? *v : -1;
  }

  TempDir dir_;
  fs::path config_dir_;
  KioskConfig local_;
  std::unique_ptr<ResponseStore> store_;
  ManualClock clock_{TimePoint(std::chrono::milliseconds(1'800'000'000'000LL))};
  Ed25519KeyPair server_keys_, other_keys_;
  std::vector<HttpRequest> last_requests_;
};

TEST_F(ConfigFetcherTest, VerifiedBundleIsStoredAndLoadsOverTheLocalConfig) {
  FetchReport r = fetch(answer(5, {{"thanks_seconds", 7}}));
  ASSERT_EQ(r.outcome, FetchOutcome::stored) << r.error;
  EXPECT_EQ(held_version(), 5);
  EXPECT_EQ(setting(kConfigErrorKey), "<none>");
  ASSERT_EQ(last_requests_.size(), 1u);
  EXPECT_EQ(last_requests_[0].method, "GET");
  EXPECT_TRUE(last_requests_[0].url.ends_with("/api/v1/config"));

  auto received = load_received_config(local_, *store_);
  ASSERT_TRUE(received.is_ok()) << received.status().message();
  ASSERT_TRUE(received->has_value());
  EXPECT_EQ((*received)->version, 5);
  EXPECT_EQ((*received)->loaded.config.thanks_seconds, 7);
}

TEST_F(ConfigFetcherTest, AskingAgainNamesTheVersionHeldAnd304ChangesNothing) {
  ASSERT_EQ(fetch(answer(5, {{"thanks_seconds", 7}})).outcome, FetchOutcome::stored);
  HttpResponse not_modified;
  not_modified.status = 304;
  FetchReport r = fetch(not_modified);
  EXPECT_EQ(r.outcome, FetchOutcome::unchanged);
  ASSERT_EQ(last_requests_.size(), 1u);
  bool named = false;
  for (const auto& [k, v] : last_requests_[0].headers) named = named || (k == "If-None-Match" && v == "\"5\"");
  EXPECT_TRUE(named);
  EXPECT_EQ(held_version(), 5);
}

TEST_F(ConfigFetcherTest, BadSignatureIsRefusedTheOldBundleKeptAndTheReasonRecorded) {
  ASSERT_EQ(fetch(answer(5, {{"thanks_seconds", 7}})).outcome, FetchOutcome::stored);
  FetchReport r = fetch(answer(6, {{"thanks_seconds", 9}}, "", &other_keys_));
  EXPECT_EQ(r.outcome, FetchOutcome::refused);
  EXPECT_EQ(held_version(), 5);
  EXPECT_NE(setting(kConfigErrorKey).find("signature does not match"), std::string::npos)
      << setting(kConfigErrorKey);
  EXPECT_NE(setting(kConfigErrorAtKey), "<none>");
  auto received = load_received_config(local_, *store_);
  ASSERT_TRUE(received.is_ok());
  EXPECT_EQ((*received)->loaded.config.thanks_seconds, 7);
}

TEST_F(ConfigFetcherTest, TamperedBodyIsRefused) {
  HttpResponse reply = answer(6, {{"thanks_seconds", 9}});
  reply.body.replace(reply.body.find("\"thanks_seconds\":9"), 18, "\"thanks_seconds\":3");
  EXPECT_EQ(fetch(reply).outcome, FetchOutcome::refused);
  EXPECT_EQ(held_version(), 0);
}

TEST_F(ConfigFetcherTest, InvalidFieldIsRefusedNamingTheFileAndField) {
  ASSERT_EQ(fetch(answer(5, {{"thanks_seconds", 7}})).outcome, FetchOutcome::stored);
  FetchReport r = fetch(answer(6, {{"idle_timeout_seconds", 2}}));
  EXPECT_EQ(r.outcome, FetchOutcome::refused);
  EXPECT_EQ(setting(kConfigErrorKey),
            "configuration version 6: kiosk.json: idle_timeout_seconds: must be between 5 and 600, "
            "got 2");
  EXPECT_EQ(held_version(), 5);
}

TEST_F(ConfigFetcherTest, InvalidQuestionnaireIsRefusedNamingItsFile) {
  Json survey = Json::parse(std::ifstream(config_dir_ / "surveys" / "counter-short.json"));
  survey["version"] = 2;
  survey["elements"][0]["criteria"][0].erase("text");
  FetchReport r = fetch(answer(6, Json::object(), "", nullptr, {survey}));
  EXPECT_EQ(r.outcome, FetchOutcome::refused);
  EXPECT_EQ(setting(kConfigErrorKey),
            "configuration version 6: surveys/counter-short.json: elements[0].criteria[0].text: missing");
}

TEST_F(ConfigFetcherTest, LocalOnlySettingsAreNeverTakenFromTheServer) {
  Json settings{{"db_path", "/tmp/elsewhere.db"},
                {"staff_pin_hash", ""},
                {"kiosk_id", "someone-else"},
                {"counter", "q2"},
                {"export_dir", "/tmp/out"},
                {"server", {{"url", "https://evil.example"}, {"token_file", "/tmp/t"}}},
                {"thanks_seconds", 7}};
  ASSERT_EQ(fetch(answer(5, settings)).outcome, FetchOutcome::stored);
  auto received = load_received_config(local_, *store_);
  ASSERT_TRUE(received.is_ok()) << received.status().message();
  const KioskConfig& c = (*received)->loaded.config;
  EXPECT_EQ(c.thanks_seconds, 7);
  EXPECT_EQ(c.db_path, local_.db_path);
  EXPECT_EQ(c.staff_pin_hash, local_.staff_pin_hash);
  EXPECT_EQ(c.kiosk_id, local_.kiosk_id);
  EXPECT_EQ(c.counter, local_.counter);
  EXPECT_EQ(c.export_dir, local_.export_dir);
  EXPECT_EQ(c.server.url, local_.server.url);
  EXPECT_EQ(c.server.token_file, local_.server.token_file);
}

TEST_F(ConfigFetcherTest, BundleForAnotherKioskIsRefused) {
  FetchReport r = fetch(answer(5, {{"thanks_seconds", 7}}, "22.PVHCC.K99"));
  EXPECT_EQ(r.outcome, FetchOutcome::refused);
  EXPECT_NE(r.error.find("is for kiosk \"22.PVHCC.K99\""), std::string::npos) << r.error;
  EXPECT_EQ(held_version(), 0);
}

TEST_F(ConfigFetcherTest, OlderOrSameVersionIsRefusedAsARollback) {
  ASSERT_EQ(fetch(answer(5, {{"thanks_seconds", 7}})).outcome, FetchOutcome::stored);
  EXPECT_EQ(fetch(answer(4, {{"thanks_seconds", 9}})).outcome, FetchOutcome::refused);
  EXPECT_EQ(fetch(answer(5, {{"thanks_seconds", 9}})).outcome, FetchOutcome::refused);
  EXPECT_NE(setting(kConfigErrorKey).find("not newer than version 5"), std::string::npos);
  auto received = load_received_config(local_, *store_);
  ASSERT_TRUE(received.is_ok());
  EXPECT_EQ((*received)->loaded.config.thanks_seconds, 7);
}

TEST_F(ConfigFetcherTest, WithoutAPublicKeyNothingIsFetched) {
  local_.server.config_public_key.clear();
  FetchReport r = fetch(answer(5, {{"thanks_seconds", 7}}));
  EXPECT_EQ(r.outcome, FetchOutcome::not_set_up);
  EXPECT_TRUE(last_requests_.empty());
}

TEST_F(ConfigFetcherTest, NothingNewerOnTheServerClearsARefusalOfTheFetchButNotOneOfTheKiosk) {
  ASSERT_EQ(fetch(answer(5, {{"thanks_seconds", 7}})).outcome, FetchOutcome::stored);
  ASSERT_EQ(fetch(answer(6, {{"thanks_seconds", 9}}, "", &other_keys_)).outcome, FetchOutcome::refused);
  HttpResponse not_modified;
  not_modified.status = 304;
  EXPECT_EQ(fetch(not_modified).outcome, FetchOutcome::unchanged);
  EXPECT_EQ(setting(kConfigErrorKey), "");

  ASSERT_TRUE(record_config_error(*store_, "voice.key: not a key name", clock_.now(), "apply").is_ok());
  EXPECT_EQ(fetch(not_modified).outcome, FetchOutcome::unchanged);
  EXPECT_EQ(setting(kConfigErrorKey), "voice.key: not a key name");
}

TEST_F(ConfigFetcherTest, NoConfigurationOnTheServerIsNothingToApply) {
  FetchReport r = fetch(json_reply(404, {{"error", "no configuration for this kiosk"}}));
  EXPECT_EQ(r.outcome, FetchOutcome::none);
  EXPECT_EQ(setting(kConfigErrorKey), "<none>");
}

}  // namespace
}  // namespace sipas::test
