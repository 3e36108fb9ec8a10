#include "sipas/server/procedures_file.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace sipas {
namespace {

Status bad(const std::string& where, const std::string& problem) {
  return Status::error(ErrorCode::invalid_argument, where + ": " + problem);
}

}  // namespace

Result<std::vector<ProcedureRecord>> parse_procedures_json(std::string_view text,
                                                           const std::string& name) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return bad(name, std::string("malformed JSON: ") + e.what());
  }
  if (!doc.is_object()) return bad(name, "must be a JSON object with \"procedures\"");
  auto list = doc.find("procedures");
  if (list == doc.end()) return bad(name + ": procedures", "missing");
  if (!list->is_array()) return bad(name + ": procedures", "must be an array");
  std::vector<ProcedureRecord> out;
  std::set<std::string> codes;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& p = (*list)[i];
    std::string where = name + ": procedures[" + std::to_string(i) + "]";
    if (!p.is_object()) return bad(where, "must be an object");
    ProcedureRecord r;
    auto code = p.find("code");
    if (code == p.end()) return bad(where + ".code", "missing");
    if (!code->is_string()) return bad(where + ".code", "must be a string");
    r.code = code->get<std::string>();
    if (!is_valid_code(r.code)) {
      return bad(where + ".code", "\"" + r.code + "\": use 1–64 of A-Z a-z 0-9 . _ -");
    }
    if (!codes.insert(r.code).second) return bad(where + ".code", "\"" + r.code + "\" repeated");
    auto names = p.find("name");
    if (names == p.end()) return bad(where + ".name", "missing");
    if (!names->is_object()) {
      return bad(where + ".name", "must be an object of texts by language ({\"vi\": ...})");
    }
    for (const auto& [lang, value] : names->items()) {
      if (!value.is_string()) return bad(where + ".name." + lang, "must be a string");
      r.name[lang] = value.get<std::string>();
    }
    auto vi = r.name.find("vi");
    if (vi == r.name.end()) return bad(where + ".name.vi", "missing");
    if (vi->second.empty()) return bad(where + ".name.vi", "must not be empty");
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<ProcedureRecord>> load_procedures_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::error(ErrorCode::not_found, file.string() + ": cannot be read");
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_procedures_json(buf.str(), file.string());
}

}  // namespace sipas
