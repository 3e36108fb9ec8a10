#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "sipas/server/cli.hpp"
#include "sipas/server/config_file.hpp"
#include "temp_dir.hpp"

namespace sipas::test {
namespace {

const std::set<std::string> kKnown = {"db", "listen", "access-log", "threads", "rate-limit"};

class ConfigFileTest : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& text) {
    auto path = dir_ / "server.conf";
    std::ofstream(path) << text;
    return path;
  }
  std::string error_of(const std::string& text) {
    auto r = read_config_file(write(text), kKnown);
    EXPECT_FALSE(r.is_ok());
    return r.is_ok() ? std::string() : r.status().message();
  }
  TempDir dir_;
};

TEST_F(ConfigFileTest, ReadsKeyValueLinesSkippingCommentsAndBlanks) {
  auto path = write(
      "\xEF\xBB\xBF# the province server\n"
      "\n"
      "listen = 0.0.0.0:8443\n"
      "   # indented comment\n"
      "db=/var/lib/sipas/sipas.db\n"
      "access-log =   /var/log/sipas/access log.txt  \r\n"
      "rate-limit = 2.5\n");
  auto r = read_config_file(path, kKnown);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].key, "listen");
  EXPECT_EQ((*r)[0].value, "0.0.0.0:8443");
  EXPECT_EQ((*r)[0].line, 3);
  EXPECT_EQ((*r)[1].value, "/var/lib/sipas/sipas.db");
  EXPECT_EQ((*r)[2].value, "/var/log/sipas/access log.txt");
  EXPECT_EQ((*r)[3].line, 7);
}

TEST_F(ConfigFileTest, EachBadLineIsNamedWithFileLineAndProblem) {
  const std::string f = (dir_ / "server.conf").string();
  EXPECT_EQ(error_of("listen = x:1\nthreads 4\n"), f + ":2: expected \"key = value\", got \"threads 4\"");
  EXPECT_EQ(error_of("= 4\n"), f + ":1: a setting without a key before \"=\"");
  EXPECT_EQ(error_of("\n\nthreads =\n"), f + ":3: threads: no value after \"=\"");
  EXPECT_EQ(error_of("--threads = 4\n"), f + ":1: write the key without dashes (\"threads = ...\")");
  EXPECT_EQ(error_of("threads = 4 # more\n"), f + ":1: threads: a comment must be on a line of its own");
  EXPECT_EQ(error_of("threads = 4\nthreads = 5\n"), f + ":2: threads: set twice (first on line 1)");
  EXPECT_EQ(error_of("thread = 4\n"),
            f + ":1: unknown setting \"thread\" (known: access-log, db, listen, rate-limit, threads)");
  EXPECT_EQ(error_of("config = other.conf\n").rfind(f + ":1: unknown setting \"config\"", 0), 0u);
}

TEST_F(ConfigFileTest, MissingFileIsNamed) {
  auto r = read_config_file(dir_ / "none.conf", kKnown);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(), (dir_ / "none.conf").string() + ": cannot read (no such file)");
  r = read_config_file(dir_.path(), kKnown);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("is a directory"), std::string::npos);
}

TEST_F(ConfigFileTest, SettingsGoBeforeTheCommandLineSoItWins) {
  auto path = write("listen = 127.0.0.1:8080\nthreads = 4\n");
  auto r = with_config_file({"serve", "--threads", "2", "--config", path.string(), "--db=x.db"}, 1,
                            kKnown);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(*r, (std::vector<std::string>{"serve", "--listen=127.0.0.1:8080", "--threads=4",
                                          "--threads", "2", "--db=x.db"}));
  auto eq = with_config_file({"serve", "--config=" + path.string()}, 1, kKnown);
  ASSERT_TRUE(eq.is_ok());
  EXPECT_EQ(eq->size(), 3u);
  auto none = with_config_file({"serve", "--db", "x"}, 1, kKnown);
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(*none, (std::vector<std::string>{"serve", "--db", "x"}));
  EXPECT_FALSE(with_config_file({"serve", "--config"}, 1, kKnown).is_ok());
  EXPECT_FALSE(with_config_file({"serve", "--config", "a", "--config", "b"}, 1, kKnown).is_ok());
}

struct CliRun {
  int status = -1;
  std::string out, err;
};

CliRun run(const std::vector<std::string>& args) {
  std::istringstream in;
  std::ostringstream out, err;
  CliRun r;
  r.status = run_cli(args, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// serve takes its options from the file: a bad line stops it with exit status 2, one line naming
// the file and line, before any database is created.
TEST_F(ConfigFileTest, ServeReportsABadLineAndCreatesNothing) {
  const auto db = dir_ / "server.db";
  auto path = write("db = " + db.string() + "\nlisten = 127.0.0.1:0\nthreds = 4\n");
  auto r = run({"serve", "--config", path.string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "sipas-server serve: " + path.string() +
                       ":3: unknown setting \"threds\" (known: access-log, alert-ca-file, "
                       "behind-proxy, body-timeout, db, effect-window-weeks, header-timeout, idle-timeout, "
                       "kiosk-late-after, "
                       "kiosk-offline-after, listen, login-links, max-batch, max-body-bytes, "
                       "max-connections, max-connections-per-address, max-decompressed-bytes, "
                       "max-header-bytes, max-header-count, rate-burst, rate-limit, signing-key, "
                       "smtp-ca-file, smtp-from, smtp-password-file, smtp-url, smtp-user, surveys, "
                       "threads, tls-cert, tls-key)\n");
  EXPECT_FALSE(std::filesystem::exists(db));
  r = run({"serve", "--config", (dir_ / "none.conf").string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("none.conf: cannot read (no such file)"), std::string::npos) << r.err;
}

// A value from the file goes through serve's own checks; one on the command line replaces it.
TEST_F(ConfigFileTest, ServeChecksTheFilesValuesAndTheCommandLineOverrides) {
  const auto db = dir_ / "server.db";
  auto path = write("db = " + db.string() + "\nlisten = 127.0.0.1:0\nthreads = 0\n");
  auto r = run({"serve", "--config", path.string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "sipas-server serve: --threads must be a number from 1 to 256\n");
  r = run({"serve", "--config", path.string(), "--threads", "2", "--listen", "nonsense"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "sipas-server serve: --listen must be HOST:PORT (e.g. 127.0.0.1:8080)\n");
  EXPECT_FALSE(std::filesystem::exists(db));
}

// The packaged /etc/sipas/server.conf names every option `serve --help` lists, and reads as it
// is shipped.
TEST_F(ConfigFileTest, ShippedSampleListsEveryServeOption) {
  const std::filesystem::path sample = SIPAS_SOURCE_DIR "/debian/server.conf";
  std::ifstream in(sample);
  ASSERT_TRUE(in) << sample;
  std::stringstream text;
  text << in.rdbuf();
  auto help = run({"--help"});
  std::string serve_lines;
  std::istringstream lines(help.out);
  bool in_serve = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("sipas-server serve ") != std::string::npos) {
      in_serve = true;
    } else if (line.find("sipas-server ") != std::string::npos) {
      in_serve = false;
    }
    if (in_serve) serve_lines += line + "\n";
  }
  std::set<std::string> options;
  const std::regex option("--([a-z][a-z0-9-]*)");
  for (std::sregex_iterator it(serve_lines.begin(), serve_lines.end(), option), end; it != end; ++it) {
    options.insert((*it)[1]);
  }
  options.erase("config");
  ASSERT_GE(options.size(), 10u) << serve_lines;
  for (const auto& o : options) {
    const std::regex setting("(^|\\n)#? ?" + o + " = ");
    EXPECT_TRUE(std::regex_search(text.str(), setting)) << sample << " does not mention " << o;
  }
  EXPECT_TRUE(read_config_file(sample, options).is_ok());
}

// The fleet's thresholds (issue 13): from the file or the command line, offline after late.
TEST_F(ConfigFileTest, KioskThresholdsAreCheckedWhereverTheyComeFrom) {
  const auto db = dir_ / "server.db";
  auto path = write("db = " + db.string() + "\nlisten = 127.0.0.1:0\nkiosk-late-after = 30\n");
  auto r = run({"serve", "--config", path.string(), "--kiosk-offline-after", "20"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "sipas-server serve: --kiosk-offline-after (20) must be more than "
                   "--kiosk-late-after (30)\n");
  r = run({"serve", "--config", path.string(), "--kiosk-late-after", "0"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "sipas-server serve: --kiosk-late-after must be a number from 1 to 10080\n");
  EXPECT_FALSE(std::filesystem::exists(db));
}

}  // namespace
}  // namespace sipas::test
