#include "sipas/server/config_file.hpp"

#include <fstream>
#include <map>
#include <optional>

namespace sipas {
namespace {

Status bad_line(const std::filesystem::path& file, int line, const std::string& what) {
  return Status::error(ErrorCode::invalid_argument,
                       file.string() + ":" + std::to_string(line) + ": " + what);
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

std::string key_list(const std::set<std::string>& known) {
  std::string out;
  for (const auto& k : known) {
    if (k == "config") continue;
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

}  // namespace

Result<std::vector<ConfigSetting>> read_config_file(const std::filesystem::path& file,
                                                    const std::set<std::string>& known) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    return Status::error(ErrorCode::invalid_argument, file.string() + ": is a directory, not a file");
  }
  std::ifstream in(file);
  if (!in) {
    return Status::error(ErrorCode::invalid_argument,
                         file.string() + ": cannot read " +
                             (std::filesystem::exists(file, ec) ? "(permission denied?)"
                                                                : "(no such file)"));
  }
  std::vector<ConfigSetting> settings;
  std::map<std::string, int> seen;
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (line == 1 && text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);  // a BOM from Notepad
    const std::string content = trim(text);
    if (content.empty() || content[0] == '#') continue;
    const auto eq = content.find('=');
    if (eq == std::string::npos) {
      return bad_line(file, line, "expected \"key = value\", got \"" + content + "\"");
    }
    std::string key = trim(content.substr(0, eq));
    std::string value = trim(content.substr(eq + 1));
    if (key.empty()) return bad_line(file, line, "a setting without a key before \"=\"");
    if (key.starts_with("--")) {
      return bad_line(file, line, "write the key without dashes (\"" + key.substr(2) + " = ...\")");
    }
    if (key == "config" || !known.count(key)) {
      return bad_line(file, line, "unknown setting \"" + key + "\" (known: " + key_list(known) + ")");
    }
    if (value.empty()) return bad_line(file, line, key + ": no value after \"=\"");
    // A value never needs " #"; taking it as part of the value would hide the mistake until the
    // option's own check fails without naming this line.
    if (const auto hash = value.find(" #"); hash != std::string::npos) {
      return bad_line(file, line, key + ": a comment must be on a line of its own");
    }
    if (auto [it, fresh] = seen.emplace(key, line); !fresh) {
      return bad_line(file, line,
                      key + ": set twice (first on line " + std::to_string(it->second) + ")");
    }
    settings.push_back({std::move(key), std::move(value), line});
  }
  if (in.bad()) return Status::error(ErrorCode::io_error, file.string() + ": read error");
  return settings;
}

Result<std::vector<std::string>> with_config_file(const std::vector<std::string>& args,
                                                  std::size_t from,
                                                  const std::set<std::string>& known) {
  std::vector<std::string> rest;
  std::optional<std::string> file;
  for (std::size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--config" || a.starts_with("--config=")) {
      if (file) return Status::error(ErrorCode::invalid_argument, "--config given twice");
      if (a == "--config") {
        if (i + 1 >= args.size()) {
          return Status::error(ErrorCode::invalid_argument, "--config needs a value");
        }
        file = args[++i];
      } else {
        file = a.substr(std::string("--config=").size());
      }
      continue;
    }
    rest.push_back(a);
  }
  if (!file) return args;
  auto settings = read_config_file(*file, known);
  if (!settings.is_ok()) return settings.status();
  std::vector<std::string> out(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(from));
  for (const auto& s : *settings) out.push_back("--" + s.key + "=" + s.value);
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace sipas
