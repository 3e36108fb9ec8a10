// sipas-sync against a real sipas-server, each a separate process, on a free loopback port, with
// real kiosk and server databases. Kills use SIGKILL, as a power cut or the OOM killer would. The
// server's database is SQLite, or with SIPAS_TEST_STORE=postgresql a fresh PostgreSQL database
// (test::TestDatabase): ctest runs the suite both ways (the pg/ copies).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sipas/config.hpp"
#include "sipas/crypto.hpp"
#include "sipas/store.hpp"
#include "sipas/sync/curl_transport.hpp"
#include "test_database.hpp"

extern char** environ;

namespace sipas {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Deadline = std::chrono::steady_clock::time_point;

Deadline in(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }
bool before(Deadline d) { return std::chrono::steady_clock::now() < d; }

fs::path scratch_root() {
  // tmpfs when there is one: the test is about what arrives, not about fsync latency.
  std::error_code ec;
  if (fs::is_directory("/dev/shm", ec) && access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return fs::temp_directory_path();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (scratch_root() / "sipas-sync-e2e-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A child process with stdin from /dev/null (or a file), stdout and stderr to files.
class Process {
 public:
  Process(std::vector<std::string> args, const fs::path& out, const fs::path& err,
          const std::optional<fs::path>& stdin_file = std::nullopt)
      : out_(out), err_(err) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0,
                                     stdin_file ? stdin_file->c_str() : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      ADD_FAILURE() << "cannot start " << args[0] << ": " << std::strerror(rc);
      pid_ = -1;
    }
  }
  ~Process() {
    if (running()) kill(SIGKILL);
    if (pid_ > 0 && !status_) wait(10s);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  bool running() {
    if (pid_ <= 0 || status_) return false;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = st;
      return false;
    }
    return true;
  }
  void kill(int sig) {
    if (pid_ > 0 && !status_) ::kill(pid_, sig);
  }
  // The exit code; -signal when killed; nullopt when still running at the deadline.
  std::optional<int> wait(std::chrono::milliseconds limit) {
    Deadline d = in(limit);
    while (running() && before(d)) std::this_thread::sleep_for(10ms);
    if (!status_) return std::nullopt;
    if (WIFEXITED(*status_)) return WEXITSTATUS(*status_);
    return -WTERMSIG(*status_);
  }
  std::string out() const { return slurp(out_); }
  std::string err() const { return slurp(err_); }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  fs::path out_, err_;
};

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Read-only queries on a database another process may be writing (WAL).
class Db {
 public:
  explicit Db(const fs::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path;
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  std::int64_t scalar(const std::string& sql) {
    std::int64_t v = -1;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      v = sqlite3_column_int64(st, 0);
    } else {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_finalize(st);
    return v;
  }
  std::set<std::string> strings(const std::string& sql) {
    std::set<std::string> out;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
      out.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
    sqlite3_finalize(st);
    return out;
  }
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (err ? err : "?");
    }
    sqlite3_free(err);
  }

 private:
  sqlite3* db_ = nullptr;
};

const fs::path kConfigSource = fs::path(SIPAS_SOURCE_DIR) / "kiosk-config";

// The sample config's files, hashed: a cached kiosk database is reused only for the same config.
std::string config_fingerprint() {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(kConfigSource)) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::string all;
  for (const auto& f : files) all += f.string() + "\n" + slurp(f) + "\n";
  return sha256_hex(all).substr(0, 16);
}

// A kiosk database of `count` plausible responses for the sample config's active survey. Made
// once (cached in the build tree under a name that carries the config's fingerprint, written to a
// temporary name and renamed so that parallel test processes never see half a file) and copied
// for each test.
fs::path kiosk_db_template(int count) {
  fs::path cache = SIPAS_E2E_CACHE_DIR;
  fs::path path = cache / ("kiosk-" + std::to_string(count) + "-" + config_fingerprint() + ".db");
  std::error_code ec;
  if (fs::exists(path, ec)) return path;
  fs::create_directories(cache, ec);
  auto loaded = load_kiosk_config(kConfigSource);
  EXPECT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  if (!loaded.is_ok()) return {};
  const KioskConfig& config = loaded->config;
  const Survey& survey = config.survey();
  fs::path partial = path.string() + "." + std::to_string(getpid()) + ".tmp";
  {
    auto store = ResponseStore::open(partial.string());
    EXPECT_TRUE(store.is_ok()) << store.status().to_string();
    if (!store.is_ok()) return {};
    TimePoint t0 = TimePoint(std::chrono::milliseconds(1'790'000'000'000LL));
    for (int i = 0; i < count; ++i) {
      ResponseDraft d;
      d.survey_id = survey.id;
      d.survey_version = survey.version;
      d.unit = config.unit.code;
      d.counter = config.counter;
      d.language = i % 5 == 0 ? "en" : "vi";
      d.started_at = t0 + std::chrono::minutes(3 * i);
      d.submitted_at = d.started_at + std::chrono::seconds(20 + i % 30);
      int k = 0;
      for (const Criterion* c : survey.questions()) {
        const auto& options = survey.options_for(*c);
        d.answers.push_back({c->id, options[(i * 7 + k++ * 3) % options.size()].value});
      }
      if (i % 11 == 0) d.comment = "Hướng dẫn rõ ràng, lần " + std::to_string(i);
      auto r = (*store)->append(d);
      EXPECT_TRUE(r.is_ok()) << r.status().to_string();
      if (!r.is_ok()) return {};
    }
  }
  // Closing the last connection checkpointed the WAL: the main file holds everything.
  fs::rename(partial, path, ec);
  EXPECT_FALSE(ec) << "cannot rename " << partial << ": " << ec.message();
  return path;
}

struct SyncRun {
  std::optional<int> exit;
  std::string out, err;
};

class SyncE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = load_kiosk_config(kConfigSource);
    ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
    kiosk_id_ = loaded->config.kiosk_id;
    unit_ = loaded->config.unit.code;
    fs::copy(kConfigSource, dir_ / "config", fs::copy_options::recursive);
    server_store_ = std::make_unique<test::TestDatabase>(dir_.path());
    server_db_ = server_store_->db();
    ASSERT_FALSE(server_db_.empty());
    port_ = free_port();

    ASSERT_EQ(cli({"unit", "add", "--db", server_db_, "--code", unit_, "--name",
                   "Trung tâm Phục vụ hành chính công"}),
              0);
    std::string token;
    ASSERT_EQ(cli({"kiosk", "add", "--db", server_db_, "--kiosk-id", kiosk_id_,
                   "--unit", unit_},
                  &token),
              0);
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
      token.pop_back();
    }
    ASSERT_FALSE(token.empty());
    token_file_ = dir_ / "config" / "kiosk.token";
    std::ofstream(token_file_) << token << "\n";
    fs::permissions(token_file_, fs::perms::owner_read | fs::perms::owner_write);
  }

  void TearDown() override {
    if (server_) {
      server_->kill(SIGTERM);
      server_->wait(20s);
    }
  }

  int cli(std::vector<std::string> args, std::string* out = nullptr,
          const std::optional<fs::path>& input = std::nullopt) {
    args.insert(args.begin(), SIPAS_SERVER_BIN);
    Process p(args, dir_ / "cli.out", dir_ / "cli.err", input);
    auto code = p.wait(30s);
    if (out) *out = p.out();
    if (code != 0) ADD_FAILURE() << "sipas-server " << args[1] << ": " << p.err();
    return code.value_or(-1);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void start_server() { server_ = serve(port_, "server"); }

  // A sipas-server on `port` over this test's database, answering /healthz; `name` names its
  // output files.
  std::unique_ptr<Process> serve(int port, const std::string& name,
                                 const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{SIPAS_SERVER_BIN, "serve", "--db", server_db_,
                                  "--listen", "127.0.0.1:" + std::to_string(port), "--surveys",
                                  (dir_ / "config" / "surveys").string(), "--rate-limit", "0",
                                  "--access-log", (dir_ / (name + ".access.log")).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<Process>(args, dir_ / (name + ".out"), dir_ / (name + ".err"));
    wait_healthy(*server, port);
    return server;
  }

  void wait_healthy(Process& server, int port) {
    CurlOptions o;
    o.connect_timeout = 1s;
    o.total_timeout = 2s;
    auto t = CurlTransport::create(o);
    ASSERT_TRUE(t.is_ok());
    HttpRequest health;
    health.method = "GET";
    health.url = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
    for (Deadline d = in(20s); before(d); std::this_thread::sleep_for(20ms)) {
      auto r = (*t)->send(health);
      if (r.is_ok() && r->status == 200) return;
      ASSERT_TRUE(server.running()) << "sipas-server exited: " << server.err();
    }
    FAIL() << "sipas-server did not answer /healthz: " << server.err();
  }

  fs::path kiosk_db(int count) {
    fs::path src = kiosk_db_template(count);
    fs::path dst = dir_ / "kiosk.db";
    fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
    return dst;
  }

  std::vector<std::string> sync_args(const fs::path& db, int batch_size) {
    return sync_args(db, batch_size, url());
  }
  std::vector<std::string> sync_args(const fs::path& db, int batch_size, const std::string& server) {
    return {SIPAS_SYNC_BIN,  "--config",     (dir_ / "config").string(),
            "--db",          db.string(),    "--server",
            server,          "--batch-size", std::to_string(batch_size),
            "--once"};
  }

  SyncRun run_sync(const fs::path& db, int batch_size) {
    Process p(sync_args(db, batch_size), dir_ / "sync.out", dir_ / "sync.err");
    SyncRun r;
    r.exit = p.wait(90s);
    r.out = p.out();
    r.err = p.err();
    return r;
  }

  // Every kiosk response is on the server exactly once, and the kiosk has settled all of them.
  void expect_exactly_once(const fs::path& kiosk_db, std::int64_t count) {
    Db kiosk(kiosk_db);
    EXPECT_EQ(kiosk.scalar("SELECT COUNT(*) FROM responses WHERE state = 'sent'"), count);
    EXPECT_EQ(kiosk.scalar("SELECT COUNT(*) FROM responses WHERE state <> 'sent'"), 0);
    EXPECT_EQ(server_scalar("SELECT COUNT(*) FROM responses"), count);
    EXPECT_EQ(server_scalar("SELECT COUNT(DISTINCT id) FROM responses"), count);
    EXPECT_EQ(server_scalar("SELECT COUNT(DISTINCT seq) FROM responses"), count);
    EXPECT_EQ(server_scalar("SELECT COUNT(*) FROM quarantine"), 0);
    const auto ids = server_store_->rows("SELECT id FROM responses");
    EXPECT_TRUE(kiosk.strings("SELECT id FROM responses") == std::set<std::string>(ids.begin(), ids.end()))
        << "the server's ids differ from the kiosk's";
  }

  std::int64_t server_scalar(const std::string& sql) {
    const std::string v = server_store_->query(sql);
    return !v.empty() && std::isdigit(static_cast<unsigned char>(v[0])) ? std::stoll(v) : -1;
  }
  std::int64_t server_count() { return server_scalar("SELECT COUNT(*) FROM responses"); }

  TempDir dir_;
  std::string kiosk_id_, unit_;
  std::unique_ptr<test::TestDatabase> server_store_;
  std::string server_db_;
  fs::path token_file_;
  int port_ = 0;
  std::unique_ptr<Process> server_;
};

// sipas-sync --once also fetches the kiosk's configuration bundle, verifies it with the server's
// public key and keeps it for the kiosk (issue 13); asked again, the server answers 304.
TEST_F(SyncE2eTest, OnceFetchesTheSignedConfigurationAndAsksAgainWithItsVersion) {
  ASSERT_EQ(cli({"keygen", "--private", (dir_ / "sign.pem").string(), "--public",
                 (dir_ / "config" / "server.pub").string()}),
            0);
  auto kiosk_json = nlohmann::json::parse(slurp(dir_ / "config" / "kiosk.json"));
  kiosk_json["server"]["config_public_key"] = "server.pub";
  std::ofstream(dir_ / "config" / "kiosk.json") << kiosk_json.dump(2);
  std::ofstream(dir_ / "bundle.json") << R"({"settings": {"thanks_seconds": 7}})";
  std::string out;
  ASSERT_EQ(cli({"config", "set", "--db", server_db_, "--unit", unit_, "--file",
                 (dir_ / "bundle.json").string()},
                &out),
            0);
  server_ = serve(port_, "server", {"--signing-key", (dir_ / "sign.pem").string()});
  fs::path db = kiosk_db(10);

  SyncRun run = run_sync(db, 500);
  ASSERT_EQ(run.exit, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("sent 10, duplicates 0, rejected 0, pending left 0\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("configuration version "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(" received"), std::string::npos) << run.out << run.err;
  {
    auto store = ResponseStore::open(db.string());
    ASSERT_TRUE(store.is_ok());
    auto kept = (*store)->setting("config.bundle");
    ASSERT_TRUE(kept.is_ok());
    ASSERT_TRUE(kept->has_value());
    EXPECT_NE((*kept)->find("thanks_seconds"), std::string::npos);
  }
  run = run_sync(db, 500);
  ASSERT_EQ(run.exit, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(" is current"), std::string::npos) << run.out << run.err;
  EXPECT_NE(slurp(dir_ / "server.access.log").find("GET /api/v1/config 304"), std::string::npos);
}

TEST_F(SyncE2eTest, TenThousandResponsesArriveExactlyOnce) {
  fs::path db = kiosk_db(10000);
  start_server();

  SyncRun run = run_sync(db, 500);

  ASSERT_EQ(run.exit, 0) << run.out << run.err;
  EXPECT_EQ(run.out, "sent 10000, duplicates 0, rejected 0, pending left 0\n") << run.err;
  expect_exactly_once(db, 10000);
}

TEST_F(SyncE2eTest, ServerKilledMidUploadAndRestartedLosesAndDuplicatesNothing) {
  fs::path db = kiosk_db(10000);
  start_server();
  Process sync(sync_args(db, 100), dir_ / "sync1.out", dir_ / "sync1.err");
  std::int64_t seen = 0;
  for (Deadline d = in(60s); before(d) && seen == 0; std::this_thread::sleep_for(5ms)) {
    seen = server_count();
  }
  ASSERT_GT(seen, 0) << "no batch reached the server";
  server_->kill(SIGKILL);
  server_->wait(10s);
  auto first = sync.wait(60s);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, 1) << "the upload should have been cut short: " << sync.out();
  EXPECT_NE(sync.err().find("server unreachable"), std::string::npos) << sync.err();
  EXPECT_LT(server_count(), 10000);

  start_server();
  SyncRun second = run_sync(db, 100);

  ASSERT_EQ(second.exit, 0) << second.out << second.err;
  expect_exactly_once(db, 10000);
}

TEST_F(SyncE2eTest, UploaderKilledMidUploadAndRestartedLosesAndDuplicatesNothing) {
  fs::path db = kiosk_db(10000);
  start_server();
  Process sync(sync_args(db, 100), dir_ / "sync1.out", dir_ / "sync1.err");
  std::int64_t seen = 0;
  for (Deadline d = in(60s); before(d) && seen < 500; std::this_thread::sleep_for(2ms)) {
    seen = server_count();
  }
  ASSERT_GE(seen, 500);
  sync.kill(SIGKILL);
  ASSERT_EQ(sync.wait(10s), -SIGKILL);
  std::int64_t before_restart = server_count();
  EXPECT_LT(before_restart, 10000) << "the uploader finished before it could be killed";

  SyncRun second = run_sync(db, 100);

  ASSERT_EQ(second.exit, 0) << second.out << second.err;
  expect_exactly_once(db, 10000);
}

TEST_F(SyncE2eTest, ReplayedBatchIsAllDuplicates) {
  fs::path db = kiosk_db(300);
  start_server();
  ASSERT_EQ(run_sync(db, 100).exit, 0);
  {
    // As if the kiosk had lost the server's acknowledgement of its first 100 responses.
    Db kiosk(db);
    kiosk.exec("UPDATE responses SET state = 'pending' WHERE seq <= 100");
  }

  SyncRun replay = run_sync(db, 100);

  ASSERT_EQ(replay.exit, 0) << replay.out << replay.err;
  EXPECT_EQ(replay.out, "sent 0, duplicates 100, rejected 0, pending left 0\n");
  expect_exactly_once(db, 300);
}

TEST_F(SyncE2eTest, ResponseDeletedOnTheKioskShowsAsAGapFinding) {
  fs::path db = kiosk_db(300);
  {
    Db kiosk(db);
    kiosk.exec("DELETE FROM answers WHERE response_seq = 120; "
               "DELETE FROM reasons WHERE response_seq = 120; "
               "DELETE FROM responses WHERE seq = 120;");
  }
  fs::path password = dir_ / "password.txt";
  std::ofstream(password) << "correct horse battery\n";
  ASSERT_EQ(cli({"user", "add", "--db", server_db_, "--user", "auditor"}, nullptr,
                password),
            0);
  start_server();

  SyncRun run = run_sync(db, 100);

  ASSERT_EQ(run.exit, 0) << run.out << run.err;
  EXPECT_EQ(server_count(), 299);
  auto t = CurlTransport::create({});
  ASSERT_TRUE(t.is_ok());
  HttpRequest request;
  request.method = "GET";
  request.url = url() + "/api/v1/kiosks";
  // base64("auditor:correct horse battery")
  request.headers = {{"Authorization", "Basic YXVkaXRvcjpjb3JyZWN0IGhvcnNlIGJhdHRlcnk="}};
  auto reply = (*t)->send(request);
  ASSERT_TRUE(reply.is_ok()) << reply.status().to_string();
  ASSERT_EQ(reply->status, 200) << reply->body;
  auto j = nlohmann::json::parse(reply->body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << reply->body;
  bool found = false;
  for (const auto& k : j["kiosks"]) {
    if (k.value("kiosk_id", "") != kiosk_id_) continue;
    EXPECT_EQ(k.value("last_seq", 0), 300);
    for (const auto& f : k["findings"]) {
      if (f.value("kind", "") == "gap" && f.dump().find("120") != std::string::npos) found = true;
    }
  }
  EXPECT_TRUE(found) << "no gap finding at seq 120 in " << reply->body;
}

TEST_F(SyncE2eTest, DaemonUploadsThenStopsCleanlyOnSigterm) {
  fs::path db = kiosk_db(300);
  start_server();
  std::vector<std::string> args = sync_args(db, 100);
  args.pop_back();  // no --once: run until stopped
  Process daemon(args, dir_ / "daemon.out", dir_ / "daemon.err");
  std::int64_t left = -1;
  for (Deadline d = in(60s); before(d) && left != 0; std::this_thread::sleep_for(20ms)) {
    Db kiosk(db);
    left = kiosk.scalar("SELECT COUNT(*) FROM responses WHERE state = 'pending'");
  }
  EXPECT_EQ(left, 0);

  daemon.kill(SIGTERM);

  EXPECT_EQ(daemon.wait(20s), 0) << daemon.err();
  EXPECT_NE(daemon.out().find("stopped; pending left 0"), std::string::npos) << daemon.out();
  expect_exactly_once(db, 300);
}

TEST_F(SyncE2eTest, WrongTokenExitsNonZeroWithAClearErrorAndKeepsEverythingPending) {
  fs::path db = kiosk_db(300);
  start_server();
  std::ofstream(token_file_, std::ios::trunc) << random_token() << "\n";

  SyncRun run = run_sync(db, 100);

  EXPECT_EQ(run.exit, 1);
  EXPECT_NE(run.err.find("HTTP 401"), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "sent 0, duplicates 0, rejected 0, pending left 300\n");
  EXPECT_EQ(server_count(), 0);
}

// Two servers on one database, as behind a load balancer, and one kiosk's batches reaching both
// at once: two uploaders over the same kiosk database, one to each server, send the same pending
// batches at the same moments (as a kiosk that retried through the balancer while its first try
// was still being stored). Every response is stored once, the kiosk settles every one, and the
// chain shows no finding, as with one server.
TEST_F(SyncE2eTest, TwoServersOnOneDatabaseStoreEachResponseOnceWhenBatchesReachBoth) {
  fs::path db = kiosk_db(3000);
  start_server();
  const int port2 = free_port();
  auto second = serve(port2, "server2");
  const std::string url2 = "http://127.0.0.1:" + std::to_string(port2);
  Process a(sync_args(db, 50), dir_ / "a.out", dir_ / "a.err");
  Process b(sync_args(db, 50, url2), dir_ / "b.out", dir_ / "b.err");
  const auto ra = a.wait(120s), rb = b.wait(120s);

  ASSERT_EQ(ra, 0) << a.out() << a.err();
  ASSERT_EQ(rb, 0) << b.out() << b.err();
  expect_exactly_once(db, 3000);
  EXPECT_EQ(server_scalar("SELECT COUNT(*) FROM findings"), 0)
      << "findings: " << ::testing::PrintToString(server_store_->rows("SELECT kind FROM findings"));
  // What the uploaders were told: every response accepted by exactly one of the two servers, and
  // some batches reached both (else the servers never raced).
  long sent_a = -1, dup_a = -1, sent_b = -1, dup_b = -1;
  ASSERT_EQ(std::sscanf(a.out().c_str(), "sent %ld, duplicates %ld", &sent_a, &dup_a), 2) << a.out();
  ASSERT_EQ(std::sscanf(b.out().c_str(), "sent %ld, duplicates %ld", &sent_b, &dup_b), 2) << b.out();
  EXPECT_EQ(sent_a + sent_b, 3000) << a.out() << b.out();
  EXPECT_GT(dup_a + dup_b, 0) << "no batch reached both servers: " << a.out() << b.out();
  second->kill(SIGTERM);
  second->wait(20s);
}

}  // namespace
}  // namespace sipas

namespace sipas {
namespace {

// Issue 13: a kiosk whose upload stops part-way (the server's rate limit refuses its third batch)
// and a silent kiosk that sent one heartbeat long ago, as GET /api/v1/kiosks shows them with the
// thresholds given to `serve`. The silent kiosk's last contact is moved back in the server's
// database: that is the time passing, which a real server cannot be asked to fake.
TEST_F(SyncE2eTest, FleetApiShowsBacklogVersionsAndOfflineStateFromHeartbeats) {
  const std::string silent = "22.PVHCC.K02";
  std::string token;
  ASSERT_EQ(cli({"kiosk", "add", "--db", server_db_, "--kiosk-id", silent, "--unit", unit_},
                &token),
            0);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  fs::copy(dir_ / "config", dir_ / "config-b", fs::copy_options::recursive);
  {
    auto j = nlohmann::json::parse(slurp(dir_ / "config-b" / "kiosk.json"));
    j["kiosk_id"] = silent;
    std::ofstream(dir_ / "config-b" / "kiosk.json") << j.dump(2);
    std::ofstream(dir_ / "config-b" / "kiosk.token") << token << "\n";
    fs::permissions(dir_ / "config-b" / "kiosk.token",
                    fs::perms::owner_read | fs::perms::owner_write);
    ASSERT_TRUE(ResponseStore::open((dir_ / "silent.db").string()).is_ok());
  }
  fs::path password = dir_ / "password.txt";
  std::ofstream(password) << "correct horse battery\n";
  ASSERT_EQ(cli({"user", "add", "--db", server_db_, "--user", "auditor"}, nullptr, password), 0);
  server_ = std::make_unique<Process>(
      std::vector<std::string>{SIPAS_SERVER_BIN, "serve", "--db", server_db_, "--listen",
                               "127.0.0.1:" + std::to_string(port_), "--surveys",
                               (dir_ / "config" / "surveys").string(), "--rate-limit", "0.001",
                               "--rate-burst", "2", "--kiosk-late-after", "5",
                               "--kiosk-offline-after", "30"},
      dir_ / "server.out", dir_ / "server.err");
  wait_healthy(*server_, port_);

  // The kiosk with a backlog: 300 responses in batches of 100; the third batch gets 429.
  fs::path db = kiosk_db(300);
  std::vector<std::string> args = sync_args(db, 100);
  args.insert(args.end() - 1, {"--attempts", "1"});
  Process busy(args, dir_ / "busy.out", dir_ / "busy.err");
  ASSERT_EQ(busy.wait(60s), 1) << busy.out() << busy.err();
  EXPECT_EQ(server_count(), 200);
  // The silent kiosk reports in once, with nothing pending.
  Process beat({SIPAS_SYNC_BIN, "--config", (dir_ / "config-b").string(), "--db",
                (dir_ / "silent.db").string(), "--server", url(), "--once"},
               dir_ / "beat.out", dir_ / "beat.err");
  ASSERT_EQ(beat.wait(60s), 0) << beat.out() << beat.err();

  auto fleet = [&] {
    auto t = CurlTransport::create({});
    EXPECT_TRUE(t.is_ok());
    HttpRequest request;
    request.method = "GET";
    request.url = url() + "/api/v1/kiosks";
    request.headers = {{"Authorization", "Basic YXVkaXRvcjpjb3JyZWN0IGhvcnNlIGJhdHRlcnk="}};
    auto reply = (*t)->send(request);
    EXPECT_TRUE(reply.is_ok() && reply->status == 200)
        << (reply.is_ok() ? reply->body : reply.status().to_string());
    std::map<std::string, nlohmann::json> by_id;
    if (!reply.is_ok()) return by_id;
    const auto body = nlohmann::json::parse(reply->body, nullptr, false);
    for (const auto& k : body["kiosks"]) {
      by_id[k["kiosk_id"].get<std::string>()] = k;
    }
    return by_id;
  };
  auto kiosks = fleet();
  ASSERT_EQ(kiosks.count(kiosk_id_), 1u) << kiosks.size();
  ASSERT_EQ(kiosks.count(silent), 1u);
  const auto& a = kiosks[kiosk_id_];
  EXPECT_EQ(a["state"], "online");
  EXPECT_EQ(a["backlog"]["pending"], 100) << a.dump();
  Db kiosk(db);
  const auto oldest_ms = kiosk.scalar("SELECT submitted_at FROM responses WHERE seq = 201");
  EXPECT_EQ(a["backlog"]["oldest_pending_at"],
            format_rfc3339(TimePoint(std::chrono::milliseconds(oldest_ms))));
  EXPECT_GT(a["backlog"]["age_seconds"].get<std::int64_t>(), 0);
  EXPECT_EQ(a["software_version"], SIPAS_VERSION);
  EXPECT_EQ(a["software_outdated"], false);
  EXPECT_TRUE(a["config_version"].is_null());
  EXPECT_LT(std::abs(a["clock_skew_seconds"].get<double>()), 60.0);
  EXPECT_GT(a["health"]["disk_free_bytes"].get<std::int64_t>(), 0);
  EXPECT_EQ(kiosks[silent]["state"], "online");
  EXPECT_EQ(kiosks[silent]["backlog"]["pending"], 0);

  // 45 minutes of silence: past the 30-minute offline threshold.
  const std::string long_ago = format_rfc3339(SystemClock().now() - std::chrono::minutes(45));
  server_store_->exec("UPDATE kiosks SET last_contact = '" + long_ago + "' WHERE kiosk_id = '" +
                      silent + "'");
  kiosks = fleet();
  EXPECT_EQ(kiosks[silent]["state"], "offline");
  EXPECT_EQ(kiosks[silent]["last_contact"], long_ago);
  EXPECT_EQ(kiosks[kiosk_id_]["state"], "online");
}

}  // namespace
}  // namespace sipas
