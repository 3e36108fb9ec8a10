#include "sipas/store.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "sipas/crypto.hpp"
#include "sipas/protocol.hpp"

namespace sipas {
namespace {

namespace fs = std::filesystem;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sipas-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A mount that is detached when the owner goes away, even when the test failed half-way.
class Mount {
 public:
  Mount() = default;
  ~Mount() {
    if (!target_.empty()) umount2(target_.c_str(), MNT_DETACH);
  }
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;

  // Returns errno on failure, 0 on success.
  int tmpfs(const fs::path& target, const std::string& options) {
    if (mount("tmpfs", target.c_str(), "tmpfs", 0, options.c_str()) != 0) return errno;
    target_ = target;
    return 0;
  }
  int read_only_bind(const fs::path& source, const fs::path& target) {
    if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) return errno;
    target_ = target;
    if (mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
      return errno;
    }
    return 0;
  }

 private:
  fs::path target_;
};

TimePoint utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  return TimePoint(std::chrono::sys_days(Date(std::chrono::year(y), std::chrono::month(m),
                                              std::chrono::day(d)))) +
         hours(hh) + minutes(mm);
}

Date date(int y, unsigned m, unsigned d) {
  return Date(std::chrono::year(y), std::chrono::month(m), std::chrono::day(d));
}

TimeZone saigon() {
  auto tz = TimeZone::load("Asia/Ho_Chi_Minh");
  if (!tz.is_ok()) std::abort();
  return *tz;
}

ResponseDraft draft_at(TimePoint submitted, std::vector<Answer> answers = {{"access.signage", 4}}) {
  ResponseDraft d;
  d.survey_id = "sipas-counter";
  d.survey_version = 2;
  d.unit = "79-q1";
  d.counter = "c1";
  d.officer = "o1";
  d.language = "vi";
  d.started_at = submitted - std::chrono::seconds(25);
  d.submitted_at = submitted;
  d.answers = std::move(answers);
  return d;
}

std::unique_ptr<ResponseStore> open_or_die(const std::string& path) {
  auto s = ResponseStore::open(path);
  if (!s.is_ok()) {
    ADD_FAILURE() << s.status().to_string();
    return nullptr;
  }
  return std::move(s).value();
}

std::vector<Response> all_responses(ResponseStore& store) {
  auto all = store.responses_between(TimePoint(milliseconds(0)), utc(2100, 1, 1));
  EXPECT_TRUE(all.is_ok()) << all.status().to_string();
  if (!all.is_ok()) return {};
  std::vector<Response> out = *all;
  std::sort(out.begin(), out.end(),
            [](const Response& a, const Response& b) { return a.seq < b.seq; });
  return out;
}

// Seqs 1..n without a gap, each prev_hash the previous hash, each hash recomputable.
void expect_intact_chain(const std::vector<Response>& responses) {
  std::string prev = kGenesisHash;
  std::int64_t seq = 1;
  for (const Response& r : responses) {
    ASSERT_EQ(r.seq, seq) << "gap before seq " << r.seq;
    EXPECT_EQ(r.prev_hash, prev) << "seq " << r.seq;
    EXPECT_EQ(compute_hash(r), r.hash) << "seq " << r.seq;
    prev = r.hash;
    ++seq;
  }
}

class ResponseStoreTest : public ::testing::Test {
 protected:
  std::string db_path() const { return (dir_.path() / "kiosk.db").string(); }
  TempDir dir_;
};

TEST_F(ResponseStoreTest, SeqStartsAtOneWithoutGapsAcrossReopen) {
  TimePoint t = utc(2026, 11, 24, 2);
  {
    auto store = open_or_die(db_path());
    ASSERT_TRUE(store);
    EXPECT_EQ(*store->last_seq(), 0);
    for (int i = 0; i < 3; ++i) {
      auto r = store->append(draft_at(t + minutes(i)));
      ASSERT_TRUE(r.is_ok()) << r.status().to_string();
      EXPECT_EQ(r->seq, i + 1);
    }
  }
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->last_seq(), 3);
  auto r = store->append(draft_at(t + minutes(10)));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->seq, 4);
}

TEST_F(ResponseStoreTest, HashChainStaysValidAcrossReopen) {
  TimePoint t = utc(2026, 11, 24, 2);
  {
    auto store = open_or_die(db_path());
    ASSERT_TRUE(store);
    auto first = store->append(draft_at(t));
    ASSERT_TRUE(first.is_ok());
    EXPECT_EQ(first->prev_hash, kGenesisHash);
    ASSERT_TRUE(store->append(draft_at(t + minutes(1))).is_ok());
  }
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  for (int i = 2; i < 5; ++i) ASSERT_TRUE(store->append(draft_at(t + minutes(i))).is_ok());
  auto all = all_responses(*store);
  ASSERT_EQ(all.size(), 5u);
  expect_intact_chain(all);
}

TEST_F(ResponseStoreTest, AppendThenFindReturnsTheResponseAsStored) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  ResponseDraft d = draft_at(utc(2026, 11, 24, 3, 15) + milliseconds(123),
                             {{"access.signage", 1}, {"officer.polite", std::nullopt},
                              {"result.on_time", 2}});
  d.status = ResponseStatus::partial;
  d.officer = std::nullopt;
  d.dossier = "H79.01-261124-0042";
  d.reasons = {"long_wait", "unclear_guidance"};
  d.comment = "Chờ lâu quá, cán bộ hướng dẫn chưa rõ ràng — 😕 \"ngoặc\" \\ xuống\ndòng";
  auto stored = store->append(d);
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  EXPECT_EQ(static_cast<const ResponseDraft&>(*stored), d);
  EXPECT_TRUE(is_uuid(stored->id)) << stored->id;
  EXPECT_EQ(stored->hash, compute_hash(*stored));

  auto found = store->find(stored->id);
  ASSERT_TRUE(found.is_ok()) << found.status().to_string();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, *stored);

  auto pending = store->pending(10);
  ASSERT_TRUE(pending.is_ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front(), *stored);
}

TEST_F(ResponseStoreTest, ProcedureIsStoredAndHashedWithTheResponse) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  ResponseDraft d = draft_at(utc(2026, 11, 24, 3, 15));
  d.procedure = "1.001193";
  auto stored = store->append(d);
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  EXPECT_EQ(stored->procedure, std::optional<std::string>("1.001193"));
  EXPECT_EQ(stored->hash, compute_hash(*stored));
  Response without = *stored;
  without.procedure.reset();
  EXPECT_NE(compute_hash(without), stored->hash);

  auto pending = store->pending(10);
  ASSERT_TRUE(pending.is_ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().procedure, std::optional<std::string>("1.001193"));
  EXPECT_EQ(compute_hash(pending->front()), stored->hash);
}

TEST_F(ResponseStoreTest, ResponseWithoutProcedureReadsBackWithout) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  auto stored = store->append(draft_at(utc(2026, 11, 24, 3, 15)));
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  auto found = store->find(stored->id);
  ASSERT_TRUE(found.is_ok() && found->has_value());
  EXPECT_FALSE((*found)->procedure.has_value());
  EXPECT_EQ(compute_hash(**found), stored->hash);
}

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};

// The schema as the first released kiosk created it (user_version 1), before procedures.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE responses (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  survey_id TEXT NOT NULL,
  survey_version INTEGER NOT NULL,
  unit TEXT NOT NULL,
  counter TEXT NOT NULL,
  officer TEXT,
  dossier TEXT,
  language TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  submitted_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('complete', 'partial')),
  comment TEXT,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'rejected')),
  reject_reason TEXT
);
CREATE INDEX responses_pending ON responses (seq) WHERE state = 'pending';
CREATE INDEX responses_rejected ON responses (seq) WHERE state = 'rejected';
CREATE INDEX responses_submitted ON responses (submitted_at);
CREATE INDEX responses_dossier ON responses (dossier, submitted_at) WHERE dossier IS NOT NULL;
CREATE TABLE answers (
  response_seq INTEGER NOT NULL REFERENCES responses (seq) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  criterion TEXT NOT NULL,
  value INTEGER,
  PRIMARY KEY (response_seq, position)
) WITHOUT ROWID;
CREATE TABLE reasons (
  response_seq INTEGER NOT NULL REFERENCES responses (seq) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (response_seq, position)
) WITHOUT ROWID;
CREATE TABLE chain_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq INTEGER NOT NULL,
  last_hash TEXT NOT NULL,
  last_submitted_at INTEGER
);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL);
PRAGMA user_version = 1;
)sql";

std::string sql_text(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  return out + "'";
}

// Writes `responses` (seq, prev_hash and hash already chained) into a version-1 database.
void write_v1_database(const std::string& path, const std::vector<Response>& responses) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  std::unique_ptr<sqlite3, SqliteCloser> db(raw);
  std::string sql = std::string("BEGIN;") + kSchemaV1;
  for (const Response& r : responses) {
    sql += "INSERT INTO responses (seq, id, prev_hash, hash, survey_id, survey_version, unit, "
           "counter, officer, dossier, language, started_at, submitted_at, status, comment) "
           "VALUES (" +
           std::to_string(r.seq) + "," + sql_text(r.id) + "," + sql_text(r.prev_hash) + "," +
           sql_text(r.hash) + "," + sql_text(r.survey_id) + "," +
           std::to_string(r.survey_version) + "," + sql_text(r.unit) + "," + sql_text(r.counter) +
           "," + (r.officer ? sql_text(*r.officer) : "NULL") + ",NULL," + sql_text(r.language) +
           "," + std::to_string(r.started_at.time_since_epoch().count()) + "," +
           std::to_string(r.submitted_at.time_since_epoch().count()) + ",'complete',NULL);";
    for (std::size_t i = 0; i < r.answers.size(); ++i) {
      sql += "INSERT INTO answers VALUES (" + std::to_string(r.seq) + "," + std::to_string(i) +
             "," + sql_text(r.answers[i].criterion) + "," +
             std::to_string(r.answers[i].value.value_or(0)) + ");";
    }
  }
  const Response* last = responses.empty() ? nullptr : &responses.back();
  sql += "INSERT INTO chain_head VALUES (1, " + std::to_string(last ? last->seq : 0) + "," +
         sql_text(last ? last->hash : kGenesisHash) + "," +
         (last ? std::to_string(last->submitted_at.time_since_epoch().count()) : "NULL") + ");";
  sql += "COMMIT;";
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
}

TEST_F(ResponseStoreTest, VersionOneDatabaseMigratesKeepingRowsAndChain) {
  TimePoint t = utc(2026, 11, 20, 2);
  std::vector<Response> old;
  std::string prev = kGenesisHash;
  for (int i = 0; i < 3; ++i) {
    Response r;
    static_cast<ResponseDraft&>(r) = draft_at(t + minutes(i));
    r.id = random_uuid();
    r.seq = i + 1;
    r.prev_hash = prev;
    r.hash = compute_hash(r);
    prev = r.hash;
    old.push_back(r);
  }
  ASSERT_NO_FATAL_FAILURE(write_v1_database(db_path(), old));

  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  EXPECT_EQ(all_responses(*store), old);
  ResponseDraft d = draft_at(t + minutes(10));
  d.procedure = "1.004227";
  auto added = store->append(d);
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  EXPECT_EQ(added->seq, 4);
  EXPECT_EQ(added->prev_hash, old.back().hash);

  store.reset();
  store = open_or_die(db_path());
  ASSERT_TRUE(store);
  auto all = all_responses(*store);
  ASSERT_EQ(all.size(), 4u);
  expect_intact_chain(all);
  EXPECT_FALSE(all[0].procedure.has_value());
  EXPECT_EQ(all[3].procedure, std::optional<std::string>("1.004227"));
  auto pending = store->pending(10);
  ASSERT_TRUE(pending.is_ok());
  ASSERT_EQ(pending->size(), 4u);
  EXPECT_EQ(pending->back().procedure, std::optional<std::string>("1.004227"));
}

TEST_F(ResponseStoreTest, FindUnknownIdReturnsNothing) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 24, 2))).is_ok());
  auto found = store->find("00000000-0000-4000-8000-000000000000");
  ASSERT_TRUE(found.is_ok());
  EXPECT_FALSE(found->has_value());
}

TEST_F(ResponseStoreTest, InMemoryStoreAppendsAndReadsBack) {
  auto store = open_or_die(":memory:");
  ASSERT_TRUE(store);
  auto a = store->append(draft_at(utc(2026, 11, 24, 2)));
  auto b = store->append(draft_at(utc(2026, 11, 24, 3)));
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(b->prev_hash, a->hash);
  auto pending = store->pending(10);
  ASSERT_TRUE(pending.is_ok());
  EXPECT_EQ(*pending, (std::vector<Response>{*a, *b}));
}

TEST_F(ResponseStoreTest, PendingIsInSeqOrderAndHonoursTheLimit) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  // Submission times deliberately out of order: pending() follows seq, not time.
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 24, 10) - minutes(i))).is_ok());
  }
  auto first = store->pending(3);
  ASSERT_TRUE(first.is_ok());
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].seq, 1);
  EXPECT_EQ((*first)[1].seq, 2);
  EXPECT_EQ((*first)[2].seq, 3);
  ASSERT_TRUE(store->mark_acknowledged(3).is_ok());
  auto rest = store->pending(100);
  ASSERT_TRUE(rest.is_ok());
  ASSERT_EQ(rest->size(), 4u);
  EXPECT_EQ(rest->front().seq, 4);
  EXPECT_EQ(rest->back().seq, 7);
  EXPECT_EQ(*store->pending_count(), 4);
}

TEST_F(ResponseStoreTest, ApplyReplyAcknowledgesUpToSeqAndMarksRejected) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  std::vector<Response> rs;
  for (int i = 0; i < 5; ++i) {
    auto r = store->append(draft_at(utc(2026, 11, 24, 2) + minutes(i)));
    ASSERT_TRUE(r.is_ok());
    rs.push_back(*r);
  }
  BatchReply reply;
  reply.accepted = 2;
  reply.rejected = {{rs[1].id, "unknown criterion access.x"}};
  reply.acked_seq = 3;
  ASSERT_TRUE(store->apply_reply(reply).is_ok());

  auto pending = store->pending(100);
  ASSERT_TRUE(pending.is_ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].seq, 4);
  EXPECT_EQ((*pending)[1].seq, 5);
  EXPECT_EQ(*store->pending_count(), 2);

  auto rejected = store->rejected(10);
  ASSERT_TRUE(rejected.is_ok());
  ASSERT_EQ(rejected->size(), 1u);
  EXPECT_EQ((*rejected)[0].id, rs[1].id);
  EXPECT_EQ((*rejected)[0].seq, 2);
  EXPECT_EQ((*rejected)[0].submitted_at, rs[1].submitted_at);
  EXPECT_EQ((*rejected)[0].reason, "unknown criterion access.x");

  // A later acknowledgement must not turn the rejected response into a sent one.
  ASSERT_TRUE(store->mark_acknowledged(5).is_ok());
  EXPECT_EQ(*store->pending_count(), 0);
  EXPECT_EQ(store->rejected(10)->size(), 1u);
}

TEST_F(ResponseStoreTest, MarkRejectedOfAnUnknownIdIsNotFound) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  Status s = store->mark_rejected("00000000-0000-4000-8000-000000000000", "x");
  EXPECT_EQ(s.code(), ErrorCode::not_found);
}

TEST_F(ResponseStoreTest, MarkRejectedTakesAResponseOutOfPending) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  auto r = store->append(draft_at(utc(2026, 11, 24, 2)));
  ASSERT_TRUE(r.is_ok());
  ASSERT_TRUE(store->mark_rejected(r->id, "clock skew").is_ok());
  EXPECT_TRUE(store->pending(10)->empty());
  ASSERT_EQ(store->rejected(10)->size(), 1u);
  EXPECT_EQ(store->rejected(10)->front().reason, "clock skew");
}

TEST_F(ResponseStoreTest, PruneDeletesOnlyOldAcknowledgedResponses) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  TimePoint now = utc(2026, 11, 24, 2);
  auto old_sent = store->append(draft_at(now - days(400)));
  auto old_rejected = store->append(draft_at(now - days(399)));
  auto recent_sent = store->append(draft_at(now - days(10)));
  auto old_pending = store->append(draft_at(now - days(398)));
  ASSERT_TRUE(old_sent.is_ok() && old_rejected.is_ok() && recent_sent.is_ok() &&
              old_pending.is_ok());
  ASSERT_TRUE(store->mark_rejected(old_rejected->id, "invalid").is_ok());
  ASSERT_TRUE(store->mark_acknowledged(3).is_ok());

  auto deleted = store->prune(now, 365);
  ASSERT_TRUE(deleted.is_ok()) << deleted.status().to_string();
  EXPECT_EQ(*deleted, 1);
  EXPECT_FALSE(store->find(old_sent->id)->has_value());
  EXPECT_TRUE(store->find(old_rejected->id)->has_value());
  EXPECT_TRUE(store->find(recent_sent->id)->has_value());
  EXPECT_TRUE(store->find(old_pending->id)->has_value());
  EXPECT_EQ(*store->pending_count(), 1);
  EXPECT_EQ(store->rejected(10)->size(), 1u);
}

TEST_F(ResponseStoreTest, SeqAndChainContinueAfterEverythingIsPruned) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  TimePoint now = utc(2026, 11, 24, 2);
  auto a = store->append(draft_at(now - days(100)));
  auto b = store->append(draft_at(now - days(90)));
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  ASSERT_TRUE(store->mark_acknowledged(2).is_ok());
  ASSERT_EQ(*store->prune(now, 30), 2);
  EXPECT_EQ(*store->last_seq(), 2);
  auto c = store->append(draft_at(now));
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->seq, 3);
  EXPECT_EQ(c->prev_hash, b->hash);
}

TEST_F(ResponseStoreTest, PruneRejectsNegativeRetention) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->prune(utc(2026, 11, 24), -1).status().code(), ErrorCode::invalid_argument);
}

// 23:59 and 00:01 in Asia/Ho_Chi_Minh (UTC+7) fall on the same UTC date but on two local dates.
TEST_F(ResponseStoreTest, TallyCountsByLocalDate) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  TimeZone tz = saigon();
  ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 23, 16, 59), {{"access.signage", 2}})).is_ok());
  ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 23, 17, 1), {{"access.signage", 5}})).is_ok());

  auto day23 = store->tally(tz, date(2026, 11, 23), date(2026, 11, 23));
  ASSERT_TRUE(day23.is_ok()) << day23.status().to_string();
  EXPECT_EQ(day23->complete, 1);
  EXPECT_EQ(day23->answers, (decltype(Tally::answers){{"access.signage", {{2, 1}}}}));

  auto day24 = store->tally(tz, date(2026, 11, 24), date(2026, 11, 24));
  ASSERT_TRUE(day24.is_ok());
  EXPECT_EQ(day24->complete, 1);
  EXPECT_EQ(day24->answers, (decltype(Tally::answers){{"access.signage", {{5, 1}}}}));

  auto both = store->tally(tz, date(2026, 11, 23), date(2026, 11, 24));
  ASSERT_TRUE(both.is_ok());
  EXPECT_EQ(both->complete, 2);
}

TEST_F(ResponseStoreTest, DailyTalliesSplitAtLocalMidnightAndListEveryDay) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  TimeZone tz = saigon();
  ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 23, 16, 59), {{"access.signage", 2}})).is_ok());
  ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 23, 17, 1), {{"access.signage", 5}})).is_ok());
  ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 25, 17, 0), {{"access.signage", 3}})).is_ok());

  auto days_ = store->daily_tallies(tz, date(2026, 11, 22), date(2026, 11, 25));
  ASSERT_TRUE(days_.is_ok()) << days_.status().to_string();
  ASSERT_EQ(days_->size(), 4u);
  EXPECT_EQ((*days_)[0].date, date(2026, 11, 22));
  EXPECT_EQ((*days_)[0].tally, Tally{});
  EXPECT_EQ((*days_)[1].date, date(2026, 11, 23));
  EXPECT_EQ((*days_)[1].tally.answers.at("access.signage"), (std::map<int, std::int64_t>{{2, 1}}));
  EXPECT_EQ((*days_)[2].date, date(2026, 11, 24));
  EXPECT_EQ((*days_)[2].tally.answers.at("access.signage"), (std::map<int, std::int64_t>{{5, 1}}));
  // 17:00 UTC on the 25th is 00:00 on the 26th in Saigon: outside the range.
  EXPECT_EQ((*days_)[3].date, date(2026, 11, 25));
  EXPECT_EQ((*days_)[3].tally, Tally{});
}

TEST_F(ResponseStoreTest, TallyAggregatesAnswersReasonsTotalsAndStatus) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  TimePoint t = utc(2026, 11, 24, 2);
  ResponseDraft a = draft_at(t, {{"i1", 2}, {"i2", 1}, {"i3", std::nullopt}});
  a.reasons = {"long_wait"};
  ResponseDraft b = draft_at(t + minutes(1), {{"i1", 2}, {"i2", 2}});
  b.reasons = {"long_wait", "fees"};
  ResponseDraft c = draft_at(t + minutes(2), {{"i3", std::nullopt}});
  c.status = ResponseStatus::partial;
  ResponseDraft d = draft_at(t + minutes(3), {{"i1", 0}});
  d.status = ResponseStatus::partial;
  for (const auto& x : {a, b, c, d}) ASSERT_TRUE(store->append(x).is_ok());

  auto tally = store->tally(TimeZone::utc(), date(2026, 11, 24), date(2026, 11, 24));
  ASSERT_TRUE(tally.is_ok()) << tally.status().to_string();
  Tally expected;
  expected.answers = {{"i1", {{0, 1}, {2, 2}}}, {"i2", {{1, 1}, {2, 1}}}};
  expected.reasons = {{"fees", 1}, {"long_wait", 2}};
  expected.totals = {{0, 1}, {3, 1}, {4, 1}};  // c has no valid answer, so no total
  expected.complete = 2;
  expected.partial = 2;
  EXPECT_EQ(*tally, expected);
}

TEST_F(ResponseStoreTest, TallyFiltersAndLeavesOutRejected) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  TimePoint t = utc(2026, 11, 24, 2);
  ResponseDraft other_survey = draft_at(t);
  other_survey.survey_id = "mau-01";
  ResponseDraft other_counter = draft_at(t);
  other_counter.counter = "c2";
  ResponseDraft no_officer = draft_at(t);
  no_officer.officer = std::nullopt;
  ASSERT_TRUE(store->append(draft_at(t)).is_ok());
  ASSERT_TRUE(store->append(other_survey).is_ok());
  ASSERT_TRUE(store->append(other_counter).is_ok());
  ASSERT_TRUE(store->append(no_officer).is_ok());
  auto rejected = store->append(draft_at(t));
  ASSERT_TRUE(rejected.is_ok());
  ASSERT_TRUE(store->mark_rejected(rejected->id, "invalid").is_ok());

  TimeZone tz = TimeZone::utc();
  Date day = date(2026, 11, 24);
  EXPECT_EQ(store->tally(tz, day, day)->complete, 4);
  EXPECT_EQ(store->tally(tz, day, day, {.survey_id = "mau-01"})->complete, 1);
  EXPECT_EQ(store->tally(tz, day, day, {.counter = "c2"})->complete, 1);
  EXPECT_EQ(store->tally(tz, day, day, {.officer = "o1"})->complete, 3);
  EXPECT_EQ(store->tally(tz, day, day, {.officer = ""})->complete, 1);
  EXPECT_EQ(
      store->tally(tz, day, day, {.survey_id = "sipas-counter", .counter = "c1"})->complete, 2);
}

TEST_F(ResponseStoreTest, TallyByGroupsPerCounterAndOfficer) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  TimePoint t = utc(2026, 11, 24, 2);
  ResponseDraft a = draft_at(t, {{"officer.polite", 5}});
  ResponseDraft b = draft_at(t, {{"officer.polite", 3}});
  b.counter = "c2";
  b.officer = "o2";
  ResponseDraft c = draft_at(t, {{"officer.polite", 1}});
  c.counter = "c2";
  c.officer = std::nullopt;
  for (const auto& x : {a, b, c}) ASSERT_TRUE(store->append(x).is_ok());

  TimeZone tz = TimeZone::utc();
  Date day = date(2026, 11, 24);
  auto by_counter = store->tally_by("counter", tz, day, day);
  ASSERT_TRUE(by_counter.is_ok()) << by_counter.status().to_string();
  ASSERT_EQ(by_counter->size(), 2u);
  EXPECT_EQ(by_counter->at("c1").complete, 1);
  EXPECT_EQ(by_counter->at("c2").complete, 2);
  EXPECT_EQ(by_counter->at("c2").answers.at("officer.polite"),
            (std::map<int, std::int64_t>{{1, 1}, {3, 1}}));

  auto by_officer = store->tally_by("officer", tz, day, day);
  ASSERT_TRUE(by_officer.is_ok());
  ASSERT_EQ(by_officer->size(), 3u);
  EXPECT_EQ(by_officer->at("o1").answers.at("officer.polite"),
            (std::map<int, std::int64_t>{{5, 1}}));
  EXPECT_EQ(by_officer->at("").answers.at("officer.polite"),
            (std::map<int, std::int64_t>{{1, 1}}));
}

TEST_F(ResponseStoreTest, TallyRejectsBadArguments) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  TimeZone tz = TimeZone::utc();
  EXPECT_EQ(store->tally(tz, date(2026, 11, 24), date(2026, 11, 23)).status().code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(store->tally_by("unit; DROP TABLE responses", tz, date(2026, 11, 24),
                            date(2026, 11, 24))
                .status()
                .code(),
            ErrorCode::invalid_argument);
}

TEST_F(ResponseStoreTest, DossierUsedLooksOnlyInsideTheRange) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  ResponseDraft d = draft_at(utc(2026, 11, 24, 2));
  d.dossier = "000.00.12.H79-261124-0001";
  ASSERT_TRUE(store->append(d).is_ok());
  EXPECT_TRUE(*store->dossier_used(*d.dossier, utc(2026, 11, 24), utc(2026, 11, 25)));
  EXPECT_FALSE(*store->dossier_used(*d.dossier, utc(2026, 11, 25), utc(2026, 11, 26)));
  EXPECT_FALSE(*store->dossier_used("000.00.12.H79-261124-0002", utc(2026, 11, 24),
                                    utc(2026, 11, 25)));
}

TEST_F(ResponseStoreTest, ResponsesBetweenAreInSubmissionOrder) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 24, 5))).is_ok());
  ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 24, 3))).is_ok());
  ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 25, 3))).is_ok());
  auto between = store->responses_between(utc(2026, 11, 24), utc(2026, 11, 25));
  ASSERT_TRUE(between.is_ok());
  ASSERT_EQ(between->size(), 2u);
  EXPECT_EQ((*between)[0].seq, 2);
  EXPECT_EQ((*between)[1].seq, 1);
  EXPECT_EQ(store->responses_between(utc(2026, 11, 24), utc(2026, 11, 26), 1)->size(), 1u);
}

TEST_F(ResponseStoreTest, LastSubmittedAtIsTheLatestAppend) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->last_submitted_at()->has_value());
  ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 24, 2))).is_ok());
  EXPECT_EQ(store->last_submitted_at()->value(), utc(2026, 11, 24, 2));
}

TEST_F(ResponseStoreTest, SettingsSurviveReopen) {
  {
    auto store = open_or_die(db_path());
    ASSERT_TRUE(store);
    EXPECT_FALSE(store->setting("officer.c1")->has_value());
    ASSERT_TRUE(store->set_setting("officer.c1", "o1").is_ok());
    ASSERT_TRUE(store->set_setting("officer.c1", "Nguyễn Văn A").is_ok());
  }
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->setting("officer.c1")->value_or(""), "Nguyễn Văn A");
}

TEST_F(ResponseStoreTest, ProbeWritableSucceedsOnAHealthyStore) {
  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->probe_writable().is_ok());
  EXPECT_TRUE(store->probe_writable().is_ok());
}

TEST_F(ResponseStoreTest, SecondConnectionSeesCommits) {
  auto writer = open_or_die(db_path());
  auto reader = open_or_die(db_path());
  ASSERT_TRUE(writer && reader);
  EXPECT_EQ(*reader->pending_count(), 0);
  auto r = writer->append(draft_at(utc(2026, 11, 24, 2)));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(*reader->pending_count(), 1);
  auto found = reader->find(r->id);
  ASSERT_TRUE(found.is_ok() && found->has_value());
  EXPECT_EQ(**found, *r);
  ASSERT_TRUE(reader->mark_acknowledged(1).is_ok());
  EXPECT_EQ(*writer->pending_count(), 0);
}

TEST_F(ResponseStoreTest, ConcurrentAppendsFromTwoConnectionsKeepSeqGapFree) {
  constexpr int kPerThread = 40;
  ASSERT_TRUE(open_or_die(db_path()));
  std::atomic<int> failures{0};
  auto work = [&](int thread) {
    auto opened = ResponseStore::open(db_path());
    if (!opened.is_ok()) {
      ++failures;
      return;
    }
    for (int i = 0; i < kPerThread; ++i) {
      ResponseDraft d = draft_at(utc(2026, 11, 24, 2) + minutes(i));
      d.counter = "c" + std::to_string(thread);
      if (!(*opened)->append(d).is_ok()) ++failures;
    }
  };
  std::thread a(work, 1);
  std::thread b(work, 2);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);

  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  auto all = all_responses(*store);
  ASSERT_EQ(all.size(), static_cast<std::size_t>(2 * kPerThread));
  expect_intact_chain(all);
  EXPECT_EQ(*store->last_seq(), 2 * kPerThread);
}

TEST_F(ResponseStoreTest, DiskFullIsReportedAndTheStoreRecoversWhenSpaceIsFreed) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a size-limited tmpfs needs root";
  fs::path mnt = dir_.path() / "small";
  fs::create_directory(mnt);
  Mount mount;
  if (int err = mount.tmpfs(mnt, "size=1m"); err != 0) {
    GTEST_SKIP() << "cannot mount tmpfs: " << std::strerror(err);
  }
  std::string path = (mnt / "kiosk.db").string();
  auto store = open_or_die(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 24, 2))).is_ok());

  {
    std::ofstream filler(mnt / "filler", std::ios::binary);
    std::string block(4096, 'x');
    for (int i = 0; i < 1024 && filler.write(block.data(), block.size()); ++i) {
      filler.flush();
    }
  }

  ResponseDraft big = draft_at(utc(2026, 11, 24, 3));
  big.comment = std::string(3000, 'y');
  Status failure;
  std::int64_t last_ok = 1;
  for (int i = 0; i < 500; ++i) {
    auto r = store->append(big);
    if (!r.is_ok()) {
      failure = r.status();
      break;
    }
    last_ok = r->seq;
  }
  ASSERT_EQ(failure.code(), ErrorCode::disk_full) << failure.to_string();
  EXPECT_NE(failure.message().find(path), std::string::npos) << failure.message();

  fs::remove(mnt / "filler");
  Status probe = store->probe_writable();
  EXPECT_TRUE(probe.is_ok()) << probe.to_string();
  auto after = store->append(draft_at(utc(2026, 11, 24, 4)));
  ASSERT_TRUE(after.is_ok()) << after.status().to_string();
  EXPECT_EQ(after->seq, last_ok + 1);
  store.reset();

  auto reopened = open_or_die(path);
  ASSERT_TRUE(reopened);
  expect_intact_chain(all_responses(*reopened));
}

TEST_F(ResponseStoreTest, ReadOnlyLocationIsReportedAsReadOnly) {
  if (geteuid() != 0) GTEST_SKIP() << "a read-only bind mount needs root";
  fs::path rw = dir_.path() / "rw";
  fs::path ro = dir_.path() / "ro";
  fs::create_directory(rw);
  fs::create_directory(ro);
  {
    auto store = open_or_die((rw / "kiosk.db").string());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->append(draft_at(utc(2026, 11, 24, 2))).is_ok());
  }
  Mount mount;
  if (int err = mount.read_only_bind(rw, ro); err != 0) {
    GTEST_SKIP() << "cannot make a read-only bind mount: " << std::strerror(err);
  }
  std::string path = (ro / "kiosk.db").string();
  auto opened = ResponseStore::open(path);
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::read_only) << opened.status().to_string();
  EXPECT_NE(opened.status().message().find(path), std::string::npos);

  auto fresh = ResponseStore::open((ro / "new.db").string());
  ASSERT_FALSE(fresh.is_ok());
  EXPECT_EQ(fresh.status().code(), ErrorCode::read_only) << fresh.status().to_string();
}

TEST_F(ResponseStoreTest, GarbageFileIsReportedAsCorrupt) {
  {
    std::ofstream out(db_path(), std::ios::binary);
    for (int i = 0; i < 8192; ++i) out.put(static_cast<char>((i * 131 + 7) % 251));
  }
  auto opened = ResponseStore::open(db_path());
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::corrupt) << opened.status().to_string();
  EXPECT_NE(opened.status().message().find(db_path()), std::string::npos);
}

void fill_store(const std::string& path, int count) {
  auto store = open_or_die(path);
  ASSERT_TRUE(store);
  for (int i = 0; i < count; ++i) {
    ResponseDraft d = draft_at(utc(2026, 11, 24, 2) + minutes(i),
                               {{"access.signage", 4}, {"officer.polite", 5}});
    d.comment = std::string(200, 'z');
    ASSERT_TRUE(store->append(d).is_ok());
  }
}

TEST_F(ResponseStoreTest, TruncatedFileIsReportedAsCorrupt) {
  fill_store(db_path(), 150);
  ASSERT_FALSE(fs::exists(db_path() + "-wal"));
  auto size = fs::file_size(db_path());
  fs::resize_file(db_path(), size / 2);
  auto opened = ResponseStore::open(db_path());
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::corrupt) << opened.status().to_string();
}

TEST_F(ResponseStoreTest, DamagedPagesAreReportedAsCorrupt) {
  fill_store(db_path(), 150);
  ASSERT_FALSE(fs::exists(db_path() + "-wal"));
  {
    std::fstream f(db_path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 * 3);
    std::string junk(4096 * 4, '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto opened = ResponseStore::open(db_path());
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::corrupt) << opened.status().to_string();
}

// A writer killed at an arbitrary point must leave every committed response, a gap-free seq and an
// intact chain; the database must pass its integrity check (open() runs quick_check).
TEST_F(ResponseStoreTest, WriterKilledMidAppendLeavesAnIntactChain) {
  constexpr std::int64_t kKillAfter = 150;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    auto store = ResponseStore::open(db_path());
    if (!store.is_ok()) _exit(2);
    for (int i = 0; i < 10000; ++i) {
      auto r = (*store)->append(draft_at(utc(2026, 11, 24, 2) + milliseconds(i)));
      if (!r.is_ok()) _exit(3);
      std::int64_t seq = r->seq;
      if (write(fds[1], &seq, sizeof seq) != sizeof seq) _exit(4);
    }
    _exit(0);
  }
  close(fds[1]);
  std::int64_t confirmed = 0;
  std::int64_t seq = 0;
  while (confirmed < kKillAfter && read(fds[0], &seq, sizeof seq) == sizeof seq) confirmed = seq;
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  while (read(fds[0], &seq, sizeof seq) == sizeof seq) confirmed = seq;
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped on its own with status " << status;
  ASSERT_GE(confirmed, kKillAfter);

  auto store = open_or_die(db_path());
  ASSERT_TRUE(store);
  auto last = store->last_seq();
  ASSERT_TRUE(last.is_ok());
  EXPECT_GE(*last, confirmed);
  EXPECT_LE(*last, confirmed + 1);
  auto all = all_responses(*store);
  EXPECT_EQ(static_cast<std::int64_t>(all.size()), *last);
  expect_intact_chain(all);
  auto next = store->append(draft_at(utc(2026, 11, 25)));
  ASSERT_TRUE(next.is_ok());
  EXPECT_EQ(next->seq, *last + 1);
}

TEST_F(ResponseStoreTest, EmptyPathIsInvalid) {
  EXPECT_EQ(ResponseStore::open("").status().code(), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace sipas
