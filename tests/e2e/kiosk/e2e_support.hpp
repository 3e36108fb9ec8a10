// What the kiosk's end-to-end tests share: temporary folders, child processes (Xvfb, the kiosk,
// the server), a free loopback port, and a kiosk session driven by xdotool at the coordinates of
// its --ui-dump. Header-only; every wait is bounded. Not thread-safe: one test thread uses it.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "temp_dir.hpp"

namespace sipas::e2e {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::TempDir;

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool have_tool(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

// A port on 127.0.0.1 that was free a moment ago.
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// Runs a shell command; returns its exit status and, when asked, its standard output.
inline int run(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string text;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  const int st = ::pclose(p);
  if (out) *out = text;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// A child process with its own environment additions and its output in `log`; stopped with
// `stop_signal` and reaped on destruction (or by stop(), running() or wait_exit()).
class Process {
 public:
  Process(std::vector<std::string> argv, std::vector<std::string> env, const fs::path& log,
          int pass_fd = -1, int stop_signal = SIGKILL)
      : stop_signal_(stop_signal) {
    pid_ = ::fork();
    if (pid_ == 0) {
      for (auto& e : env) ::putenv(e.data());
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, 1);
      ::dup2(out, 2);
      for (int fd = 3; fd < 256; ++fd) {
        if (fd != pass_fd) ::close(fd);
      }
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    if (pid_ < 0) {
      ADD_FAILURE() << "cannot fork for " << argv[0] << ": " << std::strerror(errno);
      exited_ = true;
    }
  }
  ~Process() { stop(); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void stop() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, stop_signal_);
      ::waitpid(pid_, &status_, 0);
      exited_ = true;
    }
  }
  bool running() {
    if (exited_) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      exited_ = true;
      status_ = st;
      return false;
    }
    return true;
  }
  // The exit code (128 + the signal when a signal ended it), or -1 if it still runs after `limit`
  // or never started.
  int wait_exit(std::chrono::milliseconds limit) {
    if (pid_ < 0) return -1;
    const auto end = std::chrono::steady_clock::now() + limit;
    while (running()) {
      if (std::chrono::steady_clock::now() > end) return -1;
      std::this_thread::sleep_for(20ms);
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  }

 private:
  pid_t pid_ = -1;
  int stop_signal_ = SIGKILL;
  bool exited_ = false;
  int status_ = 0;
};

// Xvfb on a display number it picks itself (-displayfd).
class Xvfb {
 public:
  Xvfb(int w, int h, const fs::path& log) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    proc_ = std::make_unique<Process>(
        std::vector<std::string>{"Xvfb", "-displayfd", std::to_string(fds[1]), "-screen", "0",
                                 std::to_string(w) + "x" + std::to_string(h) + "x24", "-nolisten", "tcp"},
        std::vector<std::string>{}, log, fds[1]);
    ::close(fds[1]);
    pollfd p{fds[0], POLLIN, 0};
    std::string number;
    while (::poll(&p, 1, 15000) > 0) {
      char c;
      if (::read(fds[0], &c, 1) != 1 || c == '\n') break;
      number.push_back(c);
    }
    ::close(fds[0]);
    if (!number.empty()) display_ = ":" + number;
  }
  const std::string& display() const { return display_; }

 private:
  std::unique_ptr<Process> proc_;
  std::string display_;
};

// Keeps every core busy (four spinning threads a core, so the kiosk gets a fraction of one) until
// destroyed, or for `limit` at the most.
class BusyCores {
 public:
  explicit BusyCores(std::chrono::seconds limit = std::chrono::seconds(120)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    const unsigned n = 4 * std::max(2u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) {
      threads_.emplace_back([this, end] {
        volatile std::uint64_t x = 0;
        while (!stop_.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < end) {
          for (int k = 0; k < 100000; ++k) x = x + 1;
        }
      });
    }
  }
  ~BusyCores() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }
  BusyCores(const BusyCores&) = delete;
  BusyCores& operator=(const BusyCores&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

struct Element {
  std::string id;
  std::string label;
  int cx = 0, cy = 0;
};

inline const nlohmann::json* find_element(const nlohmann::json& dump, const std::string& id) {
  if (!dump.is_object() || !dump.contains("elements")) return nullptr;
  for (const auto& e : dump["elements"]) {
    if (e.value("id", "") == id) return &e;
  }
  return nullptr;
}

// Whether `dump` shows `screen` (at question `step`, when one is given).
inline bool shows(const nlohmann::json& dump, const std::string& screen, int step = -1) {
  if (!dump.is_object() || dump.value("screen", "") != screen) return false;
  return step < 0 || (dump.contains("step") && dump["step"] == step);
}

inline std::map<std::string, std::string> labels(const nlohmann::json& dump) {
  std::map<std::string, std::string> out;
  if (!dump.is_object() || !dump.contains("elements")) return out;
  for (const auto& e : dump["elements"]) out[e.value("id", "")] = e.value("label", "");
  return out;
}

// One kiosk on its own Xvfb display, with its ui-dump and log in `dir`.
class KioskSession {
 public:
  KioskSession(const fs::path& dir, const std::string& kiosk_bin) : dir_(dir), bin_(kiosk_bin) {}

  // Starts Xvfb and `sipas-kiosk --config CONFIG --windowed WxH --ui-dump ...` plus `extra`, with
  // the environment additions `env` ("NAME=value").
  void start(const fs::path& config, int w, int h, std::vector<std::string> extra = {},
             std::vector<std::string> env = {}) {
    xvfb_ = std::make_unique<Xvfb>(w, h, dir_ / "xvfb.log");
    ASSERT_FALSE(xvfb_->display().empty()) << "Xvfb did not start: " << read_file(dir_ / "xvfb.log");
    std::vector<std::string> argv{bin_, "--config", config.string(), "--windowed",
                                  std::to_string(w) + "x" + std::to_string(h), "--ui-dump", dump_.string()};
    for (auto& a : extra) argv.push_back(std::move(a));
    env.push_back("DISPLAY=" + xvfb_->display());
    env.push_back("LIBGL_ALWAYS_SOFTWARE=1");
    kiosk_ = std::make_unique<Process>(std::move(argv), std::move(env), dir_ / "kiosk.log");
  }

  nlohmann::json current() const { return nlohmann::json::parse(read_file(dump_), nullptr, false); }
  std::string log() const { return read_file(dir_ / "kiosk.log"); }

  // Polls the dump until `ok` holds for it; bounded by `limit`. Returns the last dump either way
  // and records a failure naming `what` when it never held.
  nlohmann::json wait_until(const std::string& what, const std::function<bool(const nlohmann::json&)>& ok,
                            std::chrono::milliseconds limit = 20s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    nlohmann::json last;
    while (std::chrono::steady_clock::now() < end) {
      const nlohmann::json d = current();
      if (!d.is_discarded() && d.is_object()) {
        last = d;
        if (ok(d)) return d;
      }
      if (kiosk_ && !kiosk_->running()) break;
      std::this_thread::sleep_for(40ms);
    }
    ADD_FAILURE() << "waited for " << what << "; last dump: " << last.dump() << "\nkiosk log: " << log();
    return last;
  }

  nlohmann::json wait_for(const std::string& screen, int step = -1) {
    const std::string what = step < 0 ? screen + " screen" : screen + " screen at step " + std::to_string(step);
    return wait_until(what, [&](const nlohmann::json& d) { return shows(d, screen, step); });
  }

  nlohmann::json wait_element(const std::string& id) {
    return wait_until("element " + id, [&](const nlohmann::json& d) { return find_element(d, id) != nullptr; });
  }

  Element find(const nlohmann::json& dump, const std::string& id) {
    const nlohmann::json* e = find_element(dump, id);
    if (!e) {
      ADD_FAILURE() << "no element " << id << " in " << dump.dump();
      return {};
    }
    return {id, e->value("label", ""), (*e)["x"].get<int>() + (*e)["w"].get<int>() / 2,
            (*e)["y"].get<int>() + (*e)["h"].get<int>() / 2};
  }

  void xdotool(const std::string& args) {
    ASSERT_TRUE(xvfb_ && !xvfb_->display().empty()) << "no display for xdotool " << args;
    const std::string cmd = "DISPLAY=" + xvfb_->display() + " xdotool " + args;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  // Taps an element of `dump`, then waits out the repeated-tap filter.
  void tap(const nlohmann::json& dump, const std::string& id) {
    const Element e = find(dump, id);
    if (e.id.empty()) return;
    xdotool("mousemove " + std::to_string(e.cx) + " " + std::to_string(e.cy) + " click 1");
    std::this_thread::sleep_for(350ms);
  }

  // Taps an answer (or any button on a screen that has just appeared) as a citizen does after
  // reading it: a newly shown screen ignores taps for its first 0.6 s.
  void choose(const nlohmann::json& dump, const std::string& id) {
    std::this_thread::sleep_for(700ms);
    tap(dump, id);
  }

  // Taps the elements `ids` of `dump` one after another, `gap` apart, in one xdotool run (as fast
  // as two thumbs or key rollover), without waiting for the kiosk between taps.
  void tap_quickly(const nlohmann::json& dump, const std::vector<std::string>& ids,
                   std::chrono::milliseconds gap) {
    std::string cmd;
    char sleep[32];
    std::snprintf(sleep, sizeof sleep, " sleep %.3f ", static_cast<double>(gap.count()) / 1000.0);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const Element e = find(dump, ids[i]);
      if (e.id.empty()) return;
      if (i > 0) cmd += sleep;
      cmd += "mousemove " + std::to_string(e.cx) + " " + std::to_string(e.cy) + " click 1";
    }
    xdotool(cmd);
  }

  // The hidden corner held for the long press; returns the PIN pad's dump.
  nlohmann::json open_pin_pad() {
    const nlohmann::json d = wait_element("corner");
    const Element corner = find(d, "corner");
    if (corner.id.empty()) return d;
    xdotool("mousemove " + std::to_string(corner.cx) + " " + std::to_string(corner.cy) +
            " mousedown 1 sleep 3.4 mouseup 1");
    return wait_for("pin");
  }

  // The PIN pad opened and `pin` typed on it; returns the staff screen's dump.
  nlohmann::json open_staff(const std::string& pin) {
    const nlohmann::json d = open_pin_pad();
    if (!shows(d, "pin")) return d;
    for (char c : pin) tap(d, std::string("pin-") + c);
    tap(d, "pin-ok");
    return wait_for("staff");
  }

  bool running() { return kiosk_ && kiosk_->running(); }
  // The kiosk's exit code, or -1 if it still runs after `limit` or was never started.
  int wait_exit(std::chrono::milliseconds limit) { return kiosk_ ? kiosk_->wait_exit(limit) : -1; }
  void stop() { kiosk_.reset(); }

 private:
  fs::path dir_;
  std::string bin_;
  fs::path dump_ = dir_ / "ui.json";
  std::unique_ptr<Xvfb> xvfb_;
  std::unique_ptr<Process> kiosk_;
};

}  // namespace sipas::e2e
