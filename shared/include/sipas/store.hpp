// ResponseStore: the kiosk's offline SQLite store of responses.
//
// Durability: WAL, synchronous=FULL, foreign keys on; schema versioned through user_version with
// forward migrations; PRAGMA quick_check when opened. append() assigns the UUID, the next seq
// (from 1, no gaps) and the hash-chain link in the same transaction as the insert of the response
// and its answers, so a response is either wholly stored with its seq or not at all.
//
// Threads: one ResponseStore owns one SQLite connection and must be used by one thread at a time.
// Open one per thread (the kiosk's UI thread and its sync thread each have their own); any number
// of connections, in one or several processes, may share a file.
//
// Errors come back as Status codes the kiosk can act on: disk_full, read_only, corrupt, io_error,
// busy. Nothing throws.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sipas/protocol.hpp"
#include "sipas/response.hpp"
#include "sipas/scoring.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

struct RejectedResponse {
  std::string id;
  std::int64_t seq = 0;
  TimePoint submitted_at{};
  std::string reason;
};

struct TallyFilter {
  std::optional<std::string> survey_id;
  std::optional<std::string> counter;
  std::optional<std::string> officer;
};

struct DayTally {
  Date date;
  Tally tally;
};

class ResponseStore {
 public:
  // Opens the database at `path` (":memory:" for a private in-memory one), creating and
  // migrating it as needed. A file that fails quick_check or is not a database is corrupt; a file
  // or directory that cannot be written (read-only mount, EROFS) is read_only, since the kiosk
  // cannot work with a store it cannot write.
  static Result<std::unique_ptr<ResponseStore>> open(const std::string& path);
  ~ResponseStore();
  ResponseStore(const ResponseStore&) = delete;
  ResponseStore& operator=(const ResponseStore&) = delete;

  // Stores a response durably (committed when this returns OK) and returns it as stored. The seq
  // and the chain continue from the last response ever appended, even when it has been pruned.
  // invalid_argument when the response cannot be encoded (text that is not UTF-8).
  Result<Response> append(const ResponseDraft& draft);

  // Pending (not yet acknowledged, not rejected) responses, lowest seq first.
  Result<std::vector<Response>> pending(std::size_t limit);
  Result<std::int64_t> pending_count();
  // submitted_at of the lowest pending seq above `after_seq` (the oldest pending response not yet
  // in flight); nullopt when none.
  Result<std::optional<TimePoint>> oldest_pending_submitted_at(std::int64_t after_seq = 0);
  // Applies a server reply in one transaction: rejected ids are marked rejected with their
  // reason, then every pending response with seq <= acked_seq is marked sent.
  Status apply_reply(const BatchReply& reply);
  Status mark_acknowledged(std::int64_t up_to_seq);
  // not_found when no pending (or already rejected) response has this id.
  Status mark_rejected(const std::string& id, const std::string& reason);
  Result<std::vector<RejectedResponse>> rejected(std::size_t limit);

  Result<std::optional<Response>> find(const std::string& id);
  Result<std::int64_t> last_seq();
  Result<std::optional<TimePoint>> last_submitted_at();

  // Responses submitted in [from, to), submission order; for exports and the latest comments.
  Result<std::vector<Response>> responses_between(TimePoint from, TimePoint to,
                                                  std::size_t limit = SIZE_MAX);
  // Whether a response with this dossier number was submitted in [from, to).
  Result<bool> dossier_used(const std::string& dossier, TimePoint from, TimePoint to);

  // Aggregates over the local dates from..to (inclusive) in `tz`: submitted_at in
  // [tz.start_of_day(from), tz.start_of_day(to + 1 day)). Rejected responses are left out, as the
  // server leaves them out of its scores. Tally::totals holds, for every response with at least
  // one non-null answer, the sum of its answer values; it is meaningful for points surveys, so
  // filter by survey_id when several surveys share the store. from > to is invalid_argument.
  // daily_tallies() returns one entry per date of the range, empty days included.
  Result<Tally> tally(const TimeZone& tz, Date from, Date to, const TallyFilter& filter = {});
  Result<std::vector<DayTally>> daily_tallies(const TimeZone& tz, Date from, Date to,
                                              const TallyFilter& filter = {});
  // One tally per distinct value of "counter" or "officer" (responses without an officer under "").
  Result<std::map<std::string, Tally>> tally_by(const std::string& column, const TimeZone& tz,
                                                Date from, Date to, const TallyFilter& filter = {});

  // Deletes acknowledged responses submitted more than retention_days before now; never pending or
  // rejected ones. Returns how many were deleted.
  Result<std::int64_t> prune(TimePoint now, int retention_days);

  // Small key/value settings that must survive restarts (current officer, sync state).
  Result<std::optional<std::string>> setting(const std::string& key);
  Status set_setting(const std::string& key, const std::string& value);

  // A tiny committed write; OK when the database can be written again (out_of_service recovery).
  Status probe_writable();

 private:
  struct Impl;
  explicit ResponseStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipas
