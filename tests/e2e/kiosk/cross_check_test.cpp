// The kiosk's staff screen and the province server agree: the same responses, generated into a
// kiosk database, uploaded with the real sipas-sync to the real sipas-server on a free loopback
// port, give the same index for the day in the kiosk's StaffModel and in GET /api/v1/scores.
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e_support.hpp"
#include "generate.hpp"
#include "sipas/config.hpp"
#include "sipas/store.hpp"
#include "staff.hpp"

namespace sipas {
namespace {

using namespace e2e;
using namespace std::chrono_literals;

TEST(KioskServerCrossCheck, TheKiosksIndexForTheDayEqualsTheServers) {
  TempDir dir;
  const fs::path cfg = dir / "config";
  fs::copy(fs::path(SIPAS_SOURCE_DIR) / "kiosk-config", cfg, fs::copy_options::recursive);
  auto loaded = load_kiosk_config(cfg);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  const KioskConfig& config = loaded->config;
  auto tz = TimeZone::load(config.unit.time_zone);
  ASSERT_TRUE(tz.is_ok());

  const fs::path kiosk_db = dir / "kiosk.db";
  // A fixed working day (Friday 20 Nov 2026, 15:00 in Hà Nội), so the day always has responses.
  const TimePoint now = TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 20)} + 8h;
  {
    auto store = ResponseStore::open(kiosk_db.string());
    ASSERT_TRUE(store.is_ok());
    auto n = generate_responses(config, **store, {400, 3, 11}, now, *tz);
    ASSERT_TRUE(n.is_ok());
    ASSERT_EQ(*n, 400);
  }

  const fs::path server_db = dir / "server.db";
  const std::string server_bin = SIPAS_SERVER_BIN;
  ASSERT_EQ(run(server_bin + " unit add --db " + server_db.string() + " --code " + config.unit.code +
                " --name Center >/dev/null"),
            0);
  std::string token;
  ASSERT_EQ(run(server_bin + " kiosk add --db " + server_db.string() + " --kiosk-id " + config.kiosk_id +
                    " --unit " + config.unit.code,
                &token),
            0);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  ASSERT_FALSE(token.empty());
  std::ofstream(cfg / "kiosk.token") << token << "\n";
  fs::permissions(cfg / "kiosk.token", fs::perms::owner_read | fs::perms::owner_write);
  ASSERT_EQ(run("echo checker-pass-42 | " + server_bin + " user add --db " + server_db.string() +
                " --user checker >/dev/null"),
            0);

  const int port = free_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  Process server({server_bin, "serve", "--db", server_db.string(), "--listen",
                  "127.0.0.1:" + std::to_string(port), "--surveys", (cfg / "surveys").string(),
                  "--rate-limit", "0"},
                 {}, dir / "server.log", -1, SIGTERM);
  bool up = false;
  for (int i = 0; i < 200 && !up; ++i) {
    up = run("curl -sf -o /dev/null " + url + "/healthz") == 0;
    if (!up) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(up) << "sipas-server did not answer /healthz";

  std::string sync_out;
  ASSERT_EQ(run(std::string(SIPAS_SYNC_BIN) + " --config " + cfg.string() + " --db " + kiosk_db.string() +
                    " --server " + url + " --once 2>&1",
                &sync_out),
            0)
      << sync_out;

  auto store = ResponseStore::open(kiosk_db.string());
  ASSERT_TRUE(store.is_ok());
  ASSERT_EQ(*(*store)->pending_count(), 0) << "every response was uploaded";
  ManualClock at(now);
  StaffModel staff(config, *tz, at);
  ASSERT_TRUE(staff.refresh(**store, true).is_ok());
  const TodayFigures& today = staff.today();
  ASSERT_GT(today.complete + today.partial, 0) << "the generator wrote responses for today";
  ASSERT_TRUE(today.index.has_value());

  const std::string day = format_date(tz->local_date(now));
  std::string body;
  ASSERT_EQ(run("curl -sf -u checker:checker-pass-42 '" + url + "/api/v1/scores?unit=" + config.unit.code +
                    "&from=" + day + "&to=" + day + "&survey=" + config.active_survey + "&extras=0'",
                &body),
            0)
      << body;
  const auto j = nlohmann::json::parse(body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << body;
  EXPECT_EQ(j.value("responses", -1), today.complete + today.partial);
  ASSERT_TRUE(j["index"].is_number()) << body;
  EXPECT_NEAR(j["index"].get<double>(), *today.index, 1e-9);
  char shown[32];
  std::snprintf(shown, sizeof shown, "%.1f", *today.index);
  char server_shown[32];
  std::snprintf(server_shown, sizeof server_shown, "%.1f", j["index"].get<double>());
  EXPECT_STREQ(shown, server_shown);
}

}  // namespace
}  // namespace sipas
