// SIPAS scores on the province server: daily rollups kept next to the raw responses, and the
// queries behind GET /api/v1/scores, the reports and the dashboard.
//
// Rollups: every accepted response adds its counts (answers per criterion and value, reasons,
// complete/partial, Mẫu 01 totals) to three tables keyed by the unit and the local date of
// submission in the unit's time zone: rollup_detail (unit, day, counter, officer, procedure,
// survey; "" for no officer or no procedure),
// rollup_day (unit, day, survey) and rollup_month (unit, month, survey). add_to_rollups() runs
// inside the ingest transaction, so the rollups always equal the raw rows; rebuild_rollups()
// recomputes them from the raw rows (after an import, or to check).
//
// Scoring goes through the shared library (Tally, score_likert, merge_elements, score_points) so
// the kiosk's staff view and the server agree.
//
// Threads: a ScoreService owns its own SQLite connection and is used by one thread at a time.
// Errors: invalid_argument for a bad query (unknown unit, from after to), storage codes otherwise.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipas/response.hpp"
#include "sipas/scoring.hpp"
#include "sipas/server/batch.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/status.hpp"
#include "sipas/survey.hpp"
#include "sipas/time.hpp"

namespace sipas {

namespace sql {
class Db;
}

// The rollup tables (CREATE TABLE IF NOT EXISTS), a step of ServerStore's migrations.
extern const char* const kRollupSchemaSql;
// The migration step that puts the procedure into rollup_detail's key (drops and recreates the
// table; recompute_rollups() fills it again).
extern const char* const kRollupProcedureSchemaSql;
// Creates the rollup tables when missing. Idempotent.
Status ensure_rollup_schema(sql::Db& db);
// Adds accepted responses to the rollups. Call inside the transaction that stores them.
Status add_to_rollups(sql::Db& db, const std::vector<const Response*>& accepted);
// Empties the rollups and recomputes them from responses/answers/reasons, in one transaction.
Status rebuild_rollups(sql::Db& db);
// The same inside the caller's transaction (a schema migration).
Status recompute_rollups(sql::Db& db);

enum class ScoreSource { rollups, raw };
enum class Grouping { none, unit, counter, officer, day, survey, criterion, element, procedure };
std::optional<Grouping> parse_grouping(const std::string& text);
const char* to_string(Grouping g);

struct ScoreQuery {
  std::string unit;
  DateRange range{};
  std::optional<std::string> counter;
  std::optional<std::string> officer;
  std::optional<std::string> procedure;  // a procedure code
  std::optional<std::string> survey;
  Grouping group = Grouping::none;
  std::string language = "vi";
  ScoreSource source = ScoreSource::rollups;
  // previous period and change, rankings of child units, fix-first, top reasons, national
  // reference figures, Mẫu 01 per officer and unit.
  bool extras = true;
};

// The national SIPAS figures (SPEC) as JSON, for reference lines.
nlohmann::json national_reference();

// One comment left by a citizen, for the dashboard and exports.
struct CommentRow {
  std::string submitted_at;
  std::string local_time;  // "2026-11-18 07:00" in the unit's time zone
  std::string unit;
  std::string counter;
  std::optional<std::string> officer;
  std::string text;
  std::vector<std::string> reasons;  // reason ids
};

// Unset fields do not filter.
struct CommentFilter {
  std::optional<std::string> counter;
  std::optional<std::string> officer;
  std::optional<std::string> procedure;  // a procedure code
};

// One raw response row for exports.
struct RawRow {
  std::string id;
  std::string kiosk_id;
  std::int64_t seq = 0;
  std::string unit, counter;
  std::optional<std::string> officer, dossier, procedure;
  std::string survey_id;
  int survey_version = 1;
  std::string language, submitted_at, local_day, status;
  std::map<std::string, std::optional<int>> answers;
  std::vector<std::string> reasons;
  std::optional<std::string> comment;
};

class ScoreService {
 public:
  // Opens (and migrates) the server database at `db_path` and loads its questionnaires.
  static Result<std::unique_ptr<ScoreService>> open(const std::string& db_path);
  ~ScoreService();
  ScoreService(const ScoreService&) = delete;
  ScoreService& operator=(const ScoreService&) = delete;

  // The JSON of SPEC's /api/v1/scores plus: "unit_name", "groups" (when grouped), "points",
  // "previous" and "change", "children" (ranked), "fix_first", "top_reasons", "national".
  // Grouped by procedure, each group's "key" is the code and "name" its catalogue name in the
  // query's language (Vietnamese when there is none in it), null for a code not in the
  // catalogue; responses without a procedure form one group whose key and name are null.
  Result<nlohmann::json> scores(const ScoreQuery& q);

  Status rebuild();
  ServerStore& store() { return *store_; }
  sql::Db& db() { return *db_; }

  Result<std::vector<UnitRecord>> units();
  // The procedure catalogue, by code.
  Result<std::vector<ProcedureRecord>> procedures();
  // Whether `unit` is `root` or below it.
  Result<bool> is_within(const std::string& unit, const std::string& root);
  // The latest survey of each id, Vietnamese-first texts; likert and points.
  const std::vector<Survey>& surveys() const { return surveys_; }
  const Survey* survey(const std::string& id) const;

  // Comments in the unit's subtree and range, newest first; `filter` narrows them the way
  // ScoreQuery's counter/officer/procedure narrow the scores.
  Result<std::vector<CommentRow>> comments(const std::string& unit, const DateRange& range,
                                           std::size_t limit, const CommentFilter& filter = {});
  // Raw responses in the unit's subtree and range, by submission time.
  Result<std::vector<RawRow>> raw_responses(const std::string& unit, const DateRange& range,
                                            std::size_t limit);
  // The local date of today in `unit`'s time zone.
  Result<Date> today(const std::string& unit, TimePoint now);

 private:
  ScoreService() = default;
  struct Impl;
  std::unique_ptr<ServerStore> store_;
  std::unique_ptr<sql::Db> db_;
  std::vector<Survey> surveys_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipas
