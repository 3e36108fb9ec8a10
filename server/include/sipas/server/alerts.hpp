// Alerts: rules per unit (inherited down the unit tree), their evaluation into alerts (one open
// alert per condition until it clears), and the delivery of "opened" and "cleared" notifications
// by webhook and e-mail through the storage's outbox. docs/configuration.md, "Alerts", describes
// the rules file; docs/protocol.md, "Alert notifications", the webhook and e-mail messages.
//
// The parts:
// - AlertRules / parse_alert_rules / effective_alert_rules: the rules, validated, and the rules a
//   unit works under once its ancestors' are taken into account. Pure.
// - evaluate_alerts: one evaluation over plain inputs (kiosks, new responses, windows, findings,
//   the open alerts, the time), giving the alerts to open, update and clear. Pure; tests drive it
//   with any clock.
// - AlertEngine: the server's two threads — evaluation (woken after each stored batch, and every
//   evaluate_every) and delivery (the outbox, with retries) — each on a storage connection of its
//   own. Nothing of it runs on a request's thread, and its failures are logged, never returned to
//   a kiosk.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipas/server/alert_types.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

struct LowRatingRule {
  int max_value = 1;             // an answer of 1..max_value on a 1–5 questionnaire
  bool comment_required = false; // only responses with a comment
  int quiet_minutes = 60;        // the alert clears after this long without another
};
struct UnhappyShareRule {
  int window_minutes = 15;
  int threshold_percent = 50;  // opens at share >= threshold
  int min_count = 4;           // answers in the window
};
struct OfflineRule {
  int hours = 4;
};
struct BacklogRule {
  int hours = 24;
};
struct FindingRule {
  std::set<std::string> kinds;  // of gap, broken_chain, bad_hash, seq_reused, burst, clock_skew
  int quiet_minutes = 24 * 60;
};
struct Webhook {
  std::string url;
  std::string secret;
  bool operator==(const Webhook&) const = default;
};

// One kind's setting in a unit's rules: not given (inherit), switched off, or a rule.
template <class Rule>
struct RuleSetting {
  bool given = false;
  std::optional<Rule> rule;  // nullopt with given: switched off
};

// A unit's own rules, as stored (JSON, docs/configuration.md "Alerts").
struct AlertRules {
  RuleSetting<LowRatingRule> low_rating;
  RuleSetting<UnhappyShareRule> unhappy_share;
  RuleSetting<OfflineRule> kiosk_offline;
  RuleSetting<BacklogRule> backlog;
  RuleSetting<FindingRule> finding;
  std::optional<std::vector<Webhook>> webhooks;  // nullopt: inherit; empty: none
  std::optional<std::vector<std::string>> emails;
  std::optional<std::vector<std::string>> email_languages;  // "vi" first, "en" too
};

// The rules a unit works under: each kind from the unit itself or its nearest ancestor that says.
struct EffectiveAlertRules {
  std::optional<LowRatingRule> low_rating;
  std::optional<UnhappyShareRule> unhappy_share;
  std::optional<OfflineRule> kiosk_offline;
  std::optional<BacklogRule> backlog;
  std::optional<FindingRule> finding;
  std::vector<Webhook> webhooks;
  std::vector<std::string> emails;
  std::vector<std::string> email_languages{"vi"};
  // Where each part came from (unit code), for `alert rules show --effective`.
  std::map<std::string, std::string> source;
};

// Parses and validates a unit's rules; invalid_argument naming `source` and the field otherwise
// ("RULES.json: unhappy_share.threshold_percent: must be a whole number from 1 to 100").
Result<AlertRules> parse_alert_rules(const std::string& json_text, const std::string& source);
// The rules as JSON text (what the storage keeps; parse_alert_rules reads it back).
std::string alert_rules_json(const AlertRules& rules);

// `unit`'s effective rules from every unit's own rules and the tree (code -> parent).
EffectiveAlertRules effective_alert_rules(
    const std::string& unit, const std::map<std::string, AlertRules>& rules,
    const std::map<std::string, std::optional<std::string>>& parents);
std::string effective_rules_json(const EffectiveAlertRules& rules);

// What the backlog and offline conditions know of a kiosk.
struct KioskAlertInput {
  std::string kiosk_id;
  std::string unit;
  TimePoint created_at{};
  std::optional<TimePoint> last_contact;
  // The oldest response the kiosk still holds, as its latest health report said; nullopt when it
  // did not say (then no backlog alert).
  std::optional<TimePoint> oldest_pending_at;
  bool revoked = false;
};

// Everything one evaluation looks at.
struct AlertInputs {
  TimePoint now{};
  std::vector<KioskAlertInput> kiosks;
  std::vector<AlertResponse> new_responses;
  // For each kiosk whose unhappy share is to be (re)computed: its responses of the longest
  // window its rules ask for.
  std::map<std::string, std::vector<AlertResponse>> windows;
  std::vector<AlertFinding> new_findings;
  std::vector<AlertRecord> open;  // every open alert
  // The rules of a unit.
  std::function<EffectiveAlertRules(const std::string& unit)> rules;
  // Whether a questionnaire is on the 0–2 points scale (its answers are not 1–5 ratings).
  std::function<bool(const std::string& survey_id)> is_points;
  // The offset of a unit's time zone at an instant, for the times in the Vietnamese detail
  // (Asia/Ho_Chi_Minh's +7 when unset).
  std::function<std::chrono::seconds(const std::string& unit, TimePoint t)> offset_of;
};

// The alerts to open (id 0), update or clear, at most one per key.
std::vector<AlertUpsert> evaluate_alerts(const AlertInputs& in);
// The kiosks whose window evaluate_alerts wants in `windows`: those with new responses and those
// with an open unhappy_share alert.
std::set<std::string> kiosks_needing_windows(const AlertInputs& in);

// Whether an acknowledgement also clears the alert: the kinds that are events rather than states
// (low_rating, finding) close when acknowledged.
bool ack_closes(const std::string& kind);

// The JSON of an alert (API and notification payloads): {"id", "kind", "unit", "kiosk_id",
// "state", "opened_at", "last_seen_at", "cleared_at", "count", "detail", "acknowledged_at",
// "acknowledged_by"}; a notification's is {"event", "alert"}.
nlohmann::json alert_to_json(const AlertRecord& a);
std::string alert_json_text(const AlertRecord& a, const std::string& event);

// The e-mail of a notification: RFC 5322 headers (RFC 2047 subject, UTF-8 body in base64), the
// Vietnamese text and then the other `languages`. `message_id` is stable across retries.
std::string alert_email(const AlertRecord& a, const std::string& event, const std::string& from,
                        const std::string& to, const std::vector<std::string>& languages,
                        TimePoint date, const std::string& message_id);

// The webhook headers for `body` sent at `now`: Sipas-Timestamp (Unix seconds) and
// Sipas-Signature: sha256=HEX(HMAC-SHA256(secret, TIMESTAMP + "." + body)).
std::vector<std::pair<std::string, std::string>> webhook_signature_headers(
    const std::string& secret, const std::string& body, TimePoint now);

struct SmtpOptions {
  std::string url;   // smtp://host:port; empty: no e-mail
  std::string from;  // envelope and From: address
  std::string user;
  std::string password;
  std::string ca_file;  // empty: the system's CA store
};

struct AlertOptions {
  SmtpOptions smtp;
  std::string webhook_ca_file;  // empty: the system's CA store
  std::chrono::milliseconds evaluate_every{std::chrono::seconds(30)};
  std::chrono::milliseconds min_gap{1000};  // between two evaluations
  // How often the outbox is looked at (besides after each evaluation that queued messages).
  std::chrono::milliseconds deliver_every{std::chrono::seconds(1)};
  std::chrono::milliseconds retry_initial{std::chrono::seconds(5)};
  std::chrono::milliseconds retry_cap{std::chrono::minutes(10)};
  std::chrono::hours expire_after{24 * 7};  // an undelivered message is given up (logged)
  std::chrono::milliseconds send_timeout{std::chrono::seconds(20)};
  bool enabled = true;  // false: no threads (tools, benchmarks)
};

// One delivery attempt's outcome: ok, or why not.
using AlertSender = std::function<Status(const AlertMessage& message)>;

// When the next attempt of a message that failed `attempts` times (1, 2, ...) is due: the
// sync uploader's Backoff (exponential from `initial`, capped, with jitter) from `now`.
TimePoint next_alert_attempt(TimePoint now, std::int64_t attempts, std::chrono::milliseconds initial,
                             std::chrono::milliseconds cap, double random01);

class AlertEngine {
 public:
  // `db` is opened once per thread. `clock` and `log` must outlive the engine; `log` takes one
  // line (no newline) from the engine's threads. `sender` replaces the real delivery (tests).
  AlertEngine(std::string db, AlertOptions options, const Clock& clock,
              std::function<void(const std::string&)> log, AlertSender sender = nullptr);
  ~AlertEngine();  // stops and joins the threads
  AlertEngine(const AlertEngine&) = delete;
  AlertEngine& operator=(const AlertEngine&) = delete;

  // Runs one evaluation on the calling thread (where evaluation starts, on a new database), then
  // starts the threads.
  void start();
  void stop();
  // Asks for an evaluation soon (after a stored batch); never blocks on the evaluation.
  void notify();

  // One evaluation / one delivery round on `store`, now, on the caller's thread (tests, and the
  // threads themselves). deliver_once returns how many messages were sent.
  Status evaluate_once(ServerStore& store);
  Result<int> deliver_once(ServerStore& store);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The CLI's alert commands (`sipas-server alert ...`); nullopt when `args` is not one of them,
// otherwise the exit code (0 done, 1 failure, 2 usage error).
std::optional<int> run_alert_command(const std::vector<std::string>& args, std::ostream& out,
                                     std::ostream& err);
constexpr const char* kAlertUsage =
    "  sipas-server alert rules set --db PATH --unit CODE --file RULES.json\n"
    "  sipas-server alert rules clear --db PATH --unit CODE\n"
    "  sipas-server alert rules show --db PATH --unit CODE [--effective]\n"
    "  sipas-server alert list --db PATH [--unit CODE] [--state open|cleared|all]\n"
    "  sipas-server alert ack --db PATH --id N --user NAME\n";

}  // namespace sipas
