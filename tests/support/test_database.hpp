// The server database of one test, on the storage the run asks for: with
// SIPAS_TEST_STORE=postgresql, a fresh database t_<random> on the PostgreSQL cluster SIPAS_TEST_PG
// names (a libpq connection string to a database of that cluster, such as
// postgresql:///postgres?host=/tmp/sipas-pg-dev&user=sipas), dropped WITH (FORCE) when the owner
// goes; otherwise a SQLite file in the test's directory. db() is what --db and ServerStore::open
// take; exec(), query() and rows() reach either database from outside. When the cluster is not named or
// does not answer, the test fails (never skips) with a message saying how to run it; db() is empty
// then. Not copyable. Link sipas_server_test_support (libpq, SQLite) to use it.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace sipas::test {

class TestDatabase {
 public:
  // Whether this run's server tests use PostgreSQL.
  static bool postgresql() {
    const char* store = std::getenv("SIPAS_TEST_STORE");
    return store != nullptr && std::string(store) == "postgresql";
  }

  // A failure saying how to run the tests unless SIPAS_TEST_PG names a cluster that answers. A
  // test binary's global environment calls it too, so that without one every pg/ test fails,
  // even those that make no database.
  static bool require_cluster() {
    const char* cluster = std::getenv("SIPAS_TEST_PG");
    if (cluster == nullptr || *cluster == '\0') {
      ADD_FAILURE() << "SIPAS_TEST_STORE=postgresql but SIPAS_TEST_PG is not set: run the pg/ "
                       "tests through scripts/test, or set SIPAS_TEST_PG to a libpq connection "
                       "string of a PostgreSQL cluster where this user may create databases";
      return false;
    }
    return connect(cluster) != nullptr;
  }

  // `dir`/`file` for SQLite; a new database for PostgreSQL.
  explicit TestDatabase(const std::filesystem::path& dir, const std::string& file = "server.db") {
    if (!postgresql()) {
      db_ = (dir / file).string();
      return;
    }
    if (!require_cluster()) return;
    admin_ = std::getenv("SIPAS_TEST_PG");
    std::random_device random;
    std::uniform_int_distribution<unsigned long long> pick;
    char name[32];
    std::snprintf(name, sizeof name, "t_%016llx", pick(random));
    name_ = name;
    if (!admin("CREATE DATABASE " + name_)) {
      name_.clear();
      return;
    }
    db_ = with_dbname(name_);
  }
  ~TestDatabase() {
    if (!name_.empty()) admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& db() const { return db_; }

  // A connection of the test's own to the SQLite file, which waits for the server's writers (its
  // batches, the health probe) as any other client would; nullptr when the file cannot be opened.
  sqlite3* open_sqlite() const {
    sqlite3* db = nullptr;
    if (sqlite3_open(db_.c_str(), &db) != SQLITE_OK) {
      sqlite3_close(db);
      return nullptr;
    }
    sqlite3_busy_timeout(db, 10000);
    return db;
  }

  // Runs SQL (one or more statements) outside the server's own connections; a failure on error.
  void exec(const std::string& sql) const {
    if (!postgresql()) {
      sqlite3* db = open_sqlite();
      if (!db) {
        ADD_FAILURE() << db_ << ": cannot open";
        return;
      }
      char* error = nullptr;
      const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
      if (rc != SQLITE_OK) ADD_FAILURE() << sql << ": " << (error ? error : sqlite3_errstr(rc));
      sqlite3_free(error);
      sqlite3_close(db);
      return;
    }
    std::unique_ptr<PGconn, Finish> conn(PQconnectdb(db_.c_str()));
    std::unique_ptr<PGresult, Clear> r(PQexec(conn.get(), sql.c_str()));
    const auto status = PQresultStatus(r.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      ADD_FAILURE() << sql << ": " << PQerrorMessage(conn.get());
    }
  }

  // The first column of the first row a query returns, as text: "<none>" without a row, "<null>"
  // for NULL, "<error>" when it fails.
  std::string query(const std::string& sql) const {
    std::string out = "<error>";
    if (!postgresql()) {
      sqlite3* db = open_sqlite();
      sqlite3_stmt* st = nullptr;
      if (db && sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
        const int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
          auto* text = sqlite3_column_text(st, 0);
          out = text ? reinterpret_cast<const char*>(text) : "<null>";
        } else if (rc == SQLITE_DONE) {
          out = "<none>";
        }
      }
      sqlite3_finalize(st);
      sqlite3_close(db);
      return out;
    }
    std::unique_ptr<PGconn, Finish> conn(PQconnectdb(db_.c_str()));
    std::unique_ptr<PGresult, Clear> r(PQexec(conn.get(), sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return out;
    if (PQntuples(r.get()) == 0) return "<none>";
    return PQgetisnull(r.get(), 0, 0) ? "<null>" : PQgetvalue(r.get(), 0, 0);
  }
  // The first column of every row a query returns, as text ("<null>" for NULL); a failure and
  // nothing when it fails.
  std::vector<std::string> rows(const std::string& sql) const {
    std::vector<std::string> out;
    if (!postgresql()) {
      sqlite3* db = open_sqlite();
      sqlite3_stmt* st = nullptr;
      if (!db || sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
      } else {
        while (sqlite3_step(st) == SQLITE_ROW) {
          auto* text = sqlite3_column_text(st, 0);
          out.push_back(text ? reinterpret_cast<const char*>(text) : "<null>");
        }
      }
      sqlite3_finalize(st);
      sqlite3_close(db);
      return out;
    }
    std::unique_ptr<PGconn, Finish> conn(PQconnectdb(db_.c_str()));
    std::unique_ptr<PGresult, Clear> r(PQexec(conn.get(), sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      ADD_FAILURE() << sql << ": " << PQerrorMessage(conn.get());
      return out;
    }
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      out.push_back(PQgetisnull(r.get(), i, 0) ? "<null>" : PQgetvalue(r.get(), i, 0));
    }
    return out;
  }
  // The PostgreSQL database's name ("" on SQLite).
  const std::string& name() const { return name_; }
  // The same database as a postgresql:// URI (PostgreSQL only; db() is the key=value form).
  std::string uri() const {
    std::string out = "postgresql:///" + name_;
    char sep = '?';
    for_each_option([&](const std::string& key, const std::string& value) {
      out += sep + key + "=" + percent(value);
      sep = '&';
    });
    return out;
  }

 private:
  struct Finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };

  // A connection to the cluster SIPAS_TEST_PG names, or null and a failure.
  static std::unique_ptr<PGconn, Finish> connect(const char* conninfo) {
    std::unique_ptr<PGconn, Finish> conn(PQconnectdb(conninfo));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
      ADD_FAILURE() << "cannot reach the PostgreSQL cluster SIPAS_TEST_PG names ("
                    << (conn ? PQerrorMessage(conn.get()) : "out of memory")
                    << "): run the pg/ tests through scripts/test, or point SIPAS_TEST_PG at one";
      return nullptr;
    }
    return conn;
  }

  // Runs one statement on the cluster's maintenance connection; false (and a failure) on error.
  bool admin(const std::string& sql) const {
    auto conn = connect(admin_.c_str());
    if (!conn) return false;
    std::unique_ptr<PGresult, Clear> r(PQexec(conn.get(), sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r.get());
      return false;
    }
    return true;
  }

  // Calls f(key, value) for each option SIPAS_TEST_PG sets other than the database.
  template <class F>
  void for_each_option(F&& f) const {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(admin_.c_str(), &error);
    if (!options) {
      ADD_FAILURE() << "SIPAS_TEST_PG: " << (error ? error : "cannot parse");
      PQfreemem(error);
      return;
    }
    for (PQconninfoOption* o = options; o->keyword; ++o) {
      if (o->val && *o->val && std::string(o->keyword) != "dbname") f(o->keyword, o->val);
    }
    PQconninfoFree(options);
  }

  // SIPAS_TEST_PG's options with another database, as a key=value string.
  std::string with_dbname(const std::string& dbname) const {
    std::string out;
    auto add = [&](const std::string& key, const std::string& value) {
      out += key + "='";
      for (char c : value) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
      }
      out += "' ";
    };
    for_each_option(add);
    add("dbname", dbname);
    out.pop_back();
    return out;
  }

  static std::string percent(const std::string& v) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : v) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
    return out;
  }

  std::string admin_;
  std::string name_;
  std::string db_;
};

// For a test that only means something on SQLite (its file, its VFS, its backup API).
#define SIPAS_SQLITE_ONLY(why)                                                               \
  do {                                                                                       \
    if (::sipas::test::TestDatabase::postgresql()) GTEST_SKIP() << "SQLite only: " << (why); \
  } while (0)

}  // namespace sipas::test
