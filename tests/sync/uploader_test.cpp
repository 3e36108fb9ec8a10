#include "sipas/sync/uploader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "sync_test_support.hpp"

namespace sipas {
namespace {

using namespace std::chrono_literals;
using test::FakeTransport;
using test::ServerModel;

class RecordingSleeper final : public Sleeper {
 public:
  void sleep_for(std::chrono::milliseconds d) override { waits.push_back(d); }
  std::vector<std::chrono::milliseconds> waits;
};

// Cycles through fixed numbers so that the jitter is deterministic but not constant.
RandomSource cycling_random() {
  auto i = std::make_shared<int>(0);
  return [i] {
    static const double values[] = {0.0, 0.9, 0.3, 0.99, 0.5, 0.1, 0.7};
    return values[(*i)++ % 7];
  };
}

class UploaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = test::open_store(dir_ / "kiosk.db");
    ASSERT_NE(store_, nullptr);
    test::write_token(dir_ / "kiosk.token", "secret-token");
  }

  UploaderOptions options(int batch_size = 500) const {
    UploaderOptions o;
    o.kiosk_id = "kiosk-01";
    o.server_url = "http://127.0.0.1:9/";
    o.token_file = dir_ / "kiosk.token";
    o.batch_size = batch_size;
    return o;
  }

  std::unique_ptr<BatchUploader> uploader(HttpTransport& transport, int batch_size = 500,
                                          RandomSource random = cycling_random()) {
    auto u = BatchUploader::create(options(batch_size), *store_, transport, clock_,
                                   std::move(random));
    EXPECT_TRUE(u.is_ok()) << u.status().to_string();
    return u.is_ok() ? std::move(u).value() : nullptr;
  }

  std::int64_t pending() {
    auto n = store_->pending_count();
    EXPECT_TRUE(n.is_ok());
    return n.is_ok() ? *n : -1;
  }

  std::string setting(const std::string& key) {
    auto v = store_->setting(key);
    EXPECT_TRUE(v.is_ok());
    return v.is_ok() ? v->value_or("<unset>") : "<error>";
  }

  test::TempDir dir_;
  ManualClock clock_{TimePoint(std::chrono::milliseconds(1'800'000'000'000LL))};
  std::unique_ptr<ResponseStore> store_;
};

FakeTransport::Handler serve(ServerModel& model) {
  return [&model](const HttpRequest& r) -> Result<HttpResponse> { return model.handle(r); };
}

FakeTransport::Handler always(int status, std::string body = R"({"error":"boom"})") {
  return [status, body](const HttpRequest&) -> Result<HttpResponse> {
    HttpResponse r;
    r.status = status;
    r.body = body;
    return r;
  };
}

TEST_F(UploaderTest, SendsPendingResponsesInSeqOrderInBatchesOfBatchSize) {
  test::append_responses(*store_, 23);
  ServerModel model;
  FakeTransport transport(serve(model));
  auto u = uploader(transport, 10);

  PassReport report = u->sync_once();

  ASSERT_TRUE(report.status.is_ok()) << report.status.to_string();
  auto batches = model.batches();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].size(), 10u);
  EXPECT_EQ(batches[1].size(), 10u);
  EXPECT_EQ(batches[2].size(), 3u);
  std::int64_t expected = 1;
  for (const auto& b : batches) {
    for (auto seq : b) EXPECT_EQ(seq, expected++);
  }
  EXPECT_EQ(report.accepted, 23);
  EXPECT_EQ(report.batches, 3);
  EXPECT_EQ(report.pending_left, 0);
  EXPECT_EQ(pending(), 0);
}

TEST_F(UploaderTest, RequestIsAGzippedProtocolV1BatchWithBearerToken) {
  test::append_responses(*store_, 3);
  ServerModel model;
  FakeTransport transport(serve(model));
  auto u = uploader(transport);
  ASSERT_TRUE(u->sync_once().status.is_ok());

  auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  const HttpRequest& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://127.0.0.1:9/api/v1/batches");
  std::map<std::string, std::string> headers(r.headers.begin(), r.headers.end());
  EXPECT_EQ(headers["Authorization"], "Bearer secret-token");
  EXPECT_EQ(headers["Content-Type"], "application/json");
  EXPECT_EQ(headers["Content-Encoding"], "gzip");
  auto batch = test::decode_batch(r);
  EXPECT_EQ(batch["protocol"], 1);
  EXPECT_EQ(batch["kiosk_id"], "kiosk-01");
  EXPECT_TRUE(is_uuid(batch["batch_id"].get<std::string>()));
  EXPECT_EQ(batch["sent_at"], format_rfc3339(clock_.now()));
  ASSERT_EQ(batch["responses"].size(), 3u);
  auto stored = store_->find(batch["responses"][0]["id"].get<std::string>());
  ASSERT_TRUE(stored.is_ok() && stored->has_value());
  EXPECT_EQ(batch["responses"][0], response_to_json(**stored));
}

TEST_F(UploaderTest, MarksSentOnlyOnHttp200) {
  test::append_responses(*store_, 4);
  const std::string valid = R"({"accepted":4,"duplicates":0,"rejected":[],"acked_seq":4})";
  for (int status : {201, 202, 204, 302, 400, 404, 422, 503}) {
    FakeTransport transport(always(status, valid));
    auto u = uploader(transport);
    PassReport report = u->sync_once();
    EXPECT_FALSE(report.status.is_ok()) << status;
    EXPECT_EQ(report.http_status, status);
    EXPECT_EQ(pending(), 4) << "HTTP " << status << " must not settle anything";
  }
  FakeTransport ok(always(200, valid));
  EXPECT_TRUE(uploader(ok)->sync_once().status.is_ok());
  EXPECT_EQ(pending(), 0);
}

TEST_F(UploaderTest, ServerErrorBacksOffWithGrowingJitteredWaitsCappedAtFiveMinutes) {
  test::append_responses(*store_, 5);
  FakeTransport transport(always(500));
  auto u = uploader(transport);
  RecordingSleeper sleeper;

  PassReport report = u->drain(sleeper, 16);

  EXPECT_FALSE(report.status.is_ok());
  EXPECT_NE(report.status.message().find("HTTP 500"), std::string::npos);
  EXPECT_EQ(transport.count(), 16u);
  ASSERT_EQ(sleeper.waits.size(), 15u);
  std::chrono::milliseconds base = 1s;
  std::set<double> fractions;
  for (std::size_t i = 0; i < sleeper.waits.size(); ++i) {
    auto w = sleeper.waits[i];
    EXPECT_GE(w, base / 2) << "wait " << i;
    EXPECT_LE(w, base) << "wait " << i;
    EXPECT_LE(w, 5min);
    if (base < 5min) fractions.insert(static_cast<double>(w.count()) / base.count());
    base = std::min<std::chrono::milliseconds>(base * 2, 5min);
  }
  EXPECT_GT(fractions.size(), 3u) << "waits should carry jitter";
  EXPECT_LT(sleeper.waits[0], sleeper.waits[5]);
  EXPECT_GE(sleeper.waits.back(), 150s) << "the wait should have reached the cap's range";
  EXPECT_EQ(pending(), 5);
  EXPECT_NE(setting("sync.last_error").find("HTTP 500"), std::string::npos);
  EXPECT_EQ(setting("sync.server_reachable"), "1");
}

TEST_F(UploaderTest, BackoffResetsAfterASuccessfulPass) {
  test::append_responses(*store_, 2);
  FakeTransport transport(always(500));
  auto u = uploader(transport, 500, [] { return 1.0; });
  EXPECT_EQ(u->sync_once().retry_after, 1s);
  EXPECT_EQ(u->sync_once().retry_after, 2s);
  EXPECT_EQ(u->sync_once().retry_after, 4s);
  ServerModel model;
  transport.set_handler(serve(model));
  EXPECT_TRUE(u->sync_once().status.is_ok());
  EXPECT_EQ(u->backoff().failures(), 0);
  test::append_responses(*store_, 1);
  transport.set_handler(always(500));
  EXPECT_EQ(u->sync_once().retry_after, 1s);
}

TEST_F(UploaderTest, MalformedReplyMarksNothing) {
  test::append_responses(*store_, 3);
  for (std::string body : {std::string("{not json"), std::string(""),
                           std::string(R"({"accepted":"3","duplicates":0,"rejected":[],"acked_seq":3})"),
                           std::string(R"({"accepted":3,"duplicates":0,"rejected":[]})"),
                           std::string(R"([1,2,3])")}) {
    FakeTransport transport(always(200, body));
    PassReport report = uploader(transport)->sync_once();
    EXPECT_FALSE(report.status.is_ok()) << body;
    EXPECT_EQ(pending(), 3) << body;
  }
}

TEST_F(UploaderTest, RejectedResponsesAreMarkedWithTheServersReasonAndTheQueueContinues) {
  test::append_responses(*store_, 6);
  auto first = store_->pending(6);
  ASSERT_TRUE(first.is_ok());
  const std::string bad_id = (*first)[2].id;
  ServerModel model;
  model.reject(bad_id);
  FakeTransport transport(serve(model));

  PassReport report = uploader(transport, 2)->sync_once();

  ASSERT_TRUE(report.status.is_ok()) << report.status.to_string();
  EXPECT_EQ(report.rejected, 1);
  EXPECT_EQ(report.accepted, 5);
  EXPECT_EQ(model.batches().size(), 3u);
  EXPECT_EQ(pending(), 0);
  auto rejected = store_->rejected(10);
  ASSERT_TRUE(rejected.is_ok());
  ASSERT_EQ(rejected->size(), 1u);
  EXPECT_EQ((*rejected)[0].id, bad_id);
  EXPECT_EQ((*rejected)[0].seq, 3);
  EXPECT_EQ((*rejected)[0].reason, "unknown criterion \"x\"");
}

TEST_F(UploaderTest, UnauthorizedStopsWithAClearErrorAndNoRetry) {
  test::append_responses(*store_, 3);
  FakeTransport transport(always(401, R"({"error":"unknown or revoked token"})"));
  RecordingSleeper sleeper;

  PassReport report = uploader(transport)->drain(sleeper, 10);

  EXPECT_FALSE(report.status.is_ok());
  EXPECT_FALSE(report.retryable);
  EXPECT_EQ(report.http_status, 401);
  EXPECT_NE(report.status.message().find("refused the token"), std::string::npos);
  EXPECT_NE(report.status.message().find("kiosk.token"), std::string::npos);
  EXPECT_EQ(transport.count(), 1u);
  EXPECT_TRUE(sleeper.waits.empty());
  EXPECT_EQ(pending(), 3);
}

TEST_F(UploaderTest, PayloadTooLargeSplitsTheBatch) {
  test::append_responses(*store_, 10);
  ServerModel model;
  std::vector<std::size_t> sizes;
  FakeTransport transport([&](const HttpRequest& r) -> Result<HttpResponse> {
    auto batch = test::decode_batch(r);
    sizes.push_back(batch["responses"].size());
    if (batch["responses"].size() > 3) return test::json_reply(413, {{"error", "too large"}});
    return model.answer(batch);
  });

  PassReport report = uploader(transport, 10)->sync_once();

  ASSERT_TRUE(report.status.is_ok()) << report.status.to_string();
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 5, 2, 2, 2, 2, 2}));
  EXPECT_EQ(model.stored(), 10);
  EXPECT_EQ(report.accepted, 10);
  EXPECT_EQ(pending(), 0);
}

TEST_F(UploaderTest, ResponseTooLargeAloneIsRejectedLocallyAndDoesNotBlockTheQueue) {
  test::append_responses(*store_, 3);
  ServerModel model;
  FakeTransport transport([&](const HttpRequest& r) -> Result<HttpResponse> {
    auto batch = test::decode_batch(r);
    for (const auto& resp : batch["responses"]) {
      if (resp["seq"] == 2) return test::json_reply(413, {{"error", "too large"}});
    }
    return model.answer(batch);
  });

  PassReport report = uploader(transport, 3)->sync_once();

  ASSERT_TRUE(report.status.is_ok()) << report.status.to_string();
  EXPECT_EQ(model.stored(), 2);
  EXPECT_EQ(report.rejected, 1);
  auto rejected = store_->rejected(10);
  ASSERT_TRUE(rejected.is_ok());
  ASSERT_EQ(rejected->size(), 1u);
  EXPECT_EQ((*rejected)[0].seq, 2);
  EXPECT_NE((*rejected)[0].reason.find("413"), std::string::npos);
  EXPECT_EQ(pending(), 0);
}

TEST_F(UploaderTest, ResumesFromTheStoreAfterARestart) {
  test::append_responses(*store_, 25);
  ServerModel model;
  int calls = 0;
  FakeTransport transport([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (++calls > 2) return Status::error(ErrorCode::unavailable, "connection refused");
    return model.handle(r);
  });
  PassReport first = uploader(transport, 10)->sync_once();
  EXPECT_FALSE(first.status.is_ok());
  EXPECT_EQ(first.accepted, 20);

  store_.reset();
  store_ = test::open_store(dir_ / "kiosk.db");
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(pending(), 5);
  FakeTransport again(serve(model));
  PassReport second = uploader(again, 10)->sync_once();

  ASSERT_TRUE(second.status.is_ok()) << second.status.to_string();
  auto batches = model.batches();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[2].front(), 21);
  EXPECT_EQ(batches[2].back(), 25);
  EXPECT_EQ(model.stored(), 25);
  EXPECT_EQ(pending(), 0);
}

TEST_F(UploaderTest, TransportErrorLeavesEverythingPendingAndRecordsServerUnreachable) {
  test::append_responses(*store_, 4);
  FakeTransport transport([](const HttpRequest&) -> Result<HttpResponse> {
    return Status::error(ErrorCode::unavailable, "Failed to connect to 127.0.0.1 port 9");
  });

  PassReport report = uploader(transport)->sync_once();

  EXPECT_FALSE(report.status.is_ok());
  EXPECT_EQ(report.http_status, 0);
  EXPECT_GT(report.retry_after, 0ms);
  EXPECT_EQ(pending(), 4);
  EXPECT_EQ(setting("sync.server_reachable"), "0");
  EXPECT_EQ(setting("sync.last_error"),
            "server unreachable: Failed to connect to 127.0.0.1 port 9");
  EXPECT_EQ(setting("sync.pending"), "4");
  EXPECT_EQ(setting("sync.last_success_at"), "<unset>");
  EXPECT_EQ(setting("sync.next_attempt_at"), format_rfc3339(clock_.now() + report.retry_after));
}

TEST_F(UploaderTest, RecordsSuccessInSettingsReadableAsSyncState) {
  test::append_responses(*store_, 3);
  FakeTransport failing(always(500));
  (void)uploader(failing)->sync_once();
  clock_.advance(10min);
  ServerModel model;
  FakeTransport transport(serve(model));
  ASSERT_TRUE(uploader(transport)->sync_once().status.is_ok());

  auto state = read_sync_state(*store_);
  ASSERT_TRUE(state.is_ok()) << state.status().to_string();
  EXPECT_EQ(state->pending, 0);
  EXPECT_EQ(state->last_error, "");
  EXPECT_TRUE(state->server_reachable);
  ASSERT_TRUE(state->last_success.has_value());
  EXPECT_EQ(*state->last_success, clock_.now());
  EXPECT_EQ(state->last_attempt, state->last_success);
  EXPECT_FALSE(state->next_attempt.has_value());
}

TEST_F(UploaderTest, SettlesABatchTheReplyAccountsForEvenWhenAckedSeqStopsAtAGap) {
  test::append_responses(*store_, 6);
  FakeTransport transport([](const HttpRequest& r) -> Result<HttpResponse> {
    auto n = test::decode_batch(r)["responses"].size();
    return test::json_reply(200, {{"accepted", n}, {"duplicates", 0},
                                  {"rejected", nlohmann::json::array()}, {"acked_seq", 0}});
  });
  PassReport report = uploader(transport, 4)->sync_once();
  ASSERT_TRUE(report.status.is_ok()) << report.status.to_string();
  EXPECT_EQ(transport.count(), 2u);
  EXPECT_EQ(pending(), 0);
}

TEST_F(UploaderTest, ReplyThatSettlesNothingEndsThePassInsteadOfLooping) {
  test::append_responses(*store_, 6);
  FakeTransport transport(always(200, R"({"accepted":1,"duplicates":0,"rejected":[],"acked_seq":0})"));
  PassReport report = uploader(transport, 4)->sync_once();
  EXPECT_FALSE(report.status.is_ok());
  EXPECT_NE(report.status.message().find("acknowledged none"), std::string::npos);
  EXPECT_EQ(transport.count(), 1u);
  EXPECT_EQ(pending(), 6);
}

TEST_F(UploaderTest, RejectionsOfIdsOutsideTheBatchAreIgnored) {
  test::append_responses(*store_, 2);
  FakeTransport transport(always(
      200, R"({"accepted":1,"duplicates":0,"rejected":[{"id":"7d0c1f3e-2b7a-4c1e-9a59-2f4f1d7b8e11","error":"x"}],"acked_seq":2})"));
  PassReport report = uploader(transport)->sync_once();
  EXPECT_TRUE(report.status.is_ok()) << report.status.to_string();
  EXPECT_EQ(report.rejected, 0);
  auto rejected = store_->rejected(10);
  ASSERT_TRUE(rejected.is_ok());
  EXPECT_TRUE(rejected->empty());
}

TEST_F(UploaderTest, TooManyRequestsWaitsAtLeastTheServersRetryAfter) {
  test::append_responses(*store_, 1);
  FakeTransport transport([](const HttpRequest&) -> Result<HttpResponse> {
    auto r = test::json_reply(429, {{"error", "rate limited"}});
    r.headers["retry-after"] = "30";
    return r;
  });
  PassReport report = uploader(transport)->sync_once();
  EXPECT_FALSE(report.status.is_ok());
  EXPECT_GE(report.retry_after, 30s);
  EXPECT_LE(report.retry_after, 5min);
  EXPECT_EQ(pending(), 1);
}

// Nothing pending: the first pass sends the heartbeat (health_test.cpp), the next ones within
// the heartbeat interval send nothing and succeed.
TEST_F(UploaderTest, NothingPendingSucceedsWithoutARequest) {
  ServerModel model;
  FakeTransport transport(serve(model));
  auto u = uploader(transport);
  ASSERT_TRUE(u->sync_once().heartbeat);
  transport.set_handler(always(500));
  PassReport report = u->sync_once();
  EXPECT_TRUE(report.status.is_ok());
  EXPECT_EQ(report.pending_left, 0);
  EXPECT_EQ(transport.count(), 1u);
}

TEST_F(UploaderTest, MissingTokenFileIsAClearErrorAndNothingIsSent) {
  test::append_responses(*store_, 1);
  std::filesystem::remove(dir_ / "kiosk.token");
  FakeTransport transport(always(200));
  PassReport report = uploader(transport)->sync_once();
  EXPECT_FALSE(report.retryable);
  EXPECT_EQ(report.status.message(), "token file " + (dir_ / "kiosk.token").string() + ": not found");
  EXPECT_EQ(transport.count(), 0u);
  EXPECT_EQ(setting("sync.last_error"), report.status.message());
}

TEST_F(UploaderTest, EmptyTokenFileIsAClearError) {
  test::append_responses(*store_, 1);
  test::write_token(dir_ / "kiosk.token", "  \n");
  FakeTransport transport(always(200));
  PassReport report = uploader(transport)->sync_once();
  EXPECT_EQ(report.status.message(), "token file " + (dir_ / "kiosk.token").string() + " is empty");
  EXPECT_EQ(transport.count(), 0u);
}

TEST_F(UploaderTest, WarnsOnceWhenTheTokenFileIsReadableByOthers) {
  test::append_responses(*store_, 2);
  using std::filesystem::perms;
  test::write_token(dir_ / "kiosk.token", "secret-token",
                    perms::owner_read | perms::owner_write | perms::group_read | perms::others_read);
  ServerModel model;
  FakeTransport transport(serve(model));
  auto u = uploader(transport, 1);
  testing::internal::CaptureStderr();
  PassReport report = u->sync_once();
  test::append_responses(*store_, 1);
  PassReport again = u->sync_once();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(report.status.is_ok());
  EXPECT_TRUE(again.status.is_ok());
  EXPECT_EQ(model.stored(), 3);
  EXPECT_NE(err.find("warning: token file"), std::string::npos) << err;
  EXPECT_NE(err.find("0644"), std::string::npos) << err;
  EXPECT_EQ(err.find("warning", err.find("warning") + 1), std::string::npos) << "warned twice";
}

TEST_F(UploaderTest, NoWarningForAPrivateTokenFile) {
  test::append_responses(*store_, 1);
  ServerModel model;
  FakeTransport transport(serve(model));
  auto u = uploader(transport);
  testing::internal::CaptureStderr();
  EXPECT_TRUE(u->sync_once().status.is_ok());
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(ServerUrlTest, PlainHttpIsRefusedUnlessLoopbackOrExplicitlyAllowed) {
  EXPECT_TRUE(check_server_url("https://sipas.example.gov.vn", false).is_ok());
  EXPECT_TRUE(check_server_url("http://127.0.0.1:8080", false).is_ok());
  EXPECT_TRUE(check_server_url("http://127.3.2.1/", false).is_ok());
  EXPECT_TRUE(check_server_url("http://localhost:8080/sipas", false).is_ok());
  EXPECT_TRUE(check_server_url("http://[::1]:8080", false).is_ok());
  EXPECT_FALSE(check_server_url("http://sipas.example.gov.vn", false).is_ok());
  EXPECT_FALSE(check_server_url("http://10.0.0.5:8080", false).is_ok());
  EXPECT_FALSE(check_server_url("http://127.0.0.1.evil.example", false).is_ok());
  EXPECT_FALSE(check_server_url("http://localhost@evil.example/", false).is_ok());
  EXPECT_TRUE(check_server_url("http://10.0.0.5:8080", true).is_ok());
  EXPECT_FALSE(check_server_url("ftp://127.0.0.1", true).is_ok());
  EXPECT_FALSE(check_server_url("sipas.example.gov.vn", false).is_ok());
  EXPECT_FALSE(check_server_url("", false).is_ok());
  Status s = check_server_url("http://sipas.example.gov.vn", false);
  EXPECT_NE(s.message().find("allow_insecure_http"), std::string::npos) << s.message();
}

TEST_F(UploaderTest, CreateRefusesPlainHttpToARemoteHost) {
  FakeTransport transport(always(200));
  UploaderOptions o = options();
  o.server_url = "http://sipas.example.gov.vn";
  auto refused = BatchUploader::create(o, *store_, transport, clock_);
  EXPECT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::invalid_argument);
  o.allow_insecure_http = true;
  EXPECT_TRUE(BatchUploader::create(o, *store_, transport, clock_).is_ok());
}

TEST(BackoffTest, FirstWaitIsAboutOneSecond) {
  Backoff low([] { return 0.0; });
  Backoff high([] { return 0.999999; });
  EXPECT_EQ(low.next_delay(), 500ms);
  EXPECT_GE(high.next_delay(), 999ms);
}

}  // namespace
}  // namespace sipas
