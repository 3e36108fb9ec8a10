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
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace sipas
