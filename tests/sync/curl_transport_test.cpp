#include "sipas/sync/curl_transport.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <condition_variable>
#include <set>
#include <thread>

#include "sipas/sync/uploader.hpp"
#include "sync_test_support.hpp"

namespace sipas {
namespace {

using namespace std::chrono_literals;

// A real cpp-httplib server on a free loopback port, running on its own thread.
class LoopbackServer {
 public:
  LoopbackServer() {
    server_.set_keep_alive_max_count(1000);
    port_ = server_.bind_to_any_port("127.0.0.1");
  }
  ~LoopbackServer() { stop(); }
  void start() {
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  httplib::Server& server() { return server_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
};

// Accepts connections on a free loopback port, reads one request from each, writes the start of
// a reply announcing more body than it sends, and closes the connection.
class HalfReplyServer {
 public:
  HalfReplyServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~HalfReplyServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) continue;
      std::string request;
      char buf[65536];
      std::size_t need = std::string::npos;
      for (int rounds = 0; rounds < 1000; ++rounds) {
        pollfd c{conn, POLLIN, 0};
        if (::poll(&c, 1, 2000) <= 0) break;
        ssize_t n = ::read(conn, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
        auto end = request.find("\r\n\r\n");
        if (end != std::string::npos && need == std::string::npos) {
          auto cl = request.find("Content-Length: ");
          std::size_t body = cl == std::string::npos ? 0 : std::stoul(request.substr(cl + 16));
          need = end + 4 + body;
        }
        if (need != std::string::npos && request.size() >= need) break;
      }
      ++requests_;
      const std::string half =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 90\r\n\r\n"
          "{\"accepted\": 3, \"duplicates\": 0, ";
      ssize_t written = ::write(conn, half.data(), half.size());
      (void)written;
      ::close(conn);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// A port nothing listens on: bound once by the kernel's choice, then released.
int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A self-signed certificate for 127.0.0.1, made in memory; its PEM is the test's CA file.
struct SelfSigned {
  SelfSigned() {
    key = EVP_RSA_gen(2048);
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600 * 24);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(cert, key, EVP_sha256());
  }
  ~SelfSigned() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  void write_pem(const std::filesystem::path& path) const {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    PEM_write_X509(f, cert);
    std::fclose(f);
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

class CurlUploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = test::open_store(dir_ / "kiosk.db");
    ASSERT_NE(store_, nullptr);
    test::write_token(dir_ / "kiosk.token", "real-token");
  }

  std::unique_ptr<CurlTransport> transport(std::chrono::milliseconds total = 5s) {
    CurlOptions o;
    o.connect_timeout = 2s;
    o.total_timeout = total;
    auto t = CurlTransport::create(o);
    EXPECT_TRUE(t.is_ok()) << t.status().to_string();
    return t.is_ok() ? std::move(t).value() : nullptr;
  }

  std::unique_ptr<BatchUploader> uploader(HttpTransport& t, const std::string& url,
                                          int batch_size = 500) {
    UploaderOptions o;
    o.kiosk_id = "kiosk-01";
    o.server_url = url;
    o.token_file = dir_ / "kiosk.token";
    o.batch_size = batch_size;
    auto u = BatchUploader::create(o, *store_, t, clock_);
    EXPECT_TRUE(u.is_ok()) << u.status().to_string();
    return u.is_ok() ? std::move(u).value() : nullptr;
  }

  std::int64_t pending() {
    auto n = store_->pending_count();
    return n.is_ok() ? *n : -1;
  }

  test::TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<ResponseStore> store_;
};

TEST_F(CurlUploadTest, GzipBodyArrivesAndDecodesOnARealServer) {
  test::append_responses(*store_, 40);
  test::ServerModel model;
  LoopbackServer server;
  std::mutex mutex;
  std::vector<std::string> encodings, auths;
  std::vector<std::size_t> wire_sizes, plain_sizes;
  server.server().Post("/api/v1/batches", [&](const httplib::Request& req, httplib::Response& res) {
    auto batch = nlohmann::json::parse(req.body, nullptr, false);
    {
      std::lock_guard lock(mutex);
      encodings.push_back(req.get_header_value("Content-Encoding"));
      auths.push_back(req.get_header_value("Authorization"));
      wire_sizes.push_back(std::stoul(req.has_header("Content-Length") ? req.get_header_value("Content-Length") : std::string("0")));
      plain_sizes.push_back(req.body.size());
    }
    if (batch.is_discarded()) {
      res.status = 400;
      res.set_content(R"({"error":"malformed"})", "application/json");
      return;
    }
    HttpResponse reply = model.answer(batch);
    res.status = reply.status;
    res.set_content(reply.body, "application/json");
  });
  server.start();
  auto t = transport();

  PassReport report = uploader(*t, server.url(), 25)->sync_once();

  ASSERT_TRUE(report.status.is_ok()) << report.status.to_string();
  EXPECT_EQ(model.stored(), 40);
  EXPECT_EQ(pending(), 0);
  ASSERT_EQ(encodings.size(), 2u);
  for (std::size_t i = 0; i < encodings.size(); ++i) {
    EXPECT_EQ(encodings[i], "gzip");
    EXPECT_EQ(auths[i], "Bearer real-token");
    EXPECT_LT(wire_sizes[i], plain_sizes[i] / 2) << "the body on the wire should be compressed";
  }
}

TEST_F(CurlUploadTest, ConsecutiveBatchesReuseOneKeptAliveConnection) {
  test::append_responses(*store_, 12);
  test::ServerModel model;
  LoopbackServer server;
  std::mutex mutex;
  std::set<int> client_ports;
  server.server().Post("/api/v1/batches", [&](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard lock(mutex);
      client_ports.insert(req.remote_port);
    }
    HttpResponse reply = model.answer(nlohmann::json::parse(req.body));
    res.status = reply.status;
    res.set_content(reply.body, "application/json");
  });
  server.start();
  auto t = transport();

  PassReport report = uploader(*t, server.url(), 2)->sync_once();

  ASSERT_TRUE(report.status.is_ok()) << report.status.to_string();
  EXPECT_EQ(report.batches, 6);
  EXPECT_EQ(client_ports.size(), 1u) << "every batch should come over the same connection";
  EXPECT_EQ(t->stats().requests, 6);
  EXPECT_EQ(t->stats().connections, 1);
  EXPECT_GT(t->stats().bytes_sent, 0);
  EXPECT_GT(t->stats().bytes_received, 0);
}

TEST_F(CurlUploadTest, ServerHangingPastTheTimeoutLeavesEverythingPending) {
  test::append_responses(*store_, 5);
  LoopbackServer server;
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> hits{0};
  server.server().Post("/api/v1/batches", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    std::unique_lock lock(mutex);
    cv.wait_for(lock, 20s, [&] { return release; });
    res.status = 200;
    res.set_content(R"({"accepted":5,"duplicates":0,"rejected":[],"acked_seq":5})",
                    "application/json");
  });
  server.start();
  auto t = transport(1s);

  PassReport report = uploader(*t, server.url())->sync_once();
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  cv.notify_all();

  EXPECT_FALSE(report.status.is_ok());
  EXPECT_EQ(report.http_status, 0);
  EXPECT_NE(report.status.message().find("imed out"), std::string::npos)
      << report.status.message();
  EXPECT_EQ(hits.load(), 1);
  EXPECT_EQ(pending(), 5);
  EXPECT_GT(report.retry_after, 0ms);
}

TEST_F(CurlUploadTest, ConnectionClosedMidReplyLeavesEverythingPending) {
  test::append_responses(*store_, 3);
  HalfReplyServer server;
  auto t = transport();

  PassReport report = uploader(*t, server.url())->sync_once();

  EXPECT_FALSE(report.status.is_ok());
  EXPECT_EQ(report.http_status, 0);
  EXPECT_GE(server.requests(), 1);
  EXPECT_EQ(pending(), 3);
  auto state = read_sync_state(*store_);
  ASSERT_TRUE(state.is_ok());
  EXPECT_NE(state->last_error.find("server unreachable"), std::string::npos) << state->last_error;
}

TEST_F(CurlUploadTest, ServerErrorFromARealServerLeavesEverythingPending) {
  test::append_responses(*store_, 3);
  LoopbackServer server;
  server.server().Post("/api/v1/batches", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 500;
    res.set_content(R"({"error":"disk I/O error"})", "application/json");
  });
  server.start();
  auto t = transport();

  PassReport report = uploader(*t, server.url())->sync_once();

  EXPECT_FALSE(report.status.is_ok());
  EXPECT_EQ(report.http_status, 500);
  EXPECT_EQ(report.status.message(), "server answered HTTP 500: disk I/O error");
  EXPECT_EQ(pending(), 3);
}

TEST_F(CurlUploadTest, RefusedConnectionIsUnavailable) {
  auto t = transport();
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(unused_port()) + "/api/v1/batches";
  request.body = "{}";
  auto r = t->send(request);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::unavailable);
}

TEST_F(CurlUploadTest, ResponseHeadersAreLowercasedAndBodyKept) {
  LoopbackServer server;
  server.server().Get("/healthz", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Retry-After", "7");
    res.set_content("ok", "text/plain");
  });
  server.start();
  auto t = transport();
  HttpRequest request;
  request.method = "GET";
  request.url = server.url() + "/healthz";
  auto r = t->send(request);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(r->headers["retry-after"], "7");
  EXPECT_EQ(r->headers["content-type"], "text/plain");
}

TEST_F(CurlUploadTest, TlsPeerIsVerifiedAgainstTheConfiguredCaFile) {
  SelfSigned tls;
  tls.write_pem(dir_ / "ca.pem");
  httplib::SSLServer server(tls.cert, tls.key);
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  HttpRequest request;
  request.method = "GET";
  request.url = "https://127.0.0.1:" + std::to_string(port) + "/healthz";

  CurlOptions trusting;
  trusting.ca_file = (dir_ / "ca.pem").string();
  trusting.connect_timeout = 5s;
  trusting.total_timeout = 10s;
  auto with_ca = CurlTransport::create(trusting);
  ASSERT_TRUE(with_ca.is_ok());
  auto ok = (*with_ca)->send(request);

  CurlOptions system_store = trusting;
  system_store.ca_file.clear();
  auto without_ca = CurlTransport::create(system_store);
  ASSERT_TRUE(without_ca.is_ok());
  auto refused = (*without_ca)->send(request);

  // Closing the clients' kept-alive connections first lets the server stop at once.
  with_ca->reset();
  without_ca->reset();
  server.stop();
  thread.join();
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(ok->body, "ok");
  ASSERT_FALSE(refused.is_ok()) << "a certificate no trusted CA signed must be refused";
  EXPECT_EQ(refused.status().code(), ErrorCode::unavailable);
}

TEST_F(CurlUploadTest, HttpsUrlToAPlainHttpListenerFailsWithoutFallingBackToCleartext) {
  LoopbackServer server;
  server.server().Get("/healthz", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  server.start();
  auto t = transport();
  HttpRequest request;
  request.method = "GET";
  request.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/healthz";
  auto r = t->send(request);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::unavailable);
}

TEST_F(CurlUploadTest, OnlyHttpAndHttpsUrlsAreUsed) {
  auto t = transport();
  HttpRequest request;
  request.url = "file:///etc/passwd";
  auto r = t->send(request);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::unavailable);
}

}  // namespace
}  // namespace sipas
