#include "sqlite.hpp"

#include <string>

namespace sipas::sql {

Stmt::~Stmt() {
  if (s_) sqlite3_finalize(s_);
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (s_) sqlite3_finalize(s_);
    s_ = o.s_;
    o.s_ = nullptr;
  }
  return *this;
}

void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

void Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void Stmt::bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }

void Stmt::bind(int i, const std::optional<std::string>& v) {
  if (v) {
    bind(i, std::string_view(*v));
  } else {
    bind_null(i);
  }
}

void Stmt::bind(int i, const std::optional<std::int64_t>& v) {
  if (v) {
    bind(i, *v);
  } else {
    bind_null(i);
  }
}

void Stmt::bind_null(int i) { sqlite3_bind_null(s_, i); }

int Stmt::step() { return sqlite3_step(s_); }

bool Stmt::is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

std::int64_t Stmt::int64(int col) const { return sqlite3_column_int64(s_, col); }

std::string Stmt::text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(s_, col)));
}

std::optional<std::string> Stmt::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  std::unique_ptr<Db> db(new Db(raw, path));
  if (rc != SQLITE_OK) return db->error(rc, "open");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 10000);
  // A larger page cache than SQLite's 2 MB default keeps the id and seq indexes of a province's
  // responses in memory while batches are inserted.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                             "PRAGMA foreign_keys=ON", "PRAGMA cache_size=-32768"}) {
    Status s = db->exec(pragma);
    if (!s.is_ok()) return s;
  }
  return db;
}

Db::~Db() {
  cache_.clear();
  if (db_) sqlite3_close_v2(db_);
}

Status Db::exec(const char* sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
  if (msg) sqlite3_free(msg);
  if (rc != SQLITE_OK) return error(rc, sql);
  return Status::ok();
}

Result<Stmt> Db::prepare(const char* sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &s, nullptr);
  if (rc != SQLITE_OK) return error(rc, "prepare");
  return Stmt(s);
}

Result<StmtLease> Db::cached(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto s = prepare(sql);
    if (!s.is_ok()) return s.status();
    it = cache_.emplace(sql, std::move(s).value()).first;
  } else {
    it->second.reset();
  }
  return StmtLease(&it->second);
}

Status Db::error(int rc, std::string_view what) const {
  ErrorCode code = ErrorCode::internal;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = ErrorCode::busy; break;
    case SQLITE_FULL: code = ErrorCode::disk_full; break;
    case SQLITE_READONLY:
    case SQLITE_PERM: code = ErrorCode::read_only; break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: code = ErrorCode::corrupt; break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN: code = ErrorCode::io_error; break;
    case SQLITE_CONSTRAINT: code = ErrorCode::conflict; break;
    default: break;
  }
  std::string detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return Status::error(code, path_ + ": " + std::string(what) + ": " + detail);
}

Transaction::Transaction(Db& db) : db_(db) {
  begin_ = db_.exec("BEGIN IMMEDIATE");
  open_ = begin_.is_ok();
}

Transaction::~Transaction() {
  if (open_) {
    char* msg = nullptr;
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, &msg);
    if (msg) sqlite3_free(msg);
  }
}

Status Transaction::commit() {
  Status s = db_.exec("COMMIT");
  if (s.is_ok()) open_ = false;
  return s;
}

}  // namespace sipas::sql
