#include "sipas/server/login_throttle.hpp"

#include <algorithm>

namespace sipas {

using std::chrono::seconds;

LoginThrottle::LoginThrottle(ThrottlePolicy policy) : policy_(policy) {}

std::optional<seconds> LoginThrottle::locked(const std::string& user, const std::string& address,
                                             TimePoint now) const {
  std::lock_guard lock(mutex_);
  TimePoint until{};
  for (const std::string& key : {"u:" + user, "a:" + address}) {
    auto it = entries_.find(key);
    if (it != entries_.end()) until = std::max(until, it->second.locked_until);
  }
  if (until <= now) return std::nullopt;
  // Rounded up: Retry-After is in whole seconds, and 0 would invite an immediate retry.
  auto left = std::chrono::ceil<seconds>(until - now);
  return std::max(left, seconds(1));
}

std::optional<seconds> LoginThrottle::fail(const std::string& key, int free_failures,
                                           TimePoint now) {
  Entry& e = entries_[key];
  if (e.failures > 0 && now - e.last >= policy_.forget_after) e.failures = 0;
  ++e.failures;
  e.last = now;
  if (e.failures <= free_failures) return std::nullopt;
  // 1 s, 2 s, 4 s ... up to the ceiling; the shift is bounded so it cannot overflow.
  const int doublings = std::min(e.failures - free_failures - 1, 30);
  seconds lock = std::min(policy_.first_lock * (std::int64_t{1} << doublings), policy_.longest_lock);
  e.locked_until = now + lock;
  return lock;
}

std::optional<seconds> LoginThrottle::failed(const std::string& user, const std::string& address,
                                             TimePoint now) {
  std::lock_guard lock(mutex_);
  trim(now);
  auto by_user = fail("u:" + user, policy_.free_failures_per_user, now);
  auto by_address = fail("a:" + address, policy_.free_failures_per_address, now);
  if (by_user && by_address) return std::max(*by_user, *by_address);
  return by_user ? by_user : by_address;
}

void LoginThrottle::succeeded(const std::string& user, const std::string& address) {
  std::lock_guard lock(mutex_);
  entries_.erase("u:" + user);
  entries_.erase("a:" + address);
}

void LoginThrottle::trim(TimePoint now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    const bool stale = now - it->second.last >= policy_.forget_after && it->second.locked_until <= now;
    it = stale ? entries_.erase(it) : std::next(it);
  }
  while (entries_.size() >= policy_.max_entries) {
    auto idle = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
      return a.second.last < b.second.last;
    });
    entries_.erase(idle);
  }
}

}  // namespace sipas
