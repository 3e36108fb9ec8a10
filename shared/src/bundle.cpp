#include "sipas/bundle.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "sipas/config.hpp"
#include "sipas/crypto.hpp"

namespace sipas {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

Status bad(const std::string& name, const std::string& path, const std::string& what) {
  return Status::error(ErrorCode::invalid_argument,
                       path.empty() ? name + ": " + what : name + ": " + path + ": " + what);
}

Result<std::string> read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Status::error(fs::exists(file) ? ErrorCode::io_error : ErrorCode::not_found,
                         file.generic_string() + ": cannot read");
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<Json> parse_file(const fs::path& file) { return read_json_file(file); }

}  // namespace

const std::vector<std::string>& local_only_settings() {
  static const std::vector<std::string> keys = {
      "kiosk_id", "unit",      "counter",    "server",     "staff_pin_hash",
      "db_path",  "export_dir", "font_paths", "assets_dir"};
  return keys;
}

bool is_local_only_setting(std::string_view key) {
  const auto& keys = local_only_settings();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

Result<BundleContent> parse_bundle_content(const Json& doc, const std::string& name,
                                           std::vector<std::string>* warnings,
                                           const std::vector<std::string>& extra_keys) {
  if (!doc.is_object()) return bad(name, "", std::string("expected an object, got ") + doc.type_name());
  BundleContent out;
  for (const auto& [key, value] : doc.items()) {
    if (key == "settings" || key == "surveys" || key == "procedures") continue;
    if (std::find(extra_keys.begin(), extra_keys.end(), key) != extra_keys.end()) continue;
    return bad(name, key, "unknown key (a bundle has settings, surveys and procedures)");
  }
  if (auto it = doc.find("settings"); it != doc.end() && !it->is_null()) {
    if (!it->is_object())
      return bad(name, "settings", std::string("expected an object, got ") + it->type_name());
    for (const auto& [key, value] : it->items()) {
      if (is_local_only_setting(key)) {
        if (warnings)
          warnings->push_back(name + ": settings." + key +
                              ": local to each kiosk, left out (the server never sets it)");
        continue;
      }
      out.settings[key] = value;
    }
  }
  if (auto it = doc.find("surveys"); it != doc.end() && !it->is_null()) {
    if (!it->is_array())
      return bad(name, "surveys", std::string("expected an array, got ") + it->type_name());
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const Json& s = (*it)[i];
      std::string path = "surveys[" + std::to_string(i) + "]";
      if (!s.is_object()) return bad(name, path, std::string("expected an object, got ") + s.type_name());
      auto id = s.find("id");
      if (id == s.end()) return bad(name, path + ".id", "missing");
      if (!id->is_string() || id->get_ref<const std::string&>().empty())
        return bad(name, path + ".id", "expected a questionnaire id");
      const std::string& sid = id->get_ref<const std::string&>();
      if (auto prev = seen.find(sid); prev != seen.end()) {
        return bad(name, path + ".id",
                   "duplicate survey id \"" + sid + "\" (also at surveys[" +
                       std::to_string(prev->second) + "])");
      }
      seen.emplace(sid, i);
      out.surveys.push_back(s);
    }
  }
  if (auto it = doc.find("procedures"); it != doc.end() && !it->is_null()) {
    if (!it->is_array())
      return bad(name, "procedures", std::string("expected an array or null, got ") + it->type_name());
    out.procedures = *it;
  }
  return out;
}

Result<BundleContent> read_bundle(const fs::path& path, std::vector<std::string>* warnings) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    auto doc = parse_file(path);
    if (!doc.is_ok()) return doc.status();
    return parse_bundle_content(*doc, path.generic_string(), warnings);
  }
  Json doc = Json::object();
  if (fs::exists(path / "kiosk.json", ec)) {
    auto kiosk = parse_file(path / "kiosk.json");
    if (!kiosk.is_ok()) return kiosk.status();
    if (!kiosk->is_object()) return bad((path / "kiosk.json").generic_string(), "", "expected an object");
    Json settings = Json::object();
    for (const auto& [key, value] : kiosk->items()) {
      if (is_local_only_setting(key)) continue;  // a kiosk's own directory may be uploaded as is
      settings[key] = value;
    }
    doc["settings"] = std::move(settings);
  }
  if (fs::is_directory(path / "surveys", ec)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path / "surveys", ec)) {
      if (entry.path().extension() == ".json" && !entry.path().filename().string().starts_with("."))
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    Json surveys = Json::array();
    for (const auto& f : files) {
      auto s = parse_file(f);
      if (!s.is_ok()) return s.status();
      if (!s->is_object() || !s->contains("id") || !(*s)["id"].is_string())
        return bad(f.generic_string(), "id", "missing");
      surveys.push_back(std::move(s).value());
    }
    doc["surveys"] = std::move(surveys);
  }
  if (fs::exists(path / "procedures.json", ec)) {
    auto p = parse_file(path / "procedures.json");
    if (!p.is_ok()) return p.status();
    if (!p->is_object() || !p->contains("procedures"))
      return bad((path / "procedures.json").generic_string(), "procedures", "missing");
    doc["procedures"] = (*p)["procedures"];
  }
  return parse_bundle_content(doc, path.generic_string(), warnings);
}

BundleContent merge_bundles(const std::vector<const BundleContent*>& root_first) {
  BundleContent out;
  std::map<std::string, Json> surveys;
  for (const BundleContent* b : root_first) {
    if (b == nullptr) continue;
    for (const auto& [key, value] : b->settings.items()) out.settings[key] = value;
    for (const Json& s : b->surveys) surveys[s["id"].get<std::string>()] = s;
    if (b->procedures) out.procedures = b->procedures;
  }
  for (auto& [id, s] : surveys) out.surveys.push_back(std::move(s));
  return out;
}

Json bundle_content_json(const BundleContent& content) {
  Json surveys = Json::array();
  for (const Json& s : content.surveys) surveys.push_back(s);
  return Json{{"settings", content.settings},
              {"surveys", std::move(surveys)},
              {"procedures", content.procedures ? *content.procedures : Json(nullptr)}};
}

std::string signed_bundle_body(const SignedBundle& bundle) {
  Json body = bundle_content_json(bundle.content);
  body["format"] = 1;
  body["kiosk_id"] = bundle.kiosk_id;
  body["version"] = bundle.version;
  body["issued_at"] = bundle.issued_at;
  return body.dump();
}

Result<SignedBundle> verify_bundle(std::string_view body, std::string_view signature,
                                   std::string_view public_key_pem) {
  std::string error;
  if (!ed25519_verify(public_key_pem, body, signature, &error)) {
    return Status::error(ErrorCode::invalid_argument, "configuration refused: " + error);
  }
  const std::string name = "configuration from the server";
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return bad(name, "", "not a JSON object");
  auto format = doc.find("format");
  if (format == doc.end() || !format->is_number_integer() || format->get<std::int64_t>() != 1)
    return bad(name, "format", "expected 1");
  SignedBundle out;
  auto kiosk = doc.find("kiosk_id");
  if (kiosk == doc.end() || !kiosk->is_string()) return bad(name, "kiosk_id", "missing");
  out.kiosk_id = kiosk->get<std::string>();
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || version->get<std::int64_t>() < 1)
    return bad(name, "version", "expected a positive whole number");
  out.version = version->get<std::int64_t>();
  if (auto at = doc.find("issued_at"); at != doc.end() && at->is_string()) out.issued_at = *at;
  auto content = parse_bundle_content(doc, name, nullptr, {"format", "kiosk_id", "version", "issued_at"});
  if (!content.is_ok()) return content.status();
  out.content = std::move(content).value();
  return out;
}

Result<std::string> read_public_key(const fs::path& file) {
  auto text = read_text(file);
  if (!text.is_ok()) return text.status();
  std::string error;
  if (!ed25519_verify(*text, "", std::string(64, '\0'), &error) &&
      error != "signature does not match") {
    return Status::error(ErrorCode::invalid_argument, file.generic_string() + ": " + error);
  }
  return text;
}

}  // namespace sipas
