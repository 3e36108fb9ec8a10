#include "ingest_plan.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <utility>

namespace sipas {
namespace {

constexpr std::chrono::milliseconds kSkewTolerance = std::chrono::minutes(5);
// A kiosk whose clock is off says so in every batch; one finding an hour is enough.
constexpr std::chrono::milliseconds kSkewFindingInterval = std::chrono::hours(1);

std::string seq_range_text(std::int64_t from, std::int64_t to) {
  if (from == to) return "seq " + std::to_string(from) + " never received";
  return "seqs " + std::to_string(from) + "–" + std::to_string(to) + " never received (" +
         std::to_string(to - from + 1) + " responses)";
}

// An error quotes what the kiosk sent, which may hold a NUL; stored and sent back escaped, the same
// on every storage (PostgreSQL's text cannot hold one).
std::string without_nul(const std::string& error) {
  std::string out;
  for (char c : error) {
    if (c == '\0') {
      out += "\\u0000";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<IngestPlan> plan_ingest(const ParsedBatch& batch, const KioskProgress& before, TimePoint now,
                               IngestLookups& lookups) {
  const std::string received_at = format_rfc3339(now);
  IngestPlan plan;
  auto add_finding = [&](std::string kind, std::optional<std::int64_t> seq,
                         std::optional<std::string> response_id, std::string detail) {
    plan.findings.push_back({std::move(kind), seq, std::move(response_id), std::move(detail)});
  };

  // The same rejected content sent again (a retry) is not kept twice.
  std::set<std::pair<std::string, std::string>> quarantined_now;
  auto quarantine_one = [&](const ParsedResponse& p, const std::string& raw_error) -> Status {
    const std::string error = without_nul(raw_error);
    plan.reply.rejected.push_back({p.id, error});
    if (!quarantined_now.insert({p.id, p.content_hash}).second) return Status::ok();
    auto kept = lookups.quarantined(p.id, p.content_hash);
    if (!kept.is_ok()) return kept.status();
    if (!*kept) plan.quarantine.push_back({&p, error});
    return Status::ok();
  };

  // Whether prev_hash matches the hash of the kiosk's response with seq - 1, from this batch or
  // storage (several when a seq was reused); `known` is false when there is no such response.
  std::map<std::int64_t, std::string> batch_hashes;
  for (const auto& p : batch.responses) batch_hashes[p.seq] = p.hash_field;
  auto link_matches = [&](std::int64_t seq, const std::string& prev_hash,
                          bool* known) -> Result<bool> {
    *known = false;
    if (seq == 1) {
      *known = true;
      return prev_hash == kGenesisHash;
    }
    if (auto it = batch_hashes.find(seq - 1); it != batch_hashes.end()) {
      *known = true;
      if (it->second == prev_hash) return true;
    }
    auto stored = lookups.at_seq(seq - 1);
    if (!stored.is_ok()) return stored.status();
    bool matched = false;
    for (const auto& s : *stored) {
      *known = true;
      matched = matched || s.hash == prev_hash;
    }
    return matched;
  };

  std::map<std::string, std::string> accepted_content;  // id -> content hash, this batch
  std::vector<std::pair<const std::string*, std::int64_t>> accepted_answers;  // key, submitted ms
  std::int64_t max_seq = 0;
  for (const ParsedResponse& p : batch.responses) {
    max_seq = std::max(max_seq, p.seq);
    std::optional<std::string> stored_hash;
    if (auto it = accepted_content.find(p.id); it != accepted_content.end()) {
      stored_hash = it->second;
    } else {
      auto known = lookups.stored_content_hash(p.id);
      if (!known.is_ok()) return known.status();
      stored_hash = std::move(known).value();
    }
    if (stored_hash) {
      if (*stored_hash == p.content_hash) {
        ++plan.reply.duplicates;
        continue;
      }
      Status s = quarantine_one(p, "conflict: a different response with this id is already stored");
      if (!s.is_ok()) return s;
      continue;
    }
    if (!p.response) {
      Status s = quarantine_one(p, p.error);
      if (!s.is_ok()) return s;
      continue;
    }
    const Response& r = *p.response;

    // A seq at or below what was already settled that belongs to another stored response: the
    // kiosk started its numbering again (a reinstalled database, a clone).
    if (p.seq <= before.acked_seq) {
      auto reused = lookups.at_seq(p.seq);
      if (!reused.is_ok()) return reused.status();
      if (!reused->empty()) {
        add_finding(
            "seq_reused", p.seq, p.id,
            "seq " + std::to_string(p.seq) + " already used by response " + reused->front().id);
      }
    }

    bool link_known = false;
    auto linked = link_matches(p.seq, r.prev_hash, &link_known);
    if (!linked.is_ok()) return linked.status();
    if (link_known && !*linked) {
      add_finding("broken_chain", p.seq, p.id,
                  "prev_hash of seq " + std::to_string(p.seq) + " does not match the hash of seq " +
                      std::to_string(p.seq - 1));
    }
    if (!p.hash_matches) {
      add_finding("bad_hash", p.seq, p.id,
                  "hash of seq " + std::to_string(p.seq) + " does not match its content");
    }
    if (r.submitted_at > now + kSkewTolerance) {
      add_finding("clock_skew", p.seq, p.id,
                  "submitted_at " + format_rfc3339(r.submitted_at) +
                      " is later than the server's time " + received_at);
    }

    ++plan.reply.accepted;
    plan.accepted.push_back(&p);
    accepted_content[p.id] = p.content_hash;
    const std::int64_t t = unix_ms(r.submitted_at);
    accepted_answers.emplace_back(&p.answers_key, t);

    if (!r.answers.empty()) {
      const std::int64_t from = t - kBurstWindow.count();
      auto identical = lookups.identical_answers(p.answers_key, from, t);
      if (!identical.is_ok()) return identical.status();
      std::int64_t n = *identical;
      for (const auto& [key, ms] : accepted_answers) {
        if (*key == p.answers_key && ms >= from && ms <= t) ++n;
      }
      if (n == kBurstCount) {
        add_finding("burst", p.seq, p.id,
                    std::to_string(kBurstCount) +
                        " identical answer sets within 2 minutes, the last at " +
                        format_rfc3339(r.submitted_at));
      }
    }
  }

  // Seqs above what was settled before and below this batch's highest that are not in the batch
  // were never received: the kiosk sends its pending responses in seq order, so it no longer has
  // them (see docs/protocol.md, "acked_seq").
  std::int64_t expected = before.acked_seq + 1;
  for (const ParsedResponse& p : batch.responses) {
    if (p.seq <= before.acked_seq) continue;
    if (p.seq > expected)
      add_finding("gap", expected, std::nullopt, seq_range_text(expected, p.seq - 1));
    expected = p.seq + 1;
  }

  plan.kiosk = before;
  auto skew = batch.sent_at - now;
  if ((skew > kSkewTolerance || skew < -kSkewTolerance) &&
      (!before.last_skew_ms ||
       unix_ms(now) - *before.last_skew_ms >= kSkewFindingInterval.count())) {
    auto minutes = std::chrono::duration_cast<std::chrono::minutes>(skew).count();
    add_finding("clock_skew", std::nullopt, std::nullopt,
                "sent_at " + format_rfc3339(batch.sent_at) + " is " +
                    std::to_string(minutes < 0 ? -minutes : minutes) + " minutes " +
                    (minutes < 0 ? "behind" : "ahead of") + " the server's time " + received_at);
    plan.kiosk.last_skew_ms = unix_ms(now);
  }

  plan.reply.acked_seq = std::max(before.acked_seq, max_seq);
  plan.kiosk.acked_seq = plan.reply.acked_seq;
  plan.kiosk.last_seq = std::max(before.last_seq, max_seq);
  return plan;
}

}  // namespace sipas
