#include "sipas/server/actions.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>

#include "html.hpp"
#include "sipas/server/scores.hpp"

namespace sipas {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

constexpr std::size_t kMaxActionText = 2000;

Status problem(const char* key, const std::string& language) {
  return Status::error(ErrorCode::invalid_argument, html::tr(key, language));
}

// Where the criterion or element lives in the server's likert questionnaires.
struct TargetFound {
  const Element* element = nullptr;
  const Criterion* criterion = nullptr;
};
TargetFound find_target(ScoreService& svc, const std::string& element,
                        const std::string& criterion) {
  for (const Survey& s : svc.surveys()) {
    if (s.scale != ScaleKind::likert5) continue;
    for (const Element& e : s.elements) {
      if (criterion.empty()) {
        if (e.id == element) return {&e, nullptr};
        continue;
      }
      for (const Criterion& c : e.criteria) {
        if (c.id == criterion) return {&e, &c};
      }
    }
  }
  return {};
}

std::int64_t satisfied_of(const std::map<int, std::int64_t>& counts) {
  std::int64_t n = 0;
  for (const auto& [value, count] : counts) {
    if (value >= 4) n += count;
  }
  return n;
}

}  // namespace

const char* to_string(ActionStatus s) {
  switch (s) {
    case ActionStatus::planned: return "planned";
    case ActionStatus::in_progress: return "in_progress";
    case ActionStatus::done: return "done";
  }
  return "planned";
}

std::optional<ActionStatus> parse_action_status(std::string_view text) {
  if (text == "planned") return ActionStatus::planned;
  if (text == "in_progress") return ActionStatus::in_progress;
  if (text == "done") return ActionStatus::done;
  return std::nullopt;
}

const char* to_string(EffectVerdict v) {
  switch (v) {
    case EffectVerdict::not_started: return "not_started";
    case EffectVerdict::too_little_data: return "too_little_data";
    case EffectVerdict::improved: return "improved";
    case EffectVerdict::worsened: return "worsened";
    case EffectVerdict::no_clear_change: return "no_clear_change";
  }
  return "no_clear_change";
}

EffectWindows effect_windows(Date start, Date today, int window_days) {
  EffectWindows w;
  const auto seen = (sys_days(today) - sys_days(start)).count();  // start .. yesterday
  if (seen <= 0 || window_days <= 0) return w;
  w.days = static_cast<int>(std::min<long long>(seen, window_days));
  w.before = {Date(sys_days(start) - days(w.days)), Date(sys_days(start) - days(1))};
  w.after = {start, Date(sys_days(start) + days(w.days - 1))};
  return w;
}

EffectEstimate estimate_effect(const std::vector<CriterionWindows>& criteria) {
  EffectEstimate e;
  double sum_before = 0, sum_after = 0, var_before = 0, var_after = 0;
  int k_before = 0, k_after = 0;
  for (const CriterionWindows& c : criteria) {
    if (c.before_n > 0) {
      const double p = static_cast<double>(c.before_satisfied) / static_cast<double>(c.before_n);
      sum_before += p;
      var_before += p * (1 - p) / static_cast<double>(c.before_n);
      ++k_before;
    }
    if (c.after_n > 0) {
      const double p = static_cast<double>(c.after_satisfied) / static_cast<double>(c.after_n);
      sum_after += p;
      var_after += p * (1 - p) / static_cast<double>(c.after_n);
      ++k_after;
    }
  }
  if (k_before == 0 || k_after == 0) return e;
  // An element's index is the plain mean of its criteria's shares, so its variance is the sum of
  // theirs over k^2. The criteria are answered by the same citizens, whose answers go together,
  // so this leaves out their covariance: the interval is approximate (usually a little narrow).
  const double diff = sum_after / k_after - sum_before / k_before;
  const double se = std::sqrt(var_before / (static_cast<double>(k_before) * k_before) +
                              var_after / (static_cast<double>(k_after) * k_after));
  e.difference = 100 * diff;
  e.low = 100 * (diff - kZ95 * se);
  e.high = 100 * (diff + kZ95 * se);
  e.verdict = *e.low > 0    ? EffectVerdict::improved
              : *e.high < 0 ? EffectVerdict::worsened
                            : EffectVerdict::no_clear_change;
  return e;
}

std::string effect_sentence(const ActionEffect& e, const std::string& language) {
  const std::string lang = language == "en" ? "en" : "vi";
  auto num = [&](std::optional<double> v) { return html::number(v, lang); };
  switch (e.verdict) {
    case EffectVerdict::not_started:
      return html::tr("effect_not_started", lang);
    case EffectVerdict::too_little_data:
      return html::tr("effect_too_little", lang) + std::string(" (") +
             html::tr("effect_before", lang) + " n = " + std::to_string(e.before.n) + ", " +
             html::tr("effect_after", lang) + " n = " + std::to_string(e.after.n) + ").";
    default: break;
  }
  const double d = e.difference.value_or(0);
  std::string head;
  if (e.verdict == EffectVerdict::no_clear_change) {
    head = html::tr("effect_change", lang) + std::string(" ") + html::signed_number(d, lang);
  } else {
    head = html::tr(d >= 0 ? "effect_up" : "effect_down", lang) + std::string(" ") +
           num(std::fabs(d));
  }
  return head + " " + html::tr("effect_points", lang) + " (" + html::tr("effect_ci", lang) + " " +
         num(e.low) + " " + html::tr("effect_to", lang) + " " + num(e.high) + "), " +
         html::tr(e.verdict == EffectVerdict::no_clear_change ? "effect_chance" : "effect_real",
                  lang) +
         ".";
}

Status apply_action_fields(ScoreService& svc, const ActionFields& f, ImprovementAction& a,
                           const std::string& language) {
  if (f.unit) a.unit = *f.unit;
  auto units = svc.units();
  if (!units.is_ok()) return units.status();
  if (std::none_of(units->begin(), units->end(),
                   [&](const UnitRecord& u) { return u.code == a.unit; })) {
    return problem("action_err_unit", language);
  }
  if (f.criterion || f.element) {
    a.criterion = f.criterion.value_or("");
    a.element = f.element.value_or("");
  }
  if (a.criterion.empty() && a.element.empty()) return problem("action_err_target", language);
  const TargetFound found = find_target(svc, a.element, a.criterion);
  if (!a.criterion.empty()) {
    if (!found.criterion) return problem("action_err_criterion", language);
    if (!a.element.empty() && a.element != found.element->id) {
      return problem("action_err_element_mismatch", language);
    }
    a.element = found.element->id;
  } else if (!found.element) {
    return problem("action_err_element", language);
  }
  if (f.what) a.what = *f.what;
  if (f.owner) a.owner = *f.owner;
  auto blank = [](const std::string& s) {
    return s.find_first_not_of(" \t\r\n") == std::string::npos;
  };
  if (blank(a.what)) return problem("action_err_what", language);
  if (blank(a.owner)) return problem("action_err_owner", language);
  if (a.what.size() > kMaxActionText) return problem("action_err_what_long", language);
  if (a.owner.size() > kMaxActionText) return problem("action_err_owner_long", language);
  if (f.start) {
    auto d = parse_date(*f.start);
    if (!d || !d->ok()) return problem("action_err_start", language);
    a.start = *d;
  }
  if (f.deadline) {
    auto d = parse_date(*f.deadline);
    if (!d || !d->ok()) return problem("action_err_deadline", language);
    a.deadline = *d;
  }
  if (!a.start.ok()) return problem("action_err_start", language);
  if (!a.deadline.ok()) return problem("action_err_deadline", language);
  if (sys_days(a.deadline) < sys_days(a.start)) {
    return problem("action_err_deadline_before", language);
  }
  if (f.status) {
    auto s = parse_action_status(*f.status);
    if (!s) return problem("action_err_status", language);
    a.status = *s;
  }
  return Status::ok();
}

std::string action_target_text(ScoreService& svc, const ImprovementAction& a,
                               const std::string& language) {
  const TargetFound found = find_target(svc, a.element, a.criterion);
  if (found.criterion) return found.criterion->text.get(language);
  if (found.element) return found.element->name.get(language);
  return a.criterion.empty() ? a.element : a.criterion;
}

Result<ActionEffect> measure_effect(ScoreService& svc, const ImprovementAction& a, Date today,
                                    int window_days) {
  ActionEffect effect;
  effect.window_days = window_days;
  const EffectWindows w = effect_windows(a.start, today, window_days);
  effect.days_measured = w.days;
  if (w.days == 0) {
    effect.verdict = EffectVerdict::not_started;
    return effect;
  }
  effect.before.range = w.before;
  effect.after.range = w.after;
  const bool criterion = !a.criterion.empty();
  const std::string& key = criterion ? a.criterion : a.element;
  // Per window: the target's criteria, by id, with the index as the scores API gives it.
  std::map<std::string, CriterionWindows> per;
  for (EffectWindow* win : {&effect.before, &effect.after}) {
    ScoreQuery q;
    q.unit = a.unit;
    q.range = win->range;
    q.group = criterion ? Grouping::criterion : Grouping::element;
    q.extras = false;
    auto sc = svc.scores(q);
    if (!sc.is_ok()) return sc.status();
    const bool before = win == &effect.before;
    for (const ScoreGroup& g : sc->groups) {
      if (g.key != key || g.score.elements.empty()) continue;
      const ElementScore& e = g.score.elements.front();
      win->index = g.score.index;
      for (const CriterionScore& c : e.criteria) {
        if (criterion && c.id != key) continue;
        if (criterion) win->index = c.index;
        const std::int64_t sat = satisfied_of(c.counts);
        win->n += c.n;
        win->satisfied += sat;
        CriterionWindows& cw = per[c.id];
        (before ? cw.before_n : cw.after_n) = c.n;
        (before ? cw.before_satisfied : cw.after_satisfied) = sat;
      }
    }
  }
  std::vector<CriterionWindows> list;
  for (const auto& [id, cw] : per) list.push_back(cw);
  const EffectEstimate est = estimate_effect(list);
  effect.difference = est.difference;
  effect.low = est.low;
  effect.high = est.high;
  effect.verdict = est.verdict;
  return effect;
}

Result<std::vector<ActionView>> action_views(ScoreService& svc, const std::string& unit, Date today,
                                             const std::string& language, int window_days) {
  auto units = svc.units();
  if (!units.is_ok()) return units.status();
  std::map<std::string, std::vector<const UnitRecord*>> children;
  const UnitRecord* root = nullptr;
  for (const UnitRecord& u : *units) {
    if (u.code == unit) root = &u;
    if (u.parent) children[*u.parent].push_back(&u);
  }
  if (!root) return Status::error(ErrorCode::invalid_argument, "unknown unit " + unit);
  // The unit tree in pre-order, children by code; bounded by the number of units (no cycles).
  std::vector<const UnitRecord*> order;
  std::vector<const UnitRecord*> stack{root};
  while (!stack.empty() && order.size() <= units->size()) {
    const UnitRecord* u = stack.back();
    stack.pop_back();
    order.push_back(u);
    auto& kids = children[u->code];
    std::sort(kids.begin(), kids.end(),
              [](const UnitRecord* x, const UnitRecord* y) { return x->code > y->code; });
    for (const UnitRecord* k : kids) stack.push_back(k);
  }
  std::map<std::string, std::size_t> position;
  std::vector<std::string> codes;
  for (const UnitRecord* u : order) {
    position[u->code] = codes.size();
    codes.push_back(u->code);
  }
  auto stored = svc.store().actions(codes);
  if (!stored.is_ok()) return stored.status();
  std::stable_sort(stored->begin(), stored->end(),
                   [&](const ImprovementAction& x, const ImprovementAction& y) {
                     return position[x.unit] < position[y.unit];
                   });
  std::vector<ActionView> out;
  for (ImprovementAction& a : *stored) {
    auto v = action_view(svc, std::move(a), today, language, window_days);
    if (!v.is_ok()) return v.status();
    out.push_back(std::move(v).value());
  }
  return out;
}

Result<ActionView> action_view(ScoreService& svc, ImprovementAction a, Date today,
                               const std::string& language, int window_days) {
  auto units = svc.units();
  if (!units.is_ok()) return units.status();
  ActionView v;
  for (const UnitRecord& u : *units) {
    if (u.code == a.unit) v.unit_name = u.name;
  }
  v.target_text = action_target_text(svc, a, language);
  v.overdue = a.status != ActionStatus::done && sys_days(a.deadline) < sys_days(today);
  auto effect = measure_effect(svc, a, today, window_days);
  if (!effect.is_ok()) return effect.status();
  v.effect = *effect;
  v.action = std::move(a);
  return v;
}

}  // namespace sipas
