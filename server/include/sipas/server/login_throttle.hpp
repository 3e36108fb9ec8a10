// Throttling of failed logins (the login form and the API's HTTP Basic alike), per user name and
// per client address, so that passwords cannot be guessed at the speed of the network.
//
// Each user name and each address has a count of failures in a row. The first few are free;
// from then on every failure locks that name (or address) for a delay that doubles each time, up
// to a ceiling. While locked, the caller is refused before any password hash is computed, so the
// PBKDF2 cost cannot be turned against the server's CPU. A success clears the name's and the
// address's counts; failures older than `forget_after` are forgotten. Addresses get more free
// failures than names: one address may be a whole office behind one router, and a name is what
// a guesser aims at.
//
// Threads: every method may be called from any thread. Memory: at most `max_entries` names and
// addresses are remembered; the ones idle longest go first.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "sipas/time.hpp"

namespace sipas {

struct ThrottlePolicy {
  int free_failures_per_user = 5;
  int free_failures_per_address = 20;
  std::chrono::seconds first_lock{1};
  std::chrono::seconds longest_lock{15 * 60};
  std::chrono::seconds forget_after{60 * 60};
  std::size_t max_entries = 10000;
};

class LoginThrottle {
 public:
  explicit LoginThrottle(ThrottlePolicy policy = {});

  // When `user` or `address` is locked at `now`: how long until both may try again (at least
  // 1 s). nullopt: go ahead and check the password.
  std::optional<std::chrono::seconds> locked(const std::string& user, const std::string& address,
                                             TimePoint now) const;

  // A wrong password (or unknown user). Returns the lock it starts, if it starts one.
  std::optional<std::chrono::seconds> failed(const std::string& user, const std::string& address,
                                             TimePoint now);
  void succeeded(const std::string& user, const std::string& address);

 private:
  struct Entry {
    int failures = 0;
    TimePoint last{};
    TimePoint locked_until{};
  };
  std::optional<std::chrono::seconds> fail(const std::string& key, int free_failures,
                                           TimePoint now);
  void trim(TimePoint now);

  const ThrottlePolicy policy_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // "u:" + user name, "a:" + address
};

}  // namespace sipas
