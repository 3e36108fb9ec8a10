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
// The counts live in a ThrottleBook. The server's is its storage (StoreThrottleBook in
// server_store.hpp), so that every server on one database counts the same failures: a guesser
// spreading attempts over several servers behind a load balancer is locked out on all of them.
//
// Threads: LoginThrottle's methods may be called from any thread when its book allows it (the
// StoreThrottleBook does). Errors: the book's, as Status; the caller refuses the login then.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

struct ThrottlePolicy {
  int free_failures_per_user = 5;
  int free_failures_per_address = 20;
  std::chrono::seconds first_lock{1};
  std::chrono::seconds longest_lock{15 * 60};
  std::chrono::seconds forget_after{60 * 60};
};

// One user name's or address's failures in a row.
struct ThrottleEntry {
  int failures = 0;
  TimePoint last{};
  TimePoint locked_until{};
};

// Where the entries are kept. Keys are "u:" or "a:" and the SHA-256 (hex) of the user name or the
// address: 66 bytes, whatever was sent.
class ThrottleBook {
 public:
  virtual ~ThrottleBook() = default;
  // The latest locked_until among `keys` (the epoch when none is kept).
  virtual Result<TimePoint> locked_until(const std::vector<std::string>& keys) = 0;
  // Reads `key`'s entry (a fresh one when none is kept), lets `change` update it and keeps the
  // result, as one step no other user of the book can come between. Entries idle for
  // `forget_after` and no longer locked at `now` may be dropped meanwhile.
  virtual Status update(const std::string& key, TimePoint now, std::chrono::seconds forget_after,
                        const std::function<void(ThrottleEntry&)>& change) = 0;
  virtual Status erase(const std::vector<std::string>& keys) = 0;
};

class LoginThrottle {
 public:
  // `book` must outlive the throttle.
  LoginThrottle(ThrottlePolicy policy, ThrottleBook& book);

  // When `user` or `address` is locked at `now`: how long until both may try again (at least
  // 1 s). nullopt: go ahead and check the password.
  Result<std::optional<std::chrono::seconds>> locked(const std::string& user,
                                                     const std::string& address, TimePoint now);

  // A wrong password (or unknown user). Returns the lock it starts, if it starts one.
  Result<std::optional<std::chrono::seconds>> failed(const std::string& user,
                                                     const std::string& address, TimePoint now);
  Status succeeded(const std::string& user, const std::string& address);

 private:
  Result<std::optional<std::chrono::seconds>> fail(const std::string& key, int free_failures,
                                                   TimePoint now);

  const ThrottlePolicy policy_;
  ThrottleBook& book_;
};

}  // namespace sipas
