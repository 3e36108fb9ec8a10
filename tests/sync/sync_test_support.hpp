// Helpers shared by the sync tests: temp dirs, a kiosk store with N responses, and a fake
// province server model that answers protocol v1 batches.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sipas/crypto.hpp"
#include "sipas/protocol.hpp"
#include "sipas/store.hpp"
#include "sipas/time.hpp"
#include "sipas/transport.hpp"
#include "temp_dir.hpp"

namespace sipas::test {

inline ResponseDraft sample_draft(int i) {
  ResponseDraft d;
  d.survey_id = "counter-short";
  d.survey_version = 1;
  d.unit = "HCC-TEST";
  d.counter = "Q1";
  d.officer = "cb01";
  d.language = "vi";
  d.started_at = TimePoint(std::chrono::milliseconds(1'790'000'000'000LL + i * 60'000LL));
  d.submitted_at = d.started_at + std::chrono::seconds(25);
  d.status = ResponseStatus::complete;
  d.answers = {{"officer.polite", 1 + i % 5}, {"result.on_time", 1 + (i / 5) % 5}};
  if (i % 7 == 0) d.comment = "Cán bộ nhiệt tình, số " + std::to_string(i);
  return d;
}

inline std::unique_ptr<ResponseStore> open_store(const std::filesystem::path& path) {
  auto store = ResponseStore::open(path.string());
  EXPECT_TRUE(store.is_ok()) << store.status().to_string();
  return store.is_ok() ? std::move(store).value() : nullptr;
}

inline void append_responses(ResponseStore& store, int count) {
  for (int i = 0; i < count; ++i) {
    auto r = store.append(sample_draft(i));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  }
}

inline void write_token(const std::filesystem::path& path, const std::string& token,
                        std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                                      std::filesystem::perms::owner_write) {
  std::ofstream(path) << token << "\n";
  std::filesystem::permissions(path, mode);
}

inline HttpResponse json_reply(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.headers["content-type"] = "application/json";
  r.body = body.dump();
  return r;
}

// The batch as the server would read it: gunzipped and parsed. Fails the test when it is not.
inline nlohmann::json decode_batch(const HttpRequest& request) {
  bool gzip = false;
  for (const auto& [name, value] : request.headers) {
    if (name == "Content-Encoding" && value == "gzip") gzip = true;
  }
  std::string body = request.body;
  if (gzip) {
    std::string plain;
    EXPECT_TRUE(gzip_decompress(body, 64u << 20, &plain));
    body = plain;
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "request body is not JSON";
  return j;
}

// A minimal protocol v1 server: remembers ids, counts duplicates, acks the highest seq it holds
// with every lower seq present (like the real server), and can be told to reject ids.
class ServerModel {
 public:
  HttpResponse answer(const nlohmann::json& batch) {
    std::lock_guard lock(mutex_);
    nlohmann::json rejected = nlohmann::json::array();
    std::int64_t accepted = 0, duplicates = 0;
    batches_seqs_.emplace_back();
    for (const auto& r : batch.at("responses")) {
      std::string id = r.at("id").get<std::string>();
      std::int64_t seq = r.at("seq").get<std::int64_t>();
      batches_seqs_.back().push_back(seq);
      if (auto it = reject_.find(id); it != reject_.end()) {
        rejected.push_back({{"id", id}, {"error", "unknown criterion \"x\""}});
        settled_.insert(seq);
        continue;
      }
      if (ids_.insert(id).second) {
        ++accepted;
        ++stored_;
      } else {
        ++duplicates;
      }
      settled_.insert(seq);
    }
    std::int64_t acked = 0;
    while (settled_.count(acked + 1)) ++acked;
    return json_reply(200, {{"accepted", accepted},
                            {"duplicates", duplicates},
                            {"rejected", rejected},
                            {"acked_seq", acked}});
  }
  HttpResponse handle(const HttpRequest& request) {
    return answer(decode_batch(request));
  }
  void reject(const std::string& id) {
    std::lock_guard lock(mutex_);
    reject_.insert(id);
  }
  std::int64_t stored() const {
    std::lock_guard lock(mutex_);
    return stored_;
  }
  std::vector<std::vector<std::int64_t>> batches() const {
    std::lock_guard lock(mutex_);
    return batches_seqs_;
  }

 private:
  mutable std::mutex mutex_;
  std::set<std::string> ids_;
  std::set<std::string> reject_;
  std::set<std::int64_t> settled_;
  std::int64_t stored_ = 0;
  std::vector<std::vector<std::int64_t>> batches_seqs_;
};

// An HttpTransport whose answers come from a function; records every request. Thread-safe.
class FakeTransport final : public HttpTransport {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;
  explicit FakeTransport(Handler handler) : handler_(std::move(handler)) {}
  Result<HttpResponse> send(const HttpRequest& request) override {
    Handler handler;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      handler = handler_;
    }
    return handler(request);
  }
  void set_handler(Handler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }

 private:
  mutable std::mutex mutex_;
  Handler handler_;
  std::vector<HttpRequest> requests_;
};

}  // namespace sipas::test
