#include <gtest/gtest.h>

#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "server_test_support.hpp"
#include "sipas/server/cli.hpp"
#include "socket_support.hpp"
#include "tls_support.hpp"

namespace sipas::test {
namespace {

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  CliRun run(std::vector<std::string> args, const std::string& input = "") {
    std::istringstream in(input);
    std::ostringstream out, err;
    CliRun r;
    r.status = run_cli(args, in, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }
  std::string db() const { return db_.db(); }
  void add_units() {
    ASSERT_EQ(run({"unit", "add", "--db", db(), "--code", "22", "--name", "Tỉnh Quảng Ninh"}).status, 0);
    ASSERT_EQ(run({"unit", "add", "--db", db(), "--code", "22.PVHCC", "--name", "Trung tâm PVHCC",
                   "--parent", "22"})
                  .status,
              0);
  }
  TempDir dir_;
  TestDatabase db_{dir_.path()};
};

TEST_F(CliTest, KioskAddPrintsATokenThatAuthenticates) {
  add_units();
  auto r = run({"kiosk", "add", "--db", db(), "--kiosk-id", "22.PVHCC.K01", "--unit", "22.PVHCC"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  std::string token = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(token.size(), 64u);
  auto store = ServerStore::open(db());
  ASSERT_TRUE(store.is_ok());
  auto kiosk = authenticate_kiosk(**store, "Bearer " + token);
  ASSERT_TRUE(kiosk.is_ok()) << kiosk.status().message();
  EXPECT_EQ(kiosk->kiosk_id, "22.PVHCC.K01");
  EXPECT_EQ(kiosk->unit, "22.PVHCC");
}

TEST_F(CliTest, TokenIsStoredOnlyAsAHash) {
  add_units();
  auto r = run({"kiosk", "add", "--db", db(), "--kiosk-id", "K1", "--unit", "22"});
  ASSERT_EQ(r.status, 0);
  std::string token = r.out.substr(0, r.out.find('\n'));
  if (TestDatabase::postgresql()) {
    // Every column of every row of the database, as text.
    const std::string rows = db_.query(
        "SELECT string_agg(t::text, ' ') FROM (SELECT k::text AS t FROM kiosks k "
        "UNION ALL SELECT u::text FROM units u) x");
    EXPECT_EQ(rows.find(token), std::string::npos);
    EXPECT_NE(rows.find(token_hash(token)), std::string::npos);
    return;
  }
  std::ifstream file(db(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::ifstream wal(db() + "-wal", std::ios::binary);
  bytes.append((std::istreambuf_iterator<char>(wal)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find(token), std::string::npos);
  EXPECT_NE(bytes.find(token_hash(token)), std::string::npos);
}

TEST_F(CliTest, KioskAddWithUnknownUnitFails) {
  add_units();
  auto r = run({"kiosk", "add", "--db", db(), "--kiosk-id", "K1", "--unit", "99.NOWHERE"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("unknown unit 99.NOWHERE"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST_F(CliTest, KioskListAndRevoke) {
  add_units();
  ASSERT_EQ(run({"kiosk", "add", "--db", db(), "--kiosk-id", "K1", "--unit", "22"}).status, 0);
  ASSERT_EQ(run({"kiosk", "revoke", "--db", db(), "--kiosk-id", "K1"}).status, 0);
  auto list = run({"kiosk", "list", "--db", db()});
  ASSERT_EQ(list.status, 0);
  EXPECT_NE(list.out.find("K1\t22\trevoked"), std::string::npos) << list.out;
  EXPECT_EQ(run({"kiosk", "revoke", "--db", db(), "--kiosk-id", "K9"}).status, 1);
}

TEST_F(CliTest, UserAddReadsThePasswordFromStdin) {
  add_units();
  auto r = run({"user", "add", "--db", db(), "--user", "pvhcc", "--unit", "22.PVHCC"},
               "mật khẩu dài\n");
  ASSERT_EQ(r.status, 0) << r.err;
  auto store = ServerStore::open(db());
  ASSERT_TRUE(store.is_ok());
  auto who = authenticate_user(**store, "Basic " + base64_encode("pvhcc:mật khẩu dài"));
  ASSERT_TRUE(who.is_ok()) << who.status().message();
  EXPECT_EQ(who->unit, "22.PVHCC");
  EXPECT_FALSE(authenticate_user(**store, "Basic " + base64_encode("pvhcc:mật khẩu")).is_ok());
  auto user = (*store)->user("pvhcc");
  ASSERT_TRUE(user.is_ok() && *user);
  EXPECT_EQ((*user)->password_hash.find("mật"), std::string::npos);
}

TEST_F(CliTest, MigrateNeedsFromAndToAndNoDb) {
  auto r = run({"migrate", "--from", "province.db"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--to is required"), std::string::npos) << r.err;
  r = run({"migrate", "--from", "a.db", "--to", "postgresql:///x", "--db", "b.db"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("not --db"), std::string::npos) << r.err;
  r = run({"migrate", "--from", "a.db", "--to", "b.db"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--to must be a PostgreSQL connection string"), std::string::npos) << r.err;
}

TEST_F(CliTest, UserAddRefusesAShortPassword) {
  auto r = run({"user", "add", "--db", db(), "--user", "admin"}, "short\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("at least 8"), std::string::npos);
}

TEST_F(CliTest, UnitImportReadsCsvWithParentsInAnyOrder) {
  std::ofstream(dir_.path() / "units.csv")
      << "code,name,parent\n"
      << "22.PVHCC.Q1,\"Quầy 1, Đất đai\",22.PVHCC\n"
      << "22.PVHCC,Trung tâm PVHCC,22\n"
      << "22,Tỉnh Quảng Ninh,\n";
  auto r = run({"unit", "import", "--db", db(), "--file", (dir_.path() / "units.csv").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  auto list = run({"unit", "list", "--db", db()});
  EXPECT_NE(list.out.find("22.PVHCC.Q1\t22.PVHCC\tAsia/Ho_Chi_Minh\tQuầy 1, Đất đai"),
            std::string::npos)
      << list.out;
  auto store = ServerStore::open(db());
  auto below = (*store)->unit_subtree("22");
  ASSERT_TRUE(below.is_ok());
  EXPECT_EQ(below->size(), 3u);
}

TEST_F(CliTest, UnitImportReadsJson) {
  std::ofstream(dir_.path() / "units.json")
      << R"({"units": [{"code": "22", "name": "Tỉnh"},
                       {"code": "22.A", "name": "Sở A", "parent": "22", "time_zone": "UTC+07:00"}]})";
  auto r = run({"unit", "import", "--db", db(), "--file", (dir_.path() / "units.json").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("2 units"), std::string::npos);
}

TEST_F(CliTest, UnitImportWithUnknownParentChangesNothing) {
  std::ofstream(dir_.path() / "units.csv") << "code,name,parent\n22,Tỉnh,\n22.X,X,99\n";
  auto r = run({"unit", "import", "--db", db(), "--file", (dir_.path() / "units.csv").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown parent 99"), std::string::npos) << r.err;
  EXPECT_EQ(run({"unit", "list", "--db", db()}).out, "");
}

TEST_F(CliTest, UnitImportRefusesACycle) {
  add_units();
  std::ofstream(dir_.path() / "units.csv") << "code,name,parent\n22,Tỉnh,22.PVHCC\n";
  auto r = run({"unit", "import", "--db", db(), "--file", (dir_.path() / "units.csv").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cycle"), std::string::npos) << r.err;
}

TEST_F(CliTest, SurveyImportStoresTheQuestionnaire) {
  auto r = run({"survey", "import", "--db", db(), "--file",
                std::string(SIPAS_SOURCE_DIR) + "/kiosk-config/surveys/mau01.json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto store = ServerStore::open(db());
  auto catalog = load_catalog(**store);
  ASSERT_TRUE(catalog.is_ok()) << catalog.status().message();
  ASSERT_NE(catalog->find("mau01", 1), nullptr);
  EXPECT_EQ(catalog->find("mau01", 1)->questions().size(), 9u);
  auto list = run({"survey", "list", "--db", db()});
  ASSERT_EQ(list.status, 0);
  EXPECT_EQ(list.out.rfind("mau01\t1\tpoints\t9 questions\t", 0), 0u) << list.out;
}

TEST_F(CliTest, ProcedureLoadUpsertsAndListShowsTheCatalogue) {
  std::string file = (dir_.path() / "procedures.json").string();
  {
    std::ofstream out(file);
    out << R"({"procedures": [
      {"code": "1.001193", "name": {"vi": "Đăng ký khai sinh", "en": "Birth registration"}},
      {"code": "1.000894", "name": {"vi": "Đăng ký kết hôn"}}]})";
  }
  auto load = run({"procedure", "load", "--db", db(), "--file", file});
  ASSERT_EQ(load.status, 0) << load.err;
  EXPECT_EQ(load.out, "2 procedures loaded\n");
  {
    std::ofstream out(file);
    out << R"({"procedures": [{"code": "1.000894", "name": {"vi": "Đăng ký kết hôn", "en": "Marriage registration"}}]})";
  }
  ASSERT_EQ(run({"procedure", "load", "--db", db(), "--file", file}).status, 0);
  auto list = run({"procedure", "list", "--db", db()});
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_EQ(list.out,
            "1.000894\tĐăng ký kết hôn\tMarriage registration\n"
            "1.001193\tĐăng ký khai sinh\tBirth registration\n");
}

TEST_F(CliTest, ProcedureLoadErrorNamesFileAndPathAndChangesNothing) {
  std::string file = (dir_.path() / "procedures.json").string();
  {
    std::ofstream out(file);
    out << R"({"procedures": [{"code": "1.001193", "name": {"vi": "Đăng ký khai sinh"}},
                             {"code": "1.000894", "name": {"en": "Marriage registration"}}]})";
  }
  auto r = run({"procedure", "load", "--db", db(), "--file", file});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "sipas-server procedure load: " + file + ": procedures[1].name.vi: missing\n");
  auto list = run({"procedure", "list", "--db", db()});
  ASSERT_EQ(list.status, 0);
  EXPECT_EQ(list.out, "");
  auto missing = run({"procedure", "load", "--db", db(), "--file", file + ".nope"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
  EXPECT_NE(missing.err.find(file + ".nope"), std::string::npos);
}

// The server reads the catalogue with the kiosk's loader: the shipped file loads as it is, and
// a key the loader does not know is a warning, not an error.
TEST_F(CliTest, ProcedureLoadTakesTheShippedKioskCatalogue) {
  std::string file = std::string(SIPAS_SOURCE_DIR) + "/kiosk-config/procedures.json";
  auto load = run({"procedure", "load", "--db", db(), "--file", file});
  ASSERT_EQ(load.status, 0) << load.err;
  EXPECT_EQ(load.err, "");
  auto list = run({"procedure", "list", "--db", db()});
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_EQ(load.out, std::to_string(std::count(list.out.begin(), list.out.end(), '\n')) +
                          " procedures loaded\n");
  EXPECT_NE(list.out.find("\tĐăng ký khai sinh\tBirth registration\n"), std::string::npos)
      << list.out;
}

TEST_F(CliTest, ProcedureLoadWarnsAboutUnknownKeys) {
  std::string file = (dir_.path() / "procedures.json").string();
  {
    std::ofstream out(file);
    out << R"({"procedures": [{"code": "1.001193", "name": {"vi": "Đăng ký khai sinh"}, "fee": 0}]})";
  }
  auto load = run({"procedure", "load", "--db", db(), "--file", file});
  ASSERT_EQ(load.status, 0) << load.err;
  EXPECT_EQ(load.out, "1 procedure loaded\n");
  EXPECT_EQ(load.err.rfind("sipas-server procedure load: warning: " + file, 0), 0u) << load.err;
  EXPECT_NE(load.err.find("fee"), std::string::npos) << load.err;
}

// A usage error is caught before anything is opened: no database file appears.
TEST_F(CliTest, UsageErrorsExitWith2AndOneLineAndCreateNoDatabase) {
  const std::string x = (dir_.path() / "x.db").string();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"kiosk", "add", "--db", x, "--kiosk-id", "K1"},
           {"kiosk", "add", "--db", x, "--kiosk-id", "K1", "--unit", "U", "--bogus", "1"},
           {"serve", "--db", x, "--listen", "nonsense"},
           {"serve", "--db", x, "--listen", "127.0.0.1:0", "--threads", "0"},
           {"serve", "--db", x, "--listen", "127.0.0.1:0", "--header-timeout", "0"},
           {"serve", "--db", x, "--listen", "127.0.0.1:0", "--max-connections", "none"},
           {"serve", "--db", x, "--listen", "127.0.0.1:0", "--tls-cert", "cert.pem"},
           {"procedure", "load", "--db", x},
           {"procedure", "list", "--db", x, "--file", "p.json"}}) {
    auto r = run(args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(x)) << "created by: " << (args.empty() ? "" : args[0]);
  }
}

TEST_F(CliTest, HelpAndVersion) {
  auto help = run({"--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("sipas-server serve --db PATH --listen HOST:PORT"), std::string::npos);
  EXPECT_NE(help.out.find("sipas-server procedure load --db PATH --file PROCEDURES.json"),
            std::string::npos);
  EXPECT_NE(help.out.find("sipas-server procedure list --db PATH"), std::string::npos);
  auto version = run({"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.out, std::string("sipas-server ") + SIPAS_VERSION + " (protocol v1)\n");
}

// The real binary, serving on a free port: its pid, its port (from its first line of output)
// and the read end of its standard output.
struct Served {
  pid_t pid = -1;
  int port = 0;
  int out = -1;
};

Served serve_binary(const std::string& db, std::vector<std::string> extra) {
  std::vector<std::string> args = {SIPAS_SERVER_BINARY, "serve", "--db", db, "--listen",
                                   "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  int out_pipe[2];
  if (::pipe(out_pipe) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::close(out_pipe[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(SIPAS_SERVER_BINARY, argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  std::string first_line;
  char c;
  while (::read(out_pipe[0], &c, 1) == 1 && c != '\n') first_line.push_back(c);
  auto colon = first_line.rfind(':');
  Served s{pid, 0, out_pipe[0]};
  if (colon != std::string::npos) s.port = std::atoi(first_line.c_str() + colon + 1);
  return s;
}

// SIGTERM; the exit status, or -1.
int stop_binary(const Served& s) {
  ::kill(s.pid, SIGTERM);
  int status = 0;
  if (::waitpid(s.pid, &status, 0) != s.pid) return -1;
  ::close(s.out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Serve on a free port with the shipped questionnaires imported, answer /healthz, stop on
// SIGTERM with exit status 0.
TEST_F(CliTest, ServeStopsCleanlyOnSigterm) {
  add_units();
  Served served = serve_binary(db(), {"--access-log", (dir_.path() / "access.log").string(),
                                      "--surveys", SIPAS_SOURCE_DIR "/kiosk-config/surveys"});
  ASSERT_GT(served.port, 0);
  httplib::Client client("127.0.0.1", served.port);
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(nlohmann::json::parse(health->body)["surveys"], 3) << health->body;
  EXPECT_EQ(stop_binary(served), 0);
  std::ifstream log(dir_.path() / "access.log");
  std::string line;
  std::getline(log, line);
  EXPECT_NE(line.find("GET /healthz 200"), std::string::npos) << line;
}

// The connection flags reach the transport: one connection per address, and a head that does
// not come is cut off.
TEST_F(CliTest, ServeTakesTheConnectionFlags) {
  add_units();
  Served served = serve_binary(db(), {"--max-connections-per-address", "1", "--header-timeout",
                                      "0.5", "--idle-timeout", "60", "--max-header-bytes", "2048"});
  ASSERT_GT(served.port, 0);
  auto slow = RawConnection::open(served.port);
  ASSERT_TRUE(slow.is_open());
  ASSERT_TRUE(slow.send("GET /healthz HTTP/1.1\r\n"));
  // While `slow` is open, a second connection from the same address is turned away.
  auto second = RawConnection::open(served.port);
  std::string refused_reply;
  bool refused_closed = !second.is_open();
  if (second.is_open() && second.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")) {
    refused_reply = second.receive(std::chrono::seconds(20), &refused_closed);
  }
  EXPECT_TRUE(refused_closed);
  EXPECT_EQ(refused_reply, "");
  EXPECT_TRUE(slow.closed_by_peer_within(std::chrono::seconds(20)));
  // Then the address has its slot back (the server may take a moment to see `slow` gone, so
  // tries are spaced, 100 of them over at least 2 s); a head over 2048 bytes gets 431.
  std::string reply;
  for (int attempt = 0; attempt < 100 && reply.empty(); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto c = RawConnection::open(served.port);
    if (c.is_open() &&
        c.send("GET /healthz HTTP/1.1\r\nCookie: " + std::string(4000, 'c') + "\r\n\r\n")) {
      reply = c.receive(std::chrono::seconds(2));
    }
  }
  EXPECT_EQ(reply.rfind("HTTP/1.1 431", 0), 0u) << reply;
  EXPECT_EQ(stop_binary(served), 0);
}

// HTTPS, and SIGHUP: a renewed certificate goes to new connections without a restart.
TEST_F(CliTest, ServeReloadsTheCertificateOnSighup) {
  add_units();
  const std::string cert = (dir_.path() / "cert.pem").string();
  const std::string key = (dir_.path() / "key.pem").string();
  ASSERT_TRUE(write_self_signed("sipas-a", cert, key));
  Served served = serve_binary(db(), {"--tls-cert", cert, "--tls-key", key});
  ASSERT_GT(served.port, 0);
  {
    TlsClient c(served.port);
    ASSERT_TRUE(c.open());
    EXPECT_EQ(c.peer_name(), "sipas-a");
    std::string reply = c.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "}");
    EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  }
  ASSERT_TRUE(write_self_signed("sipas-b", cert, key));
  ::kill(served.pid, SIGHUP);
  std::string seen;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
       seen != "sipas-b" && std::chrono::steady_clock::now() < until;) {
    TlsClient c(served.port);
    seen = c.peer_name();
    if (seen != "sipas-b") std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(seen, "sipas-b");
  EXPECT_EQ(stop_binary(served), 0);
}

}  // namespace
}  // namespace sipas::test
