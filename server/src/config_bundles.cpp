#include "sipas/server/config_bundles.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sipas/config.hpp"
#include "sipas/crypto.hpp"

namespace sipas {
namespace {

using Json = nlohmann::json;

// Far deeper than any real tree (province, department, commune, center, counter); a cycle stops
// here instead of looping.
constexpr int kMaxDepth = 64;

Status bad_scope(const std::string& scope) {
  return Status::error(ErrorCode::invalid_argument,
                       "scope must be \"unit\" or \"kiosk\", got \"" + scope + "\"");
}

Result<KioskRecord> find_kiosk(ServerStore& store, const std::string& kiosk_id) {
  auto kiosks = store.kiosks();
  if (!kiosks.is_ok()) return kiosks.status();
  for (const KioskRecord& k : *kiosks) {
    if (k.kiosk_id == kiosk_id) return k;
  }
  return Status::error(ErrorCode::not_found, "unknown kiosk \"" + kiosk_id + "\"");
}

// The unit and its ancestors, root first.
Result<std::vector<UnitRecord>> unit_chain(ServerStore& store, const std::string& code) {
  std::vector<UnitRecord> chain;
  std::optional<std::string> next = code;
  while (next) {
    if (chain.size() >= kMaxDepth) {
      return Status::error(ErrorCode::internal, "the unit tree above \"" + code + "\" is too deep");
    }
    auto unit = store.unit(*next);
    if (!unit.is_ok()) return unit.status();
    if (!*unit) return Status::error(ErrorCode::not_found, "unknown unit \"" + *next + "\"");
    next = (*unit)->parent;
    chain.push_back(std::move(**unit));
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

// The scopes of a chain, root first: (scope, id).
struct Chain {
  std::vector<std::pair<std::string, std::string>> scopes;
  UnitRecord unit;  // the unit whose settings a kiosk of this chain has
};

Result<Chain> chain_of(ServerStore& store, const std::string& scope, const std::string& scope_id) {
  Chain out;
  std::string unit_code = scope_id;
  if (scope == kKioskScope) {
    auto kiosk = find_kiosk(store, scope_id);
    if (!kiosk.is_ok()) return kiosk.status();
    unit_code = kiosk->unit;
  } else if (scope != kUnitScope) {
    return bad_scope(scope);
  }
  auto units = unit_chain(store, unit_code);
  if (!units.is_ok()) return units.status();
  for (const UnitRecord& u : *units) out.scopes.emplace_back(kUnitScope, u.code);
  if (scope == kKioskScope) out.scopes.emplace_back(kKioskScope, scope_id);
  out.unit = units->back();
  return out;
}

Result<BundleContent> content_of(const ConfigBundleRecord& r) {
  Json doc = Json::parse(*r.content, nullptr, false);
  auto c = parse_bundle_content(doc, "stored " + r.scope + " " + r.scope_id + " version " +
                                         std::to_string(r.version));
  if (!c.is_ok()) return Status::error(ErrorCode::corrupt, c.status().message());
  return c;
}

// The effective bundle of a chain, with `replace` (when given) standing in for the bundle of
// the scope (scope, id) it names.
Result<EffectiveBundle> effective_of(ServerStore& store, const Chain& chain,
                                     const std::pair<std::string, std::string>* replace_scope,
                                     const BundleContent* replace) {
  EffectiveBundle out;
  std::vector<BundleContent> contents;
  contents.reserve(chain.scopes.size());
  for (const auto& scope : chain.scopes) {
    if (replace_scope && scope == *replace_scope) {
      out.has_content = true;
      contents.push_back(*replace);
      continue;
    }
    auto latest = store.latest_config_bundle(scope.first, scope.second);
    if (!latest.is_ok()) return latest.status();
    if (!*latest) continue;
    out.version = std::max(out.version, (*latest)->version);
    if ((*latest)->content) {
      auto c = content_of(**latest);
      if (!c.is_ok()) return c.status();
      contents.push_back(std::move(c).value());
      out.has_content = true;
    }
    out.chain.push_back(std::move(**latest));
  }
  std::vector<const BundleContent*> pointers;
  for (const BundleContent& c : contents) pointers.push_back(&c);
  out.content = merge_bundles(pointers);
  return out;
}

Status check_effective(const EffectiveBundle& e, const UnitRecord& unit, const std::string& label,
                       std::vector<std::string>* warnings) {
  Status s = check_bundle(e.content, unit.code, unit.name, unit.time_zone, warnings);
  if (s.is_ok() || label.empty()) return s;
  return Status::error(s.code(), "as merged for " + label + ": " + s.message());
}

// A questionnaire whose (id, version) is stored with other content would change the meaning of
// the responses already scored with it.
Status check_survey_versions(ServerStore& store, const BundleContent& content,
                             std::vector<SurveyUpload>* uploads) {
  auto texts = store.survey_texts();
  if (!texts.is_ok()) return texts.status();
  std::map<std::pair<std::string, int>, Json> stored;
  for (const std::string& t : *texts) {
    Json doc = Json::parse(t, nullptr, false);
    if (!doc.is_object() || !doc.contains("id") || !doc["id"].is_string()) continue;
    int version = doc.contains("version") && doc["version"].is_number_integer()
                      ? doc["version"].get<int>()
                      : 1;
    std::string id = doc["id"].get<std::string>();
    stored[{std::move(id), version}] = std::move(doc);
  }
  for (const Json& s : content.surveys) {
    const std::string id = s["id"].get<std::string>();
    const int version = s.contains("version") && s["version"].is_number_integer()
                            ? s["version"].get<int>()
                            : 1;
    auto it = stored.find({id, version});
    if (it != stored.end() && it->second != s) {
      return Status::error(
          ErrorCode::invalid_argument,
          "surveys/" + id + ".json: version: questionnaire \"" + id + "\" version " +
              std::to_string(version) +
              " is already on the server with other questions or texts; give this one a new "
              "version (responses already received keep theirs)");
    }
    uploads->push_back({id, version, s.dump(2) + "\n"});
  }
  return Status::ok();
}

Status write_new_file(const std::filesystem::path& file, const std::string& content, mode_t mode) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    int err = errno;
    return Status::error(err == EEXIST ? ErrorCode::conflict : ErrorCode::io_error,
                         file.string() + ": " +
                             (err == EEXIST ? std::string("already exists; not replaced")
                                            : std::string(std::strerror(err))));
  }
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return Status::error(ErrorCode::io_error, file.string() + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Status::error(ErrorCode::io_error, file.string() + ": " + std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace

Result<StoredBundle> put_bundle(ServerStore& store, const std::string& scope,
                                const std::string& scope_id, const BundleContent& content,
                                const std::string& uploaded_by, TimePoint now) {
  auto chain = chain_of(store, scope, scope_id);
  if (!chain.is_ok()) return chain.status();
  const std::pair<std::string, std::string> self{scope, scope_id};
  StoredBundle out;
  auto effective = effective_of(store, *chain, &self, &content);
  if (!effective.is_ok()) return effective.status();
  Status s = check_effective(*effective, chain->unit, "", &out.warnings);
  if (!s.is_ok()) return s;

  // Every scope below a unit that has a bundle of its own gets the new one merged in too.
  if (scope == kUnitScope) {
    auto below = store.unit_subtree(scope_id);
    if (!below.is_ok()) return below.status();
    std::set<std::string> units(below->begin(), below->end());
    auto kiosks = store.kiosks();
    if (!kiosks.is_ok()) return kiosks.status();
    std::map<std::string, std::string> kiosk_unit;
    for (const KioskRecord& k : *kiosks) kiosk_unit[k.kiosk_id] = k.unit;
    auto all = store.latest_config_bundles();
    if (!all.is_ok()) return all.status();
    for (const ConfigBundleRecord& r : *all) {
      if (!r.content || (r.scope == scope && r.scope_id == scope_id)) continue;
      const std::string unit = r.scope == kUnitScope ? r.scope_id : kiosk_unit[r.scope_id];
      if (!units.contains(unit)) continue;
      auto sub = chain_of(store, r.scope, r.scope_id);
      if (!sub.is_ok()) return sub.status();
      auto e = effective_of(store, *sub, &self, &content);
      if (!e.is_ok()) return e.status();
      s = check_effective(*e, sub->unit, r.scope + " " + r.scope_id, nullptr);
      if (!s.is_ok()) return s;
    }
  }

  std::vector<SurveyUpload> uploads;
  s = check_survey_versions(store, content, &uploads);
  if (!s.is_ok()) return s;
  auto version = store.put_config_bundle(scope, scope_id, bundle_content_json(content).dump(),
                                         uploads, uploaded_by, now);
  if (!version.is_ok()) return version.status();
  out.version = *version;
  return out;
}

Result<std::int64_t> remove_bundle(ServerStore& store, const std::string& scope,
                                   const std::string& scope_id, const std::string& uploaded_by,
                                   TimePoint now) {
  if (scope != kUnitScope && scope != kKioskScope) return bad_scope(scope);
  auto latest = store.latest_config_bundle(scope, scope_id);
  if (!latest.is_ok()) return latest.status();
  if (!*latest || !(*latest)->content) {
    return Status::error(ErrorCode::not_found,
                         scope + " \"" + scope_id + "\" has no configuration bundle to remove");
  }
  return store.put_config_bundle(scope, scope_id, std::nullopt, {}, uploaded_by, now);
}

Result<EffectiveBundle> effective_bundle(ServerStore& store, const std::string& scope,
                                         const std::string& scope_id) {
  auto chain = chain_of(store, scope, scope_id);
  if (!chain.is_ok()) return chain.status();
  return effective_of(store, *chain, nullptr, nullptr);
}

Result<std::map<std::string, std::int64_t>> effective_versions(ServerStore& store) {
  auto units = store.units();
  if (!units.is_ok()) return units.status();
  auto kiosks = store.kiosks();
  if (!kiosks.is_ok()) return kiosks.status();
  auto latest = store.latest_config_bundles();
  if (!latest.is_ok()) return latest.status();
  std::map<std::string, std::optional<std::string>> parent;
  for (const UnitRecord& u : *units) parent[u.code] = u.parent;
  std::map<std::string, std::int64_t> own_unit, own_kiosk;
  for (const ConfigBundleRecord& r : *latest) {
    (r.scope == kUnitScope ? own_unit : own_kiosk)[r.scope_id] = r.version;
  }
  std::map<std::string, std::int64_t> out;
  for (const KioskRecord& k : *kiosks) {
    std::int64_t v = own_kiosk.contains(k.kiosk_id) ? own_kiosk[k.kiosk_id] : 0;
    // Up the tree; the bound stops a loop in a damaged table from hanging the fleet page.
    std::optional<std::string> unit = k.unit;
    for (std::size_t depth = 0; unit && depth <= parent.size(); ++depth) {
      if (auto it = own_unit.find(*unit); it != own_unit.end()) v = std::max(v, it->second);
      auto up = parent.find(*unit);
      unit = up == parent.end() ? std::nullopt : up->second;
    }
    out[k.kiosk_id] = v;
  }
  return out;
}

Status generate_signing_key(const std::filesystem::path& private_file,
                            const std::filesystem::path& public_file) {
  std::error_code ec;
  for (const auto& f : {private_file, public_file}) {
    if (std::filesystem::exists(f, ec)) {
      return Status::error(ErrorCode::conflict, f.string() + ": already exists; not replaced");
    }
  }
  Ed25519KeyPair pair;
  std::string error;
  if (!ed25519_generate(&pair, &error)) return Status::error(ErrorCode::internal, error);
  Status s = write_new_file(private_file, pair.private_pem, 0600);
  if (!s.is_ok()) return s;
  s = write_new_file(public_file, pair.public_pem, 0644);
  if (!s.is_ok()) {
    std::filesystem::remove(private_file, ec);
    return s;
  }
  return Status::ok();
}

Result<std::string> load_signing_key(const std::filesystem::path& private_file) {
  std::ifstream in(private_file, std::ios::binary);
  if (!in) {
    return Status::error(ErrorCode::not_found,
                         private_file.string() + ": cannot read the signing key");
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string pem = buf.str();
  std::string public_pem, error;
  if (!ed25519_public_of(pem, &public_pem, &error)) {
    return Status::error(ErrorCode::invalid_argument, private_file.string() + ": " + error);
  }
  return pem;
}

Result<SignedConfig> sign_config(const std::string& private_pem, const std::string& kiosk_id,
                                 const EffectiveBundle& effective, TimePoint now) {
  SignedBundle b{kiosk_id, effective.version, format_rfc3339(now), effective.content};
  SignedConfig out;
  out.body = signed_bundle_body(b);
  std::string signature, error;
  if (!ed25519_sign(private_pem, out.body, &signature, &error)) {
    return Status::error(ErrorCode::internal, "cannot sign the configuration: " + error);
  }
  out.signature_header = "ed25519=" + base64_encode(signature);
  return out;
}

}  // namespace sipas
