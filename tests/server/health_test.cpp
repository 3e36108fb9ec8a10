// /healthz tells the truth about writing: a store that answers reads but cannot write (a full
// disk, here an SQLite VFS that fails every write on demand) makes it answer 503.
#include <gtest/gtest.h>

#include <memory>

#include "failing_disk.hpp"
#include "server_test_support.hpp"

namespace sipas::test {
namespace {

using namespace std::chrono_literals;

class HealthTest : public ServerTest {
 protected:
  void SetUp() override {
    SIPAS_SQLITE_ONLY("the full disk is an SQLite VFS that fails writes on demand");
    disk_ = std::make_unique<FailingDisk>(dir_.path().string());
  }
  void TearDown() override {
    ServerTest::TearDown();
    disk_.reset();
  }

  void start(std::chrono::milliseconds probe_interval) {
    ServerOptions options;
    options.health_probe_interval = probe_interval;
    start_server(options);
  }

  httplib::Result health() const { return client().Get("/healthz"); }

  // Asks /healthz until it answers `status`, for up to 20 s.
  bool health_becomes(int status) const {
    for (auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(50ms)) {
      auto r = health();
      if (r && r->status == status) return true;
    }
    return false;
  }

  std::unique_ptr<FailingDisk> disk_;
};

TEST_F(HealthTest, HealthzAnswers503AfterABatchCouldNotBeWritten) {
  start(0ms);  // no probe: the batch's own write is what tells
  auto ok = health();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);

  disk_->fail(true);
  auto refused = post(make_body("k1", make_chain(kUnit, 1, 3)), token1_);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  auto degraded = health();
  ASSERT_TRUE(degraded);
  EXPECT_EQ(degraded->status, 503);
  auto j = json_of(degraded);
  EXPECT_EQ(j["status"], "degraded");
  EXPECT_NE(j["error"].get<std::string>().find("full"), std::string::npos) << degraded->body;

  // Once a batch is stored again, the server is healthy again.
  disk_->fail(false);
  auto stored_again = post(make_body("k1", make_chain(kUnit, 1, 3)), token1_);
  ASSERT_TRUE(stored_again);
  EXPECT_EQ(stored_again->status, 200) << stored_again->body;
  auto healthy = health();
  ASSERT_TRUE(healthy);
  EXPECT_EQ(healthy->status, 200) << healthy->body;
  EXPECT_EQ(stored(), 3);
}

TEST_F(HealthTest, WriteProbeFindsAFullDiskWithoutAnyBatch) {
  start(100ms);
  ASSERT_TRUE(health_becomes(200));
  disk_->fail(true);
  ASSERT_TRUE(health_becomes(503)) << "the probe never noticed that writes fail";
  auto j = json_of(health());
  EXPECT_EQ(j["status"], "degraded");
  EXPECT_NE(j["error"].get<std::string>().find("cannot write"), std::string::npos);
  disk_->fail(false);
  EXPECT_TRUE(health_becomes(200)) << "the probe never noticed that writes work again";
}

}  // namespace
}  // namespace sipas::test
