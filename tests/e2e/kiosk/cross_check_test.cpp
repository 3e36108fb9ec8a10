// The kiosk's staff screen and the province server agree: the same responses, generated into a
// kiosk database, uploaded with the real sipas-sync to the real sipas-server on a free loopback
// port, give the same index for the day in the kiosk's StaffModel and in GET /api/v1/scores.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "generate.hpp"
#include "sipas/config.hpp"
#include "sipas/store.hpp"
#include "staff.hpp"

namespace sipas {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sipas-cross-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Runs a shell command; returns its exit status and standard output.
int run(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string text;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  const int st = ::pclose(p);
  if (out) *out = text;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// The server process, stopped with SIGTERM and reaped.
class Server {
 public:
  Server(std::vector<std::string> argv, const fs::path& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::FILE* f = std::freopen(log.c_str(), "w", stderr);
      (void)f;
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

 private:
  pid_t pid_ = -1;
};

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
  Server server({server_bin, "serve", "--db", server_db.string(), "--listen",
                 "127.0.0.1:" + std::to_string(port), "--surveys", (cfg / "surveys").string(),
                 "--rate-limit", "0"},
                dir / "server.log");
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
