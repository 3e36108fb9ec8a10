#include "sipas/sync/config_fetcher.hpp"

#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sipas/bundle.hpp"
#include "sipas/crypto.hpp"
#include "sipas/received_bundle.hpp"

namespace sipas {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

// The server's {"error"} words, else its status.
std::string server_error(const HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  std::string detail = j.is_object() && j.contains("error") && j["error"].is_string()
                           ? j["error"].get<std::string>()
                           : std::string();
  return "server answered HTTP " + std::to_string(r.status) +
         (detail.empty() ? "" : ": " + one_line(detail));
}

}  // namespace

ConfigFetcherOptions ConfigFetcherOptions::from_config(const KioskConfig& config) {
  ConfigFetcherOptions o;
  o.kiosk_id = config.kiosk_id;
  o.server_url = config.server.url;
  o.token_file = config.server.token_file;
  o.config_dir = config.dir;
  o.public_key = config.server.config_public_key;
  return o;
}

ConfigFetcher::ConfigFetcher(ConfigFetcherOptions options, ResponseStore& store,
                             HttpTransport& transport, const Clock& clock)
    : options_(std::move(options)), store_(store), transport_(transport), clock_(clock) {}

FetchReport ConfigFetcher::refuse(FetchReport report, const std::string& why) {
  report.outcome = FetchOutcome::refused;
  report.error = one_line(why);
  (void)record_config_error(store_, report.error, clock_.now(), "fetch");
  const std::string line = "configuration refused, kept version " +
                           std::to_string(report.version) + ": " + report.error;
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "sipas: " << line << "\n";
  }
  return report;
}

FetchReport ConfigFetcher::fetch_once() {
  FetchReport report;
  if (options_.public_key.empty()) return report;
  auto current = received_version(store_);
  if (!current.is_ok()) {
    report.outcome = FetchOutcome::failed;
    report.error = current.status().message();
    return report;
  }
  report.version = *current;
  auto key = read_public_key(options_.public_key);
  if (!key.is_ok()) return refuse(report, key.status().message());

  std::ifstream in(options_.token_file, std::ios::binary);
  std::stringstream token;
  if (in) token << in.rdbuf();
  if (!in || trim(token.str()).empty()) {
    report.outcome = FetchOutcome::failed;
    report.error = "token file " + options_.token_file.string() + ": cannot be read";
    return report;
  }
  std::string base = options_.server_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest request;
  request.method = "GET";
  request.url = base + "/api/v1/config";
  request.headers.emplace_back("Authorization", "Bearer " + trim(token.str()));
  request.headers.emplace_back("Accept", "application/json");
  if (*current > 0) request.headers.emplace_back("If-None-Match", "\"" + std::to_string(*current) + "\"");
  auto response = transport_.send(request);
  if (!response.is_ok()) {
    report.outcome = FetchOutcome::failed;
    report.error = response.status().message();
    return report;
  }
  if (response->status == 304 || response->status == 404) {
    report.outcome = response->status == 304 ? FetchOutcome::unchanged : FetchOutcome::none;
    (void)clear_fetch_error(store_);
    return report;
  }
  if (response->status != 200) {
    report.outcome = FetchOutcome::failed;
    report.error = server_error(*response);
    // A server without its signing key stays so until someone acts: worth telling staff.
    if (response->status == 503) (void)record_config_error(store_, report.error, clock_.now(), "fetch");
    return report;
  }

  auto header = response->headers.find("sipas-signature");
  if (header == response->headers.end()) return refuse(report, "the answer carries no Sipas-Signature");
  std::string value = trim(header->second);
  if (!value.starts_with("ed25519=")) return refuse(report, "Sipas-Signature is not ed25519=...");
  auto signature = base64_decode(value.substr(8));
  if (!signature) return refuse(report, "Sipas-Signature is not base64");
  auto verified = verify_bundle(response->body, *signature, *key);
  if (!verified.is_ok()) return refuse(report, verified.status().message());
  if (verified->kiosk_id != options_.kiosk_id) {
    return refuse(report, "configuration version " + std::to_string(verified->version) +
                              " is for kiosk \"" + verified->kiosk_id + "\", not this one (\"" +
                              options_.kiosk_id + "\")");
  }
  if (verified->version <= *current) {
    return refuse(report, "configuration version " + std::to_string(verified->version) +
                              " is not newer than version " + std::to_string(*current) +
                              " already here (an old bundle sent again)");
  }
  const std::string name = "configuration version " + std::to_string(verified->version);
  auto loaded = load_kiosk_config_with_bundle(options_.config_dir, verified->content, name);
  if (!loaded.is_ok()) return refuse(report, loaded.status().message());

  Status s = store_received_bundle(store_, {verified->version, response->body, *signature});
  if (!s.is_ok()) {
    report.outcome = FetchOutcome::failed;
    report.error = s.message();
    return report;
  }
  (void)clear_config_error(store_);
  report.outcome = FetchOutcome::stored;
  report.version = verified->version;
  return report;
}

}  // namespace sipas
