// "Sync now" on the staff screen against the real sipas-server on a free loopback port: the kiosk
// under Xvfb holds generated responses that its first upload could not deliver (the token was not
// issued yet, so the uploader waits at its five-minute cap); once the token is in place, long
// press → PIN → Sync tab → "sync now" delivers every one, and the Sync tab shows none pending and
// the time of the upload.
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e_support.hpp"
#include "sipas/store.hpp"
#include "sipas/time.hpp"

namespace sipas {
namespace {

using namespace e2e;
using namespace std::chrono_literals;

constexpr int kResponses = 37;
const char* const kUser = "staff-check";
const char* const kPassword = "staff-check-pass-7";

class StaffSyncE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"Xvfb", "xdotool", "curl"}) {
      if (!have_tool(tool)) GTEST_SKIP() << tool << " is not installed";
    }
  }

  // The kiosk's stored setting, read through its own database file.
  std::string setting(const std::string& key) {
    auto store = ResponseStore::open((dir_ / "kiosk.db").string());
    if (!store.is_ok()) return {};
    auto v = (*store)->setting(key);
    return v.is_ok() && *v ? **v : std::string();
  }

  // How many responses the server holds from this kiosk, by GET /api/v1/kiosks.
  long server_responses(const std::string& url, const std::string& kiosk_id) {
    std::string body;
    if (run("curl -sf -u " + std::string(kUser) + ":" + kPassword + " " + url + "/api/v1/kiosks", &body) != 0) {
      return -1;
    }
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.contains("kiosks")) return -1;
    for (const auto& k : j["kiosks"]) {
      if (k.value("kiosk_id", "") == kiosk_id) return k.value("responses", -1L);
    }
    return 0;
  }

  TempDir dir_;
};

TEST_F(StaffSyncE2e, SyncNowDeliversThePendingResponsesAndTheSyncTabShowsNonePendingAndTheUploadTime) {
  const fs::path cfg = dir_ / "config";
  fs::copy(fs::path(SIPAS_SOURCE_DIR) / "kiosk-config", cfg, fs::copy_options::recursive);
  const int port = free_port();
  ASSERT_GT(port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto j = nlohmann::json::parse(read_file(cfg / "kiosk.json"));
  const std::string kiosk_id = j["kiosk_id"];
  const std::string unit = j["unit"]["code"];
  j["db_path"] = (dir_ / "kiosk.db").string();
  j["server"]["url"] = url;
  j["server"]["token_file"] = "kiosk.token";
  j["server"]["sync_interval_seconds"] = 3600;
  std::ofstream(cfg / "kiosk.json") << j.dump(2);
  // The token the kiosk holds at first is not one the server issued.
  std::ofstream(cfg / "kiosk.token") << "not-issued-yet\n";
  fs::permissions(cfg / "kiosk.token", fs::perms::owner_read | fs::perms::owner_write);
  ASSERT_EQ(run("echo 1234 | " + std::string(SIPAS_KIOSK_BIN) + " set-pin --config " + cfg.string() +
                " >/dev/null"),
            0);

  const std::string server_bin = SIPAS_SERVER_BIN;
  const std::string server_db = (dir_ / "server.db").string();
  ASSERT_EQ(run(server_bin + " unit add --db " + server_db + " --code " + unit + " --name Center >/dev/null"), 0);
  std::string token;
  ASSERT_EQ(run(server_bin + " kiosk add --db " + server_db + " --kiosk-id " + kiosk_id + " --unit " + unit,
                &token),
            0);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  ASSERT_FALSE(token.empty());
  ASSERT_EQ(run("echo " + std::string(kPassword) + " | " + server_bin + " user add --db " + server_db +
                " --user " + kUser + " >/dev/null"),
            0);
  Process server({server_bin, "serve", "--db", server_db, "--listen", "127.0.0.1:" + std::to_string(port),
                  "--surveys", (cfg / "surveys").string(), "--rate-limit", "0"},
                 {}, dir_ / "server.log", -1, SIGTERM);
  bool up = false;
  for (int i = 0; i < 200 && !up; ++i) {
    up = run("curl -sf -o /dev/null " + url + "/healthz") == 0;
    if (!up) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(up) << "sipas-server did not answer /healthz: " << read_file(dir_ / "server.log");

  ASSERT_EQ(run(std::string(SIPAS_KIOSK_BIN) + " --config " + cfg.string() + " --db " + (dir_ / "kiosk.db").string() +
                " generate --count " + std::to_string(kResponses) + " --days 1 --seed 5 >/dev/null"),
            0);

  KioskSession kiosk(dir_.path(), SIPAS_KIOSK_BIN);
  kiosk.start(cfg, 1280, 800, {"--db", (dir_ / "kiosk.db").string()});
  nlohmann::json d = kiosk.open_staff("1234");
  kiosk.tap(d, "staff-tab-sync");
  d = kiosk.wait_element("staff-sync-now");

  // The first upload was refused for its token and nothing reached the server.
  for (int i = 0; i < 200 && setting("sync.last_error").empty(); ++i) std::this_thread::sleep_for(50ms);
  ASSERT_FALSE(setting("sync.last_error").empty()) << "the kiosk tried its first upload";
  EXPECT_EQ(server_responses(url, kiosk_id), 0);
  EXPECT_TRUE(setting("sync.last_success_at").empty());
  d = kiosk.wait_until("the Sync tab counting every response as pending", [](const nlohmann::json& dump) {
    return labels(dump)["staff-sync-pending"] == std::to_string(kResponses);
  });
  EXPECT_EQ(labels(d)["staff-sync-last-success"], "—");

  std::ofstream(cfg / "kiosk.token", std::ios::trunc) << token << "\n";
  kiosk.tap(d, "staff-sync-now");
  d = kiosk.wait_until("the Sync tab showing nothing pending", [](const nlohmann::json& dump) {
    return labels(dump)["staff-sync-pending"] == "0";
  }, 30s);
  EXPECT_EQ(labels(d)["staff-sync-pending"], "0");
  EXPECT_EQ(server_responses(url, kiosk_id), kResponses);

  const std::string last_success = setting("sync.last_success_at");
  ASSERT_FALSE(last_success.empty());
  const auto at = parse_rfc3339(last_success);
  ASSERT_TRUE(at.has_value()) << last_success;
  auto tz = TimeZone::load(j["unit"]["time_zone"].get<std::string>());
  ASSERT_TRUE(tz.is_ok());
  const std::string shown = labels(d)["staff-sync-last-success"];
  EXPECT_NE(shown, "—");
  EXPECT_NE(shown.find(format_date(tz->local_date(*at))), std::string::npos) << shown;
  EXPECT_TRUE(setting("sync.last_error").empty());
}

}  // namespace
}  // namespace sipas
