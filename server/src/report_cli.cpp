// `sipas-server report ...`: the period report as a file, without the dashboard.
#include <map>
#include <ostream>
#include <set>

#include "sipas/files.hpp"
#include "sipas/server/cli_options.hpp"
#include "sipas/server/report_document.hpp"

namespace sipas {

std::optional<int> run_report_command(const std::vector<std::string>& args, std::ostream& out,
                                      std::ostream& err) {
  if (args.empty() || args[0] != "report") return std::nullopt;
  const std::string command = "report";
  auto parsed = parse_command_options(
      args, 1, command, {"db", "unit", "period", "day", "from", "to", "lang", "format", "out"},
      {"db", "unit", "out"}, {}, err);
  if (!parsed) return 2;
  std::map<std::string, std::string>& opts = *parsed;
  auto usage = [&](const std::string& message) {
    err << "sipas-server report: " << message << "\n";
    return 2;
  };
  const std::string format = opts.count("format") ? opts["format"] : "docx";
  auto writer = report_formats().find(format);
  if (writer == report_formats().end()) return usage("--format must be " + report_format_names());
  const std::string lang = opts.count("lang") ? opts["lang"] : "vi";
  if (lang != "vi" && lang != "en") return usage("--lang must be vi or en");
  const bool range = opts.count("from") || opts.count("to");
  if (range && (opts.count("period") || opts.count("day"))) {
    return usage("give either --from and --to, or --period and --day");
  }
  ReportDocumentRequest rq;
  rq.unit = opts["unit"];
  rq.language = lang;
  rq.now = SystemClock().now();
  std::optional<Date> day;
  if (range) {
    auto from = parse_date(opts["from"]);
    auto to = parse_date(opts["to"]);
    if (!from || !to) return usage("--from and --to must be YYYY-MM-DD dates");
    if (std::chrono::sys_days(*from) > std::chrono::sys_days(*to)) return usage("--from is after --to");
    rq.range = {*from, *to};
    if (rq.range.days() > kMaxRangeDays) return usage("the range is longer than ten years");
  } else {
    auto kind = parse_period_kind(opts.count("period") ? opts["period"] : "quarter");
    if (!kind) return usage("--period must be day, week, month, quarter, 6m, 9m or year");
    rq.period = *kind;
    if (opts.count("day")) {
      day = parse_date(opts["day"]);
      if (!day) return usage("--day must be a YYYY-MM-DD date");
    }
  }

  auto service = ScoreService::open(opts["db"]);
  if (!service.is_ok()) {
    err << "sipas-server report: " << service.status().message() << "\n";
    return 1;
  }
  if (rq.period) {
    if (!day) {
      auto today = (*service)->today(rq.unit, rq.now);
      if (!today.is_ok()) {
        err << "sipas-server report: " << today.status().message() << "\n";
        return 1;
      }
      day = *today;
    }
    rq.range = period_containing(*rq.period, *day);
  }
  auto actions = report_actions(**service, rq);
  if (!actions.is_ok()) {
    err << "sipas-server report: " << actions.status().message() << "\n";
    return 1;
  }
  auto document = build_report_document(**service, rq, *actions);
  if (!document.is_ok()) {
    err << "sipas-server report: " << document.status().message() << "\n";
    return 1;
  }
  auto bytes = writer->second.write(*document);
  if (!bytes.is_ok()) {
    err << "sipas-server report: " << bytes.status().message() << "\n";
    return 1;
  }
  Status s = write_file_atomically(opts["out"], *bytes);
  if (!s.is_ok()) {
    err << "sipas-server report: " << s.message() << "\n";
    return 1;
  }
  out << "wrote " << opts["out"] << " (" << report_period_words(rq.period, rq.range, lang)
      << ")\n";
  return 0;
}

}  // namespace sipas
