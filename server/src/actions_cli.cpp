// `sipas-server action ...`: improvement actions from the command line.
#include <map>
#include <set>

#include "actions_api.hpp"
#include "sipas/server/cli_options.hpp"

namespace sipas {
namespace {

std::optional<std::int64_t> id_of(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const std::int64_t id = std::stoll(text);
  if (id <= 0) return std::nullopt;
  return id;
}

ActionFields fields_of(std::map<std::string, std::string>& opts) {
  ActionFields f;
  auto get = [&](const char* k) -> std::optional<std::string> {
    auto it = opts.find(k);
    if (it == opts.end()) return std::nullopt;
    return it->second;
  };
  f.unit = get("unit");
  f.criterion = get("criterion");
  f.element = get("element");
  // One of the two targets given: the other one is cleared (an element alone targets the whole
  // element; a criterion sets its element).
  if (f.criterion && !f.element) f.element = "";
  if (f.element && !f.criterion) f.criterion = "";
  f.what = get("what");
  f.owner = get("owner");
  f.start = get("start");
  f.deadline = get("deadline");
  f.status = get("status");
  return f;
}

void print_view(const ActionView& v, const std::string& lang, std::ostream& out) {
  const ImprovementAction& a = v.action;
  const ActionEffect& e = v.effect;
  out << "#" << a.id << "  " << a.unit << " (" << v.unit_name << ")  "
      << (a.criterion.empty() ? "element " + a.element : a.criterion) << ": " << v.target_text
      << "\n  what: " << a.what << "\n  owner: " << a.owner << "  start: " << format_date(a.start)
      << "  deadline: " << format_date(a.deadline) << "  status: " << to_string(a.status)
      << (v.overdue ? "  OVERDUE" : "") << "\n";
  if (e.days_measured > 0) {
    auto window = [&](const char* name, const EffectWindow& w) {
      out << "  " << name << " " << format_date(w.range.from) << ".." << format_date(w.range.to)
          << ": n " << w.n << ", index " << html::number(w.index, lang) << "\n";
    };
    window("before", e.before);
    window("after ", e.after);
  }
  out << "  effect: " << effect_sentence(e, lang) << "\n";
}

}  // namespace

std::optional<int> run_action_command(const std::vector<std::string>& args, std::ostream& out,
                                      std::ostream& err) {
  if (args.size() < 2 || args[0] != "action") return std::nullopt;
  const std::string command = "action " + args[1];
  const std::set<std::string> fields = {"unit",  "criterion", "element", "what",
                                        "owner", "start",     "deadline", "status"};
  std::set<std::string> allowed{"db"}, required{"db"};
  if (command == "action add") {
    allowed.insert(fields.begin(), fields.end());
    allowed.insert("by");
    required = {"db", "unit", "what", "owner", "start", "deadline"};
  } else if (command == "action set") {
    allowed.insert(fields.begin(), fields.end());
    allowed.insert({"by", "id"});
    required = {"db", "id"};
  } else if (command == "action list") {
    allowed.insert({"unit", "json", "window-weeks", "lang", "today"});
    required = {"db", "unit"};
  } else if (command == "action remove") {
    allowed.insert("id");
    required = {"db", "id"};
  } else {
    err << "sipas-server: unknown command \"" << command << "\" (try --help)\n";
    return 2;
  }
  auto parsed = parse_command_options(args, 2, command, allowed, required, {"json"}, err);
  if (!parsed) return 2;
  std::map<std::string, std::string>& opts = *parsed;
  std::optional<std::int64_t> id;
  if (opts.count("id")) {
    id = id_of(opts["id"]);
    if (!id) {
      err << "sipas-server " << command << ": --id must be an action number\n";
      return 2;
    }
  }
  if (command == "action add" && !opts.count("criterion") && !opts.count("element")) {
    err << "sipas-server action add: give --criterion or --element\n";
    return 2;
  }
  const std::string lang = opts.count("lang") && opts["lang"] == "en" ? "en" : "vi";
  std::optional<std::string> weeks;
  if (opts.count("window-weeks")) weeks = opts["window-weeks"];
  auto window = effect_window_days(weeks, kDefaultEffectWindowDays);
  if (!window.is_ok()) {
    err << "sipas-server " << command << ": --window-weeks must be a number from 1 to 52\n";
    return 2;
  }
  auto svc = ScoreService::open(opts["db"]);
  if (!svc.is_ok()) {
    err << "sipas-server " << command << ": " << svc.status().message() << "\n";
    return 1;
  }
  ScoreService& s = **svc;
  const TimePoint now = SystemClock().now();
  const std::string by = opts.count("by") ? opts["by"] : "cli";
  auto fail = [&](const Status& st) {
    err << "sipas-server " << command << ": " << st.message() << "\n";
    return 1;
  };
  if (command == "action add") {
    ImprovementAction a;
    a.created_by = a.updated_by = by;
    a.created_at = a.updated_at = now;
    if (Status st = apply_action_fields(s, fields_of(opts), a, "en"); !st.is_ok()) return fail(st);
    auto added = s.store().add_action(a);
    if (!added.is_ok()) return fail(added.status());
    out << "action " << *added << " added\n";
    return 0;
  }
  if (command == "action set") {
    auto found = s.store().action(*id);
    if (!found.is_ok()) return fail(found.status());
    if (!*found) return fail(Status::error(ErrorCode::not_found, "unknown action " + opts["id"]));
    ImprovementAction a = **found;
    if (Status st = apply_action_fields(s, fields_of(opts), a, "en"); !st.is_ok()) return fail(st);
    a.updated_by = by;
    a.updated_at = now;
    if (Status st = s.store().update_action(a); !st.is_ok()) return fail(st);
    out << "action " << *id << " changed\n";
    return 0;
  }
  if (command == "action remove") {
    if (Status st = s.store().remove_action(*id); !st.is_ok()) return fail(st);
    out << "action " << *id << " removed\n";
    return 0;
  }
  // --today: the effect as it was seen on another day (a report written later, a test).
  auto today = s.today(opts["unit"], now);
  if (opts.count("today")) {
    auto d = parse_date(opts["today"]);
    if (!d || !d->ok()) {
      err << "sipas-server action list: --today must be a YYYY-MM-DD date\n";
      return 2;
    }
    today = *d;
  }
  if (!today.is_ok()) return fail(today.status());
  if (opts.count("json")) {
    ActionReply r = list_actions_reply(s, opts["unit"], *today, lang, *window);
    if (r.status != 200) {
      return fail(Status::error(ErrorCode::invalid_argument, r.body.value("error", "")));
    }
    out << r.body.dump(2) << "\n";
    return 0;
  }
  auto views = action_views(s, opts["unit"], *today, lang, *window);
  if (!views.is_ok()) return fail(views.status());
  if (views->empty()) out << "no actions\n";
  for (const ActionView& v : *views) print_view(v, lang, out);
  return 0;
}

}  // namespace sipas
