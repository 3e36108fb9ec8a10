// Raw TCP clients for the transport tests: what httplib::Client cannot do on purpose (stop in the
// middle of a header, hold a thousand connections, connect from another loopback address).
// Every call is bounded in time; nothing here throws.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>

namespace sipas::test {

// An open TCP connection; closed by the destructor.
class RawConnection {
 public:
  RawConnection() = default;
  explicit RawConnection(int fd) : fd_(fd) {}
  ~RawConnection() { close(); }
  RawConnection(RawConnection&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RawConnection& operator=(RawConnection&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Connects to 127.0.0.1:port, from `source` (another 127.x.y.z address) when given. Not open
  // (is_open() false) when the connection failed within `timeout`.
  static RawConnection open(int port, const char* source = nullptr,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return RawConnection();
    RawConnection c(fd);
    if (source) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      if (::inet_pton(AF_INET, source, &local.sin_addr) != 1 ||
          ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        return RawConnection();
      }
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (errno != EINPROGRESS) return RawConnection();
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return RawConnection();
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        return RawConnection();
      }
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return c;
  }

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Sends all of `data` within `timeout`.
  bool send(const std::string& data, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t done = 0;
    while (done < data.size()) {
      auto n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
      if (!wait(POLLOUT, deadline)) return false;
    }
    return true;
  }

  // Reads until `stop_at` appears after the end of the head, the peer closes, or `timeout`
  // passes; returns what arrived. *closed tells whether the peer closed the connection.
  std::string receive(std::chrono::milliseconds timeout, bool* closed = nullptr,
                      const std::string& stop_at = {}) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string out;
    if (closed) *closed = false;
    char buf[16384];
    for (;;) {
      if (!stop_at.empty()) {
        auto head_end = out.find("\r\n\r\n");
        if (head_end != std::string::npos && out.find(stop_at, head_end) != std::string::npos) {
          return out;
        }
      }
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        if (closed) *closed = true;
        return out;
      }
      if (!wait(POLLIN, deadline)) return out;
    }
  }

  // Whether the peer has closed the connection (or reset it) within `timeout`; data that arrives
  // meanwhile is read and dropped.
  bool closed_by_peer_within(std::chrono::milliseconds timeout) {
    bool closed = false;
    receive(timeout, &closed);
    return closed;
  }

 private:
  bool wait(short events, std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                      std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, events, 0};
    return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
  }

  int fd_ = -1;
};

// Raises this process's soft limit on open files to at least `wanted` (within the hard limit);
// returns the soft limit in force afterwards.
inline rlim_t raise_open_file_limit(rlim_t wanted) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < wanted) {
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, rl.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

}  // namespace sipas::test
