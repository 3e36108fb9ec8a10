// SIPAS scores on the province server: the queries behind GET /api/v1/scores, the reports and
// the dashboard, answered from the storage's rollups (or, on request, its raw rows).
//
// Rollups: every accepted response adds its counts (answers per criterion and value, reasons,
// complete/partial, Mẫu 01 totals) to three levels keyed by the unit and the local date of
// submission in the unit's time zone: detail (unit, day, counter, officer, procedure, survey; ""
// for no officer or no procedure), day (unit, day, survey) and month (unit, month, survey). The
// storage adds them inside the ingest transaction, so the rollups always equal the raw rows;
// rebuild() recomputes them from the raw rows (after an import, or to check). See rollups.hpp.
//
// Scoring goes through the shared library (Tally, score_likert, merge_elements, score_points) so
// the kiosk's staff view and the server agree.
//
// Threads: a ScoreService owns its own ServerStore and is used by one thread at a time.
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

class ScoreService {
 public:
  // Opens (and migrates) the server's storage `db` and loads its questionnaires.
  static Result<std::unique_ptr<ScoreService>> open(const std::string& db);
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
  std::vector<Survey> surveys_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipas
