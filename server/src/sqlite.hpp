// Small RAII owners over the sqlite3 C API for the server's database. Internal to server/.
//
// Db and Stmt are non-copyable and movable; destructors never throw. Errors become sipas::Status
// with codes mapped from SQLite's (busy, disk_full, read_only, corrupt, io_error) and messages that
// name the database path. Each Db is used by one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sipas/status.hpp"

namespace sipas::sql {

class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;

  sqlite3_stmt* get() const { return s_; }
  // Resets and clears bindings so that a cached statement can be reused.
  void reset();

  void bind(int i, std::string_view v);
  void bind(int i, const std::string& v) { bind(i, std::string_view(v)); }
  void bind(int i, std::int64_t v);
  void bind(int i, int v) { bind(i, static_cast<std::int64_t>(v)); }
  void bind(int i, const std::optional<std::string>& v);
  void bind(int i, const std::optional<std::int64_t>& v);
  void bind_null(int i);

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();

  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  std::string text(int col) const;
  std::optional<std::string> opt_text(int col) const;

 private:
  sqlite3_stmt* s_ = nullptr;
};

// A cached statement in use; resets it when released so that no read transaction stays open.
class StmtLease {
 public:
  explicit StmtLease(Stmt* s) : s_(s) {}
  ~StmtLease() {
    if (s_) sqlite3_reset(s_->get());
  }
  StmtLease(const StmtLease&) = delete;
  StmtLease& operator=(const StmtLease&) = delete;
  StmtLease(StmtLease&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  StmtLease& operator=(StmtLease&&) = delete;
  Stmt* operator->() const { return s_; }
  Stmt& operator*() const { return *s_; }
  operator Stmt*() const { return s_; }  // NOLINT: a lease stands for its statement

 private:
  Stmt* s_;
};

class Db {
 public:
  // Opens (creating if needed) the database with the server's pragmas: WAL, synchronous=FULL,
  // foreign_keys=ON, busy_timeout.
  static Result<std::unique_ptr<Db>> open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

  Status exec(const char* sql);
  // A statement prepared once and kept for the life of the Db (keyed by the address of `sql`,
  // so pass string literals or other long-lived strings); reset before it is returned and again
  // when the lease ends.
  Result<StmtLease> cached(const char* sql);
  Result<Stmt> prepare(const char* sql);
  // The Status for an SQLite result code, naming the database and what was being done.
  Status error(int rc, std::string_view what) const;

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::string path_;
  std::map<const char*, Stmt> cache_;
};

// BEGIN IMMEDIATE on construction (see ok()); rolls back in the destructor unless committed.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const Status& begin_status() const { return begin_; }
  Status commit();

 private:
  Db& db_;
  Status begin_;
  bool open_ = false;
};

}  // namespace sipas::sql
