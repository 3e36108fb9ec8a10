// sipas-bench-sync: the uploader's drain figures, driven by bench/run-50-sync.sh.
//
//   sipas-bench-sync generate --config DIR --db PATH --count N
//       writes N plausible responses for the config's active survey through ResponseStore.
//   sipas-bench-sync drain --db PATH --server URL --token-file F --kiosk-id ID --batch-size B
//       uploads everything pending with BatchUploader over CurlTransport and prints one JSON
//       object: responses settled, seconds, requests, connections, bytes sent and received.
//
// A single timed run per drain, not a Google Benchmark loop: draining a backlog changes it.
#include <chrono>
#include <iostream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "sipas/config.hpp"
#include "sipas/store.hpp"
#include "sipas/sync/curl_transport.hpp"
#include "sipas/sync/uploader.hpp"

namespace {

int fail(const std::string& message) {
  std::cerr << "sipas-bench-sync: " << message << "\n";
  return 2;
}

int generate(std::map<std::string, std::string>& args) {
  auto loaded = sipas::load_kiosk_config(args["config"]);
  if (!loaded.is_ok()) return fail(loaded.status().message());
  const sipas::KioskConfig& config = loaded->config;
  const sipas::Survey& survey = config.survey();
  auto store = sipas::ResponseStore::open(args["db"]);
  if (!store.is_ok()) return fail(store.status().message());
  const int count = std::stoi(args["count"]);
  const auto t0 = sipas::TimePoint(std::chrono::milliseconds(1'790'000'000'000LL));
  for (int i = 0; i < count; ++i) {
    sipas::ResponseDraft d;
    d.survey_id = survey.id;
    d.survey_version = survey.version;
    d.unit = config.unit.code;
    d.counter = config.counter;
    d.language = i % 5 == 0 ? "en" : "vi";
    d.started_at = t0 + std::chrono::minutes(3 * i);
    d.submitted_at = d.started_at + std::chrono::seconds(20 + i % 30);
    int k = 0;
    for (const sipas::Criterion* c : survey.questions()) {
      const auto& options = survey.options_for(*c);
      d.answers.push_back({c->id, options[(i * 7 + k++ * 3) % options.size()].value});
    }
    if (i % 11 == 0) d.comment = "Hướng dẫn rõ ràng, lần " + std::to_string(i);
    auto r = (*store)->append(d);
    if (!r.is_ok()) return fail(r.status().message());
  }
  return 0;
}

int drain(std::map<std::string, std::string>& args) {
  auto store = sipas::ResponseStore::open(args["db"]);
  if (!store.is_ok()) return fail(store.status().message());
  auto before = (*store)->pending_count();
  if (!before.is_ok()) return fail(before.status().message());
  sipas::CurlOptions curl;
  auto transport = sipas::CurlTransport::create(curl);
  if (!transport.is_ok()) return fail(transport.status().message());
  sipas::UploaderOptions options;
  options.kiosk_id = args["kiosk-id"];
  options.server_url = args["server"];
  options.token_file = args["token-file"];
  options.batch_size = std::stoi(args["batch-size"]);
  sipas::SystemClock clock;
  auto uploader = sipas::BatchUploader::create(options, **store, **transport, clock);
  if (!uploader.is_ok()) return fail(uploader.status().message());
  sipas::RealSleeper sleeper;

  auto start = std::chrono::steady_clock::now();
  sipas::PassReport report = (*uploader)->drain(sleeper, 3);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report.status.is_ok() || report.pending_left != 0) {
    return fail("drain incomplete: " + report.status.message());
  }
  const auto& stats = (*transport)->stats();
  nlohmann::json out = {{"responses", *before},
                        {"accepted", report.accepted},
                        {"duplicates", report.duplicates},
                        {"seconds", seconds},
                        {"requests", stats.requests},
                        {"connections", stats.connections},
                        {"bytes_sent", stats.bytes_sent},
                        {"bytes_received", stats.bytes_received}};
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return fail("usage: sipas-bench-sync generate|drain --key value ...");
  std::string command = argv[1];
  std::map<std::string, std::string> args;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (!key.starts_with("--")) return fail("unexpected argument " + key);
    args[key.substr(2)] = argv[i + 1];
  }
  try {
    if (command == "generate") return generate(args);
    if (command == "drain") return drain(args);
  } catch (const std::exception& e) {
    return fail(std::string("bad argument: ") + e.what());
  }
  return fail("unknown command " + command);
}
