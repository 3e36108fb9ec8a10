// Improvement actions: what a unit does to raise a weak criterion (or a whole element), who is
// responsible, from when and until when, and whether the criterion's index moved after it
// started.
//
// The effect compares two equal windows of the action's unit (and the units below it): the
// `window` days before the start date and the `window` days from it (fewer while the action is
// younger than the window: both windows then shrink to the days seen so far). A criterion's index
// is the share of 4-5 answers (SPEC), so the difference of the two shares gets a 95 % interval
// for a difference of two proportions; an element's index is the mean of its criteria's shares,
// and its interval adds the criteria's variances. Counts and indices are read through
// ScoreService, so they equal GET /api/v1/scores over the same windows.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

enum class ActionStatus { planned, in_progress, done };
const char* to_string(ActionStatus s);  // "planned", "in_progress", "done"
std::optional<ActionStatus> parse_action_status(std::string_view text);

// The default length of each effect window.
constexpr int kDefaultEffectWindowDays = 56;

struct ImprovementAction {
  std::int64_t id = 0;
  std::string unit;
  std::string element;    // the element id: the target, or the criterion's element
  std::string criterion;  // the criterion id; empty when the action targets the whole element
  std::string what;       // what is done
  std::string owner;      // who is responsible
  Date start{};
  Date deadline{};
  ActionStatus status = ActionStatus::planned;
  std::string created_by;
  TimePoint created_at{};
  std::string updated_by;
  TimePoint updated_at{};
};

// One window of the effect: its dates, the valid answers (n), for a criterion the 4-5 answers,
// and the index as the scores API gives it (nullopt with no answers).
struct EffectWindow {
  DateRange range{};
  std::int64_t n = 0;
  std::int64_t satisfied = 0;
  std::optional<double> index;
};

enum class EffectVerdict {
  not_started,      // the start date is today or later: nothing after it yet
  too_little_data,  // a window has no answers
  improved,         // the interval lies above zero
  worsened,         // the interval lies below zero
  no_clear_change,  // the interval contains zero
};
const char* to_string(EffectVerdict v);

struct ActionEffect {
  int window_days = kDefaultEffectWindowDays;  // asked for
  int days_measured = 0;                       // each window's length: <= window_days
  EffectWindow before;
  EffectWindow after;
  std::optional<double> difference;  // after minus before, in index points
  std::optional<double> low;         // the 95 % interval of the difference
  std::optional<double> high;
  EffectVerdict verdict = EffectVerdict::not_started;
};

// What the pages, the API and the report show of an action.
struct ActionView {
  ImprovementAction action;
  std::string unit_name;
  std::string target_text;  // the criterion's text or the element's name, in the asked language
  bool overdue = false;     // past its deadline and not done
  ActionEffect effect;
};

// The effect in one sentence, in "vi" or "en", e.g. "Tăng 20,0 điểm (khoảng tin cậy 95 %: từ
// 8,1 đến 31,9), lớn hơn mức ngẫu nhiên."
std::string effect_sentence(const ActionEffect& e, const std::string& language);

// ---- Issue 15, the actions' logic (actions.cpp).

class ScoreService;

// The z of a two-sided 95 % interval.
constexpr double kZ95 = 1.959964;

// The two windows of an action that starts on `start`, seen on `today`: d = min(window_days, days
// from `start` to yesterday, both included), before = [start - d, start - 1], after = [start,
// start + d - 1]. Today is left out (it is not over). d = 0 (no ranges) when `start` is today or
// later.
struct EffectWindows {
  int days = 0;
  DateRange before{};
  DateRange after{};
};
EffectWindows effect_windows(Date start, Date today, int window_days);

// One criterion's valid answers (n) and 4-5 answers in the two windows.
struct CriterionWindows {
  std::int64_t before_n = 0, before_satisfied = 0;
  std::int64_t after_n = 0, after_satisfied = 0;
};
struct EffectEstimate {
  std::optional<double> difference, low, high;  // index points
  EffectVerdict verdict = EffectVerdict::too_little_data;
};
// The arithmetic, pure. One criterion: the difference of the two shares x 100 with the Wald
// interval of a difference of two proportions, +- kZ95 * sqrt(p1(1-p1)/n1 + p2(1-p2)/n2) x 100.
// Several (an element): the difference of the means of the criteria's shares (each window over
// its criteria with answers, as the element index is), with the variances of the shares summed
// and divided by k^2 per window. too_little_data (and no numbers) when a window has no answers.
EffectEstimate estimate_effect(const std::vector<CriterionWindows>& criteria);

// The fields of an action as a request, a form or the command line gives them (text, unparsed);
// unset fields are left as they are (a partial update).
struct ActionFields {
  std::optional<std::string> unit, element, criterion, what, owner, start, deadline, status;
};
// Applies `f` to `a` and checks the result against the server's questionnaires: the unit exists;
// the criterion (or, without one, the element) is one of a likert questionnaire's, and a given
// element is the criterion's; what and owner are not empty (at most 2000 characters); start and
// deadline are YYYY-MM-DD dates, the deadline not before the start; the status is planned,
// in_progress or done. A given criterion sets the element; a given element alone targets the whole
// element. invalid_argument with a message in `language` ("vi"/"en") that names the field (its
// JSON name) otherwise; `a` may then be partly changed.
Status apply_action_fields(ScoreService& svc, const ActionFields& f, ImprovementAction& a,
                           const std::string& language);

// The criterion's text or the element's name in `language`; the id when no questionnaire has it.
std::string action_target_text(ScoreService& svc, const ImprovementAction& a,
                               const std::string& language);

// The action's effect seen on `today` (see EffectWindows), read through svc.scores() for the
// action's unit (with the units below it), grouped by criterion (or element), without extras.
Result<ActionEffect> measure_effect(ScoreService& svc, const ImprovementAction& a, Date today,
                                    int window_days = kDefaultEffectWindowDays);

// One action as the views below show it: its unit's name, target text, overdue flag (deadline
// before `today`, not done) and effect.
Result<ActionView> action_view(ScoreService& svc, ImprovementAction a, Date today,
                               const std::string& language,
                               int window_days = kDefaultEffectWindowDays);

// The actions of `unit` and every unit below it, in the unit tree's order (the unit, then each
// child's subtree by code) and by start date within a unit, each with its unit's name, target
// text, overdue flag (deadline before `today`, not done) and effect. This is what the report, the
// API and the unit page show. Errors: invalid_argument for an unknown unit, storage codes.
// Threads: as ScoreService (one thread at a time).
Result<std::vector<ActionView>> action_views(ScoreService& svc, const std::string& unit, Date today,
                                             const std::string& language,
                                             int window_days = kDefaultEffectWindowDays);

// `sipas-server action add|list|set|remove ...` (actions_cli.cpp): nullopt when `args` is not an
// action command, else the exit code (0 done, 1 failed, 2 usage), messages on `out` and `err`.
std::optional<int> run_action_command(const std::vector<std::string>& args, std::ostream& out,
                                      std::ostream& err);

}  // namespace sipas
