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

#include <cstdint>
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

// The longest range a query, report or export may cover, in days (ten years and a little).
constexpr std::int64_t kMaxRangeDays = 3700;

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

// The national SIPAS figures (SPEC), for reference lines.
struct NationalReference {
  struct Year {
    int year = 0;
    double index = 0;
    std::optional<std::string> note;
  };
  std::vector<Year> sipas;                       // the yearly national index
  std::map<std::string, double> elements_2023;   // element id -> national element index, 2023
  double admin_services_2024 = 0;                // administrative services, 2024
  double target_2030 = 0;                        // the 2030 target
  // The latest national index (the last of `sipas`).
  double latest() const { return sipas.empty() ? 0 : sipas.back().index; }
};
const NationalReference& national_reference();
nlohmann::json to_json(const NationalReference& n);

// A criterion of the index, for "fix first" lists (weakest first).
struct WeakCriterion {
  std::string id;
  std::string text;          // in the query's language
  std::string element;       // element id
  std::string element_name;  // in the query's language
  double index = 0;
  std::int64_t n = 0;
};

// How often citizens chose a follow-up reason.
struct ReasonCount {
  std::string id;
  std::string text;  // in the query's language; the id for a reason no questionnaire knows
  std::int64_t count = 0;
};

// One group of a grouped query. `key` is the counter, officer, day ("YYYY-MM-DD"), survey id,
// child unit code, procedure code, element id or criterion id; nullopt only for the group of
// responses without a procedure. `name` is set where the grouping has names: the unit's name,
// the survey's title, the procedure's catalogue name (nullopt for a code not in the catalogue),
// the element's name, the criterion's text. `element` is the element id of a criterion group.
// Element and criterion groups carry the whole result's counts and, in `score.elements`, the one
// element (with, for a criterion, just that criterion); their `score.index` is its index.
struct ScoreGroup {
  std::optional<std::string> key;
  std::optional<std::string> name;
  std::optional<std::string> element;
  SurveyScore score;
};

// A child unit of the queried one, with its own weakest criteria and reasons.
struct ChildUnitScore {
  std::string unit;
  std::string name;
  SurveyScore score;
  std::vector<WeakCriterion> fix_first;  // up to 3
  std::vector<ReasonCount> top_reasons;  // up to 3
  std::optional<int> rank;               // 1 = best; nullopt while it has no index
};

// The previous period of the same length and its figures.
struct PreviousPeriod {
  DateRange range{};
  std::optional<double> index;
  std::int64_t responses = 0;
};

// Mẫu 01 (a points questionnaire): the whole unit, each child unit and each officer.
struct PointsSection {
  struct Part {
    std::string key;   // a child unit's code, or an officer ("" for none recorded)
    std::string name;  // the child unit's name; empty for officers
    PointsScore score;
  };
  std::string survey;
  std::string title;  // in the query's language
  PointsScore score;
  std::vector<Part> units;
  std::vector<Part> officers;
};

// What ScoreQuery::extras adds.
struct ScoreExtras {
  std::vector<WeakCriterion> fix_first;  // up to 5
  std::vector<ReasonCount> top_reasons;  // up to 5
  PreviousPeriod previous;
  std::optional<double> change;  // index minus the previous period's; nullopt when either is
  std::vector<ChildUnitScore> children;  // ranked: best index first, units without one last
  std::vector<PointsSection> points;     // one per points questionnaire with responses
};

// The answer to a ScoreQuery. Texts inside `overall`, `groups` etc. are LocalizedText where the
// shared scoring keeps them; `language` says which language the resolved strings here are in.
struct Scores {
  std::string language;
  std::string unit;
  std::string unit_name;
  DateRange range{};
  ScoreSource source = ScoreSource::rollups;
  std::optional<std::string> survey;
  std::optional<std::string> counter;
  std::optional<std::string> officer;
  std::optional<std::string> procedure;
  std::optional<std::string> procedure_name;  // with `procedure`: its catalogue name, if any
  SurveyScore overall;
  Grouping group = Grouping::none;
  std::vector<ScoreGroup> groups;  // empty unless grouped
  std::optional<ScoreExtras> extras;
};

// The JSON of SPEC's /api/v1/scores: the overall score's fields plus "unit", "unit_name",
// "from", "to", "source", the filters given, "group" and "groups" when grouped, and with extras
// "fix_first", "top_reasons", "previous", "change", "children", "points" and "national".
// Grouped by procedure, a group's "key" and "name" are null for responses without a procedure
// and "name" is null for a code not in the catalogue; counter, officer and day groups have no
// "name".
nlohmann::json to_json(const Scores& s);

class ScoreService {
 public:
  // Opens (and migrates) the server's storage `db` and loads its questionnaires.
  static Result<std::unique_ptr<ScoreService>> open(const std::string& db);
  ~ScoreService();
  ScoreService(const ScoreService&) = delete;
  ScoreService& operator=(const ScoreService&) = delete;

  // Scores the query (see Scores). Names are in the query's language, Vietnamese when a text
  // has none in it.
  Result<Scores> scores(const ScoreQuery& q);

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
  // A follow-up reason's text in `language` from the first questionnaire that has it; the id for
  // a reason none has.
  std::string reason_text(const std::string& id, const std::string& language) const;

  // Comments in the unit's subtree and range, newest first; `filter` narrows them the way
  // ScoreQuery's counter/officer/procedure narrow the scores.
  Result<std::vector<CommentRow>> comments(const std::string& unit, const DateRange& range,
                                           std::size_t limit, const CommentFilter& filter = {});
  // Raw responses in the unit's subtree and range, by submission time, at most `limit`, read a
  // row at a time with local_day filled in. The cursor uses this service's storage connection
  // until it is destroyed: nothing else may use the service meanwhile.
  Result<std::unique_ptr<RawCursor>> raw_responses(const std::string& unit, const DateRange& range,
                                                   std::size_t limit);
  // Every criterion id of every questionnaire version stored, in questionnaire order: the
  // columns of a raw export.
  const std::vector<std::string>& criterion_ids() const { return criterion_ids_; }
  // The local date of today in `unit`'s time zone.
  Result<Date> today(const std::string& unit, TimePoint now);

 private:
  ScoreService() = default;
  struct Impl;
  std::unique_ptr<ServerStore> store_;
  std::vector<Survey> surveys_;
  std::vector<std::string> criterion_ids_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipas
