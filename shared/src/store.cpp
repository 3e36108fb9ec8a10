#include "sipas/store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <string_view>
#include <utility>

#include "sipas/crypto.hpp"
#include "sipas/sqlite.hpp"

namespace sipas {
namespace {

// Each entry brings user_version from its index to index + 1. Never edit a released entry; append.
const char* const kMigrations[] = {
    R"sql(
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
INSERT INTO chain_head (id, last_seq, last_hash, last_submitted_at)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', NULL);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL);
)sql",
    R"sql(
ALTER TABLE responses ADD COLUMN procedure TEXT;
)sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));
constexpr int kBusyTimeoutMs = 5000;

constexpr const char* kResponseColumns =
    "r.seq, r.id, r.prev_hash, r.hash, r.survey_id, r.survey_version, r.unit, r.counter, "
    "r.officer, r.dossier, r.language, r.started_at, r.submitted_at, r.status, r.comment, "
    "r.procedure";


}  // namespace

struct ResponseStore::Impl {
  std::unique_ptr<sql::Db> db;
  std::vector<std::int64_t> day_bounds;  // read by the sipas_day() SQL function

  Result<std::vector<Response>> load_responses(const std::string& where_and_order,
                                               std::string_view what,
                                               const std::function<void(sql::Stmt&)>& bind);
  Status load_details(Response& r);

  Status aggregate(const std::string& key_sql, const TimeZone& tz, Date from, Date to,
                   const TallyFilter& filter, const std::function<Tally&(const sql::Stmt&)>& slot);
};

namespace {

void sipas_day(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* bounds = static_cast<const std::vector<std::int64_t>*>(sqlite3_user_data(ctx));
  std::int64_t t = sqlite3_value_int64(argv[0]);
  auto it = std::upper_bound(bounds->begin(), bounds->end(), t);
  sqlite3_result_int64(ctx, static_cast<std::int64_t>(it - bounds->begin()) - 1);
}

Date next_day(Date d) { return Date(std::chrono::sys_days(d) + std::chrono::days(1)); }

}  // namespace

Result<std::vector<Response>> ResponseStore::Impl::load_responses(
    const std::string& where_and_order, std::string_view what,
    const std::function<void(sql::Stmt&)>& bind) {
  std::vector<Response> out;
  std::string sql = std::string("SELECT ") + kResponseColumns + " FROM responses r " +
                    where_and_order;
  Status s = db->each_row(sql, what, bind, [&](const sql::Stmt& q) {
    Response r;
    r.seq = q.int64(0);
    r.id = q.text(1);
    r.prev_hash = q.text(2);
    r.hash = q.text(3);
    r.survey_id = q.text(4);
    r.survey_version = static_cast<int>(q.int64(5));
    r.unit = q.text(6);
    r.counter = q.text(7);
    r.officer = q.opt_text(8);
    r.dossier = q.opt_text(9);
    r.language = q.text(10);
    r.started_at = from_unix_ms(q.int64(11));
    r.submitted_at = from_unix_ms(q.int64(12));
    r.status = parse_response_status(q.text(13)).value_or(ResponseStatus::complete);
    r.comment = q.opt_text(14);
    r.procedure = q.opt_text(15);
    out.push_back(std::move(r));
  });
  if (!s.is_ok()) return s;
  for (Response& r : out) {
    if (Status d = load_details(r); !d.is_ok()) return d;
  }
  return out;
}

Status ResponseStore::Impl::load_details(Response& r) {
  Status s = db->each_row(
      "SELECT criterion, value FROM answers WHERE response_seq = ? ORDER BY position",
      "read answers",
      [&](sql::Stmt& q) { q.bind(1, r.seq); },
      [&](const sql::Stmt& q) {
        Answer a;
        a.criterion = q.text(0);
        if (!q.is_null(1)) a.value = static_cast<int>(q.int64(1));
        r.answers.push_back(std::move(a));
      });
  if (!s.is_ok()) return s;
  return db->each_row("SELECT reason FROM reasons WHERE response_seq = ? ORDER BY position",
                  "read reasons", [&](sql::Stmt& q) { q.bind(1, r.seq); },
                  [&](const sql::Stmt& q) { r.reasons.push_back(q.text(0)); });
}

Status ResponseStore::Impl::aggregate(const std::string& key_sql, const TimeZone& tz, Date from,
                                      Date to, const TallyFilter& filter,
                                      const std::function<Tally&(const sql::Stmt&)>& slot) {
  if (!from.ok() || !to.ok() || to < from) {
    return Status::error(ErrorCode::invalid_argument,
                         db->path() + ": tally: the range must be valid dates with from <= to");
  }
  day_bounds.clear();
  for (Date d = from;; d = next_day(d)) {
    day_bounds.push_back(unix_ms(tz.start_of_day(d)));
    if (d == to) break;
  }
  day_bounds.push_back(unix_ms(tz.start_of_day(next_day(to))));

  // Rejected responses are quarantined by the server and left out of its scores; leave them out
  // here too so that the kiosk and the server agree.
  std::string where =
      "r.submitted_at >= ?1 AND r.submitted_at < ?2 AND r.state <> 'rejected'";
  if (filter.survey_id) where += " AND r.survey_id = ?3";
  if (filter.counter) where += " AND r.counter = ?4";
  if (filter.officer) where += " AND COALESCE(r.officer, '') = ?5";
  auto bind = [&](sql::Stmt& q) {
    q.bind(1, day_bounds.front());
    q.bind(2, day_bounds.back());
    if (filter.survey_id) q.bind(3, *filter.survey_id);
    if (filter.counter) q.bind(4, *filter.counter);
    if (filter.officer) q.bind(5, *filter.officer);
  };

  // A constant key (one tally for the whole range) stays out of GROUP BY: a narrower sort.
  const std::string by = key_sql == "0" ? "" : "1, ";

  sql::Transaction tx(*db, sql::Transaction::Kind::read);
  if (!tx.begin_status().is_ok()) return tx.begin_status();

  Status s = db->each_row("SELECT " + key_sql + ", r.status, COUNT(*) FROM responses r WHERE " +
                          where + " GROUP BY " + by + "2",
                      "tally responses", bind, [&](const sql::Stmt& q) {
                        Tally& t = slot(q);
                        if (q.text(1) == "partial") {
                          t.partial += q.int64(2);
                        } else {
                          t.complete += q.int64(2);
                        }
                      });
  if (!s.is_ok()) return s;
  s = db->each_row("SELECT " + key_sql +
                   ", a.criterion, a.value, COUNT(*) FROM responses r JOIN answers a ON "
                   "a.response_seq = r.seq WHERE " +
                   where + " AND a.value IS NOT NULL GROUP BY " + by + "2, 3",
               "tally answers", bind, [&](const sql::Stmt& q) {
                 slot(q).answers[q.text(1)][static_cast<int>(q.int64(2))] += q.int64(3);
               });
  if (!s.is_ok()) return s;
  s = db->each_row("SELECT " + key_sql +
                   ", x.reason, COUNT(*) FROM responses r JOIN reasons x ON x.response_seq = "
                   "r.seq WHERE " +
                   where + " GROUP BY " + by + "2",
               "tally reasons", bind,
               [&](const sql::Stmt& q) { slot(q).reasons[q.text(1)] += q.int64(2); });
  if (!s.is_ok()) return s;
  s = db->each_row("SELECT k, total, COUNT(*) FROM (SELECT " + key_sql +
                   " AS k, SUM(a.value) AS total FROM responses r JOIN answers a ON "
                   "a.response_seq = r.seq WHERE " +
                   where + " AND a.value IS NOT NULL GROUP BY r.seq) GROUP BY " + by + "2",
               "tally totals", bind, [&](const sql::Stmt& q) {
                 slot(q).totals[static_cast<int>(q.int64(1))] += q.int64(2);
               });
  if (!s.is_ok()) return s;
  return tx.commit();
}

ResponseStore::ResponseStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResponseStore::~ResponseStore() = default;

Result<std::unique_ptr<ResponseStore>> ResponseStore::open(const std::string& path) {
  if (path.empty()) {
    return Status::error(ErrorCode::invalid_argument, "database path is empty");
  }
  sql::OpenOptions options;
  options.busy_timeout_ms = kBusyTimeoutMs;
  options.require_writable = true;
  options.pragmas = {"PRAGMA foreign_keys = ON"};
  auto db = sql::Db::open(path, options);
  if (!db.is_ok()) return db.status();
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(db).value();
  const int rc = sqlite3_create_function_v2(impl->db->get(), "sipas_day", 1,
                                            SQLITE_UTF8 | SQLITE_DIRECTONLY, &impl->day_bounds,
                                            sipas_day, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return impl->db->error(rc, "open");

  std::string check;
  Status s = impl->db->each_row(
      "PRAGMA quick_check(1)", "integrity check", [](sql::Stmt&) {},
      [&](const sql::Stmt& q) { check = q.text(0); });
  if (!s.is_ok()) return s;
  if (check != "ok") {
    return Status::error(ErrorCode::corrupt, path + ": integrity check failed: " + check);
  }

  std::string mode;
  s = impl->db->each_row(
      "PRAGMA journal_mode = WAL", "open", [](sql::Stmt&) {},
      [&](const sql::Stmt& q) { mode = q.text(0); });
  if (!s.is_ok()) return s;
  if (mode != "wal" && mode != "memory") {
    return Status::error(ErrorCode::io_error,
                         path + ": open: cannot use write-ahead logging (journal mode " + mode +
                             ")");
  }
  if (s = impl->db->exec("PRAGMA synchronous = FULL", "open"); !s.is_ok()) return s;

  for (;;) {
    sql::Transaction tx(*impl->db, sql::Transaction::Kind::write);
    if (!tx.begin_status().is_ok()) return tx.begin_status();
    int version = 0;
    s = impl->db->each_row(
        "PRAGMA user_version", "read schema version", [](sql::Stmt&) {},
        [&](const sql::Stmt& q) { version = static_cast<int>(q.int64(0)); });
    if (!s.is_ok()) return s;
    if (version == kSchemaVersion) break;
    if (version < 0 || version > kSchemaVersion) {
      return Status::error(ErrorCode::internal,
                           path + ": schema version " + std::to_string(version) +
                               " is not one this program knows (up to " +
                               std::to_string(kSchemaVersion) + ")");
    }
    if (s = impl->db->exec(kMigrations[version], "migrate"); !s.is_ok()) return s;
    std::string set_version = "PRAGMA user_version = " + std::to_string(version + 1);
    if (s = impl->db->exec(set_version.c_str(), "migrate"); !s.is_ok()) return s;
    if (s = tx.commit(); !s.is_ok()) return s;
  }
  return std::unique_ptr<ResponseStore>(new ResponseStore(std::move(impl)));
}

Result<Response> ResponseStore::append(const ResponseDraft& draft) {
  Impl& d = *impl_;
  sql::Transaction tx(*d.db, sql::Transaction::Kind::write);
  if (!tx.begin_status().is_ok()) return tx.begin_status();

  Response r;
  static_cast<ResponseDraft&>(r) = draft;
  bool have_head = false;
  Status s = d.db->each_row(
      "SELECT last_seq, last_hash FROM chain_head WHERE id = 1", "append", [](sql::Stmt&) {},
      [&](const sql::Stmt& q) {
        have_head = true;
        r.seq = q.int64(0) + 1;
        r.prev_hash = q.text(1);
      });
  if (!s.is_ok()) return s;
  if (!have_head) {
    return Status::error(ErrorCode::corrupt, d.db->path() + ": append: the chain head row is missing");
  }
  r.id = random_uuid();
  try {
    r.hash = compute_hash(r);
  } catch (const std::exception& e) {
    return Status::error(ErrorCode::invalid_argument,
                         d.db->path() + ": append: the response cannot be encoded: " + e.what());
  }

  s = d.db->run(
      "INSERT INTO responses (seq, id, prev_hash, hash, survey_id, survey_version, unit, counter, "
      "officer, dossier, language, started_at, submitted_at, status, comment, procedure) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "append", [&](sql::Stmt& q) {
        q.bind(1, r.seq);
        q.bind(2, r.id);
        q.bind(3, r.prev_hash);
        q.bind(4, r.hash);
        q.bind(5, r.survey_id);
        q.bind(6, static_cast<std::int64_t>(r.survey_version));
        q.bind(7, r.unit);
        q.bind(8, r.counter);
        q.bind(9, r.officer);
        q.bind(10, r.dossier);
        q.bind(11, r.language);
        q.bind(12, unix_ms(r.started_at));
        q.bind(13, unix_ms(r.submitted_at));
        q.bind(14, std::string(to_string(r.status)));
        q.bind(15, r.comment);
        q.bind(16, r.procedure);
      });
  if (!s.is_ok()) return s;
  for (std::size_t i = 0; i < r.answers.size(); ++i) {
    s = d.db->run(
        "INSERT INTO answers (response_seq, position, criterion, value) VALUES (?, ?, ?, ?)",
        "append answer", [&](sql::Stmt& q) {
          q.bind(1, r.seq);
          q.bind(2, static_cast<std::int64_t>(i));
          q.bind(3, r.answers[i].criterion);
          q.bind(4, r.answers[i].value);
        });
    if (!s.is_ok()) return s;
  }
  for (std::size_t i = 0; i < r.reasons.size(); ++i) {
    s = d.db->run("INSERT INTO reasons (response_seq, position, reason) VALUES (?, ?, ?)",
              "append reason", [&](sql::Stmt& q) {
                q.bind(1, r.seq);
                q.bind(2, static_cast<std::int64_t>(i));
                q.bind(3, r.reasons[i]);
              });
    if (!s.is_ok()) return s;
  }
  s = d.db->run(
      "UPDATE chain_head SET last_seq = ?, last_hash = ?, last_submitted_at = ? WHERE id = 1",
      "append", [&](sql::Stmt& q) {
        q.bind(1, r.seq);
        q.bind(2, r.hash);
        q.bind(3, unix_ms(r.submitted_at));
      });
  if (!s.is_ok()) return s;
  if (s = tx.commit(); !s.is_ok()) return s;
  return r;
}

Result<std::vector<Response>> ResponseStore::pending(std::size_t limit) {
  sql::Transaction tx(*impl_->db, sql::Transaction::Kind::read);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto out = impl_->load_responses("WHERE r.state = 'pending' ORDER BY r.seq LIMIT ?",
                                   "read pending", [&](sql::Stmt& q) {
                                     q.bind(1, static_cast<std::int64_t>(
                                                   std::min<std::size_t>(limit, INT64_MAX)));
                                   });
  if (!out.is_ok()) return out;
  if (Status s = tx.commit(); !s.is_ok()) return s;
  return out;
}

Result<std::int64_t> ResponseStore::pending_count() {
  std::int64_t n = 0;
  Status s = impl_->db->each_row(
      "SELECT COUNT(*) FROM responses WHERE state = 'pending'", "count pending", [](sql::Stmt&) {},
      [&](const sql::Stmt& q) { n = q.int64(0); });
  if (!s.is_ok()) return s;
  return n;
}

Result<std::optional<TimePoint>> ResponseStore::oldest_pending_submitted_at(std::int64_t after_seq) {
  // By seq, through the pending index: one row read however long the backlog.
  std::optional<TimePoint> at;
  Status s = impl_->db->each_row(
      "SELECT submitted_at FROM responses WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT 1",
      "read oldest pending", [&](sql::Stmt& q) { q.bind(1, after_seq); },
      [&](const sql::Stmt& q) { at = from_unix_ms(q.int64(0)); });
  if (!s.is_ok()) return s;
  return at;
}

Status ResponseStore::apply_reply(const BatchReply& reply) {
  Impl& d = *impl_;
  sql::Transaction tx(*d.db, sql::Transaction::Kind::write);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  for (const RejectedItem& item : reply.rejected) {
    Status s = d.db->run(
        "UPDATE responses SET state = 'rejected', reject_reason = ? WHERE id = ? AND state = "
        "'pending'",
        "mark rejected", [&](sql::Stmt& q) {
          q.bind(1, item.error);
          q.bind(2, item.id);
        });
    if (!s.is_ok()) return s;
  }
  Status s = d.db->run("UPDATE responses SET state = 'sent' WHERE state = 'pending' AND seq <= ?",
                   "mark acknowledged", [&](sql::Stmt& q) { q.bind(1, reply.acked_seq); });
  if (!s.is_ok()) return s;
  return tx.commit();
}

Status ResponseStore::mark_acknowledged(std::int64_t up_to_seq) {
  BatchReply reply;
  reply.acked_seq = up_to_seq;
  return apply_reply(reply);
}

Status ResponseStore::mark_rejected(const std::string& id, const std::string& reason) {
  Impl& d = *impl_;
  Status s = d.db->run(
      "UPDATE responses SET state = 'rejected', reject_reason = ? WHERE id = ? AND state <> 'sent'",
      "mark rejected", [&](sql::Stmt& q) {
        q.bind(1, reason);
        q.bind(2, id);
      });
  if (!s.is_ok()) return s;
  if (d.db->changes() == 0) {
    return Status::error(ErrorCode::not_found,
                         d.db->path() + ": mark rejected: no unsent response with id " + id);
  }
  return Status::ok();
}

Result<std::vector<RejectedResponse>> ResponseStore::rejected(std::size_t limit) {
  std::vector<RejectedResponse> out;
  Status s = impl_->db->each_row(
      "SELECT id, seq, submitted_at, COALESCE(reject_reason, '') FROM responses "
      "WHERE state = 'rejected' ORDER BY seq LIMIT ?",
      "read rejected",
      [&](sql::Stmt& q) {
        q.bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
      },
      [&](const sql::Stmt& q) {
        out.push_back(RejectedResponse{q.text(0), q.int64(1), from_unix_ms(q.int64(2)), q.text(3)});
      });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::optional<Response>> ResponseStore::find(const std::string& id) {
  sql::Transaction tx(*impl_->db, sql::Transaction::Kind::read);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto found = impl_->load_responses("WHERE r.id = ?", "find", [&](sql::Stmt& q) { q.bind(1, id); });
  if (!found.is_ok()) return found.status();
  if (Status s = tx.commit(); !s.is_ok()) return s;
  if (found->empty()) return std::optional<Response>();
  return std::optional<Response>(std::move(found->front()));
}

Result<std::int64_t> ResponseStore::last_seq() {
  std::int64_t seq = 0;
  Status s = impl_->db->each_row(
      "SELECT last_seq FROM chain_head WHERE id = 1", "read last seq", [](sql::Stmt&) {},
      [&](const sql::Stmt& q) { seq = q.int64(0); });
  if (!s.is_ok()) return s;
  return seq;
}

Result<std::optional<TimePoint>> ResponseStore::last_submitted_at() {
  std::optional<TimePoint> at;
  Status s = impl_->db->each_row(
      "SELECT last_submitted_at FROM chain_head WHERE id = 1", "read last submission",
      [](sql::Stmt&) {},
      [&](const sql::Stmt& q) {
        if (!q.is_null(0)) at = from_unix_ms(q.int64(0));
      });
  if (!s.is_ok()) return s;
  return at;
}

Result<std::vector<Response>> ResponseStore::responses_between(TimePoint from, TimePoint to,
                                                               std::size_t limit) {
  sql::Transaction tx(*impl_->db, sql::Transaction::Kind::read);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto out = impl_->load_responses(
      "WHERE r.submitted_at >= ? AND r.submitted_at < ? ORDER BY r.submitted_at, r.seq LIMIT ?",
      "read responses", [&](sql::Stmt& q) {
        q.bind(1, unix_ms(from));
        q.bind(2, unix_ms(to));
        q.bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
      });
  if (!out.is_ok()) return out;
  if (Status s = tx.commit(); !s.is_ok()) return s;
  return out;
}

Result<bool> ResponseStore::dossier_used(const std::string& dossier, TimePoint from,
                                         TimePoint to) {
  bool used = false;
  Status s = impl_->db->each_row(
      "SELECT EXISTS (SELECT 1 FROM responses WHERE dossier = ? AND submitted_at >= ? AND "
      "submitted_at < ?)",
      "check dossier",
      [&](sql::Stmt& q) {
        q.bind(1, dossier);
        q.bind(2, unix_ms(from));
        q.bind(3, unix_ms(to));
      },
      [&](const sql::Stmt& q) { used = q.int64(0) != 0; });
  if (!s.is_ok()) return s;
  return used;
}

Result<Tally> ResponseStore::tally(const TimeZone& tz, Date from, Date to,
                                   const TallyFilter& filter) {
  Tally out;
  Status s =
      impl_->aggregate("0", tz, from, to, filter, [&](const sql::Stmt&) -> Tally& { return out; });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::vector<DayTally>> ResponseStore::daily_tallies(const TimeZone& tz, Date from, Date to,
                                                           const TallyFilter& filter) {
  std::vector<DayTally> out;
  if (from.ok() && to.ok() && from <= to) {
    for (Date d = from;; d = next_day(d)) {
      out.push_back(DayTally{d, Tally{}});
      if (d == to) break;
    }
  }
  Status s = impl_->aggregate("sipas_day(r.submitted_at)", tz, from, to, filter,
                              [&](const sql::Stmt& q) -> Tally& {
                                auto i = static_cast<std::size_t>(q.int64(0));
                                return out[std::min(i, out.size() - 1)].tally;
                              });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::map<std::string, Tally>> ResponseStore::tally_by(const std::string& column,
                                                             const TimeZone& tz, Date from,
                                                             Date to, const TallyFilter& filter) {
  std::string key;
  if (column == "counter") {
    key = "r.counter";
  } else if (column == "officer") {
    key = "COALESCE(r.officer, '')";
  } else {
    return Status::error(ErrorCode::invalid_argument,
                         impl_->db->path() + ": tally_by: unknown column \"" + column +
                             "\" (counter or officer)");
  }
  std::map<std::string, Tally> out;
  Status s = impl_->aggregate(key, tz, from, to, filter,
                              [&](const sql::Stmt& q) -> Tally& { return out[q.text(0)]; });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::int64_t> ResponseStore::prune(TimePoint now, int retention_days) {
  if (retention_days < 0) {
    return Status::error(ErrorCode::invalid_argument,
                         impl_->db->path() + ": prune: retention days must not be negative");
  }
  Impl& d = *impl_;
  TimePoint cutoff = now - std::chrono::days(retention_days);
  sql::Transaction tx(*d.db, sql::Transaction::Kind::write);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  Status s = d.db->run("DELETE FROM responses WHERE state = 'sent' AND submitted_at < ?", "prune",
                   [&](sql::Stmt& q) { q.bind(1, unix_ms(cutoff)); });
  if (!s.is_ok()) return s;
  std::int64_t deleted = d.db->changes();
  if (s = tx.commit(); !s.is_ok()) return s;
  return deleted;
}

Result<std::optional<std::string>> ResponseStore::setting(const std::string& key) {
  std::optional<std::string> value;
  Status s = impl_->db->each_row(
      "SELECT value FROM settings WHERE key = ?", "read setting",
      [&](sql::Stmt& q) { q.bind(1, key); }, [&](const sql::Stmt& q) { value = q.text(0); });
  if (!s.is_ok()) return s;
  return value;
}

Status ResponseStore::set_setting(const std::string& key, const std::string& value) {
  return impl_->db->run(
      "INSERT INTO settings (key, value) VALUES (?, ?) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      "write setting", [&](sql::Stmt& q) {
        q.bind(1, key);
        q.bind(2, value);
      });
}

Status ResponseStore::probe_writable() {
  return impl_->db->run(
      "INSERT INTO write_probe (id, count) VALUES (1, 1) "
      "ON CONFLICT (id) DO UPDATE SET count = count + 1",
      "write probe", [](sql::Stmt&) {});
}

}  // namespace sipas
