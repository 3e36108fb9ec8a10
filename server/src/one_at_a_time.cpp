#include "sipas/server/one_at_a_time.hpp"

namespace sipas {

std::shared_ptr<void> OneAtATime::try_take(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (!held_.insert(key).second) return nullptr;
  // The token points at this (never deleted through it: it only tests true); its deleter gives
  // the key back.
  return std::shared_ptr<void>(static_cast<void*>(this), [this, key](void*) {
    std::lock_guard release(mutex_);
    held_.erase(key);
  });
}

}  // namespace sipas
