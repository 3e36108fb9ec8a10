#include "sipas/server/cli_options.hpp"

namespace sipas {

std::optional<std::map<std::string, std::string>> parse_command_options(
    const std::vector<std::string>& args, std::size_t from, const std::string& command,
    const std::set<std::string>& allowed, const std::set<std::string>& required,
    const std::set<std::string>& flags, std::ostream& err) {
  const std::string who = "sipas-server " + command + ": ";
  std::map<std::string, std::string> opts;
  for (std::size_t i = from; i < args.size(); ++i) {
    std::string a = args[i];
    if (a.rfind("--", 0) != 0) {
      err << who << "unexpected argument " << a << "\n";
      return std::nullopt;
    }
    a = a.substr(2);
    auto eq = a.find('=');
    if (flags.count(a)) {
      opts[a] = "yes";
    } else if (eq != std::string::npos) {
      opts[a.substr(0, eq)] = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      opts[a] = args[++i];
    } else {
      err << who << "--" << a << " needs a value\n";
      return std::nullopt;
    }
  }
  for (const auto& [k, v] : opts) {
    if (!allowed.count(k)) {
      err << who << "unknown option --" << k << "\n";
      return std::nullopt;
    }
  }
  for (const auto& k : required) {
    if (!opts.count(k)) {
      err << who << "--" << k << " is required\n";
      return std::nullopt;
    }
  }
  return opts;
}

}  // namespace sipas
