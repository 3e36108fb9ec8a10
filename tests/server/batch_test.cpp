#include <gtest/gtest.h>

#include "server_test_support.hpp"
#include "sipas/config.hpp"
#include "sipas/server/batch.hpp"
#include "sipas/server/rate_limiter.hpp"

namespace sipas::test {
namespace {

class BatchParseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto survey = load_survey(std::filesystem::path(SIPAS_SOURCE_DIR) / "kiosk-config" /
                              "surveys" / "counter-short.json");
    ASSERT_TRUE(survey.is_ok()) << survey.status().message();
    catalog_.add(std::move(survey).value());
    poster_ = {"k1", [](const std::string& unit) { return unit == "U1"; }};
  }
  std::variant<ParsedBatch, BatchRefusal> parse(const std::string& body) {
    return parse_batch(body, catalog_, poster_, limits_);
  }
  SurveyCatalog catalog_;
  BatchPoster poster_;
  IngestLimits limits_;
};

TEST_F(BatchParseTest, ValidBatchGivesEveryResponseWithItsFingerprint) {
  auto chain = make_chain("U1", 1, 3);
  auto parsed = parse(make_body("k1", chain));
  ASSERT_TRUE(std::holds_alternative<ParsedBatch>(parsed))
      << std::get<BatchRefusal>(parsed).error;
  const auto& batch = std::get<ParsedBatch>(parsed);
  ASSERT_EQ(batch.responses.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& p = batch.responses[i];
    EXPECT_TRUE(p.error.empty()) << p.error;
    ASSERT_TRUE(p.response.has_value());
    EXPECT_EQ(*p.response, chain[i]);
    EXPECT_TRUE(p.hash_matches);
    EXPECT_EQ(p.content_hash, sha256_hex(p.canonical));
  }
  EXPECT_NE(batch.responses[0].answers_key, batch.responses[1].answers_key);
}

TEST_F(BatchParseTest, ContentFingerprintIgnoresKeyOrderAndWhitespace) {
  auto chain = make_chain("U1", 1, 1);
  std::string body = make_body("k1", chain);
  auto j = nlohmann::json::parse(body);
  std::string pretty = j.dump(2);
  auto a = std::get<ParsedBatch>(parse(body));
  auto b = std::get<ParsedBatch>(parse(pretty));
  EXPECT_EQ(a.responses[0].content_hash, b.responses[0].content_hash);
}

TEST_F(BatchParseTest, NotApplicableNeedsTheSurveysPermission) {
  auto chain = make_chain("U1", 1, 1);
  Survey strict = *catalog_.find("counter-short", 1);
  strict.allow_not_applicable = false;
  catalog_.add(strict);
  auto batch = std::get<ParsedBatch>(parse(make_body("k1", chain)));
  EXPECT_NE(batch.responses[0].error.find("not applicable"), std::string::npos)
      << batch.responses[0].error;
}

TEST_F(BatchParseTest, RepeatedCriterionIsInvalid) {
  auto chain = make_chain("U1", 1, 1);
  chain[0].answers.push_back({"officer.polite", 3});
  chain[0].hash = compute_hash(chain[0]);
  auto batch = std::get<ParsedBatch>(parse(make_body("k1", chain)));
  EXPECT_NE(batch.responses[0].error.find("answered twice"), std::string::npos);
}

// The language reaches exports and spreadsheets as it was sent: only the survey's own languages.
TEST_F(BatchParseTest, LanguageMustBeOneTheSurveyIsWrittenIn) {
  for (const std::string lang : {"=HYPERLINK(\"http://x\")", "fr", ""}) {
    auto chain = make_chain("U1", 1, 1);
    chain[0].language = lang;
    chain[0].hash = compute_hash(chain[0]);
    auto batch = std::get<ParsedBatch>(parse(make_body("k1", chain)));
    EXPECT_NE(batch.responses[0].error.find("].language: "), std::string::npos) << lang << ": "
                                                                   << batch.responses[0].error;
  }
  auto chain = make_chain("U1", 1, 1);
  chain[0].language = "fr";
  chain[0].hash = compute_hash(chain[0]);
  auto batch = std::get<ParsedBatch>(parse(make_body("k1", chain)));
  EXPECT_NE(batch.responses[0].error.find("(vi, en)"), std::string::npos) << batch.responses[0].error;
  chain[0].language = "en";
  chain[0].hash = compute_hash(chain[0]);
  batch = std::get<ParsedBatch>(parse(make_body("k1", chain)));
  EXPECT_TRUE(batch.responses[0].error.empty()) << batch.responses[0].error;
}

TEST_F(BatchParseTest, UnknownCriterionIsInvalid) {
  auto chain = make_chain("U1", 1, 1);
  chain[0].answers.push_back({"officer.telepathy", 3});
  chain[0].hash = compute_hash(chain[0]);
  auto batch = std::get<ParsedBatch>(parse(make_body("k1", chain)));
  EXPECT_NE(batch.responses[0].error.find("unknown criterion"), std::string::npos);
}

TEST_F(BatchParseTest, WrongFieldTypeIsInvalidWithTheFieldNamed) {
  auto j = nlohmann::json::parse(make_body("k1", make_chain("U1", 1, 2)));
  j["responses"][1]["answers"][0]["value"] = "four";
  auto batch = std::get<ParsedBatch>(parse(j.dump()));
  EXPECT_TRUE(batch.responses[0].error.empty());
  EXPECT_NE(batch.responses[1].error.find("responses[1].answers[0].value"), std::string::npos)
      << batch.responses[1].error;
}

TEST_F(BatchParseTest, DepthIsCountedOutsideStringsOnly) {
  EXPECT_EQ(json_depth(R"({"a": "[[[[[[", "b": [1, {"c": 2}]})", 16), 3u);
  EXPECT_EQ(json_depth(R"({"a": "\"[[[["})", 16), 1u);
  EXPECT_EQ(json_depth(std::string(100, '['), 16), 17u);
}

TEST_F(BatchParseTest, EmptyBatchIsAcceptedWithNoResponses) {
  auto parsed = parse(make_body("k1", {}));
  ASSERT_TRUE(std::holds_alternative<ParsedBatch>(parsed));
  EXPECT_TRUE(std::get<ParsedBatch>(parsed).responses.empty());
}

// The worked example of docs/protocol.md ("The hash chain"); the expected hashes were computed
// independently with Python's hashlib over the canonical text shown there.
TEST(ProtocolDocTest, WorkedHashChainExampleMatchesComputeHash) {
  auto r1 = nlohmann::json::parse(R"({"answers":[{"criterion":"officer.polite","value":2},)"
                                  R"({"criterion":"access.waiting_time","value":null}],)"
                                  R"("comment":"Chờ lâu","counter":"Q1","dossier":null,)"
                                  R"("id":"3f1c2b9e-7d4a-4c1e-9b2f-6a8d5e4c3b21","language":"vi",)"
                                  R"("officer":"nguyen-van-an","prev_hash":")" +
                                  std::string(64, '0') +
                                  R"(","reasons":["long_wait"],"seq":1,)"
                                  R"("started_at":"2026-11-24T01:15:00.000Z","status":"complete",)"
                                  R"("submitted_at":"2026-11-24T01:15:32.000Z",)"
                                  R"("survey_id":"counter-short","survey_version":1,"unit":"22.PVHCC"})");
  const std::string h1 = "d0c1e893ef523a0b94e2d162e4726cb92518968cd4eaa2081311d30956be861b";
  EXPECT_EQ(compute_hash(r1), h1);
  r1["hash"] = h1;
  auto parsed = response_from_json(r1);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().message();
  EXPECT_EQ(compute_hash(*parsed), h1);

  auto r2 = nlohmann::json::parse(R"({"answers":[{"criterion":"officer.polite","value":5}],)"
                                  R"("comment":null,"counter":"Q1","dossier":null,)"
                                  R"("id":"a7e4d2c1-5b3f-4e8a-8c6d-1f2e3d4c5b6a","language":"en",)"
                                  R"("officer":null,"prev_hash":")" +
                                  h1 +
                                  R"(","reasons":[],"seq":2,"started_at":"2026-11-24T01:20:05.000Z",)"
                                  R"("status":"partial","submitted_at":"2026-11-24T01:20:41.000Z",)"
                                  R"("survey_id":"counter-short","survey_version":1,"unit":"22.PVHCC"})");
  EXPECT_EQ(compute_hash(r2), "d3561013633069941487a1070086a7242c6143da5a0154a7b6e03c2054b040af");
}

TEST(RateLimiterTest, AllowsABurstThenRefillsAtTheRate) {
  ManualClock clock(test_now());
  RateLimiter limiter(2.0, 3.0, clock);
  EXPECT_FALSE(limiter.take("a"));
  EXPECT_FALSE(limiter.take("a"));
  EXPECT_FALSE(limiter.take("a"));
  auto wait = limiter.take("a");
  ASSERT_TRUE(wait);
  EXPECT_EQ(wait->count(), 500);
  EXPECT_FALSE(limiter.take("b"));
  clock.advance(std::chrono::milliseconds(500));
  EXPECT_FALSE(limiter.take("a"));
  EXPECT_TRUE(limiter.take("a"));
}

TEST(RateLimiterTest, RateZeroNeverLimits) {
  ManualClock clock(test_now());
  RateLimiter limiter(0, 1, clock);
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(limiter.take("a"));
}

TEST(AuthTest, ParsesBearerAndBasicHeaders) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer  abc "), "abc");
  EXPECT_FALSE(bearer_token("Basic abc"));
  EXPECT_FALSE(bearer_token("Bearer "));
  EXPECT_FALSE(bearer_token(""));
  auto basic = basic_credentials("Basic " + base64_encode("an:pa:ss"));
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->user, "an");
  EXPECT_EQ(basic->password, "pa:ss");
  EXPECT_FALSE(basic_credentials("Basic !!!"));
  EXPECT_EQ(base64_decode(base64_encode("xy")), "xy");
}

}  // namespace
}  // namespace sipas::test
