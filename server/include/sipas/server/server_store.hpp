// ServerStore: everything the province server keeps — units and their hierarchy, kiosks and their
// token hashes, dashboard users and sessions, questionnaires, the procedure catalogue, the
// ingested responses (normalised, with the canonical JSON kept), quarantine, integrity findings
// and the score rollups — behind one interface. Nothing above it (HTTP handlers, dashboard,
// reports, CLI, ScoreService) writes SQL; a storage is one implementation of it (SQLite in
// sqlite_store.cpp, PostgreSQL in pg_store.cpp), chosen by ServerStore::open from the --db value.
//
// Durability (SQLite): WAL, synchronous=FULL, foreign keys on; the schema is versioned through
// user_version with forward migrations. PostgreSQL: the server's own durability; the schema is
// versioned in a schema_version table, migrated at open under an advisory lock.
//
// Threads: one ServerStore is used by one thread at a time; open one per thread. Any number of
// them, in one or several processes, may share a database (writers wait up to 10 s for each
// other, then get ErrorCode::busy). Two servers may take batches of the same kiosk at once: each
// response is stored once.
//
// Errors: Status codes — invalid_argument (bad codes/ids, unknown parent/unit), not_found,
// conflict (already exists), and the storage codes (busy, disk_full, read_only, corrupt,
// io_error). Nothing throws.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <optional>
#include <string>
#include <vector>

#include "sipas/protocol.hpp"
#include "sipas/server/actions.hpp"
#include "sipas/server/alert_types.hpp"
#include "sipas/server/batch.hpp"
#include "sipas/server/login_throttle.hpp"
#include "sipas/server/rollups.hpp"
#include "sipas/server/sessions.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

struct UnitRecord {
  std::string code;
  std::string name;
  std::optional<std::string> parent;
  std::string time_zone = "Asia/Ho_Chi_Minh";
  bool operator==(const UnitRecord&) const = default;
};

struct KioskRecord {
  std::string kiosk_id;
  std::string unit;
  std::string created_at;
  std::optional<std::string> revoked_at;
  std::optional<std::string> last_contact;
  std::int64_t last_seq = 0;   // highest seq received
  std::int64_t acked_seq = 0;  // see docs/protocol.md, "acked_seq"
};

struct UserRecord {
  std::string name;
  std::string password_hash;  // hash_secret() output
  std::optional<std::string> unit;  // nullopt: the whole province
  bool disabled = false;      // may not log in; has no sessions
};

// An entry of the administrative procedure catalogue (kiosk-config/procedures.json).
struct ProcedureRecord {
  std::string code;                          // 1–64 of [A-Za-z0-9._-]
  std::map<std::string, std::string> name;   // by language; "vi" always present
  bool operator==(const ProcedureRecord&) const = default;
  // The name in `lang`, else the Vietnamese one.
  const std::string& name_in(const std::string& lang) const;
};

struct Finding {
  std::string kiosk_id;
  std::string kind;  // gap, broken_chain, bad_hash, seq_reused, clock_skew, burst
  std::optional<std::int64_t> seq;
  std::optional<std::string> response_id;
  std::string detail;
  std::string created_at;
};

struct QuarantineRecord {
  std::string kiosk_id;
  std::optional<std::string> response_id;
  std::optional<std::int64_t> seq;
  std::string error;
  std::string raw;
  std::string received_at;
};

// One contact of a kiosk: a batch, or a heartbeat (a batch without responses), as ingested.
struct KioskContact {
  std::string received_at;  // server time
  std::int64_t responses = 0, accepted = 0, duplicates = 0, rejected = 0;
  bool heartbeat = false;
  std::optional<KioskHealth> health;  // as sent; none from kiosks that send no health
  std::int64_t skew_ms = 0;  // the kiosk's clock (health.clock, else sent_at) minus server time
};

// The latest health a kiosk sent, when it arrived, and its clock skew then.
struct LatestHealth {
  KioskHealth health;
  std::string received_at;
  std::int64_t skew_ms = 0;
};

// How much contact history ingest keeps per kiosk: the contacts of the last `days`, and at most
// `per_kiosk` of them (30 days of 5-minute heartbeats are 8640). Pruned by each new contact, with
// two index range deletes.
struct ContactRetention {
  int days = 30;
  std::int64_t per_kiosk = 10000;
};

// Time spent inside ingest(), for the ingest benchmark (sqlite_ns: in the storage, whichever).
struct IngestTiming {
  std::int64_t sqlite_ns = 0;
};

// One comment left by a citizen, for the dashboard and exports.
struct CommentRow {
  std::string submitted_at;
  std::string local_time;  // "2026-11-18 07:00" in the unit's time zone (filled by ScoreService)
  std::string unit;
  std::string counter;
  std::optional<std::string> officer;
  std::string text;
  std::vector<std::string> reasons;  // reason ids
  TimePoint at{};                    // submitted_at as an instant
};

// Unset fields do not filter.
struct CommentFilter {
  std::optional<std::string> counter;
  std::optional<std::string> officer;
  std::optional<std::string> procedure;  // a procedure code
};

// One raw response row for exports.
struct RawRow {
  std::string id;
  std::string kiosk_id;
  std::int64_t seq = 0;
  std::string unit, counter;
  std::optional<std::string> officer, dossier, procedure;
  std::string survey_id;
  int survey_version = 1;
  std::string language, submitted_at, local_day, status;  // local_day filled by ScoreService
  std::map<std::string, std::optional<int>> answers;
  std::vector<std::string> reasons;
  std::optional<std::string> comment;
  TimePoint at{};  // submitted_at as an instant
};

// Units whose local days share one time zone, and the instants [from, to) of a date range there.
struct RawSpan {
  std::vector<std::string> units;
  TimePoint from{};
  TimePoint to{};
};

// Raw responses read one at a time (an export of any size in constant memory).
class RawCursor {
 public:
  virtual ~RawCursor() = default;
  // The next row into `row`: true, or false at the end.
  virtual Result<bool> next(RawRow& row) = 0;
};

// One stored version of a configuration bundle (issue 13, config_bundles.hpp).
struct ConfigBundleRecord {
  std::int64_t version = 0;            // server-wide sequence: only grows
  std::string scope;                   // "unit" or "kiosk"
  std::string scope_id;                // the unit's code or the kiosk's id
  std::optional<std::string> content;  // the bundle's JSON text; nullopt: the bundle was removed
  std::string uploaded_by;
  std::string uploaded_at;             // RFC 3339
};

// A questionnaire to store with a bundle: put_survey's arguments.
struct SurveyUpload {
  std::string id;
  int version = 1;
  std::string json_text;
};

class ServerStore {
 public:
  // Opens (creating and migrating) the storage `db` names: a PostgreSQL connection string (see
  // is_postgresql) or else a SQLite file path. A PostgreSQL password comes from the string or
  // from libpq's PGPASSWORD / PGPASSFILE; no message repeats it.
  static Result<std::unique_ptr<ServerStore>> open(const std::string& db);
  virtual ~ServerStore() = default;

  // Units. Codes and kiosk ids: 1–64 of [A-Za-z0-9._-]. A parent must exist.
  Status add_unit(const UnitRecord& unit) { return import_units({unit}); }
  // Inserts or updates every unit in one transaction; parents may appear after their children in
  // the list. A change of parent that would make a cycle is refused.
  virtual Status import_units(const std::vector<UnitRecord>& units) = 0;
  virtual Result<std::vector<UnitRecord>> units() = 0;
  virtual Result<std::optional<UnitRecord>> unit(const std::string& code) = 0;
  // The unit and every unit below it.
  virtual Result<std::vector<std::string>> unit_subtree(const std::string& code) = 0;

  // Kiosks. The token itself is never stored: token_hash is sha256_hex(token).
  virtual Status add_kiosk(const std::string& kiosk_id, const std::string& unit,
                           const std::string& token_hash, TimePoint now) = 0;
  // A revoked kiosk's token is refused from then on; its data stays.
  virtual Status revoke_kiosk(const std::string& kiosk_id, TimePoint now) = 0;
  // Gives a kiosk a new token (and un-revokes it).
  virtual Status set_kiosk_token(const std::string& kiosk_id, const std::string& token_hash) = 0;
  // The kiosk whose token hashes to token_hash, revoked or not.
  virtual Result<std::optional<KioskRecord>> kiosk_by_token_hash(const std::string& token_hash) = 0;
  virtual Result<std::vector<KioskRecord>> kiosks() = 0;

  // Users of the dashboard and API. The changes below are not_found for an unknown user.
  virtual Status add_user(const UserRecord& user) = 0;
  virtual Result<std::optional<UserRecord>> user(const std::string& name) = 0;
  virtual Result<std::vector<UserRecord>> users() = 0;  // by name
  // A new password; the user's sessions and login links end (whoever knew the old one is out).
  virtual Status set_user_password(const std::string& name, const std::string& password_hash) = 0;
  // Disabling ends the user's sessions and login links at once; enabling lets the same password
  // in again.
  virtual Status set_user_disabled(const std::string& name, bool disabled) = 0;
  // The user, their sessions and login links.
  virtual Status delete_user(const std::string& name) = 0;
  // Ends every session and login link of the user; how many sessions ended.
  virtual Result<std::int64_t> end_user_sessions(const std::string& name) = 0;

  // Dashboard sessions and single-use login links (see sessions.hpp). An unknown, expired or used
  // token, or one of a disabled user, is not an error (nullopt); an unknown user is not_found, a
  // disabled one invalid_argument.
  virtual Result<NewSession> create_session(const std::string& user, TimePoint now) = 0;
  virtual Result<std::optional<Session>> find_session(const std::string& token, TimePoint now) = 0;
  virtual Status end_session(const std::string& token) = 0;
  virtual Result<std::string> create_login_link(const std::string& user, TimePoint now) = 0;
  // The user of a valid link, which is used up by this call.
  virtual Result<std::optional<std::string>> redeem_login_link(const std::string& token,
                                                               TimePoint now) = 0;

  // Failed-login counts (login_throttle.hpp), kept here so that every server on this storage
  // shares them; ThrottleBook's contract.
  virtual Result<TimePoint> throttle_locked_until(const std::vector<std::string>& keys) = 0;
  virtual Status update_throttle(const std::string& key, TimePoint now,
                                 std::chrono::seconds forget_after,
                                 const std::function<void(ThrottleEntry&)>& change) = 0;
  virtual Status forget_throttle(const std::vector<std::string>& keys) = 0;

  // The procedure catalogue. import_procedures inserts or updates every entry in one
  // transaction (invalid_argument for a bad code or a missing Vietnamese name; nothing written).
  // Responses may name codes that are not (yet) in the catalogue.
  virtual Status import_procedures(const std::vector<ProcedureRecord>& procedures) = 0;
  // By code.
  virtual Result<std::vector<ProcedureRecord>> procedures() = 0;

  // Questionnaires, kept as their JSON file text; the caller validates them (load_survey).
  virtual Status put_survey(const std::string& id, int version, const std::string& json_text) = 0;
  virtual Result<std::vector<std::string>> survey_texts() = 0;

  // Stores one validated batch from `kiosk` in one transaction: new responses stored, same id and
  // content counted as duplicates, same id with other content quarantined as a conflict, invalid
  // responses quarantined; chain, gap, clock-skew and burst findings recorded; the accepted
  // responses added to the rollups. The reply's acked_seq follows docs/protocol.md. Nothing is
  // written when an error is returned.
  virtual Result<BatchReply> ingest(const KioskRecord& kiosk, const ParsedBatch& batch,
                                    TimePoint now, IngestTiming* timing = nullptr) = 0;
  // Whether batches may be ingested on several connections of this storage at once (PostgreSQL:
  // row locks order them). False for SQLite, which has one writer at a time: its callers write
  // batches one after the other, through one connection.
  virtual bool parallel_writers() const { return false; }

  // The latest findings first.
  virtual Result<std::vector<Finding>> findings(const std::string& kiosk_id, std::size_t limit) = 0;
  // How many findings of each kind a kiosk has.
  virtual Result<std::map<std::string, std::int64_t>> finding_counts(const std::string& kiosk_id) = 0;
  // Responses stored and responses quarantined for one kiosk.
  virtual Result<std::pair<std::int64_t, std::int64_t>> kiosk_counts(const std::string& kiosk_id) = 0;
  // A trivial read; OK when the storage answers.
  virtual Status ping() = 0;
  // A small durable write that changes nothing stored; OK when the storage takes writes now, else
  // the storage code (disk_full, read_only, io_error, busy...). For /healthz: cheap enough to run
  // every few seconds. SQLite: rewrites the schema version in a write transaction, so that a page
  // goes through the WAL and fsync as every batch's does.
  virtual Status probe_write() = 0;
  // Moves written pages from the write-ahead log into the database file without waiting for
  // anyone (SQLite: a PASSIVE checkpoint), so that the writer of batches seldom has to; the
  // server runs it every second. Nothing to do for PostgreSQL, which checkpoints itself.
  virtual Status checkpoint() { return Status::ok(); }
  virtual Result<std::vector<QuarantineRecord>> quarantine(const std::string& kiosk_id,
                                                           std::size_t limit) = 0;
  virtual Result<std::int64_t> response_count() = 0;
  virtual Result<std::int64_t> quarantine_count() = 0;

  // Score rollups (see rollups.hpp): adds one level's sums to `into`.
  virtual Status read_rollups(const RollupRead& read, Slice& into) = 0;
  // Empties the rollups and recomputes them from the stored responses, in one transaction.
  virtual Status rebuild_rollups() = 0;
  // Recomputes the sums below each unit from the day and month rollups and the unit tree as it
  // is now, in one transaction. Importing units does it when a unit moves; for bulk loads.
  virtual Status refill_below_rollups() = 0;
  // Responses matching `filter` with their answers and reasons, one at a time; a non-OK Status
  // from `sink` stops the stream and is returned.
  virtual Status stream_responses(const RawFilter& filter,
                                  const std::function<Status(const ResponseFacts&)>& sink) = 0;
  // Comments of `units` submitted in [from, to), newest first, at most `limit`.
  virtual Result<std::vector<CommentRow>> comments(const std::vector<std::string>& units,
                                                   TimePoint from, TimePoint to,
                                                   const CommentFilter& filter,
                                                   std::size_t limit) = 0;
  // Responses of each span's units submitted in its [from, to), by submission time, at most
  // `limit`, read a row at a time. The cursor uses this storage's connection until it is
  // destroyed: nothing else may use the storage meanwhile.
  virtual Result<std::unique_ptr<RawCursor>> raw_responses(const std::vector<RawSpan>& spans,
                                                           std::size_t limit) = 0;

  // Kiosk health. ingest() records every batch as a contact, in its transaction, and keeps the
  // latest health per kiosk (a batch without health leaves the previous one).
  // The latest health of every kiosk that ever sent one, by kiosk id.
  virtual Result<std::map<std::string, LatestHealth>> latest_health() = 0;
  // A kiosk's contacts, newest first, at most `limit`.
  virtual Result<std::vector<KioskContact>> contacts(const std::string& kiosk_id,
                                                     std::size_t limit) = 0;
  // For the ingests that follow on this store object.
  void set_contact_retention(ContactRetention retention) { retention_ = retention; }


  // Configuration bundles (config_bundles.hpp). put_config_bundle stores a new version of the
  // scope's bundle (content nullopt: removes it) and, in the same transaction, `surveys` as
  // put_survey would, so that no kiosk can fetch a bundle whose questionnaires the server does not
  // know yet. Returns the new version. The caller has validated everything.
  virtual Result<std::int64_t> put_config_bundle(const std::string& scope,
                                                 const std::string& scope_id,
                                                 const std::optional<std::string>& content,
                                                 const std::vector<SurveyUpload>& surveys,
                                                 const std::string& uploaded_by, TimePoint now) = 0;
  // The scope's newest version (a removal included); nullopt when it never had one.
  virtual Result<std::optional<ConfigBundleRecord>> latest_config_bundle(
      const std::string& scope, const std::string& scope_id) = 0;
  // Every version of one scope, newest first.
  virtual Result<std::vector<ConfigBundleRecord>> config_bundle_history(
      const std::string& scope, const std::string& scope_id) = 0;
  // The newest version of every scope that ever had one, by scope then id.
  virtual Result<std::vector<ConfigBundleRecord>> latest_config_bundles() = 0;

  // Alerts (alerts.hpp). Rules are kept per unit as their JSON text, validated by the caller
  // (parse_alert_rules); nullopt removes a unit's rules. not_found for an unknown unit.
  virtual Status put_alert_rules(const std::string& unit, const std::optional<std::string>& json,
                                 TimePoint now) = 0;
  // Every unit's rules, by unit code.
  virtual Result<std::map<std::string, std::string>> alert_rules() = 0;
  virtual Result<AlertCursor> alert_cursor() = 0;
  // Responses stored after row `after_rid`, in row order, at most `limit`.
  virtual Result<std::vector<AlertResponse>> alert_responses(std::int64_t after_rid,
                                                            std::size_t limit) = 0;
  // One kiosk's responses submitted at or after `from` (the sliding window), at most `limit`.
  virtual Result<std::vector<AlertResponse>> alert_window(const std::string& kiosk_id,
                                                         TimePoint from, std::size_t limit) = 0;
  // Findings recorded after `after_fid`, in order, at most `limit`.
  virtual Result<std::vector<AlertFinding>> alert_findings(std::int64_t after_fid,
                                                          std::size_t limit) = 0;
  // Newest first.
  virtual Result<std::vector<AlertRecord>> alerts(const AlertFilter& filter) = 0;
  // One evaluation's writes (AlertPass), in one transaction; false (nothing written) when the
  // cursor is no longer at pass.from. A second open alert of one key is conflict.
  virtual Result<bool> apply_alert_pass(const AlertPass& pass) = 0;
  // Marks an alert acknowledged by `user` (the first acknowledgement stays); with `close`, an
  // open alert is cleared as well (no notification). not_found for an unknown id.
  virtual Status ack_alert(std::int64_t id, const std::string& user, TimePoint now, bool close) = 0;
  // Undelivered messages whose next attempt is due at `now`, oldest first, at most `limit`.
  virtual Result<std::vector<AlertMessage>> due_alert_messages(TimePoint now,
                                                              std::size_t limit) = 0;
  // A message delivered ("sent") or given up ("expired"): it leaves the queue.
  virtual Status finish_alert_message(std::int64_t id, const std::string& outcome,
                                      TimePoint now, const std::string& error) = 0;
  // A failed attempt: the count, when to try again and why it failed.
  virtual Status retry_alert_message(std::int64_t id, std::int64_t attempts, TimePoint next,
                                     const std::string& error) = 0;

  // Improvement actions (actions.hpp), validated by the caller (validate_action). add_action
  // stores `a` as a new action (its id is ignored) and returns the new id; update_action rewrites
  // every field of action a.id except created_by/created_at (not_found for an unknown id);
  // remove_action deletes one (not_found for an unknown id). An unknown unit is not_found.
  virtual Result<std::int64_t> add_action(const ImprovementAction& a) = 0;
  virtual Status update_action(const ImprovementAction& a) = 0;
  virtual Result<std::optional<ImprovementAction>> action(std::int64_t id) = 0;
  // The actions of `units`, by start date then id.
  virtual Result<std::vector<ImprovementAction>> actions(const std::vector<std::string>& units) = 0;
  virtual Status remove_action(std::int64_t id) = 0;

 protected:
  ContactRetention retention_;
};

// Whether `db` names a PostgreSQL database: a postgresql:// or postgres:// URI, or a libpq
// key=value string (with dbname=, host=, hostaddr=, service=, user= or port=).
bool is_postgresql(const std::string& db);

// The ThrottleBook of a server: its storage, through a connection of its own opened at first use
// and shared by the request threads one at a time (a login is rare, and each step is one short
// transaction).
class StoreThrottleBook final : public ThrottleBook {
 public:
  explicit StoreThrottleBook(std::string db) : db_(std::move(db)) {}
  Result<TimePoint> locked_until(const std::vector<std::string>& keys) override;
  Status update(const std::string& key, TimePoint now, std::chrono::seconds forget_after,
                const std::function<void(ThrottleEntry&)>& change) override;
  Status erase(const std::vector<std::string>& keys) override;

 private:
  // The store, opened (again, after a failure) on demand; call with mutex_ held.
  Result<ServerStore*> store();
  const std::string db_;
  std::mutex mutex_;
  std::unique_ptr<ServerStore> store_;
};

// Whether `code` is a valid unit code, kiosk id or procedure code.
bool is_valid_code(const std::string& code);

}  // namespace sipas
