// The records of alerts (alerts.hpp) as the storage keeps them: the open and cleared alerts, the
// facts an evaluation reads (new responses, new findings, one kiosk's recent answers), one
// evaluation's writes, and the outbox of notifications still to deliver. Plain data, no behaviour.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sipas/time.hpp"

namespace sipas {

// One alert: a condition (its key, e.g. "low_rating:k1", "unhappy_share:k1",
// "finding:k1:gap") that opened and has not cleared yet (state "open"), or that cleared. At most
// one open alert per key: later matching events update it (count, last seen, detail).
struct AlertRecord {
  std::int64_t id = 0;  // 0 for one not stored yet
  std::string key;
  std::string kind;  // low_rating, unhappy_share, kiosk_offline, backlog, finding
  std::string unit;  // the kiosk's unit
  std::optional<std::string> kiosk_id;
  std::string state = "open";  // open, cleared
  TimePoint opened_at{};
  TimePoint last_seen_at{};
  std::optional<TimePoint> cleared_at;
  std::int64_t count = 1;  // events absorbed
  std::string detail;      // plain words (English), for logs and the API
  std::string detail_vi;   // the same in Vietnamese, times in the unit's zone (empty: none)
  std::optional<TimePoint> acked_at;
  std::optional<std::string> acked_by;
  bool operator==(const AlertRecord&) const = default;
};

// Unset or empty fields do not filter. state: "open", "cleared" or "all".
struct AlertFilter {
  std::vector<std::string> units;
  std::string state = "open";
  std::optional<std::int64_t> id;
  std::size_t limit = 500;
};

// A response as the alert rules see it.
struct AlertResponse {
  std::int64_t rid = 0;  // the storage's row number: grows with every stored response
  std::string kiosk_id;
  std::string survey_id;
  TimePoint submitted_at{};
  std::vector<int> values;  // its answered values (skipped ones left out)
  bool has_comment = false;
};

struct AlertFinding {
  std::int64_t fid = 0;  // grows with every finding
  std::string kiosk_id;
  std::string kind;
  std::string detail;
};

// How far evaluation has read: the last response row and finding seen.
struct AlertCursor {
  std::int64_t response_rid = 0;
  std::int64_t finding_fid = 0;
  bool operator==(const AlertCursor&) const = default;
};

// A notification to deliver. The payload is the JSON of docs/protocol.md, "Alert notifications";
// it is fixed when the message is queued, so every retry sends the same bytes.
struct AlertMessage {
  std::int64_t id = 0;
  std::int64_t alert_id = 0;
  std::string event;    // opened, cleared
  std::string channel;  // webhook, email
  std::string target;   // the webhook's URL or the e-mail address
  std::string secret;   // the webhook's HMAC key; empty for e-mail
  std::string payload;
  std::int64_t attempts = 0;
  TimePoint created_at{};
  TimePoint next_attempt_at{};
  std::string last_error;
};

// An alert an evaluation opens (id 0), changes or clears, and the event to notify ("opened",
// "cleared", or "" for a silent update).
struct AlertUpsert {
  AlertRecord alert;
  std::string event;
};

// One evaluation's writes, stored in one transaction: the cursor moves from `from` to `to` (when
// another server moved it first, nothing is written), the alerts are inserted or updated, and for
// each one with an event the messages `messages` returns (given the alert with its id) are queued.
struct AlertPass {
  AlertCursor from, to;
  std::vector<AlertUpsert> upserts;
  std::function<std::vector<AlertMessage>(const AlertRecord&, const std::string& event)> messages;
};

}  // namespace sipas
