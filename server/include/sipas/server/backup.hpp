// Backups of the province server's SQLite database (`sipas-server backup` and `restore`), made
// with SQLite's online backup API (sql::copy_database): a backup is the database as of one
// moment, consistent while kiosks upload, and taking it does not hold the uploads up.
//
// Threads: any thread; each call opens connections of its own.
// Errors: not_found (no database or backup file there), invalid_argument (a --db that is not a
// SQLite file, such as a postgresql:// URL; keep < 1), corrupt (a copy or a backup that fails
// SQLite's check; nothing is replaced then), and the storage and file codes (busy, disk_full,
// read_only, io_error), each naming the file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

// Copies `db` to the file `to`, replacing it atomically (files.hpp): the copy is checked with
// PRAGMA quick_check and synced before it takes the name, so `to` is always a whole, good backup
// (the previous one if this one fails). The backup is one self-contained file (rollback journal,
// no -wal beside it), readable by its owner only.
Status backup_database(const std::string& db, const std::filesystem::path& to);

struct BackupRun {
  std::filesystem::path written;
  std::vector<std::filesystem::path> removed;
};

// Writes DIR/sipas-YYYYMMDDTHHMMSSZ.db (the UTC time `now`) as backup_database() does, then,
// only once it is in place, deletes the oldest files named like that beyond the `keep` newest.
// Other files in `dir` are never touched; `dir` is created if missing.
Result<BackupRun> backup_into_dir(const std::string& db, const std::filesystem::path& dir,
                                  int keep, TimePoint now);

// Checks `from` (PRAGMA integrity_check), copies it over `db` (through SQLite, which also
// handles db's WAL file; copying the file would not), then opens it as the server does, so its
// schema is migrated to this version's. Stop the server first: it keeps its questionnaires and
// connections from before the restore.
Status restore_database(const std::filesystem::path& from, const std::string& db);

}  // namespace sipas
