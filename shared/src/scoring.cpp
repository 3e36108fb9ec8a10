#include "sipas/scoring.hpp"

#include <algorithm>
#include <set>

namespace sipas {
namespace {

using nlohmann::json;

const std::vector<Option>& default_likert_options() {
  static const std::vector<Option> options = [] {
    std::vector<Option> o;
    for (int v = 1; v <= 5; ++v) o.push_back({v, {}});
    return o;
  }();
  return options;
}

std::optional<double> mean_of(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

// Counts, n and mean of one criterion over the values its options allow; anything else in the
// tally (a value off the scale) is not a valid answer and is left out.
CriterionScore score_criterion(const Criterion& c, const std::vector<Option>& options,
                               const Tally& tally) {
  CriterionScore score;
  score.id = c.id;
  score.text = c.text;
  const std::map<int, std::int64_t>* seen = nullptr;
  if (auto it = tally.answers.find(c.id); it != tally.answers.end()) seen = &it->second;
  double sum = 0;
  for (const Option& o : options) {
    std::int64_t count = 0;
    if (seen != nullptr) {
      if (auto it = seen->find(o.value); it != seen->end()) count = it->second;
    }
    score.counts[o.value] = count;
    score.n += count;
    sum += static_cast<double>(o.value) * static_cast<double>(count);
  }
  if (score.n > 0) score.mean = sum / static_cast<double>(score.n);
  return score;
}

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json counts_json(const std::map<int, std::int64_t>& counts) {
  json out = json::object();
  for (const auto& [value, count] : counts) out[std::to_string(value)] = count;
  return out;
}

json criterion_json(const CriterionScore& c, const std::string& language, bool with_index) {
  json j = {{"id", c.id},
            {"text", c.text.get(language)},
            {"mean", optional_number(c.mean)},
            {"n", c.n},
            {"counts", counts_json(c.counts)}};
  if (with_index) j["index"] = optional_number(c.index);
  return j;
}

}  // namespace

void Tally::merge(const Tally& other) {
  for (const auto& [criterion, by_value] : other.answers) {
    auto& mine = answers[criterion];
    for (const auto& [value, count] : by_value) mine[value] += count;
  }
  for (const auto& [reason, count] : other.reasons) reasons[reason] += count;
  for (const auto& [total, count] : other.totals) totals[total] += count;
  complete += other.complete;
  partial += other.partial;
}

std::optional<double> likert_index(const std::map<int, std::int64_t>& counts) {
  std::int64_t valid = 0;
  std::int64_t satisfied = 0;
  for (const auto& [value, count] : counts) {
    if (value < 1 || value > 5) continue;
    valid += count;
    if (value >= 4) satisfied += count;
  }
  if (valid == 0) return std::nullopt;
  return 100.0 * static_cast<double>(satisfied) / static_cast<double>(valid);
}

SurveyScore score_likert(const std::vector<Element>& elements, const std::vector<Option>& options,
                         const Tally& tally) {
  const std::vector<Option>& survey_options = options.empty() ? default_likert_options() : options;
  SurveyScore score;
  score.complete = tally.complete;
  score.partial = tally.partial;
  score.responses = tally.responses();
  std::vector<double> element_indices;
  for (const Element& e : elements) {
    ElementScore es;
    es.id = e.id;
    es.name = e.name;
    es.in_index = e.in_index;
    std::vector<double> criterion_indices;
    for (const Criterion& c : e.criteria) {
      CriterionScore cs = score_criterion(c, c.options.empty() ? survey_options : c.options, tally);
      cs.index = likert_index(cs.counts);
      if (cs.index) criterion_indices.push_back(*cs.index);
      es.criteria.push_back(std::move(cs));
    }
    es.index = mean_of(criterion_indices);
    if (es.in_index && es.index) element_indices.push_back(*es.index);
    score.elements.push_back(std::move(es));
  }
  score.index = mean_of(element_indices);
  return score;
}

SurveyScore score_likert(const Survey& survey, const Tally& tally) {
  return score_likert(survey.elements, survey.options, tally);
}

std::vector<Element> merge_elements(const std::vector<const Survey*>& surveys) {
  std::vector<Element> merged;
  // A criterion id names one question everywhere; the first element that lists it keeps it, so
  // its answers are never counted under two elements.
  std::set<std::string> criteria_seen;
  for (const Survey* survey : surveys) {
    if (survey == nullptr) continue;
    for (const Element& e : survey->elements) {
      auto it = std::find_if(merged.begin(), merged.end(),
                             [&](const Element& m) { return m.id == e.id; });
      if (it == merged.end()) {
        merged.push_back({e.id, e.name, e.in_index, {}});
        it = std::prev(merged.end());
      }
      for (const Criterion& c : e.criteria) {
        if (criteria_seen.insert(c.id).second) it->criteria.push_back(c);
      }
    }
  }
  return merged;
}

PointsScore score_points(const Survey& survey, const Tally& tally) {
  PointsScore score;
  for (const Criterion* c : survey.questions()) {
    score.indicators.push_back(score_criterion(*c, survey.options_for(*c), tally));
  }

  double sum = 0;
  for (const auto& [total, count] : tally.totals) {
    score.responses += count;
    sum += static_cast<double>(total) * static_cast<double>(count);
  }
  if (score.responses > 0) score.mean_total = sum / static_cast<double>(score.responses);

  for (const GradeBand& band : survey.grades) {
    GradeCount g{band.id, band.name, 0};
    for (const auto& [total, count] : tally.totals) {
      if (survey.grade_for(total) == &band) g.count += count;
    }
    score.grades.push_back(std::move(g));
  }
  return score;
}

nlohmann::json to_json(const SurveyScore& s, const std::string& language) {
  json elements = json::array();
  for (const ElementScore& e : s.elements) {
    json criteria = json::array();
    for (const CriterionScore& c : e.criteria) criteria.push_back(criterion_json(c, language, true));
    elements.push_back({{"id", e.id},
                        {"name", e.name.get(language)},
                        {"in_index", e.in_index},
                        {"index", optional_number(e.index)},
                        {"criteria", std::move(criteria)}});
  }
  return {{"responses", s.responses},
          {"complete", s.complete},
          {"partial", s.partial},
          {"index", optional_number(s.index)},
          {"elements", std::move(elements)}};
}

nlohmann::json to_json(const PointsScore& s, const std::string& language) {
  json indicators = json::array();
  for (const CriterionScore& c : s.indicators) {
    indicators.push_back(criterion_json(c, language, false));
  }
  json grades = json::array();
  for (const GradeCount& g : s.grades) {
    grades.push_back({{"id", g.id}, {"name", g.name.get(language)}, {"count", g.count}});
  }
  return {{"responses", s.responses},
          {"mean_total", optional_number(s.mean_total)},
          {"indicators", std::move(indicators)},
          {"grades", std::move(grades)}};
}

}  // namespace sipas
