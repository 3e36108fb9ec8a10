#include "sipas/sync/sync_worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "sync_test_support.hpp"

namespace sipas {
namespace {

using namespace std::chrono_literals;
using test::FakeTransport;
using test::ServerModel;

// Polls until pred holds; bounded so that a broken worker fails the test instead of hanging it.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 2000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

class SyncWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ui_store_ = test::open_store(dir_ / "kiosk.db");
    ASSERT_NE(ui_store_, nullptr);
    test::write_token(dir_ / "kiosk.token", "secret-token");
  }

  SyncWorkerOptions options() {
    SyncWorkerOptions o;
    o.db_path = (dir_ / "kiosk.db").string();
    o.uploader.kiosk_id = "kiosk-01";
    o.uploader.server_url = "http://127.0.0.1:9";
    o.uploader.token_file = dir_ / "kiosk.token";
    o.interval = 1h;
    o.on_change = [this] { ++changes_; };
    return o;
  }

  // The worker owns its transport; the test keeps a view of it.
  SyncWorker::TransportFactory factory(FakeTransport::Handler handler) {
    return [this, handler](const CurlOptions&) -> Result<std::unique_ptr<HttpTransport>> {
      auto t = std::make_unique<FakeTransport>(handler);
      transport_ = t.get();
      return std::unique_ptr<HttpTransport>(std::move(t));
    };
  }

  std::int64_t pending() {
    auto n = ui_store_->pending_count();
    return n.is_ok() ? *n : -1;
  }

  test::TempDir dir_;
  std::unique_ptr<ResponseStore> ui_store_;
  FakeTransport* transport_ = nullptr;
  std::atomic<int> changes_{0};
};

FakeTransport::Handler serve(ServerModel& model) {
  return [&model](const HttpRequest& r) -> Result<HttpResponse> { return model.handle(r); };
}

Result<HttpResponse> server_error(const HttpRequest&) {
  return test::json_reply(500, {{"error", "database is locked"}});
}

TEST_F(SyncWorkerTest, UploadsTheBacklogAtStart) {
  test::append_responses(*ui_store_, 7);
  ServerModel model;
  auto worker = SyncWorker::start(options(), factory(serve(model)));
  ASSERT_TRUE(worker.is_ok()) << worker.status().to_string();
  EXPECT_TRUE(eventually([&] { return pending() == 0; }));
  EXPECT_EQ(model.stored(), 7);
  EXPECT_TRUE(eventually([&] { return (*worker)->state().passes >= 1; }));
  EXPECT_GE(changes_.load(), 1);
}

TEST_F(SyncWorkerTest, NotifyUploadsANewResponseWithoutWaitingForTheInterval) {
  ServerModel model;
  auto worker = SyncWorker::start(options(), factory(serve(model)));
  ASSERT_TRUE(worker.is_ok()) << worker.status().to_string();
  ASSERT_TRUE(eventually([&] { return (*worker)->state().passes >= 1; }));

  test::append_responses(*ui_store_, 1);
  (*worker)->notify();

  EXPECT_TRUE(eventually([&] { return model.stored() == 1; }));
  EXPECT_TRUE(eventually([&] { return pending() == 0; }));
}

TEST_F(SyncWorkerTest, NotifyDoesNotCutABackoffShort) {
  test::append_responses(*ui_store_, 1);
  SyncWorkerOptions o = options();
  o.uploader.backoff_initial = 1h;
  auto worker = SyncWorker::start(o, factory(&server_error));
  ASSERT_TRUE(worker.is_ok()) << worker.status().to_string();
  ASSERT_TRUE(eventually([&] { return (*worker)->state().passes >= 1; }));
  for (int i = 0; i < 5; ++i) (*worker)->notify();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ((*worker)->state().passes, 1);
  EXPECT_EQ(transport_->count(), 1u);
}

TEST_F(SyncWorkerTest, RequestSyncNowRetriesDuringABackoff) {
  test::append_responses(*ui_store_, 3);
  SyncWorkerOptions o = options();
  o.uploader.backoff_initial = 1h;
  auto worker = SyncWorker::start(o, factory(&server_error));
  ASSERT_TRUE(worker.is_ok()) << worker.status().to_string();
  ASSERT_TRUE(eventually([&] { return (*worker)->state().passes >= 1; }));
  SyncWorkerState failed = (*worker)->state();
  EXPECT_FALSE(failed.last_pass.status.is_ok());
  EXPECT_NE(failed.recorded.last_error.find("database is locked"), std::string::npos);
  EXPECT_EQ(failed.recorded.pending, 3);

  ServerModel model;
  transport_->set_handler(serve(model));
  (*worker)->request_sync_now();

  EXPECT_TRUE(eventually([&] { return pending() == 0; }));
  ASSERT_TRUE(eventually([&] { return (*worker)->state().passes >= 2; }));
  SyncWorkerState done = (*worker)->state();
  EXPECT_TRUE(done.last_pass.status.is_ok());
  EXPECT_EQ(done.recorded.last_error, "");
  EXPECT_EQ(done.recorded.pending, 0);
  EXPECT_TRUE(done.recorded.last_success.has_value());
}

TEST_F(SyncWorkerTest, StopReturnsDuringALongBackoff) {
  test::append_responses(*ui_store_, 1);
  SyncWorkerOptions o = options();
  o.uploader.backoff_initial = 24h;
  o.uploader.backoff_cap = 24h;
  auto worker = SyncWorker::start(o, factory(&server_error));
  ASSERT_TRUE(worker.is_ok());
  ASSERT_TRUE(eventually([&] { return (*worker)->state().passes >= 1; }));
  (*worker)->stop();
  EXPECT_FALSE((*worker)->state().syncing);
  (*worker)->stop();
}

TEST_F(SyncWorkerTest, StopAbandonsARequestInFlight) {
  test::append_responses(*ui_store_, 1);
  std::atomic<bool> entered{false};
  SyncWorkerOptions o = options();
  // The fake blocks like a hung server until the worker's cancel flag is raised.
  const std::atomic<bool>* cancel = nullptr;
  auto make = [&](const CurlOptions& c) -> Result<std::unique_ptr<HttpTransport>> {
    cancel = c.cancel;
    return std::unique_ptr<HttpTransport>(std::make_unique<FakeTransport>(
        [&](const HttpRequest&) -> Result<HttpResponse> {
          entered = true;
          while (!cancel->load()) std::this_thread::sleep_for(1ms);
          return Status::error(ErrorCode::unavailable, "Callback aborted");
        }));
  };
  auto worker = SyncWorker::start(o, make);
  ASSERT_TRUE(worker.is_ok());
  ASSERT_NE(cancel, nullptr);
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  (*worker)->stop();
  EXPECT_EQ(pending(), 1);
}

TEST_F(SyncWorkerTest, StartReportsAnUnusableConfiguration) {
  SyncWorkerOptions o = options();
  o.uploader.server_url = "http://sipas.example.gov.vn";
  ServerModel model;
  auto worker = SyncWorker::start(o, factory(serve(model)));
  EXPECT_FALSE(worker.is_ok());
  EXPECT_EQ(worker.status().code(), ErrorCode::invalid_argument);
}

TEST_F(SyncWorkerTest, StateIsReadableFromAnotherThreadWhileSyncing) {
  test::append_responses(*ui_store_, 50);
  ServerModel model;
  SyncWorkerOptions o = options();
  o.uploader.batch_size = 5;
  auto worker = SyncWorker::start(o, factory(serve(model)));
  ASSERT_TRUE(worker.is_ok());
  std::int64_t last_passes = 0;
  bool monotonic = true;
  ASSERT_TRUE(eventually([&] {
    SyncWorkerState s = (*worker)->state();
    if (s.passes < last_passes) monotonic = false;
    last_passes = s.passes;
    return s.passes >= 1 && s.recorded.pending == 0;
  }));
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(model.stored(), 50);
}

}  // namespace
}  // namespace sipas
