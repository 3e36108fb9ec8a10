// The server under many connections at once: idle and slow clients beside real ones, and a
// province's worth of kiosks uploading together. Bounds are generous (shared, noisy machines):
// what is asserted is that requests are answered at all, never how fast.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "server_test_support.hpp"
#include "socket_support.hpp"

namespace sipas::test {
namespace {

using namespace std::chrono_literals;

class LoadTest : public ServerTest {
 protected:
  void SetUp() override {}
};

TEST_F(LoadTest, HealthzAndDashboardAnswerBesideThousandIdleAndHundredSlowHeaderConnections) {
  constexpr int kIdle = 1000;
  constexpr int kSlow = 100;
  // Both ends of every connection live in this process.
  const rlim_t needed = 2 * (kIdle + kSlow) + 256;
  if (raise_open_file_limit(needed) < needed) {
    GTEST_SKIP() << "the open-file limit cannot be raised to " << needed;
  }
  ServerOptions options;
  // Long enough that none of the load times out while the test measures: the server has to answer
  // beside the idle and slow connections, not after they are gone.
  options.http.header_timeout = 120s;
  options.http.idle_timeout = 120s;
  options.http.max_connections = 5000;
  options.http.max_connections_per_address = 5000;
  start_server(options);
  ASSERT_TRUE(store_->add_user({"province", hash_secret("pw-province", 1000), std::nullopt}).is_ok());
  auto session = store_->create_session("province", clock_.now());
  ASSERT_TRUE(session.is_ok());

  std::vector<RawConnection> load;
  load.reserve(kIdle + kSlow);
  for (int i = 0; i < kIdle; ++i) {
    auto c = RawConnection::open(port_);
    ASSERT_TRUE(c.is_open()) << "idle connection " << i;
    // One request, then nothing: the connection stays open, kept alive and idle.
    ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    load.push_back(std::move(c));
  }
  for (int i = 0; i < kSlow; ++i) {
    auto c = RawConnection::open(port_);
    ASSERT_TRUE(c.is_open()) << "slow connection " << i;
    ASSERT_TRUE(c.send("POST /api/v1/batches HTTP/1.1\r\nHost: x\r\n"));
    load.push_back(std::move(c));
  }

  httplib::Client c("127.0.0.1", port_);
  c.set_connection_timeout(20);
  c.set_read_timeout(20);
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health) << "no answer to /healthz within 20 s: " << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  auto page = c.Get("/", {{"Cookie", "sipas_session=" + session->token}});
  ASSERT_TRUE(page) << "no answer to / within 20 s: " << httplib::to_string(page.error());
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<html"), std::string::npos);
}

TEST_F(LoadTest, ThreeHundredKiosksUploadingAtOnceAreEachStoredExactlyOnce) {
  constexpr int kKiosks = 300;
  constexpr int kBatches = 2;
  constexpr int kPerBatch = 10;
  if (raise_open_file_limit(2 * kKiosks + 256) < 2 * kKiosks + 256) {
    GTEST_SKIP() << "the open-file limit cannot be raised";
  }
  start_server(ServerOptions{});
  std::vector<std::string> tokens;
  for (int k = 0; k < kKiosks; ++k) {
    tokens.push_back(random_token());
    ASSERT_TRUE(store_->add_kiosk("load-" + std::to_string(k), kUnit, token_hash(tokens.back()),
                                  test_now())
                    .is_ok());
  }
  std::vector<std::vector<std::string>> bodies(kKiosks);
  for (int k = 0; k < kKiosks; ++k) {
    auto chain = make_chain(kUnit, 1, kBatches * kPerBatch);
    for (int b = 0; b < kBatches; ++b) {
      std::vector<Response> part(chain.begin() + b * kPerBatch, chain.begin() + (b + 1) * kPerBatch);
      bodies[k].push_back(gzip_compress(make_body("load-" + std::to_string(k), part)));
    }
  }

  std::atomic<int> ok{0}, accepted{0}, duplicates{0}, reconnects{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> kiosks;
  for (int k = 0; k < kKiosks; ++k) {
    kiosks.emplace_back([&, k] {
      httplib::Client client("127.0.0.1", port_);
      client.set_keep_alive(true);
      client.set_connection_timeout(20);
      client.set_read_timeout(60);
      int sockets_seen = 0;
      int last_socket = -1;
      while (!go) std::this_thread::yield();
      for (const std::string& body : bodies[k]) {
        auto r = client.Post("/api/v1/batches",
                             {{"Authorization", "Bearer " + tokens[k]}, {"Content-Encoding", "gzip"}},
                             body, "application/json");
        if (!r || r->status != 200) continue;
        ++ok;
        auto j = nlohmann::json::parse(r->body);
        accepted += j["accepted"].get<int>();
        duplicates += j["duplicates"].get<int>();
        if (client.socket() != last_socket) ++sockets_seen;
        last_socket = client.socket();
      }
      if (sockets_seen > 1) ++reconnects;
    });
  }
  go = true;
  for (auto& t : kiosks) t.join();
  EXPECT_EQ(ok, kKiosks * kBatches);
  EXPECT_EQ(accepted, kKiosks * kBatches * kPerBatch);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(reconnects, 0) << "every kiosk keeps its one connection";
  EXPECT_EQ(stored(), kKiosks * kBatches * kPerBatch);
  auto listed = store_->kiosks();
  ASSERT_TRUE(listed.is_ok());
  for (const KioskRecord& k : *listed) {
    if (k.kiosk_id.rfind("load-", 0) != 0) continue;
    EXPECT_EQ(k.last_seq, kBatches * kPerBatch) << k.kiosk_id;
    auto counts = store_->kiosk_counts(k.kiosk_id);
    ASSERT_TRUE(counts.is_ok());
    EXPECT_EQ(counts->first, kBatches * kPerBatch) << k.kiosk_id;
  }
}

}  // namespace
}  // namespace sipas::test
