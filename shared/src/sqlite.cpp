#include "sipas/sqlite.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace sipas::sql {
namespace {

bool location_is_read_only(const std::string& path) {
  std::filesystem::path p(path);
  std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  struct statvfs vfs {};
  if (statvfs(dir.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0) return true;
  if (access(dir.c_str(), W_OK) != 0 && (errno == EROFS || errno == EACCES)) return true;
  if (access(p.c_str(), F_OK) == 0 && access(p.c_str(), W_OK) != 0 &&
      (errno == EROFS || errno == EACCES)) {
    return true;
  }
  return false;
}

// system_errno is only trusted for the codes that come straight from a failed system call; it may
// be left over from an earlier error otherwise.
ErrorCode map_code(int rc, int system_errno, const std::string& path) {
  switch (rc & 0xff) {
    case SQLITE_FULL: return ErrorCode::disk_full;
    case SQLITE_READONLY:
    case SQLITE_PERM: return ErrorCode::read_only;
    case SQLITE_CANTOPEN:
      return system_errno == EROFS || location_is_read_only(path) ? ErrorCode::read_only
                                                                   : ErrorCode::io_error;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return ErrorCode::corrupt;
    case SQLITE_IOERR:
      if (system_errno == ENOSPC) return ErrorCode::disk_full;
      if (system_errno == EROFS) return ErrorCode::read_only;
      return ErrorCode::io_error;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::busy;
    case SQLITE_CONSTRAINT: return ErrorCode::conflict;
    default: return ErrorCode::internal;
  }
}

}  // namespace

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

void Stmt::bind(int i, double v) { sqlite3_bind_double(s_, i, v); }

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

void Stmt::bind(int i, const std::optional<int>& v) {
  if (v) {
    bind(i, static_cast<std::int64_t>(*v));
  } else {
    bind_null(i);
  }
}

void Stmt::bind_null(int i) { sqlite3_bind_null(s_, i); }

int Stmt::step() { return sqlite3_step(s_); }

bool Stmt::is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

std::int64_t Stmt::int64(int col) const { return sqlite3_column_int64(s_, col); }

double Stmt::real(int col) const { return sqlite3_column_double(s_, col); }

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

std::optional<std::int64_t> Stmt::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path, const OpenOptions& options) {
  if (path.empty()) return Status::error(ErrorCode::invalid_argument, "database path is empty");
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                                     SQLITE_OPEN_EXRESCODE,
                                 nullptr);
  std::unique_ptr<Db> db(new Db(raw, path));
  if (rc != SQLITE_OK) return db->error(rc, "open");
  if (options.require_writable && sqlite3_db_readonly(raw, "main") == 1) {
    return Status::error(ErrorCode::read_only, path + ": open: the database cannot be written");
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  for (const std::string& pragma : options.pragmas) {
    if (Status s = db->exec(pragma, "open"); !s.is_ok()) return s;
  }
  return db;
}

Db::~Db() {
  cache_.clear();
  if (db_) sqlite3_close_v2(db_);
}

Status Db::exec(const char* sql, std::string_view what) {
  char* msg = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
  if (msg) sqlite3_free(msg);
  if (rc != SQLITE_OK) return error(rc, what.empty() ? std::string_view(sql) : what);
  return Status::ok();
}

Result<Stmt> Db::prepare(const std::string& sql, std::string_view what) {
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size() + 1),
                                    SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(s);
    return error(rc, what);
  }
  return Stmt(s);
}

Result<StmtLease> Db::cached(std::string_view sql, std::string_view what) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    std::string text(sql);
    auto s = prepare(text, what);
    if (!s.is_ok()) return s.status();
    it = cache_.emplace(std::move(text), std::move(s).value()).first;
  } else {
    it->second.reset();
  }
  return StmtLease(&it->second);
}

std::int64_t Db::changes() const { return sqlite3_changes64(db_); }

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

Status Db::error(int rc, std::string_view what) const {
  std::string message = path_;
  message += ": ";
  message += what;
  message += ": ";
  message += db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const int sys = db_ ? sqlite3_system_errno(db_) : 0;
  return Status::error(map_code(rc, sys, path_), std::move(message));
}

Status copy_database(Db& source, Db& target) {
  sqlite3_backup* backup = sqlite3_backup_init(target.get(), "main", source.get(), "main");
  if (!backup) return target.error(sqlite3_errcode(target.get()), "start the copy");
  // One step of every page rather than many small ones: a small step lets writers in between,
  // and each write to the source restarts the copy, which under steady uploads may never end.
  const int rc = sqlite3_backup_step(backup, -1);
  const int finish = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return target.error(rc, "copy the database");
  if (finish != SQLITE_OK) return target.error(finish, "finish the copy");
  return Status::ok();
}

Transaction::Transaction(Db& db, Kind kind) : db_(db) {
  begin_ = db_.exec(kind == Kind::write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED", "begin transaction");
  open_ = begin_.is_ok();
}

Transaction::~Transaction() {
  if (open_ && !sqlite3_get_autocommit(db_.get())) {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Status Transaction::commit() {
  Status s = db_.exec("COMMIT", "commit");
  if (s.is_ok()) open_ = false;
  return s;
}

}  // namespace sipas::sql
