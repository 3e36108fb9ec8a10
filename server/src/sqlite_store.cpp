#include "sqlite_store.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "ingest_plan.hpp"
#include "store_shared.hpp"
#include "sipas/crypto.hpp"
#include "sipas/server/sessions.hpp"
#include "sipas/sqlite.hpp"

namespace sipas {
namespace {

using sql::Stmt;

// The rollup tables, and the step that puts the procedure into rollup_detail's key (drops and
// recreates the table; recompute_rollups() fills it again).
const char* const kRollupSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS rollup_detail(
  survey TEXT NOT NULL, unit TEXT NOT NULL, day TEXT NOT NULL, counter TEXT NOT NULL,
  officer TEXT NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY(survey, unit, day, counter, officer, kind, key, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_day(
  survey TEXT NOT NULL, unit TEXT NOT NULL, day TEXT NOT NULL, kind INTEGER NOT NULL,
  key TEXT NOT NULL, value INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(survey, unit, day, kind, key, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_month(
  survey TEXT NOT NULL, unit TEXT NOT NULL, month TEXT NOT NULL, kind INTEGER NOT NULL,
  key TEXT NOT NULL, value INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(survey, unit, month, kind, key, value)) WITHOUT ROWID;
)sql";

const char* const kRollupProcedureSchemaSql = R"sql(
DROP TABLE rollup_detail;
CREATE TABLE rollup_detail(
  survey TEXT NOT NULL, unit TEXT NOT NULL, day TEXT NOT NULL, counter TEXT NOT NULL,
  officer TEXT NOT NULL, procedure TEXT NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL,
  value INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(survey, unit, day, counter, officer, procedure, kind, key, value)) WITHOUT ROWID;
)sql";

const char* const kSessionSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS sessions(
  token_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  csrf TEXT NOT NULL,
  expires_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS login_links(
  token_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  expires_ms INTEGER NOT NULL);
)sql";

// The unit zones and questionnaire scales read while adding responses, kept for one pass.
class Lookups final : public RollupLookups {
 public:
  explicit Lookups(sql::Db& db) : db(db) {}

  Result<std::string> zone_of(const std::string& unit) override {
    if (auto it = unit_zone.find(unit); it != unit_zone.end()) return it->second;
    std::string name = "Asia/Ho_Chi_Minh";
    auto found = db.first_row(
        "SELECT time_zone FROM units WHERE code = ?", "read unit time zone",
        [&](sql::Stmt& q) { q.bind(1, unit); }, [&](const sql::Stmt& q) { name = q.text(0); });
    if (!found.is_ok()) return found.status();
    unit_zone[unit] = name;
    return name;
  }

  Result<std::vector<std::string>> ancestors_of(const std::string& unit) override {
    std::vector<std::string> out;
    std::string cur = unit;
    // Bounded: the unit tree has no cycles (import refuses them) and is a few levels deep.
    for (int guard = 0; guard < 64; ++guard) {
      std::optional<std::string> parent;
      if (auto it = parent_of.find(cur); it != parent_of.end()) {
        parent = it->second;
      } else {
        auto found = db.first_row(
            "SELECT parent FROM units WHERE code = ?", "read unit parent",
            [&](sql::Stmt& q) { q.bind(1, cur); }, [&](const sql::Stmt& q) { parent = q.opt_text(0); });
        if (!found.is_ok()) return found.status();
        parent_of[cur] = parent;
      }
      if (!parent) break;
      out.push_back(*parent);
      cur = *parent;
    }
    return out;
  }

  Result<bool> is_points(const std::string& survey) override {
    if (auto it = points.find(survey); it != points.end()) return it->second;
    bool is = false;
    auto found = db.first_row(
        "SELECT body FROM surveys WHERE id = ? ORDER BY version DESC LIMIT 1", "read survey scale",
        [&](sql::Stmt& q) { q.bind(1, survey); },
        [&](const sql::Stmt& q) { is = is_points_survey(q.text(0)); });
    if (!found.is_ok()) return found.status();
    points[survey] = is;
    return is;
  }

 private:
  sql::Db& db;
  std::map<std::string, std::string> unit_zone;
  std::map<std::string, bool> points;
  std::map<std::string, std::optional<std::string>> parent_of;
};


// Adds a detail-level slice (day, counter, officer and procedure filled) to the rollup tables:
// detail, day and month, and the day and month sums below each unit above.
Status flush(sql::Db& db, RollupLookups& lookups, const Slice& detail) {
  const RollupLevels levels = rollup_levels(detail);
  auto below = below_levels(lookups, levels);
  if (!below.is_ok()) return below.status();
  static const char* const kDetail =
      "INSERT INTO rollup_detail(survey, unit, day, counter, officer, procedure, kind, key, value, "
      "n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n";
  // Plain references rather than a structured binding: the lambda below captures k, which
  // clang 14 (the fuzz build) does not allow for bindings.
  for (const auto& entry : detail) {
    const auto& k = entry.first;
    const auto& t = entry.second;
    Status s;
    for_each_rollup_row(t, [&](int kind, const std::string& key, int value, std::int64_t n) {
      if (!s.is_ok()) return;
      s = db.run(kDetail, "add to rollup_detail", [&](sql::Stmt& st) {
        st.bind(1, k.survey);
        st.bind(2, k.unit);
        st.bind(3, k.day);
        st.bind(4, k.counter);
        st.bind(5, k.officer);
        st.bind(6, k.procedure);
        st.bind(7, kind);
        st.bind(8, key);
        st.bind(9, value);
        st.bind(10, n);
      });
    });
    if (!s.is_ok()) return s;
  }
  auto write_level = [&](const char* sql_text, const auto& level, const char* what) -> Status {
    Status s;
    for (const auto& entry : level) {
      const auto& k = entry.first;
      const auto& t = entry.second;
      for_each_rollup_row(t, [&](int kind, const std::string& key, int value, std::int64_t n) {
        if (!s.is_ok()) return;
        s = db.run(sql_text, what, [&](sql::Stmt& st) {
          st.bind(1, std::get<0>(k));
          st.bind(2, std::get<1>(k));
          st.bind(3, std::get<2>(k));
          st.bind(4, kind);
          st.bind(5, key);
          st.bind(6, value);
          st.bind(7, n);
        });
      });
      if (!s.is_ok()) return s;
    }
    return s;
  };
  static const char* const kDay =
      "INSERT INTO rollup_day(survey, unit, day, kind, key, value, n) VALUES (?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT DO UPDATE SET n = n + excluded.n";
  static const char* const kMonth =
      "INSERT INTO rollup_month(survey, unit, month, kind, key, value, n) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n";
  static const char* const kBelowDay =
      "INSERT INTO rollup_below_day(survey, unit, day, kind, key, value, n) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n";
  static const char* const kBelowMonth =
      "INSERT INTO rollup_below_month(survey, unit, month, kind, key, value, n) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n";
  Status s = write_level(kDay, levels.day, "add to rollup_day");
  if (!s.is_ok()) return s;
  s = write_level(kMonth, levels.month, "add to rollup_month");
  if (!s.is_ok()) return s;
  s = write_level(kBelowDay, below->day, "add to rollup_below_day");
  if (!s.is_ok()) return s;
  return write_level(kBelowMonth, below->month, "add to rollup_below_month");
}

// The below rollups again from the day and month rollups and the unit tree as it is now (after a
// unit moved to another parent, and to fill them the first time).
const char* const kRefillBelowSql = R"sql(
DELETE FROM rollup_below_day;
DELETE FROM rollup_below_month;
WITH RECURSIVE up(unit, above) AS (
  SELECT code, parent FROM units WHERE parent IS NOT NULL
  UNION ALL SELECT up.unit, u.parent FROM up JOIN units u ON u.code = up.above
  WHERE u.parent IS NOT NULL)
INSERT INTO rollup_below_day(survey, unit, day, kind, key, value, n)
SELECT d.survey, up.above, d.day, d.kind, d.key, d.value, sum(d.n)
FROM rollup_day d JOIN up ON up.unit = d.unit GROUP BY 1, 2, 3, 4, 5, 6;
WITH RECURSIVE up(unit, above) AS (
  SELECT code, parent FROM units WHERE parent IS NOT NULL
  UNION ALL SELECT up.unit, u.parent FROM up JOIN units u ON u.code = up.above
  WHERE u.parent IS NOT NULL)
INSERT INTO rollup_below_month(survey, unit, month, kind, key, value, n)
SELECT m.survey, up.above, m.month, m.kind, m.key, m.value, sum(m.n)
FROM rollup_month m JOIN up ON up.unit = m.unit GROUP BY 1, 2, 3, 4, 5, 6;
)sql";


// Reads responses (with their answers and reasons) matching `where` and feeds them to `sink`
// one at a time. `where` filters the responses table aliased r; `bind` binds its parameters.
template <class Bind, class Sink>
Status stream_responses(sql::Db& db, const std::string& where, Bind&& bind, Sink&& sink) {
  std::string q =
      "SELECT r.rid, r.survey_id, r.unit, r.counter, coalesce(r.officer, ''), r.submitted_ms, "
      "r.status, a.criterion, a.value, coalesce(r.procedure, '') FROM responses r "
      "LEFT JOIN answers a ON a.response_rid = r.rid "
      "WHERE " + where + " ORDER BY r.rid";
  auto st = db.prepare(q);
  if (!st.is_ok()) return st.status();
  bind(*st);
  std::string rq =
      "SELECT r.rid, x.reason FROM responses r JOIN reasons x ON x.response_rid = r.rid WHERE " +
      where + " ORDER BY r.rid";
  auto rs = db.prepare(rq);
  if (!rs.is_ok()) return rs.status();
  bind(*rs);
  // The reasons come from a second cursor stepped in lockstep with the first (both ordered by
  // row number), so that a province's responses are never all held in memory.
  int rrc = rs->step();

  ResponseFacts cur;
  std::int64_t cur_id = 0;
  bool have = false;
  auto finish = [&]() -> Status {
    if (!have) return Status::ok();
    while (rrc == SQLITE_ROW && rs->int64(0) < cur_id) rrc = rs->step();
    while (rrc == SQLITE_ROW && rs->int64(0) == cur_id) {
      cur.reasons.push_back(rs->text(1));
      rrc = rs->step();
    }
    if (rrc != SQLITE_ROW && rrc != SQLITE_DONE) return db.error(rrc, "read reasons");
    return sink(cur);
  };
  Status s = db.rows(*st, "read responses", [&](const sql::Stmt& row) -> Status {
    const std::int64_t id = row.int64(0);
    if (!have || id != cur_id) {
      Status done = finish();
      if (!done.is_ok()) return done;
      cur = ResponseFacts{};
      cur_id = id;
      have = true;
      cur.survey = row.text(1);
      cur.unit = row.text(2);
      cur.counter = row.text(3);
      cur.officer = row.text(4);
      cur.submitted_at = from_unix_ms(row.int64(5));
      cur.complete = row.text(6) == "complete";
      cur.procedure = row.text(9);
    }
    if (!row.is_null(7)) {
      std::optional<int> v;
      if (!row.is_null(8)) v = static_cast<int>(row.int64(8));
      cur.answers.emplace_back(row.text(7), v);
    }
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return finish();
}


std::string placeholders(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
  return s;
}


// Adds accepted responses to the rollups; runs inside the transaction that stores them.
Status add_to_rollups(sql::Db& db, const std::vector<const Response*>& accepted) {
  if (accepted.empty()) return Status::ok();
  Lookups lk(db);
  Slice slice;
  const Needs all{true, true, true, true};
  for (const Response* r : accepted) {
    Status s = accumulate(lk, slice, facts_of(*r), all);
    if (!s.is_ok()) return s;
  }
  return flush(db, lk, slice);
}

// Empties the rollups and recomputes them from the raw rows inside the caller's transaction (a
// rebuild, or a schema migration).
Status recompute_rollups(sql::Db& db) {
  Status s = db.exec(
      "DELETE FROM rollup_detail; DELETE FROM rollup_day; DELETE FROM rollup_month; "
      "DELETE FROM rollup_below_day; DELETE FROM rollup_below_month;");
  if (!s.is_ok()) return s;
  Lookups lk(db);
  Slice slice;
  std::size_t pending = 0;
  const Needs all{true, true, true, true};
  s = stream_responses(
      db, "1", [](sql::Stmt&) {},
      [&](const ResponseFacts& f) -> Status {
        Status a = accumulate(lk, slice, f, all);
        if (!a.is_ok()) return a;
        if (++pending >= 50000) {
          a = flush(db, lk, slice);
          slice.clear();
          pending = 0;
        }
        return a;
      });
  if (!s.is_ok()) return s;
  return flush(db, lk, slice);
}

// Each entry moves the schema from user_version i to i + 1, in one transaction with the others.
// Append, never edit. A step that changes what the rollups hold asks for them to be recomputed:
// that runs once, after the last step, with today's queries (which know only the latest schema).
struct Migration {
  const char* sql;
  bool recompute_rollups = false;
  bool refill_below = false;  // the below rollups from the day and month ones, after the last step
};

// The procedure a citizen came for. Responses accepted before the column existed keep the code
// in their raw JSON, so it is copied from there when it is a valid one; the catalogue maps codes
// to names and may be loaded before or after responses name them.
const char* const kProcedureSchemaSql = R"sql(
ALTER TABLE responses ADD COLUMN procedure TEXT;
UPDATE responses SET procedure = json_extract(raw, '$.procedure')
  WHERE json_valid(raw) AND json_type(raw, '$.procedure') = 'text'
    AND length(json_extract(raw, '$.procedure')) BETWEEN 1 AND 64
    AND json_extract(raw, '$.procedure') NOT GLOB '*[^A-Za-z0-9._-]*';
CREATE TABLE procedures(
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  updated_at TEXT NOT NULL);
)sql";

const Migration kMigrations[] = {
    {R"sql(
CREATE TABLE units(
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  parent TEXT REFERENCES units(code),
  time_zone TEXT NOT NULL DEFAULT 'Asia/Ho_Chi_Minh');
CREATE INDEX units_parent ON units(parent);
CREATE TABLE kiosks(
  kiosk_id TEXT PRIMARY KEY,
  unit TEXT NOT NULL REFERENCES units(code),
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  last_contact TEXT,
  last_seq INTEGER NOT NULL DEFAULT 0,
  acked_seq INTEGER NOT NULL DEFAULT 0,
  last_skew_ms INTEGER);
CREATE TABLE users(
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  unit TEXT REFERENCES units(code),
  created_at TEXT NOT NULL);
CREATE TABLE surveys(
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  PRIMARY KEY(id, version));
CREATE TABLE responses(
  id TEXT PRIMARY KEY,
  kiosk_id TEXT NOT NULL REFERENCES kiosks(kiosk_id),
  seq INTEGER NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  answers_key TEXT NOT NULL,
  survey_id TEXT NOT NULL,
  survey_version INTEGER NOT NULL,
  unit TEXT NOT NULL,
  counter TEXT NOT NULL,
  officer TEXT,
  dossier TEXT,
  language TEXT NOT NULL,
  started_at TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  submitted_ms INTEGER NOT NULL,
  status TEXT NOT NULL,
  comment TEXT,
  batch_id TEXT NOT NULL,
  received_at TEXT NOT NULL,
  raw TEXT NOT NULL);
CREATE INDEX responses_kiosk_seq ON responses(kiosk_id, seq);
CREATE INDEX responses_burst ON responses(kiosk_id, answers_key, submitted_ms);
CREATE INDEX responses_unit_time ON responses(unit, submitted_ms);
CREATE TABLE answers(
  response_id TEXT NOT NULL REFERENCES responses(id),
  criterion TEXT NOT NULL,
  value INTEGER,
  PRIMARY KEY(response_id, criterion)) WITHOUT ROWID;
CREATE TABLE reasons(
  response_id TEXT NOT NULL REFERENCES responses(id),
  reason TEXT NOT NULL,
  PRIMARY KEY(response_id, reason)) WITHOUT ROWID;
CREATE TABLE quarantine(
  qid INTEGER PRIMARY KEY,
  kiosk_id TEXT NOT NULL,
  response_id TEXT,
  seq INTEGER,
  content_hash TEXT NOT NULL,
  error TEXT NOT NULL,
  raw TEXT NOT NULL,
  batch_id TEXT NOT NULL,
  received_at TEXT NOT NULL);
CREATE INDEX quarantine_response ON quarantine(response_id, content_hash);
CREATE INDEX quarantine_kiosk ON quarantine(kiosk_id, qid);
CREATE TABLE findings(
  fid INTEGER PRIMARY KEY,
  kiosk_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  seq INTEGER,
  response_id TEXT,
  detail TEXT NOT NULL,
  created_at TEXT NOT NULL);
CREATE INDEX findings_kiosk ON findings(kiosk_id, fid);
CREATE TABLE batches(
  batch_id TEXT NOT NULL,
  kiosk_id TEXT NOT NULL,
  received_at TEXT NOT NULL,
  responses INTEGER NOT NULL,
  accepted INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  rejected INTEGER NOT NULL);
)sql"},
    // Issue 5: score rollups, dashboard sessions and login links.
    {kRollupSchemaSql},
    {kSessionSchemaSql},
    // Issue 5: scores per administrative procedure. The detail rollup gains the procedure in its
    // key, so it is recomputed from the raw rows.
    {kProcedureSchemaSql},
    {kRollupProcedureSchemaSql, true},
    // Issue 12: failed-login counts in the database, shared by every server on it.
    {R"sql(
CREATE TABLE login_failures(
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  locked_until_ms INTEGER NOT NULL);
)sql"},
    // Issue 12: a batch's writes land at the end of each table and index where they can. Answers
    // and reasons are keyed by the response's row number, which grows, instead of its random id,
    // so that a batch appends to them instead of touching pages all over; the burst check reads a
    // kiosk's answer sets over the last two minutes from an index in time order per kiosk. The
    // responses table gets that row number as a column of its own (VACUUM keeps it).
    {R"sql(
ALTER TABLE answers RENAME TO answers_old;
ALTER TABLE reasons RENAME TO reasons_old;
ALTER TABLE responses RENAME TO responses_old;
DROP INDEX responses_kiosk_seq;
DROP INDEX responses_burst;
DROP INDEX responses_unit_time;
CREATE TABLE responses(
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kiosk_id TEXT NOT NULL REFERENCES kiosks(kiosk_id),
  seq INTEGER NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  answers_key TEXT NOT NULL,
  survey_id TEXT NOT NULL,
  survey_version INTEGER NOT NULL,
  unit TEXT NOT NULL,
  counter TEXT NOT NULL,
  officer TEXT,
  dossier TEXT,
  language TEXT NOT NULL,
  started_at TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  submitted_ms INTEGER NOT NULL,
  status TEXT NOT NULL,
  comment TEXT,
  batch_id TEXT NOT NULL,
  received_at TEXT NOT NULL,
  raw TEXT NOT NULL,
  procedure TEXT);
INSERT INTO responses(rid, id, kiosk_id, seq, prev_hash, hash, content_hash, answers_key,
  survey_id, survey_version, unit, counter, officer, dossier, language, started_at, submitted_at,
  submitted_ms, status, comment, batch_id, received_at, raw, procedure)
SELECT rowid, id, kiosk_id, seq, prev_hash, hash, content_hash, answers_key, survey_id,
  survey_version, unit, counter, officer, dossier, language, started_at, submitted_at,
  submitted_ms, status, comment, batch_id, received_at, raw, procedure
FROM responses_old ORDER BY rowid;
CREATE TABLE answers(
  response_rid INTEGER NOT NULL REFERENCES responses(rid),
  criterion TEXT NOT NULL,
  value INTEGER,
  PRIMARY KEY(response_rid, criterion)) WITHOUT ROWID;
INSERT INTO answers(response_rid, criterion, value)
SELECT r.rid, a.criterion, a.value FROM answers_old a JOIN responses r ON r.id = a.response_id
ORDER BY 1, 2;
CREATE TABLE reasons(
  response_rid INTEGER NOT NULL REFERENCES responses(rid),
  reason TEXT NOT NULL,
  PRIMARY KEY(response_rid, reason)) WITHOUT ROWID;
INSERT INTO reasons(response_rid, reason)
SELECT r.rid, x.reason FROM reasons_old x JOIN responses r ON r.id = x.response_id ORDER BY 1, 2;
DROP TABLE answers_old;
DROP TABLE reasons_old;
DROP TABLE responses_old;
CREATE INDEX responses_kiosk_seq ON responses(kiosk_id, seq);
CREATE INDEX responses_kiosk_time ON responses(kiosk_id, submitted_ms, answers_key);
CREATE INDEX responses_unit_time ON responses(unit, submitted_ms);
)sql"},
    // Issue 12: the sums below each unit, so that a province's or the country's scores read a
    // few rows per child instead of every unit of the tree; filled from the day and month
    // rollups.
    {R"sql(
CREATE TABLE rollup_below_day(
  survey TEXT NOT NULL, unit TEXT NOT NULL, day TEXT NOT NULL, kind INTEGER NOT NULL,
  key TEXT NOT NULL, value INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(survey, unit, day, kind, key, value)) WITHOUT ROWID;
CREATE TABLE rollup_below_month(
  survey TEXT NOT NULL, unit TEXT NOT NULL, month TEXT NOT NULL, kind INTEGER NOT NULL,
  key TEXT NOT NULL, value INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(survey, unit, month, kind, key, value)) WITHOUT ROWID;
)sql", false, true},
    // Issue 13: the latest health each kiosk sent, and its contacts (batches and heartbeats).
    {R"sql(
CREATE TABLE kiosk_health(
  kiosk_id TEXT PRIMARY KEY REFERENCES kiosks(kiosk_id),
  contacts INTEGER NOT NULL,
  health TEXT,
  received_at TEXT,
  skew_ms INTEGER);
CREATE TABLE kiosk_contacts(
  kiosk_id TEXT NOT NULL,
  n INTEGER NOT NULL,
  received_at TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  responses INTEGER NOT NULL,
  accepted INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  health TEXT,
  skew_ms INTEGER NOT NULL,
  PRIMARY KEY(kiosk_id, n)) WITHOUT ROWID;
CREATE INDEX kiosk_contacts_time ON kiosk_contacts(kiosk_id, received_ms);
)sql"},
    // Issue 13: configuration bundles per unit and per kiosk, every version kept; the version is
    // the server-wide sequence (AUTOINCREMENT: never reused, so it only grows). A NULL content
    // records the removal of a scope's bundle, which raises the version too.
    {R"sql(
CREATE TABLE config_bundles(
  version INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL CHECK(scope IN ('unit', 'kiosk')),
  scope_id TEXT NOT NULL,
  content TEXT,
  uploaded_by TEXT NOT NULL,
  uploaded_at TEXT NOT NULL);
CREATE INDEX config_bundles_scope ON config_bundles(scope, scope_id, version);
)sql"},
    // Issue 13: alerts — rules per unit (JSON), the alerts themselves (one open per condition
    // key), and the outbox of notifications still to deliver. The evaluation cursor's row is
    // written by the first evaluation, which starts from the rows stored by then.
    {R"sql(
CREATE TABLE alert_rules(
  unit TEXT PRIMARY KEY REFERENCES units(code),
  body TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE TABLE alert_cursor(
  one INTEGER PRIMARY KEY CHECK (one = 1),
  response_rid INTEGER NOT NULL,
  finding_fid INTEGER NOT NULL);
CREATE TABLE alerts(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  kind TEXT NOT NULL,
  unit TEXT NOT NULL,
  kiosk_id TEXT,
  state TEXT NOT NULL,
  opened_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  cleared_ms INTEGER,
  events INTEGER NOT NULL,
  detail TEXT NOT NULL,
  detail_vi TEXT NOT NULL DEFAULT '',
  acked_ms INTEGER,
  acked_by TEXT);
CREATE UNIQUE INDEX alerts_open_key ON alerts(key) WHERE state = 'open';
CREATE INDEX alerts_unit ON alerts(unit, id);
CREATE TABLE alert_outbox(
  id INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL REFERENCES alerts(id),
  event TEXT NOT NULL,
  channel TEXT NOT NULL,
  target TEXT NOT NULL,
  secret TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  next_ms INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  done_ms INTEGER,
  last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX alert_outbox_due ON alert_outbox(next_ms) WHERE state = 'pending';
)sql"},
    // Issue 15: improvement actions against a criterion (or a whole element: criterion '').
    {R"sql(
CREATE TABLE improvement_actions(
  id INTEGER PRIMARY KEY,
  unit TEXT NOT NULL REFERENCES units(code),
  element TEXT NOT NULL,
  criterion TEXT NOT NULL DEFAULT '',
  what TEXT NOT NULL,
  owner TEXT NOT NULL,
  start_date TEXT NOT NULL,
  deadline TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done')),
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  updated_ms INTEGER NOT NULL);
CREATE INDEX improvement_actions_unit ON improvement_actions(unit, start_date);
)sql"},
};

KioskRecord read_kiosk(const Stmt& st) {
  KioskRecord k;
  k.kiosk_id = st.text(0);
  k.unit = st.text(1);
  k.created_at = st.text(2);
  k.revoked_at = st.opt_text(3);
  k.last_contact = st.opt_text(4);
  k.last_seq = st.int64(5);
  k.acked_seq = st.int64(6);
  return k;
}

constexpr const char* kKioskColumns =
    "kiosk_id, unit, created_at, revoked_at, last_contact, last_seq, acked_seq";

}  // namespace

Result<std::unique_ptr<sql::Db>> open_server_db(const std::string& path) {
  sql::OpenOptions options;
  options.busy_timeout_ms = 10000;
  // A larger page cache than SQLite's 2 MB default keeps the id and seq indexes of a province's
  // responses in memory while batches are inserted.
  options.pragmas = {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
                     "PRAGMA cache_size=-32768", "PRAGMA wal_autocheckpoint=10000"};
  return sql::Db::open(path, options);
}

Result<std::unique_ptr<SqliteServerStore>> SqliteServerStore::open(const std::string& path) {
  auto db = open_server_db(path);
  if (!db.is_ok()) return db.status();
  std::unique_ptr<SqliteServerStore> store(new SqliteServerStore(std::move(db).value()));
  Status s = store->migrate();
  if (!s.is_ok()) return s;
  return store;
}

Status SqliteServerStore::migrate() {
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  std::size_t version = 0;
  {
    // Finalised before the migrations run: DROP TABLE fails while a statement is active.
    auto st = db_->prepare("PRAGMA user_version");
    if (!st.is_ok()) return st.status();
    const int rc = st->step();
    if (rc != SQLITE_ROW) return db_->error(rc, "read user_version");
    version = static_cast<std::size_t>(st->int64(0));
  }
  constexpr std::size_t kLatest = std::size(kMigrations);
  if (version > kLatest) {
    return Status::error(ErrorCode::corrupt,
                         db_->path() + ": schema version " + std::to_string(version) +
                             " is newer than this sipas-server knows (" +
                             std::to_string(kLatest) + ")");
  }
  bool recompute = false, refill = false;
  for (; version < kLatest; ++version) {
    Status s = db_->exec(kMigrations[version].sql);
    if (!s.is_ok()) return s;
    recompute = recompute || kMigrations[version].recompute_rollups;
    refill = refill || kMigrations[version].refill_below;
    std::string set = "PRAGMA user_version=" + std::to_string(version + 1);
    s = db_->exec(set.c_str());
    if (!s.is_ok()) return s;
  }
  if (recompute) {
    if (Status s = recompute_rollups(*db_); !s.is_ok()) return s;
  } else if (refill) {
    if (Status s = db_->exec(kRefillBelowSql, "fill the below rollups"); !s.is_ok()) return s;
  }
  return tx.commit();
}

Status SqliteServerStore::import_units(const std::vector<UnitRecord>& units) {
  if (Status s = check_units(units); !s.is_ok()) return s;
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  UnitWrites writes;
  writes.exists = [&](const std::string& code) -> Result<bool> {
    return db_->first_row(
        "SELECT 1 FROM units WHERE code = ?", "find unit", [&](Stmt& q) { q.bind(1, code); },
        [](const Stmt&) {});
  };
  writes.subtree = [&](const std::string& code) { return unit_subtree(code); };
  bool moved = false;  // an existing unit got another parent: the below rollups are refilled
  writes.upsert = [&](const UnitRecord& u) {
    std::optional<std::string> parent;
    auto found = db_->first_row(
        "SELECT parent FROM units WHERE code = ?", "find unit", [&](Stmt& q) { q.bind(1, u.code); },
        [&](const Stmt& q) { parent = q.opt_text(0); });
    if (!found.is_ok()) return found.status();
    if (*found && parent != u.parent) moved = true;
    return db_->run(
        "INSERT INTO units(code, name, parent, time_zone) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(code) DO UPDATE SET name = excluded.name, parent = excluded.parent, "
        "time_zone = excluded.time_zone",
        "insert unit", [&](Stmt& q) {
          q.bind(1, u.code);
          q.bind(2, u.name);
          q.bind(3, u.parent);
          q.bind(4, u.time_zone);
        });
  };
  if (Status s = write_units_in_order(units, writes); !s.is_ok()) return s;
  if (moved) {
    if (Status s = db_->exec(kRefillBelowSql, "refill the below rollups"); !s.is_ok()) return s;
  }
  return tx.commit();
}

namespace {
UnitRecord read_unit(const Stmt& q) { return {q.text(0), q.text(1), q.opt_text(2), q.text(3)}; }
}  // namespace

Result<std::vector<UnitRecord>> SqliteServerStore::units() {
  std::vector<UnitRecord> out;
  Status s = db_->each_row("SELECT code, name, parent, time_zone FROM units ORDER BY code",
                           "list units", [&](const Stmt& q) { out.push_back(read_unit(q)); });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::optional<UnitRecord>> SqliteServerStore::unit(const std::string& code) {
  std::optional<UnitRecord> out;
  auto found = db_->first_row(
      "SELECT code, name, parent, time_zone FROM units WHERE code = ?", "find unit",
      [&](Stmt& q) { q.bind(1, code); }, [&](const Stmt& q) { out = read_unit(q); });
  if (!found.is_ok()) return found.status();
  return out;
}

Result<std::vector<std::string>> SqliteServerStore::unit_subtree(const std::string& code) {
  std::vector<std::string> out;
  Status s = db_->each_row(
      "WITH RECURSIVE below(code) AS (SELECT code FROM units WHERE code = ? "
      "UNION SELECT u.code FROM units u JOIN below b ON u.parent = b.code) "
      "SELECT code FROM below",
      "unit subtree", [&](Stmt& q) { q.bind(1, code); },
      [&](const Stmt& q) { out.push_back(q.text(0)); });
  if (!s.is_ok()) return s;
  return out;
}

Status SqliteServerStore::add_kiosk(const std::string& kiosk_id, const std::string& unit_code,
                              const std::string& token_hash, TimePoint now) {
  if (Status s = check_code("kiosk id", kiosk_id); !s.is_ok()) return s;
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto u = unit(unit_code);
  if (!u.is_ok()) return u.status();
  if (!*u) return Status::error(ErrorCode::not_found, "unknown unit " + unit_code);
  Status s = db_->run(
      "INSERT INTO kiosks(kiosk_id, unit, token_hash, created_at) VALUES (?, ?, ?, ?)",
      "add kiosk", [&](Stmt& q) {
        q.bind(1, kiosk_id);
        q.bind(2, unit_code);
        q.bind(3, token_hash);
        q.bind(4, format_rfc3339(now));
      });
  if (s.code() == ErrorCode::conflict) {
    return Status::error(ErrorCode::conflict, "kiosk " + kiosk_id + " already exists");
  }
  if (!s.is_ok()) return s;
  return tx.commit();
}

Status SqliteServerStore::revoke_kiosk(const std::string& kiosk_id, TimePoint now) {
  Status s = db_->run(
      "UPDATE kiosks SET revoked_at = coalesce(revoked_at, ?) WHERE kiosk_id = ?", "revoke kiosk",
      [&](Stmt& q) {
        q.bind(1, format_rfc3339(now));
        q.bind(2, kiosk_id);
      });
  if (!s.is_ok()) return s;
  if (db_->changes() == 0) return Status::error(ErrorCode::not_found, "unknown kiosk " + kiosk_id);
  return Status::ok();
}

Status SqliteServerStore::set_kiosk_token(const std::string& kiosk_id, const std::string& token_hash) {
  Status s = db_->run("UPDATE kiosks SET token_hash = ?, revoked_at = NULL WHERE kiosk_id = ?",
                      "set kiosk token", [&](Stmt& q) {
                        q.bind(1, token_hash);
                        q.bind(2, kiosk_id);
                      });
  if (!s.is_ok()) return s;
  if (db_->changes() == 0) return Status::error(ErrorCode::not_found, "unknown kiosk " + kiosk_id);
  return Status::ok();
}

Result<std::optional<KioskRecord>> SqliteServerStore::kiosk_by_token_hash(
    const std::string& token_hash) {
  static const std::string sql =
      std::string("SELECT ") + kKioskColumns + " FROM kiosks WHERE token_hash = ?";
  std::optional<KioskRecord> out;
  auto found = db_->first_row(
      sql, "find kiosk", [&](Stmt& q) { q.bind(1, token_hash); },
      [&](const Stmt& q) { out = read_kiosk(q); });
  if (!found.is_ok()) return found.status();
  return out;
}

Result<std::vector<KioskRecord>> SqliteServerStore::kiosks() {
  static const std::string sql =
      std::string("SELECT ") + kKioskColumns + " FROM kiosks ORDER BY kiosk_id";
  std::vector<KioskRecord> out;
  Status s = db_->each_row(sql, "list kiosks", [&](const Stmt& q) { out.push_back(read_kiosk(q)); });
  if (!s.is_ok()) return s;
  return out;
}

Status SqliteServerStore::add_user(const UserRecord& user) {
  if (Status s = check_code("user name", user.name); !s.is_ok()) return s;
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  if (user.unit) {
    auto u = unit(*user.unit);
    if (!u.is_ok()) return u.status();
    if (!*u) return Status::error(ErrorCode::not_found, "unknown unit " + *user.unit);
  }
  Status s = db_->run(
      "INSERT INTO users(name, password_hash, unit, created_at) VALUES (?, ?, ?, ?)", "add user",
      [&](Stmt& q) {
        q.bind(1, user.name);
        q.bind(2, user.password_hash);
        q.bind(3, user.unit);
        q.bind(4, format_rfc3339(SystemClock().now()));
      });
  if (s.code() == ErrorCode::conflict) {
    return Status::error(ErrorCode::conflict, "user " + user.name + " already exists");
  }
  if (!s.is_ok()) return s;
  return tx.commit();
}

namespace {
UserRecord user_row(const Stmt& q) { return user_of(q.text(0), q.text(1), q.opt_text(2)); }
}  // namespace

Result<std::optional<UserRecord>> SqliteServerStore::user(const std::string& name) {
  std::optional<UserRecord> out;
  auto found = db_->first_row(
      "SELECT name, password_hash, unit FROM users WHERE name = ?", "find user",
      [&](Stmt& q) { q.bind(1, name); }, [&](const Stmt& q) { out = user_row(q); });
  if (!found.is_ok()) return found.status();
  return out;
}

Result<std::vector<UserRecord>> SqliteServerStore::users() {
  std::vector<UserRecord> out;
  Status s = db_->each_row("SELECT name, password_hash, unit FROM users ORDER BY name",
                           "list users", [](Stmt&) {},
                           [&](const Stmt& q) { out.push_back(user_row(q)); });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::int64_t> SqliteServerStore::end_sessions_of(const std::string& name) {
  Status s = db_->run("DELETE FROM sessions WHERE user = ?", "end the user's sessions",
                      [&](Stmt& q) { q.bind(1, name); });
  if (!s.is_ok()) return s;
  const std::int64_t ended = db_->changes();
  s = db_->run("DELETE FROM login_links WHERE user = ?", "end the user's login links",
               [&](Stmt& q) { q.bind(1, name); });
  if (!s.is_ok()) return s;
  return ended;
}

Status SqliteServerStore::change_user(const std::string& name, const char* sql, const char* what,
                                      const std::function<void(Stmt&)>& bind, bool end_sessions) {
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  Status s = db_->run(sql, what, bind);
  if (!s.is_ok()) return s;
  if (db_->changes() == 0) return Status::error(ErrorCode::not_found, "unknown user " + name);
  if (end_sessions) {
    auto ended = end_sessions_of(name);
    if (!ended.is_ok()) return ended.status();
  }
  return tx.commit();
}

Status SqliteServerStore::set_user_password(const std::string& name, const std::string& password_hash) {
  // A disabled user stays disabled, with the new password behind the mark.
  return change_user(
      name,
      "UPDATE users SET password_hash = CASE WHEN substr(password_hash, 1, 1) = '!' "
      "THEN '!' || ?1 ELSE ?1 END WHERE name = ?2",
      "set password", [&](Stmt& q) {
        q.bind(1, password_hash);
        q.bind(2, name);
      },
      true);
}

Status SqliteServerStore::set_user_disabled(const std::string& name, bool disabled) {
  const char* sql = disabled
                        ? "UPDATE users SET password_hash = '!' || password_hash WHERE name = ?1 "
                          "AND substr(password_hash, 1, 1) <> '!'"
                        : "UPDATE users SET password_hash = substr(password_hash, 2) WHERE name = ?1 "
                          "AND substr(password_hash, 1, 1) = '!'";
  auto known = user(name);
  if (!known.is_ok()) return known.status();
  if (!*known) return Status::error(ErrorCode::not_found, "unknown user " + name);
  if ((*known)->disabled == disabled) {
    // Already so; a disable still makes sure no session is left.
    return disabled ? end_sessions_of(name).status() : Status::ok();
  }
  return change_user(name, sql, disabled ? "disable user" : "enable user",
                     [&](Stmt& q) { q.bind(1, name); }, disabled);
}

Status SqliteServerStore::delete_user(const std::string& name) {
  return change_user(name, "DELETE FROM users WHERE name = ?", "delete user",
                     [&](Stmt& q) { q.bind(1, name); }, true);
}

Result<std::int64_t> SqliteServerStore::end_user_sessions(const std::string& name) {
  auto known = user(name);
  if (!known.is_ok()) return known.status();
  if (!*known) return Status::error(ErrorCode::not_found, "unknown user " + name);
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto ended = end_sessions_of(name);
  if (!ended.is_ok()) return ended.status();
  Status s = tx.commit();
  if (!s.is_ok()) return s;
  return *ended;
}

Status SqliteServerStore::import_procedures(const std::vector<ProcedureRecord>& procedures) {
  if (Status s = check_procedures(procedures); !s.is_ok()) return s;
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  const std::string now = format_rfc3339(SystemClock().now());
  for (const auto& p : procedures) {
    Status s = db_->run(
        "INSERT INTO procedures(code, name, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
        "store procedure", [&](Stmt& q) {
          q.bind(1, p.code);
          q.bind(2, procedure_names_text(p));
          q.bind(3, now);
        });
    if (!s.is_ok()) return s;
  }
  return tx.commit();
}

Result<std::vector<ProcedureRecord>> SqliteServerStore::procedures() {
  std::vector<ProcedureRecord> out;
  Status s = db_->each_row(
      "SELECT code, name FROM procedures ORDER BY code", "list procedures",
      [&](const Stmt& q) { out.push_back(procedure_of(q.text(0), q.text(1))); });
  if (!s.is_ok()) return s;
  return out;
}

Status SqliteServerStore::put_survey(const std::string& id, int version, const std::string& json_text) {
  return db_->run(
      "INSERT INTO surveys(id, version, body, imported_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT(id, version) DO UPDATE SET body = excluded.body, "
      "imported_at = excluded.imported_at",
      "store survey", [&](Stmt& q) {
        q.bind(1, id);
        q.bind(2, version);
        q.bind(3, json_text);
        q.bind(4, format_rfc3339(SystemClock().now()));
      });
}

Result<std::vector<std::string>> SqliteServerStore::survey_texts() {
  std::vector<std::string> out;
  Status s = db_->each_row("SELECT body FROM surveys ORDER BY id, version", "list surveys",
                           [&](const Stmt& q) { out.push_back(q.text(0)); });
  if (!s.is_ok()) return s;
  return out;
}

namespace {

// What plan_ingest() asks, read with one indexed query each, inside the batch's transaction and
// before any of its writes.
class SqliteIngestLookups final : public IngestLookups {
 public:
  SqliteIngestLookups(sql::Db& db, const std::string& kiosk_id) : db_(db), kiosk_id_(kiosk_id) {}

  Result<std::optional<std::string>> stored_content_hash(const std::string& id) override {
    std::optional<std::string> out;
    auto found = db_.first_row(
        "SELECT content_hash FROM responses WHERE id = ?", "find response",
        [&](Stmt& q) { q.bind(1, id); }, [&](const Stmt& q) { out = q.text(0); });
    if (!found.is_ok()) return found.status();
    return out;
  }

  Result<bool> quarantined(const std::string& id, const std::string& content_hash) override {
    return db_.first_row(
        "SELECT 1 FROM quarantine WHERE response_id = ? AND content_hash = ? LIMIT 1",
        "find quarantined",
        [&](Stmt& q) {
          q.bind(1, id);
          q.bind(2, content_hash);
        },
        [](const Stmt&) {});
  }

  Result<std::vector<AtSeq>> at_seq(std::int64_t seq) override {
    std::vector<AtSeq> out;
    Status s = db_.each_row(
        "SELECT id, hash FROM responses WHERE kiosk_id = ? AND seq = ?", "find seq",
        [&](Stmt& q) {
          q.bind(1, kiosk_id_);
          q.bind(2, seq);
        },
        [&](const Stmt& q) { out.push_back({q.text(0), q.text(1)}); });
    if (!s.is_ok()) return s;
    return out;
  }

  Result<std::int64_t> identical_answers(const std::string& answers_key, std::int64_t from_ms,
                                         std::int64_t to_ms) override {
    std::int64_t n = 0;
    auto counted = db_.first_row(
        "SELECT count(*) FROM responses WHERE kiosk_id = ? AND answers_key = ? "
        "AND submitted_ms BETWEEN ? AND ?",
        "count identical answers",
        [&](Stmt& q) {
          q.bind(1, kiosk_id_);
          q.bind(2, answers_key);
          q.bind(3, from_ms);
          q.bind(4, to_ms);
        },
        [&](const Stmt& q) { n = q.int64(0); });
    if (!counted.is_ok()) return counted.status();
    return n;
  }

 private:
  sql::Db& db_;
  const std::string& kiosk_id_;
};

}  // namespace

Result<BatchReply> SqliteServerStore::ingest(const KioskRecord& kiosk, const ParsedBatch& batch,
                                             TimePoint now, IngestTiming* timing) {
  auto started = std::chrono::steady_clock::now();
  const std::string received_at = format_rfc3339(now);
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();

  // The kiosk row as it is now, inside the transaction (another batch may just have moved it).
  KioskProgress before;
  {
    auto found = db_->first_row(
        "SELECT acked_seq, last_seq, last_skew_ms FROM kiosks WHERE kiosk_id = ?", "read kiosk",
        [&](Stmt& q) { q.bind(1, kiosk.kiosk_id); },
        [&](const Stmt& q) {
          before.acked_seq = q.int64(0);
          before.last_seq = q.int64(1);
          before.last_skew_ms = q.opt_int64(2);
        });
    if (!found.is_ok()) return found.status();
    if (!*found) return Status::error(ErrorCode::not_found, "unknown kiosk " + kiosk.kiosk_id);
  }
  SqliteIngestLookups lookups(*db_, kiosk.kiosk_id);
  auto planned = plan_ingest(batch, before, now, lookups);
  if (!planned.is_ok()) return planned.status();
  const IngestPlan& plan = *planned;

  for (const PlannedQuarantine& q : plan.quarantine) {
    const ParsedResponse& p = *q.response;
    Status s = db_->run(
        "INSERT INTO quarantine(kiosk_id, response_id, seq, content_hash, error, raw, batch_id, "
        "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        "quarantine response", [&](Stmt& st) {
          st.bind(1, kiosk.kiosk_id);
          st.bind(2, p.id);
          st.bind(3, p.seq);
          st.bind(4, p.content_hash);
          st.bind(5, q.error);
          st.bind(6, p.canonical);
          st.bind(7, batch.batch_id);
          st.bind(8, received_at);
        });
    if (!s.is_ok()) return s;
  }
  std::vector<const Response*> stored;  // added to the score rollups in this transaction
  for (const ParsedResponse* p : plan.accepted) {
    const Response& r = *p->response;
    Status s = db_->run(
        "INSERT INTO responses(id, kiosk_id, seq, prev_hash, hash, content_hash, answers_key, "
        "survey_id, survey_version, unit, counter, officer, dossier, language, started_at, "
        "submitted_at, submitted_ms, status, comment, batch_id, received_at, raw, procedure) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "insert response", [&](Stmt& q) {
          q.bind(1, p->id);
          q.bind(2, kiosk.kiosk_id);
          q.bind(3, p->seq);
          q.bind(4, r.prev_hash);
          q.bind(5, r.hash);
          q.bind(6, p->content_hash);
          q.bind(7, p->answers_key);
          q.bind(8, r.survey_id);
          q.bind(9, r.survey_version);
          q.bind(10, r.unit);
          q.bind(11, r.counter);
          q.bind(12, r.officer);
          q.bind(13, r.dossier);
          q.bind(14, r.language);
          q.bind(15, format_rfc3339(r.started_at));
          q.bind(16, format_rfc3339(r.submitted_at));
          q.bind(17, unix_ms(r.submitted_at));
          q.bind(18, to_string(r.status));
          q.bind(19, r.comment);
          q.bind(20, batch.batch_id);
          q.bind(21, received_at);
          q.bind(22, p->canonical);
          q.bind(23, r.procedure);
        });
    if (!s.is_ok()) return s;
    const std::int64_t rid = db_->last_insert_rowid();
    for (const Answer& a : r.answers) {
      s = db_->run("INSERT INTO answers(response_rid, criterion, value) VALUES (?, ?, ?)",
                   "insert answer", [&](Stmt& q) {
                     q.bind(1, rid);
                     q.bind(2, a.criterion);
                     q.bind(3, a.value);
                   });
      if (!s.is_ok()) return s;
    }
    for (const std::string& reason : r.reasons) {
      s = db_->run("INSERT INTO reasons(response_rid, reason) VALUES (?, ?)", "insert reason",
                   [&](Stmt& q) {
                     q.bind(1, rid);
                     q.bind(2, reason);
                   });
      if (!s.is_ok()) return s;
    }
    stored.push_back(&r);
  }
  for (const PlannedFinding& f : plan.findings) {
    Status s = db_->run(
        "INSERT INTO findings(kiosk_id, kind, seq, response_id, detail, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        "insert finding", [&](Stmt& q) {
          q.bind(1, kiosk.kiosk_id);
          q.bind(2, f.kind);
          q.bind(3, f.seq);
          q.bind(4, f.response_id);
          q.bind(5, f.detail);
          q.bind(6, received_at);
        });
    if (!s.is_ok()) return s;
  }

  Status s = db_->run(
      "UPDATE kiosks SET last_contact = ?, last_seq = ?, acked_seq = ?, last_skew_ms = ? "
      "WHERE kiosk_id = ?",
      "update kiosk", [&](Stmt& q) {
        q.bind(1, received_at);
        q.bind(2, plan.kiosk.last_seq);
        q.bind(3, plan.kiosk.acked_seq);
        q.bind(4, plan.kiosk.last_skew_ms);
        q.bind(5, kiosk.kiosk_id);
      });
  if (!s.is_ok()) return s;
  // A heartbeat (no responses) is not logged in batches, which is never pruned: 288 a day per
  // kiosk would soon outweigh the real batches. Its contact is kept (kiosk_contacts, pruned).
  if (!batch.responses.empty()) {
    s = db_->run(
        "INSERT INTO batches(batch_id, kiosk_id, received_at, responses, accepted, duplicates, "
        "rejected) VALUES (?, ?, ?, ?, ?, ?, ?)",
        "log batch", [&](Stmt& q) {
          q.bind(1, batch.batch_id);
          q.bind(2, kiosk.kiosk_id);
          q.bind(3, received_at);
          q.bind(4, static_cast<std::int64_t>(batch.responses.size()));
          q.bind(5, plan.reply.accepted);
          q.bind(6, plan.reply.duplicates);
          q.bind(7, static_cast<std::int64_t>(plan.reply.rejected.size()));
        });
    if (!s.is_ok()) return s;
  }
  if (Status rolled = add_to_rollups(*db_, stored); !rolled.is_ok()) return rolled;
  s = record_contact(kiosk.kiosk_id, batch, plan.reply, now);
  if (!s.is_ok()) return s;
  s = tx.commit();
  if (!s.is_ok()) return s;
  if (timing) {
    timing->sqlite_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  }
  return plan.reply;
}

Result<std::vector<Finding>> SqliteServerStore::findings(const std::string& kiosk_id,
                                                   std::size_t limit) {
  std::vector<Finding> out;
  Status s = db_->each_row(
      "SELECT kiosk_id, kind, seq, response_id, detail, created_at FROM findings "
      "WHERE kiosk_id = ? ORDER BY fid DESC LIMIT ?",
      "list findings",
      [&](Stmt& q) {
        q.bind(1, kiosk_id);
        q.bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
      },
      [&](const Stmt& q) {
        out.push_back(Finding{q.text(0), q.text(1), q.opt_int64(2), q.opt_text(3), q.text(4),
                              q.text(5)});
      });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::map<std::string, std::int64_t>> SqliteServerStore::finding_counts(
    const std::string& kiosk_id) {
  std::map<std::string, std::int64_t> out;
  Status s = db_->each_row(
      "SELECT kind, count(*) FROM findings WHERE kiosk_id = ? GROUP BY kind", "count findings",
      [&](Stmt& q) { q.bind(1, kiosk_id); },
      [&](const Stmt& q) { out[q.text(0)] = q.int64(1); });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::pair<std::int64_t, std::int64_t>> SqliteServerStore::kiosk_counts(
    const std::string& kiosk_id) {
  std::pair<std::int64_t, std::int64_t> out{0, 0};
  auto found = db_->first_row(
      "SELECT (SELECT count(*) FROM responses WHERE kiosk_id = ?1), "
      "(SELECT count(*) FROM quarantine WHERE kiosk_id = ?1)",
      "count kiosk responses", [&](Stmt& q) { q.bind(1, kiosk_id); },
      [&](const Stmt& q) { out = {q.int64(0), q.int64(1)}; });
  if (!found.is_ok()) return found.status();
  return out;
}

Status SqliteServerStore::ping() {
  auto found = db_->first_row("SELECT 1", "ping", [](Stmt&) {}, [](const Stmt&) {});
  return found.is_ok() ? Status::ok() : found.status();
}

Status SqliteServerStore::checkpoint() {
  // PASSIVE: copies what it can without waiting for readers or the writer, who carry on.
  auto done = db_->first_row("PRAGMA wal_checkpoint(PASSIVE)", "checkpoint", [](Stmt&) {},
                             [](const Stmt&) {});
  return done.is_ok() ? Status::ok() : done.status();
}

Status SqliteServerStore::probe_write() {
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  std::int64_t version = 0;
  auto found = db_->first_row("PRAGMA user_version", "probe write", [](Stmt&) {},
                              [&](const Stmt& q) { version = q.int64(0); });
  if (!found.is_ok()) return found.status();
  // Setting the value it already has still dirties the header page, which the commit writes.
  Status s = db_->exec("PRAGMA user_version=" + std::to_string(version), "probe write");
  if (!s.is_ok()) return s;
  return tx.commit();
}

Result<std::vector<QuarantineRecord>> SqliteServerStore::quarantine(const std::string& kiosk_id,
                                                              std::size_t limit) {
  std::vector<QuarantineRecord> out;
  Status s = db_->each_row(
      "SELECT kiosk_id, response_id, seq, error, raw, received_at FROM quarantine "
      "WHERE kiosk_id = ? ORDER BY qid DESC LIMIT ?",
      "list quarantine",
      [&](Stmt& q) {
        q.bind(1, kiosk_id);
        q.bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
      },
      [&](const Stmt& q) {
        out.push_back(QuarantineRecord{q.text(0), q.opt_text(1), q.opt_int64(2), q.text(3),
                                       q.text(4), q.text(5)});
      });
  if (!s.is_ok()) return s;
  return out;
}

namespace {
Result<std::int64_t> count_of(sql::Db& db, const char* sql, const char* what) {
  std::int64_t n = 0;
  auto found = db.first_row(sql, what, [](Stmt&) {}, [&](const Stmt& q) { n = q.int64(0); });
  if (!found.is_ok()) return found.status();
  return n;
}
}  // namespace

Result<std::int64_t> SqliteServerStore::response_count() {
  return count_of(*db_, "SELECT count(*) FROM responses", "count responses");
}

Result<std::int64_t> SqliteServerStore::quarantine_count() {
  return count_of(*db_, "SELECT count(*) FROM quarantine", "count quarantine");
}

Result<NewSession> SqliteServerStore::create_session(const std::string& user, TimePoint now) {
  if (Status s = check_may_log_in(this->user(user), user); !s.is_ok()) return s;
  NewSession out;
  out.token = random_token(32);
  out.session.user = user;
  out.session.csrf = random_token(16);
  Status s = db_->run("DELETE FROM sessions WHERE expires_ms < ?", "drop expired sessions",
                      [&](Stmt& q) { q.bind(1, unix_ms(now)); });
  if (!s.is_ok()) return s;
  s = db_->run("INSERT INTO sessions(token_hash, user, csrf, expires_ms) VALUES (?, ?, ?, ?)",
               "create session", [&](Stmt& q) {
                 q.bind(1, sha256_hex(out.token));
                 q.bind(2, user);
                 q.bind(3, out.session.csrf);
                 q.bind(4, unix_ms(now + kSessionLifetime));
               });
  if (!s.is_ok()) return s;
  auto found = find_session(out.token, now);
  if (!found.is_ok()) return found.status();
  if (*found) out.session = **found;
  return out;
}

Result<std::optional<Session>> SqliteServerStore::find_session(const std::string& token,
                                                               TimePoint now) {
  std::optional<Session> out;
  if (token.empty()) return out;
  auto found = db_->first_row(
      "SELECT s.user, u.unit, s.csrf FROM sessions s JOIN users u ON u.name = s.user "
      "WHERE s.token_hash = ? AND s.expires_ms > ? AND substr(u.password_hash, 1, 1) <> '!'",
      "find session",
      [&](Stmt& q) {
        q.bind(1, sha256_hex(token));
        q.bind(2, unix_ms(now));
      },
      [&](const Stmt& q) { out = Session{q.text(0), q.opt_text(1), q.text(2)}; });
  if (!found.is_ok()) return found.status();
  return out;
}

Result<TimePoint> SqliteServerStore::throttle_locked_until(const std::vector<std::string>& keys) {
  std::int64_t until = 0;
  for (const std::string& key : keys) {
    auto found = db_->first_row(
        "SELECT locked_until_ms FROM login_failures WHERE key = ?", "read login failures",
        [&](Stmt& q) { q.bind(1, key); },
        [&](const Stmt& q) { until = std::max(until, q.int64(0)); });
    if (!found.is_ok()) return found.status();
  }
  return from_unix_ms(until);
}

Status SqliteServerStore::update_throttle(const std::string& key, TimePoint now,
                                          std::chrono::seconds forget_after,
                                          const std::function<void(ThrottleEntry&)>& change) {
  // A write transaction from the start: another process's failure for the same key waits for
  // this one, so that neither count is lost.
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  ThrottleEntry e;
  auto found = db_->first_row(
      "SELECT failures, last_ms, locked_until_ms FROM login_failures WHERE key = ?",
      "read login failures", [&](Stmt& q) { q.bind(1, key); },
      [&](const Stmt& q) {
        e.failures = static_cast<int>(q.int64(0));
        e.last = from_unix_ms(q.int64(1));
        e.locked_until = from_unix_ms(q.int64(2));
      });
  if (!found.is_ok()) return found.status();
  change(e);
  Status s = db_->run(
      "INSERT INTO login_failures(key, failures, last_ms, locked_until_ms) VALUES (?, ?, ?, ?) "
      "ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, last_ms = excluded.last_ms, "
      "locked_until_ms = excluded.locked_until_ms",
      "count a login failure", [&](Stmt& q) {
        q.bind(1, key);
        q.bind(2, static_cast<std::int64_t>(e.failures));
        q.bind(3, unix_ms(e.last));
        q.bind(4, unix_ms(e.locked_until));
      });
  if (!s.is_ok()) return s;
  s = db_->run("DELETE FROM login_failures WHERE last_ms < ? AND locked_until_ms <= ?",
               "forget old login failures", [&](Stmt& q) {
                 q.bind(1, unix_ms(now - forget_after));
                 q.bind(2, unix_ms(now));
               });
  if (!s.is_ok()) return s;
  return tx.commit();
}

Status SqliteServerStore::forget_throttle(const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    Status s = db_->run("DELETE FROM login_failures WHERE key = ?", "forget login failures",
                        [&](Stmt& q) { q.bind(1, key); });
    if (!s.is_ok()) return s;
  }
  return Status::ok();
}

Status SqliteServerStore::end_session(const std::string& token) {
  return db_->run("DELETE FROM sessions WHERE token_hash = ?", "end session",
                  [&](Stmt& q) { q.bind(1, sha256_hex(token)); });
}

Result<std::string> SqliteServerStore::create_login_link(const std::string& user, TimePoint now) {
  if (Status s = check_may_log_in(this->user(user), user); !s.is_ok()) return s;
  std::string token = random_token(32);
  Status s = db_->run("INSERT INTO login_links(token_hash, user, expires_ms) VALUES (?, ?, ?)",
                      "create login link", [&](Stmt& q) {
                        q.bind(1, sha256_hex(token));
                        q.bind(2, user);
                        q.bind(3, unix_ms(now + kLoginLinkLifetime));
                      });
  if (!s.is_ok()) return s;
  return token;
}

Result<std::optional<std::string>> SqliteServerStore::redeem_login_link(const std::string& token,
                                                                        TimePoint now) {
  if (token.empty()) return std::optional<std::string>();
  // A link is used once: the row goes whether or not it has expired (RETURNING makes the delete
  // happen on the first step).
  std::optional<std::string> user;
  bool valid = false;
  auto found = db_->first_row(
      "DELETE FROM login_links WHERE token_hash = ? RETURNING user, expires_ms", "use login link",
      [&](Stmt& q) { q.bind(1, sha256_hex(token)); },
      [&](const Stmt& q) {
        user = q.text(0);
        valid = q.int64(1) > unix_ms(now);
      });
  if (!found.is_ok()) return found.status();
  if (!valid) return std::optional<std::string>();
  auto known = this->user(*user);
  if (!known.is_ok()) return known.status();
  if (!*known || (*known)->disabled) return std::optional<std::string>();
  return user;
}

Status SqliteServerStore::read_rollups(const RollupRead& r, Slice& into) {
  const bool detail = r.level == RollupRead::Level::detail;
  auto table = rollup_table(r);
  if (!table.is_ok()) return table.status();
  const char* col = r.level == RollupRead::Level::month ? "month" : "day";
  std::string cols = "survey, unit";
  if (r.needs.day) cols += ", day";
  if (detail && r.needs.counter) cols += ", counter";
  if (detail && r.needs.officer) cols += ", officer";
  if (detail && r.needs.procedure) cols += ", procedure";
  std::string sql_text = "SELECT " + cols + ", kind, key, value, sum(n) FROM " + *table +
                         " WHERE survey IN (" + placeholders(r.surveys.size()) + ") AND unit IN (" +
                         placeholders(r.units.size()) + ") AND " + col + " BETWEEN ? AND ?";
  if (r.counter) sql_text += " AND counter = ?";
  if (r.officer) sql_text += " AND officer = ?";
  if (r.procedure) sql_text += " AND procedure = ?";
  sql_text += " GROUP BY " + cols + ", kind, key, value";
  auto st = db_->prepare(sql_text, "read rollups");
  if (!st.is_ok()) return st.status();
  int i = 1;
  for (const auto& s : r.surveys) st->bind(i++, s);
  for (const auto& u : r.units) st->bind(i++, u);
  st->bind(i++, r.from);
  st->bind(i++, r.to);
  if (r.counter) st->bind(i++, *r.counter);
  if (r.officer) st->bind(i++, *r.officer);
  if (r.procedure) st->bind(i++, *r.procedure);
  return db_->rows(*st, "read rollups", [&](const Stmt& row) {
    SliceKey k;
    int c = 0;
    k.survey = row.text(c++);
    k.unit = row.text(c++);
    if (r.needs.day) k.day = row.text(c++);
    if (detail && r.needs.counter) k.counter = row.text(c++);
    if (detail && r.needs.officer) k.officer = row.text(c++);
    if (detail && r.needs.procedure) k.procedure = row.text(c++);
    add_rollup_row(into[k], static_cast<int>(row.int64(c)), row.text(c + 1),
                   static_cast<int>(row.int64(c + 2)), row.int64(c + 3));
  });
}

Status SqliteServerStore::refill_below_rollups() {
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  if (Status s = db_->exec(kRefillBelowSql, "refill the below rollups"); !s.is_ok()) return s;
  return tx.commit();
}

Status SqliteServerStore::rebuild_rollups() {
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  Status s = recompute_rollups(*db_);
  if (!s.is_ok()) return s;
  return tx.commit();
}

Status SqliteServerStore::stream_responses(
    const RawFilter& f, const std::function<Status(const ResponseFacts&)>& sink) {
  std::string where = "r.unit IN (" + placeholders(f.units.size()) +
                      ") AND r.submitted_ms >= ? AND r.submitted_ms < ? AND r.survey_id IN (" +
                      placeholders(f.surveys.size()) + ")";
  if (f.counter) where += " AND r.counter = ?";
  if (f.officer) where += " AND coalesce(r.officer, '') = ?";
  if (f.procedure) where += " AND coalesce(r.procedure, '') = ?";
  auto bind = [&](Stmt& st) {
    int i = 1;
    for (const auto& u : f.units) st.bind(i++, u);
    st.bind(i++, unix_ms(f.from));
    st.bind(i++, unix_ms(f.to));
    for (const auto& s : f.surveys) st.bind(i++, s);
    if (f.counter) st.bind(i++, *f.counter);
    if (f.officer) st.bind(i++, *f.officer);
    if (f.procedure) st.bind(i++, *f.procedure);
  };
  return sipas::stream_responses(*db_, where, bind, sink);
}

Result<std::vector<CommentRow>> SqliteServerStore::comments(const std::vector<std::string>& units,
                                                            TimePoint from, TimePoint to,
                                                            const CommentFilter& filter,
                                                            std::size_t limit) {
  std::string q =
      "SELECT r.submitted_ms, r.submitted_at, r.unit, r.counter, r.officer, r.comment, "
      "(SELECT group_concat(reason, ' ') FROM reasons x WHERE x.response_rid = r.rid) "
      "FROM responses r WHERE r.unit IN (" + placeholders(units.size()) +
      ") AND r.submitted_ms >= ? AND r.submitted_ms < ? AND r.comment IS NOT NULL "
      "AND r.comment <> ''" +
      std::string(filter.counter ? " AND r.counter = ?" : "") +
      (filter.officer ? " AND r.officer = ?" : "") +
      (filter.procedure ? " AND r.procedure = ?" : "") + " ORDER BY r.submitted_ms DESC LIMIT ?";
  auto st = db_->prepare(q, "read comments");
  if (!st.is_ok()) return st.status();
  int i = 1;
  for (const auto& u : units) st->bind(i++, u);
  st->bind(i++, unix_ms(from));
  st->bind(i++, unix_ms(to));
  for (const auto* f : {&filter.counter, &filter.officer, &filter.procedure}) {
    if (*f) st->bind(i++, **f);
  }
  st->bind(i++, static_cast<std::int64_t>(limit));
  std::vector<CommentRow> out;
  Status s = db_->rows(*st, "read comments", [&](const Stmt& row) {
    CommentRow c;
    c.at = from_unix_ms(row.int64(0));
    c.submitted_at = row.text(1);
    c.unit = row.text(2);
    c.counter = row.text(3);
    c.officer = row.opt_text(4);
    c.text = row.text(5);
    c.reasons = split_words(row.text(6));
    out.push_back(std::move(c));
  });
  if (!s.is_ok()) return s;
  return out;
}

namespace {

class SqliteRawCursor final : public RawCursor {
 public:
  SqliteRawCursor(sql::Db& db, Stmt st) : db_(db), st_(std::move(st)) {}

  Result<bool> next(RawRow& r) override {
    auto more = db_.step_row(st_, "read responses");
    if (!more.is_ok() || !*more) return more;
    const Stmt& row = st_;
    r = RawRow{};
    r.at = from_unix_ms(row.int64(0));
    r.id = row.text(1);
    r.kiosk_id = row.text(2);
    r.seq = row.int64(3);
    r.unit = row.text(4);
    r.counter = row.text(5);
    r.officer = row.opt_text(6);
    r.dossier = row.opt_text(7);
    r.survey_id = row.text(8);
    r.survey_version = static_cast<int>(row.int64(9));
    r.language = row.text(10);
    r.submitted_at = row.text(11);
    r.status = row.text(12);
    r.comment = row.opt_text(13);
    r.reasons = split_words(row.text(14));
    r.procedure = row.opt_text(16);
    r.answers = answer_pairs(row.text(15));
    return true;
  }

 private:
  sql::Db& db_;
  Stmt st_;  // its own statement, not a cached one: it stays open between calls
};

}  // namespace

Result<std::unique_ptr<RawCursor>> SqliteServerStore::raw_responses(
    const std::vector<RawSpan>& spans, std::size_t limit) {
  // One query over every span, so the rows come in one submission-time order.
  std::string where;
  for (const auto& span : spans) {
    if (span.units.empty()) continue;
    where += std::string(where.empty() ? "" : " OR ") + "(r.unit IN (" +
             placeholders(span.units.size()) + ") AND r.submitted_ms >= ? AND r.submitted_ms < ?)";
  }
  if (where.empty()) where = "0";
  std::string q =
      "SELECT r.submitted_ms, r.id, r.kiosk_id, r.seq, r.unit, r.counter, r.officer, r.dossier, "
      "r.survey_id, r.survey_version, r.language, r.submitted_at, r.status, r.comment, "
      "(SELECT group_concat(reason, ' ') FROM reasons x WHERE x.response_rid = r.rid), "
      "(SELECT group_concat(criterion || '=' || coalesce(value, ''), ' ') FROM answers a "
      "WHERE a.response_rid = r.rid), r.procedure "
      "FROM responses r WHERE " + where + " ORDER BY r.submitted_ms, r.id LIMIT ?";
  auto st = db_->prepare(q, "read responses");
  if (!st.is_ok()) return st.status();
  int i = 1;
  for (const auto& span : spans) {
    if (span.units.empty()) continue;
    for (const auto& u : span.units) st->bind(i++, u);
    st->bind(i++, unix_ms(span.from));
    st->bind(i++, unix_ms(span.to));
  }
  st->bind(i++, static_cast<std::int64_t>(limit));
  return std::unique_ptr<RawCursor>(new SqliteRawCursor(*db_, std::move(st).value()));
}

}  // namespace sipas
