// What only the PostgreSQL storage has to show: servers migrating one database at once, two
// servers taking the same kiosk's batches at the same moment (each response stored once, the same
// findings as one server taking them in turn, checked against the SQLite storage), and errors that
// name the database but never its password. The suites of the other files run on PostgreSQL as
// well (pg/ prefix); these skip unless the run is on PostgreSQL.
#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "server_test_support.hpp"
#include "sipas/server/backup.hpp"
#include "sipas/server/migrate.hpp"
#include "sipas/server/scores.hpp"
#include "sipas/server/surveys.hpp"

namespace sipas::test {
namespace {

// Under SIPAS_TEST_STORE=postgresql every test of this binary fails without a cluster to run on,
// not only those that make a database: a pg/ run that passes has run on PostgreSQL.
class PostgreSqlRun : public ::testing::Environment {
 public:
  void SetUp() override {
    if (TestDatabase::postgresql()) TestDatabase::require_cluster();
  }
};
[[maybe_unused]] ::testing::Environment* const kPostgreSqlRun =
    ::testing::AddGlobalTestEnvironment(new PostgreSqlRun);

// Units, the shipped questionnaires and kiosk k1 of unit 22.PVHCC.
void seed(ServerStore& store) {
  ASSERT_TRUE(store
                  .import_units({{"22", "Tỉnh Quảng Ninh", std::nullopt},
                                 {"22.PVHCC", "Trung tâm PVHCC", std::string("22")}})
                  .is_ok());
  auto surveys = import_survey_dir(
      store, std::filesystem::path(SIPAS_SOURCE_DIR) / "kiosk-config" / "surveys");
  ASSERT_TRUE(surveys.is_ok()) << surveys.status().message();
  ASSERT_TRUE(store.add_kiosk("k1", "22.PVHCC", token_hash("k1-token"), test_now()).is_ok());
}

ParsedBatch parse(ServerStore& store, const std::string& body) {
  auto catalog = load_catalog(store);
  EXPECT_TRUE(catalog.is_ok()) << catalog.status().message();
  BatchPoster poster{"k1", [](const std::string&) { return true; }};
  auto parsed = parse_batch(body, *catalog, poster, IngestLimits{});
  if (auto* refused = std::get_if<BatchRefusal>(&parsed)) ADD_FAILURE() << refused->error;
  return std::get_if<ParsedBatch>(&parsed) ? std::get<ParsedBatch>(parsed) : ParsedBatch{};
}

KioskRecord kiosk_of(ServerStore& store) {
  auto k = store.kiosk_by_token_hash(token_hash("k1-token"));
  EXPECT_TRUE(k.is_ok() && *k);
  return k.is_ok() && *k ? **k : KioskRecord{};
}

std::unique_ptr<ServerStore> open_store(const std::string& db) {
  auto store = ServerStore::open(db);
  EXPECT_TRUE(store.is_ok()) << store.status().message();
  return store.is_ok() ? std::move(store).value() : nullptr;
}

std::string text_of(const BatchReply& r) { return batch_reply_to_json(r).dump(); }

std::vector<std::string> findings_text(ServerStore& store) {
  std::vector<std::string> out;
  auto f = store.findings("k1", 100000);
  EXPECT_TRUE(f.is_ok()) << f.status().message();
  if (!f.is_ok()) return out;
  for (const auto& x : *f) {
    out.push_back(x.kind + " " + (x.seq ? std::to_string(*x.seq) : "-") + " " +
                  x.response_id.value_or("-") + " " + x.detail + " " + x.created_at);
  }
  return out;
}

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestDatabase::postgresql()) GTEST_SKIP() << "PostgreSQL only: runs under the pg/ prefix";
  }

  // Batch `a` and batch `b` of kiosk k1 ingested at the same moment through two connections of
  // the PostgreSQL database; then the same two one after the other on a SQLite database, in the
  // order PostgreSQL took them (`a_first` tells it from the replies). The replies must agree.
  void race(ServerStore& pg_a, ServerStore& pg_b, ServerStore& sqlite, const std::string& body_a,
            const std::string& body_b,
            const std::function<bool(const BatchReply&, const BatchReply&)>& a_first) {
    const ParsedBatch a = parse(pg_a, body_a);
    const ParsedBatch b = parse(pg_a, body_b);
    const KioskRecord kiosk = kiosk_of(pg_a);
    Result<BatchReply> reply_a = Status::error(ErrorCode::internal, "not run");
    Result<BatchReply> reply_b = reply_a;
    std::latch start(2);
    std::thread ta([&] {
      start.arrive_and_wait();
      reply_a = pg_a.ingest(kiosk, a, test_now());
    });
    std::thread tb([&] {
      start.arrive_and_wait();
      reply_b = pg_b.ingest(kiosk, b, test_now());
    });
    ta.join();
    tb.join();
    ASSERT_TRUE(reply_a.is_ok()) << reply_a.status().message();
    ASSERT_TRUE(reply_b.is_ok()) << reply_b.status().message();

    const bool a_went_first = a_first(*reply_a, *reply_b);
    const KioskRecord ref_kiosk = kiosk_of(sqlite);
    auto ref_first = sqlite.ingest(ref_kiosk, a_went_first ? a : b, test_now());
    auto ref_second = sqlite.ingest(ref_kiosk, a_went_first ? b : a, test_now());
    ASSERT_TRUE(ref_first.is_ok() && ref_second.is_ok());
    EXPECT_EQ(text_of(*ref_first), text_of(a_went_first ? *reply_a : *reply_b));
    EXPECT_EQ(text_of(*ref_second), text_of(a_went_first ? *reply_b : *reply_a));
  }
};

TEST(PgConnInfoTest, PostgreSqlIsToldFromAFilePath) {
  EXPECT_TRUE(is_postgresql("postgresql://db.example/sipas"));
  EXPECT_TRUE(is_postgresql("postgres:///sipas?host=/run/postgresql"));
  EXPECT_TRUE(is_postgresql("host=/run/postgresql dbname=sipas"));
  EXPECT_TRUE(is_postgresql("dbname = sipas"));
  EXPECT_FALSE(is_postgresql("/var/lib/sipas/sipas.db"));
  EXPECT_FALSE(is_postgresql("server.db"));
  EXPECT_FALSE(is_postgresql("/srv/a=b/server.db"));
  EXPECT_FALSE(is_postgresql("/srv/mydbname=x.db"));
}

// Both storages refuse a unit name no storage keeps alike (PostgreSQL's text has no NUL).
TEST(StoreRulesTest, UnitNameWithANulIsRefused) {
  TempDir dir;
  TestDatabase db(dir.path());
  auto store = open_store(db.db());
  ASSERT_TRUE(store);
  Status s = store->add_unit({"22", std::string("Tỉnh\0x", 8), std::nullopt});
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument) << s.message();
  EXPECT_EQ(s.message(), "unit 22: name contains a NUL character");
  EXPECT_TRUE(store->units()->empty());
}

// Several servers starting at once on a new database: all open, one schema, migrated once.
TEST_F(PgStoreTest, ConcurrentOpensMigrateOnce) {
  TempDir dir;
  TestDatabase db(dir.path());
  constexpr int kServers = 8;
  std::vector<Status> opened(kServers);
  std::latch start(kServers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kServers; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto store = ServerStore::open(db.db());
      opened[i] = store.is_ok() ? Status::ok() : store.status();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : opened) EXPECT_TRUE(s.is_ok()) << s.message();
  // One row, at the latest version (8: alerts).
  EXPECT_EQ(db.query("SELECT count(*) || ' ' || max(version) FROM schema_version"), "1 9");
  EXPECT_EQ(db.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                     "AND tablename = 'responses'"),
            "1");
  auto store = open_store(db.uri());
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->probe_write().is_ok());
}

// A schema from a newer sipas-server is left alone, with a message saying so.
TEST_F(PgStoreTest, NewerSchemaIsRefused) {
  TempDir dir;
  TestDatabase db(dir.path());
  ASSERT_TRUE(open_store(db.db()));
  db.exec("UPDATE schema_version SET version = 99");
  auto store = ServerStore::open(db.db());
  ASSERT_FALSE(store.is_ok());
  EXPECT_EQ(store.status().code(), ErrorCode::corrupt);
  EXPECT_NE(store.status().message().find("schema version 99 is newer"), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find(db.name()), std::string::npos);
  EXPECT_EQ(db.query("SELECT version FROM schema_version"), "99");
}

// The same batch reaching two servers at once: stored once, counted once as a duplicate.
TEST_F(PgStoreTest, SameBatchOnTwoConnectionsAtOnceIsStoredOnce) {
  TempDir dir;
  TestDatabase db(dir.path());
  auto pg_a = open_store(db.db());
  auto pg_b = open_store(db.db());
  auto sqlite = open_store((dir / "reference.db").string());
  ASSERT_TRUE(pg_a && pg_b && sqlite);
  seed(*pg_a);
  seed(*sqlite);
  std::string prev = kGenesisHash;
  constexpr int kRounds = 50, kPerBatch = 6;
  for (int round = 0; round < kRounds; ++round) {
    auto chain = make_chain("22.PVHCC", 1 + round * kPerBatch, kPerBatch, prev,
                            test_now() - std::chrono::hours(100 - round));
    prev = chain.back().hash;
    const std::string body = make_body("k1", chain);
    race(*pg_a, *pg_b, *sqlite, body, body,
         [](const BatchReply& a, const BatchReply&) { return a.accepted > 0; });
    if (HasFatalFailure() || HasNonfatalFailure()) return;
    ASSERT_EQ(*pg_a->response_count(), (round + 1) * kPerBatch);
  }
  EXPECT_EQ(findings_text(*pg_a), findings_text(*sqlite));
  EXPECT_EQ(db.query("SELECT count(*) FROM batches"), std::to_string(2 * kRounds));
  EXPECT_EQ(db.query("SELECT sum(n) FROM rollup_day WHERE kind = 2"),
            std::to_string(kRounds * kPerBatch));
}

// Two consecutive batches of one kiosk reaching two servers at once: every response stored once;
// when the later one is taken first, the earlier one's seqs show as a gap, as they would on one
// server.
TEST_F(PgStoreTest, TwoBatchesOfOneKioskAtOnceAreEachStoredOnce) {
  TempDir dir;
  TestDatabase db(dir.path());
  auto pg_a = open_store(db.db());
  auto pg_b = open_store(db.uri());
  auto sqlite = open_store((dir / "reference.db").string());
  ASSERT_TRUE(pg_a && pg_b && sqlite);
  seed(*pg_a);
  seed(*sqlite);
  std::string prev = kGenesisHash;
  constexpr int kRounds = 50, kPerBatch = 4;
  for (int round = 0; round < kRounds; ++round) {
    const std::int64_t first = 1 + round * 2 * kPerBatch;
    auto chain = make_chain("22.PVHCC", first, 2 * kPerBatch, prev,
                            test_now() - std::chrono::hours(100 - round));
    prev = chain.back().hash;
    const std::vector<Response> early(chain.begin(), chain.begin() + kPerBatch);
    const std::vector<Response> late(chain.begin() + kPerBatch, chain.end());
    const std::int64_t early_last = first + kPerBatch - 1;
    race(*pg_a, *pg_b, *sqlite, make_body("k1", early), make_body("k1", late),
         [&](const BatchReply& a, const BatchReply&) { return a.acked_seq == early_last; });
    if (HasFatalFailure() || HasNonfatalFailure()) return;
    ASSERT_EQ(*pg_a->response_count(), (round + 1) * 2 * kPerBatch);
  }
  EXPECT_EQ(findings_text(*pg_a), findings_text(*sqlite));
  EXPECT_EQ(*pg_a->kiosk_counts("k1"), *sqlite->kiosk_counts("k1"));
  EXPECT_EQ(db.query("SELECT count(*) FROM (SELECT seq FROM responses GROUP BY seq "
                     "HAVING count(*) > 1) x"),
            "0");
  EXPECT_EQ(db.query("SELECT sum(n) FROM rollup_month WHERE kind = 2"),
            std::to_string(kRounds * 2 * kPerBatch));
}

// A database that cannot be reached, or a string libpq cannot read: the error names the database
// and never the password.
TEST_F(PgStoreTest, OpenErrorsNameTheDatabaseWithoutItsPassword) {
  const char* cluster = std::getenv("SIPAS_TEST_PG");
  ASSERT_NE(cluster, nullptr);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(cluster, &error);
  ASSERT_NE(options, nullptr);
  std::string host, user;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (o->val && std::string(o->keyword) == "host") host = o->val;
    if (o->val && std::string(o->keyword) == "user") user = o->val;
  }
  PQconninfoFree(options);
  const std::string secret = "Xy9-not-this-password";
  for (const std::string& db :
       {"postgresql://" + user + ":" + secret + "@/sipas_no_such_db?host=" + host,
        "host=" + host + " user=" + user + " password=" + secret + " dbname=sipas_no_such_db",
        "postgresql://" + user + ":" + secret + "@localhost:notaport/sipas_no_such_db",
        "host=" + host + " password='" + secret + "' dbname=sipas_no_such_db bogus"}) {
    auto store = ServerStore::open(db);
    ASSERT_FALSE(store.is_ok()) << db;
    const std::string& message = store.status().message();
    EXPECT_NE(message.find("sipas_no_such_db"), std::string::npos) << message;
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  auto unreachable = ServerStore::open("host=" + host + " dbname=sipas_no_such_db");
  ASSERT_FALSE(unreachable.is_ok());
  EXPECT_EQ(unreachable.status().code(), ErrorCode::io_error);
  auto unreadable = ServerStore::open("postgresql://h/sipas_no_such_db?no_such_option=1");
  ASSERT_FALSE(unreadable.is_ok());
  EXPECT_EQ(unreadable.status().code(), ErrorCode::invalid_argument);
}

// A database in another encoding than UTF-8 would refuse some citizens' comments: refused at open.
TEST_F(PgStoreTest, OpenRefusesADatabaseNotInUtf8) {
  TempDir dir;
  TestDatabase db(dir.path());
  const std::string latin = db.name() + "_latin1";
  db.exec("CREATE DATABASE " + latin +
          " ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' "
          "TEMPLATE template0");
  // In a key=value string the last dbname counts.
  auto store = ServerStore::open(db.db() + " dbname=" + latin);
  EXPECT_FALSE(store.is_ok());
  EXPECT_EQ(store.status().code(), ErrorCode::invalid_argument);
  EXPECT_NE(store.status().message().find("encoding is LATIN1"), std::string::npos)
      << store.status().message();
  db.exec("DROP DATABASE " + latin + " WITH (FORCE)");
}

// Backup and restore are for the SQLite file; a PostgreSQL database in either form is refused.
TEST_F(PgStoreTest, BackupRefusesAPostgreSqlDatabase) {
  TempDir dir;
  TestDatabase db(dir.path());
  for (const std::string& source : {db.db(), db.uri()}) {
    Status s = backup_database(source, dir / "b.db");
    EXPECT_EQ(s.code(), ErrorCode::invalid_argument) << s.message();
    EXPECT_FALSE(std::filesystem::exists(dir / "b.db"));
  }
}

// A restarted PostgreSQL (here: the store's session ended by an administrator) costs the store
// one failed call, not its life; a transaction open at the time is lost, never continued on the
// new session.
TEST_F(PgStoreTest, StoreReconnectsAfterItsSessionIsEnded) {
  TempDir dir;
  TestDatabase db(dir.path());
  auto store = open_store(db.db());
  ASSERT_TRUE(store);
  seed(*store);
  db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db.name() +
          "' AND pid <> pg_backend_pid()");
  Status first = store->ping();
  if (!first.is_ok()) {
    EXPECT_EQ(first.code(), ErrorCode::io_error) << first.message();
  }
  EXPECT_TRUE(store->ping().is_ok());
  auto units = store->units();
  ASSERT_TRUE(units.is_ok()) << units.status().message();
  EXPECT_EQ(units->size(), 2u);

  // Ended inside a transaction (an export's cursor): that read fails, the next call works.
  auto cursor = store->raw_responses(
      {RawSpan{{"22.PVHCC"}, test_now() - std::chrono::hours(24), test_now()}}, 10);
  ASSERT_TRUE(cursor.is_ok()) << cursor.status().message();
  db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db.name() +
          "' AND pid <> pg_backend_pid()");
  RawRow row;
  auto next = (*cursor)->next(row);
  ASSERT_FALSE(next.is_ok());
  EXPECT_EQ(next.status().code(), ErrorCode::io_error) << next.status().message();
  EXPECT_FALSE((*cursor)->next(row).is_ok());
  cursor = Status::error(ErrorCode::internal, "closed");
  EXPECT_TRUE(store->ping().is_ok());
}

// Two sipas-server instances on one database (as two processes would be), each sent the same
// batch at the same moment over HTTP: both answer 200, every response is stored once.
class PgTwoServersTest : public ServerTest {
 protected:
  void SetUp() override {
    if (!TestDatabase::postgresql()) GTEST_SKIP() << "PostgreSQL only: runs under the pg/ prefix";
    ServerTest::SetUp();
    ServerOptions options;
    options.clock = &clock_;
    options.rate_per_second = 0;
    auto second = HttpServer::create(db_path_, options);
    ASSERT_TRUE(second.is_ok()) << second.status().message();
    second_ = std::move(second).value();
    auto port = second_->bind("127.0.0.1", 0);
    ASSERT_TRUE(port.is_ok()) << port.status().message();
    second_port_ = *port;
    second_thread_ = std::thread([this] { (void)second_->serve(); });
  }
  void TearDown() override {
    if (second_) second_->stop();
    if (second_thread_.joinable()) second_thread_.join();
    second_.reset();
    ServerTest::TearDown();
  }

  std::unique_ptr<HttpServer> second_;
  std::thread second_thread_;
  int second_port_ = 0;
};

TEST_F(PgTwoServersTest, SameBatchToTwoServersAtOnceIsStoredOnce) {
  std::string prev = kGenesisHash;
  constexpr int kRounds = 20, kPerBatch = 10;
  for (int round = 0; round < kRounds; ++round) {
    auto chain = make_chain(kUnit, 1 + round * kPerBatch, kPerBatch, prev,
                            test_now() - std::chrono::hours(50 - round));
    prev = chain.back().hash;
    const std::string body = make_body("k1", chain);
    nlohmann::json replies[2];
    std::latch start(2);
    auto send = [&](int which, int port) {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(30);
      start.arrive_and_wait();
      auto r = c.Post("/api/v1/batches", {{"Authorization", "Bearer " + token1_}}, body,
                      "application/json");
      replies[which] = r && r->status == 200 ? nlohmann::json::parse(r->body)
                                             : nlohmann::json(r ? r->body : "no answer");
    };
    std::thread a(send, 0, port_);
    std::thread b(send, 1, second_port_);
    a.join();
    b.join();
    ASSERT_TRUE(replies[0].is_object()) << replies[0];
    ASSERT_TRUE(replies[1].is_object()) << replies[1];
    EXPECT_EQ(replies[0]["accepted"].get<int>() + replies[1]["accepted"].get<int>(), kPerBatch);
    EXPECT_EQ(replies[0]["duplicates"].get<int>() + replies[1]["duplicates"].get<int>(), kPerBatch);
    EXPECT_EQ(replies[0]["acked_seq"], replies[1]["acked_seq"]);
    ASSERT_EQ(stored(), (round + 1) * kPerBatch);
  }
  EXPECT_EQ(finding_kinds("k1"), std::vector<std::string>{});
}

// A database as version 2 left it (answers and reasons keyed by the response id, the burst index
// by answer set, no below rollups) takes its responses' answers and reasons along to version 3, and its scores read
// the same from the rollups and from the raw rows.
TEST_F(PgStoreTest, VersionTwoDatabaseKeepsEveryAnswerAndReason) {
  TempDir dir;
  TestDatabase db(dir.path());
  {
    auto store = open_store(db.db());
    ASSERT_TRUE(store);
    seed(*store);
    auto chain = make_chain("22.PVHCC", 1, 40, kGenesisHash, test_now() - std::chrono::hours(24 * 10));
    auto reply = store->ingest(kiosk_of(*store), parse(*store, make_body("k1", chain)), test_now());
    ASSERT_TRUE(reply.is_ok()) << reply.status().message();
  }
  const std::string answers = db.query("SELECT count(*) FROM answers");
  const std::string reasons = db.query("SELECT count(*) FROM reasons");
  ASSERT_NE(answers, "0");
  ASSERT_NE(reasons, "0");
  db.exec(R"sql(
    ALTER TABLE answers ADD COLUMN response_id ctext;
    UPDATE answers a SET response_id = r.id FROM responses r WHERE r.rid = a.response_rid;
    ALTER TABLE answers DROP COLUMN response_rid;
    ALTER TABLE answers ALTER COLUMN response_id SET NOT NULL,
      ADD PRIMARY KEY (response_id, criterion),
      ADD FOREIGN KEY (response_id) REFERENCES responses(id);
    ALTER TABLE reasons ADD COLUMN response_id ctext;
    UPDATE reasons x SET response_id = r.id FROM responses r WHERE r.rid = x.response_rid;
    ALTER TABLE reasons DROP COLUMN response_rid;
    ALTER TABLE reasons ALTER COLUMN response_id SET NOT NULL,
      ADD PRIMARY KEY (response_id, reason),
      ADD FOREIGN KEY (response_id) REFERENCES responses(id);
    ALTER TABLE responses DROP CONSTRAINT responses_rid_key;
    DROP INDEX responses_kiosk_time;
    CREATE INDEX responses_burst ON responses(kiosk_id, answers_key, submitted_ms);
    DROP TABLE rollup_below_day;
    DROP TABLE rollup_below_month;
    DROP TABLE kiosk_contacts;
    DROP TABLE kiosk_health;
    DROP TABLE config_bundles;
    DROP TABLE alert_outbox;
    DROP TABLE alerts;
    DROP TABLE alert_cursor;
    DROP TABLE alert_rules;
    DROP TABLE improvement_actions;
    UPDATE schema_version SET version = 2;
  )sql");
  ASSERT_EQ(db.query("SELECT max(version) FROM schema_version"), "2");

  auto svc = ScoreService::open(db.db());
  ASSERT_TRUE(svc.is_ok()) << svc.status().message();
  EXPECT_EQ(db.query("SELECT max(version) FROM schema_version"), "9");
  EXPECT_EQ(db.query("SELECT count(*) FROM answers a JOIN responses r ON r.rid = a.response_rid"),
            answers);
  EXPECT_EQ(db.query("SELECT count(*) FROM reasons x JOIN responses r ON r.rid = x.response_rid"),
            reasons);
  ScoreQuery q;
  q.unit = "22";
  q.range = period_containing(PeriodKind::year, *parse_date(db.query(
                                                   "SELECT min(substr(submitted_at, 1, 10)) FROM responses")));
  auto rolled = (*svc)->scores(q);
  ASSERT_TRUE(rolled.is_ok()) << rolled.status().message();
  q.source = ScoreSource::raw;
  auto raw = (*svc)->scores(q);
  ASSERT_TRUE(raw.is_ok()) << raw.status().message();
  EXPECT_EQ(rolled->overall.responses, 40);
  nlohmann::json a = to_json(*rolled), b = to_json(*raw);
  a.erase("source");
  b.erase("source");
  EXPECT_EQ(a, b);
}

// sipas-server migrate: a province's SQLite database, with responses over two years, a gap and a
// conflict in quarantine, copied into an empty PostgreSQL database.
class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestDatabase::postgresql()) GTEST_SKIP() << "PostgreSQL only: runs under the pg/ prefix";
    source_ = (dir_.path() / "province.db").string();
    auto store = open_store(source_);
    ASSERT_TRUE(store);
    seed(*store);
    std::string prev = kGenesisHash;
    std::int64_t seq = 1;
    Response first;
    for (int round = 0; round < 6; ++round) {
      // From 400 days back to today, one batch every 80 days; the fourth skips a seq (a gap).
      if (round == 3) ++seq;
      auto chain = make_chain("22.PVHCC", seq, 40, prev,
                              test_now() - std::chrono::hours(24 * (400 - 80 * round)));
      seq += 40;
      prev = chain.back().hash;
      if (round == 0) first = chain.front();
      auto reply = store->ingest(kiosk_of(*store), parse(*store, make_body("k1", chain)), test_now());
      ASSERT_TRUE(reply.is_ok()) << reply.status().message();
    }
    // The first response's id again with other content: quarantined as a conflict.
    first.comment = "khác";
    first.hash = compute_hash(first);
    auto reply = store->ingest(kiosk_of(*store), parse(*store, make_body("k1", {first})), test_now());
    ASSERT_TRUE(reply.is_ok()) << reply.status().message();
    ASSERT_EQ(*store->response_count(), 240);
    ASSERT_EQ(*store->quarantine_count(), 1);
  }

  TempDir dir_;
  std::string source_;
  TestDatabase target_{dir_.path()};
  std::vector<std::string> lines_;
  std::function<void(const std::string&)> progress_ = [this](const std::string& l) { lines_.push_back(l); };
};

TEST_F(MigrateTest, CopiesEveryTableAndChecksTheScoresOfEveryUnitAndPeriod) {
  auto report = migrate_to_postgresql(source_, target_.db(), progress_);
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(report->responses, 240);
  // 2 units × (2 years + their quarters with ratings).
  EXPECT_GE(report->score_checks, 2 * 4);
  auto from = open_store(source_);
  auto to = open_store(target_.db());
  ASSERT_TRUE(from && to);
  EXPECT_EQ(*to->response_count(), 240);
  EXPECT_EQ(*to->quarantine_count(), 1);
  EXPECT_EQ(findings_text(*to), findings_text(*from)) << "the gap, in the same order";
  EXPECT_EQ(*to->units(), *from->units());
  auto kiosk = to->kiosk_by_token_hash(token_hash("k1-token"));
  ASSERT_TRUE(kiosk.is_ok() && *kiosk) << "the kiosk keeps its token";
  EXPECT_EQ((*kiosk)->last_seq, 241);
  EXPECT_EQ(lines_.back(), "scores: " + std::to_string(report->score_checks) +
                               " unit-periods the same on both");
}

TEST_F(MigrateTest, ATargetThatHoldsDataIsRefusedAndKept) {
  ASSERT_TRUE(migrate_to_postgresql(source_, target_.db(), progress_).is_ok());
  auto again = migrate_to_postgresql(source_, target_.db(), progress_);
  ASSERT_FALSE(again.is_ok());
  EXPECT_EQ(again.status().code(), ErrorCode::conflict);
  EXPECT_NE(again.status().message().find("already holds data"), std::string::npos)
      << again.status().message();
  EXPECT_EQ(target_.query("SELECT count(*) FROM responses"), "240");
}

TEST_F(MigrateTest, TheWrongKindOfSourceOrTargetIsNamed) {
  auto to_file = migrate_to_postgresql(source_, (dir_.path() / "other.db").string(), progress_);
  ASSERT_FALSE(to_file.is_ok());
  EXPECT_EQ(to_file.status().code(), ErrorCode::invalid_argument);
  EXPECT_NE(to_file.status().message().find("--to must be a PostgreSQL"), std::string::npos);
  auto from_pg = migrate_to_postgresql(target_.db(), target_.db(), progress_);
  ASSERT_FALSE(from_pg.is_ok());
  EXPECT_NE(from_pg.status().message().find("--from must be a SQLite"), std::string::npos);
}

}  // namespace
}  // namespace sipas::test
