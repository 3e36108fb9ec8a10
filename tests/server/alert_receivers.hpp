// The other ends of alert delivery, inside the test process and on loopback only: a webhook
// receiver (HTTP on 127.0.0.1, every request kept) and an SMTP sink speaking enough ESMTP with
// STARTTLS (OpenSSL, a certificate from tls_support.hpp) to take messages. Both start and stop
// with the object; every socket wait is bounded (10 s), and stop() ends them within 100 ms.
#pragma once

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sipas::test {

// A free TCP port on 127.0.0.1 now (for a receiver that starts later on a known address).
inline int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

struct WebhookRequest {
  std::string body, signature, timestamp, event, delivery;
};

class WebhookReceiver {
 public:
  // Listens on 127.0.0.1:port (0: any free one); answers `status` to every POST /hook. With
  // `cert_file` and `key_file` (PEM) it speaks HTTPS.
  explicit WebhookReceiver(int port = 0, int status = 200, const std::string& cert_file = "",
                           const std::string& key_file = "")
      : https_(!cert_file.empty()) {
    if (https_) {
      server_ = std::make_unique<httplib::SSLServer>(cert_file.c_str(), key_file.c_str());
    } else {
      server_ = std::make_unique<httplib::Server>();
    }
    server_->Post("/hook", [this, status](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back({req.body, req.get_header_value("Sipas-Signature"),
                           req.get_header_value("Sipas-Timestamp"),
                           req.get_header_value("Sipas-Event"),
                           req.get_header_value("Sipas-Delivery")});
      res.status = status;
    });
    port_ = port == 0 ? server_->bind_to_any_port("127.0.0.1")
                      : (server_->bind_to_port("127.0.0.1", port) ? port : -1);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }
  ~WebhookReceiver() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  std::string url() const {
    return std::string(https_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + "/hook";
  }
  std::vector<WebhookRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  bool https_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = -1;
  std::mutex mutex_;
  std::vector<WebhookRequest> requests_;
};

struct MailMessage {
  std::string from, to, data;
};

class SmtpSink {
 public:
  SmtpSink(const std::string& cert_file, const std::string& key_file) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (!ctx_ || SSL_CTX_use_certificate_file(ctx_, cert_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return;
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0) {
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~SmtpSink() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    if (ctx_) SSL_CTX_free(ctx_);
  }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::vector<MailMessage> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  // Commands that arrived before STARTTLS (EHLO and STARTTLS only, if the client behaves).
  std::vector<std::string> plain_commands() {
    std::lock_guard lock(mutex_);
    return plain_;
  }

 private:
  struct Conn {
    int fd = -1;
    SSL* ssl = nullptr;
    bool send(const std::string& line) {
      const std::string out = line + "\r\n";
      if (ssl) return SSL_write(ssl, out.data(), static_cast<int>(out.size())) > 0;
      return ::send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size());
    }
    bool read_line(std::string& line) {
      line.clear();
      char c = 0;
      while (line.size() < 65536) {
        const long n = ssl ? SSL_read(ssl, &c, 1) : ::recv(fd, &c, 1, 0);
        if (n <= 0) return false;
        if (c == '\n') {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          return true;
        }
        line.push_back(c);
      }
      return false;
    }
  };

  void accept_loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      timeval tv{10, 0};
      ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      serve(client);
      ::close(client);
    }
  }

  void serve(int fd) {
    Conn c{fd, nullptr};
    MailMessage m;
    std::string line;
    c.send("220 sink ESMTP");
    while (!stop_ && c.read_line(line)) {
      std::string verb = line.substr(0, 4);
      for (auto& ch : verb) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (!c.ssl) {
        std::lock_guard lock(mutex_);
        plain_.push_back(verb);
      }
      if (verb == "EHLO") {
        c.send(c.ssl ? "250-sink\r\n250 8BITMIME" : "250-sink\r\n250-8BITMIME\r\n250 STARTTLS");
      } else if (verb == "HELO" || verb == "RSET" || verb == "NOOP") {
        c.send("250 OK");
      } else if (verb == "STAR" && !c.ssl) {
        c.send("220 Ready to start TLS");
        c.ssl = SSL_new(ctx_);
        SSL_set_fd(c.ssl, fd);
        if (SSL_accept(c.ssl) != 1) break;
      } else if (verb == "MAIL" || verb == "RCPT") {
        if (!c.ssl) {
          c.send("530 Must issue a STARTTLS command first");
          continue;
        }
        (verb == "MAIL" ? m.from : m.to) = line.substr(line.find(':') + 1);
        c.send("250 OK");
      } else if (verb == "DATA") {
        c.send("354 End data with <CR><LF>.<CR><LF>");
        std::string data;
        bool done = false;
        while (c.read_line(line)) {
          if (line == ".") {
            done = true;
            break;
          }
          if (!line.empty() && line[0] == '.') line.erase(0, 1);
          data += line + "\r\n";
        }
        if (!done) break;
        m.data = data;
        {
          std::lock_guard lock(mutex_);
          messages_.push_back(m);
        }
        c.send("250 OK queued");
      } else if (verb == "QUIT") {
        c.send("221 Bye");
        break;
      } else {
        c.send("502 Command not implemented");
      }
    }
    if (c.ssl) {
      SSL_shutdown(c.ssl);
      SSL_free(c.ssl);
    }
  }

  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  int port_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<MailMessage> messages_;
  std::vector<std::string> plain_;
};

// Waits (at most `limit`, checking every 20 ms) for `done`; whether it came true.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace sipas::test
