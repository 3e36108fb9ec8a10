// `sipas-server alert ...`: the rules of a unit, the list of alerts, acknowledging one.
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "sipas/server/alerts.hpp"
#include "sipas/server/cli_options.hpp"

namespace sipas {

std::optional<int> run_alert_command(const std::vector<std::string>& args, std::ostream& out,
                                     std::ostream& err) {
  if (args.size() < 2 || args[0] != "alert") return std::nullopt;
  std::string command = "alert " + args[1];
  std::size_t from = 2;
  if (args[1] == "rules") {
    if (args.size() < 3) {
      err << "sipas-server alert rules: give set, clear or show\n";
      return 2;
    }
    command += " " + args[2];
    from = 3;
  }
  static const std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>>
      kCommands = {{"alert rules set", {{"db", "unit", "file"}, {"db", "unit", "file"}}},
                   {"alert rules clear", {{"db", "unit"}, {"db", "unit"}}},
                   {"alert rules show", {{"db", "unit", "effective"}, {"db", "unit"}}},
                   {"alert list", {{"db", "unit", "state"}, {"db"}}},
                   {"alert ack", {{"db", "id", "user"}, {"db", "id", "user"}}}};
  auto spec = kCommands.find(command);
  if (spec == kCommands.end()) {
    err << "sipas-server: unknown command \"" << command << "\" (try --help)\n";
    return 2;
  }
  auto parsed = parse_command_options(args, from, command, spec->second.first,
                                      spec->second.second, {"effective"}, err);
  if (!parsed) return 2;
  std::map<std::string, std::string>& opts = *parsed;
  if (command == "alert list" && opts.count("state") && opts["state"] != "open" &&
      opts["state"] != "cleared" && opts["state"] != "all") {
    err << "sipas-server alert list: --state must be open, cleared or all\n";
    return 2;
  }
  std::optional<std::int64_t> id;
  if (command == "alert ack") {
    try {
      std::size_t used = 0;
      id = std::stoll(opts["id"], &used);
      if (used != opts["id"].size() || *id <= 0) throw std::invalid_argument("id");
    } catch (const std::exception&) {
      err << "sipas-server alert ack: --id must be an alert number\n";
      return 2;
    }
  }
  std::string rules_text;
  if (command == "alert rules set") {
    // Read before the database is opened: a bad file changes nothing.
    std::ifstream in(opts["file"], std::ios::binary);
    if (!in) {
      err << "sipas-server alert rules set: cannot read " << opts["file"] << "\n";
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parse_alert_rules(text.str(), opts["file"]);
    if (!parsed.is_ok()) {
      err << "sipas-server alert rules set: " << parsed.status().message() << "\n";
      return 1;
    }
    rules_text = alert_rules_json(*parsed);
  }

  auto store = ServerStore::open(opts["db"]);
  if (!store.is_ok()) {
    err << "sipas-server " << command << ": " << store.status().message() << "\n";
    return 1;
  }
  auto fail = [&](const Status& s) {
    err << "sipas-server " << command << ": " << s.message() << "\n";
    return 1;
  };
  const TimePoint now = SystemClock().now();
  if (command == "alert rules set" || command == "alert rules clear") {
    Status s = (*store)->put_alert_rules(
        opts["unit"],
        command == "alert rules set" ? std::optional<std::string>(rules_text) : std::nullopt, now);
    if (!s.is_ok()) return fail(s);
    out << (command == "alert rules set" ? "alert rules set for " : "alert rules removed from ")
        << opts["unit"] << "\n";
    return 0;
  }
  if (command == "alert rules show") {
    auto unit = (*store)->unit(opts["unit"]);
    if (!unit.is_ok()) return fail(unit.status());
    if (!*unit) return fail(Status::error(ErrorCode::not_found, "unknown unit " + opts["unit"]));
    auto texts = (*store)->alert_rules();
    if (!texts.is_ok()) return fail(texts.status());
    if (!opts.count("effective")) {
      auto it = texts->find(opts["unit"]);
      out << (it == texts->end() ? std::string("{}") : it->second) << "\n";
      return 0;
    }
    std::map<std::string, AlertRules> rules;
    for (const auto& [u, text] : *texts) {
      auto parsed = parse_alert_rules(text, "the stored alert rules of " + u);
      if (!parsed.is_ok()) return fail(parsed.status());
      rules[u] = *parsed;
    }
    auto units = (*store)->units();
    if (!units.is_ok()) return fail(units.status());
    std::map<std::string, std::optional<std::string>> parents;
    for (const auto& u : *units) parents[u.code] = u.parent;
    out << effective_rules_json(effective_alert_rules(opts["unit"], rules, parents)) << "\n";
    return 0;
  }
  if (command == "alert list") {
    AlertFilter filter;
    filter.state = opts.count("state") ? opts["state"] : "open";
    if (opts.count("unit")) {
      auto below = (*store)->unit_subtree(opts["unit"]);
      if (!below.is_ok()) return fail(below.status());
      if (below->empty()) return fail(Status::error(ErrorCode::not_found, "unknown unit " + opts["unit"]));
      filter.units = *below;
    }
    auto list = (*store)->alerts(filter);
    if (!list.is_ok()) return fail(list.status());
    for (const AlertRecord& a : *list) {
      out << a.id << "\t" << a.state << "\t" << a.kind << "\t" << a.unit << "\t"
          << a.kiosk_id.value_or("-") << "\t" << format_rfc3339(a.opened_at) << "\t"
          << format_rfc3339(a.last_seen_at) << "\t" << a.count << "\t"
          << (a.acked_by ? "acknowledged by " + *a.acked_by : std::string("-")) << "\t" << a.detail
          << "\n";
    }
    return 0;
  }
  // alert ack
  auto user = (*store)->user(opts["user"]);
  if (!user.is_ok()) return fail(user.status());
  if (!*user) return fail(Status::error(ErrorCode::not_found, "unknown user " + opts["user"]));
  AlertFilter filter;
  filter.state = "all";
  filter.id = id;
  auto found = (*store)->alerts(filter);
  if (!found.is_ok()) return fail(found.status());
  if (found->empty()) {
    return fail(Status::error(ErrorCode::not_found, "unknown alert " + opts["id"]));
  }
  Status s = (*store)->ack_alert(*id, opts["user"], now, ack_closes(found->front().kind));
  if (!s.is_ok()) return fail(s);
  out << "alert " << *id << " acknowledged\n";
  return 0;
}

}  // namespace sipas
