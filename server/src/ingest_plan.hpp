// What storing one batch means, without the storage: which responses are new, duplicates or
// quarantined, which integrity findings (gap, broken_chain, bad_hash, seq_reused, clock_skew,
// burst) they raise, and the kiosk's row afterwards. Every ServerStore reads what plan_ingest()
// asks through IngestLookups inside its batch transaction, calls it, and writes the plan in the
// same transaction, so that every storage decides alike. Internal to server/.
//
// Threads: plan_ingest() is a plain function; the lookups are the caller's.
// Errors: the lookups' Status, returned as is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sipas/protocol.hpp"
#include "sipas/server/batch.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

// The kiosk's row as read at the start of the batch's transaction, and as written at its end.
struct KioskProgress {
  std::int64_t acked_seq = 0;
  std::int64_t last_seq = 0;
  std::optional<std::int64_t> last_skew_ms;  // when the last clock_skew finding of a batch was made
};

// What is stored before the batch (none of its writes are visible through these), for one kiosk.
class IngestLookups {
 public:
  virtual ~IngestLookups() = default;
  // The content hash of the stored response `id` (of any kiosk), if there is one.
  virtual Result<std::optional<std::string>> stored_content_hash(const std::string& id) = 0;
  // Whether quarantine holds `id` with this content hash already.
  virtual Result<bool> quarantined(const std::string& id, const std::string& content_hash) = 0;
  // The kiosk's stored responses numbered `seq`: their ids and hashes, the first stored first.
  struct AtSeq {
    std::string id, hash;
  };
  virtual Result<std::vector<AtSeq>> at_seq(std::int64_t seq) = 0;
  // How many of the kiosk's stored responses have this answers_key and were submitted within
  // [from_ms, to_ms].
  virtual Result<std::int64_t> identical_answers(const std::string& answers_key,
                                                 std::int64_t from_ms, std::int64_t to_ms) = 0;
};

struct PlannedFinding {
  std::string kind;
  std::optional<std::int64_t> seq;
  std::optional<std::string> response_id;
  std::string detail;
};

struct PlannedQuarantine {
  const ParsedResponse* response = nullptr;
  std::string error;
};

// The writes of one batch, each list in the order its rows are to be written.
struct IngestPlan {
  BatchReply reply;
  std::vector<const ParsedResponse*> accepted;  // new responses (each has `response`)
  std::vector<PlannedQuarantine> quarantine;    // not already in quarantine
  std::vector<PlannedFinding> findings;
  KioskProgress kiosk;  // the kiosk's row after the batch
};

// A burst: this many identical answer sets from one kiosk within kBurstWindow.
inline constexpr int kBurstCount = 5;
inline constexpr std::chrono::milliseconds kBurstWindow = std::chrono::minutes(2);

// The plan for `batch`, pointing into it. `before` is the kiosk's row read in the transaction.
Result<IngestPlan> plan_ingest(const ParsedBatch& batch, const KioskProgress& before, TimePoint now,
                               IngestLookups& lookups);

}  // namespace sipas
