#include "sipas/received_bundle.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

#include "sipas/crypto.hpp"

namespace sipas {

Result<std::optional<ReceivedBundle>> read_received_bundle(ResponseStore& store) {
  auto text = store.setting(kConfigBundleKey);
  if (!text.is_ok()) return text.status();
  if (!*text || (*text)->empty()) return std::optional<ReceivedBundle>();
  auto doc = nlohmann::json::parse(**text, nullptr, false);
  std::optional<std::string> signature;
  if (doc.is_object() && doc.contains("signature") && doc["signature"].is_string())
    signature = base64_decode(doc["signature"].get<std::string>());
  if (!doc.is_object() || !doc.contains("version") || !doc["version"].is_number_integer() ||
      !doc.contains("body") || !doc["body"].is_string() || !signature) {
    return Status::error(ErrorCode::corrupt, std::string(kConfigBundleKey) + ": damaged");
  }
  return std::optional<ReceivedBundle>(
      ReceivedBundle{doc["version"].get<std::int64_t>(), doc["body"].get<std::string>(), *signature});
}

Status store_received_bundle(ResponseStore& store, const ReceivedBundle& bundle) {
  nlohmann::json doc{{"version", bundle.version},
                     {"body", bundle.body},
                     {"signature", base64_encode(bundle.signature)}};
  return store.set_setting(kConfigBundleKey, doc.dump());
}

Result<std::int64_t> received_version(ResponseStore& store) {
  auto b = read_received_bundle(store);
  if (!b.is_ok()) {
    // A damaged envelope is replaced by the next bundle the server sends.
    if (b.status().code() == ErrorCode::corrupt) return std::int64_t{0};
    return b.status();
  }
  return *b ? (*b)->version : 0;
}

Result<std::optional<std::int64_t>> applied_version(ResponseStore& store) {
  auto text = store.setting(kConfigVersionKey);
  if (!text.is_ok()) return text.status();
  if (!*text || (*text)->empty()) return std::optional<std::int64_t>();
  std::int64_t v = 0;
  const std::string& s = **text;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(v);
}

Status record_config_error(ResponseStore& store, const std::string& error, TimePoint now,
                           const char* by) {
  Status s = store.set_setting(kConfigErrorByKey, by);
  if (!s.is_ok()) return s;
  s = store.set_setting(kConfigErrorAtKey, format_rfc3339(now));
  if (!s.is_ok()) return s;
  return store.set_setting(kConfigErrorKey, error);
}

Status clear_fetch_error(ResponseStore& store) {
  auto by = store.setting(kConfigErrorByKey);
  if (!by.is_ok()) return by.status();
  if (*by && **by == "apply") return Status::ok();
  return clear_config_error(store);
}

Status clear_config_error(ResponseStore& store) {
  auto current = store.setting(kConfigErrorKey);
  if (current.is_ok() && (!*current || (*current)->empty())) return Status::ok();
  return store.set_setting(kConfigErrorKey, "");
}

Status record_config_applied(ResponseStore& store, std::int64_t version) {
  Status s = store.set_setting(kConfigVersionKey, std::to_string(version));
  if (!s.is_ok()) return s;
  return clear_config_error(store);
}

Result<std::optional<ReceivedConfig>> load_received_config(const KioskConfig& local,
                                                           ResponseStore& store) {
  if (local.server.config_public_key.empty()) return std::optional<ReceivedConfig>();
  auto received = read_received_bundle(store);
  if (!received.is_ok()) return received.status();
  if (!*received) return std::optional<ReceivedConfig>();
  auto key = read_public_key(local.server.config_public_key);
  if (!key.is_ok()) return key.status();
  auto verified = verify_bundle((*received)->body, (*received)->signature, *key);
  if (!verified.is_ok()) return verified.status();
  if (verified->kiosk_id != local.kiosk_id) {
    return Status::error(ErrorCode::invalid_argument,
                         "configuration version " + std::to_string(verified->version) +
                             " is for kiosk \"" + verified->kiosk_id + "\", not \"" +
                             local.kiosk_id + "\"");
  }
  auto loaded = load_kiosk_config_with_bundle(
      local.dir, verified->content, "configuration version " + std::to_string(verified->version));
  if (!loaded.is_ok()) return loaded.status();
  return std::optional<ReceivedConfig>(ReceivedConfig{std::move(loaded).value(), verified->version});
}

}  // namespace sipas
