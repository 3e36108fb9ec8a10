// Keys (user names) that may each hold one thing at a time: one export per user, so that one
// person cannot tie up every connection and worker with exports.
//
// Threads: try_take() may be called from any thread; a token may be released on any thread.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace sipas {

class OneAtATime {
 public:
  // A token that holds `key` until its last copy goes; nullptr when `key` is already held. The
  // OneAtATime must outlive its tokens.
  std::shared_ptr<void> try_take(const std::string& key);

 private:
  std::mutex mutex_;
  std::set<std::string> held_;
};

}  // namespace sipas
