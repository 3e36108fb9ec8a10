#include "sipas/server/server_store.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "sipas/crypto.hpp"
#include "sipas/server/scores.hpp"
#include "sipas/server/sessions.hpp"
#include "sipas/sqlite.hpp"

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

Result<std::unique_ptr<sql::Db>> open_server_db(const std::string& path) {
  sql::OpenOptions options;
  options.busy_timeout_ms = 10000;
  // A larger page cache than SQLite's 2 MB default keeps the id and seq indexes of a province's
  // responses in memory while batches are inserted.
  options.pragmas = {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
                     "PRAGMA cache_size=-32768"};
  return sql::Db::open(path, options);
}

ServerStore::ServerStore(std::unique_ptr<sql::Db> db) : db_(std::move(db)) {}
ServerStore::~ServerStore() = default;

Result<std::unique_ptr<ServerStore>> ServerStore::open(const std::string& path) {
  auto db = open_server_db(path);
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
    return db_->first_row(
        "SELECT 1 FROM units WHERE code = ?", "find unit", [&](Stmt& q) { q.bind(1, code); },
        [](const Stmt&) {});
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
      Status s = db_->run(
          "INSERT INTO units(code, name, parent, time_zone) VALUES (?, ?, ?, ?) "
          "ON CONFLICT(code) DO UPDATE SET name = excluded.name, parent = excluded.parent, "
          "time_zone = excluded.time_zone",
          "insert unit", [&](Stmt& q) {
            q.bind(1, u->code);
            q.bind(2, u->name);
            q.bind(3, u->parent);
            q.bind(4, u->time_zone);
          });
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

namespace {
UnitRecord read_unit(const Stmt& q) { return {q.text(0), q.text(1), q.opt_text(2), q.text(3)}; }
}  // namespace

Result<std::vector<UnitRecord>> ServerStore::units() {
  std::vector<UnitRecord> out;
  Status s = db_->each_row("SELECT code, name, parent, time_zone FROM units ORDER BY code",
                           "list units", [&](const Stmt& q) { out.push_back(read_unit(q)); });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::optional<UnitRecord>> ServerStore::unit(const std::string& code) {
  std::optional<UnitRecord> out;
  auto found = db_->first_row(
      "SELECT code, name, parent, time_zone FROM units WHERE code = ?", "find unit",
      [&](Stmt& q) { q.bind(1, code); }, [&](const Stmt& q) { out = read_unit(q); });
  if (!found.is_ok()) return found.status();
  return out;
}

Result<std::vector<std::string>> ServerStore::unit_subtree(const std::string& code) {
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

Status ServerStore::revoke_kiosk(const std::string& kiosk_id, TimePoint now) {
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

Status ServerStore::set_kiosk_token(const std::string& kiosk_id, const std::string& token_hash) {
  Status s = db_->run("UPDATE kiosks SET token_hash = ?, revoked_at = NULL WHERE kiosk_id = ?",
                      "set kiosk token", [&](Stmt& q) {
                        q.bind(1, token_hash);
                        q.bind(2, kiosk_id);
                      });
  if (!s.is_ok()) return s;
  if (db_->changes() == 0) return Status::error(ErrorCode::not_found, "unknown kiosk " + kiosk_id);
  return Status::ok();
}

Result<std::optional<KioskRecord>> ServerStore::kiosk_by_token_hash(
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

Result<std::vector<KioskRecord>> ServerStore::kiosks() {
  static const std::string sql =
      std::string("SELECT ") + kKioskColumns + " FROM kiosks ORDER BY kiosk_id";
  std::vector<KioskRecord> out;
  Status s = db_->each_row(sql, "list kiosks", [&](const Stmt& q) { out.push_back(read_kiosk(q)); });
  if (!s.is_ok()) return s;
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

Result<std::optional<UserRecord>> ServerStore::user(const std::string& name) {
  std::optional<UserRecord> out;
  auto found = db_->first_row(
      "SELECT name, password_hash, unit FROM users WHERE name = ?", "find user",
      [&](Stmt& q) { q.bind(1, name); },
      [&](const Stmt& q) { out = UserRecord{q.text(0), q.text(1), q.opt_text(2)}; });
  if (!found.is_ok()) return found.status();
  return out;
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
    Status s = db_->run(
        "INSERT INTO procedures(code, name, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
        "store procedure", [&](Stmt& q) {
          q.bind(1, p.code);
          q.bind(2, names.dump());
          q.bind(3, now);
        });
    if (!s.is_ok()) return s;
  }
  return tx.commit();
}

Result<std::vector<ProcedureRecord>> ServerStore::procedures() {
  std::vector<ProcedureRecord> out;
  Status s = db_->each_row("SELECT code, name FROM procedures ORDER BY code", "list procedures",
                           [&](const Stmt& q) {
                             ProcedureRecord p;
                             p.code = q.text(0);
                             auto names = nlohmann::json::parse(q.text(1), nullptr, false);
                             if (names.is_object()) {
                               for (const auto& [lang, text] : names.items()) {
                                 if (text.is_string()) p.name[lang] = text.get<std::string>();
                               }
                             }
                             out.push_back(std::move(p));
                           });
  if (!s.is_ok()) return s;
  return out;
}

Status ServerStore::put_survey(const std::string& id, int version, const std::string& json_text) {
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

Result<std::vector<std::string>> ServerStore::survey_texts() {
  std::vector<std::string> out;
  Status s = db_->each_row("SELECT body FROM surveys ORDER BY id, version", "list surveys",
                           [&](const Stmt& q) { out.push_back(q.text(0)); });
  if (!s.is_ok()) return s;
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
    auto found = db_->first_row(
        "SELECT acked_seq, last_seq, last_skew_ms FROM kiosks WHERE kiosk_id = ?", "read kiosk",
        [&](Stmt& q) { q.bind(1, kiosk.kiosk_id); },
        [&](const Stmt& q) {
          acked_before = q.int64(0);
          last_seq = q.int64(1);
          last_skew_ms = q.opt_int64(2);
        });
    if (!found.is_ok()) return found.status();
    if (!*found) return Status::error(ErrorCode::not_found, "unknown kiosk " + kiosk.kiosk_id);
  }

  auto add_finding = [&](const std::string& kind, std::optional<std::int64_t> seq,
                         std::optional<std::string> response_id,
                         const std::string& detail) -> Status {
    return db_->run(
        "INSERT INTO findings(kiosk_id, kind, seq, response_id, detail, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        "insert finding", [&](Stmt& q) {
          q.bind(1, kiosk.kiosk_id);
          q.bind(2, kind);
          q.bind(3, seq);
          q.bind(4, response_id);
          q.bind(5, detail);
          q.bind(6, received_at);
        });
  };

  auto quarantine_one = [&](const ParsedResponse& p, const std::string& error) -> Status {
    // The same rejected content sent again (a retry) is not kept twice.
    auto kept = db_->first_row(
        "SELECT 1 FROM quarantine WHERE response_id = ? AND content_hash = ? LIMIT 1",
        "find quarantined",
        [&](Stmt& q) {
          q.bind(1, p.id);
          q.bind(2, p.content_hash);
        },
        [](const Stmt&) {});
    if (!kept.is_ok()) return kept.status();
    if (*kept) return Status::ok();
    return db_->run(
        "INSERT INTO quarantine(kiosk_id, response_id, seq, content_hash, error, raw, batch_id, "
        "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        "quarantine response", [&](Stmt& q) {
          q.bind(1, kiosk.kiosk_id);
          q.bind(2, p.id);
          q.bind(3, p.seq);
          q.bind(4, p.content_hash);
          q.bind(5, error);
          q.bind(6, p.canonical);
          q.bind(7, batch.batch_id);
          q.bind(8, received_at);
        });
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
    bool matched = false;
    Status s = db_->each_row(
        "SELECT hash FROM responses WHERE kiosk_id = ? AND seq = ?", "find previous response",
        [&](Stmt& q) {
          q.bind(1, kiosk.kiosk_id);
          q.bind(2, seq - 1);
        },
        [&](const Stmt& q) {
          *known = true;
          matched = matched || q.text(0) == prev_hash;
        });
    if (!s.is_ok()) return s;
    return matched;
  };

  BatchReply reply;
  std::vector<const Response*> stored;  // added to the score rollups in this transaction
  std::int64_t max_seq = 0;
  for (const ParsedResponse& p : batch.responses) {
    max_seq = std::max(max_seq, p.seq);
    std::string stored_hash;
    auto known = db_->first_row(
        "SELECT content_hash FROM responses WHERE id = ?", "find response",
        [&](Stmt& q) { q.bind(1, p.id); }, [&](const Stmt& q) { stored_hash = q.text(0); });
    if (!known.is_ok()) return known.status();
    if (*known) {
      if (stored_hash == p.content_hash) {
        ++reply.duplicates;
        continue;
      }
      std::string error = "conflict: a different response with this id is already stored";
      Status s = quarantine_one(p, error);
      if (!s.is_ok()) return s;
      reply.rejected.push_back({p.id, error});
      continue;
    }
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
      std::string other;
      auto reused = db_->first_row(
          "SELECT id FROM responses WHERE kiosk_id = ? AND seq = ? LIMIT 1", "find seq",
          [&](Stmt& q) {
            q.bind(1, kiosk.kiosk_id);
            q.bind(2, p.seq);
          },
          [&](const Stmt& q) { other = q.text(0); });
      if (!reused.is_ok()) return reused.status();
      if (*reused) {
        Status s = add_finding("seq_reused", p.seq, p.id,
                               "seq " + std::to_string(p.seq) + " already used by response " + other);
        if (!s.is_ok()) return s;
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

    Status s = db_->run(
        "INSERT INTO responses(id, kiosk_id, seq, prev_hash, hash, content_hash, answers_key, "
        "survey_id, survey_version, unit, counter, officer, dossier, language, started_at, "
        "submitted_at, submitted_ms, status, comment, batch_id, received_at, raw, procedure) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "insert response", [&](Stmt& q) {
          q.bind(1, p.id);
          q.bind(2, kiosk.kiosk_id);
          q.bind(3, p.seq);
          q.bind(4, r.prev_hash);
          q.bind(5, r.hash);
          q.bind(6, p.content_hash);
          q.bind(7, p.answers_key);
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
          q.bind(22, p.canonical);
          q.bind(23, r.procedure);
        });
    if (!s.is_ok()) return s;
    for (const Answer& a : r.answers) {
      s = db_->run("INSERT INTO answers(response_id, criterion, value) VALUES (?, ?, ?)",
                   "insert answer", [&](Stmt& q) {
                     q.bind(1, p.id);
                     q.bind(2, a.criterion);
                     q.bind(3, a.value);
                   });
      if (!s.is_ok()) return s;
    }
    for (const std::string& reason : r.reasons) {
      s = db_->run("INSERT INTO reasons(response_id, reason) VALUES (?, ?)", "insert reason",
                   [&](Stmt& q) {
                     q.bind(1, p.id);
                     q.bind(2, reason);
                   });
      if (!s.is_ok()) return s;
    }
    ++reply.accepted;
    stored.push_back(&r);

    if (!r.answers.empty()) {
      const std::int64_t t = unix_ms(r.submitted_at);
      std::int64_t identical = 0;
      auto counted = db_->first_row(
          "SELECT count(*) FROM responses WHERE kiosk_id = ? AND answers_key = ? "
          "AND submitted_ms BETWEEN ? AND ?",
          "count identical answers",
          [&](Stmt& q) {
            q.bind(1, kiosk.kiosk_id);
            q.bind(2, p.answers_key);
            q.bind(3, t - kBurstWindow.count());
            q.bind(4, t);
          },
          [&](const Stmt& q) { identical = q.int64(0); });
      if (!counted.is_ok()) return counted.status();
      if (identical == kBurstCount) {
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
      (!last_skew_ms || unix_ms(now) - *last_skew_ms >= kSkewFindingInterval.count())) {
    auto minutes = std::chrono::duration_cast<std::chrono::minutes>(skew).count();
    Status s = add_finding("clock_skew", std::nullopt, std::nullopt,
                           "sent_at " + format_rfc3339(batch.sent_at) + " is " +
                               std::to_string(minutes < 0 ? -minutes : minutes) + " minutes " +
                               (minutes < 0 ? "behind" : "ahead of") + " the server's time " +
                               received_at);
    if (!s.is_ok()) return s;
    last_skew_ms = unix_ms(now);
  }

  reply.acked_seq = std::max(acked_before, max_seq);
  Status s = db_->run(
      "UPDATE kiosks SET last_contact = ?, last_seq = ?, acked_seq = ?, last_skew_ms = ? "
      "WHERE kiosk_id = ?",
      "update kiosk", [&](Stmt& q) {
        q.bind(1, received_at);
        q.bind(2, std::max(last_seq, max_seq));
        q.bind(3, reply.acked_seq);
        q.bind(4, last_skew_ms);
        q.bind(5, kiosk.kiosk_id);
      });
  if (!s.is_ok()) return s;
  s = db_->run(
      "INSERT INTO batches(batch_id, kiosk_id, received_at, responses, accepted, duplicates, "
      "rejected) VALUES (?, ?, ?, ?, ?, ?, ?)",
      "log batch", [&](Stmt& q) {
        q.bind(1, batch.batch_id);
        q.bind(2, kiosk.kiosk_id);
        q.bind(3, received_at);
        q.bind(4, static_cast<std::int64_t>(batch.responses.size()));
        q.bind(5, reply.accepted);
        q.bind(6, reply.duplicates);
        q.bind(7, static_cast<std::int64_t>(reply.rejected.size()));
      });
  if (!s.is_ok()) return s;
  if (Status rolled = add_to_rollups(*db_, stored); !rolled.is_ok()) return rolled;
  s = tx.commit();
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

Result<std::map<std::string, std::int64_t>> ServerStore::finding_counts(
    const std::string& kiosk_id) {
  std::map<std::string, std::int64_t> out;
  Status s = db_->each_row(
      "SELECT kind, count(*) FROM findings WHERE kiosk_id = ? GROUP BY kind", "count findings",
      [&](Stmt& q) { q.bind(1, kiosk_id); },
      [&](const Stmt& q) { out[q.text(0)] = q.int64(1); });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::pair<std::int64_t, std::int64_t>> ServerStore::kiosk_counts(
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

Status ServerStore::ping() {
  auto found = db_->first_row("SELECT 1", "ping", [](Stmt&) {}, [](const Stmt&) {});
  return found.is_ok() ? Status::ok() : found.status();
}

Result<std::vector<QuarantineRecord>> ServerStore::quarantine(const std::string& kiosk_id,
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

Result<std::int64_t> ServerStore::response_count() {
  return count_of(*db_, "SELECT count(*) FROM responses", "count responses");
}

Result<std::int64_t> ServerStore::quarantine_count() {
  return count_of(*db_, "SELECT count(*) FROM quarantine", "count quarantine");
}

}  // namespace sipas
