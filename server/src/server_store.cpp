#include "sipas/server/server_store.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "sipas/crypto.hpp"
#include "sipas/server/scores.hpp"
#include "sipas/server/sessions.hpp"
#include "sqlite.hpp"

namespace sipas {
namespace {

using sql::Stmt;

// Each entry moves the schema from user_version i to i + 1, in one transaction with the others:
// its SQL, then its C++ step when it has one. Append, never edit.
struct Migration {
  const char* sql;
  Status (*then)(sql::Db& db) = nullptr;
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
    {kRollupProcedureSchemaSql, recompute_rollups},
};

// A burst: this many identical answer sets from one kiosk within kBurstWindow.
constexpr int kBurstCount = 5;
constexpr std::chrono::milliseconds kBurstWindow = std::chrono::minutes(2);
constexpr std::chrono::milliseconds kSkewTolerance = std::chrono::minutes(5);
// A kiosk whose clock is off says so in every batch; one finding an hour is enough.
constexpr std::chrono::milliseconds kSkewFindingInterval = std::chrono::hours(1);

Status step_done(sql::Db& db, Stmt* st, const char* what) {
  int rc = st->step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db.error(rc, what);
  return Status::ok();
}

std::int64_t to_ms(TimePoint t) { return t.time_since_epoch().count(); }

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

std::string seq_range_text(std::int64_t from, std::int64_t to) {
  if (from == to) return "seq " + std::to_string(from) + " never received";
  return "seqs " + std::to_string(from) + "–" + std::to_string(to) + " never received (" +
         std::to_string(to - from + 1) + " responses)";
}

}  // namespace

bool is_valid_code(const std::string& code) {
  if (code.empty() || code.size() > 64) return false;
  return std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
}

ServerStore::ServerStore(std::unique_ptr<sql::Db> db) : db_(std::move(db)) {}
ServerStore::~ServerStore() = default;

Result<std::unique_ptr<ServerStore>> ServerStore::open(const std::string& path) {
  auto db = sql::Db::open(path);
  if (!db.is_ok()) return db.status();
  std::unique_ptr<ServerStore> store(new ServerStore(std::move(db).value()));
  Status s = store->migrate();
  if (!s.is_ok()) return s;
  return store;
}

Status ServerStore::migrate() {
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  std::size_t version = 0;
  {
    // Finalised before the migrations run: DROP TABLE fails while a statement is active.
    auto st = db_->prepare("PRAGMA user_version");
    if (!st.is_ok()) return st.status();
    if (st->step() != SQLITE_ROW) return db_->error(SQLITE_ERROR, "read user_version");
    version = static_cast<std::size_t>(st->int64(0));
  }
  constexpr std::size_t kLatest = std::size(kMigrations);
  if (version > kLatest) {
    return Status::error(ErrorCode::corrupt,
                         db_->path() + ": schema version " + std::to_string(version) +
                             " is newer than this sipas-server knows (" +
                             std::to_string(kLatest) + ")");
  }
  for (; version < kLatest; ++version) {
    Status s = db_->exec(kMigrations[version].sql);
    if (!s.is_ok()) return s;
    if (kMigrations[version].then) {
      s = kMigrations[version].then(*db_);
      if (!s.is_ok()) return s;
    }
    std::string set = "PRAGMA user_version=" + std::to_string(version + 1);
    s = db_->exec(set.c_str());
    if (!s.is_ok()) return s;
  }
  return tx.commit();
}

Status ServerStore::add_unit(const UnitRecord& unit) { return import_units({unit}); }

Status ServerStore::import_units(const std::vector<UnitRecord>& units) {
  for (const auto& u : units) {
    if (!is_valid_code(u.code)) {
      return Status::error(ErrorCode::invalid_argument,
                           "unit code \"" + u.code + "\": use 1–64 of A-Z a-z 0-9 . _ -");
    }
    if (u.name.empty()) {
      return Status::error(ErrorCode::invalid_argument, "unit " + u.code + ": name is empty");
    }
    if (u.parent && *u.parent == u.code) {
      return Status::error(ErrorCode::invalid_argument, "unit " + u.code + ": its own parent");
    }
    auto tz = TimeZone::load(u.time_zone);
    if (!tz.is_ok()) {
      return Status::error(ErrorCode::invalid_argument,
                           "unit " + u.code + ": time zone: " + tz.status().message());
    }
  }
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();

  // Insert in an order where every parent already exists: repeatedly take the units whose parent
  // is known (in the database or inserted in an earlier round).
  std::vector<const UnitRecord*> left;
  for (const auto& u : units) left.push_back(&u);
  auto exists = [&](const std::string& code) -> Result<bool> {
    auto st = db_->cached("SELECT 1 FROM units WHERE code = ?");
    if (!st.is_ok()) return st.status();
    (*st)->bind(1, std::string_view(code));
    int rc = (*st)->step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return db_->error(rc, "find unit");
  };
  while (!left.empty()) {
    std::vector<const UnitRecord*> next;
    for (const UnitRecord* u : left) {
      if (u->parent) {
        auto known = exists(*u->parent);
        if (!known.is_ok()) return known.status();
        if (!*known) {
          next.push_back(u);
          continue;
        }
        // Re-parenting under one of its own descendants would make a cycle.
        auto below = unit_subtree(u->code);
        if (!below.is_ok()) return below.status();
        if (std::find(below->begin(), below->end(), *u->parent) != below->end()) {
          return Status::error(ErrorCode::invalid_argument,
                               "unit " + u->code + ": parent " + *u->parent +
                                   " is below it (a cycle)");
        }
      }
      auto st = db_->cached(
          "INSERT INTO units(code, name, parent, time_zone) VALUES (?, ?, ?, ?) "
          "ON CONFLICT(code) DO UPDATE SET name = excluded.name, parent = excluded.parent, "
          "time_zone = excluded.time_zone");
      if (!st.is_ok()) return st.status();
      (*st)->bind(1, std::string_view(u->code));
      (*st)->bind(2, std::string_view(u->name));
      (*st)->bind(3, u->parent);
      (*st)->bind(4, std::string_view(u->time_zone));
      Status s = step_done(*db_, *st, "insert unit");
      if (!s.is_ok()) return s;
    }
    if (next.size() == left.size()) {
      return Status::error(ErrorCode::invalid_argument,
                           "unit " + next.front()->code + ": unknown parent " +
                               *next.front()->parent);
    }
    left = std::move(next);
  }
  return tx.commit();
}

Result<std::vector<UnitRecord>> ServerStore::units() {
  auto st = db_->cached("SELECT code, name, parent, time_zone FROM units ORDER BY code");
  if (!st.is_ok()) return st.status();
  std::vector<UnitRecord> out;
  int rc;
  while ((rc = (*st)->step()) == SQLITE_ROW) {
    out.push_back({(*st)->text(0), (*st)->text(1), (*st)->opt_text(2), (*st)->text(3)});
  }
  if (rc != SQLITE_DONE) return db_->error(rc, "list units");
  return out;
}

Result<std::optional<UnitRecord>> ServerStore::unit(const std::string& code) {
  auto st = db_->cached("SELECT code, name, parent, time_zone FROM units WHERE code = ?");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(code));
  int rc = (*st)->step();
  if (rc == SQLITE_DONE) return std::optional<UnitRecord>();
  if (rc != SQLITE_ROW) return db_->error(rc, "find unit");
  return std::optional<UnitRecord>(
      UnitRecord{(*st)->text(0), (*st)->text(1), (*st)->opt_text(2), (*st)->text(3)});
}

Result<std::vector<std::string>> ServerStore::unit_subtree(const std::string& code) {
  auto st = db_->cached(
      "WITH RECURSIVE below(code) AS (SELECT code FROM units WHERE code = ? "
      "UNION SELECT u.code FROM units u JOIN below b ON u.parent = b.code) "
      "SELECT code FROM below");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(code));
  std::vector<std::string> out;
  int rc;
  while ((rc = (*st)->step()) == SQLITE_ROW) out.push_back((*st)->text(0));
  if (rc != SQLITE_DONE) return db_->error(rc, "unit subtree");
  return out;
}

Status ServerStore::add_kiosk(const std::string& kiosk_id, const std::string& unit_code,
                              const std::string& token_hash, TimePoint now) {
  if (!is_valid_code(kiosk_id)) {
    return Status::error(ErrorCode::invalid_argument,
                         "kiosk id \"" + kiosk_id + "\": use 1–64 of A-Z a-z 0-9 . _ -");
  }
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto u = unit(unit_code);
  if (!u.is_ok()) return u.status();
  if (!*u) return Status::error(ErrorCode::not_found, "unknown unit " + unit_code);
  auto st = db_->cached(
      "INSERT INTO kiosks(kiosk_id, unit, token_hash, created_at) VALUES (?, ?, ?, ?)");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(kiosk_id));
  (*st)->bind(2, std::string_view(unit_code));
  (*st)->bind(3, std::string_view(token_hash));
  (*st)->bind(4, format_rfc3339(now));
  int rc = (*st)->step();
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    return Status::error(ErrorCode::conflict, "kiosk " + kiosk_id + " already exists");
  }
  if (rc != SQLITE_DONE) return db_->error(rc, "add kiosk");
  return tx.commit();
}

Status ServerStore::revoke_kiosk(const std::string& kiosk_id, TimePoint now) {
  auto st = db_->cached(
      "UPDATE kiosks SET revoked_at = coalesce(revoked_at, ?) WHERE kiosk_id = ?");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, format_rfc3339(now));
  (*st)->bind(2, std::string_view(kiosk_id));
  int rc = (*st)->step();
  if (rc != SQLITE_DONE) return db_->error(rc, "revoke kiosk");
  if (sqlite3_changes(db_->get()) == 0) {
    return Status::error(ErrorCode::not_found, "unknown kiosk " + kiosk_id);
  }
  return Status::ok();
}

Status ServerStore::set_kiosk_token(const std::string& kiosk_id, const std::string& token_hash) {
  auto st = db_->cached(
      "UPDATE kiosks SET token_hash = ?, revoked_at = NULL WHERE kiosk_id = ?");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(token_hash));
  (*st)->bind(2, std::string_view(kiosk_id));
  int rc = (*st)->step();
  if (rc != SQLITE_DONE) return db_->error(rc, "set kiosk token");
  if (sqlite3_changes(db_->get()) == 0) {
    return Status::error(ErrorCode::not_found, "unknown kiosk " + kiosk_id);
  }
  return Status::ok();
}

Result<std::optional<KioskRecord>> ServerStore::kiosk_by_token_hash(
    const std::string& token_hash) {
  static const std::string sql =
      std::string("SELECT ") + kKioskColumns + " FROM kiosks WHERE token_hash = ?";
  auto st = db_->cached(sql.c_str());
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(token_hash));
  int rc = (*st)->step();
  if (rc == SQLITE_DONE) return std::optional<KioskRecord>();
  if (rc != SQLITE_ROW) return db_->error(rc, "find kiosk");
  return std::optional<KioskRecord>(read_kiosk(**st));
}

Result<std::vector<KioskRecord>> ServerStore::kiosks() {
  static const std::string sql =
      std::string("SELECT ") + kKioskColumns + " FROM kiosks ORDER BY kiosk_id";
  auto st = db_->cached(sql.c_str());
  if (!st.is_ok()) return st.status();
  std::vector<KioskRecord> out;
  int rc;
  while ((rc = (*st)->step()) == SQLITE_ROW) out.push_back(read_kiosk(**st));
  if (rc != SQLITE_DONE) return db_->error(rc, "list kiosks");
  return out;
}

Status ServerStore::add_user(const UserRecord& user) {
  if (!is_valid_code(user.name)) {
    return Status::error(ErrorCode::invalid_argument,
                         "user name \"" + user.name + "\": use 1–64 of A-Z a-z 0-9 . _ -");
  }
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  if (user.unit) {
    auto u = unit(*user.unit);
    if (!u.is_ok()) return u.status();
    if (!*u) return Status::error(ErrorCode::not_found, "unknown unit " + *user.unit);
  }
  auto st = db_->cached(
      "INSERT INTO users(name, password_hash, unit, created_at) VALUES (?, ?, ?, ?)");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(user.name));
  (*st)->bind(2, std::string_view(user.password_hash));
  (*st)->bind(3, user.unit);
  (*st)->bind(4, format_rfc3339(SystemClock().now()));
  int rc = (*st)->step();
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    return Status::error(ErrorCode::conflict, "user " + user.name + " already exists");
  }
  if (rc != SQLITE_DONE) return db_->error(rc, "add user");
  return tx.commit();
}

Result<std::optional<UserRecord>> ServerStore::user(const std::string& name) {
  auto st = db_->cached("SELECT name, password_hash, unit FROM users WHERE name = ?");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(name));
  int rc = (*st)->step();
  if (rc == SQLITE_DONE) return std::optional<UserRecord>();
  if (rc != SQLITE_ROW) return db_->error(rc, "find user");
  return std::optional<UserRecord>(
      UserRecord{(*st)->text(0), (*st)->text(1), (*st)->opt_text(2)});
}

const std::string& ProcedureRecord::name_in(const std::string& lang) const {
  if (auto it = name.find(lang); it != name.end() && !it->second.empty()) return it->second;
  if (auto it = name.find("vi"); it != name.end()) return it->second;
  static const std::string kNone;
  return kNone;
}

Status ServerStore::import_procedures(const std::vector<ProcedureRecord>& procedures) {
  for (const auto& p : procedures) {
    if (!is_valid_code(p.code)) {
      return Status::error(ErrorCode::invalid_argument,
                           "procedure code \"" + p.code + "\": use 1–64 of A-Z a-z 0-9 . _ -");
    }
    auto vi = p.name.find("vi");
    if (vi == p.name.end() || vi->second.empty()) {
      return Status::error(ErrorCode::invalid_argument,
                           "procedure " + p.code + ": the Vietnamese name is empty");
    }
  }
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  const std::string now = format_rfc3339(SystemClock().now());
  for (const auto& p : procedures) {
    nlohmann::json names = nlohmann::json::object();
    for (const auto& [lang, text] : p.name) names[lang] = text;
    auto st = db_->cached(
        "INSERT INTO procedures(code, name, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at");
    if (!st.is_ok()) return st.status();
    (*st)->bind(1, std::string_view(p.code));
    (*st)->bind(2, names.dump());
    (*st)->bind(3, std::string_view(now));
    Status s = step_done(*db_, *st, "store procedure");
    if (!s.is_ok()) return s;
  }
  return tx.commit();
}

Result<std::vector<ProcedureRecord>> ServerStore::procedures() {
  auto st = db_->cached("SELECT code, name FROM procedures ORDER BY code");
  if (!st.is_ok()) return st.status();
  std::vector<ProcedureRecord> out;
  int rc;
  while ((rc = (*st)->step()) == SQLITE_ROW) {
    ProcedureRecord p;
    p.code = (*st)->text(0);
    auto names = nlohmann::json::parse((*st)->text(1), nullptr, false);
    if (names.is_object()) {
      for (const auto& [lang, text] : names.items()) {
        if (text.is_string()) p.name[lang] = text.get<std::string>();
      }
    }
    out.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) return db_->error(rc, "list procedures");
  return out;
}

Status ServerStore::put_survey(const std::string& id, int version, const std::string& json_text) {
  auto st = db_->cached(
      "INSERT INTO surveys(id, version, body, imported_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT(id, version) DO UPDATE SET body = excluded.body, "
      "imported_at = excluded.imported_at");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(id));
  (*st)->bind(2, version);
  (*st)->bind(3, std::string_view(json_text));
  (*st)->bind(4, format_rfc3339(SystemClock().now()));
  int rc = (*st)->step();
  if (rc != SQLITE_DONE) return db_->error(rc, "store survey");
  return Status::ok();
}

Result<std::vector<std::string>> ServerStore::survey_texts() {
  auto st = db_->cached("SELECT body FROM surveys ORDER BY id, version");
  if (!st.is_ok()) return st.status();
  std::vector<std::string> out;
  int rc;
  while ((rc = (*st)->step()) == SQLITE_ROW) out.push_back((*st)->text(0));
  if (rc != SQLITE_DONE) return db_->error(rc, "list surveys");
  return out;
}

Result<BatchReply> ServerStore::ingest(const KioskRecord& kiosk, const ParsedBatch& batch,
                                       TimePoint now, IngestTiming* timing) {
  auto started = std::chrono::steady_clock::now();
  const std::string received_at = format_rfc3339(now);
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();

  // The kiosk row as it is now, inside the transaction (another batch may just have moved it).
  std::int64_t acked_before = 0;
  std::int64_t last_seq = 0;
  std::optional<std::int64_t> last_skew_ms;
  {
    auto st = db_->cached("SELECT acked_seq, last_seq, last_skew_ms FROM kiosks WHERE kiosk_id = ?");
    if (!st.is_ok()) return st.status();
    (*st)->bind(1, std::string_view(kiosk.kiosk_id));
    int rc = (*st)->step();
    if (rc == SQLITE_DONE) return Status::error(ErrorCode::not_found, "unknown kiosk " + kiosk.kiosk_id);
    if (rc != SQLITE_ROW) return db_->error(rc, "read kiosk");
    acked_before = (*st)->int64(0);
    last_seq = (*st)->int64(1);
    if (!(*st)->is_null(2)) last_skew_ms = (*st)->int64(2);
  }

  auto add_finding = [&](const std::string& kind, std::optional<std::int64_t> seq,
                         std::optional<std::string> response_id,
                         const std::string& detail) -> Status {
    auto st = db_->cached(
        "INSERT INTO findings(kiosk_id, kind, seq, response_id, detail, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    if (!st.is_ok()) return st.status();
    (*st)->bind(1, std::string_view(kiosk.kiosk_id));
    (*st)->bind(2, std::string_view(kind));
    (*st)->bind(3, seq);
    (*st)->bind(4, response_id);
    (*st)->bind(5, std::string_view(detail));
    (*st)->bind(6, std::string_view(received_at));
    return step_done(*db_, *st, "insert finding");
  };

  auto quarantine_one = [&](const ParsedResponse& p, const std::string& error) -> Status {
    // The same rejected content sent again (a retry) is not kept twice.
    auto find = db_->cached(
        "SELECT 1 FROM quarantine WHERE response_id = ? AND content_hash = ? LIMIT 1");
    if (!find.is_ok()) return find.status();
    (*find)->bind(1, std::string_view(p.id));
    (*find)->bind(2, std::string_view(p.content_hash));
    int rc = (*find)->step();
    if (rc == SQLITE_ROW) return Status::ok();
    if (rc != SQLITE_DONE) return db_->error(rc, "find quarantined");
    auto st = db_->cached(
        "INSERT INTO quarantine(kiosk_id, response_id, seq, content_hash, error, raw, batch_id, "
        "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st.is_ok()) return st.status();
    (*st)->bind(1, std::string_view(kiosk.kiosk_id));
    (*st)->bind(2, std::string_view(p.id));
    (*st)->bind(3, p.seq);
    (*st)->bind(4, std::string_view(p.content_hash));
    (*st)->bind(5, std::string_view(error));
    (*st)->bind(6, std::string_view(p.canonical));
    (*st)->bind(7, std::string_view(batch.batch_id));
    (*st)->bind(8, std::string_view(received_at));
    return step_done(*db_, *st, "quarantine response");
  };

  // The hash of this kiosk's response with `seq`, from this batch or the database; several when a
  // seq was reused.
  std::map<std::int64_t, std::string> batch_hashes;
  for (const auto& p : batch.responses) batch_hashes[p.seq] = p.hash_field;
  auto link_matches = [&](std::int64_t seq, const std::string& prev_hash,
                          bool* known) -> Result<bool> {
    *known = false;
    if (seq == 1) {
      *known = true;
      return prev_hash == kGenesisHash;
    }
    if (auto it = batch_hashes.find(seq - 1); it != batch_hashes.end()) {
      *known = true;
      if (it->second == prev_hash) return true;
    }
    auto st = db_->cached("SELECT hash FROM responses WHERE kiosk_id = ? AND seq = ?");
    if (!st.is_ok()) return st.status();
    (*st)->bind(1, std::string_view(kiosk.kiosk_id));
    (*st)->bind(2, seq - 1);
    int rc;
    while ((rc = (*st)->step()) == SQLITE_ROW) {
      *known = true;
      if ((*st)->text(0) == prev_hash) return true;
    }
    if (rc != SQLITE_DONE) return db_->error(rc, "find previous response");
    return false;
  };

  BatchReply reply;
  std::vector<const Response*> stored;  // added to the score rollups in this transaction
  std::int64_t max_seq = 0;
  for (const ParsedResponse& p : batch.responses) {
    max_seq = std::max(max_seq, p.seq);
    auto find = db_->cached("SELECT content_hash, kiosk_id FROM responses WHERE id = ?");
    if (!find.is_ok()) return find.status();
    (*find)->bind(1, std::string_view(p.id));
    int rc = (*find)->step();
    if (rc == SQLITE_ROW) {
      if ((*find)->text(0) == p.content_hash) {
        ++reply.duplicates;
        continue;
      }
      std::string error = "conflict: a different response with this id is already stored";
      Status s = quarantine_one(p, error);
      if (!s.is_ok()) return s;
      reply.rejected.push_back({p.id, error});
      continue;
    }
    if (rc != SQLITE_DONE) return db_->error(rc, "find response");
    if (!p.response) {
      Status s = quarantine_one(p, p.error);
      if (!s.is_ok()) return s;
      reply.rejected.push_back({p.id, p.error});
      continue;
    }
    const Response& r = *p.response;

    // A seq at or below what was already settled that belongs to another stored response: the
    // kiosk started its numbering again (a reinstalled database, a clone).
    if (p.seq <= acked_before) {
      auto st = db_->cached("SELECT id FROM responses WHERE kiosk_id = ? AND seq = ? LIMIT 1");
      if (!st.is_ok()) return st.status();
      (*st)->bind(1, std::string_view(kiosk.kiosk_id));
      (*st)->bind(2, p.seq);
      int rc2 = (*st)->step();
      if (rc2 == SQLITE_ROW) {
        Status s = add_finding("seq_reused", p.seq, p.id,
                               "seq " + std::to_string(p.seq) + " already used by response " +
                                   (*st)->text(0));
        if (!s.is_ok()) return s;
      } else if (rc2 != SQLITE_DONE) {
        return db_->error(rc2, "find seq");
      }
    }

    bool link_known = false;
    auto linked = link_matches(p.seq, r.prev_hash, &link_known);
    if (!linked.is_ok()) return linked.status();
    if (link_known && !*linked) {
      Status s = add_finding("broken_chain", p.seq, p.id,
                             "prev_hash of seq " + std::to_string(p.seq) +
                                 " does not match the hash of seq " +
                                 std::to_string(p.seq - 1));
      if (!s.is_ok()) return s;
    }
    if (!p.hash_matches) {
      Status s = add_finding("bad_hash", p.seq, p.id,
                             "hash of seq " + std::to_string(p.seq) +
                                 " does not match its content");
      if (!s.is_ok()) return s;
    }
    if (r.submitted_at > now + kSkewTolerance) {
      Status s = add_finding("clock_skew", p.seq, p.id,
                             "submitted_at " + format_rfc3339(r.submitted_at) +
                                 " is later than the server's time " + received_at);
      if (!s.is_ok()) return s;
    }

    auto ins = db_->cached(
        "INSERT INTO responses(id, kiosk_id, seq, prev_hash, hash, content_hash, answers_key, "
        "survey_id, survey_version, unit, counter, officer, dossier, language, started_at, "
        "submitted_at, submitted_ms, status, comment, batch_id, received_at, raw, procedure) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!ins.is_ok()) return ins.status();
    Stmt* st = *ins;
    st->bind(1, std::string_view(p.id));
    st->bind(2, std::string_view(kiosk.kiosk_id));
    st->bind(3, p.seq);
    st->bind(4, std::string_view(r.prev_hash));
    st->bind(5, std::string_view(r.hash));
    st->bind(6, std::string_view(p.content_hash));
    st->bind(7, std::string_view(p.answers_key));
    st->bind(8, std::string_view(r.survey_id));
    st->bind(9, r.survey_version);
    st->bind(10, std::string_view(r.unit));
    st->bind(11, std::string_view(r.counter));
    st->bind(12, r.officer);
    st->bind(13, r.dossier);
    st->bind(14, std::string_view(r.language));
    st->bind(15, format_rfc3339(r.started_at));
    st->bind(16, format_rfc3339(r.submitted_at));
    st->bind(17, to_ms(r.submitted_at));
    st->bind(18, std::string_view(to_string(r.status)));
    st->bind(19, r.comment);
    st->bind(20, std::string_view(batch.batch_id));
    st->bind(21, std::string_view(received_at));
    st->bind(22, std::string_view(p.canonical));
    st->bind(23, r.procedure);
    Status s = step_done(*db_, st, "insert response");
    if (!s.is_ok()) return s;
    for (const Answer& a : r.answers) {
      auto ans = db_->cached("INSERT INTO answers(response_id, criterion, value) VALUES (?, ?, ?)");
      if (!ans.is_ok()) return ans.status();
      (*ans)->bind(1, std::string_view(p.id));
      (*ans)->bind(2, std::string_view(a.criterion));
      if (a.value) {
        (*ans)->bind(3, *a.value);
      } else {
        (*ans)->bind_null(3);
      }
      s = step_done(*db_, *ans, "insert answer");
      if (!s.is_ok()) return s;
    }
    for (const std::string& reason : r.reasons) {
      auto rs = db_->cached("INSERT INTO reasons(response_id, reason) VALUES (?, ?)");
      if (!rs.is_ok()) return rs.status();
      (*rs)->bind(1, std::string_view(p.id));
      (*rs)->bind(2, std::string_view(reason));
      s = step_done(*db_, *rs, "insert reason");
      if (!s.is_ok()) return s;
    }
    ++reply.accepted;
    stored.push_back(&r);

    if (!r.answers.empty()) {
      auto burst = db_->cached(
          "SELECT count(*) FROM responses WHERE kiosk_id = ? AND answers_key = ? "
          "AND submitted_ms BETWEEN ? AND ?");
      if (!burst.is_ok()) return burst.status();
      auto t = to_ms(r.submitted_at);
      (*burst)->bind(1, std::string_view(kiosk.kiosk_id));
      (*burst)->bind(2, std::string_view(p.answers_key));
      (*burst)->bind(3, t - kBurstWindow.count());
      (*burst)->bind(4, t);
      int rc3 = (*burst)->step();
      if (rc3 != SQLITE_ROW) return db_->error(rc3, "count identical answers");
      if ((*burst)->int64(0) == kBurstCount) {
        s = add_finding("burst", p.seq, p.id,
                        std::to_string(kBurstCount) +
                            " identical answer sets within 2 minutes, the last at " +
                            format_rfc3339(r.submitted_at));
        if (!s.is_ok()) return s;
      }
    }
  }

  // Seqs above what was settled before and below this batch's highest that are not in the batch
  // were never received: the kiosk sends its pending responses in seq order, so it no longer has
  // them (see docs/protocol.md, "acked_seq").
  std::int64_t expected = acked_before + 1;
  for (const ParsedResponse& p : batch.responses) {
    if (p.seq <= acked_before) continue;
    if (p.seq > expected) {
      Status s = add_finding("gap", expected, std::nullopt, seq_range_text(expected, p.seq - 1));
      if (!s.is_ok()) return s;
    }
    expected = p.seq + 1;
  }

  auto skew = batch.sent_at - now;
  if ((skew > kSkewTolerance || skew < -kSkewTolerance) &&
      (!last_skew_ms || to_ms(now) - *last_skew_ms >= kSkewFindingInterval.count())) {
    auto minutes = std::chrono::duration_cast<std::chrono::minutes>(skew).count();
    Status s = add_finding("clock_skew", std::nullopt, std::nullopt,
                           "sent_at " + format_rfc3339(batch.sent_at) + " is " +
                               std::to_string(minutes < 0 ? -minutes : minutes) + " minutes " +
                               (minutes < 0 ? "behind" : "ahead of") + " the server's time " +
                               received_at);
    if (!s.is_ok()) return s;
    last_skew_ms = to_ms(now);
  }

  reply.acked_seq = std::max(acked_before, max_seq);
  {
    auto st = db_->cached(
        "UPDATE kiosks SET last_contact = ?, last_seq = ?, acked_seq = ?, last_skew_ms = ? "
        "WHERE kiosk_id = ?");
    if (!st.is_ok()) return st.status();
    (*st)->bind(1, std::string_view(received_at));
    (*st)->bind(2, std::max(last_seq, max_seq));
    (*st)->bind(3, reply.acked_seq);
    (*st)->bind(4, last_skew_ms);
    (*st)->bind(5, std::string_view(kiosk.kiosk_id));
    Status s = step_done(*db_, *st, "update kiosk");
    if (!s.is_ok()) return s;
  }
  {
    auto st = db_->cached(
        "INSERT INTO batches(batch_id, kiosk_id, received_at, responses, accepted, duplicates, "
        "rejected) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!st.is_ok()) return st.status();
    (*st)->bind(1, std::string_view(batch.batch_id));
    (*st)->bind(2, std::string_view(kiosk.kiosk_id));
    (*st)->bind(3, std::string_view(received_at));
    (*st)->bind(4, static_cast<std::int64_t>(batch.responses.size()));
    (*st)->bind(5, reply.accepted);
    (*st)->bind(6, reply.duplicates);
    (*st)->bind(7, static_cast<std::int64_t>(reply.rejected.size()));
    Status s = step_done(*db_, *st, "log batch");
    if (!s.is_ok()) return s;
  }
  if (Status rolled = add_to_rollups(*db_, stored); !rolled.is_ok()) return rolled;
  Status s = tx.commit();
  if (!s.is_ok()) return s;
  if (timing) {
    timing->sqlite_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  }
  return reply;
}

Result<std::vector<Finding>> ServerStore::findings(const std::string& kiosk_id,
                                                   std::size_t limit) {
  auto st = db_->cached(
      "SELECT kiosk_id, kind, seq, response_id, detail, created_at FROM findings "
      "WHERE kiosk_id = ? ORDER BY fid DESC LIMIT ?");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(kiosk_id));
  (*st)->bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  std::vector<Finding> out;
  int rc;
  while ((rc = (*st)->step()) == SQLITE_ROW) {
    Finding f;
    f.kiosk_id = (*st)->text(0);
    f.kind = (*st)->text(1);
    if (!(*st)->is_null(2)) f.seq = (*st)->int64(2);
    f.response_id = (*st)->opt_text(3);
    f.detail = (*st)->text(4);
    f.created_at = (*st)->text(5);
    out.push_back(std::move(f));
  }
  if (rc != SQLITE_DONE) return db_->error(rc, "list findings");
  return out;
}

Result<std::map<std::string, std::int64_t>> ServerStore::finding_counts(
    const std::string& kiosk_id) {
  auto st = db_->cached("SELECT kind, count(*) FROM findings WHERE kiosk_id = ? GROUP BY kind");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(kiosk_id));
  std::map<std::string, std::int64_t> out;
  int rc;
  while ((rc = (*st)->step()) == SQLITE_ROW) out[(*st)->text(0)] = (*st)->int64(1);
  if (rc != SQLITE_DONE) return db_->error(rc, "count findings");
  return out;
}

Result<std::pair<std::int64_t, std::int64_t>> ServerStore::kiosk_counts(
    const std::string& kiosk_id) {
  auto st = db_->cached(
      "SELECT (SELECT count(*) FROM responses WHERE kiosk_id = ?1), "
      "(SELECT count(*) FROM quarantine WHERE kiosk_id = ?1)");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(kiosk_id));
  int rc = (*st)->step();
  if (rc != SQLITE_ROW) return db_->error(rc, "count kiosk responses");
  return std::make_pair((*st)->int64(0), (*st)->int64(1));
}

Status ServerStore::ping() {
  auto st = db_->cached("SELECT 1");
  if (!st.is_ok()) return st.status();
  int rc = (*st)->step();
  if (rc != SQLITE_ROW) return db_->error(rc, "ping");
  return Status::ok();
}

Result<std::vector<QuarantineRecord>> ServerStore::quarantine(const std::string& kiosk_id,
                                                              std::size_t limit) {
  auto st = db_->cached(
      "SELECT kiosk_id, response_id, seq, error, raw, received_at FROM quarantine "
      "WHERE kiosk_id = ? ORDER BY qid DESC LIMIT ?");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(kiosk_id));
  (*st)->bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  std::vector<QuarantineRecord> out;
  int rc;
  while ((rc = (*st)->step()) == SQLITE_ROW) {
    QuarantineRecord q;
    q.kiosk_id = (*st)->text(0);
    q.response_id = (*st)->opt_text(1);
    if (!(*st)->is_null(2)) q.seq = (*st)->int64(2);
    q.error = (*st)->text(3);
    q.raw = (*st)->text(4);
    q.received_at = (*st)->text(5);
    out.push_back(std::move(q));
  }
  if (rc != SQLITE_DONE) return db_->error(rc, "list quarantine");
  return out;
}

Result<std::int64_t> ServerStore::response_count() {
  auto st = db_->cached("SELECT count(*) FROM responses");
  if (!st.is_ok()) return st.status();
  int rc = (*st)->step();
  if (rc != SQLITE_ROW) return db_->error(rc, "count responses");
  return (*st)->int64(0);
}

Result<std::int64_t> ServerStore::quarantine_count() {
  auto st = db_->cached("SELECT count(*) FROM quarantine");
  if (!st.is_ok()) return st.status();
  int rc = (*st)->step();
  if (rc != SQLITE_ROW) return db_->error(rc, "count quarantine");
  return (*st)->int64(0);
}

}  // namespace sipas
