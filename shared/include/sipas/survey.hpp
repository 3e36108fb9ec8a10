// The questionnaire as data: elements, criteria, answer options and follow-up reasons.
//
// A Survey is loaded once (config.hpp) and then read-only, so it may be shared between threads.
// Criterion ids are stable across survey versions and surveys ("officer.polite"); element ids are
// the five SIPAS elements ("access", "procedures", "officer", "result", "feedback") plus any
// element marked in_index=false (e.g. "general" for overall satisfaction), which is reported but
// not part of the overall index.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sipas {

// Text in several languages, keyed by language code ("vi", "en").
struct LocalizedText {
  std::map<std::string, std::string> by_language;

  // The text in `language`, else Vietnamese, else any; empty if there is none.
  const std::string& get(const std::string& language) const;
};

enum class ScaleKind {
  likert5,  // 1 Rất không hài lòng … 5 Rất hài lòng
  points,   // Mẫu số 01: 0, 1 or 2 points per indicator
};

const char* to_string(ScaleKind kind);

struct Option {
  int value = 0;
  LocalizedText label;
};

struct Criterion {
  std::string id;
  LocalizedText text;
  // Options specific to this criterion (Mẫu 01 indicators name what 0/1/2 points mean); empty
  // means the survey's options.
  std::vector<Option> options;
  // A plain-language line shown under the official wording ("hint" in the file); empty if none.
  LocalizedText hint;
  // Whether the citizen may answer "Chưa biết" (don't know yet), e.g. processing times that are
  // not known at submission. Such an answer is not stored at all: the criterion is simply not
  // answered, which every survey accepts and no score counts.
  bool allow_unknown = false;
};

struct Element {
  std::string id;
  LocalizedText name;
  bool in_index = true;
  std::vector<Criterion> criteria;
};

struct Reason {
  std::string id;
  LocalizedText text;
  // The criteria whose low answer makes this reason relevant (e.g. "officer_attitude" after a low
  // "officer.polite"); empty means any low answer (a catch-all such as "other"). Validated to
  // name criteria of the survey.
  std::vector<std::string> criteria;
};

// Mẫu 01 grade band: a response whose total is >= min_total (and below the previous band's) gets
// this grade. Bands are kept sorted by min_total, highest first.
struct GradeBand {
  std::string id;
  double min_total = 0;
  LocalizedText name;
};

struct Survey {
  std::string id;
  int version = 1;
  LocalizedText title;
  ScaleKind scale = ScaleKind::likert5;
  std::vector<Option> options;  // the answer options, lowest value first
  bool allow_not_applicable = false;

  // Dossier number (số hồ sơ): asked first when ask_dossier; may be skipped when dossier_optional.
  bool ask_dossier = false;
  bool dossier_optional = true;

  std::vector<Element> elements;

  // The criterion the welcome screen's faces answer ("first_question" in the file): the overall
  // satisfaction question where there is one. Empty means the first criterion. Validated to name a
  // criterion of the survey.
  std::string first_question;

  // Follow-up: when any answer is <= followup_at_or_below, the reasons are offered, then a comment.
  int followup_at_or_below = 2;
  std::vector<Reason> reasons;
  int comment_max_length = 500;  // in Unicode code points

  std::vector<GradeBand> grades;  // points scale only

  // Lookups; nullptr when absent.
  const Criterion* find_criterion(const std::string& id) const;
  const Element* element_of(const std::string& criterion_id) const;
  // The languages the questionnaire is written in: Vietnamese always, and each language its
  // title is given in.
  std::vector<std::string> languages() const;
  const Reason* find_reason(const std::string& id) const;
  // The options that apply to a criterion (its own, else the survey's).
  const std::vector<Option>& options_for(const Criterion& c) const;
  bool is_valid_value(const Criterion& c, int value) const;
  // All criteria in file order.
  std::vector<const Criterion*> questions() const;
  // The order a citizen answers them in: the first question (see first_question), then the
  // others in file order.
  std::vector<const Criterion*> asking_order() const;
  // The reasons to offer after these low-answered criteria: those tied to one of them, and the
  // catch-alls (no criteria) when there is any; in the survey's order. Empty when none is low.
  std::vector<const Reason*> reasons_for(const std::vector<std::string>& low_criteria) const;
  // The grade band for a total; nullptr if no band matches.
  const GradeBand* grade_for(double total) const;
};

}  // namespace sipas
