// Kiosk health on the server (issue 13): health and contacts stored by ingest, their retention,
// the kiosk states against the configured thresholds, GET /api/v1/kiosks with its filters, sorts
// and scopes, GET /api/v1/kiosks/{id}, the fleet pages, and the migration that adds the tables.
// Runs on SQLite and on PostgreSQL (test_database.hpp).
#include <gtest/gtest.h>

#include "server_test_support.hpp"
#include "sipas/crypto.hpp"
#include "sipas/server/batch.hpp"
#include "sipas/server/config_bundles.hpp"
#include "sipas/server/fleet.hpp"

namespace sipas::test {
namespace {

using namespace std::chrono_literals;

KioskHealth health_at(TimePoint clock, std::int64_t pending = 0,
                      const std::string& version = "1.3.0") {
  KioskHealth h;
  h.software_version = version;
  h.config_version = 7;
  h.pending = pending;
  if (pending > 0) h.oldest_pending_at = clock - 3h;
  h.disk_free_bytes = 8'000'000'000;
  h.clock = clock;
  h.uptime_seconds = 4000;
  return h;
}

std::string body_with_health(const std::string& kiosk, const std::vector<Response>& responses,
                             const std::optional<KioskHealth>& health, TimePoint sent_at) {
  BatchRequest b;
  b.kiosk_id = kiosk;
  b.batch_id = random_uuid();
  b.sent_at = sent_at;
  b.responses = responses;
  b.health = health;
  return batch_to_body(b);
}

class KioskHealthTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.fleet.late_after = 15min;
    options.fleet.offline_after = 60min;
    start_server(options);
    ASSERT_TRUE(store_->add_user({"admin", hash_secret("correct horse", 1000), std::nullopt})
                    .is_ok());
    ASSERT_TRUE(
        store_->add_user({"tp", hash_secret("tu phap 123", 1000), std::string(kOtherUnit)}).is_ok());
  }

  httplib::Result beat(const std::string& kiosk, const std::string& token,
                       std::int64_t pending = 0, const std::string& version = "1.3.0",
                       std::chrono::milliseconds skew = 0ms) {
    return post(body_with_health(kiosk, {}, health_at(clock_.now() + skew, pending, version),
                                 clock_.now() + skew),
                token);
  }

  nlohmann::json get(const std::string& path, const std::string& user = "admin",
                     const std::string& password = "correct horse", int* status = nullptr) {
    auto c = client();
    c.set_basic_auth(user, password);
    auto r = c.Get(path);
    EXPECT_TRUE(r);
    if (!r) return nullptr;
    if (status) *status = r->status;
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  std::string page(const std::string& path) {
    auto c = client();
    c.set_basic_auth("admin", "correct horse");
    auto r = c.Get(path);
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path << "\n" << r->body;
    return r ? r->body : "";
  }

  nlohmann::json kiosk_json(const std::string& id) {
    auto all = get("/api/v1/kiosks");
    for (const auto& k : all["kiosks"]) {
      if (k["kiosk_id"] == id) return k;
    }
    ADD_FAILURE() << "no kiosk " << id << " in " << all.dump();
    return nullptr;
  }

  KioskRecord record(const std::string& id) {
    auto all = store_->kiosks();
    EXPECT_TRUE(all.is_ok());
    for (const auto& k : *all) {
      if (k.kiosk_id == id) return k;
    }
    ADD_FAILURE() << "no kiosk " << id;
    return {};
  }
};

TEST_F(KioskHealthTest, HealthOfABatchIsStoredWithItsClockSkew) {
  auto r = post(body_with_health("k1", make_chain(kUnit, 1, 3), health_at(test_now() + 90s, 3),
                                 test_now() + 90s),
                token1_);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["accepted"], 3);
  auto latest = store_->latest_health();
  ASSERT_TRUE(latest.is_ok()) << latest.status().message();
  ASSERT_EQ(latest->count("k1"), 1u);
  EXPECT_EQ(latest->at("k1").health, health_at(test_now() + 90s, 3));
  EXPECT_EQ(latest->at("k1").skew_ms, 90'000);
  EXPECT_EQ(latest->at("k1").received_at, format_rfc3339(test_now()));
  auto contacts = store_->contacts("k1", 10);
  ASSERT_TRUE(contacts.is_ok());
  ASSERT_EQ(contacts->size(), 1u);
  EXPECT_FALSE(contacts->front().heartbeat);
  EXPECT_EQ(contacts->front().responses, 3);
  EXPECT_EQ(contacts->front().accepted, 3);
  EXPECT_EQ(contacts->front().skew_ms, 90'000);
}

TEST_F(KioskHealthTest, HeartbeatIsAContactThatStoresNothingElse) {
  ASSERT_EQ(post(make_body("k1", make_chain(kUnit, 1, 2)), token1_)->status, 200);
  clock_.advance(5min);
  auto r = beat("k1", token1_, 0, "1.3.0", -2500ms);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["accepted"], 0);
  EXPECT_EQ(json_of(r)["acked_seq"], 2);
  EXPECT_EQ(stored(), 2);
  EXPECT_EQ(db_.query("SELECT count(*) FROM batches"), "1");  // the batch; heartbeats not logged
  EXPECT_EQ(record("k1").last_contact, format_rfc3339(clock_.now()));
  auto contacts = store_->contacts("k1", 10);
  ASSERT_TRUE(contacts.is_ok());
  ASSERT_EQ(contacts->size(), 2u);
  EXPECT_TRUE((*contacts)[0].heartbeat);
  EXPECT_EQ((*contacts)[0].skew_ms, -2500);
  ASSERT_TRUE((*contacts)[0].health);
  EXPECT_FALSE((*contacts)[1].heartbeat);
  EXPECT_FALSE((*contacts)[1].health);
}

// An old kiosk sends no health: its batch is taken as ever, and the health last reported stays.
TEST_F(KioskHealthTest, BatchWithoutHealthIsAcceptedAndKeepsTheLastHealth) {
  ASSERT_EQ(beat("k1", token1_, 0, "1.3.0")->status, 200);
  clock_.advance(1min);
  auto r = post(make_body("k1", make_chain(kUnit, 1, 4), clock_.now()), token1_);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["accepted"], 4);
  EXPECT_FALSE(json_of(r).contains("health_error"));
  auto latest = store_->latest_health();
  ASSERT_TRUE(latest.is_ok());
  EXPECT_EQ(latest->at("k1").received_at, format_rfc3339(test_now()));
  auto k = kiosk_json("k1");
  EXPECT_EQ(k["last_contact"], format_rfc3339(clock_.now()));
  EXPECT_EQ(k["software_version"], "1.3.0");
}

TEST_F(KioskHealthTest, InvalidHealthIsNamedInTheReplyAndTheBatchIsStored) {
  auto body = nlohmann::json::parse(make_body("k1", make_chain(kUnit, 1, 2)));
  body["health"] = health_to_json(health_at(test_now()));
  body["health"]["pending"] = "many";
  body["future_field"] = {{"x", 1}};
  auto r = post(body.dump(), token1_);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["accepted"], 2);
  EXPECT_EQ(json_of(r)["health_error"], "health.pending: must be an integer >= 0");
  auto latest = store_->latest_health();
  ASSERT_TRUE(latest.is_ok());
  EXPECT_EQ(latest->count("k1"), 0u);
  auto contacts = store_->contacts("k1", 10);
  ASSERT_TRUE(contacts.is_ok());
  EXPECT_EQ(contacts->size(), 1u);
}

TEST_F(KioskHealthTest, ContactHistoryKeepsAtMostThePerKioskNumberAndTheLastDays) {
  store_->set_contact_retention({2, 5});
  const KioskRecord k1 = record("k1");
  TimePoint t = test_now();
  auto contact = [&](TimePoint at) {
    ParsedBatch b;
    b.kiosk_id = "k1";
    b.batch_id = random_uuid();
    b.sent_at = at;
    b.health = health_at(at);
    auto reply = store_->ingest(k1, b, at);
    ASSERT_TRUE(reply.is_ok()) << reply.status().message();
  };
  for (int i = 0; i < 8; ++i) contact(t + std::chrono::minutes(i));
  auto kept = store_->contacts("k1", 100);
  ASSERT_TRUE(kept.is_ok());
  ASSERT_EQ(kept->size(), 5u);
  EXPECT_EQ(kept->front().received_at, format_rfc3339(t + 7min));
  EXPECT_EQ(kept->back().received_at, format_rfc3339(t + 3min));
  // Three days later, the contacts older than two days go with the next one.
  contact(t + 72h);
  kept = store_->contacts("k1", 100);
  ASSERT_TRUE(kept.is_ok());
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ(kept->front().received_at, format_rfc3339(t + 72h));
  auto limited = store_->contacts("k1", 0);
  ASSERT_TRUE(limited.is_ok());
  EXPECT_TRUE(limited->empty());
}

TEST_F(KioskHealthTest, StateFollowsTheConfiguredThresholds) {
  ASSERT_EQ(beat("k1", token1_)->status, 200);
  EXPECT_EQ(kiosk_json("k1")["state"], "online");
  EXPECT_EQ(kiosk_json("k2")["state"], "never");
  clock_.advance(15min - 1ms);
  EXPECT_EQ(kiosk_json("k1")["state"], "online");
  clock_.advance(1ms);
  EXPECT_EQ(kiosk_json("k1")["state"], "late");
  clock_.advance(45min - 1ms);
  EXPECT_EQ(kiosk_json("k1")["state"], "late");
  clock_.advance(1ms);
  EXPECT_EQ(kiosk_json("k1")["state"], "offline");
  ASSERT_EQ(beat("k1", token1_)->status, 200);
  EXPECT_EQ(kiosk_json("k1")["state"], "online");
}

TEST_F(KioskHealthTest, OtherThresholdsFromServeOptions) {
  stop_server();
  ServerOptions options;
  options.fleet.late_after = 2min;
  options.fleet.offline_after = 5min;
  start_server(options);
  ASSERT_EQ(beat("k1", token1_)->status, 200);
  clock_.advance(2min);
  EXPECT_EQ(kiosk_json("k1")["state"], "late");
  clock_.advance(3min);
  EXPECT_EQ(kiosk_json("k1")["state"], "offline");
}

TEST_F(KioskHealthTest, ApiShowsBacklogVersionsSkewAndOutdatedSoftware) {
  ASSERT_EQ(beat("k1", token1_, 42, "1.10.0", 3s)->status, 200);
  ASSERT_EQ(beat("k2", token2_, 0, "1.9.4")->status, 200);
  auto k1 = kiosk_json("k1");
  EXPECT_EQ(k1["backlog"]["pending"], 42);
  EXPECT_EQ(k1["backlog"]["oldest_pending_at"], format_rfc3339(test_now() + 3s - 3h));
  EXPECT_EQ(k1["backlog"]["age_seconds"], 3 * 3600 - 3);
  EXPECT_EQ(k1["clock_skew_seconds"], 3.0);
  EXPECT_EQ(k1["config_version"], 7);
  EXPECT_EQ(k1["software_version"], "1.10.0");
  EXPECT_EQ(k1["software_outdated"], false);
  EXPECT_EQ(k1["health"]["received_at"], format_rfc3339(test_now()));
  EXPECT_EQ(k1["health"]["disk_free_bytes"], 8'000'000'000LL);
  EXPECT_EQ(k1["health"]["uptime_seconds"], 4000);
  auto k2 = kiosk_json("k2");
  EXPECT_EQ(k2["software_outdated"], true);
  EXPECT_TRUE(k2["backlog"]["oldest_pending_at"].is_null());
  EXPECT_TRUE(k2["backlog"]["age_seconds"].is_null());
  // The contract's fields are all still there.
  for (const char* key : {"kiosk_id", "unit", "created_at", "revoked", "revoked_at",
                          "last_contact", "last_seq", "acked_seq", "responses", "quarantined",
                          "finding_counts", "findings"}) {
    EXPECT_TRUE(k1.contains(key)) << key;
  }
}

// A kiosk is behind on configuration when the version it reports applying is lower than the one
// the server would give it now (its unit's chain and its own override, config_bundles.hpp).
TEST_F(KioskHealthTest, ApiMarksAKioskWhoseConfigurationIsBehindTheServers) {
  ASSERT_EQ(beat("k1", token1_)->status, 200);
  auto k1 = kiosk_json("k1");
  EXPECT_TRUE(k1["config_expected_version"].is_null());  // no bundle anywhere: nothing to compare
  EXPECT_EQ(k1["config_outdated"], false);

  auto v = store_->put_config_bundle(kUnitScope, kUnit, "{}", {}, "test", clock_.now());
  ASSERT_TRUE(v.is_ok()) << v.status().message();
  auto beat_applied = [&](std::optional<std::int64_t> applied) {
    KioskHealth h = health_at(clock_.now());
    h.config_version = applied;
    ASSERT_EQ(post(body_with_health("k1", {}, h, clock_.now()), token1_)->status, 200);
  };
  beat_applied(std::nullopt);
  k1 = kiosk_json("k1");
  EXPECT_EQ(k1["config_expected_version"], *v);
  EXPECT_EQ(k1["config_outdated"], true);
  beat_applied(*v);
  EXPECT_EQ(kiosk_json("k1")["config_outdated"], false);
  // A kiosk's own override raises only its own expected version.
  auto own = store_->put_config_bundle(kKioskScope, "k1", "{}", {}, "test", clock_.now());
  ASSERT_TRUE(own.is_ok()) << own.status().message();
  k1 = kiosk_json("k1");
  EXPECT_EQ(k1["config_expected_version"], *own);
  EXPECT_EQ(k1["config_outdated"], true);
  EXPECT_EQ(kiosk_json("k2")["config_outdated"], false);  // k2 never reported health
  EXPECT_NE(page("/kiosks").find("data-config-outdated=\"1\""), std::string::npos);
}

TEST_F(KioskHealthTest, ApiFiltersByStateAndUnitAndSorts) {
  ASSERT_TRUE(store_->add_kiosk("k3", kSubUnit, token_hash("t3"), test_now()).is_ok());
  ASSERT_EQ(beat("k1", token1_, 5)->status, 200);
  ASSERT_EQ(beat("k2", token2_, 50, "1.3.0", -20s)->status, 200);
  clock_.advance(20min);
  ASSERT_EQ(beat("k2", token2_, 50, "1.3.0", -20s)->status, 200);
  auto ids = [](const nlohmann::json& j) {
    std::vector<std::string> out;
    for (const auto& k : j["kiosks"]) out.push_back(k["kiosk_id"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(get("/api/v1/kiosks?state=late")), V{"k1"});
  EXPECT_EQ(ids(get("/api/v1/kiosks?state=online")), V{"k2"});
  EXPECT_EQ(ids(get("/api/v1/kiosks?state=never")), V{"k3"});
  EXPECT_EQ(ids(get("/api/v1/kiosks?unit=22.PVHCC")), (V{"k1", "k3"}));
  EXPECT_EQ(ids(get("/api/v1/kiosks?unit=22.PVHCC.Q1")), V{"k3"});
  EXPECT_EQ(ids(get("/api/v1/kiosks?sort=backlog&order=desc")), (V{"k2", "k1", "k3"}));
  EXPECT_EQ(ids(get("/api/v1/kiosks?sort=backlog")), (V{"k3", "k1", "k2"}));
  EXPECT_EQ(ids(get("/api/v1/kiosks?sort=state")), (V{"k2", "k1", "k3"}));
  EXPECT_EQ(ids(get("/api/v1/kiosks?sort=skew&order=desc")), (V{"k2", "k1", "k3"}));
  EXPECT_EQ(ids(get("/api/v1/kiosks?sort=unit")), (V{"k1", "k3", "k2"}));
  EXPECT_EQ(ids(get("/api/v1/kiosks?sort=last_contact&order=desc")), (V{"k2", "k1", "k3"}));
  int status = 0;
  auto bad = get("/api/v1/kiosks?state=asleep", "admin", "correct horse", &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(bad["error"], "state must be online, late, offline or never");
  get("/api/v1/kiosks?sort=mood", "admin", "correct horse", &status);
  EXPECT_EQ(status, 400);
  get("/api/v1/kiosks?order=up", "admin", "correct horse", &status);
  EXPECT_EQ(status, 400);
  get("/api/v1/kiosks?unit=99.NONE", "admin", "correct horse", &status);
  EXPECT_EQ(status, 404);
}

TEST_F(KioskHealthTest, ApiKeepsAUnitUserToTheirUnits) {
  ASSERT_EQ(beat("k1", token1_)->status, 200);
  ASSERT_EQ(beat("k2", token2_)->status, 200);
  int status = 0;
  auto own = get("/api/v1/kiosks", "tp", "tu phap 123", &status);
  ASSERT_EQ(status, 200);
  ASSERT_EQ(own["kiosks"].size(), 1u);
  EXPECT_EQ(own["kiosks"][0]["kiosk_id"], "k2");
  get("/api/v1/kiosks?unit=22.PVHCC", "tp", "tu phap 123", &status);
  EXPECT_EQ(status, 403);
  get("/api/v1/kiosks?unit=22", "tp", "tu phap 123", &status);
  EXPECT_EQ(status, 403);
  auto other = get("/api/v1/kiosks/k1", "tp", "tu phap 123", &status);
  EXPECT_EQ(status, 404);
  auto unknown = get("/api/v1/kiosks/k9", "tp", "tu phap 123", &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(other["error"], "unknown kiosk k1");
  get("/api/v1/kiosks/k2", "tp", "tu phap 123", &status);
  EXPECT_EQ(status, 200);
  get("/api/v1/kiosks/k1", "tp", "wrong", &status);
  EXPECT_EQ(status, 401);
}

TEST_F(KioskHealthTest, OneKioskWithItsContactsNewestFirst) {
  ASSERT_EQ(post(make_body("k1", make_chain(kUnit, 1, 3)), token1_)->status, 200);
  for (int i = 0; i < 3; ++i) {
    clock_.advance(5min);
    ASSERT_EQ(beat("k1", token1_)->status, 200);
  }
  int status = 0;
  auto k = get("/api/v1/kiosks/k1", "admin", "correct horse", &status);
  ASSERT_EQ(status, 200) << k.dump();
  EXPECT_EQ(k["kiosk_id"], "k1");
  EXPECT_EQ(k["state"], "online");
  ASSERT_EQ(k["contacts"].size(), 4u);
  EXPECT_EQ(k["contacts"][0]["received_at"], format_rfc3339(clock_.now()));
  EXPECT_EQ(k["contacts"][0]["heartbeat"], true);
  EXPECT_EQ(k["contacts"][3]["heartbeat"], false);
  EXPECT_EQ(k["contacts"][3]["accepted"], 3);
  EXPECT_TRUE(k["contacts"][3]["health"].is_null());
  auto limited = get("/api/v1/kiosks/k1?limit=2", "admin", "correct horse", &status);
  EXPECT_EQ(limited["contacts"].size(), 2u);
  get("/api/v1/kiosks/k1?limit=0", "admin", "correct horse", &status);
  EXPECT_EQ(status, 400);
}

TEST_F(KioskHealthTest, FleetPageShowsStateWordsBacklogAndOutdatedVersions) {
  ASSERT_EQ(beat("k1", token1_, 12, "1.2.0")->status, 200);
  ASSERT_EQ(beat("k2", token2_, 0, "1.3.0")->status, 200);
  clock_.advance(30min);
  ASSERT_EQ(beat("k2", token2_, 0, "1.3.0")->status, 200);
  std::string body = page("/kiosks");
  EXPECT_NE(body.find("data-kiosk=\"k1\" data-state=\"late\""), std::string::npos) << body;
  EXPECT_NE(body.find("Chậm liên lạc"), std::string::npos);
  EXPECT_NE(body.find("data-pending=\"12\""), std::string::npos);
  EXPECT_NE(body.find("data-outdated"), std::string::npos);
  EXPECT_NE(body.find("href=\"/kiosk?id=k1\""), std::string::npos);
  std::string en = page("/kiosks?lang=en&sort=backlog&order=desc");
  EXPECT_NE(en.find("Late"), std::string::npos);
  EXPECT_LT(en.find("data-kiosk=\"k1\""), en.find("data-kiosk=\"k2\""));
  std::string filtered = page("/kiosks?state=online");
  EXPECT_EQ(filtered.find("data-kiosk=\"k1\""), std::string::npos);
  EXPECT_NE(filtered.find("data-kiosk=\"k2\""), std::string::npos);
  std::string one = page("/kiosk?id=k1");
  EXPECT_NE(one.find("id=\"kiosk-state\" data-state=\"late\""), std::string::npos) << one;
  EXPECT_NE(one.find("class=\"contact\""), std::string::npos);
}

TEST_F(KioskHealthTest, AnUnreportedConfigurationIsSaidSoAndLinksToTheKiosksConfiguration) {
  auto v = store_->put_config_bundle(kUnitScope, kUnit, "{}", {}, "test", clock_.now());
  ASSERT_TRUE(v.is_ok()) << v.status().message();
  KioskHealth h = health_at(clock_.now());
  h.config_version = std::nullopt;
  ASSERT_EQ(post(body_with_health("k1", {}, h, clock_.now()), token1_)->status, 200);
  const std::string config = "href=\"/config?unit=22.PVHCC&amp;kiosk=k1\"";
  std::string fleet = page("/kiosks");
  EXPECT_NE(fleet.find(config + " class=\"config-link\">chưa báo</a> <span class=\"pill warn\" data-config-outdated=\"1\">"),
            std::string::npos)
      << fleet;
  EXPECT_NE(page("/kiosks?lang=en").find(">not reported</a>"), std::string::npos);
  std::string one = page("/kiosk?id=k1");
  EXPECT_NE(one.find(config + " id=\"kiosk-config-link\">chưa báo</a>"), std::string::npos) << one;
  EXPECT_NE(one.find("<a href=\"/config?unit=22.PVHCC\">"), std::string::npos);  // the menu
}

TEST_F(KioskHealthTest, ASkewThatRoundsToZeroHasNoSignAndTimesAreVietnams) {
  ASSERT_EQ(beat("k1", token1_, 0, "1.3.0", -30ms)->status, 200);
  std::string fleet = page("/kiosks");
  EXPECT_NE(fleet.find("<td class=\"num\">0,0 s</td>"), std::string::npos) << fleet;
  EXPECT_EQ(fleet.find("-0,0 s"), std::string::npos);
  EXPECT_EQ(fleet.find("UTC"), std::string::npos);
  EXPECT_NE(fleet.find("class=\"card scroll-x\" id=\"kiosks\""), std::string::npos);
  // The last contact, in Vietnam's time: "HH:MM DD/MM/YYYY", and "YYYY-MM-DD HH:MM" in English.
  const std::string utc = format_rfc3339(clock_.now() + 7h);
  const std::string vi = utc.substr(11, 5) + " " + utc.substr(8, 2) + "/" + utc.substr(5, 2) + "/" +
                         utc.substr(0, 4);
  EXPECT_NE(fleet.find("<td class=\"date\">" + vi + "</td>"), std::string::npos) << vi;
  EXPECT_NE(page("/kiosks?lang=en").find("<td class=\"date\">" + utc.substr(0, 10) + " " +
                                         utc.substr(11, 5) + "</td>"),
            std::string::npos);
  std::string one = page("/kiosk?id=k1");
  EXPECT_EQ(one.find("(UTC)"), std::string::npos);
  EXPECT_NE(one.find("<td class=\"date\">" + utc.substr(11, 8) + " " + utc.substr(8, 2) + "/"), std::string::npos);
}

TEST_F(KioskHealthTest, TheMigrationAddsTheTablesToALastVersionDatabase) {
  ASSERT_EQ(beat("k1", token1_)->status, 200);
  stop_server();
  store_.reset();
  if (TestDatabase::postgresql()) {
    db_.exec("DROP TABLE kiosk_contacts; DROP TABLE kiosk_health; DROP TABLE config_bundles; "
             "DROP TABLE alert_outbox; DROP TABLE alerts; DROP TABLE alert_cursor; DROP TABLE alert_rules; "
             "DROP TABLE improvement_actions; "
             "UPDATE schema_version SET version = 5");
  } else {
    db_.exec("DROP TABLE kiosk_contacts; DROP TABLE kiosk_health; DROP TABLE config_bundles; "
             "DROP TABLE alert_outbox; DROP TABLE alerts; DROP TABLE alert_cursor; DROP TABLE alert_rules; "
             "DROP TABLE improvement_actions; "
             "PRAGMA user_version = 8");
  }
  start_server(ServerOptions{});
  EXPECT_EQ(db_.query(TestDatabase::postgresql() ? "SELECT max(version) FROM schema_version"
                                                 : "PRAGMA user_version"),
            TestDatabase::postgresql() ? "9" : "12");
  ASSERT_EQ(beat("k1", token1_)->status, 200);
  auto contacts = store_->contacts("k1", 10);
  ASSERT_TRUE(contacts.is_ok()) << contacts.status().message();
  EXPECT_EQ(contacts->size(), 1u);
}

// The parser reads "health" and passes over top-level fields it does not know, so that a body from
// a newer kiosk is taken; an empty "responses" is a heartbeat, not an error.
TEST(FleetTest, ParserReadsHealthAndIgnoresUnknownTopLevelFields) {
  SurveyCatalog catalog;
  BatchPoster poster{"k1", [](const std::string&) { return true; }};
  auto body = nlohmann::json::parse(
      body_with_health("k1", {}, health_at(test_now(), 4), test_now()));
  body["firmware"] = {{"board", "rk3399"}};
  auto parsed = parse_batch(body.dump(), catalog, poster, IngestLimits{});
  ASSERT_TRUE(std::holds_alternative<ParsedBatch>(parsed)) << std::get<BatchRefusal>(parsed).error;
  const auto& batch = std::get<ParsedBatch>(parsed);
  EXPECT_TRUE(batch.responses.empty());
  ASSERT_TRUE(batch.health);
  EXPECT_EQ(*batch.health, health_at(test_now(), 4));
  EXPECT_TRUE(batch.health_error.empty());
  body.erase("health");
  parsed = parse_batch(body.dump(), catalog, poster, IngestLimits{});
  ASSERT_TRUE(std::holds_alternative<ParsedBatch>(parsed));
  EXPECT_FALSE(std::get<ParsedBatch>(parsed).health);
}

TEST(FleetTest, VersionsCompareByNumberPerPart) {
  EXPECT_LT(compare_versions("1.9.2", "1.10.0"), 0);
  EXPECT_GT(compare_versions("2.0", "1.99.99"), 0);
  EXPECT_EQ(compare_versions("1.2", "1.2.0"), 0);
  EXPECT_LT(compare_versions("1.2", "1.2.1"), 0);
  EXPECT_LT(compare_versions("1.2.0-beta", "1.2.0-rc"), 0);
}

TEST(FleetTest, StateBoundaries) {
  const TimePoint now = test_now();
  FleetOptions o{15min, 60min};
  EXPECT_EQ(kiosk_state(std::nullopt, now, o), KioskState::never);
  EXPECT_EQ(kiosk_state(format_rfc3339(now - 14min), now, o), KioskState::online);
  EXPECT_EQ(kiosk_state(format_rfc3339(now - 15min), now, o), KioskState::late);
  EXPECT_EQ(kiosk_state(format_rfc3339(now - 60min), now, o), KioskState::offline);
  EXPECT_EQ(parse_kiosk_state("late"), KioskState::late);
  EXPECT_FALSE(parse_kiosk_state("asleep"));
}

}  // namespace
}  // namespace sipas::test
