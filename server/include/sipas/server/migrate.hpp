// Moving a province from its SQLite database to PostgreSQL (sipas-server migrate).
//
// Every table that carries data is copied, in one PostgreSQL transaction, into a target that
// must hold none yet (its schema is created as the server creates it): units, kiosks and their
// token hashes, users, questionnaires, the procedure catalogue, responses with their answers and
// reasons, quarantine, findings, batches, the rollups and the login-failure counts. Dashboard
// sessions and login links are not copied: users log in again. The source is read as it is (it is
// migrated to this version's schema first, as the server would at start); stop the server first
// so that nothing arrives meanwhile.
//
// Before reporting success the copy is checked: the rows of every table, and the scores of every
// unit for every year and quarter that has ratings, must be the same on both.
//
// Threads: one call, on the caller's thread. Errors: invalid_argument for a source that is not a
// SQLite file or a target that is not PostgreSQL; conflict for a target that already holds data;
// data_loss (the copy is committed, then found to differ) naming the first difference; the
// storages' codes otherwise. Nothing is committed on an error before the check.
#pragma once

#include <functional>
#include <string>

#include "sipas/status.hpp"

namespace sipas {

struct MigrationReport {
  std::int64_t tables = 0;
  std::int64_t rows = 0;            // rows copied in all
  std::int64_t responses = 0;
  std::int64_t score_checks = 0;    // unit × period score comparisons that matched
};

// `progress` gets one line per step ("responses: 120000 rows").
Result<MigrationReport> migrate_to_postgresql(const std::string& sqlite_path,
                                              const std::string& conninfo,
                                              const std::function<void(const std::string&)>& progress);

}  // namespace sipas
