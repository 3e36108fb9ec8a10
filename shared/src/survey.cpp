#include "sipas/survey.hpp"

#include <algorithm>

namespace sipas {

const std::string& LocalizedText::get(const std::string& language) const {
  static const std::string empty;
  if (auto it = by_language.find(language); it != by_language.end()) return it->second;
  if (auto it = by_language.find("vi"); it != by_language.end()) return it->second;
  if (!by_language.empty()) return by_language.begin()->second;
  return empty;
}

const char* to_string(ScaleKind kind) {
  switch (kind) {
    case ScaleKind::likert5: return "likert5";
    case ScaleKind::points: return "points";
  }
  return "unknown";
}

const Criterion* Survey::find_criterion(const std::string& id) const {
  for (const Element& e : elements) {
    for (const Criterion& c : e.criteria) {
      if (c.id == id) return &c;
    }
  }
  return nullptr;
}

const Element* Survey::element_of(const std::string& criterion_id) const {
  for (const Element& e : elements) {
    for (const Criterion& c : e.criteria) {
      if (c.id == criterion_id) return &e;
    }
  }
  return nullptr;
}

std::vector<std::string> Survey::languages() const {
  std::vector<std::string> out{"vi"};
  for (const auto& [code, text] : title.by_language) {
    if (code != "vi") out.push_back(code);
  }
  return out;
}

const Reason* Survey::find_reason(const std::string& id) const {
  for (const Reason& r : reasons) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

const std::vector<Option>& Survey::options_for(const Criterion& c) const {
  return c.options.empty() ? options : c.options;
}

bool Survey::is_valid_value(const Criterion& c, int value) const {
  const std::vector<Option>& opts = options_for(c);
  return std::any_of(opts.begin(), opts.end(), [value](const Option& o) { return o.value == value; });
}

std::vector<const Criterion*> Survey::questions() const {
  std::vector<const Criterion*> out;
  for (const Element& e : elements) {
    for (const Criterion& c : e.criteria) out.push_back(&c);
  }
  return out;
}

std::vector<const Criterion*> Survey::asking_order() const {
  std::vector<const Criterion*> out = questions();
  if (first_question.empty()) return out;
  auto it = std::find_if(out.begin(), out.end(),
                         [this](const Criterion* c) { return c->id == first_question; });
  if (it != out.end()) std::rotate(out.begin(), it, it + 1);
  return out;
}

std::vector<const Reason*> Survey::reasons_for(const std::vector<std::string>& low_criteria) const {
  std::vector<const Reason*> out;
  if (low_criteria.empty()) return out;
  for (const Reason& r : reasons) {
    const bool tied = std::any_of(r.criteria.begin(), r.criteria.end(), [&](const std::string& c) {
      return std::find(low_criteria.begin(), low_criteria.end(), c) != low_criteria.end();
    });
    if (r.criteria.empty() || tied) out.push_back(&r);
  }
  return out;
}

const GradeBand* Survey::grade_for(double total) const {
  // Bands are documented as sorted highest first, but a hand-edited file may not be; pick the
  // highest threshold the total reaches.
  const GradeBand* best = nullptr;
  for (const GradeBand& g : grades) {
    if (total >= g.min_total && (best == nullptr || g.min_total > best->min_total)) best = &g;
  }
  return best;
}

}  // namespace sipas
