#include "actions_api.hpp"

#include <algorithm>
#include <chrono>

namespace sipas {
namespace {

using nlohmann::json;
using html::Data;
using html::tr;
using Object = kainjow::mustache::object;

ActionReply error_reply(int status, const std::string& message) {
  return {status, json{{"error", message}}};
}

// Whether `who` may read and change the actions of `unit`: province-wide users every unit, others
// their own and those below (an unknown unit is outside theirs).
Result<bool> may_use(ScoreService& svc, const ActionCaller& who, const std::string& unit) {
  if (!who.unit) return true;
  return svc.is_within(unit, *who.unit);
}

std::string forbidden_text(const ActionCaller& who, const std::string& unit) {
  return "user " + who.user + " may not use the actions of unit " + unit;
}

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json window_to_json(const EffectWindow& w, bool measured) {
  return json{{"from", measured ? json(format_date(w.range.from)) : json(nullptr)},
              {"to", measured ? json(format_date(w.range.to)) : json(nullptr)},
              {"n", w.n},
              {"satisfied", w.satisfied},
              {"index", optional_number(w.index)}};
}

// The body of POST and PUT: an object of string fields, each one we know.
Result<ActionFields> fields_of_json(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::error(ErrorCode::invalid_argument, "the body must be a JSON object");
  }
  ActionFields f;
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::optional<std::string>* slot = nullptr;
    const std::string& k = it.key();
    if (k == "unit") slot = &f.unit;
    if (k == "element") slot = &f.element;
    if (k == "criterion") slot = &f.criterion;
    if (k == "what") slot = &f.what;
    if (k == "owner") slot = &f.owner;
    if (k == "start") slot = &f.start;
    if (k == "deadline") slot = &f.deadline;
    if (k == "status") slot = &f.status;
    if (!slot) return Status::error(ErrorCode::invalid_argument, "unknown field " + k);
    if (it->is_null() && (k == "element" || k == "criterion")) {
      *slot = "";
      continue;
    }
    if (!it->is_string()) {
      return Status::error(ErrorCode::invalid_argument, k + " must be a string");
    }
    *slot = it->get<std::string>();
  }
  return f;
}

ActionReply reply_with_view(ScoreService& svc, int status, ImprovementAction a, Date today,
                            const std::string& language, int window_days) {
  auto v = action_view(svc, std::move(a), today, language, window_days);
  if (!v.is_ok()) return error_reply(503, v.status().message());
  return {status, json{{"action", action_view_to_json(*v, language)}}};
}

// "80,9 %", or "–" for a window without answers.
std::string percent(const std::optional<double>& v, const std::string& language) {
  return v ? html::number(v, language) + " %" : html::number(v, language);
}

int status_of(const Status& s) {
  switch (s.code()) {
    case ErrorCode::invalid_argument: return 422;
    case ErrorCode::not_found: return 404;
    default: return 503;
  }
}

}  // namespace

Result<int> effect_window_days(const std::optional<std::string>& window_weeks, int default_days) {
  if (!window_weeks) return default_days;
  const std::string& w = *window_weeks;
  if (w.empty() || w.size() > 2 || w.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(w) < 1 || std::stoi(w) > 52) {
    return Status::error(ErrorCode::invalid_argument, "window_weeks must be a number from 1 to 52");
  }
  return std::stoi(w) * 7;
}

json action_view_to_json(const ActionView& v, const std::string& language) {
  const ImprovementAction& a = v.action;
  const ActionEffect& e = v.effect;
  const bool measured = e.days_measured > 0;
  return json{
      {"id", a.id},
      {"unit", a.unit},
      {"unit_name", v.unit_name},
      {"element", a.element},
      {"criterion", a.criterion.empty() ? json(nullptr) : json(a.criterion)},
      {"target", v.target_text},
      {"what", a.what},
      {"owner", a.owner},
      {"start", format_date(a.start)},
      {"deadline", format_date(a.deadline)},
      {"status", to_string(a.status)},
      {"overdue", v.overdue},
      {"created_by", a.created_by},
      {"created_at", format_rfc3339(a.created_at)},
      {"updated_by", a.updated_by},
      {"updated_at", format_rfc3339(a.updated_at)},
      {"effect",
       json{{"window_days", e.window_days},
            {"days_measured", e.days_measured},
            {"before", window_to_json(e.before, measured)},
            {"after", window_to_json(e.after, measured)},
            {"difference", optional_number(e.difference)},
            {"low", optional_number(e.low)},
            {"high", optional_number(e.high)},
            {"verdict", to_string(e.verdict)},
            {"sentence", effect_sentence(e, language)}}}};
}

ActionReply list_actions_reply(ScoreService& svc, const std::string& unit, Date today,
                               const std::string& language, int window_days) {
  auto views = action_views(svc, unit, today, language, window_days);
  if (!views.is_ok()) return error_reply(status_of(views.status()), views.status().message());
  json list = json::array();
  for (const ActionView& v : *views) list.push_back(action_view_to_json(v, language));
  return {200, json{{"unit", unit},
                    {"today", format_date(today)},
                    {"window_days", window_days},
                    {"actions", std::move(list)}}};
}

ActionReply create_action_reply(ScoreService& svc, const ActionCaller& who,
                                const std::string& body, TimePoint now, Date today,
                                const std::string& language, int window_days) {
  auto fields = fields_of_json(body);
  if (!fields.is_ok()) return error_reply(400, fields.status().message());
  if (!fields->unit && who.unit) fields->unit = who.unit;
  if (fields->unit) {
    auto allowed = may_use(svc, who, *fields->unit);
    if (!allowed.is_ok()) return error_reply(503, allowed.status().message());
    if (!*allowed) return error_reply(403, forbidden_text(who, *fields->unit));
  }
  ImprovementAction a;
  a.created_by = a.updated_by = who.user;
  a.created_at = a.updated_at = now;
  if (Status s = apply_action_fields(svc, *fields, a, language); !s.is_ok()) {
    return error_reply(status_of(s), s.message());
  }
  auto id = svc.store().add_action(a);
  if (!id.is_ok()) return error_reply(status_of(id.status()), id.status().message());
  a.id = *id;
  return reply_with_view(svc, 201, std::move(a), today, language, window_days);
}

ActionReply update_action_reply(ScoreService& svc, const ActionCaller& who, std::int64_t id,
                                const std::string& body, TimePoint now, Date today,
                                const std::string& language, int window_days) {
  auto found = svc.store().action(id);
  if (!found.is_ok()) return error_reply(503, found.status().message());
  if (!*found) return error_reply(404, "unknown action " + std::to_string(id));
  ImprovementAction a = **found;
  auto allowed = may_use(svc, who, a.unit);
  if (!allowed.is_ok()) return error_reply(503, allowed.status().message());
  if (!*allowed) return error_reply(403, forbidden_text(who, a.unit));
  auto fields = fields_of_json(body);
  if (!fields.is_ok()) return error_reply(400, fields.status().message());
  if (fields->unit && *fields->unit != a.unit) {
    auto to = may_use(svc, who, *fields->unit);
    if (!to.is_ok()) return error_reply(503, to.status().message());
    if (!*to) return error_reply(403, forbidden_text(who, *fields->unit));
  }
  if (Status s = apply_action_fields(svc, *fields, a, language); !s.is_ok()) {
    return error_reply(status_of(s), s.message());
  }
  a.updated_by = who.user;
  a.updated_at = now;
  if (Status s = svc.store().update_action(a); !s.is_ok()) {
    return error_reply(status_of(s), s.message());
  }
  return reply_with_view(svc, 200, std::move(a), today, language, window_days);
}

ActionReply delete_action_reply(ScoreService& svc, const ActionCaller& who, std::int64_t id) {
  auto found = svc.store().action(id);
  if (!found.is_ok()) return error_reply(503, found.status().message());
  if (!*found) return error_reply(404, "unknown action " + std::to_string(id));
  auto allowed = may_use(svc, who, (*found)->unit);
  if (!allowed.is_ok()) return error_reply(503, allowed.status().message());
  if (!*allowed) return error_reply(403, forbidden_text(who, (*found)->unit));
  if (Status s = svc.store().remove_action(id); !s.is_ok()) {
    return error_reply(status_of(s), s.message());
  }
  return {200, json{{"deleted", id}}};
}

std::optional<std::int64_t> action_id_of_path(const std::string& path) {
  const std::string prefix = "/api/v1/actions/";
  if (path.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  const std::string rest = path.substr(prefix.size());
  if (rest.empty() || rest.size() > 18 || rest.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(rest);
}

ActionFields action_fields_of_form(
    const std::function<std::optional<std::string>(const char*)>& param) {
  ActionFields f;
  f.unit = param("action_unit");
  if (auto target = param("target")) {
    if (target->rfind("criterion:", 0) == 0) {
      f.criterion = target->substr(10);
      f.element = "";
    } else if (target->rfind("element:", 0) == 0) {
      f.element = target->substr(8);
      f.criterion = "";
    } else {
      f.criterion = "";
      f.element = "";
    }
  }
  f.what = param("what").value_or("");
  f.owner = param("owner").value_or("");
  f.start = param("start").value_or("");
  f.deadline = param("deadline").value_or("");
  f.status = param("status");
  return f;
}

FormOutcome add_action_form(ScoreService& svc, const ActionCaller& who, const ActionFields& fields,
                            TimePoint now, const std::string& language) {
  ActionFields f = fields;
  if (!f.unit && who.unit) f.unit = who.unit;
  if (f.unit) {
    auto allowed = may_use(svc, who, *f.unit);
    if (!allowed.is_ok()) return {503, allowed.status().message()};
    if (!*allowed) return {403, tr("forbidden", language)};
  }
  ImprovementAction a;
  a.created_by = a.updated_by = who.user;
  a.created_at = a.updated_at = now;
  if (Status s = apply_action_fields(svc, f, a, language); !s.is_ok()) {
    return {status_of(s), s.message()};
  }
  auto id = svc.store().add_action(a);
  if (!id.is_ok()) return {status_of(id.status()), id.status().message()};
  return {};
}

FormOutcome set_action_status_form(ScoreService& svc, const ActionCaller& who, std::int64_t id,
                                   const std::string& status, TimePoint now,
                                   const std::string& language) {
  auto found = svc.store().action(id);
  if (!found.is_ok()) return {503, found.status().message()};
  if (!*found) return {404, "unknown action " + std::to_string(id)};
  ImprovementAction a = **found;
  auto allowed = may_use(svc, who, a.unit);
  if (!allowed.is_ok()) return {503, allowed.status().message()};
  if (!*allowed) return {403, tr("forbidden", language)};
  ActionFields f;
  f.status = status;
  if (Status s = apply_action_fields(svc, f, a, language); !s.is_ok()) {
    return {status_of(s), s.message()};
  }
  a.updated_by = who.user;
  a.updated_at = now;
  if (Status s = svc.store().update_action(a); !s.is_ok()) return {status_of(s), s.message()};
  return {};
}

Result<ActionsSection> actions_section(ScoreService& svc, const std::string& unit,
                                       Date today, const std::string& language, int window_days,
                                       const std::optional<std::string>& csrf,
                                       const std::string& back, const std::string& prefill,
                                       const ActionFormState* form,
                                       const std::vector<std::pair<std::string, std::string>>&
                                           page_params) {
  auto views = action_views(svc, unit, today, language, window_days);
  if (!views.is_ok()) return views.status();
  ActionsSection out;
  // Criteria of every likert questionnaire, by element, for the covered set and the form's list.
  std::vector<const Survey*> likert;
  for (const Survey& s : svc.surveys()) {
    if (s.scale == ScaleKind::likert5) likert.push_back(&s);
  }
  const std::vector<Element> elements = merge_elements(likert);
  Data rows = Data(Data::type::list);
  for (const ActionView& v : *views) {
    const ImprovementAction& a = v.action;
    if (!a.criterion.empty()) {
      out.covered.insert(a.criterion);
    } else {
      for (const Element& e : elements) {
        if (e.id != a.element) continue;
        for (const Criterion& c : e.criteria) out.covered.insert(c.id);
      }
    }
    const ActionEffect& e = v.effect;
    Data statuses = Data(Data::type::list);
    for (ActionStatus st : {ActionStatus::planned, ActionStatus::in_progress, ActionStatus::done}) {
      statuses << Object{{"value", to_string(st)},
                         {"text", tr(std::string("action_status_") + to_string(st), language)},
                         {"selected", st == a.status}};
    }
    const bool failed_here = form && form->id == a.id;
    rows << Object{{"id", std::to_string(a.id)},
                   {"unit_code", a.unit},
                   {"unit_name", v.unit_name},
                   {"other_unit", a.unit != unit},
                   {"target", v.target_text},
                   {"target_id", a.criterion.empty() ? a.element : a.criterion},
                   {"what", a.what},
                   {"owner", a.owner},
                   {"start", format_date(a.start)},
                   {"deadline", format_date(a.deadline)},
                   {"status_code", to_string(a.status)},
                   {"status_text", tr(std::string("action_status_") + to_string(a.status), language)},
                   {"overdue", v.overdue},
                   {"verdict", to_string(e.verdict)},
                   {"sentence", effect_sentence(e, language)},
                   {"measured", e.days_measured > 0},
                   {"days", std::to_string(e.days_measured)},
                   {"before_n", std::to_string(e.before.n)},
                   {"after_n", std::to_string(e.after.n)},
                   {"before_index", percent(e.before.index, language)},
                   {"after_index", percent(e.after.index, language)},
                   {"before_value", html::data_number(e.before.index)},
                   {"after_value", html::data_number(e.after.index)},
                   {"before_range", format_date(e.before.range.from) + " – " + format_date(e.before.range.to)},
                   {"after_range", format_date(e.after.range.from) + " – " + format_date(e.after.range.to)},
                   {"can_edit", csrf.has_value()},
                   {"csrf", csrf.value_or("")},
                   {"back", back},
                   {"statuses", statuses},
                   {"has_error", failed_here},
                   {"error", failed_here ? form->error : ""}};
  }
  Data d = Object{};
  d.set("any_actions", !views->empty());
  d.set("action_rows", rows);
  d.set("window_days", std::to_string(window_days));
  d.set("can_edit", csrf.has_value());
  d.set("page_unit", unit);
  Data keep = Data(Data::type::list);
  for (const auto& [name, value] : page_params) keep << Object{{"name", name}, {"value", value}};
  d.set("page_params", keep);
  d.set("csrf", csrf.value_or(""));
  d.set("back", back);

  // The add form: the user's input when it came back with a problem, else the pre-filled
  // criterion, today as the start, and the page's unit.
  const bool add_failed = form && !form->id;
  const ActionFields* in = add_failed ? &form->fields : nullptr;
  std::string chosen = prefill.empty() ? "" : "criterion:" + prefill;
  if (in) {
    chosen = in->criterion && !in->criterion->empty() ? "criterion:" + *in->criterion
             : in->element && !in->element->empty()   ? "element:" + *in->element
                                                      : "";
  }
  Data targets = Data(Data::type::list);
  for (const Element& el : elements) {
    if (!el.in_index) continue;
    const std::string ev = "element:" + el.id;
    targets << Object{{"value", ev},
                      {"text", tr("action_element_word", language) + std::string(": ") +
                                   el.name.get(language)},
                      {"selected", chosen == ev}};
    for (const Criterion& c : el.criteria) {
      const std::string cv = "criterion:" + c.id;
      targets << Object{{"value", cv}, {"text", "— " + c.text.get(language)}, {"selected", chosen == cv}};
    }
  }
  auto units = svc.units();
  if (!units.is_ok()) return units.status();
  auto below = svc.store().unit_subtree(unit);
  if (!below.is_ok()) return below.status();
  const std::string unit_chosen = in && in->unit ? *in->unit : unit;
  Data unit_options = Data(Data::type::list);
  for (const UnitRecord& u : *units) {
    if (std::find(below->begin(), below->end(), u.code) == below->end()) continue;
    unit_options << Object{{"value", u.code}, {"text", u.name}, {"selected", u.code == unit_chosen}};
  }
  const std::string status_chosen = in && in->status ? *in->status : "planned";
  Data form_statuses = Data(Data::type::list);
  for (ActionStatus st : {ActionStatus::planned, ActionStatus::in_progress, ActionStatus::done}) {
    form_statuses << Object{{"value", to_string(st)},
                            {"text", tr(std::string("action_status_") + to_string(st), language)},
                            {"selected", status_chosen == to_string(st)}};
  }
  Data f = Object{};
  f.set("targets", targets);
  f.set("units", unit_options);
  f.set("statuses", form_statuses);
  f.set("what", in ? in->what.value_or("") : "");
  f.set("owner", in ? in->owner.value_or("") : "");
  f.set("start", in ? in->start.value_or("") : format_date(today));
  f.set("deadline", in ? in->deadline.value_or("") : "");
  f.set("has_error", add_failed);
  f.set("error", add_failed ? form->error : "");
  f.set("open", add_failed || !prefill.empty());
  d.set("form", f);
  out.data = std::move(d);
  return out;
}

}  // namespace sipas
