// The one SQLite wrapper: RAII owners over the sqlite3 C API used by every store on SQLite (the
// kiosk's ResponseStore and the server's storage). Nothing outside the store implementations uses
// it, and nothing else calls sqlite3_* directly.
//
// Ownership: Db owns its connection and its cached statements; Stmt owns a prepared statement;
// StmtLease borrows a cached one and resets it when released, so no read cursor outlives its use.
// All are non-copyable; destructors never throw.
// Threads: a Db (and everything borrowed from it) is used by one thread at a time.
// Errors: every failure is a Status whose message names the database path and what was being
// done, with the code mapped from SQLite's: busy (BUSY, LOCKED), disk_full (FULL, or an I/O error
// from ENOSPC), read_only (READONLY, PERM, or CANTOPEN/IOERR where the file or its folder cannot be
// written), corrupt (CORRUPT, NOTADB), conflict (CONSTRAINT), io_error (other I/O, CANTOPEN),
// internal (anything else).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

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
  // Resets the cursor and clears the bindings.
  void reset();

  void bind(int i, std::string_view v);
  void bind(int i, const std::string& v) { bind(i, std::string_view(v)); }
  void bind(int i, const char* v) { bind(i, std::string_view(v)); }
  void bind(int i, std::int64_t v);
  void bind(int i, int v) { bind(i, static_cast<std::int64_t>(v)); }
  void bind(int i, double v);
  void bind(int i, const std::optional<std::string>& v);
  void bind(int i, const std::optional<std::int64_t>& v);
  void bind(int i, const std::optional<int>& v);
  void bind_null(int i);

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();

  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::optional<std::string> opt_text(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;

 private:
  sqlite3_stmt* s_ = nullptr;
};

// A cached statement in use; resets it and clears its bindings when released.
class StmtLease {
 public:
  explicit StmtLease(Stmt* s) : s_(s) {}
  ~StmtLease() {
    if (s_) s_->reset();
  }
  StmtLease(const StmtLease&) = delete;
  StmtLease& operator=(const StmtLease&) = delete;
  StmtLease(StmtLease&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  StmtLease& operator=(StmtLease&&) = delete;
  Stmt* operator->() const { return s_; }
  Stmt& operator*() const { return *s_; }

 private:
  Stmt* s_;
};

struct OpenOptions {
  int busy_timeout_ms = 5000;
  // Run in this order after the connection opens (each must succeed).
  std::vector<std::string> pragmas;
  // Refuse (read_only) a database that opens but cannot be written.
  bool require_writable = false;
};

class Db {
 public:
  // Opens, creating if needed, with extended result codes on.
  static Result<std::unique_ptr<Db>> open(const std::string& path, const OpenOptions& options);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // For what only a store implementation does (user functions, changes counts).
  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

  // One or more statements without results. `what` names the step in an error (the SQL itself
  // when empty).
  Status exec(const char* sql, std::string_view what = {});
  Status exec(const std::string& sql, std::string_view what = {}) { return exec(sql.c_str(), what); }
  // A statement prepared once and kept for the life of the Db, keyed by its text.
  Result<StmtLease> cached(std::string_view sql, std::string_view what = "prepare");
  Result<Stmt> prepare(const std::string& sql, std::string_view what = "prepare");

  // Runs a statement that returns no rows: `bind(Stmt&)` binds its parameters.
  template <class Bind>
  Status run(std::string_view sql, std::string_view what, Bind&& bind) {
    auto st = cached(sql, what);
    if (!st.is_ok()) return st.status();
    bind(**st);
    const int rc = (*st)->step();
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? Status::ok() : error(rc, what);
  }
  Status run(std::string_view sql, std::string_view what) {
    return run(sql, what, [](Stmt&) {});
  }

  // Calls `on_row(const Stmt&)` for each row; stops at the first error.
  template <class Bind, class OnRow>
  Status each_row(std::string_view sql, std::string_view what, Bind&& bind, OnRow&& on_row) {
    auto st = cached(sql, what);
    if (!st.is_ok()) return st.status();
    bind(**st);
    return rows(**st, what, std::forward<OnRow>(on_row));
  }
  // The same over a statement the caller prepared and bound (one-off SQL built at run time).
  // `on_row` may return Status to stop early with it; any other return is ignored.
  template <class OnRow>
  Status rows(Stmt& st, std::string_view what, OnRow&& on_row) {
    for (;;) {
      const int rc = st.step();
      if (rc == SQLITE_DONE) return Status::ok();
      if (rc != SQLITE_ROW) return error(rc, what);
      if constexpr (std::is_same_v<decltype(on_row(static_cast<const Stmt&>(st))), Status>) {
        Status s = on_row(static_cast<const Stmt&>(st));
        if (!s.is_ok()) return s;
      } else {
        on_row(static_cast<const Stmt&>(st));
      }
    }
  }
  // One step of a cursor the caller keeps between calls (an export read a piece at a time): true
  // with a row to read, false at the end.
  Result<bool> step_row(Stmt& st, std::string_view what) {
    const int rc = st.step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return error(rc, what);
  }
  template <class OnRow>
  Status each_row(std::string_view sql, std::string_view what, OnRow&& on_row) {
    return each_row(sql, what, [](Stmt&) {}, std::forward<OnRow>(on_row));
  }

  // Whether the query returns a row; `on_row` reads the first one.
  template <class Bind, class OnRow>
  Result<bool> first_row(std::string_view sql, std::string_view what, Bind&& bind,
                         OnRow&& on_row) {
    auto st = cached(sql, what);
    if (!st.is_ok()) return st.status();
    bind(**st);
    const int rc = (*st)->step();
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) return error(rc, what);
    on_row(static_cast<const Stmt&>(**st));
    return true;
  }

  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const;
  // The rowid (INTEGER PRIMARY KEY) of the row the last successful INSERT on this connection made.
  std::int64_t last_insert_rowid() const;
  // The Status for an SQLite result code, naming the database and `what`.
  Status error(int rc, std::string_view what) const;

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::string path_;
  // Looked up by string_view, so running a cached statement allocates nothing.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Stmt, TextHash, std::equal_to<>> cache_;
};

// Copies every page of `source` over `target` with SQLite's online backup API, in one step: the
// copy is `source` as of one moment (one read transaction), even while other connections keep
// writing to it (in WAL mode they are not held up; a checkpoint waits for the copy). `target`'s
// previous content is replaced whole and its file synced as its own commit is; other connections
// to `target` are locked out until the copy is done. Both must be idle (no open transaction) and
// used by this thread only. Errors name `target` (busy, disk_full, read_only, io_error, ...).
Status copy_database(Db& source, Db& target);

// A transaction, begun on construction (see begin_status()); rolled back in the destructor
// unless committed. Writers take the write lock up front (BEGIN IMMEDIATE) rather than failing
// half-way with busy.
class Transaction {
 public:
  enum class Kind { read, write };
  explicit Transaction(Db& db, Kind kind = Kind::write);
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
