#include "pg_store.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <tuple>

#include "ingest_plan.hpp"
#include "sipas/crypto.hpp"
#include "sipas/server/sessions.hpp"
#include "store_shared.hpp"

namespace sipas {
namespace {

using pg::ArrayParam;
using pg::Conn;
using pg::Param;
using pg::Rows;

// Held (for one transaction) while the schema is read and migrated; any fixed number of our own.
constexpr std::int64_t kMigrationLock = 0x5349504153;  // "SIPAS"

// Each entry moves the schema from version i to i + 1, in one transaction with the others.
// Append, never edit. ctext is text compared bytewise, as SQLite compares: every ORDER BY gives
// the SQLite storage's order whatever the database's locale. Times stay RFC 3339 text and
// milliseconds, as in the SQLite storage, so that both return the same texts.
const char* const kPgMigrations[] = {
    R"sql(
CREATE DOMAIN ctext AS text COLLATE "C";
CREATE TABLE units(
  code ctext PRIMARY KEY,
  name ctext NOT NULL,
  parent ctext REFERENCES units(code),
  time_zone ctext NOT NULL DEFAULT 'Asia/Ho_Chi_Minh');
CREATE INDEX units_parent ON units(parent);
CREATE TABLE kiosks(
  kiosk_id ctext PRIMARY KEY,
  unit ctext NOT NULL REFERENCES units(code),
  token_hash ctext NOT NULL UNIQUE,
  created_at ctext NOT NULL,
  revoked_at ctext,
  last_contact ctext,
  last_seq bigint NOT NULL DEFAULT 0,
  acked_seq bigint NOT NULL DEFAULT 0,
  last_skew_ms bigint);
CREATE TABLE users(
  name ctext PRIMARY KEY,
  password_hash ctext NOT NULL,
  unit ctext REFERENCES units(code),
  created_at ctext NOT NULL);
CREATE TABLE surveys(
  id ctext NOT NULL,
  version integer NOT NULL,
  body ctext NOT NULL,
  imported_at ctext NOT NULL,
  PRIMARY KEY(id, version));
CREATE TABLE procedures(
  code ctext PRIMARY KEY,
  name ctext NOT NULL,
  updated_at ctext NOT NULL);
CREATE TABLE responses(
  id ctext PRIMARY KEY,
  rid bigint GENERATED ALWAYS AS IDENTITY,
  kiosk_id ctext NOT NULL REFERENCES kiosks(kiosk_id),
  seq bigint NOT NULL,
  prev_hash ctext NOT NULL,
  hash ctext NOT NULL,
  content_hash ctext NOT NULL,
  answers_key ctext NOT NULL,
  survey_id ctext NOT NULL,
  survey_version integer NOT NULL,
  unit ctext NOT NULL,
  counter ctext NOT NULL,
  officer ctext,
  dossier ctext,
  language ctext NOT NULL,
  started_at ctext NOT NULL,
  submitted_at ctext NOT NULL,
  submitted_ms bigint NOT NULL,
  status ctext NOT NULL,
  comment ctext,
  batch_id ctext NOT NULL,
  received_at ctext NOT NULL,
  raw ctext NOT NULL,
  procedure ctext);
CREATE INDEX responses_kiosk_seq ON responses(kiosk_id, seq);
CREATE INDEX responses_burst ON responses(kiosk_id, answers_key, submitted_ms);
CREATE INDEX responses_unit_time ON responses(unit, submitted_ms);
CREATE TABLE answers(
  response_id ctext NOT NULL REFERENCES responses(id),
  criterion ctext NOT NULL,
  value integer,
  PRIMARY KEY(response_id, criterion));
CREATE TABLE reasons(
  response_id ctext NOT NULL REFERENCES responses(id),
  reason ctext NOT NULL,
  PRIMARY KEY(response_id, reason));
CREATE TABLE quarantine(
  qid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kiosk_id ctext NOT NULL,
  response_id ctext,
  seq bigint,
  content_hash ctext NOT NULL,
  error ctext NOT NULL,
  raw ctext NOT NULL,
  batch_id ctext NOT NULL,
  received_at ctext NOT NULL);
CREATE INDEX quarantine_response ON quarantine(response_id, content_hash);
CREATE INDEX quarantine_kiosk ON quarantine(kiosk_id, qid);
CREATE TABLE findings(
  fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kiosk_id ctext NOT NULL,
  kind ctext NOT NULL,
  seq bigint,
  response_id ctext,
  detail ctext NOT NULL,
  created_at ctext NOT NULL);
CREATE INDEX findings_kiosk ON findings(kiosk_id, fid);
CREATE TABLE batches(
  batch_id ctext NOT NULL,
  kiosk_id ctext NOT NULL,
  received_at ctext NOT NULL,
  responses bigint NOT NULL,
  accepted bigint NOT NULL,
  duplicates bigint NOT NULL,
  rejected bigint NOT NULL);
CREATE TABLE rollup_detail(
  survey ctext NOT NULL, unit ctext NOT NULL, day ctext NOT NULL, counter ctext NOT NULL,
  officer ctext NOT NULL, procedure ctext NOT NULL, kind integer NOT NULL, key ctext NOT NULL,
  value integer NOT NULL, n bigint NOT NULL,
  PRIMARY KEY(survey, unit, day, counter, officer, procedure, kind, key, value));
CREATE TABLE rollup_day(
  survey ctext NOT NULL, unit ctext NOT NULL, day ctext NOT NULL, kind integer NOT NULL,
  key ctext NOT NULL, value integer NOT NULL, n bigint NOT NULL,
  PRIMARY KEY(survey, unit, day, kind, key, value));
CREATE TABLE rollup_month(
  survey ctext NOT NULL, unit ctext NOT NULL, month ctext NOT NULL, kind integer NOT NULL,
  key ctext NOT NULL, value integer NOT NULL, n bigint NOT NULL,
  PRIMARY KEY(survey, unit, month, kind, key, value));
CREATE TABLE sessions(
  token_hash ctext PRIMARY KEY,
  user_name ctext NOT NULL,
  csrf ctext NOT NULL,
  expires_ms bigint NOT NULL);
CREATE TABLE login_links(
  token_hash ctext PRIMARY KEY,
  user_name ctext NOT NULL,
  expires_ms bigint NOT NULL);
)sql",
    // Failed-login counts, shared by every server on the database.
    R"sql(
CREATE TABLE login_failures(
  key ctext PRIMARY KEY,
  failures integer NOT NULL,
  last_ms bigint NOT NULL,
  locked_until_ms bigint NOT NULL);
)sql",
    // As in the SQLite storage: answers and reasons keyed by the response's row number, which
    // grows, so that a batch appends to their indexes instead of touching them all over; the
    // burst check's index in time order per kiosk.
    R"sql(
DROP INDEX responses_burst;
CREATE INDEX responses_kiosk_time ON responses(kiosk_id, submitted_ms, answers_key);
ALTER TABLE responses ADD CONSTRAINT responses_rid_key UNIQUE (rid);
ALTER TABLE answers ADD COLUMN response_rid bigint;
UPDATE answers a SET response_rid = r.rid FROM responses r WHERE r.id = a.response_id;
ALTER TABLE answers DROP COLUMN response_id;
ALTER TABLE answers ALTER COLUMN response_rid SET NOT NULL,
  ADD PRIMARY KEY (response_rid, criterion);
ALTER TABLE reasons ADD COLUMN response_rid bigint;
UPDATE reasons x SET response_rid = r.rid FROM responses r WHERE r.id = x.response_id;
ALTER TABLE reasons DROP COLUMN response_id;
ALTER TABLE reasons ALTER COLUMN response_rid SET NOT NULL,
  ADD PRIMARY KEY (response_rid, reason);
ALTER TABLE kiosks SET (fillfactor = 50);
)sql",
    // As in the SQLite storage: the sums below each unit (filled after the last step).
    R"sql(
CREATE TABLE rollup_below_day(
  survey ctext NOT NULL, unit ctext NOT NULL, day ctext NOT NULL, kind integer NOT NULL,
  key ctext NOT NULL, value integer NOT NULL, n bigint NOT NULL,
  PRIMARY KEY(survey, unit, day, kind, key, value));
CREATE TABLE rollup_below_month(
  survey ctext NOT NULL, unit ctext NOT NULL, month ctext NOT NULL, kind integer NOT NULL,
  key ctext NOT NULL, value integer NOT NULL, n bigint NOT NULL,
  PRIMARY KEY(survey, unit, month, kind, key, value));
)sql",
    // A unit's sums are read from the index alone: PostgreSQL's heap keeps rows in the order
    // they came, so a province's year (its units' months) was one heap page per row read.
    R"sql(
ALTER TABLE rollup_day DROP CONSTRAINT rollup_day_pkey,
  ADD PRIMARY KEY (survey, unit, day, kind, key, value) INCLUDE (n);
ALTER TABLE rollup_month DROP CONSTRAINT rollup_month_pkey,
  ADD PRIMARY KEY (survey, unit, month, kind, key, value) INCLUDE (n);
ALTER TABLE rollup_below_day DROP CONSTRAINT rollup_below_day_pkey,
  ADD PRIMARY KEY (survey, unit, day, kind, key, value) INCLUDE (n);
ALTER TABLE rollup_below_month DROP CONSTRAINT rollup_below_month_pkey,
  ADD PRIMARY KEY (survey, unit, month, kind, key, value) INCLUDE (n);
)sql",
    // As in the SQLite storage: the latest health each kiosk sent, and its contacts.
    R"sql(
CREATE TABLE kiosk_health(
  kiosk_id ctext PRIMARY KEY REFERENCES kiosks(kiosk_id),
  contacts bigint NOT NULL,
  health text,
  received_at ctext,
  skew_ms bigint);
CREATE TABLE kiosk_contacts(
  kiosk_id ctext NOT NULL,
  n bigint NOT NULL,
  received_at ctext NOT NULL,
  received_ms bigint NOT NULL,
  responses bigint NOT NULL,
  accepted bigint NOT NULL,
  duplicates bigint NOT NULL,
  rejected bigint NOT NULL,
  health text,
  skew_ms bigint NOT NULL,
  PRIMARY KEY(kiosk_id, n));
CREATE INDEX kiosk_contacts_time ON kiosk_contacts(kiosk_id, received_ms);
)sql",
    // Issue 13: configuration bundles per unit and per kiosk (see sqlite_store.cpp).
    R"sql(
CREATE TABLE config_bundles(
  version bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  scope ctext NOT NULL CHECK (scope IN ('unit', 'kiosk')),
  scope_id ctext NOT NULL,
  content text,
  uploaded_by ctext NOT NULL,
  uploaded_at ctext NOT NULL);
CREATE INDEX config_bundles_scope ON config_bundles(scope, scope_id, version);
)sql",
    // Issue 13: alerts (see the SQLite storage's migration of the same issue).
    R"sql(
CREATE TABLE alert_rules(
  unit ctext PRIMARY KEY REFERENCES units(code),
  body ctext NOT NULL,
  updated_at ctext NOT NULL);
CREATE TABLE alert_cursor(
  one integer PRIMARY KEY CHECK (one = 1),
  response_rid bigint NOT NULL,
  finding_fid bigint NOT NULL);
CREATE TABLE alerts(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key ctext NOT NULL,
  kind ctext NOT NULL,
  unit ctext NOT NULL,
  kiosk_id ctext,
  state ctext NOT NULL,
  opened_ms bigint NOT NULL,
  last_seen_ms bigint NOT NULL,
  cleared_ms bigint,
  events bigint NOT NULL,
  detail ctext NOT NULL,
  detail_vi ctext NOT NULL DEFAULT '',
  acked_ms bigint,
  acked_by ctext);
CREATE UNIQUE INDEX alerts_open_key ON alerts(key) WHERE state = 'open';
CREATE INDEX alerts_unit ON alerts(unit, id);
CREATE TABLE alert_outbox(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id bigint NOT NULL REFERENCES alerts(id),
  event ctext NOT NULL,
  channel ctext NOT NULL,
  target ctext NOT NULL,
  secret ctext NOT NULL,
  payload ctext NOT NULL,
  attempts bigint NOT NULL DEFAULT 0,
  created_ms bigint NOT NULL,
  next_ms bigint NOT NULL,
  state ctext NOT NULL DEFAULT 'pending',
  done_ms bigint,
  last_error ctext NOT NULL DEFAULT '');
CREATE INDEX alert_outbox_due ON alert_outbox(next_ms) WHERE state = 'pending';
)sql",
    // Issue 15: improvement actions (see the SQLite storage's migration of the same issue).
    R"sql(
CREATE TABLE improvement_actions(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  unit ctext NOT NULL REFERENCES units(code),
  element ctext NOT NULL,
  criterion ctext NOT NULL DEFAULT '',
  what ctext NOT NULL,
  owner ctext NOT NULL,
  start_date ctext NOT NULL,
  deadline ctext NOT NULL,
  status ctext NOT NULL CHECK (status IN ('planned', 'in_progress', 'done')),
  created_by ctext NOT NULL,
  created_ms bigint NOT NULL,
  updated_by ctext NOT NULL,
  updated_ms bigint NOT NULL);
CREATE INDEX improvement_actions_unit ON improvement_actions(unit, start_date);
)sql"
};
// The first version with the below rollups: a database migrated past it has them filled from the
// day and month rollups.
constexpr std::size_t kBelowRollupsVersion = 4;

// The unit zones and questionnaire scales read while adding responses, kept for one pass.
class PgLookups final : public RollupLookups {
 public:
  explicit PgLookups(Conn& conn) : conn_(conn) {}

  Result<std::string> zone_of(const std::string& unit) override {
    if (auto it = unit_zone_.find(unit); it != unit_zone_.end()) return it->second;
    auto rows =
        conn_.exec("read unit time zone", "SELECT time_zone FROM units WHERE code = $1", {unit});
    if (!rows.is_ok()) return rows.status();
    std::string name = rows->size() ? rows->text(0, 0) : "Asia/Ho_Chi_Minh";
    unit_zone_[unit] = name;
    return name;
  }

  Result<std::vector<std::string>> ancestors_of(const std::string& unit) override {
    if (auto it = above_.find(unit); it != above_.end()) return it->second;
    // Nearest first; the unit tree has no cycles (import refuses them).
    auto rows = conn_.exec("read units above",
                           "WITH RECURSIVE up(code, depth) AS ("
                           "SELECT parent, 1 FROM units WHERE code = $1 AND parent IS NOT NULL "
                           "UNION ALL SELECT u.parent, up.depth + 1 FROM up JOIN units u "
                           "ON u.code = up.code WHERE u.parent IS NOT NULL AND up.depth < 64) "
                           "SELECT code FROM up ORDER BY depth",
                           {unit});
    if (!rows.is_ok()) return rows.status();
    std::vector<std::string> out;
    for (int i = 0; i < rows->size(); ++i) out.push_back(rows->text(i, 0));
    above_[unit] = out;
    return out;
  }

  Result<bool> is_points(const std::string& survey) override {
    if (auto it = points_.find(survey); it != points_.end()) return it->second;
    auto rows = conn_.exec("read survey scale",
                           "SELECT body FROM surveys WHERE id = $1 ORDER BY version DESC LIMIT 1",
                           {survey});
    if (!rows.is_ok()) return rows.status();
    const bool is = rows->size() && is_points_survey(rows->text(0, 0));
    points_[survey] = is;
    return is;
  }

 private:
  Conn& conn_;
  std::map<std::string, std::string> unit_zone_;
  std::map<std::string, bool> points_;
  std::map<std::string, std::vector<std::string>> above_;
};

// The below rollups again from the day and month rollups and the unit tree as it is now (after a
// unit moved to another parent, and to fill them the first time).
const char* const kRefillBelowSql = R"sql(
TRUNCATE rollup_below_day, rollup_below_month;
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

// Adds a detail-level slice (day, counter, officer and procedure filled) to the rollup tables
// (detail, day, month, and the day and month sums below each unit above): one statement per
// table, each key once, keys in one order in every transaction.
Status flush(Conn& conn, RollupLookups& lookups, const Slice& detail) {
  if (detail.empty()) return Status::ok();
  const RollupLevels levels = rollup_levels(detail);
  auto below = below_levels(lookups, levels);
  if (!below.is_ok()) return below.status();
  {
    ArrayParam survey, unit, day, counter, officer, procedure, kind, key, value, n;
    for (const auto& [k, t] : detail) {
      for_each_rollup_row(t, [&](int kd, const std::string& ky, int v, std::int64_t count) {
        survey.add(k.survey);
        unit.add(k.unit);
        day.add(k.day);
        counter.add(k.counter);
        officer.add(k.officer);
        procedure.add(k.procedure);
        kind.add(static_cast<std::int64_t>(kd));
        key.add(ky);
        value.add(static_cast<std::int64_t>(v));
        n.add(count);
      });
    }
    Status s = conn.run(
        "add to rollup_detail",
        "INSERT INTO rollup_detail AS r(survey, unit, day, counter, officer, procedure, kind, key, "
        "value, n) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
        "$5::text[], $6::text[], $7::int[], $8::text[], $9::int[], $10::bigint[]) "
        "ON CONFLICT (survey, unit, day, counter, officer, procedure, kind, key, value) "
        "DO UPDATE SET n = r.n + EXCLUDED.n",
        {survey.take(), unit.take(), day.take(), counter.take(), officer.take(), procedure.take(),
         kind.take(), key.take(), value.take(), n.take()});
    if (!s.is_ok()) return s;
  }
  auto write_level = [&](const auto& level, const char* table, const char* col) -> Status {
    ArrayParam survey, unit, period, kind, key, value, n;
    for (const auto& [k, t] : level) {
      for_each_rollup_row(t, [&](int kd, const std::string& ky, int v, std::int64_t count) {
        survey.add(std::get<0>(k));
        unit.add(std::get<1>(k));
        period.add(std::get<2>(k));
        kind.add(static_cast<std::int64_t>(kd));
        key.add(ky);
        value.add(static_cast<std::int64_t>(v));
        n.add(count);
      });
    }
    return conn.run(std::string("add to ") + table,
                    std::string("INSERT INTO ") + table + " AS r(survey, unit, " + col +
                        ", kind, key, value, n) SELECT * FROM unnest($1::text[], $2::text[], "
                        "$3::text[], $4::int[], $5::text[], $6::int[], $7::bigint[]) "
                        "ON CONFLICT (survey, unit, " +
                        col + ", kind, key, value) DO UPDATE SET n = r.n + EXCLUDED.n",
                    {survey.take(), unit.take(), period.take(), kind.take(), key.take(),
                     value.take(), n.take()});
  };
  Status s = write_level(levels.day, "rollup_day", "day");
  if (!s.is_ok()) return s;
  s = write_level(levels.month, "rollup_month", "month");
  if (!s.is_ok()) return s;
  if (below->day.empty()) return Status::ok();
  s = write_level(below->day, "rollup_below_day", "day");
  if (!s.is_ok()) return s;
  return write_level(below->month, "rollup_below_month", "month");
}

// Reads responses (with their answers and reasons) matching `where` (over responses aliased r,
// with $1... bound from `params`) through a cursor, a thousand at a time, and feeds them to `sink`
// one at a time. Runs inside the caller's transaction.
template <class Sink>
Status stream_facts(Conn& conn, const std::string& where, const std::vector<Param>& params,
                    Sink&& sink) {
  Status s = conn.run(
      "read responses",
      "DECLARE sipas_facts NO SCROLL CURSOR FOR "
      "SELECT r.survey_id, r.unit, r.counter, coalesce(r.officer, ''), r.submitted_ms, r.status, "
      "coalesce(r.procedure, ''), "
      "(SELECT string_agg(a.criterion || '=' || coalesce(a.value::text, ''), ' ' "
      "ORDER BY a.criterion) FROM answers a WHERE a.response_rid = r.rid), "
      "(SELECT string_agg(x.reason, ' ' ORDER BY x.reason) FROM reasons x "
      "WHERE x.response_rid = r.rid) FROM responses r WHERE " +
          where + " ORDER BY r.rid",
      params);
  if (!s.is_ok()) return s;
  for (;;) {
    auto rows = conn.exec("read responses", "FETCH 1000 FROM sipas_facts");
    if (!rows.is_ok()) return rows.status();
    for (int i = 0; i < rows->size(); ++i) {
      ResponseFacts f;
      f.survey = rows->text(i, 0);
      f.unit = rows->text(i, 1);
      f.counter = rows->text(i, 2);
      f.officer = rows->text(i, 3);
      f.submitted_at = from_unix_ms(rows->int64(i, 4));
      f.complete = rows->text(i, 5) == "complete";
      f.procedure = rows->text(i, 6);
      for (auto& [criterion, value] : answer_pairs(rows->text(i, 7))) {
        f.answers.emplace_back(criterion, value);
      }
      f.reasons = split_words(rows->text(i, 8));
      Status out = sink(f);
      if (!out.is_ok()) return out;
    }
    if (rows->size() < 1000) break;
  }
  return conn.run("read responses", "CLOSE sipas_facts");
}

// Empties the rollups and recomputes them from the raw rows inside the caller's transaction.
// TRUNCATE rather than DELETE: its lock makes a batch committing meanwhile either finish before
// the rows are read (and be counted from them) or add its sums after this commits, never both.
Status recompute_rollups(Conn& conn) {
  Status s = conn.run("empty the rollups",
                      "TRUNCATE rollup_detail, rollup_day, rollup_month, rollup_below_day, "
                      "rollup_below_month");
  if (!s.is_ok()) return s;
  PgLookups lk(conn);
  Slice slice;
  std::size_t pending = 0;
  const Needs all{true, true, true, true};
  // The cursor is a statement of its own: the sums are written while it is open.
  s = stream_facts(conn, "true", {}, [&](const ResponseFacts& f) -> Status {
    Status a = accumulate(lk, slice, f, all);
    if (!a.is_ok()) return a;
    if (++pending >= 50000) {
      a = flush(conn, lk, slice);
      slice.clear();
      pending = 0;
    }
    return a;
  });
  if (!s.is_ok()) return s;
  return flush(conn, lk, slice);
}

KioskRecord read_kiosk(const Rows& q, int i) {
  KioskRecord k;
  k.kiosk_id = q.text(i, 0);
  k.unit = q.text(i, 1);
  k.created_at = q.text(i, 2);
  k.revoked_at = q.opt_text(i, 3);
  k.last_contact = q.opt_text(i, 4);
  k.last_seq = q.int64(i, 5);
  k.acked_seq = q.int64(i, 6);
  return k;
}

constexpr const char* kKioskColumns =
    "kiosk_id, unit, created_at, revoked_at, last_contact, last_seq, acked_seq";

UnitRecord read_unit(const Rows& q, int i) {
  return {q.text(i, 0), q.text(i, 1), q.opt_text(i, 2), q.text(i, 3)};
}

UserRecord user_row(const Rows& q, int i) {
  return user_of(q.text(i, 0), q.text(i, 1), q.opt_text(i, 2));
}

std::int64_t limit_of(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
}

}  // namespace

Result<std::unique_ptr<PgServerStore>> PgServerStore::open(const std::string& conninfo) {
  auto conn = Conn::open(conninfo);
  if (!conn.is_ok()) return conn.status();
  std::unique_ptr<PgServerStore> store(new PgServerStore(std::move(conn).value()));
  Status s = store->migrate();
  if (!s.is_ok()) return s;
  return store;
}

Status PgServerStore::migrate() {
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  // Servers starting together wait here for each other; the first migrates, the others find the
  // schema current.
  Status s = conn_->run("lock the schema", "SELECT pg_advisory_xact_lock($1)", {kMigrationLock});
  if (!s.is_ok()) return s;
  // Looked up before creating: CREATE ... IF NOT EXISTS would need the right to create tables on
  // every start, which a server's role may not have once the schema is there.
  auto exists = conn_->exec(
      "read the schema version",
      "SELECT to_regclass('schema_version') IS NOT NULL, current_setting('server_encoding')");
  if (!exists.is_ok()) return exists.status();
  // Responses are UTF-8 (Vietnamese); a database in another encoding would refuse some of them.
  if (const std::string encoding = exists->text(0, 1); encoding != "UTF8") {
    return Status::error(ErrorCode::invalid_argument,
                         conn_->label() + ": the database's encoding is " + encoding +
                             "; create it with ENCODING 'UTF8'");
  }
  if (!exists->boolean(0, 0)) {
    s = conn_->run("create the schema version",
                   "CREATE TABLE schema_version(version integer NOT NULL)");
    if (!s.is_ok()) return s;
  }
  auto rows = conn_->exec("read the schema version", "SELECT version FROM schema_version");
  if (!rows.is_ok()) return rows.status();
  std::size_t version = 0;
  if (rows->size() == 0) {
    s = conn_->run("set the schema version", "INSERT INTO schema_version(version) VALUES (0)");
    if (!s.is_ok()) return s;
  } else {
    version = static_cast<std::size_t>(rows->int64(0, 0));
  }
  constexpr std::size_t kLatest = std::size(kPgMigrations);
  if (version > kLatest) {
    return Status::error(ErrorCode::corrupt, conn_->label() + ": schema version " +
                                                 std::to_string(version) +
                                                 " is newer than this sipas-server knows (" +
                                                 std::to_string(kLatest) + ")");
  }
  if (version == kLatest) return tx.commit();
  const bool refill = version < kBelowRollupsVersion;
  for (; version < kLatest; ++version) {
    s = conn_->run("migrate to schema version " + std::to_string(version + 1),
                   kPgMigrations[version]);
    if (!s.is_ok()) return s;
  }
  if (refill) {
    s = conn_->run("fill the below rollups", kRefillBelowSql);
    if (!s.is_ok()) return s;
  }
  s = conn_->run("set the schema version", "UPDATE schema_version SET version = $1",
                 {static_cast<std::int64_t>(kLatest)});
  if (!s.is_ok()) return s;
  return tx.commit();
}

Status PgServerStore::import_units(const std::vector<UnitRecord>& units) {
  if (Status s = check_units(units); !s.is_ok()) return s;
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  UnitWrites writes;
  writes.exists = [&](const std::string& code) -> Result<bool> {
    auto known = unit(code);
    if (!known.is_ok()) return known.status();
    return known->has_value();
  };
  writes.subtree = [&](const std::string& code) { return unit_subtree(code); };
  bool moved = false;  // an existing unit got another parent: the below rollups are refilled
  writes.upsert = [&](const UnitRecord& u) -> Status {
    auto known = unit(u.code);
    if (!known.is_ok()) return known.status();
    if (*known && (*known)->parent != u.parent) moved = true;
    return conn_->run(
        "insert unit",
        "INSERT INTO units(code, name, parent, time_zone) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT(code) DO UPDATE SET name = EXCLUDED.name, parent = EXCLUDED.parent, "
        "time_zone = EXCLUDED.time_zone",
        {u.code, u.name, u.parent, u.time_zone});
  };
  if (Status s = write_units_in_order(units, writes); !s.is_ok()) return s;
  if (moved) {
    if (Status s = conn_->run("refill the below rollups", kRefillBelowSql); !s.is_ok()) return s;
  }
  return tx.commit();
}

Result<std::vector<UnitRecord>> PgServerStore::units() {
  auto rows =
      conn_->exec("list units", "SELECT code, name, parent, time_zone FROM units ORDER BY code");
  if (!rows.is_ok()) return rows.status();
  std::vector<UnitRecord> out;
  for (int i = 0; i < rows->size(); ++i) out.push_back(read_unit(*rows, i));
  return out;
}

Result<std::optional<UnitRecord>> PgServerStore::unit(const std::string& code) {
  auto rows = conn_->exec(
      "find unit", "SELECT code, name, parent, time_zone FROM units WHERE code = $1", {code});
  if (!rows.is_ok()) return rows.status();
  std::optional<UnitRecord> out;
  if (rows->size()) out = read_unit(*rows, 0);
  return out;
}

Result<std::vector<std::string>> PgServerStore::unit_subtree(const std::string& code) {
  auto rows = conn_->exec("unit subtree",
                          "WITH RECURSIVE below(code) AS (SELECT code FROM units WHERE code = $1 "
                          "UNION SELECT u.code FROM units u JOIN below b ON u.parent = b.code) "
                          "SELECT code FROM below",
                          {code});
  if (!rows.is_ok()) return rows.status();
  std::vector<std::string> out;
  for (int i = 0; i < rows->size(); ++i) out.push_back(rows->text(i, 0));
  return out;
}

Status PgServerStore::add_kiosk(const std::string& kiosk_id, const std::string& unit_code,
                                const std::string& token_hash, TimePoint now) {
  if (Status s = check_code("kiosk id", kiosk_id); !s.is_ok()) return s;
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto u = unit(unit_code);
  if (!u.is_ok()) return u.status();
  if (!*u) return Status::error(ErrorCode::not_found, "unknown unit " + unit_code);
  Status s = conn_->run(
      "add kiosk",
      "INSERT INTO kiosks(kiosk_id, unit, token_hash, created_at) VALUES ($1, $2, $3, $4)",
      {kiosk_id, unit_code, token_hash, format_rfc3339(now)});
  if (s.code() == ErrorCode::conflict) {
    return Status::error(ErrorCode::conflict, "kiosk " + kiosk_id + " already exists");
  }
  if (!s.is_ok()) return s;
  return tx.commit();
}

Status PgServerStore::revoke_kiosk(const std::string& kiosk_id, TimePoint now) {
  auto rows = conn_->exec(
      "revoke kiosk", "UPDATE kiosks SET revoked_at = coalesce(revoked_at, $1) WHERE kiosk_id = $2",
      {format_rfc3339(now), kiosk_id});
  if (!rows.is_ok()) return rows.status();
  if (rows->affected() == 0)
    return Status::error(ErrorCode::not_found, "unknown kiosk " + kiosk_id);
  return Status::ok();
}

Status PgServerStore::set_kiosk_token(const std::string& kiosk_id, const std::string& token_hash) {
  auto rows = conn_->exec(
      "set kiosk token", "UPDATE kiosks SET token_hash = $1, revoked_at = NULL WHERE kiosk_id = $2",
      {token_hash, kiosk_id});
  if (!rows.is_ok()) return rows.status();
  if (rows->affected() == 0)
    return Status::error(ErrorCode::not_found, "unknown kiosk " + kiosk_id);
  return Status::ok();
}

Result<std::optional<KioskRecord>> PgServerStore::kiosk_by_token_hash(
    const std::string& token_hash) {
  auto rows = conn_->exec(
      "find kiosk", std::string("SELECT ") + kKioskColumns + " FROM kiosks WHERE token_hash = $1",
      {token_hash});
  if (!rows.is_ok()) return rows.status();
  std::optional<KioskRecord> out;
  if (rows->size()) out = read_kiosk(*rows, 0);
  return out;
}

Result<std::vector<KioskRecord>> PgServerStore::kiosks() {
  auto rows = conn_->exec(
      "list kiosks", std::string("SELECT ") + kKioskColumns + " FROM kiosks ORDER BY kiosk_id");
  if (!rows.is_ok()) return rows.status();
  std::vector<KioskRecord> out;
  for (int i = 0; i < rows->size(); ++i) out.push_back(read_kiosk(*rows, i));
  return out;
}

Status PgServerStore::add_user(const UserRecord& user) {
  if (Status s = check_code("user name", user.name); !s.is_ok()) return s;
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  if (user.unit) {
    auto u = unit(*user.unit);
    if (!u.is_ok()) return u.status();
    if (!*u) return Status::error(ErrorCode::not_found, "unknown unit " + *user.unit);
  }
  Status s =
      conn_->run("add user",
                 "INSERT INTO users(name, password_hash, unit, created_at) VALUES ($1, $2, $3, $4)",
                 {user.name, user.password_hash, user.unit, format_rfc3339(SystemClock().now())});
  if (s.code() == ErrorCode::conflict) {
    return Status::error(ErrorCode::conflict, "user " + user.name + " already exists");
  }
  if (!s.is_ok()) return s;
  return tx.commit();
}

Result<std::optional<UserRecord>> PgServerStore::user(const std::string& name) {
  auto rows = conn_->exec("find user",
                          "SELECT name, password_hash, unit FROM users WHERE name = $1", {name});
  if (!rows.is_ok()) return rows.status();
  std::optional<UserRecord> out;
  if (rows->size()) out = user_row(*rows, 0);
  return out;
}

Result<std::vector<UserRecord>> PgServerStore::users() {
  auto rows =
      conn_->exec("list users", "SELECT name, password_hash, unit FROM users ORDER BY name");
  if (!rows.is_ok()) return rows.status();
  std::vector<UserRecord> out;
  for (int i = 0; i < rows->size(); ++i) out.push_back(user_row(*rows, i));
  return out;
}

Result<std::int64_t> PgServerStore::end_sessions_of(const std::string& name) {
  auto rows =
      conn_->exec("end the user's sessions", "DELETE FROM sessions WHERE user_name = $1", {name});
  if (!rows.is_ok()) return rows.status();
  const std::int64_t ended = rows->affected();
  Status s = conn_->run("end the user's login links",
                        "DELETE FROM login_links WHERE user_name = $1", {name});
  if (!s.is_ok()) return s;
  return ended;
}

Status PgServerStore::change_user(const std::string& name, const std::string& sql, const char* what,
                                  const std::vector<Param>& params, bool end_sessions) {
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto rows = conn_->exec(what, sql, params);
  if (!rows.is_ok()) return rows.status();
  if (rows->affected() == 0) return Status::error(ErrorCode::not_found, "unknown user " + name);
  if (end_sessions) {
    auto ended = end_sessions_of(name);
    if (!ended.is_ok()) return ended.status();
  }
  return tx.commit();
}

Status PgServerStore::set_user_password(const std::string& name, const std::string& password_hash) {
  // A disabled user stays disabled, with the new password behind the mark.
  return change_user(name,
                     "UPDATE users SET password_hash = CASE WHEN substr(password_hash, 1, 1) = '!' "
                     "THEN '!' || $1 ELSE $1 END WHERE name = $2",
                     "set password", {password_hash, name}, true);
}

Status PgServerStore::set_user_disabled(const std::string& name, bool disabled) {
  const char* sql =
      disabled ? "UPDATE users SET password_hash = '!' || password_hash WHERE name = $1 "
                 "AND substr(password_hash, 1, 1) <> '!'"
               : "UPDATE users SET password_hash = substr(password_hash, 2) WHERE name = $1 "
                 "AND substr(password_hash, 1, 1) = '!'";
  auto known = user(name);
  if (!known.is_ok()) return known.status();
  if (!*known) return Status::error(ErrorCode::not_found, "unknown user " + name);
  if ((*known)->disabled == disabled) {
    // Already so; a disable still makes sure no session is left.
    return disabled ? end_sessions_of(name).status() : Status::ok();
  }
  return change_user(name, sql, disabled ? "disable user" : "enable user", {name}, disabled);
}

Status PgServerStore::delete_user(const std::string& name) {
  return change_user(name, "DELETE FROM users WHERE name = $1", "delete user", {name}, true);
}

Result<std::int64_t> PgServerStore::end_user_sessions(const std::string& name) {
  auto known = user(name);
  if (!known.is_ok()) return known.status();
  if (!*known) return Status::error(ErrorCode::not_found, "unknown user " + name);
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto ended = end_sessions_of(name);
  if (!ended.is_ok()) return ended.status();
  Status s = tx.commit();
  if (!s.is_ok()) return s;
  return *ended;
}

Result<NewSession> PgServerStore::create_session(const std::string& user, TimePoint now) {
  if (Status s = check_may_log_in(this->user(user), user); !s.is_ok()) return s;
  NewSession out;
  out.token = random_token(32);
  out.session.user = user;
  out.session.csrf = random_token(16);
  Status s = conn_->run("drop expired sessions", "DELETE FROM sessions WHERE expires_ms < $1",
                        {unix_ms(now)});
  if (!s.is_ok()) return s;
  s = conn_->run(
      "create session",
      "INSERT INTO sessions(token_hash, user_name, csrf, expires_ms) VALUES ($1, $2, $3, $4)",
      {sha256_hex(out.token), user, out.session.csrf, unix_ms(now + kSessionLifetime)});
  if (!s.is_ok()) return s;
  auto found = find_session(out.token, now);
  if (!found.is_ok()) return found.status();
  if (*found) out.session = **found;
  return out;
}

Result<std::optional<Session>> PgServerStore::find_session(const std::string& token,
                                                           TimePoint now) {
  std::optional<Session> out;
  if (token.empty()) return out;
  auto rows = conn_->exec(
      "find session",
      "SELECT s.user_name, u.unit, s.csrf FROM sessions s JOIN users u ON u.name = s.user_name "
      "WHERE s.token_hash = $1 AND s.expires_ms > $2 AND substr(u.password_hash, 1, 1) <> '!'",
      {sha256_hex(token), unix_ms(now)});
  if (!rows.is_ok()) return rows.status();
  if (rows->size()) out = Session{rows->text(0, 0), rows->opt_text(0, 1), rows->text(0, 2)};
  return out;
}

Result<TimePoint> PgServerStore::throttle_locked_until(const std::vector<std::string>& keys) {
  ArrayParam k;
  for (const std::string& key : keys) k.add(key);
  auto rows = conn_->exec("read login failures",
                          "SELECT COALESCE(MAX(locked_until_ms), 0) FROM login_failures "
                          "WHERE key = ANY($1::text[])",
                          {k.take()});
  if (!rows.is_ok()) return rows.status();
  return from_unix_ms(rows->int64(0, 0));
}

Status PgServerStore::update_throttle(const std::string& key, TimePoint now,
                                      std::chrono::seconds forget_after,
                                      const std::function<void(ThrottleEntry&)>& change) {
  // The row is made if missing, then locked: two servers counting a failure for one key at once
  // take turns, and neither count is lost.
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  Status s = conn_->run("count a login failure",
                        "INSERT INTO login_failures(key, failures, last_ms, locked_until_ms) "
                        "VALUES ($1, 0, 0, 0) ON CONFLICT (key) DO NOTHING",
                        {key});
  if (!s.is_ok()) return s;
  auto rows = conn_->exec("read login failures",
                          "SELECT failures, last_ms, locked_until_ms FROM login_failures "
                          "WHERE key = $1 FOR UPDATE",
                          {key});
  if (!rows.is_ok()) return rows.status();
  ThrottleEntry e;
  if (rows->size()) {
    e.failures = static_cast<int>(rows->int64(0, 0));
    e.last = from_unix_ms(rows->int64(0, 1));
    e.locked_until = from_unix_ms(rows->int64(0, 2));
  }
  change(e);
  s = conn_->run("count a login failure",
                 "UPDATE login_failures SET failures = $2, last_ms = $3, locked_until_ms = $4 "
                 "WHERE key = $1",
                 {key, static_cast<std::int64_t>(e.failures), unix_ms(e.last), unix_ms(e.locked_until)});
  if (!s.is_ok()) return s;
  s = conn_->run("forget old login failures",
                 "DELETE FROM login_failures WHERE last_ms < $1 AND locked_until_ms <= $2",
                 {unix_ms(now - forget_after), unix_ms(now)});
  if (!s.is_ok()) return s;
  return tx.commit();
}

Status PgServerStore::forget_throttle(const std::vector<std::string>& keys) {
  ArrayParam k;
  for (const std::string& key : keys) k.add(key);
  return conn_->run("forget login failures", "DELETE FROM login_failures WHERE key = ANY($1::text[])",
                    {k.take()});
}

Status PgServerStore::end_session(const std::string& token) {
  return conn_->run("end session", "DELETE FROM sessions WHERE token_hash = $1",
                    {sha256_hex(token)});
}

Result<std::string> PgServerStore::create_login_link(const std::string& user, TimePoint now) {
  if (Status s = check_may_log_in(this->user(user), user); !s.is_ok()) return s;
  std::string token = random_token(32);
  Status s =
      conn_->run("create login link",
                 "INSERT INTO login_links(token_hash, user_name, expires_ms) VALUES ($1, $2, $3)",
                 {sha256_hex(token), user, unix_ms(now + kLoginLinkLifetime)});
  if (!s.is_ok()) return s;
  return token;
}

Result<std::optional<std::string>> PgServerStore::redeem_login_link(const std::string& token,
                                                                    TimePoint now) {
  if (token.empty()) return std::optional<std::string>();
  // A link is used once: the row goes whether or not it has expired.
  auto rows =
      conn_->exec("use login link",
                  "DELETE FROM login_links WHERE token_hash = $1 RETURNING user_name, expires_ms",
                  {sha256_hex(token)});
  if (!rows.is_ok()) return rows.status();
  if (rows->size() == 0 || rows->int64(0, 1) <= unix_ms(now)) {
    return std::optional<std::string>();
  }
  std::optional<std::string> user = rows->text(0, 0);
  auto known = this->user(*user);
  if (!known.is_ok()) return known.status();
  if (!*known || (*known)->disabled) return std::optional<std::string>();
  return user;
}

Status PgServerStore::import_procedures(const std::vector<ProcedureRecord>& procedures) {
  if (Status s = check_procedures(procedures); !s.is_ok()) return s;
  if (procedures.empty()) return Status::ok();
  ArrayParam codes, names;
  for (const auto& p : procedures) {
    codes.add(p.code);
    names.add(procedure_names_text(p));
  }
  // One statement, one transaction. A code listed twice keeps its last entry, as the SQLite
  // storage's one upsert per entry does.
  return conn_->run(
      "store procedure",
      "INSERT INTO procedures(code, name, updated_at) "
      "SELECT DISTINCT ON (c) c, n, $3 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY "
      "AS x(c, n, i) ORDER BY c, i DESC "
      "ON CONFLICT(code) DO UPDATE SET name = EXCLUDED.name, updated_at = EXCLUDED.updated_at",
      {codes.take(), names.take(), format_rfc3339(SystemClock().now())});
}

Result<std::vector<ProcedureRecord>> PgServerStore::procedures() {
  auto rows = conn_->exec("list procedures", "SELECT code, name FROM procedures ORDER BY code");
  if (!rows.is_ok()) return rows.status();
  std::vector<ProcedureRecord> out;
  for (int i = 0; i < rows->size(); ++i)
    out.push_back(procedure_of(rows->text(i, 0), rows->text(i, 1)));
  return out;
}

Status PgServerStore::put_survey(const std::string& id, int version, const std::string& json_text) {
  return conn_->run("store survey",
                    "INSERT INTO surveys(id, version, body, imported_at) VALUES ($1, $2, $3, $4) "
                    "ON CONFLICT(id, version) DO UPDATE SET body = EXCLUDED.body, "
                    "imported_at = EXCLUDED.imported_at",
                    {id, version, json_text, format_rfc3339(SystemClock().now())});
}

Result<std::vector<std::string>> PgServerStore::survey_texts() {
  auto rows = conn_->exec("list surveys", "SELECT body FROM surveys ORDER BY id, version");
  if (!rows.is_ok()) return rows.status();
  std::vector<std::string> out;
  for (int i = 0; i < rows->size(); ++i) out.push_back(rows->text(i, 0));
  return out;
}

namespace {

// What plan_ingest() asks, read for the whole batch in four statements before it is planned
// (the answers stay in memory for the batch), inside the batch's transaction.
class PgIngestLookups final : public IngestLookups {
 public:
  PgIngestLookups(Conn& conn, const std::string& kiosk_id) : conn_(conn), kiosk_id_(kiosk_id) {}

  Status prefetch(const ParsedBatch& batch) {
    ArrayParam ids, seqs, keys, from, to;
    std::set<std::int64_t> wanted;
    for (const auto& p : batch.responses) {
      ids.add(p.id);
      wanted.insert(p.seq);
      if (p.seq > 1) wanted.insert(p.seq - 1);
      if (p.response && !p.response->answers.empty()) {
        const std::int64_t t = unix_ms(p.response->submitted_at);
        keys.add(p.answers_key);
        from.add(t - kBurstWindow.count());
        to.add(t);
        burst_.emplace(std::make_tuple(p.answers_key, t - kBurstWindow.count(), t), 0);
      }
    }
    for (std::int64_t s : wanted) {
      seqs.add(s);
      at_seq_[s];
    }
    const std::string id_list = ids.take();
    auto stored =
        conn_.exec("find responses",
                   "SELECT id, content_hash FROM responses WHERE id = ANY($1::text[])", {id_list});
    if (!stored.is_ok()) return stored.status();
    for (int i = 0; i < stored->size(); ++i) content_[stored->text(i, 0)] = stored->text(i, 1);
    for (const auto& p : batch.responses) content_.try_emplace(p.id);

    auto kept = conn_.exec("find quarantined",
                           "SELECT DISTINCT response_id, content_hash FROM quarantine "
                           "WHERE response_id = ANY($1::text[])",
                           {id_list});
    if (!kept.is_ok()) return kept.status();
    for (int i = 0; i < kept->size(); ++i)
      quarantined_.insert({kept->text(i, 0), kept->text(i, 1)});
    quarantine_known_ = true;

    auto at = conn_.exec("find seqs",
                         "SELECT seq, id, hash FROM responses WHERE kiosk_id = $1 "
                         "AND seq = ANY($2::bigint[]) ORDER BY seq, rid",
                         {kiosk_id_, seqs.take()});
    if (!at.is_ok()) return at.status();
    for (int i = 0; i < at->size(); ++i) {
      at_seq_[at->int64(i, 0)].push_back({at->text(i, 1), at->text(i, 2)});
    }

    if (keys.size() == 0) return Status::ok();
    auto counted = conn_.exec(
        "count identical answers",
        "SELECT k.key, k.f, k.t, (SELECT count(*) FROM responses r WHERE r.kiosk_id = $1 "
        "AND r.answers_key = k.key AND r.submitted_ms BETWEEN k.f AND k.t) "
        "FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS k(key, f, t)",
        {kiosk_id_, keys.take(), from.take(), to.take()});
    if (!counted.is_ok()) return counted.status();
    for (int i = 0; i < counted->size(); ++i) {
      burst_[{counted->text(i, 0), counted->int64(i, 1), counted->int64(i, 2)}] =
          counted->int64(i, 3);
    }
    return Status::ok();
  }

  // Anything not read ahead (plan_ingest asks only for what prefetch() read) is read now.
  Result<std::optional<std::string>> stored_content_hash(const std::string& id) override {
    if (auto it = content_.find(id); it != content_.end()) return it->second;
    auto rows =
        conn_.exec("find response", "SELECT content_hash FROM responses WHERE id = $1", {id});
    if (!rows.is_ok()) return rows.status();
    return rows->size() ? std::optional<std::string>(rows->text(0, 0)) : std::nullopt;
  }

  Result<bool> quarantined(const std::string& id, const std::string& content_hash) override {
    if (quarantine_known_ && content_.count(id)) return quarantined_.count({id, content_hash}) > 0;
    auto rows =
        conn_.exec("find quarantined",
                   "SELECT 1 FROM quarantine WHERE response_id = $1 AND content_hash = $2 LIMIT 1",
                   {id, content_hash});
    if (!rows.is_ok()) return rows.status();
    return rows->size() > 0;
  }

  Result<std::vector<AtSeq>> at_seq(std::int64_t seq) override {
    if (auto it = at_seq_.find(seq); it != at_seq_.end()) return it->second;
    auto rows = conn_.exec(
        "find seq", "SELECT id, hash FROM responses WHERE kiosk_id = $1 AND seq = $2 ORDER BY rid",
        {kiosk_id_, seq});
    if (!rows.is_ok()) return rows.status();
    std::vector<AtSeq> out;
    for (int i = 0; i < rows->size(); ++i) out.push_back({rows->text(i, 0), rows->text(i, 1)});
    return out;
  }

  Result<std::int64_t> identical_answers(const std::string& answers_key, std::int64_t from_ms,
                                         std::int64_t to_ms) override {
    if (auto it = burst_.find({answers_key, from_ms, to_ms}); it != burst_.end()) return it->second;
    auto rows =
        conn_.exec("count identical answers",
                   "SELECT count(*) FROM responses WHERE kiosk_id = $1 AND answers_key = $2 "
                   "AND submitted_ms BETWEEN $3 AND $4",
                   {kiosk_id_, answers_key, from_ms, to_ms});
    if (!rows.is_ok()) return rows.status();
    return rows->int64(0, 0);
  }

 private:
  Conn& conn_;
  const std::string& kiosk_id_;
  std::map<std::string, std::optional<std::string>> content_;  // every id of the batch
  std::set<std::pair<std::string, std::string>> quarantined_;
  bool quarantine_known_ = false;
  std::map<std::int64_t, std::vector<AtSeq>> at_seq_;
  std::map<std::tuple<std::string, std::int64_t, std::int64_t>, std::int64_t> burst_;
};

}  // namespace

Result<BatchReply> PgServerStore::ingest(const KioskRecord& kiosk, const ParsedBatch& batch,
                                         TimePoint now, IngestTiming* timing) {
  auto started = std::chrono::steady_clock::now();
  const std::string received_at = format_rfc3339(now);
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();

  // The kiosk's row, locked until commit: another server's batch of this kiosk waits here, then
  // sees this one's responses as stored.
  KioskProgress before;
  {
    auto rows = conn_->exec(
        "read kiosk",
        "SELECT acked_seq, last_seq, last_skew_ms FROM kiosks WHERE kiosk_id = $1 FOR UPDATE",
        {kiosk.kiosk_id});
    if (!rows.is_ok()) return rows.status();
    if (rows->size() == 0)
      return Status::error(ErrorCode::not_found, "unknown kiosk " + kiosk.kiosk_id);
    before.acked_seq = rows->int64(0, 0);
    before.last_seq = rows->int64(0, 1);
    before.last_skew_ms = rows->opt_int64(0, 2);
  }
  PgIngestLookups lookups(*conn_, kiosk.kiosk_id);
  if (Status s = lookups.prefetch(batch); !s.is_ok()) return s;
  auto planned = plan_ingest(batch, before, now, lookups);
  if (!planned.is_ok()) return planned.status();
  const IngestPlan& plan = *planned;

  if (!plan.quarantine.empty()) {
    ArrayParam id, seq, hash, error, raw;
    for (const PlannedQuarantine& q : plan.quarantine) {
      id.add(q.response->id);
      seq.add(q.response->seq);
      hash.add(q.response->content_hash);
      error.add(q.error);
      raw.add(q.response->canonical);
    }
    Status s = conn_->run(
        "quarantine responses",
        "INSERT INTO quarantine(kiosk_id, response_id, seq, content_hash, error, raw, batch_id, "
        "received_at) SELECT $1, x.id, x.seq, x.h, x.e, x.raw, $7, $8 FROM unnest($2::text[], "
        "$3::bigint[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY "
        "AS x(id, seq, h, e, raw, i) ORDER BY x.i",
        {kiosk.kiosk_id, id.take(), seq.take(), hash.take(), error.take(), raw.take(),
         batch.batch_id, received_at});
    if (!s.is_ok()) return s;
  }

  std::vector<const Response*> stored;  // added to the score rollups in this transaction
  if (!plan.accepted.empty()) {
    ArrayParam id, seq, prev_hash, hash, content_hash, answers_key, survey_id, survey_version, unit,
        counter, officer, dossier, language, started_at, submitted_at, submitted_ms, status,
        comment, raw, procedure;
    ArrayParam a_id, a_criterion, a_value, x_id, x_reason;
    for (const ParsedResponse* p : plan.accepted) {
      const Response& r = *p->response;
      id.add(p->id);
      seq.add(p->seq);
      prev_hash.add(r.prev_hash);
      hash.add(r.hash);
      content_hash.add(p->content_hash);
      answers_key.add(p->answers_key);
      survey_id.add(r.survey_id);
      survey_version.add(static_cast<std::int64_t>(r.survey_version));
      unit.add(r.unit);
      counter.add(r.counter);
      officer.add(r.officer);
      dossier.add(r.dossier);
      language.add(r.language);
      started_at.add(format_rfc3339(r.started_at));
      submitted_at.add(format_rfc3339(r.submitted_at));
      submitted_ms.add(unix_ms(r.submitted_at));
      status.add(to_string(r.status));
      comment.add(r.comment);
      raw.add(p->canonical);
      procedure.add(r.procedure);
      for (const Answer& a : r.answers) {
        a_id.add(p->id);
        a_criterion.add(a.criterion);
        a_value.add(a.value);
      }
      for (const std::string& reason : r.reasons) {
        x_id.add(p->id);
        x_reason.add(reason);
      }
      stored.push_back(&r);
    }
    // One statement: the responses, then their answers and reasons keyed by the row numbers the
    // responses were just given.
    Status s = conn_->run(
        "insert responses",
        "WITH ins AS (INSERT INTO responses(id, kiosk_id, seq, prev_hash, hash, content_hash, "
        "answers_key, survey_id, survey_version, unit, counter, officer, dossier, language, "
        "started_at, submitted_at, submitted_ms, status, comment, batch_id, received_at, raw, "
        "procedure) "
        "SELECT x.id, $1, x.seq, x.prev_hash, x.hash, x.content_hash, x.answers_key, x.survey_id, "
        "x.survey_version, x.unit, x.counter, x.officer, x.dossier, x.language, x.started_at, "
        "x.submitted_at, x.submitted_ms, x.status, x.comment, $2, $3, x.raw, x.procedure "
        "FROM unnest($4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], "
        "$10::text[], $11::int[], $12::text[], $13::text[], $14::text[], $15::text[], "
        "$16::text[], $17::text[], $18::text[], $19::bigint[], $20::text[], $21::text[], "
        "$22::text[], $23::text[]) WITH ORDINALITY AS x(id, seq, prev_hash, hash, content_hash, "
        "answers_key, survey_id, survey_version, unit, counter, officer, dossier, language, "
        "started_at, submitted_at, submitted_ms, status, comment, raw, procedure, i) ORDER BY x.i "
        "RETURNING id, rid), "
        "a AS (INSERT INTO answers(response_rid, criterion, value) "
        "SELECT ins.rid, v.criterion, v.value FROM unnest($24::text[], $25::text[], $26::int[]) "
        "AS v(id, criterion, value) JOIN ins ON ins.id = v.id) "
        "INSERT INTO reasons(response_rid, reason) SELECT ins.rid, v.reason "
        "FROM unnest($27::text[], $28::text[]) AS v(id, reason) JOIN ins ON ins.id = v.id",
        {kiosk.kiosk_id,     batch.batch_id,      received_at,           id.take(),
         seq.take(),         prev_hash.take(),    hash.take(),           content_hash.take(),
         answers_key.take(), survey_id.take(),    survey_version.take(), unit.take(),
         counter.take(),     officer.take(),      dossier.take(),        language.take(),
         started_at.take(),  submitted_at.take(), submitted_ms.take(),   status.take(),
         comment.take(),     raw.take(),          procedure.take(),      a_id.take(),
         a_criterion.take(), a_value.take(),      x_id.take(),           x_reason.take()});
    if (s.code() == ErrorCode::conflict) {
      // Only another kiosk's batch can have stored one of these ids since they were looked up
      // (this kiosk's are serialised by its row lock): sent again, the batch sees it stored.
      return Status::error(ErrorCode::busy, s.message());
    }
    if (!s.is_ok()) return s;
  }

  if (!plan.findings.empty()) {
    ArrayParam kind, seq, response_id, detail;
    for (const PlannedFinding& f : plan.findings) {
      kind.add(f.kind);
      if (f.seq) {
        seq.add(*f.seq);
      } else {
        seq.add_null();
      }
      response_id.add(f.response_id);
      detail.add(f.detail);
    }
    Status s = conn_->run(
        "insert findings",
        "INSERT INTO findings(kiosk_id, kind, seq, response_id, detail, created_at) "
        "SELECT $1, x.kind, x.seq, x.rid, x.detail, $2 FROM unnest($3::text[], $4::bigint[], "
        "$5::text[], $6::text[]) WITH ORDINALITY AS x(kind, seq, rid, detail, i) ORDER BY x.i",
        {kiosk.kiosk_id, received_at, kind.take(), seq.take(), response_id.take(), detail.take()});
    if (!s.is_ok()) return s;
  }

  // A heartbeat (no responses) is not logged in batches, which is never pruned: 288 a day per
  // kiosk would soon outweigh the real batches. Its contact is kept (kiosk_contacts, pruned).
  Status s = conn_->run(
      "update kiosk",
      "WITH k AS (UPDATE kiosks SET last_contact = $3, last_seq = $4, acked_seq = $5, "
      "last_skew_ms = $6 WHERE kiosk_id = $2) "
      "INSERT INTO batches(batch_id, kiosk_id, received_at, responses, accepted, duplicates, "
      "rejected) SELECT $1, $2, $3, $7::bigint, $8::bigint, $9::bigint, $10::bigint "
      "WHERE $7::bigint > 0",
      {batch.batch_id, kiosk.kiosk_id, received_at, plan.kiosk.last_seq, plan.kiosk.acked_seq,
       plan.kiosk.last_skew_ms, static_cast<std::int64_t>(batch.responses.size()),
       plan.reply.accepted, plan.reply.duplicates,
       static_cast<std::int64_t>(plan.reply.rejected.size())});
  if (!s.is_ok()) return s;

  s = record_contact(kiosk.kiosk_id, batch, plan.reply, now);
  if (!s.is_ok()) return s;

  if (!stored.empty()) {
    PgLookups lk(*conn_);
    Slice slice;
    const Needs all{true, true, true, true};
    for (const Response* r : stored) {
      s = accumulate(lk, slice, facts_of(*r), all);
      if (!s.is_ok()) return s;
    }
    s = flush(*conn_, lk, slice);
    if (!s.is_ok()) return s;
  }
  s = tx.commit();
  if (!s.is_ok()) return s;
  if (timing) {
    timing->sqlite_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  }
  return plan.reply;
}

Result<std::vector<Finding>> PgServerStore::findings(const std::string& kiosk_id,
                                                     std::size_t limit) {
  auto rows =
      conn_->exec("list findings",
                  "SELECT kiosk_id, kind, seq, response_id, detail, created_at FROM findings "
                  "WHERE kiosk_id = $1 ORDER BY fid DESC LIMIT $2",
                  {kiosk_id, limit_of(limit)});
  if (!rows.is_ok()) return rows.status();
  std::vector<Finding> out;
  for (int i = 0; i < rows->size(); ++i) {
    out.push_back(Finding{rows->text(i, 0), rows->text(i, 1), rows->opt_int64(i, 2),
                          rows->opt_text(i, 3), rows->text(i, 4), rows->text(i, 5)});
  }
  return out;
}

Result<std::map<std::string, std::int64_t>> PgServerStore::finding_counts(
    const std::string& kiosk_id) {
  auto rows = conn_->exec("count findings",
                          "SELECT kind, count(*) FROM findings WHERE kiosk_id = $1 GROUP BY kind",
                          {kiosk_id});
  if (!rows.is_ok()) return rows.status();
  std::map<std::string, std::int64_t> out;
  for (int i = 0; i < rows->size(); ++i) out[rows->text(i, 0)] = rows->int64(i, 1);
  return out;
}

Result<std::pair<std::int64_t, std::int64_t>> PgServerStore::kiosk_counts(
    const std::string& kiosk_id) {
  auto rows = conn_->exec("count kiosk responses",
                          "SELECT (SELECT count(*) FROM responses WHERE kiosk_id = $1), "
                          "(SELECT count(*) FROM quarantine WHERE kiosk_id = $1)",
                          {kiosk_id});
  if (!rows.is_ok()) return rows.status();
  return std::pair<std::int64_t, std::int64_t>{rows->int64(0, 0), rows->int64(0, 1)};
}

Status PgServerStore::ping() { return conn_->run("ping", "SELECT 1"); }

Status PgServerStore::probe_write() {
  // Rewriting the schema version with its own value still writes a row version, which the commit
  // flushes through the WAL as every batch's does.
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  Status s = conn_->run("probe write", "UPDATE schema_version SET version = version");
  if (!s.is_ok()) return s;
  return tx.commit();
}

Result<std::vector<QuarantineRecord>> PgServerStore::quarantine(const std::string& kiosk_id,
                                                                std::size_t limit) {
  auto rows =
      conn_->exec("list quarantine",
                  "SELECT kiosk_id, response_id, seq, error, raw, received_at FROM quarantine "
                  "WHERE kiosk_id = $1 ORDER BY qid DESC LIMIT $2",
                  {kiosk_id, limit_of(limit)});
  if (!rows.is_ok()) return rows.status();
  std::vector<QuarantineRecord> out;
  for (int i = 0; i < rows->size(); ++i) {
    out.push_back(QuarantineRecord{rows->text(i, 0), rows->opt_text(i, 1), rows->opt_int64(i, 2),
                                   rows->text(i, 3), rows->text(i, 4), rows->text(i, 5)});
  }
  return out;
}

Result<std::int64_t> PgServerStore::response_count() {
  auto rows = conn_->exec("count responses", "SELECT count(*) FROM responses");
  if (!rows.is_ok()) return rows.status();
  return rows->int64(0, 0);
}

Result<std::int64_t> PgServerStore::quarantine_count() {
  auto rows = conn_->exec("count quarantine", "SELECT count(*) FROM quarantine");
  if (!rows.is_ok()) return rows.status();
  return rows->int64(0, 0);
}

Status PgServerStore::read_rollups(const RollupRead& r, Slice& into) {
  const bool detail = r.level == RollupRead::Level::detail;
  auto table = rollup_table(r);
  if (!table.is_ok()) return table.status();
  const char* col = r.level == RollupRead::Level::month ? "month" : "day";
  std::string cols = "survey, unit";
  if (r.needs.day) cols += ", day";
  if (detail && r.needs.counter) cols += ", counter";
  if (detail && r.needs.officer) cols += ", officer";
  if (detail && r.needs.procedure) cols += ", procedure";
  ArrayParam surveys, units;
  for (const auto& s : r.surveys) surveys.add(s);
  for (const auto& u : r.units) units.add(u);
  std::vector<Param> params = {surveys.take(), units.take(), r.from, r.to};
  std::string sql_text = "SELECT " + cols + ", kind, key, value, sum(n) FROM " + *table +
                         " WHERE survey = ANY($1::text[]) AND unit = ANY($2::text[]) AND " + col +
                         " BETWEEN $3 AND $4";
  for (const auto& [filter, name] :
       {std::pair{&r.counter, "counter"}, std::pair{&r.officer, "officer"},
        std::pair{&r.procedure, "procedure"}}) {
    if (!*filter) continue;
    params.emplace_back(**filter);
    sql_text += std::string(" AND ") + name + " = $" + std::to_string(params.size());
  }
  sql_text += " GROUP BY " + cols + ", kind, key, value";
  auto rows = conn_->exec("read rollups", sql_text, params);
  if (!rows.is_ok()) return rows.status();
  for (int i = 0; i < rows->size(); ++i) {
    SliceKey k;
    int c = 0;
    k.survey = rows->text(i, c++);
    k.unit = rows->text(i, c++);
    if (r.needs.day) k.day = rows->text(i, c++);
    if (detail && r.needs.counter) k.counter = rows->text(i, c++);
    if (detail && r.needs.officer) k.officer = rows->text(i, c++);
    if (detail && r.needs.procedure) k.procedure = rows->text(i, c++);
    add_rollup_row(into[k], static_cast<int>(rows->int64(i, c)), rows->text(i, c + 1),
                   static_cast<int>(rows->int64(i, c + 2)), rows->int64(i, c + 3));
  }
  return Status::ok();
}

Status PgServerStore::refill_below_rollups() {
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  if (Status s = conn_->run("refill the below rollups", kRefillBelowSql); !s.is_ok()) return s;
  return tx.commit();
}

Status PgServerStore::rebuild_rollups() {
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  Status s = recompute_rollups(*conn_);
  if (!s.is_ok()) return s;
  return tx.commit();
}

Status PgServerStore::stream_responses(const RawFilter& f,
                                       const std::function<Status(const ResponseFacts&)>& sink) {
  ArrayParam units, surveys;
  for (const auto& u : f.units) units.add(u);
  for (const auto& s : f.surveys) surveys.add(s);
  std::vector<Param> params = {units.take(), unix_ms(f.from), unix_ms(f.to), surveys.take()};
  std::string where =
      "r.unit = ANY($1::text[]) AND r.submitted_ms >= $2 AND r.submitted_ms < $3 "
      "AND r.survey_id = ANY($4::text[])";
  for (const auto& [filter, expr] :
       {std::pair{&f.counter, "r.counter"}, std::pair{&f.officer, "coalesce(r.officer, '')"},
        std::pair{&f.procedure, "coalesce(r.procedure, '')"}}) {
    if (!*filter) continue;
    params.emplace_back(**filter);
    where += std::string(" AND ") + expr + " = $" + std::to_string(params.size());
  }
  // A cursor lives in a transaction.
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  Status s = stream_facts(*conn_, where, params, sink);
  if (!s.is_ok()) return s;
  return tx.commit();
}

Result<std::vector<CommentRow>> PgServerStore::comments(const std::vector<std::string>& units,
                                                        TimePoint from, TimePoint to,
                                                        const CommentFilter& filter,
                                                        std::size_t limit) {
  ArrayParam unit_list;
  for (const auto& u : units) unit_list.add(u);
  std::vector<Param> params = {unit_list.take(), unix_ms(from), unix_ms(to)};
  std::string q =
      "SELECT r.submitted_ms, r.submitted_at, r.unit, r.counter, r.officer, r.comment, "
      "(SELECT string_agg(x.reason, ' ' ORDER BY x.reason) FROM reasons x "
      "WHERE x.response_rid = r.rid) "
      "FROM responses r WHERE r.unit = ANY($1::text[]) AND r.submitted_ms >= $2 "
      "AND r.submitted_ms < $3 AND r.comment IS NOT NULL AND r.comment <> ''";
  for (const auto& [value, column] :
       {std::pair{&filter.counter, "r.counter"}, std::pair{&filter.officer, "r.officer"},
        std::pair{&filter.procedure, "r.procedure"}}) {
    if (!*value) continue;
    params.emplace_back(**value);
    q += std::string(" AND ") + column + " = $" + std::to_string(params.size());
  }
  params.emplace_back(limit_of(limit));
  q += " ORDER BY r.submitted_ms DESC LIMIT $" + std::to_string(params.size());
  auto rows = conn_->exec("read comments", q, params);
  if (!rows.is_ok()) return rows.status();
  std::vector<CommentRow> out;
  for (int i = 0; i < rows->size(); ++i) {
    CommentRow c;
    c.at = from_unix_ms(rows->int64(i, 0));
    c.submitted_at = rows->text(i, 1);
    c.unit = rows->text(i, 2);
    c.counter = rows->text(i, 3);
    c.officer = rows->opt_text(i, 4);
    c.text = rows->text(i, 5);
    c.reasons = split_words(rows->text(i, 6));
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

// Rows from a cursor in the cursor's own transaction, fetched 500 at a time.
class PgRawCursor final : public RawCursor {
 public:
  explicit PgRawCursor(Conn& conn) : conn_(conn), tx_(conn) {}
  Status begin_status() const { return tx_.begin_status(); }

  Result<bool> next(RawRow& r) override {
    if (at_ >= rows_.size()) {
      if (done_) return false;
      auto rows = conn_.exec("read responses", "FETCH 500 FROM sipas_raw");
      if (!rows.is_ok()) return rows.status();
      rows_ = std::move(rows).value();
      at_ = 0;
      done_ = rows_.size() < 500;
      if (rows_.size() == 0) return false;
    }
    const int i = at_++;
    r = RawRow{};
    r.at = from_unix_ms(rows_.int64(i, 0));
    r.id = rows_.text(i, 1);
    r.kiosk_id = rows_.text(i, 2);
    r.seq = rows_.int64(i, 3);
    r.unit = rows_.text(i, 4);
    r.counter = rows_.text(i, 5);
    r.officer = rows_.opt_text(i, 6);
    r.dossier = rows_.opt_text(i, 7);
    r.survey_id = rows_.text(i, 8);
    r.survey_version = static_cast<int>(rows_.int64(i, 9));
    r.language = rows_.text(i, 10);
    r.submitted_at = rows_.text(i, 11);
    r.status = rows_.text(i, 12);
    r.comment = rows_.opt_text(i, 13);
    r.reasons = split_words(rows_.text(i, 14));
    r.answers = answer_pairs(rows_.text(i, 15));
    r.procedure = rows_.opt_text(i, 16);
    return true;
  }

 private:
  Conn& conn_;
  pg::Transaction tx_;  // rolled back (the cursor closed) when the cursor goes
  Rows rows_;
  int at_ = 0;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<RawCursor>> PgServerStore::raw_responses(const std::vector<RawSpan>& spans,
                                                                std::size_t limit) {
  // One query over every span, so the rows come in one submission-time order.
  std::vector<Param> params;
  std::string where;
  for (const auto& span : spans) {
    if (span.units.empty()) continue;
    ArrayParam units;
    for (const auto& u : span.units) units.add(u);
    params.emplace_back(units.take());
    params.emplace_back(unix_ms(span.from));
    params.emplace_back(unix_ms(span.to));
    const std::size_t n = params.size();
    where += std::string(where.empty() ? "" : " OR ") + "(r.unit = ANY($" + std::to_string(n - 2) +
             "::text[]) AND r.submitted_ms >= $" + std::to_string(n - 1) +
             " AND r.submitted_ms < $" + std::to_string(n) + ")";
  }
  if (where.empty()) where = "false";
  params.emplace_back(limit_of(limit));
  std::string q =
      "DECLARE sipas_raw NO SCROLL CURSOR FOR "
      "SELECT r.submitted_ms, r.id, r.kiosk_id, r.seq, r.unit, r.counter, r.officer, r.dossier, "
      "r.survey_id, r.survey_version, r.language, r.submitted_at, r.status, r.comment, "
      "(SELECT string_agg(x.reason, ' ' ORDER BY x.reason) FROM reasons x "
      "WHERE x.response_rid = r.rid), "
      "(SELECT string_agg(a.criterion || '=' || coalesce(a.value::text, ''), ' ' "
      "ORDER BY a.criterion) FROM answers a WHERE a.response_rid = r.rid), r.procedure "
      "FROM responses r WHERE " +
      where + " ORDER BY r.submitted_ms, r.id LIMIT $" + std::to_string(params.size());
  auto cursor = std::make_unique<PgRawCursor>(*conn_);
  if (!cursor->begin_status().is_ok()) return cursor->begin_status();
  Status s = conn_->run("read responses", q, params);
  if (!s.is_ok()) return s;
  return std::unique_ptr<RawCursor>(std::move(cursor));
}

}  // namespace sipas
