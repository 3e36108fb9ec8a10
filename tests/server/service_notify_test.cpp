#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

#include "server_test_support.hpp"
#include "sipas/server/service_notify.hpp"

namespace sipas::test {
namespace {

// A stand-in for systemd's notification socket: a datagram socket in a temporary directory whose
// path goes into NOTIFY_SOCKET (and WATCHDOG_USEC/WATCHDOG_PID when asked), restored afterwards.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& dir, long watchdog_usec = 0) {
    path_ = (dir / "notify").string();
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    if (watchdog_usec > 0) {
      ::setenv("WATCHDOG_USEC", std::to_string(watchdog_usec).c_str(), 1);
      ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    }
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    ::close(fd_);
  }
  // Every message that arrives within `wait`, concatenated with "|" between them.
  std::string read_for(std::chrono::milliseconds wait) {
    std::string all;
    const auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      timeval tv{0, 20'000};
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char buf[512];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        if (!all.empty()) all += "|";
        all.append(buf, static_cast<std::size_t>(n));
      }
    }
    return all;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST(ServiceNotifyTest, NothingHappensWithoutANotifySocket) {
  ::unsetenv("NOTIFY_SOCKET");
  int probes = 0;
  ServiceNotifier n("serving", [&] {
    ++probes;
    return Status::ok();
  });
  EXPECT_EQ(n.ping_interval().count(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(probes, 0);
}

TEST(ServiceNotifyTest, ReadyWithStatusThenStoppingWithoutWatchdog) {
  TempDir dir;
  NotifySocket socket(dir.path());
  {
    ServiceNotifier n("serving on port 8080", [] { return Status::ok(); });
    EXPECT_EQ(n.ping_interval().count(), 0);
    EXPECT_EQ(socket.read_for(std::chrono::milliseconds(100)), "READY=1\nSTATUS=serving on port 8080");
  }
  EXPECT_EQ(socket.read_for(std::chrono::milliseconds(100)), "STOPPING=1");
}

TEST(ServiceNotifyTest, PingsAtHalfTheWatchdogIntervalWhileHealthy) {
  TempDir dir;
  NotifySocket socket(dir.path(), 200'000);
  std::atomic<bool> healthy{true};
  ServiceNotifier n("serving", [&] {
    return healthy ? Status::ok() : Status::error(ErrorCode::busy, "db: locked");
  });
  EXPECT_EQ(n.ping_interval(), std::chrono::microseconds(100'000));
  const std::string first = socket.read_for(std::chrono::milliseconds(450));
  EXPECT_EQ(first.rfind("READY=1", 0), 0u) << first;
  EXPECT_GE(count(first, "WATCHDOG=1"), 3) << first;
  EXPECT_LE(count(first, "WATCHDOG=1"), 6) << first;
  healthy = false;
  socket.read_for(std::chrono::milliseconds(120));
  const std::string sick = socket.read_for(std::chrono::milliseconds(300));
  EXPECT_EQ(count(sick, "WATCHDOG=1"), 0) << sick;
  EXPECT_NE(sick.find("STATUS=unhealthy: db: locked"), std::string::npos) << sick;
  healthy = true;
  const std::string again = socket.read_for(std::chrono::milliseconds(300));
  EXPECT_NE(again.find("WATCHDOG=1\nSTATUS=serving"), std::string::npos) << again;
}

TEST(ServiceNotifyTest, StoreProbeAnswersForADatabaseThatOpens) {
  TempDir dir;
  TestDatabase db(dir.path());
  auto ok = store_probe(db.db());
  EXPECT_TRUE(ok().is_ok());
  EXPECT_TRUE(ok().is_ok());
  auto bad = store_probe((dir.path() / "missing-folder" / "server.db").string());
  EXPECT_FALSE(bad().is_ok());
}

// The real binary as systemd starts it: READY=1 comes once /healthz answers.
TEST(ServiceNotifyTest, ServeSaysReadyOnceItListens) {
  TempDir dir;
  NotifySocket socket(dir.path(), 1'000'000);
  TestDatabase database(dir.path());
  const std::string db = database.db();
  int out_pipe[2];
  ASSERT_EQ(::pipe(out_pipe), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::close(out_pipe[0]);
    // WATCHDOG_PID names the test; systemd would name the server.
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    ::execl(SIPAS_SERVER_BINARY, SIPAS_SERVER_BINARY, "serve", "--db", db.c_str(), "--listen",
            "127.0.0.1:0", "--access-log", "/dev/null", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  std::string first_line;
  char c;
  while (::read(out_pipe[0], &c, 1) == 1 && c != '\n') first_line.push_back(c);
  const std::string messages = socket.read_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(messages.rfind("READY=1\nSTATUS=serving on port ", 0), 0u) << messages;
  EXPECT_GE(count(messages, "WATCHDOG=1"), 1) << messages;
  auto colon = first_line.rfind(':');
  ASSERT_NE(colon, std::string::npos) << first_line;
  httplib::Client client("127.0.0.1", std::stoi(first_line.substr(colon + 1)));
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ::close(out_pipe[0]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(socket.read_for(std::chrono::milliseconds(200)).find("STOPPING=1"), std::string::npos);
}

}  // namespace
}  // namespace sipas::test
