// Remote configuration end to end (issue 13): the real sipas-server with a signing key, the real
// kiosk under Xvfb with the server's public key and its own sync. A new questionnaire version is
// pushed to the kiosk's unit while a citizen is in the middle of a survey: that survey finishes on
// the old version, the next welcome shows the new question text, the responses carry their
// versions and the server accepts both (nothing quarantined). Then a bundle signed with another
// key is refused: the kiosk keeps the new questionnaire and records why.
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e_support.hpp"
#include "sipas/received_bundle.hpp"
#include "sipas/sqlite.hpp"
#include "sipas/store.hpp"

namespace sipas {
namespace {

using namespace e2e;
using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr const char* kNewQuestion = "Câu hỏi mới: anh/chị hài lòng với lần đến hôm nay chứ?";

class ConfigPushE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"Xvfb", "xdotool", "curl"}) {
      if (!have_tool(tool)) GTEST_SKIP() << tool << " is not installed";
    }
  }

  std::string setting(const std::string& key) {
    auto store = ResponseStore::open((dir_ / "kiosk.db").string());
    if (!store.is_ok()) return {};
    auto v = (*store)->setting(key);
    return v.is_ok() && *v ? **v : std::string();
  }

  std::int64_t received() {
    auto store = ResponseStore::open((dir_ / "kiosk.db").string());
    if (!store.is_ok()) return -1;
    auto v = received_version(**store);
    return v.is_ok() ? *v : -1;
  }

  // The first column of each row of `sql` on the server's SQLite file.
  std::vector<std::string> server_rows(const std::string& sql) {
    std::vector<std::string> out;
    auto db = sql::Db::open((dir_ / "server.db").string(), {});
    if (!db.is_ok()) return out;
    (void)(*db)->each_row(sql, "read", [&](const sql::Stmt& q) { out.push_back(q.text(0)); });
    return out;
  }

  std::unique_ptr<Process> serve(const fs::path& key) {
    auto p = std::make_unique<Process>(
        std::vector<std::string>{SIPAS_SERVER_BIN, "serve", "--db", (dir_ / "server.db").string(),
                                 "--listen", "127.0.0.1:" + std::to_string(port_), "--surveys",
                                 (cfg_ / "surveys").string(), "--rate-limit", "0", "--signing-key",
                                 key.string()},
        std::vector<std::string>{}, dir_ / "server.log", -1, SIGTERM);
    bool up = false;
    for (int i = 0; i < 200 && !up; ++i) {
      up = run("curl -sf -o /dev/null " + url_ + "/healthz") == 0;
      if (!up) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(up) << "sipas-server did not answer /healthz: " << read_file(dir_ / "server.log");
    return p;
  }

  // The citizen's remaining questions answered 4 and the follow-up finished; back to thanks.
  void finish_survey(KioskSession& kiosk, int questions) {
    for (int step = 2; step <= questions; ++step) {
      Json d = kiosk.wait_for("question", step);
      ASSERT_TRUE(shows(d, "question", step));
      kiosk.choose(d, "answer-4");
    }
    Json d = kiosk.wait_until("the follow-up or the thanks", [](const Json& dump) {
      return shows(dump, "followup") || shows(dump, "thanks");
    });
    if (shows(d, "followup")) kiosk.choose(d, "finish");
    ASSERT_TRUE(shows(kiosk.wait_for("thanks"), "thanks"));
  }

  static std::string question_text(const Json& dump) {
    for (const auto& t : dump.value("texts", Json::array())) {
      if (t.value("id", "") == "question") return t.value("text", "");
    }
    return {};
  }

  TempDir dir_;
  fs::path cfg_;
  int port_ = 0;
  std::string url_;
};

TEST_F(ConfigPushE2e, NewQuestionnaireReachesTheKioskAfterTheCurrentSurveyAndABadSignatureIsRefused) {
  cfg_ = dir_ / "config";
  fs::copy(fs::path(SIPAS_SOURCE_DIR) / "kiosk-config", cfg_, fs::copy_options::recursive);
  port_ = free_port();
  ASSERT_GT(port_, 0);
  url_ = "http://127.0.0.1:" + std::to_string(port_);
  const std::string server_bin = SIPAS_SERVER_BIN;
  const std::string server_db = (dir_ / "server.db").string();
  ASSERT_EQ(run(server_bin + " keygen --private " + (dir_ / "sign.pem").string() + " --public " +
                (cfg_ / "server.pub").string() + " >/dev/null"),
            0);
  ASSERT_EQ(run(server_bin + " keygen --private " + (dir_ / "other.pem").string() + " --public " +
                (dir_ / "other.pub").string() + " >/dev/null"),
            0);

  Json j = Json::parse(read_file(cfg_ / "kiosk.json"));
  const std::string kiosk_id = j["kiosk_id"];
  const std::string unit = j["unit"]["code"];
  j["db_path"] = (dir_ / "kiosk.db").string();
  j["server"]["url"] = url_;
  j["server"]["token_file"] = "kiosk.token";
  j["server"]["sync_interval_seconds"] = 5;
  j["server"]["config_public_key"] = "server.pub";
  j["counter"] = "q4";  // one procedure: recorded without asking
  j["min_interval_seconds"] = 0;
  j["thanks_seconds"] = 1;
  std::ofstream(cfg_ / "kiosk.json") << j.dump(2);
  ASSERT_EQ(run(server_bin + " unit add --db " + server_db + " --code 22 --name Province >/dev/null"), 0);
  ASSERT_EQ(run(server_bin + " unit add --db " + server_db + " --code " + unit +
                " --name Center --parent 22 >/dev/null"),
            0);
  std::string token;
  ASSERT_EQ(run(server_bin + " kiosk add --db " + server_db + " --kiosk-id " + kiosk_id + " --unit " + unit,
                &token),
            0);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  std::ofstream(cfg_ / "kiosk.token") << token << "\n";
  fs::permissions(cfg_ / "kiosk.token", fs::perms::owner_read | fs::perms::owner_write);

  Json survey = Json::parse(read_file(cfg_ / "surveys" / "counter-short.json"));
  int questions = 0;
  for (const auto& e : survey["elements"]) questions += static_cast<int>(e["criteria"].size());
  ASSERT_GE(questions, 2);

  auto server = serve(dir_ / "sign.pem");
  KioskSession kiosk(dir_.path(), SIPAS_KIOSK_BIN);
  kiosk.start(cfg_, 1280, 800, {"--db", (dir_ / "kiosk.db").string()});
  Json d = kiosk.wait_for("welcome");
  ASSERT_TRUE(shows(d, "welcome"));
  const std::string old_question = question_text(d);
  ASSERT_FALSE(old_question.empty()) << d.dump();

  // A citizen starts: the welcome's faces answer the first question.
  kiosk.choose(d, "answer-4");
  ASSERT_TRUE(shows(kiosk.wait_for("question", 2), "question", 2));

  // The province pushes version 2 of the questionnaire to the kiosk's unit.
  Json v2 = survey;
  v2["version"] = 2;
  for (auto& e : v2["elements"]) {
    for (auto& c : e["criteria"]) {
      if (c["id"] == v2["first_question"]) c["text"]["vi"] = kNewQuestion;
    }
  }
  std::ofstream(dir_ / "bundle.json") << Json{{"surveys", Json::array({v2})}}.dump(2);
  std::string out;
  ASSERT_EQ(run(server_bin + " config set --db " + server_db + " --unit " + unit + " --file " +
                    (dir_ / "bundle.json").string() + " 2>&1",
                &out),
            0)
      << out;
  std::int64_t pushed = 0;
  for (int i = 0; i < 300 && pushed <= 0; ++i) {
    pushed = received();
    if (pushed <= 0) std::this_thread::sleep_for(100ms);
  }
  ASSERT_GT(pushed, 0) << "the kiosk never stored the bundle; kiosk log: " << kiosk.log();

  // The survey in progress goes on, on the questionnaire it began with.
  finish_survey(kiosk, questions);
  d = kiosk.wait_until("the welcome with the new question", [&](const Json& dump) {
    return shows(dump, "welcome") && question_text(dump) == kNewQuestion;
  }, 30s);
  ASSERT_EQ(question_text(d), kNewQuestion);
  EXPECT_EQ(setting(kConfigVersionKey), std::to_string(pushed));
  EXPECT_TRUE(setting(kConfigErrorKey).empty()) << setting(kConfigErrorKey);

  // The next citizen answers the new version.
  kiosk.choose(d, "answer-5");
  finish_survey(kiosk, questions);
  ASSERT_TRUE(shows(kiosk.wait_for("welcome"), "welcome"));

  std::vector<std::string> versions;
  for (int i = 0; i < 300; ++i) {
    versions = server_rows("SELECT survey_version FROM responses ORDER BY seq");
    if (versions.size() >= 2) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(versions, (std::vector<std::string>{"1", "2"})) << read_file(dir_ / "server.log");
  EXPECT_EQ(server_rows("SELECT count(*) FROM quarantine"), std::vector<std::string>{"0"});

  // A server signing with another key: its bundle is refused, the kiosk stays on version 2.
  server.reset();
  server = serve(dir_ / "other.pem");
  std::ofstream(dir_ / "bundle2.json") << Json{{"settings", {{"thanks_seconds", 2}}}}.dump();
  ASSERT_EQ(run(server_bin + " config set --db " + server_db + " --unit 22 --file " +
                    (dir_ / "bundle2.json").string() + " 2>&1",
                &out),
            0)
      << out;
  std::string error;
  for (int i = 0; i < 300 && error.empty(); ++i) {
    error = setting(kConfigErrorKey);
    if (error.empty()) std::this_thread::sleep_for(100ms);
  }
  EXPECT_NE(error.find("signature does not match"), std::string::npos) << error;
  EXPECT_EQ(received(), pushed);
  EXPECT_EQ(setting(kConfigVersionKey), std::to_string(pushed));
  d = kiosk.wait_for("welcome");
  EXPECT_EQ(question_text(d), kNewQuestion);
  EXPECT_TRUE(kiosk.running());

  // The province learns why: the next citizen's upload carries the refusal in the kiosk's health
  // (protocol section 13), with the version it still runs.
  kiosk.choose(d, "answer-5");
  finish_survey(kiosk, questions);
  std::vector<std::string> reported;
  for (int i = 0; i < 300; ++i) {
    reported = server_rows("SELECT health FROM kiosk_health WHERE kiosk_id = '" + kiosk_id + "'");
    if (!reported.empty() && reported[0].find("signature does not match") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(reported.size(), 1u) << read_file(dir_ / "server.log");
  Json health = Json::parse(reported[0]);
  EXPECT_NE(health.value("last_error", "").find("signature does not match"), std::string::npos)
      << reported[0];
  EXPECT_EQ(health["config_version"], pushed);
}

}  // namespace
}  // namespace sipas
