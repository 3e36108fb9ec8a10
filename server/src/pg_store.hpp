// The ServerStore on PostgreSQL (15 and later) through libpq (pg.hpp): the same tables as the
// SQLite storage, with text columns compared bytewise (COLLATE "C", as SQLite does) so that every
// order and text is the same. The schema is versioned in schema_version with forward migrations,
// applied at open under a transaction-level advisory lock, so servers starting together do not
// race. A batch's ingest locks its kiosk's row (SELECT ... FOR UPDATE): one kiosk's batches are
// stored one after another across every server sharing the database; the responses' primary key
// keeps a response once. Internal to server/.
//
// Threads: one PgServerStore owns one connection and is used by one thread at a time.
// Errors: as ServerStore; pg.hpp says how PostgreSQL's errors map to the codes.
#pragma once

#include <memory>
#include <string>

#include "pg.hpp"
#include "sipas/server/server_store.hpp"

namespace sipas {

class PgServerStore final : public ServerStore {
 public:
  // Connects to the database `conninfo` names (a libpq URI or key=value string) and migrates it.
  static Result<std::unique_ptr<PgServerStore>> open(const std::string& conninfo);

  Status import_units(const std::vector<UnitRecord>& units) override;
  Result<std::vector<UnitRecord>> units() override;
  Result<std::optional<UnitRecord>> unit(const std::string& code) override;
  Result<std::vector<std::string>> unit_subtree(const std::string& code) override;
  Status add_kiosk(const std::string& kiosk_id, const std::string& unit,
                   const std::string& token_hash, TimePoint now) override;
  Status revoke_kiosk(const std::string& kiosk_id, TimePoint now) override;
  Status set_kiosk_token(const std::string& kiosk_id, const std::string& token_hash) override;
  Result<std::optional<KioskRecord>> kiosk_by_token_hash(const std::string& token_hash) override;
  Result<std::vector<KioskRecord>> kiosks() override;
  Status add_user(const UserRecord& user) override;
  Result<std::optional<UserRecord>> user(const std::string& name) override;
  Result<std::vector<UserRecord>> users() override;
  Status set_user_password(const std::string& name, const std::string& password_hash) override;
  Status set_user_disabled(const std::string& name, bool disabled) override;
  Status delete_user(const std::string& name) override;
  Result<std::int64_t> end_user_sessions(const std::string& name) override;
  Result<NewSession> create_session(const std::string& user, TimePoint now) override;
  Result<std::optional<Session>> find_session(const std::string& token, TimePoint now) override;
  Status end_session(const std::string& token) override;
  Result<TimePoint> throttle_locked_until(const std::vector<std::string>& keys) override;
  Status update_throttle(const std::string& key, TimePoint now, std::chrono::seconds forget_after,
                         const std::function<void(ThrottleEntry&)>& change) override;
  Status forget_throttle(const std::vector<std::string>& keys) override;
  Result<std::string> create_login_link(const std::string& user, TimePoint now) override;
  Result<std::optional<std::string>> redeem_login_link(const std::string& token,
                                                       TimePoint now) override;
  Status import_procedures(const std::vector<ProcedureRecord>& procedures) override;
  Result<std::vector<ProcedureRecord>> procedures() override;
  Status put_survey(const std::string& id, int version, const std::string& json_text) override;
  Result<std::vector<std::string>> survey_texts() override;
  bool parallel_writers() const override { return true; }
  Result<BatchReply> ingest(const KioskRecord& kiosk, const ParsedBatch& batch, TimePoint now,
                            IngestTiming* timing = nullptr) override;
  Result<std::vector<Finding>> findings(const std::string& kiosk_id, std::size_t limit) override;
  Result<std::map<std::string, std::int64_t>> finding_counts(const std::string& kiosk_id) override;
  Result<std::pair<std::int64_t, std::int64_t>> kiosk_counts(const std::string& kiosk_id) override;
  Status ping() override;
  Status probe_write() override;
  Result<std::vector<QuarantineRecord>> quarantine(const std::string& kiosk_id,
                                                   std::size_t limit) override;
  Result<std::int64_t> response_count() override;
  Result<std::int64_t> quarantine_count() override;
  Status read_rollups(const RollupRead& read, Slice& into) override;
  Status rebuild_rollups() override;
  Status refill_below_rollups() override;
  Status stream_responses(const RawFilter& filter,
                          const std::function<Status(const ResponseFacts&)>& sink) override;
  Result<std::vector<CommentRow>> comments(const std::vector<std::string>& units, TimePoint from,
                                           TimePoint to, const CommentFilter& filter,
                                           std::size_t limit) override;
  Result<std::unique_ptr<RawCursor>> raw_responses(const std::vector<RawSpan>& spans,
                                                   std::size_t limit) override;
  // Configuration bundles: in sqlite_config_bundles.cpp / pg_config_bundles.cpp.
  Result<std::int64_t> put_config_bundle(const std::string& scope, const std::string& scope_id,
                                         const std::optional<std::string>& content,
                                         const std::vector<SurveyUpload>& surveys,
                                         const std::string& uploaded_by, TimePoint now) override;
  Result<std::optional<ConfigBundleRecord>> latest_config_bundle(
      const std::string& scope, const std::string& scope_id) override;
  Result<std::vector<ConfigBundleRecord>> config_bundle_history(
      const std::string& scope, const std::string& scope_id) override;
  Result<std::vector<ConfigBundleRecord>> latest_config_bundles() override;

  Result<std::map<std::string, LatestHealth>> latest_health() override;
  Result<std::vector<KioskContact>> contacts(const std::string& kiosk_id,
                                             std::size_t limit) override;

  // Alerts: sqlite_alerts.cpp / pg_alerts.cpp.
  Status put_alert_rules(const std::string& unit, const std::optional<std::string>& json,
                         TimePoint now) override;
  Result<std::map<std::string, std::string>> alert_rules() override;
  Result<AlertCursor> alert_cursor() override;
  Result<std::vector<AlertResponse>> alert_responses(std::int64_t after_rid,
                                                    std::size_t limit) override;
  Result<std::vector<AlertResponse>> alert_window(const std::string& kiosk_id, TimePoint from,
                                                 std::size_t limit) override;
  Result<std::vector<AlertFinding>> alert_findings(std::int64_t after_fid,
                                                  std::size_t limit) override;
  Result<std::vector<AlertRecord>> alerts(const AlertFilter& filter) override;
  Result<bool> apply_alert_pass(const AlertPass& pass) override;
  Status ack_alert(std::int64_t id, const std::string& user, TimePoint now, bool close) override;
  Result<std::vector<AlertMessage>> due_alert_messages(TimePoint now, std::size_t limit) override;
  Status finish_alert_message(std::int64_t id, const std::string& outcome, TimePoint now,
                              const std::string& error) override;
  Status retry_alert_message(std::int64_t id, std::int64_t attempts, TimePoint next,
                             const std::string& error) override;

  // Improvement actions: sqlite_actions.cpp / pg_actions.cpp.
  Result<std::int64_t> add_action(const ImprovementAction& a) override;
  Status update_action(const ImprovementAction& a) override;
  Result<std::optional<ImprovementAction>> action(std::int64_t id) override;
  Result<std::vector<ImprovementAction>> actions(const std::vector<std::string>& units) override;
  Status remove_action(std::int64_t id) override;

  // For migrate.cpp, which copies a SQLite database in table by table.
  pg::Conn& conn() { return *conn_; }

 private:
  explicit PgServerStore(std::unique_ptr<pg::Conn> conn) : conn_(std::move(conn)) {}
  // Records a batch as a contact and its health (pg_health.cpp), in ingest's transaction.
  Status record_contact(const std::string& kiosk_id, const ParsedBatch& batch,
                        const BatchReply& reply, TimePoint now);
  Status migrate();
  // The highest row number of `table` once every transaction inserting into it has ended
  // (pg_alerts.cpp).
  Result<std::int64_t> settled_max(const char* table, const char* column);
  // Ends every session and login link of `name`, inside the caller's transaction; how many
  // sessions ended.
  Result<std::int64_t> end_sessions_of(const std::string& name);
  // Runs one UPDATE or DELETE of a user row (not_found when it changes none) and, with
  // `end_sessions`, ends their sessions, all in one transaction.
  Status change_user(const std::string& name, const std::string& sql, const char* what,
                     const std::vector<pg::Param>& params, bool end_sessions);
  std::unique_ptr<pg::Conn> conn_;
};

}  // namespace sipas
