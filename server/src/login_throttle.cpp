#include "sipas/server/login_throttle.hpp"

#include <algorithm>

#include "sipas/crypto.hpp"

namespace sipas {

using std::chrono::seconds;

namespace {

// Names and addresses are kept hashed: fixed-length keys whatever a caller sends, and the book
// holds no list of the user names people tried.
std::string user_key(const std::string& user) { return "u:" + sha256_hex(user); }
std::string address_key(const std::string& address) { return "a:" + sha256_hex(address); }

}  // namespace

LoginThrottle::LoginThrottle(ThrottlePolicy policy, ThrottleBook& book)
    : policy_(policy), book_(book) {}

Result<std::optional<seconds>> LoginThrottle::locked(const std::string& user,
                                                     const std::string& address, TimePoint now) {
  auto until = book_.locked_until({user_key(user), address_key(address)});
  if (!until.is_ok()) return until.status();
  if (*until <= now) return std::optional<seconds>();
  // Rounded up: Retry-After is in whole seconds, and 0 would invite an immediate retry.
  auto left = std::chrono::ceil<seconds>(*until - now);
  return std::optional<seconds>(std::max(left, seconds(1)));
}

Result<std::optional<seconds>> LoginThrottle::fail(const std::string& key, int free_failures,
                                                   TimePoint now) {
  std::optional<seconds> lock;
  Status s = book_.update(key, now, policy_.forget_after, [&](ThrottleEntry& e) {
    if (e.failures > 0 && now - e.last >= policy_.forget_after) e.failures = 0;
    ++e.failures;
    e.last = now;
    if (e.failures <= free_failures) return;
    // 1 s, 2 s, 4 s ... up to the ceiling; the shift is bounded so it cannot overflow.
    const int doublings = std::min(e.failures - free_failures - 1, 30);
    lock = std::min(policy_.first_lock * (std::int64_t{1} << doublings), policy_.longest_lock);
    e.locked_until = now + *lock;
  });
  if (!s.is_ok()) return s;
  return lock;
}

Result<std::optional<seconds>> LoginThrottle::failed(const std::string& user,
                                                     const std::string& address, TimePoint now) {
  auto by_user = fail(user_key(user), policy_.free_failures_per_user, now);
  if (!by_user.is_ok()) return by_user.status();
  auto by_address = fail(address_key(address), policy_.free_failures_per_address, now);
  if (!by_address.is_ok()) return by_address.status();
  if (*by_user && *by_address) return std::optional<seconds>(std::max(**by_user, **by_address));
  return *by_user ? *by_user : *by_address;
}

Status LoginThrottle::succeeded(const std::string& user, const std::string& address) {
  return book_.erase({user_key(user), address_key(address)});
}

}  // namespace sipas
