// Scoring: the formulas of SPEC as pure functions over aggregated counts, used by the kiosk's staff
// view and the server alike so that both show the same numbers for the same responses.
//
//   criterion index (likert5) = 100 * (answers of 4 or 5) / (valid answers)
//   element index             = mean of its criteria's indices (criteria with no answers left out)
//   overall index             = mean of the element indices (elements with no answers, and
//                               elements with in_index=false, left out)
//   points scale (Mẫu số 01)  = mean points per indicator; per response the total and its grade.
//
// A valid answer is a value on the criterion's scale; "not applicable" and skipped answers are
// never counted. Answers from partial responses count.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipas/survey.hpp"

namespace sipas {

// Counts for one group of responses (a unit, counter, officer, day ...). Cheap to merge, so
// rollups per day can be added up into any period.
struct Tally {
  std::map<std::string, std::map<int, std::int64_t>> answers;  // criterion -> value -> count
  std::map<std::string, std::int64_t> reasons;                 // reason id -> times chosen
  std::map<int, std::int64_t> totals;                          // points surveys: total -> responses
  std::int64_t complete = 0;
  std::int64_t partial = 0;

  std::int64_t responses() const { return complete + partial; }
  void merge(const Tally& other);
  bool operator==(const Tally&) const = default;
};

struct CriterionScore {
  std::string id;
  LocalizedText text;
  std::optional<double> index;     // null when n == 0 (and always for the points scale)
  std::optional<double> mean;      // on the criterion's own scale
  std::int64_t n = 0;              // valid answers
  std::map<int, std::int64_t> counts;  // every option value present, zeros included
};

struct ElementScore {
  std::string id;
  LocalizedText name;
  bool in_index = true;
  std::optional<double> index;
  std::vector<CriterionScore> criteria;
};

struct SurveyScore {
  std::int64_t responses = 0;
  std::int64_t complete = 0;
  std::int64_t partial = 0;
  std::optional<double> index;
  std::vector<ElementScore> elements;
};

// 100 * (count of 4 and 5) / (count of 1..5); nullopt when there is no valid answer.
std::optional<double> likert_index(const std::map<int, std::int64_t>& counts);

// Scores a likert5 questionnaire. `elements` is usually survey.elements, or merge_elements() of
// several surveys when a unit uses more than one.
SurveyScore score_likert(const std::vector<Element>& elements, const std::vector<Option>& options,
                         const Tally& tally);
SurveyScore score_likert(const Survey& survey, const Tally& tally);

// The union of several surveys' elements, by element id then criterion id, first text wins.
std::vector<Element> merge_elements(const std::vector<const Survey*>& surveys);

struct GradeCount {
  std::string id;
  LocalizedText name;
  std::int64_t count = 0;
};

struct PointsScore {
  std::int64_t responses = 0;            // responses with at least one valid answer
  std::optional<double> mean_total;      // mean of per-response totals (0–18 for Mẫu 01)
  std::vector<CriterionScore> indicators;  // mean points per indicator (0–2)
  std::vector<GradeCount> grades;        // in the survey's band order, zeros included
};

PointsScore score_points(const Survey& survey, const Tally& tally);

// JSON shapes used by the server's API (SPEC's /api/v1/scores) and exports. Texts are given in
// `language` (falling back to Vietnamese).
nlohmann::json to_json(const SurveyScore& s, const std::string& language);
nlohmann::json to_json(const PointsScore& s, const std::string& language);

}  // namespace sipas
