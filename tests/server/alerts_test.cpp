// Alerts: rules and their inheritance, the evaluation over plain inputs with a fake clock, the
// retry delays, the storage's alert tables on both stores, and the whole path on a real server
// with a webhook receiver and an SMTP sink on loopback.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "alert_receivers.hpp"
#include "server_test_support.hpp"
#include "sipas/server/alerts.hpp"
#include "sipas/server/auth.hpp"
#include "sipas/server/cli.hpp"
#include "sipas/server/migrate.hpp"
#include "tls_support.hpp"

namespace sipas::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

Result<AlertRules> rules_of(const std::string& text) { return parse_alert_rules(text, "r.json"); }

// ---------------------------------------------------------------------------------------------
// Rules

TEST(AlertRules, EveryKindParsesAndReadsBackTheSame) {
  auto r = rules_of(R"({
    "low_rating": {"max_value": 2, "comment_required": true, "quiet_minutes": 30},
    "unhappy_share": {"window_minutes": 15, "threshold_percent": 50, "min_count": 4},
    "kiosk_offline": {"hours": 6}, "backlog": false,
    "finding": {"kinds": ["gap", "burst"]},
    "webhooks": [{"url": "https://hooks.example.vn/sipas", "secret": "0123456789abcdef"}],
    "emails": ["ptt@quangninh.gov.vn"], "email_languages": ["vi", "en"]})");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->low_rating.rule->max_value, 2);
  EXPECT_TRUE(r->low_rating.rule->comment_required);
  EXPECT_EQ(r->kiosk_offline.rule->hours, 6);
  EXPECT_TRUE(r->backlog.given);
  EXPECT_FALSE(r->backlog.rule);
  EXPECT_EQ(r->finding.rule->kinds, (std::set<std::string>{"gap", "burst"}));
  auto again = rules_of(alert_rules_json(*r));
  ASSERT_TRUE(again.is_ok()) << again.status().message();
  EXPECT_EQ(alert_rules_json(*again), alert_rules_json(*r));
  EXPECT_EQ(again->webhooks->front().secret, "0123456789abcdef");
}

TEST(AlertRules, BadRulesAreRefusedWithTheFileAndFieldNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[1]", "r.json: must be a JSON object"},
      {"{", "r.json: not valid JSON"},
      {R"({"low_ratings": {}})", "r.json: low_ratings: unknown field"},
      {R"({"low_rating": {"max_value": 5}})", "r.json: low_rating.max_value: must be a whole number from 1 to 4"},
      {R"({"low_rating": true})", "r.json: low_rating: must be an object, or false"},
      {R"({"unhappy_share": {"threshold_percent": 0}})", "r.json: unhappy_share.threshold_percent:"},
      {R"({"unhappy_share": {"min_count": "4"}})", "r.json: unhappy_share.min_count:"},
      {R"({"kiosk_offline": {"hours": 0}})", "r.json: kiosk_offline.hours:"},
      {R"({"finding": {"kinds": ["gap", "typo"]}})", "r.json: finding.kinds[1]: must be one of"},
      {R"({"webhooks": [{"url": "http://hooks.example.vn/x", "secret": "0123456789abcdef"}]})",
       "r.json: webhooks[0].url: must be an https:// URL"},
      {R"({"webhooks": [{"url": "https://hooks.example.vn/x", "secret": "short"}]})",
       "r.json: webhooks[0].secret: is required, at least 16 characters"},
      {R"({"emails": ["ok@example.vn", "no at sign"]})", "r.json: emails[1]: must be an e-mail address"},
      {R"({"emails": ["a@b.vn>\r\nRCPT TO:<x@y.vn"]})", "r.json: emails[0]:"},
      {R"({"email_languages": ["fr"]})", "r.json: email_languages[0]: must be \"vi\" or \"en\""},
  };
  for (const auto& [text, expected] : cases) {
    auto r = rules_of(text);
    ASSERT_FALSE(r.is_ok()) << text;
    EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument);
    EXPECT_EQ(r.status().message().rfind(expected, 0), 0u) << text << " -> " << r.status().message();
  }
}

TEST(AlertRules, EachKindComesFromTheNearestUnitThatSaysAndCanBeSwitchedOff) {
  std::map<std::string, AlertRules> rules;
  rules["22"] = *rules_of(R"({"low_rating": {"max_value": 1}, "kiosk_offline": {"hours": 4},
      "webhooks": [{"url": "https://p.example.vn/h", "secret": "0123456789abcdef"}],
      "emails": ["tinh@example.vn"]})");
  rules["22.PVHCC"] = *rules_of(R"({"low_rating": {"max_value": 2}, "kiosk_offline": false,
      "emails": ["ttam@example.vn"]})");
  const std::map<std::string, std::optional<std::string>> parents = {
      {"22", std::nullopt}, {"22.PVHCC", "22"}, {"22.PVHCC.Q1", "22.PVHCC"}, {"22.SO-TP", "22"}};
  auto q1 = effective_alert_rules("22.PVHCC.Q1", rules, parents);
  ASSERT_TRUE(q1.low_rating);
  EXPECT_EQ(q1.low_rating->max_value, 2);
  EXPECT_EQ(q1.source["low_rating"], "22.PVHCC");
  EXPECT_FALSE(q1.kiosk_offline);  // switched off below the province
  EXPECT_EQ(q1.emails, std::vector<std::string>{"ttam@example.vn"});
  ASSERT_EQ(q1.webhooks.size(), 1u);  // not said by the centre: the province's
  EXPECT_EQ(q1.source["webhooks"], "22");
  EXPECT_FALSE(q1.unhappy_share);  // nobody says
  auto so = effective_alert_rules("22.SO-TP", rules, parents);
  EXPECT_EQ(so.low_rating->max_value, 1);
  ASSERT_TRUE(so.kiosk_offline);
  EXPECT_EQ(so.kiosk_offline->hours, 4);
  EXPECT_EQ(so.emails, std::vector<std::string>{"tinh@example.vn"});
}

// ---------------------------------------------------------------------------------------------
// Evaluation over plain inputs

class AlertEvaluation : public ::testing::Test {
 protected:
  const TimePoint t0 = test_now();
  EffectiveAlertRules rules;
  std::vector<AlertRecord> open;  // as stored after each pass
  std::int64_t next_id = 1;
  std::int64_t next_rid = 1;
  std::vector<AlertResponse> stored;  // every response so far (the windows)
  KioskAlertInput kiosk{"k1", "22.PVHCC", t0 - 24h, t0, std::nullopt, false};

  AlertResponse response(TimePoint at, std::vector<int> values, bool comment = false,
                         std::string survey = "counter-short") {
    return AlertResponse{next_rid++, "k1", std::move(survey), at, std::move(values), comment};
  }

  // One evaluation at `now` with these new responses and findings; applies its result to `open`
  // as the storage would, and returns it.
  std::vector<AlertUpsert> pass(TimePoint now, std::vector<AlertResponse> fresh = {},
                                std::vector<AlertFinding> findings = {}) {
    for (const auto& r : fresh) stored.push_back(r);
    AlertInputs in;
    in.now = now;
    kiosk.last_contact = kiosk.last_contact ? std::max(*kiosk.last_contact, now - 1min) : now;
    in.kiosks = {kiosk};
    in.new_responses = fresh;
    in.new_findings = findings;
    in.open = open;
    in.rules = [this](const std::string&) { return rules; };
    in.is_points = [](const std::string& s) { return s == "mau-01"; };
    for (const auto& k : kiosks_needing_windows(in)) in.windows[k] = stored;
    auto out = evaluate_alerts(in);
    for (auto u : out) {
      if (u.alert.id == 0) u.alert.id = next_id++;
      open.erase(std::remove_if(open.begin(), open.end(),
                                [&](const AlertRecord& a) { return a.id == u.alert.id; }),
                 open.end());
      if (u.alert.state == "open") open.push_back(u.alert);
    }
    return out;
  }
  // One evaluation at `now` of the kiosk conditions alone (offline, backlog): no responses, no
  // findings; applies its result to `open` and returns its events.
  std::vector<std::string> kiosk_pass(TimePoint now) {
    AlertInputs x;
    x.now = now;
    x.kiosks = {kiosk};
    x.open = open;
    x.rules = [this](const std::string&) { return rules; };
    auto out = evaluate_alerts(x);
    for (auto u : out) {
      if (u.alert.id == 0) u.alert.id = next_id++;
      open.clear();
      if (u.alert.state == "open") open.push_back(u.alert);
    }
    return events(out);
  }
  static std::vector<std::string> events(const std::vector<AlertUpsert>& v) {
    std::vector<std::string> out;
    for (const auto& u : v) out.push_back(u.event + " " + u.alert.key);
    return out;
  }
};

TEST_F(AlertEvaluation, ARatingOfOneOpensOneAlertThatAbsorbsTheNextOnes) {
  rules.low_rating = LowRatingRule{1, false, 60};
  auto first = pass(t0, {response(t0 - 1min, {4, 1})});
  EXPECT_EQ(events(first), std::vector<std::string>{"opened low_rating:k1"});
  auto more = pass(t0 + 1min, {response(t0, {1}), response(t0, {1, 1})});
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].event, "");  // no second notification
  EXPECT_EQ(more[0].alert.count, 3);
  EXPECT_EQ(open.size(), 1u);
  EXPECT_TRUE(pass(t0 + 2min, {response(t0, {2, 5})}).empty());  // 2 is not <= 1
}

// The detail is written in both languages: English for the API and logs, Vietnamese for the
// dashboard and e-mails, with the time in the unit's zone (+7 here) and spans in hours.
TEST_F(AlertEvaluation, TheDetailIsInVietnameseWithLocalTimesAndInEnglish) {
  rules.low_rating = LowRatingRule{1, false, 60};
  rules.unhappy_share = UnhappyShareRule{120, 50, 1};
  const TimePoint at = *parse_rfc3339("2026-11-04T01:13:37.000Z");
  auto out = pass(at + 1min, {response(at, {1}, true)});
  std::map<std::string, AlertRecord> by_kind;
  for (const auto& u : out) by_kind[u.alert.kind] = u.alert;
  ASSERT_EQ(by_kind.size(), 2u);
  EXPECT_EQ(by_kind["low_rating"].detail,
            "an answer of 1 submitted at 2026-11-04T01:13:37.000Z, with a comment");
  EXPECT_EQ(by_kind["low_rating"].detail_vi, "Một câu trả lời mức 1 lúc 08:13 04/11/2026, kèm ý kiến");
  EXPECT_EQ(by_kind["unhappy_share"].detail_vi, "1/1 câu trả lời ở mức 1–2 trong 2 giờ qua");
  EXPECT_EQ(alert_to_json(by_kind["low_rating"])["detail_vi"], by_kind["low_rating"].detail_vi);
  const std::string mail = alert_email(by_kind["low_rating"], "opened", "a@b.vn", "c@d.vn", {"vi"},
                                       at, "<1@b.vn>");
  std::string encoded = mail.substr(mail.find("\r\n\r\n") + 4);
  std::erase_if(encoded, [](char c) { return c == '\r' || c == '\n'; });
  auto decoded = base64_decode(encoded);
  ASSERT_TRUE(decoded) << mail;
  const std::string& body = *decoded;
  EXPECT_NE(body.find(by_kind["low_rating"].detail_vi), std::string::npos) << body;
  EXPECT_EQ(body.find("an answer of 1"), std::string::npos) << body;  // Vietnamese only
}

TEST_F(AlertEvaluation, WithCommentRequiredOnlyLowRatingsWithACommentCount) {
  rules.low_rating = LowRatingRule{2, true, 60};
  EXPECT_TRUE(pass(t0, {response(t0, {1})}).empty());
  EXPECT_EQ(events(pass(t0, {response(t0, {2}, true)})),
            std::vector<std::string>{"opened low_rating:k1"});
}

TEST_F(AlertEvaluation, ALowRatingAlertClearsAfterItsQuietTimeAndTheNextOneOpensAgain) {
  rules.low_rating = LowRatingRule{1, false, 60};
  pass(t0, {response(t0, {1})});
  EXPECT_TRUE(pass(t0 + 59min).empty());
  EXPECT_EQ(events(pass(t0 + 60min)), std::vector<std::string>{"cleared low_rating:k1"});
  EXPECT_TRUE(open.empty());
  EXPECT_EQ(events(pass(t0 + 61min, {response(t0 + 61min, {1})})),
            std::vector<std::string>{"opened low_rating:k1"});
}

TEST_F(AlertEvaluation, TheUnhappyShareWaitsForTheMinimumCount) {
  rules.unhappy_share = UnhappyShareRule{15, 50, 4};
  EXPECT_TRUE(pass(t0, {response(t0 - 2min, {1}), response(t0 - 1min, {2}), response(t0, {1})}).empty());
  // 4 answers, 3 of them 1 or 2: 75 %.
  EXPECT_EQ(events(pass(t0 + 1min, {response(t0 + 1min, {5})})),
            std::vector<std::string>{"opened unhappy_share:k1"});
  // More unhappy answers: the same alert, silently.
  auto more = pass(t0 + 2min, {response(t0 + 2min, {1}), response(t0 + 2min, {1})});
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].event, "");
  EXPECT_EQ(open.size(), 1u);
}

TEST_F(AlertEvaluation, TheUnhappyShareClearsWhenTheWindowRecovers) {
  rules.unhappy_share = UnhappyShareRule{15, 50, 4};
  pass(t0, {response(t0, {1, 1}), response(t0, {2, 1})});
  ASSERT_EQ(open.size(), 1u);
  // Happy answers bring the share to 4 of 10: below 50 %.
  EXPECT_EQ(events(pass(t0 + 1min, {response(t0 + 1min, {5, 5, 5}), response(t0 + 1min, {4, 5, 4})})),
            std::vector<std::string>{"cleared unhappy_share:k1"});
  // Again unhappy, then the window slides past them with no new answers.
  pass(t0 + 2min, {response(t0 + 2min, {1, 1, 1, 1}), response(t0 + 2min, {1, 1, 1, 1})});
  ASSERT_EQ(open.size(), 1u);
  EXPECT_TRUE(pass(t0 + 16min).empty());  // t0+2min answers are still inside
  EXPECT_EQ(events(pass(t0 + 18min)), std::vector<std::string>{"cleared unhappy_share:k1"});
}

TEST_F(AlertEvaluation, PointsQuestionnairesAreNotRatings) {
  rules.low_rating = LowRatingRule{1, false, 60};
  rules.unhappy_share = UnhappyShareRule{15, 50, 1};
  EXPECT_TRUE(pass(t0, {response(t0, {0, 1, 2}, false, "mau-01")}).empty());
}

TEST_F(AlertEvaluation, AnOfflineKioskOpensOneAlertThatClearsWhenItIsBack) {
  rules.kiosk_offline = OfflineRule{4};
  kiosk.last_contact = t0;
  auto offline = [&](TimePoint now) { return kiosk_pass(now); };
  EXPECT_TRUE(offline(t0 + 4h).empty());
  EXPECT_EQ(offline(t0 + 4h + 1s), std::vector<std::string>{"opened kiosk_offline:k1"});
  EXPECT_TRUE(offline(t0 + 9h).empty());  // still offline: no second alert
  kiosk.last_contact = t0 + 10h;
  EXPECT_EQ(offline(t0 + 10h), std::vector<std::string>{"cleared kiosk_offline:k1"});
  kiosk.revoked = true;
  EXPECT_TRUE(offline(t0 + 100h).empty());  // a revoked kiosk is not missed
}

TEST_F(AlertEvaluation, ABacklogFromTheHealthReportOpensAndClearsWhenDrained) {
  rules.backlog = BacklogRule{24};
  auto eval = [&](TimePoint now) { return kiosk_pass(now); };
  EXPECT_TRUE(eval(t0).empty());  // nothing reported
  kiosk.oldest_pending_at = t0 - 23h;
  EXPECT_TRUE(eval(t0).empty());
  kiosk.oldest_pending_at = t0 - 25h;
  EXPECT_EQ(eval(t0), std::vector<std::string>{"opened backlog:k1"});
  EXPECT_TRUE(eval(t0 + 1h).empty());
  kiosk.oldest_pending_at = std::nullopt;  // drained
  EXPECT_EQ(eval(t0 + 2h), std::vector<std::string>{"cleared backlog:k1"});
}

TEST_F(AlertEvaluation, OnlyTheConfiguredKindsOfFindingAlert) {
  FindingRule f;
  f.kinds = {"gap", "broken_chain"};
  rules.finding = f;
  auto out = pass(t0, {}, {{1, "k1", "burst", "12 identical"}, {2, "k1", "gap", "seq 4-6"},
                           {3, "k1", "gap", "seq 9"}});
  EXPECT_EQ(events(out), std::vector<std::string>{"opened finding:k1:gap"});
  EXPECT_EQ(out[0].alert.count, 2);
}

// The e-mail: headers a mail reader takes (RFC 5322, RFC 2047 words of at most 75 characters),
// the Vietnamese text first and the English after it.
TEST(AlertEmail, HeadersAndBothLanguages) {
  AlertRecord a;
  a.id = 42;
  a.kind = "unhappy_share";
  a.unit = "22.PVHCC";
  a.kiosk_id = "22.PVHCC.K01";
  a.opened_at = a.last_seen_at = test_now();
  a.count = 3;
  a.detail = "5 of 8 answers were 1 or 2 in the last 15 minutes";
  const std::string mail = alert_email(a, "opened", "canhbao@example.vn", "ttam@example.vn",
                                       {"vi", "en"}, test_now(), "alert-42-7.1@example.vn");
  const auto head_end = mail.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  const std::string head = mail.substr(0, head_end + 2);
  EXPECT_NE(head.find("Date: Wed, 18 Nov 2026 "), std::string::npos) << head;
  EXPECT_NE(head.find("From: <canhbao@example.vn>\r\n"), std::string::npos);
  EXPECT_NE(head.find("To: <ttam@example.vn>\r\n"), std::string::npos);
  EXPECT_NE(head.find("Message-ID: <alert-42-7.1@example.vn>\r\n"), std::string::npos);
  EXPECT_NE(head.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(head.find("Content-Transfer-Encoding: base64\r\n"), std::string::npos);
  // The subject's words decode to the Vietnamese subject; none is longer than 75 characters.
  std::string subject;
  std::string rest = head.substr(head.find("Subject: "));
  rest = rest.substr(0, rest.find("\r\nMIME"));
  const std::regex word(R"(=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=)");
  for (auto it = std::sregex_iterator(rest.begin(), rest.end(), word); it != std::sregex_iterator();
       ++it) {
    EXPECT_LE((*it)[0].length(), 75);
    subject += base64_decode((*it)[1].str()).value_or("?");
  }
  EXPECT_EQ(subject, "Cảnh báo mới: Nhiều đánh giá không hài lòng — 22.PVHCC.K01");
  std::string b64;
  for (char c : mail.substr(head_end + 4)) {
    if (c != '\r' && c != '\n') b64 += c;
  }
  const std::string body = base64_decode(b64).value_or("");
  const auto vi = body.find("Số lần: 3");
  const auto en = body.find("New alert: Many unhappy answers");
  ASSERT_NE(vi, std::string::npos) << body;
  ASSERT_NE(en, std::string::npos) << body;
  EXPECT_LT(vi, en);
  EXPECT_NE(body.find("Detail: 5 of 8 answers"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Retry delays

TEST(AlertDelivery, RetryDelaysGrowFromFiveSecondsWithJitterUpToTheCap) {
  const TimePoint now = test_now();
  std::chrono::milliseconds previous{0};
  for (int attempt = 1; attempt <= 12; ++attempt) {
    const auto high = next_alert_attempt(now, attempt, 5s, 10min, 1.0) - now;
    const auto low = next_alert_attempt(now, attempt, 5s, 10min, 0.0) - now;
    EXPECT_LE(high, std::chrono::milliseconds(10min));
    EXPECT_GE(low * 2, std::min<std::chrono::milliseconds>(5s * (1 << (attempt - 1)), 10min) - 1ms);
    EXPECT_GE(high, previous);
    previous = high;
  }
  EXPECT_EQ(next_alert_attempt(now, 1, 5s, 10min, 1.0) - now, std::chrono::milliseconds(5s));
  EXPECT_EQ(next_alert_attempt(now, 30, 5s, 10min, 1.0) - now, std::chrono::milliseconds(10min));
}

// ---------------------------------------------------------------------------------------------
// The storage (both stores) and the engine's passes, with the engine's threads off

class AlertStoreTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.alerts.enabled = false;
    start_server(options);
  }

  // k1's next responses, chained, each answering `values`, `gap` apart ending at the clock.
  std::vector<Response> rated(const std::vector<std::vector<int>>& values,
                              std::chrono::seconds gap = 10s, bool comment = false) {
    std::vector<Response> out;
    TimePoint at = clock_.now() - gap * static_cast<int>(values.size());
    for (const auto& v : values) {
      Response r;
      r.id = random_uuid();
      r.seq = next_seq_++;
      r.prev_hash = prev_;
      r.survey_id = "counter-short";
      r.survey_version = 1;
      r.unit = kUnit;
      r.counter = "Q1";
      r.language = "vi";
      r.started_at = at - 20s;
      r.submitted_at = at;
      r.status = ResponseStatus::complete;
      r.answers = {{"officer.polite", v.at(0)}, {"access.waiting_time", v.size() > 1 ? v[1] : v[0]}};
      if (comment) r.comment = "Thái độ không tốt";
      r.hash = compute_hash(r);
      prev_ = r.hash;
      at += gap;
      out.push_back(r);
    }
    return out;
  }
  void post_rated(const std::vector<std::vector<int>>& values) {
    auto res = post(make_body("k1", rated(values), clock_.now()), token1_);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    ASSERT_EQ(json_of(res)["accepted"], static_cast<int>(values.size())) << res->body;
  }
  void set_rules(const std::string& unit, const std::string& text) {
    auto parsed = parse_alert_rules(text, "test rules");
    ASSERT_TRUE(parsed.is_ok()) << parsed.status().message();
    ASSERT_TRUE(store_->put_alert_rules(unit, alert_rules_json(*parsed), clock_.now()).is_ok());
  }
  std::vector<AlertRecord> alerts_in(const std::string& state = "all") {
    AlertFilter f;
    f.state = state;
    auto a = store_->alerts(f);
    EXPECT_TRUE(a.is_ok()) << a.status().message();
    return a.is_ok() ? *a : std::vector<AlertRecord>{};
  }
  std::string outbox(const std::string& column, const std::string& where = "1 = 1") {
    return db_.query("SELECT " + column + " FROM alert_outbox WHERE " + where);
  }

  std::int64_t next_seq_ = 1;
  std::string prev_ = kGenesisHash;
};

TEST_F(AlertStoreTest, RulesAreKeptPerUnitReplacedAndRemoved) {
  set_rules(kUnit, R"({"low_rating": {"max_value": 1}})");
  set_rules(kUnit, R"({"low_rating": {"max_value": 2}})");
  set_rules("22", R"({"kiosk_offline": {"hours": 4}})");
  auto all = store_->alert_rules();
  ASSERT_TRUE(all.is_ok()) << all.status().message();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(parse_alert_rules(all->at(kUnit), "x")->low_rating.rule->max_value, 2);
  ASSERT_TRUE(store_->put_alert_rules(kUnit, std::nullopt, clock_.now()).is_ok());
  EXPECT_EQ(store_->alert_rules()->size(), 1u);
  EXPECT_EQ(store_->put_alert_rules("no-such-unit", "{}", clock_.now()).code(), ErrorCode::not_found);
}

TEST_F(AlertStoreTest, OneOpenAlertPerKeyAndACursorThatMovesOnlyFromWhereItWas) {
  AlertRecord a;
  a.key = "low_rating:k1";
  a.kind = "low_rating";
  a.unit = kUnit;
  a.kiosk_id = "k1";
  a.opened_at = a.last_seen_at = clock_.now();
  a.detail = "an answer of 1";
  auto from = store_->alert_cursor();
  ASSERT_TRUE(from.is_ok()) << from.status().message();
  AlertPass p;
  p.from = *from;
  p.to = {from->response_rid + 5, from->finding_fid};
  p.upserts = {{a, "opened"}};
  p.messages = [&](const AlertRecord& stored, const std::string& event) {
    EXPECT_GT(stored.id, 0);
    AlertMessage m;
    m.channel = "webhook";
    m.target = "https://h.example.vn/x";
    m.secret = "0123456789abcdef";
    m.payload = alert_json_text(stored, event);
    m.created_at = m.next_attempt_at = clock_.now();
    return std::vector<AlertMessage>{m};
  };
  auto applied = store_->apply_alert_pass(p);
  ASSERT_TRUE(applied.is_ok()) << applied.status().message();
  EXPECT_TRUE(*applied);
  EXPECT_EQ(*store_->alert_cursor(), p.to);
  // The same pass again (another server that read the old cursor): nothing written.
  auto again = store_->apply_alert_pass(p);
  ASSERT_TRUE(again.is_ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(alerts_in().size(), 1u);
  EXPECT_EQ(outbox("count(*)"), "1");
  // A second open alert of the same key is refused.
  p.from = p.to;
  auto dup = store_->apply_alert_pass(p);
  EXPECT_EQ(dup.status().code(), ErrorCode::conflict);
  EXPECT_EQ(alerts_in().size(), 1u);
  EXPECT_EQ(*store_->alert_cursor(), p.to);  // the failed pass moved nothing
  // Acknowledged and closed; then a new one of the key may open.
  const std::int64_t id = alerts_in()[0].id;
  ASSERT_TRUE(store_->ack_alert(id, "pvhcc", clock_.now(), true).is_ok());
  auto acked = alerts_in()[0];
  EXPECT_EQ(acked.state, "cleared");
  EXPECT_EQ(acked.acked_by, "pvhcc");
  EXPECT_EQ(store_->ack_alert(id + 100, "pvhcc", clock_.now(), true).code(), ErrorCode::not_found);
  auto reopened = store_->apply_alert_pass(p);
  ASSERT_TRUE(reopened.is_ok()) << reopened.status().message();
  EXPECT_EQ(alerts_in("open").size(), 1u);
}

TEST_F(AlertStoreTest, TheDatabaseOfTheSchemaBeforeAlertsMigratesAndAlertsOnlyOnNewResponses) {
  post_rated({{1}, {1}});  // before the alert tables exist
  stop_server();
  store_.reset();
  if (TestDatabase::postgresql()) {
    db_.exec("DROP TABLE alert_outbox; DROP TABLE alerts; DROP TABLE alert_cursor; "
             "DROP TABLE alert_rules; DROP TABLE improvement_actions; "
             "UPDATE schema_version SET version = version - 2;");
  } else {
    const std::string v = db_.query("PRAGMA user_version");
    db_.exec("DROP TABLE alert_outbox; DROP TABLE alerts; DROP TABLE alert_cursor; "
             "DROP TABLE alert_rules; DROP TABLE improvement_actions; PRAGMA user_version = " +
             std::to_string(std::stoi(v) - 2) + ";");
  }
  ServerOptions options;
  options.alerts.enabled = false;
  start_server(options);
  ASSERT_EQ(db_.query("SELECT count(*) FROM alerts"), "0");
  set_rules(kUnit, R"({"low_rating": {"max_value": 1}})");
  AlertEngine engine(db_path_, AlertOptions{}, clock_, nullptr);
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());
  EXPECT_TRUE(alerts_in().empty());  // the two stored before: no alerts for the past
  post_rated({{1}});
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());
  ASSERT_EQ(alerts_in().size(), 1u);
  EXPECT_EQ(alerts_in()[0].count, 1);
}

// The backlog rule reads the health the kiosk last reported (protocol section 13): a heartbeat
// whose oldest pending response is older than the rule's hours opens one alert, and one that
// reports nothing pending clears it.
TEST_F(AlertStoreTest, ABacklogReportedInAHeartbeatOpensAnAlertThatClearsWhenDrained) {
  set_rules(kUnit, R"({"backlog": {"hours": 24}})");
  AlertEngine engine(db_path_, AlertOptions{}, clock_, nullptr);
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());
  auto beat = [&](std::int64_t pending, std::optional<TimePoint> oldest) {
    KioskHealth h;
    h.software_version = "1.3.0";
    h.pending = pending;
    h.oldest_pending_at = oldest;
    h.disk_free_bytes = 8'000'000'000;
    h.clock = clock_.now();
    BatchRequest b;
    b.kiosk_id = "k1";
    b.batch_id = random_uuid();
    b.sent_at = clock_.now();
    b.health = h;
    auto res = post(batch_to_body(b), token1_);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
  };
  beat(40, clock_.now() - 20h);
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());
  EXPECT_TRUE(alerts_in().empty());  // 20 hours: under the rule
  beat(40, clock_.now() - 30h);
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());
  beat(41, clock_.now() - 30h);
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());
  auto open = alerts_in("open");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].kind, "backlog");
  EXPECT_EQ(open[0].kiosk_id, std::optional<std::string>("k1"));
  beat(0, std::nullopt);
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());
  EXPECT_TRUE(alerts_in("open").empty());
  EXPECT_EQ(alerts_in("cleared").size(), 1u);
}

TEST_F(AlertStoreTest, AFailedDeliveryIsRetriedWithBackoffUntilItIsSentOnce) {
  set_rules(kUnit, R"({"low_rating": {"max_value": 1},
      "webhooks": [{"url": "https://h.example.vn/x", "secret": "0123456789abcdef"}]})");
  std::vector<std::int64_t> tries;
  bool up = false;
  AlertOptions options;
  options.enabled = false;
  AlertEngine engine(db_path_, options, clock_, nullptr, [&](const AlertMessage& m) {
    tries.push_back(m.id);
    return up ? Status::ok() : Status::error(ErrorCode::unavailable, "connection refused");
  });
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());  // the cursor's first row
  post_rated({{1}});
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());
  ASSERT_EQ(outbox("count(*)"), "1");
  EXPECT_EQ(*engine.deliver_once(*store_), 0);
  EXPECT_EQ(tries.size(), 1u);
  EXPECT_EQ(outbox("attempts"), "1");
  EXPECT_EQ(outbox("last_error"), "connection refused");
  // Not due again before the backoff: at least 2.5 s (half of 5 s), at most 5 s.
  EXPECT_EQ(*engine.deliver_once(*store_), 0);
  EXPECT_EQ(tries.size(), 1u);
  const std::int64_t first_wait = std::stoll(outbox("next_ms")) - unix_ms(clock_.now());
  EXPECT_GE(first_wait, 2500);
  EXPECT_LE(first_wait, 5000);
  clock_.advance(5s);
  EXPECT_EQ(*engine.deliver_once(*store_), 0);
  EXPECT_EQ(tries.size(), 2u);
  const std::int64_t second_wait = std::stoll(outbox("next_ms")) - unix_ms(clock_.now());
  EXPECT_GE(second_wait, 5000);
  EXPECT_LE(second_wait, 10000);
  up = true;
  clock_.advance(10s);
  EXPECT_EQ(*engine.deliver_once(*store_), 1);
  EXPECT_EQ(outbox("state"), "sent");
  EXPECT_EQ(outbox("attempts"), "3");
  clock_.advance(1h);
  EXPECT_EQ(*engine.deliver_once(*store_), 0);  // sent once, never again
  EXPECT_EQ(tries.size(), 3u);
}

TEST_F(AlertStoreTest, AMessageUndeliveredForTheExpiryIsGivenUpAndLogged) {
  set_rules(kUnit, R"({"low_rating": {"max_value": 1},
      "webhooks": [{"url": "https://h.example.vn/x", "secret": "0123456789abcdef"}]})");
  std::vector<std::string> log;
  AlertOptions options;
  options.enabled = false;
  options.expire_after = std::chrono::hours(24);
  AlertEngine engine(db_path_, options, clock_, [&](const std::string& l) { log.push_back(l); },
                     [](const AlertMessage&) { return Status::error(ErrorCode::unavailable, "down"); });
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());
  post_rated({{1}});
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());
  for (int i = 0; i < 200 && outbox("state") == "pending"; ++i) {
    clock_.advance(10min);
    ASSERT_TRUE(engine.deliver_once(*store_).is_ok());
  }
  EXPECT_EQ(outbox("state"), "expired");
  EXPECT_TRUE(std::any_of(log.begin(), log.end(), [](const std::string& l) {
    return l.find("given up") != std::string::npos && l.find("down") != std::string::npos;
  }));
}

TEST_F(AlertStoreTest, TheCliSetsShowsListsAndAcknowledges) {
  TempDir files;
  const auto file = files.path() / "rules.json";
  std::ofstream(file) << R"({"low_rating": {"max_value": 1}, "emails": ["a@b.vn"]})";
  const auto bad = files.path() / "bad.json";
  std::ofstream(bad) << R"({"unhappy_share": {"window_minutes": 0}})";
  auto cli = [&](std::vector<std::string> args, std::string* out_text = nullptr) {
    std::istringstream in;
    std::ostringstream out, err;
    int rc = run_cli(args, in, out, err);
    if (out_text) *out_text = out.str() + err.str();
    return rc;
  };
  std::string text;
  EXPECT_EQ(cli({"alert", "rules", "set", "--db", db_path_, "--unit", "22", "--file", bad.string()}, &text), 1);
  EXPECT_NE(text.find(bad.string() + ": unhappy_share.window_minutes:"), std::string::npos) << text;
  EXPECT_EQ(cli({"alert", "rules", "set", "--db", db_path_, "--unit", "22", "--file", file.string()}), 0);
  EXPECT_EQ(cli({"alert", "rules", "show", "--db", db_path_, "--unit", kSubUnit, "--effective"}, &text), 0);
  auto shown = json::parse(text);
  EXPECT_EQ(shown["low_rating"]["max_value"], 1);
  EXPECT_EQ(shown["from"]["low_rating"], "22");
  EXPECT_EQ(shown["emails"], json::array({"a@b.vn"}));
  EXPECT_EQ(cli({"alert", "rules", "show", "--db", db_path_, "--unit", kSubUnit}, &text), 0);
  EXPECT_EQ(text, "{}\n");
  EXPECT_EQ(cli({"alert", "list", "--db", db_path_, "--state", "maybe"}), 2);
  // serve's delivery options are checked before anything starts.
  const std::vector<std::string> serve = {"serve", "--db", db_path_, "--listen", "127.0.0.1:0"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = serve;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  EXPECT_EQ(cli(with({"--smtp-url", "smtps://mail.example.vn", "--smtp-from", "a@b.vn"}), &text), 2);
  EXPECT_NE(text.find("--smtp-url must be smtp://HOST:PORT (STARTTLS is required)"), std::string::npos) << text;
  EXPECT_EQ(cli(with({"--smtp-url", "smtp://m:587", "--smtp-from", "a@b.vn>\r\nX: y"}), &text), 2);
  EXPECT_NE(text.find("--smtp-from must be an e-mail address"), std::string::npos) << text;
  EXPECT_EQ(cli(with({"--smtp-url", "smtp://mail.example.vn:587"}), &text), 2);
  EXPECT_NE(text.find("--smtp-url needs --smtp-from"), std::string::npos) << text;
  EXPECT_EQ(cli(with({"--smtp-from", "a@b.vn"}), &text), 2);
  EXPECT_NE(text.find("--smtp-from goes with --smtp-url"), std::string::npos) << text;
  EXPECT_EQ(cli(with({"--smtp-url", "smtp://m:587", "--smtp-from", "a@b.vn", "--smtp-user", "u"}), &text), 2);
  EXPECT_NE(text.find("--smtp-user and --smtp-password-file go together"), std::string::npos) << text;

  AlertEngine engine(db_path_, AlertOptions{}, clock_, nullptr);
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());
  post_rated({{1}});
  ASSERT_TRUE(engine.evaluate_once(*store_).is_ok());
  EXPECT_EQ(cli({"alert", "list", "--db", db_path_, "--unit", kUnit}, &text), 0);
  EXPECT_NE(text.find("\topen\tlow_rating\t22.PVHCC\tk1\t"), std::string::npos) << text;
  ASSERT_TRUE(store_->add_user({"pvhcc", hash_secret("pw", 1000), std::string(kUnit)}).is_ok());
  const std::string id = std::to_string(alerts_in()[0].id);
  EXPECT_EQ(cli({"alert", "ack", "--db", db_path_, "--id", id, "--user", "pvhcc"}), 0);
  EXPECT_EQ(alerts_in()[0].state, "cleared");
  EXPECT_EQ(cli({"alert", "ack", "--db", db_path_, "--id", "999999", "--user", "pvhcc"}), 1);
}

// On PostgreSQL batches commit side by side: a response numbered below one already visible may
// still be on its way. The evaluation waits for it rather than moving past it.
TEST_F(AlertStoreTest, AResponseStillBeingWrittenIsWaitedForNotSkipped) {
  if (!TestDatabase::postgresql()) GTEST_SKIP() << "PostgreSQL only: SQLite has one writer";
  post_rated({{5}});
  const std::int64_t before = std::stoll(db_.query("SELECT max(rid) FROM responses"));
  std::unique_ptr<PGconn, decltype(&PQfinish)> writer(PQconnectdb(db_.db().c_str()), PQfinish);
  ASSERT_EQ(PQstatus(writer.get()), CONNECTION_OK);
  auto run = [&](const std::string& sql) {
    PGresult* r = PQexec(writer.get(), sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) ADD_FAILURE() << sql << ": " << PQerrorMessage(writer.get());
    PQclear(r);
  };
  // A batch's transaction that has taken its row number and not yet committed.
  run("BEGIN");
  run("INSERT INTO responses(id, kiosk_id, seq, prev_hash, hash, content_hash, answers_key, "
      "survey_id, survey_version, unit, counter, language, started_at, submitted_at, submitted_ms, "
      "status, batch_id, received_at, raw) SELECT 'late', kiosk_id, 99, prev_hash, hash, 'x', "
      "answers_key, survey_id, survey_version, unit, counter, language, started_at, submitted_at, "
      "submitted_ms, status, batch_id, received_at, raw FROM responses ORDER BY rid LIMIT 1");
  std::thread commit_later([&] {
    std::this_thread::sleep_for(300ms);
    run("COMMIT");
  });
  auto read = store_->alert_responses(before - 1, 100);
  commit_later.join();
  ASSERT_TRUE(read.is_ok()) << read.status().message();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ(read->back().rid, before + 1);
}

// sipas-server migrate takes the rules, the alerts, the evaluation's place and the undelivered
// messages along, and PostgreSQL numbers new alerts after the copied ones.
TEST(AlertMigrate, RulesAlertsCursorAndOutboxAreCopiedToPostgresql) {
  if (!TestDatabase::postgresql()) GTEST_SKIP() << "PostgreSQL only: runs under the pg/ prefix";
  TempDir dir;
  TestDatabase target(dir.path());
  ASSERT_FALSE(target.db().empty());
  const std::string source = (dir.path() / "province.db").string();
  const TimePoint now = test_now();
  AlertPass pass;
  {
    auto store = ServerStore::open(source);
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    ASSERT_TRUE((*store)->import_units({{"22", "Tỉnh", std::nullopt}}).is_ok());
    ASSERT_TRUE((*store)->add_kiosk("k1", "22", sha256_hex("t"), now).is_ok());
    ASSERT_TRUE((*store)->put_alert_rules("22", R"({"kiosk_offline": {"hours": 4}})", now).is_ok());
    AlertRecord a;
    a.key = "kiosk_offline:k1";
    a.kind = "kiosk_offline";
    a.unit = "22";
    a.kiosk_id = "k1";
    a.opened_at = a.last_seen_at = now;
    a.detail = "no contact";
    pass.from = *(*store)->alert_cursor();
    pass.to = {7, 3};
    pass.upserts = {{a, "opened"}};
    pass.messages = [&](const AlertRecord& x, const std::string& event) {
      AlertMessage m;
      m.channel = "email";
      m.target = "a@b.vn";
      m.payload = alert_json_text(x, event);
      m.created_at = m.next_attempt_at = now;
      return std::vector<AlertMessage>{m};
    };
    ASSERT_TRUE(*(*store)->apply_alert_pass(pass));
  }
  auto report = migrate_to_postgresql(source, target.db(), [](const std::string&) {});
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  auto pg = ServerStore::open(target.db());
  ASSERT_TRUE(pg.is_ok()) << pg.status().message();
  EXPECT_EQ((*pg)->alert_rules()->at("22"), R"({"kiosk_offline": {"hours": 4}})");
  EXPECT_EQ(*(*pg)->alert_cursor(), (AlertCursor{7, 3}));
  AlertFilter all;
  all.state = "all";
  auto alerts = (*pg)->alerts(all);
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ(alerts->front().key, "kiosk_offline:k1");
  EXPECT_EQ((*pg)->due_alert_messages(now, 10)->size(), 1u);
  pass.from = pass.to;
  pass.upserts[0].alert.key = "kiosk_offline:k2";
  ASSERT_TRUE(*(*pg)->apply_alert_pass(pass));
  EXPECT_GT((*pg)->alerts(all)->front().id, alerts->front().id);
}

// ---------------------------------------------------------------------------------------------
// The whole path: the real server, a webhook receiver and an SMTP sink with STARTTLS

class AlertEndToEnd : public AlertStoreTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(write_self_signed("127.0.0.1", cert_.string(), key_.string()));
    sink_ = std::make_unique<SmtpSink>(cert_.string(), key_.string());
    ASSERT_GT(sink_->port(), 0);
    start();
  }

  void start() {
    ServerOptions options;
    options.alerts.smtp.url = sink_->url();
    options.alerts.smtp.from = "canhbao@sipas.example.vn";
    options.alerts.smtp.ca_file = cert_.string();
    options.alerts.webhook_ca_file = webhook_ca_;
    options.alerts.evaluate_every = 100ms;
    options.alerts.deliver_every = 50ms;
    options.alerts.send_timeout = 5s;
    options.access_log = [this](const std::string& line) {
      std::lock_guard lock(log_mutex_);
      log_.push_back(line);
    };
    start_server(options);
  }

  void rules_for(const std::string& hook_url, const std::string& kinds) {
    set_rules(kUnit, "{" + kinds + R"(, "webhooks": [{"url": ")" + hook_url +
                         R"(", "secret": "a-secret-of-the-province"}],
        "emails": ["ttphvhcc@quangninh.example.vn"], "email_languages": ["vi", "en"]})");
  }

  static bool signed_right(const WebhookRequest& r) {
    return r.signature == "sha256=" + hmac_sha256_hex("a-secret-of-the-province",
                                                      r.timestamp + "." + r.body);
  }

  // The e-mail's body (base64 lines) decoded.
  static std::string mail_text(const MailMessage& m) {
    const auto start = m.data.find("\r\n\r\n");
    std::string b64;
    for (std::size_t i = start + 4; i < m.data.size(); ++i) {
      if (m.data[i] != '\r' && m.data[i] != '\n') b64 += m.data[i];
    }
    return base64_decode(b64).value_or("<not base64>");
  }

  TempDir certs_;
  std::filesystem::path cert_ = certs_.path() / "smtp.pem", key_ = certs_.path() / "smtp.key";
  std::unique_ptr<SmtpSink> sink_;
  std::string webhook_ca_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(AlertEndToEnd, ARatingOfOneSendsExactlyOneSignedWebhookAndOneEmail) {
  WebhookReceiver hook;
  ASSERT_GT(hook.port(), 0);
  rules_for(hook.url(), R"("low_rating": {"max_value": 1})");
  post_rated({{5, 1}});
  ASSERT_TRUE(eventually([&] { return hook.requests().size() == 1 && sink_->messages().size() == 1; }));
  auto r = hook.requests()[0];
  EXPECT_TRUE(signed_right(r)) << r.signature;
  EXPECT_EQ(r.event, "opened");
  auto body = json::parse(r.body);
  EXPECT_EQ(body["event"], "opened");
  EXPECT_EQ(body["alert"]["kind"], "low_rating");
  EXPECT_EQ(body["alert"]["kiosk_id"], "k1");
  EXPECT_EQ(body["alert"]["unit"], kUnit);
  auto m = sink_->messages()[0];
  EXPECT_EQ(m.to, "<ttphvhcc@quangninh.example.vn>");
  EXPECT_EQ(m.from, "<canhbao@sipas.example.vn>");
  EXPECT_NE(m.data.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(m.data.find("Content-Type: text/plain; charset=UTF-8"), std::string::npos);
  EXPECT_NE(m.data.find("Message-ID: <alert-"), std::string::npos);
  EXPECT_NE(m.data.find("Date: "), std::string::npos);
  const std::string text = mail_text(m);
  EXPECT_NE(text.find("Cảnh báo mới: Đánh giá rất thấp — k1"), std::string::npos) << text;
  EXPECT_NE(text.find("New alert: Very low rating — k1"), std::string::npos) << text;
  // Nothing but EHLO and STARTTLS went in clear.
  for (const auto& verb : sink_->plain_commands()) {
    EXPECT_TRUE(verb == "EHLO" || verb == "STAR") << verb;
  }
  // More ratings of 1: the same alert, no more messages.
  post_rated({{1}, {1}});
  ASSERT_TRUE(eventually([&] { return !alerts_in("open").empty() && alerts_in("open")[0].count == 3; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(hook.requests().size(), 1u);
  EXPECT_EQ(sink_->messages().size(), 1u);
}

TEST_F(AlertEndToEnd, AnHttpsWebhookIsVerifiedAgainstTheConfiguredCa) {
  WebhookReceiver hook(0, 200, cert_.string(), key_.string());
  ASSERT_GT(hook.port(), 0);
  rules_for(hook.url(), R"("low_rating": {"max_value": 1})");
  post_rated({{1}});
  // Without the CA the certificate is not trusted: nothing is delivered, and the outbox says why.
  ASSERT_TRUE(eventually([&] { return outbox("max(attempts)", "channel = 'webhook'") == "1"; }));
  EXPECT_TRUE(hook.requests().empty());
  EXPECT_NE(outbox("last_error", "channel = 'webhook'").find("certificate"), std::string::npos)
      << outbox("last_error", "channel = 'webhook'");
  stop_server();
  webhook_ca_ = cert_.string();
  start();
  clock_.advance(1min);
  ASSERT_TRUE(eventually([&] { return hook.requests().size() == 1; }));
  EXPECT_TRUE(signed_right(hook.requests()[0]));
}

TEST_F(AlertEndToEnd, ABurstOfUnhappyAnswersIsOneAlertThatClearsWhenTheWindowRecovers) {
  WebhookReceiver hook;
  rules_for(hook.url(), R"("unhappy_share": {"window_minutes": 15, "threshold_percent": 50, "min_count": 4})");
  post_rated({{1}, {2}, {1}, {1}, {2}, {1}, {1}, {1}});
  ASSERT_TRUE(eventually([&] { return hook.requests().size() == 1; }));
  post_rated({{1}, {1}});
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(hook.requests().size(), 1u);
  ASSERT_EQ(alerts_in().size(), 1u);
  // The window slides past the burst: the periodic evaluation clears it.
  clock_.advance(16min);
  ASSERT_TRUE(eventually([&] { return hook.requests().size() == 2; }));
  EXPECT_EQ(hook.requests()[1].event, "cleared");
  EXPECT_TRUE(signed_right(hook.requests()[1]));
  EXPECT_EQ(alerts_in()[0].state, "cleared");
  ASSERT_TRUE(eventually([&] { return sink_->messages().size() == 2; }));
}

TEST_F(AlertEndToEnd, AReceiverThatIsDownGetsRetriesAndEveryMessageArrivesOnce) {
  const int port = free_loopback_port();
  rules_for("http://127.0.0.1:" + std::to_string(port) + "/hook",
            R"("low_rating": {"max_value": 1, "quiet_minutes": 5})");
  post_rated({{1}});
  ASSERT_TRUE(eventually([&] { return outbox("max(attempts)", "channel = 'webhook'") == "1"; }));
  clock_.advance(6s);
  ASSERT_TRUE(eventually([&] { return outbox("max(attempts)", "channel = 'webhook'") == "2"; }));
  // The alert clears while the receiver is still down: its message waits too.
  clock_.advance(6min);
  ASSERT_TRUE(eventually([&] { return outbox("count(*)", "channel = 'webhook'") == "2"; }));
  WebhookReceiver hook(port);
  ASSERT_EQ(hook.port(), port);
  clock_.advance(11min);
  ASSERT_TRUE(eventually([&] { return hook.requests().size() == 2; }));
  std::this_thread::sleep_for(300ms);
  clock_.advance(30min);
  std::this_thread::sleep_for(300ms);
  auto got = hook.requests();
  ASSERT_EQ(got.size(), 2u);
  std::set<std::string> seen;
  for (const auto& r : got) {
    EXPECT_TRUE(signed_right(r));
    seen.insert(r.event);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"opened", "cleared"}));
  EXPECT_EQ(outbox("count(*)", "state <> 'sent'"), "0");
}

TEST_F(AlertEndToEnd, OpenAlertsAndUndeliveredMessagesSurviveARestart) {
  const int port = free_loopback_port();
  rules_for("http://127.0.0.1:" + std::to_string(port) + "/hook", R"("low_rating": {"max_value": 1})");
  post_rated({{1}});
  ASSERT_TRUE(eventually([&] { return outbox("max(attempts)", "channel = 'webhook'") == "1"; }));
  stop_server();
  WebhookReceiver hook(port);
  start();
  ASSERT_EQ(alerts_in("open").size(), 1u);
  clock_.advance(1min);
  ASSERT_TRUE(eventually([&] { return hook.requests().size() == 1; }));
  EXPECT_EQ(json::parse(hook.requests()[0].body)["alert"]["id"], alerts_in("open")[0].id);
  // Further low ratings after the restart go into the same alert.
  post_rated({{1}});
  ASSERT_TRUE(eventually([&] { return alerts_in("open")[0].count == 2; }));
  EXPECT_EQ(alerts_in().size(), 1u);
}

TEST_F(AlertEndToEnd, AUserOfTheUnitAcknowledgesFromTheDashboardAndOthersCannot) {
  ASSERT_TRUE(store_->add_user({"pvhcc", hash_secret("pw-pvhcc", 1000), std::string(kUnit)}).is_ok());
  ASSERT_TRUE(store_->add_user({"sotp", hash_secret("pw-sotp", 1000), std::string(kOtherUnit)}).is_ok());
  WebhookReceiver hook;
  rules_for(hook.url(), R"("low_rating": {"max_value": 1})");
  post_rated({{1}});
  ASSERT_TRUE(eventually([&] { return alerts_in("open").size() == 1; }));
  const std::int64_t id = alerts_in("open")[0].id;
  auto c = client();
  // Another unit's user: no such alert, by the API or the form.
  c.set_basic_auth("sotp", "pw-sotp");
  auto other = c.Post("/api/v1/alerts/" + std::to_string(id) + "/ack", "", "text/plain");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  auto list = c.Get("/api/v1/alerts?unit=22.PVHCC");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 403);
  // The unit's user logs in and sees the alert on the unit page.
  auto login = [&](const std::string& user, const std::string& password) -> std::pair<std::string, std::string> {
    httplib::Client h = client();
    auto page = h.Get("/login");
    std::smatch m;
    std::string login_cookie;
    for (const auto& [k, v] : page->headers) {
      if (k == "Set-Cookie" && v.rfind("sipas_login=", 0) == 0) login_cookie = v.substr(12, v.find(';') - 12);
    }
    if (!std::regex_search(page->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\""))) return {};
    auto res = h.Post("/login", {{"Cookie", "sipas_login=" + login_cookie}},
                      httplib::Params{{"csrf", m[1]}, {"user", user}, {"password", password}, {"next", "/"}});
    std::string session;
    for (const auto& [k, v] : res->headers) {
      if (k == "Set-Cookie" && v.rfind("sipas_session=", 0) == 0) session = v.substr(14, v.find(';') - 14);
    }
    auto home = h.Get("/", {{"Cookie", "sipas_session=" + session}});
    std::smatch csrf;
    if (!home || !std::regex_search(home->body, csrf, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\""))) return {};
    return {session, csrf[1]};
  };
  auto [other_session, other_csrf] = login("sotp", "pw-sotp");
  ASSERT_FALSE(other_session.empty());
  httplib::Client h = client();
  auto refused = h.Post("/alerts/ack", {{"Cookie", "sipas_session=" + other_session}},
                        httplib::Params{{"csrf", other_csrf}, {"id", std::to_string(id)}, {"back", "/"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 404);
  EXPECT_FALSE(alerts_in("open")[0].acked_by);

  auto [session, csrf] = login("pvhcc", "pw-pvhcc");
  ASSERT_FALSE(session.empty());
  auto page = h.Get("/unit?unit=22.PVHCC", {{"Cookie", "sipas_session=" + session}});
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("data-alert=\"" + std::to_string(id) + "\""), std::string::npos);
  EXPECT_NE(page->body.find("id=\"alert-count\" data-value=\"1\""), std::string::npos);
  // One verb for the button, a card marked while alerts are open, the time in Vietnam's.
  EXPECT_NE(page->body.find("class=\"card spaced alerts open\" id=\"alerts\""), std::string::npos);
  EXPECT_NE(page->body.find("<button class=\"primary\" type=\"submit\">Xác nhận</button>"),
            std::string::npos);
  EXPECT_EQ(page->body.find("Đã biết"), std::string::npos);
  EXPECT_EQ(page->body.find(" UTC"), std::string::npos);
  EXPECT_TRUE(std::regex_search(page->body, std::regex("<td class=\"date\">[0-9]{2}:[0-9]{2} [0-9]{2}/[0-9]{2}/20[0-9]{2}</td>")));
  // Without the session's CSRF token: refused.
  auto forged = h.Post("/alerts/ack", {{"Cookie", "sipas_session=" + session}},
                       httplib::Params{{"csrf", "0"}, {"id", std::to_string(id)}, {"back", "/"}});
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 403);
  auto acked = h.Post("/alerts/ack", {{"Cookie", "sipas_session=" + session}},
                      httplib::Params{{"csrf", csrf}, {"id", std::to_string(id)},
                                      {"back", "/unit?unit=22.PVHCC"}});
  ASSERT_TRUE(acked);
  EXPECT_EQ(acked->status, 303);
  EXPECT_EQ(acked->get_header_value("Location"), "/unit?unit=22.PVHCC");
  auto after = alerts_in()[0];
  EXPECT_EQ(after.acked_by, "pvhcc");
  EXPECT_EQ(after.state, "cleared");  // a low rating is an event: acknowledging closes it
  c.set_basic_auth("pvhcc", "pw-pvhcc");
  auto cleared = c.Get("/api/v1/alerts?unit=22.PVHCC&state=cleared");
  ASSERT_TRUE(cleared);
  ASSERT_EQ(cleared->status, 200);
  auto j = json::parse(cleared->body);
  ASSERT_EQ(j["alerts"].size(), 1u);
  EXPECT_EQ(j["alerts"][0]["acknowledged_by"], "pvhcc");
  auto none_open = json::parse(c.Get("/api/v1/alerts?unit=22.PVHCC")->body);
  EXPECT_TRUE(none_open["alerts"].empty());
}

}  // namespace
}  // namespace sipas::test
