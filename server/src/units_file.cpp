#include "sipas/server/units_file.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

namespace sipas {
namespace {

Status bad(const std::string& where, const std::string& problem) {
  return Status::error(ErrorCode::invalid_argument, where + ": " + problem);
}

// One CSV record starting at `pos`; advances pos past the line end. Quotes per RFC 4180.
bool next_record(std::string_view text, std::size_t& pos, std::vector<std::string>* fields,
                 int* line) {
  fields->clear();
  if (pos >= text.size()) return false;
  std::string field;
  bool quoted = false;
  while (pos < text.size()) {
    char c = text[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < text.size() && text[pos] == '"') {
          field.push_back('"');
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++*line;
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      ++*line;
      break;
    } else if (c != '\r') {
      field.push_back(c);
    }
  }
  fields->push_back(std::move(field));
  return true;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<std::vector<UnitRecord>> parse_units_json(std::string_view text, const std::string& name) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return bad(name, std::string("malformed JSON: ") + e.what());
  }
  const nlohmann::json* list = &doc;
  if (doc.is_object()) {
    auto it = doc.find("units");
    if (it == doc.end()) return bad(name, "units: missing");
    list = &*it;
  }
  if (!list->is_array()) return bad(name, "units: must be an array");
  std::vector<UnitRecord> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& u = (*list)[i];
    std::string where = name + ": units[" + std::to_string(i) + "]";
    if (!u.is_object()) return bad(where, "must be an object");
    UnitRecord r;
    for (auto [key, target] : {std::pair<const char*, std::string*>{"code", &r.code},
                               {"name", &r.name}}) {
      auto it = u.find(key);
      if (it == u.end()) return bad(where + "." + key, "missing");
      if (!it->is_string()) return bad(where + "." + key, "must be a string");
      *target = it->get<std::string>();
    }
    if (auto it = u.find("parent"); it != u.end() && !it->is_null()) {
      if (!it->is_string()) return bad(where + ".parent", "must be a string or null");
      if (!it->get<std::string>().empty()) r.parent = it->get<std::string>();
    }
    if (auto it = u.find("time_zone"); it != u.end()) {
      if (!it->is_string()) return bad(where + ".time_zone", "must be a string");
      r.time_zone = it->get<std::string>();
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<UnitRecord>> parse_units_csv(std::string_view text, const std::string& name) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::size_t pos = 0;
  int line = 1;
  std::vector<std::string> fields;
  if (!next_record(text, pos, &fields, &line)) return bad(name, "empty file");
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < fields.size(); ++i) column[trim(fields[i])] = i;
  for (const char* required : {"code", "name"}) {
    if (!column.count(required)) {
      return bad(name + ":1", std::string("header: column \"") + required + "\" missing");
    }
  }
  std::vector<UnitRecord> out;
  while (true) {
    int record_line = line;
    if (!next_record(text, pos, &fields, &line)) break;
    if (fields.size() == 1 && trim(fields[0]).empty()) continue;
    std::string where = name + ":" + std::to_string(record_line);
    auto get = [&](const char* col) -> std::string {
      auto it = column.find(col);
      if (it == column.end() || it->second >= fields.size()) return {};
      return trim(fields[it->second]);
    };
    UnitRecord r;
    r.code = get("code");
    r.name = get("name");
    if (r.code.empty()) return bad(where, "code: missing");
    if (r.name.empty()) return bad(where, "name: missing");
    if (auto p = get("parent"); !p.empty()) r.parent = p;
    if (auto tz = get("time_zone"); !tz.empty()) r.time_zone = tz;
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<UnitRecord>> load_units_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::error(ErrorCode::not_found, file.string() + ": cannot be read");
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  if (file.extension() == ".csv") return parse_units_csv(text, file.string());
  return parse_units_json(text, file.string());
}

}  // namespace sipas
