// Improvement actions over HTTP: the JSON API (GET/POST /api/v1/actions, PUT/DELETE
// /api/v1/actions/{id}) and the unit page's section with its forms (POST /actions,
// POST /actions/status). dashboard.cpp authenticates the caller (session or HTTP Basic, and a
// session's CSRF token on writes) and routes here; everything after that lives in this file.
// Internal to server/.
//
// Access: a user bound to a unit reads and changes only the actions of that unit and the units
// below it. Another unit's action, or a unit outside (or unknown to) theirs, is 403; an unknown
// action id is 404. A province-wide user may use every unit.
// Threads: each call uses the ScoreService it is given, on the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "html.hpp"
#include "sipas/server/actions.hpp"
#include "sipas/server/scores.hpp"

namespace sipas {

struct ActionCaller {
  std::string user;
  std::optional<std::string> unit;  // nullopt: the whole province
};

struct ActionReply {
  int status = 200;
  nlohmann::json body;
};

// The effect window of a request: window_weeks (1-52) when given, else `default_days`.
// invalid_argument naming window_weeks otherwise.
Result<int> effect_window_days(const std::optional<std::string>& window_weeks, int default_days);

// One action as the API gives it (field names in docs/dashboard.md).
nlohmann::json action_view_to_json(const ActionView& v, const std::string& language);

// GET /api/v1/actions for `unit`, which the caller may see (checked by dashboard.cpp).
ActionReply list_actions_reply(ScoreService& svc, const std::string& unit, Date today,
                               const std::string& language, int window_days);
// POST /api/v1/actions: `body` is the action's JSON (unit, criterion or element, what, owner,
// start, deadline, optional status). 201 with {"action": ...}.
ActionReply create_action_reply(ScoreService& svc, const ActionCaller& who,
                                const std::string& body, TimePoint now, Date today,
                                const std::string& language, int window_days);
// PUT /api/v1/actions/{id}: the fields given change, the others stay. 200 with {"action": ...}.
ActionReply update_action_reply(ScoreService& svc, const ActionCaller& who, std::int64_t id,
                                const std::string& body, TimePoint now, Date today,
                                const std::string& language, int window_days);
// DELETE /api/v1/actions/{id}. 200 with {"deleted": id}.
ActionReply delete_action_reply(ScoreService& svc, const ActionCaller& who, std::int64_t id);

// The id in "/api/v1/actions/{id}"; nullopt for anything else.
std::optional<std::int64_t> action_id_of_path(const std::string& path);

// A form the user sent back with a problem: shown again with their input and the message.
struct ActionFormState {
  std::optional<std::int64_t> id;  // the status form of this action; nullopt: the add form
  ActionFields fields;
  std::string error;
};

// The unit page's section (unit.mustache's {{#actions_box}}): the actions of `unit` and below,
// the add form (pre-filled with the criterion `prefill`, or with `form`'s input) and the set of
// criteria some action of the unit or a unit below targets (an element's action covers its
// criteria), for the fix-first flag. `page_params` (the page's period) go along with the forms
// as hidden fields, so that a form sent back with a problem shows the same page.
struct ActionsSection {
  html::Data data;
  std::set<std::string> covered;
};
Result<ActionsSection> actions_section(ScoreService& svc, const std::string& unit,
                                       Date today, const std::string& language, int window_days,
                                       const std::optional<std::string>& csrf,
                                       const std::string& back, const std::string& prefill,
                                       const ActionFormState* form,
                                       const std::vector<std::pair<std::string, std::string>>&
                                           page_params = {});

// The fields of the add form: action_unit, target ("criterion:ID" or "element:ID"), what, owner, start,
// deadline, status; `param` reads one (nullopt when absent).
ActionFields action_fields_of_form(
    const std::function<std::optional<std::string>(const char*)>& param);

// The dashboard's forms: POST /actions (add) and POST /actions/status (id, status). 200 when
// stored; 422 with a message in `language` (the page shows it with the input); 403, 404 or 503
// with a message.
struct FormOutcome {
  int status = 200;
  std::string message;
};
FormOutcome add_action_form(ScoreService& svc, const ActionCaller& who, const ActionFields& fields,
                            TimePoint now, const std::string& language);
FormOutcome set_action_status_form(ScoreService& svc, const ActionCaller& who, std::int64_t id,
                                   const std::string& status, TimePoint now,
                                   const std::string& language);

}  // namespace sipas
