#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "server_test_support.hpp"
#include "socket_support.hpp"

namespace sipas::test {
namespace {

class IngestTest : public ServerTest {
 protected:
  struct CapturedLog {
    std::mutex mutex;
    std::vector<std::string> lines;
  };
  // Restarts the server with its access log captured; read the lines after stop_server().
  std::shared_ptr<CapturedLog> restart_with_captured_log() {
    stop_server();
    auto log = std::make_shared<CapturedLog>();
    ServerOptions options;
    options.access_log = [log](const std::string& line) {
      std::lock_guard lock(log->mutex);
      log->lines.push_back(line);
    };
    start_server(options);
    return log;
  }
};

TEST_F(IngestTest, AcceptsAValidBatchAndStoresItNormalised) {
  auto chain = make_chain(kUnit, 1, 10);
  auto r = post(make_body("k1", chain), token1_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto reply = json_of(r);
  EXPECT_EQ(reply["accepted"], 10);
  EXPECT_EQ(reply["duplicates"], 0);
  EXPECT_TRUE(reply["rejected"].empty());
  EXPECT_EQ(reply["acked_seq"], 10);
  EXPECT_EQ(stored(), 10);
  EXPECT_EQ(quarantined(), 0);
  EXPECT_TRUE(finding_kinds("k1").empty());
}

TEST_F(IngestTest, AcceptsResponsesForAUnitBelowTheKiosksUnit) {
  auto r = post(make_body("k1", make_chain(kSubUnit, 1, 3)), token1_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(stored(), 3);
}

TEST_F(IngestTest, ReplayedBatchCountsOnlyDuplicates) {
  std::string body = make_body("k1", make_chain(kUnit, 1, 20));
  ASSERT_EQ(post(body, token1_)->status, 200);
  auto r = post(body, token1_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto reply = json_of(r);
  EXPECT_EQ(reply["accepted"], 0);
  EXPECT_EQ(reply["duplicates"], 20);
  EXPECT_TRUE(reply["rejected"].empty());
  EXPECT_EQ(reply["acked_seq"], 20);
  EXPECT_EQ(stored(), 20);
}

TEST_F(IngestTest, GzipBodyIsAccepted) {
  std::string body = gzip_compress(make_body("k1", make_chain(kUnit, 1, 50)));
  auto r = post(body, token1_, "application/json", {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["accepted"], 50);
}

TEST_F(IngestTest, WrongTokenGets401) {
  auto r = post(make_body("k1", make_chain(kUnit, 1, 2)), random_token());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(json_of(r).contains("error"));
  auto none = post(make_body("k1", make_chain(kUnit, 1, 2)), "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(stored(), 0);
}

// The token is judged from the request's head: a wrong one gets its 401 even from a client that
// announces a large body and then sends nothing, and the connection is closed.
TEST_F(IngestTest, WrongTokenGets401BeforeTheBodyIsSent) {
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send("POST /api/v1/batches HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                     random_token() +
                     "\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                     "Content-Length: 4000000\r\n\r\n"));
  bool closed = false;
  std::string reply = c.receive(std::chrono::seconds(20), &closed, "}");
  EXPECT_EQ(reply.rfind("HTTP/1.1 401", 0), 0u) << reply;
  EXPECT_NE(reply.find("WWW-Authenticate: Bearer\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("{\"error\":"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
  EXPECT_TRUE(closed || c.closed_by_peer_within(std::chrono::seconds(20)));
  EXPECT_EQ(stored(), 0);
}

TEST_F(IngestTest, RevokedTokenGets401) {
  ASSERT_EQ(post(make_body("k1", make_chain(kUnit, 1, 2)), token1_)->status, 200);
  ASSERT_TRUE(store_->revoke_kiosk("k1", test_now()).is_ok());
  auto r = post(make_body("k1", make_chain(kUnit, 3, 2)), token1_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(stored(), 2);
}

TEST_F(IngestTest, PostingAsAnotherKioskGets403) {
  auto r = post(make_body("k2", make_chain(kOtherUnit, 1, 2)), token1_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_EQ(stored(), 0);
}

TEST_F(IngestTest, ResponseForAnotherUnitGets403AndNothingIsStored) {
  auto chain = make_chain(kUnit, 1, 5);
  chain[3].unit = kOtherUnit;
  chain[3].hash = compute_hash(chain[3]);
  auto r = post(make_body("k1", chain), token1_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_EQ(stored(), 0);
}

TEST_F(IngestTest, SameIdWithOtherContentIsQuarantinedAsConflict) {
  auto chain = make_chain(kUnit, 1, 3);
  ASSERT_EQ(post(make_body("k1", chain), token1_)->status, 200);
  auto altered = chain;
  altered[1].answers[0].value = 5;
  altered[1].hash = compute_hash(altered[1]);
  auto r = post(make_body("k1", altered), token1_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto reply = json_of(r);
  EXPECT_EQ(reply["accepted"], 0);
  EXPECT_EQ(reply["duplicates"], 2);
  ASSERT_EQ(reply["rejected"].size(), 1u);
  EXPECT_EQ(reply["rejected"][0]["id"], chain[1].id);
  EXPECT_NE(reply["rejected"][0]["error"].get<std::string>().find("conflict"), std::string::npos);
  EXPECT_EQ(reply["acked_seq"], 3);
  EXPECT_EQ(stored(), 3);
  auto q = store_->quarantine("k1", 10);
  ASSERT_TRUE(q.is_ok());
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ(q->front().response_id, chain[1].id);
  EXPECT_NE(q->front().raw.find("\"value\":5"), std::string::npos);
}

TEST_F(IngestTest, InvalidResponseIsRejectedAloneAndTheRestStored) {
  auto chain = make_chain(kUnit, 1, 6);
  chain[2].answers[0].value = 9;  // off the 1–5 scale
  chain[2].hash = compute_hash(chain[2]);
  chain[4].reasons = {"no_such_reason"};
  chain[4].hash = compute_hash(chain[4]);
  auto r = post(make_body("k1", chain), token1_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto reply = json_of(r);
  EXPECT_EQ(reply["accepted"], 4);
  ASSERT_EQ(reply["rejected"].size(), 2u);
  EXPECT_EQ(reply["rejected"][0]["id"], chain[2].id);
  EXPECT_NE(reply["rejected"][0]["error"].get<std::string>().find("scale"), std::string::npos);
  EXPECT_EQ(reply["rejected"][1]["id"], chain[4].id);
  EXPECT_EQ(reply["acked_seq"], 6);
  EXPECT_EQ(stored(), 4);
  EXPECT_EQ(quarantined(), 2);
  // Sent again, the rejected ones are reported again but kept only once.
  auto again = post(make_body("k1", chain), token1_);
  ASSERT_EQ(again->status, 200);
  EXPECT_EQ(json_of(again)["rejected"].size(), 2u);
  EXPECT_EQ(quarantined(), 2);
}

TEST_F(IngestTest, UnknownSurveyVersionIsRejected) {
  auto chain = make_chain(kUnit, 1, 2);
  chain[1].survey_version = 99;
  chain[1].hash = compute_hash(chain[1]);
  auto r = post(make_body("k1", chain), token1_);
  ASSERT_EQ(r->status, 200);
  auto reply = json_of(r);
  ASSERT_EQ(reply["rejected"].size(), 1u);
  EXPECT_NE(reply["rejected"][0]["error"].get<std::string>().find("unknown survey"),
            std::string::npos);
}

TEST_F(IngestTest, CommentLongerThanTheSurveyAllowsIsRejected) {
  auto chain = make_chain(kUnit, 1, 2);
  std::string comment;
  for (int i = 0; i < 501; ++i) comment += "ầ";  // 501 code points, 1503 bytes
  chain[1].comment = comment;
  chain[1].hash = compute_hash(chain[1]);
  auto reply = json_of(post(make_body("k1", chain), token1_));
  ASSERT_EQ(reply["rejected"].size(), 1u);
  EXPECT_NE(reply["rejected"][0]["error"].get<std::string>().find("comment"), std::string::npos);
}

// A NUL (\u0000 in the JSON) is kept by no storage alike: in a comment or a counter the response
// is rejected; quoted in an error, it is sent back and quarantined escaped. The rest is stored.
TEST_F(IngestTest, NulCharactersAreRejectedAndQuarantinedEscaped) {
  auto chain = make_chain(kUnit, 1, 4);
  chain[0].comment = std::string("a\0b", 3);
  chain[1].counter = std::string("Q\0", 2);
  chain[2].answers[0].criterion = std::string("x\0y", 3);
  for (int i = 0; i < 3; ++i) chain[i].hash = compute_hash(chain[i]);
  auto r = post(make_body("k1", chain), token1_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto reply = json_of(r);
  EXPECT_EQ(reply["accepted"], 1);
  ASSERT_EQ(reply["rejected"].size(), 3u);
  EXPECT_EQ(reply["rejected"][0]["error"], "responses[0].comment: contains a NUL character");
  EXPECT_EQ(reply["rejected"][1]["error"], "responses[1].counter: contains a NUL character");
  EXPECT_EQ(reply["rejected"][2]["error"],
            "responses[2].answers[0].criterion: unknown criterion \"x\\u0000y\"");
  EXPECT_EQ(stored(), 1);
  auto kept = store_->quarantine("k1", 10);
  ASSERT_TRUE(kept.is_ok());
  ASSERT_EQ(kept->size(), 3u);
  EXPECT_EQ(kept->front().error,
            "responses[2].answers[0].criterion: unknown criterion \"x\\u0000y\"");
  EXPECT_NE(kept->back().raw.find("a\\u0000b"), std::string::npos) << kept->back().raw;
}

TEST_F(IngestTest, GapShowsAsFindingAndIsAcknowledged) {
  auto chain = make_chain(kUnit, 1, 10);
  std::vector<Response> sent(chain.begin(), chain.begin() + 4);   // seqs 1–4
  sent.insert(sent.end(), chain.begin() + 6, chain.end());        // seqs 7–10
  auto r = post(make_body("k1", sent), token1_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["acked_seq"], 10);
  auto f = store_->findings("k1", 10);
  ASSERT_TRUE(f.is_ok());
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ(f->front().kind, "gap");
  EXPECT_EQ(f->front().seq, 5);
  EXPECT_NE(f->front().detail.find("5–6"), std::string::npos) << f->front().detail;
}

TEST_F(IngestTest, GapBetweenBatchesShowsAsFinding) {
  auto chain = make_chain(kUnit, 1, 10);
  ASSERT_EQ(post(make_body("k1", {chain.begin(), chain.begin() + 3}), token1_)->status, 200);
  auto r = post(make_body("k1", {chain.begin() + 4, chain.end()}), token1_);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json_of(r)["acked_seq"], 10);
  auto kinds = finding_kinds("k1");
  EXPECT_EQ(kinds, std::vector<std::string>{"gap"});
}

TEST_F(IngestTest, BrokenChainShowsAsFindingAndDataIsKept) {
  auto chain = make_chain(kUnit, 1, 5);
  chain[3].prev_hash = std::string(64, 'a');
  chain[3].hash = compute_hash(chain[3]);
  auto r = post(make_body("k1", chain), token1_);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["accepted"], 5);
  auto f = store_->findings("k1", 10);
  ASSERT_TRUE(f.is_ok());
  std::vector<std::string> kinds;
  for (const auto& x : *f) kinds.push_back(x.kind);
  // seq 4's link is broken, and seq 5's prev_hash no longer matches seq 4's new hash.
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "broken_chain"), 2);
}

TEST_F(IngestTest, BrokenLinkAcrossBatchesShowsAsFinding) {
  auto chain = make_chain(kUnit, 1, 4);
  ASSERT_EQ(post(make_body("k1", {chain.begin(), chain.begin() + 2}), token1_)->status, 200);
  auto rest = make_chain(kUnit, 3, 2, std::string(64, 'b'));
  ASSERT_EQ(post(make_body("k1", rest), token1_)->status, 200);
  EXPECT_EQ(finding_kinds("k1"), std::vector<std::string>{"broken_chain"});
}

TEST_F(IngestTest, HashNotMatchingContentShowsAsFinding) {
  auto chain = make_chain(kUnit, 1, 3);
  auto j = nlohmann::json::parse(make_body("k1", chain));
  j["responses"][2]["counter"] = "Q9";  // altered after hashing
  auto r = post(j.dump(), token1_);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["accepted"], 3);
  EXPECT_EQ(finding_kinds("k1"), std::vector<std::string>{"bad_hash"});
}

TEST_F(IngestTest, ClockSkewShowsAsFinding) {
  auto future = make_chain(kUnit, 1, 1, kGenesisHash, test_now() + std::chrono::hours(2));
  auto r = post(make_body("k1", future, test_now() + std::chrono::hours(3)), token1_);
  ASSERT_EQ(r->status, 200) << r->body;
  auto kinds = finding_kinds("k1");
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "clock_skew"), 2) << kinds.size();
  EXPECT_EQ(stored(), 1);
}

TEST_F(IngestTest, BurstOfIdenticalAnswersShowsAsFinding) {
  auto chain = make_chain(kUnit, 1, 6);
  std::string prev = kGenesisHash;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    chain[i].answers = {{"officer.polite", 5}, {"access.waiting_time", 5}};
    chain[i].started_at = test_now() - std::chrono::minutes(10) + std::chrono::seconds(15 * i);
    chain[i].submitted_at = chain[i].started_at + std::chrono::seconds(5);
    chain[i].prev_hash = prev;
    chain[i].hash = compute_hash(chain[i]);
    prev = chain[i].hash;
  }
  auto r = post(make_body("k1", chain), token1_);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["accepted"], 6);
  EXPECT_EQ(finding_kinds("k1"), std::vector<std::string>{"burst"});
}

TEST_F(IngestTest, KioskRestartingItsSeqsIsStoredWithFinding) {
  ASSERT_EQ(post(make_body("k1", make_chain(kUnit, 1, 3)), token1_)->status, 200);
  auto r = post(make_body("k1", make_chain(kUnit, 1, 2)), token1_);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json_of(r)["accepted"], 2);
  EXPECT_EQ(json_of(r)["acked_seq"], 3);
  auto kinds = finding_kinds("k1");
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "seq_reused"), 2);
  EXPECT_EQ(stored(), 5);
}

TEST_F(IngestTest, KiosksListNeedsBasicAuthAndShowsFindings) {
  auto chain = make_chain(kUnit, 1, 6);
  chain.erase(chain.begin() + 2);
  ASSERT_EQ(post(make_body("k1", chain), token1_)->status, 200);
  ASSERT_TRUE(store_->add_user({"admin", hash_secret("correct horse", 1000), std::nullopt}).is_ok());
  ASSERT_TRUE(store_->add_user({"tp", hash_secret("tu phap 123", 1000), std::string(kOtherUnit)})
                  .is_ok());

  auto c = client();
  auto anonymous = c.Get("/api/v1/kiosks");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_TRUE(anonymous->has_header("WWW-Authenticate"));
  c.set_basic_auth("admin", "wrong password");
  EXPECT_EQ(c.Get("/api/v1/kiosks")->status, 401);

  c.set_basic_auth("admin", "correct horse");
  auto r = c.Get("/api/v1/kiosks");
  ASSERT_EQ(r->status, 200) << r->body;
  auto list = json_of(r)["kiosks"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["kiosk_id"], "k1");
  EXPECT_EQ(list[0]["unit"], kUnit);
  EXPECT_EQ(list[0]["last_seq"], 6);
  EXPECT_EQ(list[0]["last_contact"], format_rfc3339(test_now()));
  EXPECT_EQ(list[0]["responses"], 5);
  EXPECT_EQ(list[0]["finding_counts"]["gap"], 1);
  EXPECT_EQ(list[0]["findings"][0]["kind"], "gap");
  EXPECT_EQ(list[0]["findings"][0]["seq"], 3);
  EXPECT_TRUE(list[1]["last_contact"].is_null());

  c.set_basic_auth("tp", "tu phap 123");
  auto scoped = c.Get("/api/v1/kiosks");
  ASSERT_EQ(scoped->status, 200);
  ASSERT_EQ(json_of(scoped)["kiosks"].size(), 1u);
  EXPECT_EQ(json_of(scoped)["kiosks"][0]["kiosk_id"], "k2");
}

TEST_F(IngestTest, HealthzAnswers) {
  auto r = client().Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json_of(r)["status"], "ok");
}

TEST_F(IngestTest, UnknownPathGetsJson404) {
  auto r = client().Get("/api/v1/nothing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(json_of(r).contains("error"));
}

TEST_F(IngestTest, RateLimitAnswers429WithRetryAfter) {
  stop_server();
  ServerOptions options;
  options.rate_per_second = 0.5;
  options.rate_burst = 2;
  start_server(options);
  auto chain = make_chain(kUnit, 1, 3);
  ASSERT_EQ(post(make_body("k1", {chain[0]}), token1_)->status, 200);
  ASSERT_EQ(post(make_body("k1", {chain[1]}), token1_)->status, 200);
  auto limited = post(make_body("k1", {chain[2]}), token1_);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->get_header_value("Retry-After"), "2");
  // Another kiosk has its own bucket.
  EXPECT_EQ(post(make_body("k2", make_chain(kOtherUnit, 1, 1)), token2_)->status, 200);
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(post(make_body("k1", {chain[2]}), token1_)->status, 200);
  EXPECT_EQ(stored(), 4);
}

TEST_F(IngestTest, AccessLogHasOneLinePerRequest) {
  auto log = restart_with_captured_log();
  ASSERT_EQ(post(make_body("k1", make_chain(kUnit, 1, 2)), token1_)->status, 200);
  ASSERT_EQ(client().Get("/healthz")->status, 200);
  stop_server();
  std::lock_guard lock(log->mutex);
  const auto* lines = &log->lines;
  ASSERT_EQ(lines->size(), 2u);
  // A line is written once its reply has gone out, so the client's next request can be logged
  // first: find each line by its request.
  const bool post_first = (*lines)[0].find("POST ") != std::string::npos;
  const std::string& post_line = (*lines)[post_first ? 0 : 1];
  const std::string& get_line = (*lines)[post_first ? 1 : 0];
  EXPECT_NE(post_line.find("POST /api/v1/batches 200 in="), std::string::npos) << post_line;
  EXPECT_NE(post_line.find("kiosk=k1"), std::string::npos) << post_line;
  EXPECT_NE(get_line.find("GET /healthz 200"), std::string::npos) << get_line;
  EXPECT_NE(get_line.find("kiosk=-"), std::string::npos) << get_line;
}

// A %0A in the path must not forge a second log line, nor an escape sequence reach a terminal.
TEST_F(IngestTest, AccessLogEscapesWhatTheRequestSent) {
  auto log = restart_with_captured_log();
  auto r = client().Get("/x%0A2026-11-29T00:00:00.000Z%20127.0.0.1%20GET%20/forged%20200%1B[2J");
  ASSERT_TRUE(r);
  stop_server();
  std::lock_guard lock(log->mutex);
  const auto* lines = &log->lines;
  ASSERT_EQ(lines->size(), 1u);
  const std::string& line = lines->front();
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  EXPECT_NE(line.find("/x\\x0a2026-11-29T00:00:00.000Z\\x20127.0.0.1"), std::string::npos) << line;
  EXPECT_NE(line.find("\\x1b[2J"), std::string::npos) << line;
}

TEST_F(IngestTest, ConcurrentKiosksAreAllStored) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      const std::string kiosk = t == 0 ? "k1" : "k2";
      const std::string& token = t == 0 ? token1_ : token2_;
      auto chain = make_chain(t == 0 ? kUnit : kOtherUnit, 1, 200);
      for (int b = 0; b < 4; ++b) {
        std::vector<Response> part(chain.begin() + b * 50, chain.begin() + (b + 1) * 50);
        auto r = post(make_body(kiosk, part), token);
        if (r && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(stored(), 400);
}

// A raw keep-alive connection: one request answered, then half of a second one sent before
// stop(); the rest arrives after stop() and must still be answered and stored.
TEST_F(IngestTest, StopFinishesTheRequestInFlight) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto send_all = [fd](const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      auto n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  };
  auto read_reply = [fd] {
    std::string reply;
    char buf[4096];
    while (reply.find("\r\n\r\n") == std::string::npos ||
           reply.find('}', reply.find("\r\n\r\n")) == std::string::npos) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      reply.append(buf, static_cast<std::size_t>(n));
    }
    return reply;
  };
  ASSERT_TRUE(send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_NE(read_reply().find("200 OK"), std::string::npos);
  // Give the worker a moment to go back to waiting on this connection.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  std::string body = make_body("k1", make_chain(kUnit, 1, 20));
  std::string head = "POST /api/v1/batches HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                     token1_ + "\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n";
  ASSERT_TRUE(send_all(head + body.substr(0, body.size() / 2)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::thread stopper([this] { server_->stop(); });
  stopper.join();
  ASSERT_TRUE(send_all(body.substr(body.size() / 2)));
  std::string reply = read_reply();
  ::close(fd);
  thread_.join();
  EXPECT_NE(reply.find("200 OK"), std::string::npos) << reply;
  EXPECT_NE(reply.find("\"accepted\":20"), std::string::npos) << reply;
  EXPECT_EQ(stored(), 20);
  EXPECT_TRUE(serve_status_.is_ok());
  // The listening socket is closed.
  httplib::Client late("127.0.0.1", port_);
  late.set_connection_timeout(2);
  EXPECT_FALSE(late.Get("/healthz"));
}

}  // namespace
}  // namespace sipas::test
