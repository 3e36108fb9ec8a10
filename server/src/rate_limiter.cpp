#include "sipas/server/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace sipas {

RateLimiter::RateLimiter(double rate_per_second, double burst, const Clock& clock)
    : rate_(rate_per_second), burst_(std::max(1.0, burst)), clock_(clock) {}

std::optional<std::chrono::milliseconds> RateLimiter::take(const std::string& key) {
  if (rate_ <= 0) return std::nullopt;
  TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted && now > b.refilled) {
    double seconds = std::chrono::duration<double>(now - b.refilled).count();
    b.tokens = std::min(burst_, b.tokens + seconds * rate_);
    b.refilled = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  double wait_s = (1.0 - b.tokens) / rate_;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(wait_s * 1000.0)));
}

}  // namespace sipas
