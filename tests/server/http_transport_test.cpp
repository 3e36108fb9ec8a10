// The transport on its own: a router with a few test routes on a real loopback port, driven by
// httplib::Client where it suffices and by raw sockets where a client has to misbehave. Deadlines
// in these tests are short and the bounds around them generous: what is asserted is that a thing
// happens, never how fast.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipas/crypto.hpp"
#include "sipas/server/http_transport.hpp"
#include "socket_support.hpp"
#include "temp_dir.hpp"
#include "tls_support.hpp"

namespace sipas::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kBound = 20s;  // what "eventually" means here

class TransportTest : public ::testing::Test {
 protected:
  void TearDown() override { stop(); }

  // Routes every test has, plus whatever `extra` adds.
  void start(http::TransportOptions options = {},
             const std::function<void(http::Router&)>& extra = {}) {
    http::Router router;
    router.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("hello " + req.get_param_value("name"), "text/plain");
    });
    router.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      nlohmann::json params = nlohmann::json::object();
      for (const auto& [k, v] : req.params) params[k] = v;
      res.set_content(nlohmann::json{{"body", req.body}, {"params", params}, {"path", req.path},
                                     {"remote", req.remote_addr}}
                          .dump(),
                      "application/json");
    });
    router.Get("/throw", [](const httplib::Request&, httplib::Response&) {
      throw std::runtime_error("boom");
    });
    router.set_error_formatter([](httplib::Response& res) {
      res.set_content(nlohmann::json{{"error", std::to_string(res.status)}}.dump(),
                      "application/json");
    });
    router.set_logger([this](const http::ExchangeRecord& r) {
      std::lock_guard lock(log_mutex_);
      log_.push_back(r.request.method + " " + r.request.path + " " + std::to_string(r.response.status) +
                     " " + r.subject);
    });
    if (extra) extra(router);
    transport_ = std::make_unique<http::HttpTransport>(std::move(router), options);
    auto port = transport_->bind("127.0.0.1", 0);
    ASSERT_TRUE(port.is_ok()) << port.status().message();
    port_ = *port;
    thread_ = std::thread([this] { serve_status_ = transport_->serve(); });
  }

  void stop() {
    if (transport_) transport_->stop();
    if (thread_.joinable()) thread_.join();
    transport_.reset();
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(20);
    c.set_read_timeout(20);
    return c;
  }

  // Whether a connection was refused: reset as soon as the kernel had accepted it (its connect
  // may then fail already), its request never answered.
  static bool refused(RawConnection c) {
    if (!c.is_open()) return true;
    c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    bool closed = false;
    std::string reply = c.receive(kBound, &closed);
    return closed && reply.empty();
  }

  std::vector<std::string> log() {
    std::lock_guard lock(log_mutex_);
    return log_;
  }

  // TLS options with a fresh self-signed certificate for `cn` in the test's directory.
  http::TransportOptions tls_options(const std::string& cn) {
    http::TransportOptions options;
    options.tls_cert_file = (dir_.path() / "cert.pem").string();
    options.tls_key_file = (dir_.path() / "key.pem").string();
    EXPECT_TRUE(write_self_signed(cn, options.tls_cert_file, options.tls_key_file));
    return options;
  }

  TempDir dir_;
  std::unique_ptr<http::HttpTransport> transport_;
  std::thread thread_;
  Status serve_status_;
  int port_ = 0;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(TransportTest, AnswersAGetWithItsQueryParameters) {
  start();
  auto r = client().Get("/hello?name=Lan%20Anh");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello Lan Anh");
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain");
}

TEST_F(TransportTest, FormFieldsOfAPostBodyBecomeParams) {
  start();
  auto r = client().Post("/echo", httplib::Params{{"user", "nguyễn văn an"}, {"next", "/a b"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["params"]["user"], "nguyễn văn an");
  EXPECT_EQ(j["params"]["next"], "/a b");
  EXPECT_EQ(j["remote"], "127.0.0.1");
}

TEST_F(TransportTest, PathIsUrlDecodedAsHttplibDoes) {
  start({}, [](http::Router& r) {
    r.Get("/a b", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.path, "text/plain");
    });
  });
  auto r = client().Get("/a%20b");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "/a b");
}

TEST_F(TransportTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  start();
  auto missing = client().Get("/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing->body)["error"], "404");
  auto wrong = client().Get("/echo");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "POST");
}

TEST_F(TransportTest, HandlerExceptionIs500) {
  start();
  auto r = client().Get("/throw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "500");
}

TEST_F(TransportTest, HeadAnswersTheGetRouteWithoutItsBody) {
  start();
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send("HEAD /hello?name=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  bool closed = false;
  std::string reply = c.receive(kBound, &closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_NE(reply.find("Content-Length: 7\r\n"), std::string::npos) << reply;
  EXPECT_EQ(reply.substr(reply.find("\r\n\r\n") + 4), "");
  EXPECT_TRUE(closed);
}

TEST_F(TransportTest, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
  start();
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  std::string requests;
  for (const char* name : {"a", "b", "c"}) {
    requests += std::string("GET /hello?name=") + name + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  ASSERT_TRUE(c.send(requests));
  std::string replies = c.receive(kBound, nullptr, "hello c");
  auto a = replies.find("hello a");
  auto b = replies.find("hello b");
  auto last = replies.find("hello c");
  ASSERT_NE(last, std::string::npos) << replies;
  EXPECT_LT(a, b);
  EXPECT_LT(b, last);
}

TEST_F(TransportTest, Expect100ContinueGetsTheGoAheadBeforeTheBody) {
  start();
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                     "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  std::string interim = c.receive(kBound, nullptr, "\r\n");
  EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u) << interim;
  ASSERT_TRUE(c.send("hello"));
  std::string reply = interim + c.receive(kBound, nullptr, "}");
  EXPECT_NE(reply.find("\"body\":\"hello\""), std::string::npos) << reply;
}

TEST_F(TransportTest, LargeTextRepliesAreGzippedForClientsThatAcceptIt) {
  start({}, [](http::Router& r) {
    r.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(100'000, 'x'), "text/html; charset=utf-8");
    });
  });
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send("GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"));
  std::string reply = c.receive(kBound);
  ASSERT_NE(reply.find("Content-Encoding: gzip\r\n"), std::string::npos) << reply.substr(0, 300);
  std::string body = reply.substr(reply.find("\r\n\r\n") + 4);
  std::string plain;
  ASSERT_TRUE(gzip_decompress(body, 1u << 20, &plain));
  EXPECT_EQ(plain, std::string(100'000, 'x'));
  // httplib's client asks for gzip and inflates it.
  auto r = client().Get("/big");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.size(), 100'000u);
}

TEST_F(TransportTest, ChunkedContentProviderIsStreamedPieceByPiece) {
  start({}, [](http::Router& r) {
    r.Get("/stream", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/csv", [](std::size_t offset, httplib::DataSink& sink) {
        int row = static_cast<int>(offset / 8);
        if (row == 1000) {
          sink.done();
          return true;
        }
        char line[16];
        std::snprintf(line, sizeof line, "row%04d\n", row);
        sink.write(line, 8);
        return true;
      });
    });
  });
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string reply = c.receive(kBound, nullptr, "0\r\n\r\n");
  EXPECT_NE(reply.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << reply.substr(0, 300);
  EXPECT_NE(reply.find("8\r\nrow0999\n\r\n0\r\n\r\n"), std::string::npos);
  auto r = client().Get("/stream");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->body.size(), 8000u);
  EXPECT_EQ(r->body.substr(0, 16), "row0000\nrow0001\n");
}

TEST_F(TransportTest, ContentProviderWithLengthIsStreamedWithContentLength) {
  std::atomic<bool> released{false};
  std::atomic<bool> succeeded{false};
  start({}, [&](http::Router& r) {
    r.Get("/sized", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(
          30000, "application/octet-stream",
          [](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
            std::string piece(std::min<std::size_t>(length, 4096), static_cast<char>('a' + offset % 26));
            sink.write(piece.data(), piece.size());
            return true;
          },
          [&](bool success) {
            succeeded = success;
            released = true;
          });
    });
  });
  auto r = client().Get("/sized");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Length"), "30000");
  EXPECT_EQ(r->body.size(), 30000u);
  stop();
  EXPECT_TRUE(released);
  EXPECT_TRUE(succeeded);
}

TEST_F(TransportTest, CheckedPostIsRefusedFromItsHeadWithoutReadingTheBody) {
  std::atomic<int> handled{0};
  start({}, [&](http::Router& r) {
    r.PostChecked("/upload", [&](const httplib::Request& head, httplib::Response& res) -> http::Handler {
      http::set_log_subject("who");
      if (head.get_header_value("Authorization") != "yes") {
        res.status = 401;
        return nullptr;
      }
      return [&](const httplib::Request& req, httplib::Response& reply) {
        ++handled;
        reply.set_content(std::to_string(req.body.size()), "text/plain");
      };
    });
  });
  // Headers announcing a megabyte, and no body at all: the refusal comes anyway.
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"));
  bool closed = false;
  std::string reply = c.receive(kBound, &closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 401", 0), 0u) << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos);
  EXPECT_EQ(handled, 0);
  auto ok = client().Post("/upload", {{"Authorization", "yes"}}, std::string(1000, 'x'), "text/plain");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->body, "1000");
  stop();
  auto lines = log();
  EXPECT_NE(std::find(lines.begin(), lines.end(), "POST /upload 401 who"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "POST /upload 200 who"), lines.end());
}

// Uploads stuck behind the store (here: handlers waiting for the test) leave workers for the
// other routes.
TEST_F(TransportTest, UploadsWaitingOnTheStoreLeaveWorkersForOtherRoutes) {
  std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  std::atomic<int> waiting{0};
  http::TransportOptions options;
  options.worker_threads = 4;
  start(options, [&](http::Router& r) {
    r.PostChecked("/upload", [&](const httplib::Request&, httplib::Response&) -> http::Handler {
      return [&](const httplib::Request&, httplib::Response& res) {
        ++waiting;
        std::unique_lock lock(mutex);
        released_cv.wait(lock, [&] { return released; });
        res.set_content("stored", "text/plain");
      };
    });
  });
  std::vector<std::thread> uploads;
  std::atomic<int> stored{0};
  for (int i = 0; i < 6; ++i) {
    uploads.emplace_back([&] {
      auto r = client().Post("/upload", std::string(100, 'x'), "text/plain");
      if (r && r->body == "stored") ++stored;
    });
  }
  for (auto until = std::chrono::steady_clock::now() + kBound;
       waiting < 3 && std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(waiting, 3) << "three of the four workers take uploads";
  auto r = client().Get("/hello?name=monitor");
  ASSERT_TRUE(r) << "no worker was left for GET /hello";
  EXPECT_EQ(r->body, "hello monitor");
  {
    std::lock_guard lock(mutex);
    released = true;
  }
  released_cv.notify_all();
  for (auto& t : uploads) t.join();
  EXPECT_EQ(stored, 6);
}

TEST_F(TransportTest, HeadThatDoesNotArriveWholeInTimeIsClosed) {
  http::TransportOptions options;
  options.header_timeout = 500ms;
  start(options);
  // One byte every 100 ms: each read is quick, the head as a whole is not.
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  std::string head = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(400, 'a');
  bool closed = false;
  auto until = std::chrono::steady_clock::now() + kBound;
  for (std::size_t i = 0; i < head.size() && std::chrono::steady_clock::now() < until; ++i) {
    if (!c.send(head.substr(i, 1))) {
      closed = true;
      break;
    }
    if (c.closed_by_peer_within(100ms)) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed) << "a head trickled byte by byte was never cut off";
}

TEST_F(TransportTest, SlowHeaderClientIsClosedAfterTheHeaderTimeout) {
  http::TransportOptions options;
  options.header_timeout = 300ms;
  start(options);
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\n"));
  bool closed = false;
  std::string reply = c.receive(kBound, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(reply, "") << "a timed-out head gets no reply";
}

TEST_F(TransportTest, IdleKeptAliveConnectionIsClosedAfterTheIdleTimeout) {
  http::TransportOptions options;
  options.idle_timeout = 300ms;
  options.header_timeout = 60s;
  start(options);
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send("GET /hello?name=a HTTP/1.1\r\nHost: x\r\n\r\n"));
  bool closed = false;
  std::string reply = c.receive(kBound, &closed);
  EXPECT_NE(reply.find("hello a"), std::string::npos);
  EXPECT_NE(reply.find("Keep-Alive: timeout=1,"), std::string::npos) << reply;
  EXPECT_TRUE(closed);
}

TEST_F(TransportTest, BodyThatDoesNotArriveInTimeIsClosed) {
  http::TransportOptions options;
  options.body_timeout = 300ms;
  start(options);
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf"));
  EXPECT_TRUE(c.closed_by_peer_within(kBound));
}

TEST_F(TransportTest, ConnectionOverThePerAddressLimitIsRefused) {
  http::TransportOptions options;
  options.max_connections_per_address = 3;
  options.header_timeout = 60s;
  start(options);
  std::vector<RawConnection> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(RawConnection::open(port_, "127.0.0.2"));
    ASSERT_TRUE(held.back().is_open());
  }
  // The first three are served.
  ASSERT_TRUE(held[0].send("GET /hello?name=a HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(held[0].receive(kBound, nullptr, "hello a").find("hello a"), std::string::npos);
  EXPECT_TRUE(refused(RawConnection::open(port_, "127.0.0.2")));
  // Another address is not affected.
  auto other = RawConnection::open(port_, "127.0.0.3");
  ASSERT_TRUE(other.is_open());
  ASSERT_TRUE(other.send("GET /hello?name=c HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(other.receive(kBound, nullptr, "hello c").find("hello c"), std::string::npos);
  // A slot freed is a slot to use again.
  held.pop_back();
  std::string again;
  for (auto until = std::chrono::steady_clock::now() + kBound;
       again.find("hello d") == std::string::npos && std::chrono::steady_clock::now() < until;) {
    auto next = RawConnection::open(port_, "127.0.0.2");
    if (next.is_open() && next.send("GET /hello?name=d HTTP/1.1\r\nHost: x\r\n\r\n")) {
      again = next.receive(2s, nullptr, "hello d");
    }
  }
  EXPECT_NE(again.find("hello d"), std::string::npos);
}

TEST_F(TransportTest, ConnectionOverTheTotalLimitIsRefused) {
  http::TransportOptions options;
  options.max_connections = 2;
  options.header_timeout = 60s;
  start(options);
  auto a = RawConnection::open(port_);
  auto b = RawConnection::open(port_, "127.0.0.2");
  ASSERT_TRUE(a.is_open() && b.is_open());
  ASSERT_TRUE(a.send("GET /hello?name=a HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(a.receive(kBound, nullptr, "hello a").find("hello a"), std::string::npos);
  EXPECT_TRUE(refused(RawConnection::open(port_, "127.0.0.3")));
}

TEST_F(TransportTest, OversizedHeadIs431AndClosed) {
  http::TransportOptions options;
  options.max_header_bytes = 4096;
  start(options);
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\nCookie: " + std::string(8000, 'c') +
                     "\r\n\r\n"));
  bool closed = false;
  std::string reply = c.receive(kBound, &closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 431", 0), 0u) << reply;
  EXPECT_TRUE(closed);
}

TEST_F(TransportTest, TooManyHeaderFieldsIs431AndClosed) {
  http::TransportOptions options;
  options.max_header_count = 10;
  start(options);
  std::string head = "GET /hello HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20; ++i) head += "X-Field-" + std::to_string(i) + ": v\r\n";
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send(head + "\r\n"));
  bool closed = false;
  std::string reply = c.receive(kBound, &closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 431", 0), 0u) << reply;
  EXPECT_TRUE(closed);
}

TEST_F(TransportTest, BodyOverTheLimitIs413WithoutReadingIt) {
  http::TransportOptions options;
  options.max_body_bytes = 1000;
  start(options);
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"));
  bool closed = false;
  std::string reply = c.receive(kBound, &closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
}

TEST_F(TransportTest, MalformedRequestIs400) {
  start();
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  ASSERT_TRUE(c.send("GET /hello HTTP/9.9\r\n\r\n"));
  bool closed = false;
  std::string reply = c.receive(kBound, &closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_TRUE(closed);
}

TEST_F(TransportTest, StopClosesIdleConnectionsAndServeReturns) {
  http::TransportOptions options;
  options.idle_timeout = 600s;
  options.header_timeout = 600s;
  start(options);
  std::vector<RawConnection> idle;
  for (int i = 0; i < 20; ++i) {
    idle.push_back(RawConnection::open(port_));
    ASSERT_TRUE(idle.back().is_open());
    if (i % 2 == 0) {
      ASSERT_TRUE(idle.back().send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
      idle.back().receive(kBound, nullptr, "hello");
    }
  }
  transport_->stop();
  thread_.join();
  EXPECT_TRUE(serve_status_.is_ok());
  for (auto& c : idle) EXPECT_TRUE(c.closed_by_peer_within(kBound));
}

TEST_F(TransportTest, HttpsServesRequestsWithTheGivenCertificate) {
  start(tls_options("sipas-a"));
  TlsClient c(port_);
  ASSERT_TRUE(c.open());
  EXPECT_EQ(c.peer_name(), "sipas-a");
  std::string reply = c.exchange("GET /hello?name=tls HTTP/1.1\r\nHost: x\r\n\r\n", "hello tls");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_NE(reply.find("hello tls"), std::string::npos);
  // Kept alive under TLS as well.
  reply = c.exchange("GET /hello?name=again HTTP/1.1\r\nHost: x\r\n\r\n", "hello again");
  EXPECT_NE(reply.find("hello again"), std::string::npos) << reply;
  // Plain HTTP on the HTTPS port gets no HTTP reply.
  auto plain = RawConnection::open(port_);
  ASSERT_TRUE(plain.is_open());
  ASSERT_TRUE(plain.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  bool closed = false;
  EXPECT_EQ(plain.receive(kBound, &closed).find("HTTP/1.1"), std::string::npos);
  EXPECT_TRUE(closed);
}

TEST_F(TransportTest, HttpsHandshakeThatNeverComesIsClosedAtTheHeaderDeadline) {
  auto options = tls_options("sipas-a");
  options.header_timeout = 300ms;
  start(options);
  auto c = RawConnection::open(port_);
  ASSERT_TRUE(c.is_open());
  EXPECT_TRUE(c.closed_by_peer_within(kBound));
}

TEST_F(TransportTest, ReloadedCertificateGoesToNewConnectionsWhileOpenOnesGoOn) {
  auto options = tls_options("sipas-a");
  start(options);
  TlsClient before(port_);
  ASSERT_TRUE(before.open());
  EXPECT_EQ(before.peer_name(), "sipas-a");
  ASSERT_TRUE(write_self_signed("sipas-b", options.tls_cert_file, options.tls_key_file));
  ASSERT_TRUE(transport_->reload_tls().is_ok());
  TlsClient after(port_);
  ASSERT_TRUE(after.open());
  EXPECT_EQ(after.peer_name(), "sipas-b");
  std::string reply = before.exchange("GET /hello?name=old HTTP/1.1\r\nHost: x\r\n\r\n", "hello old");
  EXPECT_NE(reply.find("hello old"), std::string::npos) << reply;
}

TEST_F(TransportTest, ReloadThatFailsKeepsTheCertificateInUse) {
  auto options = tls_options("sipas-a");
  start(options);
  {
    std::FILE* f = std::fopen(options.tls_cert_file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("not a certificate\n", f);
    std::fclose(f);
  }
  Status s = transport_->reload_tls();
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find(options.tls_cert_file), std::string::npos) << s.message();
  TlsClient c(port_);
  ASSERT_TRUE(c.open());
  EXPECT_EQ(c.peer_name(), "sipas-a");
}

TEST_F(TransportTest, BindWithAnUnreadableCertificateFailsNamingTheFile) {
  http::TransportOptions options;
  options.tls_cert_file = (dir_.path() / "missing.pem").string();
  options.tls_key_file = (dir_.path() / "missing-key.pem").string();
  http::HttpTransport t(http::Router{}, options);
  auto r = t.bind("127.0.0.1", 0);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("missing.pem"), std::string::npos) << r.status().message();
  http::HttpTransport plain(http::Router{}, {});
  ASSERT_TRUE(plain.bind("127.0.0.1", 0).is_ok());
  EXPECT_FALSE(plain.reload_tls().is_ok()) << "nothing to reload without HTTPS";
}

TEST_F(TransportTest, ServeReturnsAtOnceWhenStopCameFirst) {
  http::Router router;
  http::HttpTransport t(std::move(router), {});
  ASSERT_TRUE(t.bind("127.0.0.1", 0).is_ok());
  t.stop();
  EXPECT_TRUE(t.serve().is_ok());
}

TEST_F(TransportTest, BindToAnAddressInUseFailsWithAClearMessage) {
  start();
  http::HttpTransport other(http::Router{}, {});
  auto r = other.bind("127.0.0.1", port_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace sipas::test
