// Shared set-up for the scores, reports and dashboard tests: the server fixture of
// server_test_support.hpp with a small hand-computed set of responses around a quarter's end, three
// users (province, a centre, another department) and a Dashboard on its own loopback port.
//
// The responses (Asia/Ho_Chi_Minh, UTC+7):
//   R1 22.PVHCC    Q1 officer A  2026-09-30 23:59  complete  waiting 5, polite 4, guidance 2;
//                                                            reason unclear_guidance, a <script> comment
//   R2 22.PVHCC    Q2 officer B  2026-10-01 00:01  partial   waiting 1, polite 5, on_time 3
//   R3 22.PVHCC.Q1 Q3 officer A  2026-09-15 10:00  complete  waiting 4, documents 5, polite 3,
//                                                            feedback n/a, overall n/a
//   R4 22.SO-TP    S1 officer C  2026-09-30 17:00  complete  waiting 2, polite 2; reason long_wait
//   R5 22.PVHCC    Q1 officer A  2026-09-20 09:00  Mẫu 01, total 16 (Xuất sắc)
//   R6 22.PVHCC    Q2 officer B  2026-09-21 09:00  Mẫu 01, total 9 (Khá)
// Procedures: R1 and R2 1.001193 (in the catalogue loaded by load_procedures()), R3 2.002154 (not
// in it), the others none.
#pragma once

#include <httplib.h>

#include <mutex>
#include <thread>

#include "server_test_support.hpp"
#include "sipas/server/dashboard.hpp"
#include "sipas/server/http_transport.hpp"
#include "sipas/server/scores.hpp"

namespace sipas::test {

inline TimePoint utc(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

class DashboardTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_TRUE(store_->add_user({"province", hash_secret("pw-province", 1000), std::nullopt}).is_ok());
    ASSERT_TRUE(store_->add_user({"pvhcc", hash_secret("pw-pvhcc", 1000), std::string(kUnit)}).is_ok());
    ASSERT_TRUE(store_->add_user({"sotp", hash_secret("pw-sotp", 1000), std::string(kOtherUnit)}).is_ok());
    DashboardOptions options{&clock_};
    adjust(options);
    options.security_log = [this](const std::string& line) {
      std::lock_guard lock(log_mutex_);
      security_log_.push_back(line);
    };
    auto dash = Dashboard::create(db_path_, std::move(options));
    ASSERT_TRUE(dash.is_ok()) << dash.status().message();
    dashboard_ = std::move(dash).value();
    http::Router router;
    dashboard_->install(router);
    http_ = std::make_unique<http::HttpTransport>(std::move(router), http::TransportOptions{});
    auto port = http_->bind("127.0.0.1", 0);
    ASSERT_TRUE(port.is_ok()) << port.status().message();
    dash_port_ = *port;
    dash_thread_ = std::thread([this] { (void)http_->serve(); });
  }

  // For fixtures that need other dashboard options (behind a proxy, HTTPS).
  virtual void adjust(DashboardOptions&) {}

  // The security log's lines so far.
  std::vector<std::string> security_log() {
    std::lock_guard lock(log_mutex_);
    return security_log_;
  }

  void TearDown() override {
    if (http_) http_->stop();
    if (dash_thread_.joinable()) dash_thread_.join();
    http_.reset();
    ServerTest::TearDown();
  }

  static Response likert(const std::string& unit, const std::string& counter,
                         const std::string& officer, const char* at, ResponseStatus status,
                         std::vector<Answer> answers, std::vector<std::string> reasons = {},
                         std::optional<std::string> comment = std::nullopt) {
    Response r;
    r.id = random_uuid();
    r.survey_id = "counter-short";
    r.unit = unit;
    r.counter = counter;
    r.officer = officer;
    r.submitted_at = utc(at);
    r.started_at = r.submitted_at - std::chrono::seconds(40);
    r.status = status;
    r.answers = std::move(answers);
    r.reasons = std::move(reasons);
    r.comment = std::move(comment);
    return r;
  }

  static Response mau01(const std::string& unit, const std::string& counter,
                        const std::string& officer, const char* at, const std::vector<int>& points) {
    static const char* ids[] = {"mau01.total_time",     "mau01.agency_time",  "mau01.return_visits",
                                "mau01.agencies_contacted", "mau01.one_stop", "mau01.procedure_public",
                                "mau01.officer_attitude", "mau01.feedback_response",
                                "mau01.online_service"};
    Response r = likert(unit, counter, officer, at, ResponseStatus::complete, {});
    r.survey_id = "mau01";
    r.dossier = "000.00.22.H01-260920-0001";
    for (std::size_t i = 0; i < points.size(); ++i) r.answers.push_back({ids[i], points[i]});
    return r;
  }

  // Chains the responses of one kiosk (seq from 1) and posts them in one batch.
  void post_chain(const std::string& kiosk, const std::string& token, std::vector<Response> rs) {
    std::string prev = kGenesisHash;
    std::int64_t seq = 1;
    for (auto& r : rs) {
      r.seq = seq++;
      r.prev_hash = prev;
      r.hash = compute_hash(r);
      prev = r.hash;
    }
    auto res = post(make_body(kiosk, rs), token);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    auto j = json_of(res);
    ASSERT_EQ(j["accepted"], static_cast<int>(rs.size())) << res->body;
  }

  static Response with_procedure(Response r, const char* code) {
    r.procedure = code;
    return r;
  }

  void post_fixture() {
    post_chain("k1", token1_,
               {with_procedure(likert(kUnit, "Q1", "A", "2026-09-30T16:59:00Z",
                                      ResponseStatus::complete,
                                      {{"access.waiting_time", 5},
                                       {"officer.polite", 4},
                                       {"officer.guidance", 2}},
                                      {"unclear_guidance"},
                                      std::string("<script>alert('x')</script> & chờ lâu")),
                               "1.001193"),
                with_procedure(likert(kUnit, "Q2", "B", "2026-09-30T17:01:00Z",
                                      ResponseStatus::partial,
                                      {{"access.waiting_time", 1},
                                       {"officer.polite", 5},
                                       {"result.on_time", 3}}),
                               "1.001193"),
                with_procedure(likert(kSubUnit, "Q3", "A", "2026-09-15T03:00:00Z",
                                      ResponseStatus::complete,
                                      {{"access.waiting_time", 4},
                                       {"procedures.documents", 5},
                                       {"officer.polite", 3},
                                       {"feedback.channels", std::nullopt},
                                       {"general.overall", std::nullopt}}),
                               "2.002154"),
                mau01(kUnit, "Q1", "A", "2026-09-20T02:00:00Z", {2, 2, 2, 2, 2, 2, 2, 1, 1}),
                mau01(kUnit, "Q2", "B", "2026-09-21T02:00:00Z", {1, 1, 1, 1, 1, 1, 1, 1, 1})});
    post_chain("k2", token2_,
               {likert(kOtherUnit, "S1", "C", "2026-09-30T10:00:00Z", ResponseStatus::complete,
                       {{"access.waiting_time", 2}, {"officer.polite", 2}}, {"long_wait"})});
  }

  // The procedure catalogue: 1.001193 with Vietnamese and English names, 1.000894 with only a
  // Vietnamese one (2.002154, named by R3, is left out on purpose).
  void load_procedures() {
    ASSERT_TRUE(store_
                    ->import_procedures({{"1.001193",
                                          {{"vi", "Đăng ký khai sinh"}, {"en", "Birth registration"}}},
                                         {"1.000894", {{"vi", "Đăng ký kết hôn"}}}})
                    .is_ok());
  }

  std::unique_ptr<ScoreService> service() {
    auto s = ScoreService::open(db_path_);
    EXPECT_TRUE(s.is_ok()) << s.status().message();
    return s.is_ok() ? std::move(s).value() : nullptr;
  }

  httplib::Client dash_client() const {
    httplib::Client c("127.0.0.1", dash_port_);
    c.set_connection_timeout(5);
    c.set_read_timeout(30);
    return c;
  }

  // GET with HTTP Basic credentials.
  httplib::Result get_as(const std::string& user, const std::string& password,
                         const std::string& target) const {
    auto c = dash_client();
    c.set_basic_auth(user, password);
    return c.Get(target);
  }

  static double index_of(const nlohmann::json& j) {
    return j["index"].is_number() ? j["index"].get<double>() : -1;
  }

  std::unique_ptr<http::HttpTransport> http_;
  std::unique_ptr<Dashboard> dashboard_;
  std::thread dash_thread_;
  std::mutex log_mutex_;
  std::vector<std::string> security_log_;
  int dash_port_ = 0;
};

}  // namespace sipas::test
