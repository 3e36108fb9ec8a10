// The one PostgreSQL wrapper: RAII owners over libpq's C API for the server's PostgreSQL storage
// (pg_store.cpp). Nothing else calls PQ* directly. libpq rather than libpqxx: libpqxx reports
// failures by throwing, and this codebase returns Status; libpq's C API needs only these owners.
//
// Ownership: Conn owns its PGconn (PQfinish); Rows owns a PGresult (PQclear); Transaction borrows a
// Conn and rolls back in its destructor unless committed. All are non-copyable; destructors never
// throw.
// Threads: a Conn (and everything borrowed from it) is used by one thread at a time. One Conn is
// one server session: statements run one after another, parameters travel as text. A session the
// server ended is opened again at the next statement outside a transaction.
// Errors: every failure is a Status whose message names the database (never a password) and what
// was being done, with the code mapped from the SQLSTATE: conflict (class 23, integrity
// constraints, as SQLITE_CONSTRAINT), busy (40001 serialization, 40P01 deadlock, 55P03 lock
// timeout), disk_full (53100), read_only (25006, 42501), corrupt (XX001, XX002), io_error (a
// connection that cannot be made or was lost, 58xxx, 57P0x), unavailable (53300 too many
// connections), internal (anything else).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipas/status.hpp"

namespace sipas::pg {

// One query parameter in text form, or NULL.
class Param {
 public:
  Param(std::nullopt_t) {}                               // NOLINT: implicit by design
  Param(std::string v) : v_(std::move(v)) {}             // NOLINT
  Param(std::string_view v) : v_(std::string(v)) {}      // NOLINT
  Param(const char* v) : v_(std::string(v)) {}           // NOLINT
  Param(std::int64_t v) : v_(std::to_string(v)) {}       // NOLINT
  Param(int v) : v_(std::to_string(v)) {}                // NOLINT
  Param(const std::optional<std::string>& v) : v_(v) {}  // NOLINT
  Param(const std::optional<std::int64_t>& v) {          // NOLINT
    if (v) v_ = std::to_string(*v);
  }
  Param(const std::optional<int>& v) {  // NOLINT
    if (v) v_ = std::to_string(*v);
  }
  const char* c_str() const { return v_ ? v_->c_str() : nullptr; }
  bool has_nul() const { return v_ && v_->find('\0') != std::string::npos; }

 private:
  std::optional<std::string> v_;
};

// A PostgreSQL array literal ('{"a","b",NULL}') of text elements, for a $n::text[] (or bigint[],
// int[]) parameter: any number of values in one parameter, for = ANY($n) and unnest().
class ArrayParam {
 public:
  void add(std::string_view v);
  void add(const std::string& v) { add(std::string_view(v)); }
  void add(const char* v) { add(std::string_view(v)); }
  void add(std::int64_t v) { add(std::string_view(std::to_string(v))); }
  void add(const std::optional<std::string>& v);
  void add(const std::optional<int>& v);
  void add_null();
  std::size_t size() const { return n_; }
  // The literal; the builder is spent.
  std::string take() { return std::move(text_) + "}"; }

 private:
  void sep() { text_ += n_++ ? "," : ""; }
  std::string text_ = "{";
  std::size_t n_ = 0;
};

// The rows of one statement.
class Rows {
 public:
  Rows() = default;
  explicit Rows(PGresult* r) : r_(r) {}
  int size() const { return r_ ? PQntuples(r_.get()) : 0; }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string text(int row, int col) const;
  std::optional<std::string> opt_text(int row, int col) const;
  std::int64_t int64(int row, int col) const;
  std::optional<std::int64_t> opt_int64(int row, int col) const;
  bool boolean(int row, int col) const { return text(row, col) == "t"; }
  // Rows written by an INSERT, UPDATE or DELETE.
  std::int64_t affected() const;

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> r_;
};

class Conn {
 public:
  // Connects with a libpq connection string (URI or key=value; passwords from the string,
  // PGPASSWORD or PGPASSFILE, as libpq reads them) and sets the session up: UTF-8, lock waits of
  // at most 10 s (then busy), notices dropped.
  static Result<std::unique_ptr<Conn>> open(const std::string& conninfo);
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // "PostgreSQL database NAME on HOST": for messages; never contains a password.
  const std::string& label() const { return label_; }

  // Runs one statement with text parameters ($1, $2...). `what` names the step in an error. A
  // parameter holding a NUL (which PostgreSQL's text cannot) is invalid_argument, never cut short.
  Result<Rows> exec(std::string_view what, const std::string& sql,
                    const std::vector<Param>& params = {});
  // The same for a statement whose rows are not needed.
  Status run(std::string_view what, const std::string& sql, const std::vector<Param>& params = {}) {
    auto r = exec(what, sql, params);
    return r.is_ok() ? Status::ok() : r.status();
  }

 private:
  friend class Transaction;
  struct Finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  Conn(PGconn* c, std::string label) : c_(c), label_(std::move(label)) {}
  Status error_of(const PGresult* r, std::string_view what) const;
  // What every session gets: notices dropped, lock waits of at most 10 s.
  Status set_up_session();
  // A connection the server dropped (a restart, an administrator) is made again, unless a
  // transaction was open on it: that one is lost, and the error says so.
  Status reconnect_if_lost();
  std::unique_ptr<PGconn, Finish> c_;
  std::string label_;
  bool in_transaction_ = false;  // set by Transaction
};

// BEGIN now; ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Conn& conn);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const Status& begin_status() const { return begin_; }
  Status commit();

 private:
  Conn& conn_;
  Status begin_;
  bool open_ = false;
};

// The connection string with any password replaced by "***", for messages about a string libpq
// could not use.
std::string redact(const std::string& conninfo);

}  // namespace sipas::pg
