#include <gtest/gtest.h>

#include <fstream>

#include "dashboard_test_support.hpp"
#include "sipas/server/scores.hpp"

namespace sipas::test {
namespace {

using nlohmann::json;

class ProcedureIngestTest : public DashboardTest {
 protected:
  // One response of a fresh chain on kiosk k1, with its procedure set by `edit` on the JSON.
  httplib::Result post_one(const std::function<void(json&)>& edit, std::string* id = nullptr) {
    auto chain = make_chain(kUnit, 1, 1);
    json r = response_to_json(chain[0]);
    edit(r);
    r["hash"] = compute_hash(r);
    json body = {{"protocol", 1},
                 {"kiosk_id", "k1"},
                 {"batch_id", random_uuid()},
                 {"sent_at", format_rfc3339(test_now())},
                 {"responses", json::array({r})}};
    if (id) *id = chain[0].id;
    return post(body.dump(), token1_);
  }

  std::string stored_procedure(const std::string& id) {
    return db_.query("SELECT procedure FROM responses WHERE id = '" + id + "'");
  }
};

TEST_F(ProcedureIngestTest, ValidCodeIsStoredWithTheResponse) {
  std::string id;
  auto r = post_one([](json& j) { j["procedure"] = "1.001193"; }, &id);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["accepted"], 1);
  EXPECT_EQ(stored_procedure(id), "1.001193");
}

TEST_F(ProcedureIngestTest, CodeNotInTheCatalogueIsAccepted) {
  load_procedures();
  std::string id;
  auto r = post_one([](json& j) { j["procedure"] = "9.999999-x_Y"; }, &id);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["accepted"], 1);
  EXPECT_EQ(stored_procedure(id), "9.999999-x_Y");
}

TEST_F(ProcedureIngestTest, NullOrAbsentProcedureIsStoredAsNone) {
  std::string id_null, id_absent;
  auto a = post_one([](json& j) { j["procedure"] = nullptr; }, &id_null);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200) << a->body;
  EXPECT_EQ(json_of(a)["accepted"], 1);
  EXPECT_EQ(stored_procedure(id_null), "<null>");
  // A second kiosk chain: k1's seq 1 is taken, so post the absent case on k2.
  auto chain = make_chain(kOtherUnit, 1, 1);
  id_absent = chain[0].id;
  auto b = post(make_body("k2", chain), token2_);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->status, 200) << b->body;
  EXPECT_EQ(json_of(b)["accepted"], 1);
  EXPECT_EQ(stored_procedure(id_absent), "<null>");
}

TEST_F(ProcedureIngestTest, CodeWithOtherCharactersIsRejectedAndQuarantined) {
  auto r = post_one([](json& j) { j["procedure"] = "1.001193 khai sinh"; });
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto reply = json_of(r);
  EXPECT_EQ(reply["accepted"], 0);
  ASSERT_EQ(reply["rejected"].size(), 1u);
  EXPECT_NE(reply["rejected"][0]["error"].get<std::string>().find("responses[0].procedure:"),
            std::string::npos)
      << reply.dump();
  EXPECT_EQ(stored(), 0);
  EXPECT_EQ(quarantined(), 1);
}

TEST_F(ProcedureIngestTest, CodeLongerThan64IsRejectedAndQuarantined) {
  auto r = post_one([](json& j) { j["procedure"] = std::string(65, 'a'); });
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto reply = json_of(r);
  ASSERT_EQ(reply["rejected"].size(), 1u);
  EXPECT_NE(reply["rejected"][0]["error"].get<std::string>().find("longer than 64"),
            std::string::npos);
  EXPECT_EQ(quarantined(), 1);
}

TEST_F(ProcedureIngestTest, EmptyOrNonStringProcedureIsRejectedAndQuarantined) {
  auto a = post_one([](json& j) { j["procedure"] = ""; });
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200) << a->body;
  ASSERT_EQ(json_of(a)["rejected"].size(), 1u);
  auto b = post_one([](json& j) { j["procedure"] = 1001193; });
  ASSERT_TRUE(b);
  ASSERT_EQ(b->status, 200) << b->body;
  auto reply = json_of(b);
  ASSERT_EQ(reply["rejected"].size(), 1u);
  EXPECT_NE(reply["rejected"][0]["error"].get<std::string>().find("procedure"), std::string::npos);
  EXPECT_EQ(stored(), 0);
  EXPECT_EQ(quarantined(), 2);
}

// A database as the server left it before procedures existed (schema version 3): no below
// rollups, answers and reasons keyed by the response id again, the procedure column, the catalogue and the procedure
// in rollup_detail's key taken away again, and one response's raw JSON naming a procedure, as a
// server of that version kept it.
TEST_F(ProcedureIngestTest, VersionThreeDatabaseMigratesAndKeepsItsScores) {
  SIPAS_SQLITE_ONLY("rewrites the file into the SQLite storage's schema version 3");
  post_fixture();
  stop_server();
  store_.reset();
  db_.exec(R"sql(
    CREATE TABLE old_responses AS SELECT id, kiosk_id, seq, prev_hash, hash, content_hash,
      answers_key, survey_id, survey_version, unit, counter, officer, dossier, language,
      started_at, submitted_at, submitted_ms, status, comment, batch_id, received_at, raw,
      procedure FROM responses ORDER BY rid;
    CREATE TABLE old_answers(response_id TEXT NOT NULL, criterion TEXT NOT NULL, value INTEGER,
      PRIMARY KEY(response_id, criterion)) WITHOUT ROWID;
    INSERT INTO old_answers SELECT r.id, a.criterion, a.value
      FROM answers a JOIN responses r ON r.rid = a.response_rid;
    CREATE TABLE old_reasons(response_id TEXT NOT NULL, reason TEXT NOT NULL,
      PRIMARY KEY(response_id, reason)) WITHOUT ROWID;
    INSERT INTO old_reasons SELECT r.id, x.reason
      FROM reasons x JOIN responses r ON r.rid = x.response_rid;
    DROP TABLE answers;
    DROP TABLE reasons;
    DROP TABLE responses;
    DROP TABLE rollup_below_day;
    DROP TABLE rollup_below_month;
    ALTER TABLE old_responses RENAME TO responses;
    ALTER TABLE old_answers RENAME TO answers;
    ALTER TABLE old_reasons RENAME TO reasons;
    CREATE INDEX responses_kiosk_seq ON responses(kiosk_id, seq);
    CREATE INDEX responses_burst ON responses(kiosk_id, answers_key, submitted_ms);
    CREATE INDEX responses_unit_time ON responses(unit, submitted_ms);
    CREATE TABLE old_detail AS SELECT survey, unit, day, counter, officer, kind, key, value,
      sum(n) AS n FROM rollup_detail GROUP BY survey, unit, day, counter, officer, kind, key, value;
    DROP TABLE rollup_detail;
    CREATE TABLE rollup_detail(
      survey TEXT NOT NULL, unit TEXT NOT NULL, day TEXT NOT NULL, counter TEXT NOT NULL,
      officer TEXT NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL,
      n INTEGER NOT NULL,
      PRIMARY KEY(survey, unit, day, counter, officer, kind, key, value)) WITHOUT ROWID;
    INSERT INTO rollup_detail SELECT * FROM old_detail;
    DROP TABLE old_detail;
    DROP TABLE procedures;
    DROP TABLE login_failures;
    DROP TABLE kiosk_contacts;
    DROP TABLE kiosk_health;
    DROP TABLE config_bundles;
    DROP TABLE alert_outbox;
    DROP TABLE alerts;
    DROP TABLE alert_cursor;
    DROP TABLE alert_rules;
    DROP TABLE improvement_actions;
    ALTER TABLE responses DROP COLUMN procedure;
    UPDATE responses SET raw = json_set(raw, '$.procedure', 'bad code!')
      WHERE json_extract(raw, '$.procedure') = '2.002154';
    PRAGMA user_version = 3;
  )sql");
  ASSERT_EQ(db_.query("PRAGMA user_version"), "3");

  auto svc = service();
  ASSERT_TRUE(svc);
  EXPECT_EQ(db_.query("PRAGMA user_version"), "12");
  EXPECT_EQ(db_.query("SELECT count(*) FROM responses"), "6");
  EXPECT_EQ(db_.query("SELECT count(*) FROM answers a JOIN responses r ON r.rid = a.response_rid"),
            db_.query("SELECT count(*) FROM answers"));
  EXPECT_NE(db_.query("SELECT count(*) FROM answers"), "0");
  EXPECT_EQ(db_.query("SELECT count(*) FROM responses WHERE procedure = '1.001193'"),
            "2");
  EXPECT_EQ(db_.query("SELECT count(*) FROM responses WHERE procedure IS NULL"), "4");
  ScoreQuery q;
  q.unit = "22";
  q.range = DateRange{*parse_date("2026-07-01"), *parse_date("2026-12-31")};
  q.group = Grouping::procedure;
  auto rolled = svc->scores(q);
  ASSERT_TRUE(rolled.is_ok()) << rolled.status().message();
  q.source = ScoreSource::raw;
  auto raw = svc->scores(q);
  ASSERT_TRUE(raw.is_ok()) << raw.status().message();
  EXPECT_EQ(rolled->overall.responses, 6);
  ASSERT_EQ(rolled->groups.size(), 2u);
  EXPECT_EQ(rolled->groups[1].key, "1.001193");
  EXPECT_EQ(rolled->groups[1].score.responses, 2);
  nlohmann::json a = to_json(*rolled), b = to_json(*raw);
  a.erase("source");
  b.erase("source");
  EXPECT_EQ(a, b);
  ASSERT_TRUE(svc->store().import_procedures({{"1.001193", {{"vi", "Đăng ký khai sinh"}}}}).is_ok());
}

TEST_F(ProcedureIngestTest, LoadingTheCatalogueUpdatesNamesInPlace) {
  load_procedures();
  ASSERT_TRUE(store_->import_procedures({{"1.001193", {{"vi", "Đăng ký khai sinh (mới)"}}}}).is_ok());
  auto list = store_->procedures();
  ASSERT_TRUE(list.is_ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].code, "1.000894");
  EXPECT_EQ((*list)[1].code, "1.001193");
  EXPECT_EQ((*list)[1].name_in("en"), "Đăng ký khai sinh (mới)");
  EXPECT_EQ((*list)[1].name.count("en"), 0u);
}

TEST_F(ProcedureIngestTest, CatalogueWithABadCodeChangesNothing) {
  Status s = store_->import_procedures(
      {{"1.000001", {{"vi", "Một"}}}, {"có dấu", {{"vi", "Hai"}}}});
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  auto list = store_->procedures();
  ASSERT_TRUE(list.is_ok());
  EXPECT_TRUE(list->empty());
}

}  // namespace
}  // namespace sipas::test
