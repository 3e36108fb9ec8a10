// A token bucket per key (kiosk id): `burst` requests at once, refilled at `rate_per_second`.
// Thread-safe. A rate of 0 turns limiting off.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "sipas/time.hpp"

namespace sipas {

class RateLimiter {
 public:
  // `clock` must outlive the limiter.
  RateLimiter(double rate_per_second, double burst, const Clock& clock);

  // Takes one token for `key`. nullopt when allowed; otherwise how long until a token is free.
  std::optional<std::chrono::milliseconds> take(const std::string& key);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint refilled{};
  };
  double rate_;
  double burst_;
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace sipas
