#include "sipas/protocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sipas/crypto.hpp"

namespace sipas {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TimePoint at(const char* text) { return *parse_rfc3339(text); }

// The fixed response of the known-answer test. Its expected canonical text and hash were computed
// outside this code base, with Python's standard library:
//   c = json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
//   hashlib.sha256((prev_hash + "\n" + c).encode()).hexdigest()
Response fixed_response() {
  Response r;
  r.id = "3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d5e6f";
  r.seq = 1;
  r.prev_hash = kGenesisHash;
  r.survey_id = "sipas-counter";
  r.survey_version = 2;
  r.unit = "HCC-DN";
  r.counter = "Q1";
  r.officer = "cb-07";
  r.language = "vi";
  r.started_at = at("2026-11-24T01:15:00Z");
  r.submitted_at = at("2026-11-24T01:15:32.250Z");
  r.status = ResponseStatus::complete;
  r.answers = {{"access.signage", 5}, {"officer.polite", 4}, {"result.on_time", std::nullopt}};
  r.reasons = {"long_wait"};
  r.comment = "Cán bộ nhiệt tình, hướng dẫn rõ ràng";
  return r;
}

constexpr const char* kFixedCanonical =
    R"({"answers":[{"criterion":"access.signage","value":5},{"criterion":"officer.polite","value":4},)"
    R"({"criterion":"result.on_time","value":null}],"comment":"Cán bộ nhiệt tình, hướng dẫn rõ ràng",)"
    R"("counter":"Q1","dossier":null,"id":"3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d5e6f","language":"vi",)"
    R"("officer":"cb-07","prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",)"
    R"("reasons":["long_wait"],"seq":1,"started_at":"2026-11-24T01:15:00.000Z","status":"complete",)"
    R"("submitted_at":"2026-11-24T01:15:32.250Z","survey_id":"sipas-counter","survey_version":2,)"
    R"("unit":"HCC-DN"})";
constexpr const char* kFixedHash = "3a570b550153671900786a5cea4e8218eb80725a8f112c2a79858e5f1ee7e38a";

TEST(Protocol, CanonicalFormOfFixedResponseMatchesIndependentEncoder) {
  EXPECT_EQ(canonical_json(response_to_json(fixed_response(), false)), kFixedCanonical);
}

TEST(Protocol, KnownAnswerHashOfFixedResponse) {
  EXPECT_EQ(compute_hash(fixed_response()), kFixedHash);
}

// The same response with a procedure; hash computed the same way outside this code base.
TEST(Protocol, KnownAnswerHashOfResponseWithProcedure) {
  Response r = fixed_response();
  r.procedure = "1.001193";
  EXPECT_EQ(compute_hash(r), "6069836bd32c5e99d5a2e91bbd83573c5fd0a1c93fc495a7dd73771a4188e8ab");
}

TEST(Protocol, ResponseWithoutProcedureCarriesNoProcedureKey) {
  EXPECT_FALSE(response_to_json(fixed_response()).contains("procedure"));
}

TEST(Protocol, ProcedureRoundTripsAndNullOrAbsentMeanNone) {
  Response r = fixed_response();
  r.procedure = "1.001193";
  r.hash = compute_hash(r);
  json j = response_to_json(r);
  EXPECT_EQ(j["procedure"], "1.001193");
  Result<Response> back = response_from_json(j);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(*back, r);
  j["procedure"] = nullptr;
  EXPECT_FALSE(response_from_json(j)->procedure.has_value());
  j.erase("procedure");
  EXPECT_FALSE(response_from_json(j)->procedure.has_value());
}

TEST(Protocol, ChainOfThreeLinksEachHashToThePrevious) {
  // Expected hashes from the same Python recipe as kFixedHash, each response's prev_hash being
  // the previous one's hash.
  Response r1 = fixed_response();
  r1.hash = compute_hash(r1);

  Response r2;
  r2.id = "0b6f7c1d-2e3a-4b5c-8d9e-0f1a2b3c4d5e";
  r2.seq = 2;
  r2.prev_hash = r1.hash;
  r2.survey_id = "sipas-counter";
  r2.survey_version = 2;
  r2.unit = "HCC-DN";
  r2.counter = "Q1";
  r2.language = "vi";
  r2.started_at = at("2026-11-24T01:15:00Z");
  r2.submitted_at = at("2026-11-24T01:20:00Z");
  r2.status = ResponseStatus::partial;
  r2.answers = {{"access.signage", 2}};
  r2.hash = compute_hash(r2);

  Response r3 = r2;
  r3.id = "c2d3e4f5-a6b7-4c8d-9e0f-a1b2c3d4e5f6";
  r3.seq = 3;
  r3.prev_hash = r2.hash;
  r3.officer = "cb-07";
  r3.dossier = "000.00.12.H17-261124-0001";
  r3.submitted_at = at("2026-11-24T02:00:00Z");
  r3.status = ResponseStatus::complete;
  r3.answers = {{"officer.polite", 1}};
  r3.comment = "Phải đi lại 2 lần";
  r3.hash = compute_hash(r3);

  EXPECT_EQ(r1.hash, kFixedHash);
  EXPECT_EQ(r2.hash, "d5374b7d0dfae869e449cafdde51940b5a86caf6300d246bc86677b9ca2abb5c");
  EXPECT_EQ(r3.hash, "5cd4847516893e8b33f68315ada4451d6b0b4479e922b0d527f44b7136f7541a");

  // Altering an earlier record breaks the link to the next one.
  Response altered = r1;
  altered.answers[0].value = 1;
  EXPECT_NE(compute_hash(altered), r2.prev_hash);
}

TEST(Protocol, CanonicalFormIsIdenticalForBuiltAndParsedResponse) {
  Response built = fixed_response();
  built.hash = compute_hash(built);
  // The same object as another kiosk might send it: other key order, whitespace, escaped
  // non-ASCII, an offset instead of Z.
  std::string text = R"({
    "unit": "HCC-DN", "seq": 1, "survey_version": 2, "survey_id": "sipas-counter",
    "status": "complete", "started_at": "2026-11-24T08:15:00+07:00",
    "submitted_at": "2026-11-24T01:15:32.250Z", "reasons": ["long_wait"],
    "prev_hash": "0000000000000000000000000000000000000000000000000000000000000000",
    "officer": "cb-07", "language": "vi", "id": "3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d5e6f",
    "hash": ")" + built.hash + R"(", "dossier": null, "counter": "Q1",
    "comment": "C\u00e1n b\u1ed9 nhi\u1ec7t t\u00ecnh, h\u01b0\u1edbng d\u1eabn r\u00f5 r\u00e0ng",
    "answers": [ {"value": 5, "criterion": "access.signage"},
                 {"criterion": "officer.polite", "value": 4},
                 {"criterion": "result.on_time", "value": null} ] })";
  Result<Response> parsed = response_from_json(json::parse(text));
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, built);
  EXPECT_EQ(canonical_json(response_to_json(*parsed, false)),
            canonical_json(response_to_json(built, false)));
  EXPECT_EQ(compute_hash(*parsed), built.hash);
}

TEST(Protocol, HashOfReceivedObjectMatchesHashOfResponse) {
  Response r = fixed_response();
  r.hash = compute_hash(r);
  json received = json::parse(response_to_json(r).dump(2));
  EXPECT_EQ(compute_hash(received), r.hash);
  received["hash"] = "ignored";
  EXPECT_EQ(compute_hash(received), r.hash);
}

TEST(Protocol, HashOfReceivedObjectCoversAddedFields) {
  Response r = fixed_response();
  json received = response_to_json(r);
  received["x_vendor"] = "extra";
  EXPECT_NE(compute_hash(received), compute_hash(r));
}

TEST(Protocol, CanonicalFormLeavesUnicodeUnescaped) {
  std::string c = canonical_json(json{{"t", "Rất hài lòng"}});
  EXPECT_EQ(c, "{\"t\":\"Rất hài lòng\"}");
  EXPECT_EQ(c.find("\\u"), std::string::npos);
}

TEST(Protocol, CanonicalFormSortsKeysWithoutWhitespace) {
  json j = json::parse(R"({ "b": [1, {"z": null, "a": true}], "a": "x" })");
  EXPECT_EQ(canonical_json(j), R"({"a":"x","b":[1,{"a":true,"z":null}]})");
}

TEST(Protocol, CanonicalFormReplacesInvalidUtf8InsteadOfThrowing) {
  json j = {{"comment", std::string("ok\xff\xfe", 4)}};
  std::string c;
  EXPECT_NO_THROW(c = canonical_json(j));
  EXPECT_EQ(c, "{\"comment\":\"ok\xEF\xBF\xBD\xEF\xBF\xBD\"}");
  Response r = fixed_response();
  r.comment = std::string("bad \xc3", 5);
  EXPECT_NO_THROW(compute_hash(r));
}

TEST(Protocol, RoundTripKeepsNullsNotApplicableAndPartial) {
  Response r = fixed_response();
  r.officer.reset();
  r.comment.reset();
  r.dossier = "H17.22-261124-0003";
  r.status = ResponseStatus::partial;
  r.answers = {{"officer.polite", std::nullopt}, {"officer.attentive", 3}};
  r.hash = compute_hash(r);
  json j = response_to_json(r);
  EXPECT_TRUE(j["officer"].is_null());
  EXPECT_TRUE(j["comment"].is_null());
  EXPECT_TRUE(j["answers"][0]["value"].is_null());
  EXPECT_EQ(j["status"], "partial");
  Result<Response> back = response_from_json(json::parse(j.dump()));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(*back, r);
}

TEST(Protocol, ToJsonWithoutHashOmitsIt) {
  Response r = fixed_response();
  r.hash = compute_hash(r);
  EXPECT_FALSE(response_to_json(r, false).contains("hash"));
  EXPECT_EQ(response_to_json(r)["hash"], r.hash);
}

json valid_object() {
  Response r = fixed_response();
  r.hash = compute_hash(r);
  return response_to_json(r);
}

std::string parse_error(const json& j) {
  Result<Response> r = response_from_json(j, "responses[3]");
  if (r.is_ok()) return "accepted";
  EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument);
  return r.status().message();
}

class MissingField : public ::testing::TestWithParam<const char*> {};

TEST_P(MissingField, IsNamedInTheError) {
  json j = valid_object();
  j.erase(GetParam());
  EXPECT_EQ(parse_error(j), std::string("responses[3].") + GetParam() + ": missing");
}

INSTANTIATE_TEST_SUITE_P(Protocol, MissingField,
                         ::testing::Values("id", "seq", "prev_hash", "hash", "survey_id",
                                           "survey_version", "unit", "counter", "officer",
                                           "dossier", "language", "started_at", "submitted_at",
                                           "status", "answers", "reasons", "comment"));

struct WrongValue {
  const char* name;
  const char* field;
  json value;
  const char* expected;
};

void PrintTo(const WrongValue& v, std::ostream* os) { *os << v.name; }

class WrongType : public ::testing::TestWithParam<WrongValue> {};

TEST_P(WrongType, IsNamedInTheError) {
  json j = valid_object();
  j[GetParam().field] = GetParam().value;
  EXPECT_EQ(parse_error(j), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Protocol, WrongType,
    ::testing::Values(
        WrongValue{"IdNumber", "id", 5, "responses[3].id: must be a string"},
        WrongValue{"IdNotUuid", "id", "17", "responses[3].id: must be a UUID"},
        WrongValue{"SeqString", "seq", "17", "responses[3].seq: must be an integer >= 1"},
        WrongValue{"SeqZero", "seq", 0, "responses[3].seq: must be an integer >= 1"},
        WrongValue{"SeqFraction", "seq", 1.5, "responses[3].seq: must be an integer >= 1"},
        WrongValue{"PrevHashShort", "prev_hash", "abc",
                   "responses[3].prev_hash: must be 64 lowercase hex digits"},
        WrongValue{"HashNull", "hash", nullptr, "responses[3].hash: must be a string"},
        WrongValue{"SurveyIdArray", "survey_id", json::array(),
                   "responses[3].survey_id: must be a string"},
        WrongValue{"SurveyVersionString", "survey_version", "2",
                   "responses[3].survey_version: must be an integer >= 1"},
        WrongValue{"UnitEmpty", "unit", "", "responses[3].unit: must not be empty"},
        WrongValue{"CounterBool", "counter", true, "responses[3].counter: must be a string"},
        WrongValue{"OfficerNumber", "officer", 7,
                   "responses[3].officer: must be a string or null"},
        WrongValue{"DossierObject", "dossier", json::object(),
                   "responses[3].dossier: must be a string or null"},
        WrongValue{"ProcedureNumber", "procedure", 1001193,
                   "responses[3].procedure: must be a string or null"},
        WrongValue{"LanguageNull", "language", nullptr,
                   "responses[3].language: must be a string"},
        WrongValue{"StartedAtMonth13", "started_at", "2026-13-01T00:00:00Z",
                   "responses[3].started_at: must be an RFC 3339 date-time"},
        WrongValue{"SubmittedAtNumber", "submitted_at", 1764000000,
                   "responses[3].submitted_at: must be an RFC 3339 date-time"},
        WrongValue{"StatusUnknown", "status", "done",
                   "responses[3].status: must be \"complete\" or \"partial\""},
        WrongValue{"AnswersObject", "answers", json::object(),
                   "responses[3].answers: must be an array"},
        WrongValue{"AnswerValueString", "answers",
                   json::array({{{"criterion", "a"}, {"value", 4}},
                                {{"criterion", "b"}, {"value", "4"}}}),
                   "responses[3].answers[1].value: must be an integer or null"},
        WrongValue{"AnswerWithoutCriterion", "answers", json::array({{{"value", 4}}}),
                   "responses[3].answers[0].criterion: missing"},
        WrongValue{"AnswerNotObject", "answers", json::array({4}),
                   "responses[3].answers[0]: must be an object"},
        WrongValue{"ReasonNumber", "reasons", json::array({"long_wait", 3}),
                   "responses[3].reasons[1]: must be a string"},
        WrongValue{"CommentNumber", "comment", 1,
                   "responses[3].comment: must be a string or null"}),
    [](const ::testing::TestParamInfo<WrongValue>& info) { return info.param.name; });

TEST(Protocol, NonObjectResponseIsNamed) {
  EXPECT_EQ(parse_error(json::array()), "responses[3]: must be an object");
  Result<Response> r = response_from_json(json(5));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(), "response: must be an object");
}

TEST(Protocol, FieldErrorsWithoutLocationNameTheBareField) {
  json j = valid_object();
  j.erase("seq");
  Result<Response> r = response_from_json(j);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(), "seq: missing");
}

TEST(Protocol, UnknownFieldsAreAccepted) {
  json j = valid_object();
  j["x_device"] = "tablet-3";
  EXPECT_EQ(parse_error(j), "accepted");
}

TEST(Protocol, BatchBodyCarriesEnvelopeAndResponses) {
  BatchRequest b;
  b.kiosk_id = "kiosk-hcc-dn-01";
  b.batch_id = random_uuid();
  b.sent_at = at("2026-11-24T03:00:00Z");
  Response r = fixed_response();
  r.hash = compute_hash(r);
  b.responses = {r, r};
  json body = json::parse(batch_to_body(b));
  EXPECT_EQ(body["protocol"], 1);
  EXPECT_EQ(body["kiosk_id"], "kiosk-hcc-dn-01");
  EXPECT_EQ(body["batch_id"], b.batch_id);
  EXPECT_EQ(body["sent_at"], "2026-11-24T03:00:00.000Z");
  ASSERT_EQ(body["responses"].size(), 2u);
  EXPECT_EQ(body["responses"][1], response_to_json(r));
  EXPECT_EQ(compute_hash(body["responses"][0]), r.hash);
}

TEST(Protocol, BatchReplyRoundTrips) {
  BatchReply reply;
  reply.accepted = 3;
  reply.duplicates = 1;
  reply.rejected = {{"3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d5e6f", "answers[0].value: off the scale"}};
  reply.acked_seq = 42;
  Result<BatchReply> back = batch_reply_from_json(batch_reply_to_json(reply).dump());
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->accepted, 3);
  EXPECT_EQ(back->duplicates, 1);
  EXPECT_EQ(back->rejected, reply.rejected);
  EXPECT_EQ(back->acked_seq, 42);
}

TEST(Protocol, MalformedBatchReplyIsAnError) {
  struct Case {
    std::string body;
    std::string message;
  };
  std::vector<Case> cases = {
      {"<html>502</html>", "batch reply: not valid JSON"},
      {"[]", "batch reply: must be an object"},
      {R"({"accepted":1,"duplicates":0,"rejected":[]})", "batch reply: acked_seq: missing"},
      {R"({"accepted":-1,"duplicates":0,"rejected":[],"acked_seq":0})",
       "batch reply: accepted: must be an integer >= 0"},
      {R"({"accepted":1,"duplicates":0,"rejected":{},"acked_seq":0})",
       "batch reply: rejected: must be an array"},
      {R"({"accepted":1,"duplicates":0,"rejected":[{"error":"x"}],"acked_seq":0})",
       "batch reply: rejected[0].id: missing"},
  };
  for (const Case& c : cases) {
    Result<BatchReply> r = batch_reply_from_json(c.body);
    ASSERT_FALSE(r.is_ok()) << c.body;
    EXPECT_EQ(r.status().code(), ErrorCode::unavailable) << c.body;
    EXPECT_EQ(r.status().message(), c.message) << c.body;
  }
}

}  // namespace
}  // namespace sipas
