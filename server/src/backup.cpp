#include "sipas/server/backup.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <regex>

#include "sipas/files.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/sqlite.hpp"
#include "sqlite_store.hpp"

namespace sipas {
namespace {

namespace fs = std::filesystem;

Status must_be_sqlite_file(const std::string& db) {
  if (is_postgresql(db) || db.find("://") != std::string::npos) {
    return Status::error(ErrorCode::invalid_argument,
                         db + ": backup and restore work on the SQLite database file; back a "
                              "PostgreSQL database up with its own tools");
  }
  std::error_code ec;
  if (!fs::is_regular_file(db, ec)) {
    return Status::error(ErrorCode::not_found, db + ": no database there");
  }
  return Status::ok();
}

// "ok", or the first problem SQLite's check reports, naming the file.
Status check(sql::Db& db, const char* pragma) {
  std::string first;
  Status s = db.each_row(pragma, "check the database", [&](const sql::Stmt& row) {
    if (first.empty()) first = row.text(0);
  });
  if (!s.is_ok()) return s;
  if (first != "ok") {
    return Status::error(ErrorCode::corrupt, db.path() + ": the database check failed: " + first);
  }
  return Status::ok();
}

const std::regex& backup_name() {
  static const std::regex name(R"(sipas-\d{8}T\d{6}Z\.db)");
  return name;
}

}  // namespace

Status backup_database(const std::string& db, const fs::path& to) {
  if (Status s = must_be_sqlite_file(db); !s.is_ok()) return s;
  auto source = open_server_db(db);
  if (!source.is_ok()) return source.status();
  return write_file_atomically(to, [&](const fs::path& tmp) -> Status {
    // It holds the users' password hashes and the kiosks' token hashes.
    ::chmod(tmp.c_str(), 0600);
    auto target = sql::Db::open(tmp.string(), sql::OpenOptions{});
    if (!target.is_ok()) return target.status();
    if (Status s = sql::copy_database(**source, **target); !s.is_ok()) return s;
    // The copy carries the source's WAL mode; a backup is better one file that opens anywhere.
    if (Status s = (*target)->exec("PRAGMA journal_mode=DELETE", "make the backup one file");
        !s.is_ok()) {
      return s;
    }
    Status checked = check(**target, "PRAGMA quick_check");
    if (!checked.is_ok()) {
      return Status::error(ErrorCode::corrupt, db + ": the copy failed SQLite's check (" +
                                                   checked.message() + "); " + to.string() +
                                                   " was left as it was");
    }
    return Status::ok();
  });
}

Result<BackupRun> backup_into_dir(const std::string& db, const fs::path& dir, int keep,
                                  TimePoint now) {
  if (keep < 1) return Status::error(ErrorCode::invalid_argument, "keep must be at least 1");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return Status::error(ErrorCode::io_error, dir.string() + ": cannot create: " + ec.message());
  }
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char name[40];
  std::strftime(name, sizeof name, "sipas-%Y%m%dT%H%M%SZ.db", &utc);
  BackupRun run;
  run.written = dir / name;
  if (Status s = backup_database(db, run.written); !s.is_ok()) return s;

  // The names sort by time, so the newest are last.
  std::vector<fs::path> backups;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (std::regex_match(file, backup_name()) && it->is_regular_file()) backups.push_back(it->path());
  }
  if (ec) {
    return Status::error(ErrorCode::io_error, dir.string() + ": cannot list: " + ec.message());
  }
  std::sort(backups.begin(), backups.end());
  const std::size_t keep_n = static_cast<std::size_t>(keep);
  for (std::size_t i = 0; i + keep_n < backups.size(); ++i) {
    if (!fs::remove(backups[i], ec)) {
      return Status::error(ErrorCode::io_error,
                           backups[i].string() + ": cannot remove: " + ec.message());
    }
    run.removed.push_back(backups[i]);
  }
  return run;
}

Status restore_database(const fs::path& from, const std::string& db) {
  if (is_postgresql(db) || db.find("://") != std::string::npos) return must_be_sqlite_file(db);
  std::error_code ec;
  if (!fs::is_regular_file(from, ec)) {
    return Status::error(ErrorCode::not_found, from.string() + ": no backup there");
  }
  {
    auto source = sql::Db::open(from.string(), sql::OpenOptions{});
    if (!source.is_ok()) return source.status();
    if (Status s = check(**source, "PRAGMA integrity_check"); !s.is_ok()) {
      return Status::error(s.code(), s.message() + "; " + db + " was left as it was");
    }
    auto target = open_server_db(db);
    if (!target.is_ok()) return target.status();
    if (Status s = sql::copy_database(**source, **target); !s.is_ok()) return s;
  }
  auto store = ServerStore::open(db);
  return store.is_ok() ? Status::ok() : store.status();
}

}  // namespace sipas
