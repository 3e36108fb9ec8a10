#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "server_test_support.hpp"
#include "sipas/server/backup.hpp"
#include "sipas/server/scores.hpp"
#include "sipas/sqlite.hpp"

namespace sipas::test {
namespace {

class BackupTest : public ServerTest {
 protected:
  void SetUp() override {
    SIPAS_SQLITE_ONLY("backup and restore copy the SQLite file through SQLite's backup API");
    ServerTest::SetUp();
  }

  static constexpr int kBatches = 40;
  static constexpr int kPerBatch = 50;

  // Uploads kBatches chained batches of kPerBatch responses as kiosk k1, one after another.
  void upload(std::atomic<int>* done, std::atomic<bool>* failed) {
    std::string prev = kGenesisHash;
    for (int i = 0; i < kBatches; ++i) {
      auto chain = make_chain(kUnit, 1 + i * kPerBatch, kPerBatch, prev);
      prev = chain.back().hash;
      auto r = post(make_body("k1", chain), token1_);
      if (!r || r->status != 200) failed->store(true);
      done->fetch_add(1);
    }
  }

  static std::string integrity(const std::string& path) {
    auto db = sql::Db::open(path, sql::OpenOptions{});
    if (!db.is_ok()) return db.status().message();
    std::string result;
    Status s = (*db)->each_row("PRAGMA integrity_check", "check",
                               [&](const sql::Stmt& row) { result += row.text(0); });
    return s.is_ok() ? result : s.message();
  }

  static nlohmann::json scores(const std::string& db, ScoreSource source) {
    auto svc = ScoreService::open(db);
    EXPECT_TRUE(svc.is_ok()) << svc.status().message();
    if (!svc.is_ok()) return nullptr;
    ScoreQuery q;
    q.unit = "22";
    q.range = DateRange{*parse_date("2026-01-01"), *parse_date("2026-12-31")};
    q.group = Grouping::criterion;
    q.source = source;
    q.extras = false;
    auto r = (*svc)->scores(q);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    if (!r.is_ok()) return nullptr;
    nlohmann::json j = to_json(*r);
    j.erase("source");  // says which of the two was asked for
    return j;
  }

  static std::int64_t responses_in(const std::string& db) {
    auto store = ServerStore::open(db);
    if (!store.is_ok()) return -1;
    auto n = (*store)->response_count();
    return n.is_ok() ? *n : -1;
  }
};

// Backups taken while a kiosk uploads hold whole batches only, restore to a database that passes
// SQLite's integrity check, and score the same as the rows they hold; a backup taken after the
// upload scores the same as the live database.
TEST_F(BackupTest, BackupDuringUploadIsConsistentAndRestores) {
  std::atomic<int> done{0};
  std::atomic<bool> failed{false};
  std::thread uploader([&] { upload(&done, &failed); });
  while (done.load() < 3 && !failed.load()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::vector<std::string> during;
  for (int i = 0; i < 3; ++i) {
    const std::string file = (dir_ / ("during-" + std::to_string(i) + ".db")).string();
    Status s = backup_database(db_path_, file);
    ASSERT_TRUE(s.is_ok()) << s.message();
    during.push_back(file);
  }
  const int done_after_backups = done.load();
  uploader.join();
  ASSERT_FALSE(failed.load());
  ASSERT_EQ(stored(), kBatches * kPerBatch);
  // The upload was still going when the backups were taken.
  EXPECT_LT(done_after_backups, kBatches);

  for (const std::string& file : during) {
    const std::string restored = file + ".restored";
    Status s = restore_database(file, restored);
    ASSERT_TRUE(s.is_ok()) << s.message();
    EXPECT_EQ(integrity(restored), "ok");
    const std::int64_t n = responses_in(restored);
    EXPECT_GE(n, 3 * kPerBatch);
    EXPECT_EQ(n % kPerBatch, 0) << "a batch was copied in part: " << n;
    // The rollups (written in each batch's transaction) agree with the raw rows copied.
    auto from_rollups = scores(restored, ScoreSource::rollups);
    EXPECT_EQ(from_rollups, scores(restored, ScoreSource::raw));
    EXPECT_EQ(from_rollups["responses"], n);
  }

  const std::string after = (dir_ / "after.db").string();
  ASSERT_TRUE(backup_database(db_path_, after).is_ok());
  const std::string restored = (dir_ / "restored-after.db").string();
  ASSERT_TRUE(restore_database(after, restored).is_ok());
  EXPECT_EQ(integrity(restored), "ok");
  EXPECT_EQ(scores(restored, ScoreSource::rollups), scores(db_path_, ScoreSource::rollups));
}

TEST_F(BackupTest, RestoreReplacesADatabaseThatHasMoreSinceTheBackup) {
  auto chain = make_chain(kUnit, 1, 10);
  ASSERT_EQ(post(make_body("k1", chain), token1_)->status, 200);
  const std::string file = (dir_ / "b.db").string();
  ASSERT_TRUE(backup_database(db_path_, file).is_ok());
  ASSERT_EQ(post(make_body("k1", make_chain(kUnit, 11, 5, chain.back().hash)), token1_)->status, 200);
  ASSERT_EQ(stored(), 15);
  stop_server();
  store_.reset();
  Status s = restore_database(file, db_path_);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(responses_in(db_path_), 10);
  EXPECT_EQ(integrity(db_path_), "ok");
}

TEST_F(BackupTest, ADamagedBackupIsRefusedAndTheDatabaseKept) {
  const std::string file = (dir_ / "b.db").string();
  ASSERT_TRUE(backup_database(db_path_, file).is_ok());
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    // Every page header from the second page on, over most of the file.
    f.seekp(4096);
    const std::string junk(std::filesystem::file_size(file) - 8192, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  stop_server();
  Status s = restore_database(file, db_path_);
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), ErrorCode::corrupt) << s.message();
  EXPECT_NE(s.message().find("left as it was"), std::string::npos) << s.message();
  EXPECT_EQ(integrity(db_path_), "ok");
}

TEST_F(BackupTest, MissingDatabaseOrBackupIsNamed) {
  Status s = backup_database((dir_ / "nope.db").string(), dir_ / "b.db");
  EXPECT_EQ(s.code(), ErrorCode::not_found);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "b.db"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "nope.db"));
  s = restore_database(dir_ / "nope.db", db_path_);
  EXPECT_EQ(s.code(), ErrorCode::not_found);
  EXPECT_NE(s.message().find("nope.db"), std::string::npos);
  s = backup_database("postgresql://localhost/sipas", dir_ / "b.db");
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
}

TEST_F(BackupTest, BackupIsOneFileReadableByItsOwnerOnly) {
  const auto file = dir_ / "b.db";
  ASSERT_TRUE(backup_database(db_path_, file).is_ok());
  EXPECT_FALSE(std::filesystem::exists(file.string() + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(file.string() + "-journal"));
  const auto perms = std::filesystem::status(file).permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all, std::filesystem::perms::owner_read |
                                                      std::filesystem::perms::owner_write);
  // Nothing else is left in the folder but the database, its WAL and the backup.
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name.starts_with("server.db") || name == "b.db") << name;
  }
}

TEST_F(BackupTest, IntoDirKeepsTheNewestAndTouchesNothingElse) {
  const auto dir = dir_ / "backups";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "notes.txt") << "the province's own file\n";
  std::ofstream(dir / "sipas-manual.db") << "not ours by name\n";
  std::vector<std::filesystem::path> written;
  for (int i = 0; i < 5; ++i) {
    auto run = backup_into_dir(db_path_, dir, 3, test_now() + std::chrono::hours(24 * i));
    ASSERT_TRUE(run.is_ok()) << run.status().message();
    written.push_back(run->written);
    EXPECT_EQ(run->removed.size(), i < 3 ? 0u : 1u);
  }
  EXPECT_EQ(written[0].filename(), "sipas-20261118T110640Z.db");
  EXPECT_FALSE(std::filesystem::exists(written[0]));
  EXPECT_FALSE(std::filesystem::exists(written[1]));
  for (int i = 2; i < 5; ++i) EXPECT_TRUE(std::filesystem::exists(written[i])) << i;
  EXPECT_TRUE(std::filesystem::exists(dir / "notes.txt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "sipas-manual.db"));
  EXPECT_FALSE(backup_into_dir(db_path_, dir, 0, test_now()).is_ok());
}

}  // namespace
}  // namespace sipas::test
