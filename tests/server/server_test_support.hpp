// Shared set-up for the server tests: a temporary database (SQLite, or PostgreSQL with
// SIPAS_TEST_STORE=postgresql: see test_database.hpp) with a unit tree, the shipped
// questionnaires and two kiosks, a real HttpServer on 127.0.0.1 (free port), and builders for
// valid hash-chained responses.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sipas/crypto.hpp"
#include "sipas/protocol.hpp"
#include "sipas/server/auth.hpp"
#include "sipas/server/http_server.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/server/surveys.hpp"
#include "temp_dir.hpp"
#include "test_database.hpp"

namespace sipas::test {

inline TimePoint test_now() {
  return TimePoint(std::chrono::milliseconds(1'795'000'000'000));  // 2026-11-18T...
}

// Responses seq first..first+n-1 chained from prev_hash, one minute apart, with varied answers.
inline std::vector<Response> make_chain(const std::string& unit, std::int64_t first, int n,
                                        std::string prev_hash = kGenesisHash,
                                        TimePoint start = test_now() - std::chrono::hours(1)) {
  std::vector<Response> out;
  for (int i = 0; i < n; ++i) {
    Response r;
    r.id = random_uuid();
    r.seq = first + i;
    r.prev_hash = prev_hash;
    r.survey_id = "counter-short";
    r.survey_version = 1;
    r.unit = unit;
    r.counter = "Q1";
    r.officer = "officer-" + std::to_string(i % 3);
    r.language = "vi";
    r.started_at = start + std::chrono::minutes(i);
    r.submitted_at = r.started_at + std::chrono::seconds(30);
    r.status = ResponseStatus::complete;
    r.answers = {{"officer.polite", 1 + (i % 5)}, {"access.waiting_time", 1 + ((i + 2) % 5)},
                 {"general.overall", std::nullopt}};
    if (i % 5 == 0) {
      r.reasons = {"long_wait"};
      r.comment = "Chờ lâu quá — \"quầy 1\" <b>đông</b>";
    }
    r.hash = compute_hash(r);
    prev_hash = r.hash;
    out.push_back(r);
  }
  return out;
}

inline std::string make_body(const std::string& kiosk_id, const std::vector<Response>& responses,
                             TimePoint sent_at = test_now()) {
  BatchRequest b;
  b.kiosk_id = kiosk_id;
  b.batch_id = random_uuid();
  b.sent_at = sent_at;
  b.responses = responses;
  return batch_to_body(b);
}

class ServerTest : public ::testing::Test {
 protected:
  static constexpr const char* kUnit = "22.PVHCC";
  static constexpr const char* kSubUnit = "22.PVHCC.Q1";
  static constexpr const char* kOtherUnit = "22.SO-TP";

  void SetUp() override { start_server(ServerOptions{}); }
  void TearDown() override { stop_server(); }

  void start_server(ServerOptions options) {
    db_path_ = db_.db();
    ASSERT_FALSE(db_path_.empty()) << "no test database";
    {
      auto store = ServerStore::open(db_path_);
      ASSERT_TRUE(store.is_ok()) << store.status().message();
      store_ = std::move(store).value();
    }
    if (!seeded_) {
      ASSERT_TRUE(store_->import_units({{"22", "Tỉnh Quảng Ninh", std::nullopt},
                                        {kUnit, "Trung tâm PVHCC", std::string("22")},
                                        {kSubUnit, "Quầy 1", std::string(kUnit)},
                                        {kOtherUnit, "Sở Tư pháp", std::string("22")}})
                      .is_ok());
      auto surveys = import_survey_dir(*store_, std::filesystem::path(SIPAS_SOURCE_DIR) /
                                                    "kiosk-config" / "surveys");
      ASSERT_TRUE(surveys.is_ok()) << surveys.status().message();
      token1_ = random_token();
      token2_ = random_token();
      ASSERT_TRUE(store_->add_kiosk("k1", kUnit, token_hash(token1_), test_now()).is_ok());
      ASSERT_TRUE(store_->add_kiosk("k2", kOtherUnit, token_hash(token2_), test_now()).is_ok());
      seeded_ = true;
    }
    if (options.clock == nullptr) options.clock = &clock_;
    if (options.rate_per_second == ServerOptions{}.rate_per_second) options.rate_per_second = 0;
    auto server = HttpServer::create(db_path_, options);
    ASSERT_TRUE(server.is_ok()) << server.status().message();
    server_ = std::move(server).value();
    auto port = server_->bind("127.0.0.1", 0);
    ASSERT_TRUE(port.is_ok()) << port.status().message();
    port_ = *port;
    thread_ = std::thread([this] { serve_status_ = server_->serve(); });
  }

  void stop_server() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(5);
    c.set_read_timeout(30);
    c.set_write_timeout(30);
    return c;
  }

  httplib::Result post(const std::string& body, const std::string& token,
                       const std::string& content_type = "application/json",
                       const httplib::Headers& extra = {}) const {
    auto c = client();
    httplib::Headers headers = extra;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return c.Post("/api/v1/batches", headers, body, content_type.c_str());
  }

  static nlohmann::json json_of(const httplib::Result& r) {
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  std::int64_t stored() const {
    auto n = store_->response_count();
    return n.is_ok() ? *n : -1;
  }
  std::int64_t quarantined() const {
    auto n = store_->quarantine_count();
    return n.is_ok() ? *n : -1;
  }
  std::vector<std::string> finding_kinds(const std::string& kiosk) const {
    std::vector<std::string> kinds;
    auto f = store_->findings(kiosk, 1000);
    if (f.is_ok()) {
      for (const auto& x : *f) kinds.push_back(x.kind);
    }
    return kinds;
  }

  TempDir dir_;
  TestDatabase db_{dir_.path()};
  std::string db_path_;
  std::unique_ptr<ServerStore> store_;
  ManualClock clock_{test_now()};
  std::string token1_, token2_;
  bool seeded_ = false;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  Status serve_status_;
  int port_ = 0;
};

}  // namespace sipas::test
