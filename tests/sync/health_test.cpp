// The health every batch carries and the heartbeat (docs/protocol.md section 13), against a fake
// server and a manual clock.
#include <gtest/gtest.h>

#include "sipas/sync/uploader.hpp"
#include "sync_test_support.hpp"

namespace sipas {
namespace {

using namespace std::chrono_literals;
using test::FakeTransport;
using test::ServerModel;

class HealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = test::open_store(dir_ / "kiosk.db");
    ASSERT_NE(store_, nullptr);
    test::write_token(dir_ / "kiosk.token", "secret-token");
  }

  UploaderOptions options() const {
    UploaderOptions o;
    o.kiosk_id = "kiosk-01";
    o.server_url = "http://127.0.0.1:9/";
    o.token_file = dir_ / "kiosk.token";
    o.db_path = dir_ / "kiosk.db";
    o.software_version = "1.4.2";
    o.started_at = start_ - 10min;
    o.heartbeat_interval = 300s;
    return o;
  }

  std::unique_ptr<BatchUploader> uploader(HttpTransport& transport) {
    auto u = BatchUploader::create(options(), *store_, transport, clock_);
    EXPECT_TRUE(u.is_ok()) << u.status().to_string();
    return u.is_ok() ? std::move(u).value() : nullptr;
  }

  static FakeTransport::Handler serve(ServerModel& model) {
    return [&model](const HttpRequest& r) -> Result<HttpResponse> { return model.handle(r); };
  }

  test::TempDir dir_;
  const TimePoint start_{std::chrono::milliseconds(1'800'000'000'000LL)};
  ManualClock clock_{start_};
  std::unique_ptr<ResponseStore> store_;
};

TEST_F(HealthTest, HealthReportsPendingOldestConfigVersionDiskAndUptime) {
  test::append_responses(*store_, 3);
  ASSERT_TRUE(store_->set_setting("config.version", "17").is_ok());
  auto h = collect_health(*store_, options(), start_ - 10min, start_);
  ASSERT_TRUE(h.is_ok()) << h.status().to_string();
  EXPECT_EQ(h->software_version, "1.4.2");
  EXPECT_EQ(h->pending, 3);
  ASSERT_TRUE(h->oldest_pending_at);
  EXPECT_EQ(*h->oldest_pending_at, test::sample_draft(0).submitted_at);
  EXPECT_EQ(h->config_version, 17);
  EXPECT_GT(h->disk_free_bytes, 0);
  EXPECT_EQ(h->clock, start_);
  EXPECT_EQ(h->uptime_seconds, 600);
  EXPECT_FALSE(h->last_error);
}

TEST_F(HealthTest, NothingPendingAndNoConfigVersionAreNull) {
  auto h = collect_health(*store_, options(), start_, start_);
  ASSERT_TRUE(h.is_ok());
  EXPECT_EQ(h->pending, 0);
  EXPECT_FALSE(h->oldest_pending_at);
  EXPECT_FALSE(h->config_version);
  auto j = health_to_json(*h);
  EXPECT_TRUE(j["oldest_pending_at"].is_null());
  EXPECT_TRUE(j["config_version"].is_null());
  EXPECT_TRUE(j["last_error"].is_null());
}

TEST_F(HealthTest, LastErrorIsTheSyncErrorElseTheConfigurationError) {
  ASSERT_TRUE(store_->set_setting("config.last_error", "bundle 12: bad signature").is_ok());
  auto h = collect_health(*store_, options(), start_, start_);
  ASSERT_TRUE(h.is_ok());
  EXPECT_EQ(h->last_error, "bundle 12: bad signature");
  ASSERT_TRUE(store_->set_setting("sync.last_error", "server unreachable: timeout").is_ok());
  h = collect_health(*store_, options(), start_, start_);
  EXPECT_EQ(h->last_error, "server unreachable: timeout");
  ASSERT_TRUE(store_->set_setting("sync.last_error", "").is_ok());
  ASSERT_TRUE(store_->set_setting("config.last_error", "").is_ok());
  h = collect_health(*store_, options(), start_, start_);
  EXPECT_FALSE(h->last_error);
}

TEST_F(HealthTest, EveryBatchCarriesHealth) {
  test::append_responses(*store_, 5);
  ServerModel model;
  FakeTransport transport(serve(model));
  auto u = uploader(transport);
  ASSERT_TRUE(u);
  PassReport report = u->sync_once();
  ASSERT_TRUE(report.status.is_ok()) << report.status.to_string();
  EXPECT_FALSE(report.heartbeat);
  auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  auto batch = test::decode_batch(requests[0]);
  ASSERT_TRUE(batch.contains("health"));
  EXPECT_EQ(batch["responses"].size(), 5u);
  // The backlog once this body is taken: nothing left.
  EXPECT_EQ(batch["health"]["pending"], 0);
  EXPECT_TRUE(batch["health"]["oldest_pending_at"].is_null());
  EXPECT_EQ(batch["health"]["software_version"], "1.4.2");
  EXPECT_EQ(batch["health"]["clock"], batch["sent_at"]);
  auto parsed = health_from_json(batch["health"]);
  EXPECT_TRUE(parsed.is_ok()) << parsed.status().to_string();
}

// With batches of 2, each body reports the responses still waiting behind it.
TEST_F(HealthTest, EachBatchReportsTheBacklogBehindIt) {
  test::append_responses(*store_, 5);
  ServerModel model;
  FakeTransport transport(serve(model));
  auto o = options();
  o.batch_size = 2;
  auto u = BatchUploader::create(o, *store_, transport, clock_);
  ASSERT_TRUE(u.is_ok());
  ASSERT_TRUE((*u)->sync_once().status.is_ok());
  auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 3u);
  auto first = test::decode_batch(requests[0])["health"];
  EXPECT_EQ(first["pending"], 3);
  EXPECT_EQ(first["oldest_pending_at"], format_rfc3339(test::sample_draft(2).submitted_at));
  EXPECT_EQ(test::decode_batch(requests[1])["health"]["pending"], 1);
  EXPECT_EQ(test::decode_batch(requests[2])["health"]["pending"], 0);
}

// Nothing to send: a heartbeat at the first pass, none until the interval has passed since the
// last reply, then one again; a batch of responses counts as a contact and puts it off.
TEST_F(HealthTest, HeartbeatWhenNothingWasSentForTheInterval) {
  ServerModel model;
  FakeTransport transport(serve(model));
  auto u = uploader(transport);
  ASSERT_TRUE(u);
  auto beats = [&] { return transport.requests().size(); };

  PassReport first = u->sync_once();
  EXPECT_TRUE(first.status.is_ok());
  EXPECT_TRUE(first.heartbeat);
  ASSERT_EQ(beats(), 1u);
  auto body = test::decode_batch(transport.requests()[0]);
  EXPECT_TRUE(body["responses"].empty());
  EXPECT_EQ(body["health"]["pending"], 0);

  clock_.advance(299s);
  EXPECT_FALSE(u->sync_once().heartbeat);
  EXPECT_EQ(beats(), 1u);
  clock_.advance(1s);
  EXPECT_TRUE(u->sync_once().heartbeat);
  EXPECT_EQ(beats(), 2u);

  clock_.advance(200s);
  test::append_responses(*store_, 2);
  PassReport sent = u->sync_once();
  EXPECT_FALSE(sent.heartbeat);
  EXPECT_EQ(sent.accepted, 2);
  EXPECT_EQ(beats(), 3u);
  clock_.advance(200s);  // 400 s after the last heartbeat, 200 s after the batch
  EXPECT_FALSE(u->sync_once().heartbeat);
  EXPECT_EQ(beats(), 3u);
  clock_.advance(100s);
  EXPECT_TRUE(u->sync_once().heartbeat);
  EXPECT_EQ(beats(), 4u);
}

// A failed heartbeat is recorded as the sync's error, and the next pass tries again.
TEST_F(HealthTest, FailedHeartbeatIsRetriedAtTheNextPass) {
  FakeTransport transport([](const HttpRequest&) -> Result<HttpResponse> {
    return Status::error(ErrorCode::unavailable, "connection refused");
  });
  auto u = uploader(transport);
  ASSERT_TRUE(u);
  PassReport failed = u->sync_once();
  EXPECT_FALSE(failed.status.is_ok());
  EXPECT_EQ(failed.pending_left, 0);
  ServerModel model;
  transport.set_handler(serve(model));
  clock_.advance(failed.retry_after);
  EXPECT_TRUE(u->sync_once().heartbeat);
  EXPECT_EQ(transport.requests().size(), 2u);
}

// sipas-sync --once: interval 0, so a run with nothing pending still reports in.
TEST_F(HealthTest, ZeroIntervalSendsAHeartbeatOnEveryIdlePass) {
  ServerModel model;
  FakeTransport transport(serve(model));
  auto o = options();
  o.heartbeat_interval = 0s;
  auto u = BatchUploader::create(o, *store_, transport, clock_);
  ASSERT_TRUE(u.is_ok());
  EXPECT_TRUE((*u)->sync_once().heartbeat);
  EXPECT_TRUE((*u)->sync_once().heartbeat);
  EXPECT_EQ(transport.requests().size(), 2u);
}

// A server that knows nothing of health (protocol v1 before it) answers a heartbeat as any empty
// batch: nothing accepted, acked_seq as it was.
TEST_F(HealthTest, AnOldServersReplyToAHeartbeatChangesNothing) {
  test::append_responses(*store_, 1);
  ServerModel model;
  FakeTransport transport(serve(model));
  auto u = uploader(transport);
  ASSERT_TRUE(u->sync_once().status.is_ok());
  clock_.advance(301s);
  PassReport beat = u->sync_once();
  EXPECT_TRUE(beat.status.is_ok());
  EXPECT_TRUE(beat.heartbeat);
  EXPECT_EQ(beat.accepted, 0);
  EXPECT_EQ(beat.pending_left, 0);
}

}  // namespace
}  // namespace sipas
