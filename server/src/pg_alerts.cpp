// The alert tables of the PostgreSQL storage (ServerStore's alert methods).
#include <algorithm>
#include <climits>

#include "pg_store.hpp"

namespace sipas {
namespace {

using pg::ArrayParam;
using pg::Param;
using pg::Rows;

constexpr const char* kAlertColumns =
    "id, key, kind, unit, kiosk_id, state, opened_ms, last_seen_ms, cleared_ms, events, detail, "
    "acked_ms, acked_by, detail_vi";

AlertRecord read_alert(const Rows& q, int i) {
  AlertRecord a;
  a.id = q.int64(i, 0);
  a.key = q.text(i, 1);
  a.kind = q.text(i, 2);
  a.unit = q.text(i, 3);
  a.kiosk_id = q.opt_text(i, 4);
  a.state = q.text(i, 5);
  a.opened_at = from_unix_ms(q.int64(i, 6));
  a.last_seen_at = from_unix_ms(q.int64(i, 7));
  if (!q.is_null(i, 8)) a.cleared_at = from_unix_ms(q.int64(i, 8));
  a.count = q.int64(i, 9);
  a.detail = q.text(i, 10);
  if (!q.is_null(i, 11)) a.acked_at = from_unix_ms(q.int64(i, 11));
  a.acked_by = q.opt_text(i, 12);
  a.detail_vi = q.text(i, 13);
  return a;
}

std::optional<std::int64_t> opt_ms(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return unix_ms(*t);
}

std::int64_t limit_of(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
}

// Columns: rid, kiosk_id, survey_id, submitted_ms, has_comment, value (NULL without answers).
void read_responses(const Rows& q, std::vector<AlertResponse>& out) {
  for (int i = 0; i < q.size(); ++i) {
    const std::int64_t rid = q.int64(i, 0);
    if (out.empty() || out.back().rid != rid) {
      AlertResponse r;
      r.rid = rid;
      r.kiosk_id = q.text(i, 1);
      r.survey_id = q.text(i, 2);
      r.submitted_at = from_unix_ms(q.int64(i, 3));
      r.has_comment = q.boolean(i, 4);
      out.push_back(std::move(r));
    }
    if (!q.is_null(i, 5)) out.back().values.push_back(static_cast<int>(q.int64(i, 5)));
  }
}

constexpr const char* kResponseColumns =
    "SELECT r.rid, r.kiosk_id, r.survey_id, r.submitted_ms, "
    "coalesce(length(r.comment), 0) > 0, a.value FROM responses r "
    "LEFT JOIN answers a ON a.response_rid = r.rid AND a.value IS NOT NULL ";

}  // namespace

// Row numbers come from a sequence when a row is inserted, but batches commit side by side: a row
// numbered 100 may become visible after one numbered 101 did, and a cursor past 101 would never
// see it. Taking the table in SHARE mode waits for every transaction that is inserting into it
// (and holds new ones back for the instant it takes to read the highest number); every row at or
// below that number is then committed, and every later one gets a higher number.
Result<std::int64_t> PgServerStore::settled_max(const char* table, const char* column) {
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  Status s = conn_->run(std::string("wait for writers of ") + table,
                        std::string("LOCK TABLE ") + table + " IN SHARE MODE");
  if (!s.is_ok()) return s;
  auto rows = conn_->exec(std::string("read the last row of ") + table,
                          std::string("SELECT coalesce(max(") + column + "), 0) FROM " + table);
  if (!rows.is_ok()) return rows.status();
  const std::int64_t top = rows->int64(0, 0);
  s = tx.commit();
  if (!s.is_ok()) return s;
  return top;
}

Status PgServerStore::put_alert_rules(const std::string& unit_code,
                                      const std::optional<std::string>& json, TimePoint now) {
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto u = unit(unit_code);
  if (!u.is_ok()) return u.status();
  if (!*u) return Status::error(ErrorCode::not_found, "unknown unit " + unit_code);
  Status s = json ? conn_->run("store alert rules",
                               "INSERT INTO alert_rules(unit, body, updated_at) VALUES ($1, $2, $3) "
                               "ON CONFLICT(unit) DO UPDATE SET body = excluded.body, "
                               "updated_at = excluded.updated_at",
                               {unit_code, *json, format_rfc3339(now)})
                  : conn_->run("remove alert rules", "DELETE FROM alert_rules WHERE unit = $1",
                               {unit_code});
  if (!s.is_ok()) return s;
  return tx.commit();
}

Result<std::map<std::string, std::string>> PgServerStore::alert_rules() {
  auto rows = conn_->exec("read alert rules", "SELECT unit, body FROM alert_rules");
  if (!rows.is_ok()) return rows.status();
  std::map<std::string, std::string> out;
  for (int i = 0; i < rows->size(); ++i) out[rows->text(i, 0)] = rows->text(i, 1);
  return out;
}

Result<AlertCursor> PgServerStore::alert_cursor() {
  auto rows = conn_->exec(
      "read alert cursor",
      "SELECT response_rid, finding_fid FROM alert_cursor WHERE one = 1 UNION ALL "
      "SELECT (SELECT coalesce(max(rid), 0) FROM responses), "
      "(SELECT coalesce(max(fid), 0) FROM findings) "
      "WHERE NOT EXISTS (SELECT 1 FROM alert_cursor)");
  if (!rows.is_ok()) return rows.status();
  if (rows->size() == 0) return AlertCursor{};
  return AlertCursor{rows->int64(0, 0), rows->int64(0, 1)};
}

Result<std::vector<AlertResponse>> PgServerStore::alert_responses(std::int64_t after_rid,
                                                                 std::size_t limit) {
  auto top = settled_max("responses", "rid");
  if (!top.is_ok()) return top.status();
  auto rows = conn_->exec(
      "read responses for alerts",
      std::string(kResponseColumns) +
          "WHERE r.rid IN (SELECT rid FROM responses WHERE rid > $1 AND rid <= $3 ORDER BY rid "
          "LIMIT $2) ORDER BY r.rid",
      {after_rid, limit_of(limit), *top});
  if (!rows.is_ok()) return rows.status();
  std::vector<AlertResponse> out;
  read_responses(*rows, out);
  return out;
}

Result<std::vector<AlertResponse>> PgServerStore::alert_window(const std::string& kiosk_id,
                                                              TimePoint from, std::size_t limit) {
  auto rows = conn_->exec(
      "read responses for alerts",
      std::string(kResponseColumns) +
          "WHERE r.rid IN (SELECT rid FROM responses WHERE kiosk_id = $1 AND submitted_ms >= $2 "
          "ORDER BY submitted_ms DESC LIMIT $3) ORDER BY r.rid",
      {kiosk_id, unix_ms(from), limit_of(limit)});
  if (!rows.is_ok()) return rows.status();
  std::vector<AlertResponse> out;
  read_responses(*rows, out);
  return out;
}

Result<std::vector<AlertFinding>> PgServerStore::alert_findings(std::int64_t after_fid,
                                                               std::size_t limit) {
  auto top = settled_max("findings", "fid");
  if (!top.is_ok()) return top.status();
  auto rows = conn_->exec(
      "read findings for alerts",
      "SELECT fid, kiosk_id, kind, detail FROM findings WHERE fid > $1 AND fid <= $3 "
      "ORDER BY fid LIMIT $2",
      {after_fid, limit_of(limit), *top});
  if (!rows.is_ok()) return rows.status();
  std::vector<AlertFinding> out;
  for (int i = 0; i < rows->size(); ++i) {
    out.push_back({rows->int64(i, 0), rows->text(i, 1), rows->text(i, 2), rows->text(i, 3)});
  }
  return out;
}

Result<std::vector<AlertRecord>> PgServerStore::alerts(const AlertFilter& filter) {
  std::vector<Param> params;
  std::string where = "true";
  if (filter.state == "open" || filter.state == "cleared") {
    params.emplace_back(filter.state);
    where += " AND state = $" + std::to_string(params.size());
  }
  if (filter.id) {
    params.emplace_back(*filter.id);
    where += " AND id = $" + std::to_string(params.size());
  }
  if (!filter.units.empty()) {
    ArrayParam units;
    for (const auto& u : filter.units) units.add(u);
    params.emplace_back(units.take());
    where += " AND unit = ANY($" + std::to_string(params.size()) + "::text[])";
  }
  params.emplace_back(limit_of(filter.limit));
  auto rows = conn_->exec("list alerts",
                          std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE " + where +
                              " ORDER BY id DESC LIMIT $" + std::to_string(params.size()),
                          params);
  if (!rows.is_ok()) return rows.status();
  std::vector<AlertRecord> out;
  for (int i = 0; i < rows->size(); ++i) out.push_back(read_alert(*rows, i));
  return out;
}

Result<bool> PgServerStore::apply_alert_pass(const AlertPass& pass) {
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  // The row lock orders evaluations of several servers; the first row is made under the table's
  // unique key, so two first evaluations cannot both insert it.
  auto cur = conn_->exec("read alert cursor",
                         "SELECT response_rid, finding_fid FROM alert_cursor WHERE one = 1 "
                         "FOR UPDATE");
  if (!cur.is_ok()) return cur.status();
  if (cur->size() && AlertCursor{cur->int64(0, 0), cur->int64(0, 1)} != pass.from) return false;
  Status s = conn_->run("move alert cursor",
                        "INSERT INTO alert_cursor(one, response_rid, finding_fid) VALUES (1, $1, $2) "
                        "ON CONFLICT(one) DO UPDATE SET response_rid = excluded.response_rid, "
                        "finding_fid = excluded.finding_fid",
                        {pass.to.response_rid, pass.to.finding_fid});
  if (!s.is_ok()) return s;
  for (const AlertUpsert& u : pass.upserts) {
    AlertRecord a = u.alert;
    if (a.id == 0) {
      auto id = conn_->exec(
          "open alert",
          "INSERT INTO alerts(key, kind, unit, kiosk_id, opened_ms, state, last_seen_ms, "
          "cleared_ms, events, detail, detail_vi) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
          "$10, $11) RETURNING id",
          {a.key, a.kind, a.unit, a.kiosk_id, unix_ms(a.opened_at), a.state,
           unix_ms(a.last_seen_at), opt_ms(a.cleared_at), a.count, a.detail, a.detail_vi});
      if (!id.is_ok()) return id.status();
      a.id = id->int64(0, 0);
    } else {
      s = conn_->run("update alert",
                     "UPDATE alerts SET state = $1, last_seen_ms = $2, cleared_ms = $3, "
                     "events = $4, detail = $5, detail_vi = $6 WHERE id = $7",
                     {a.state, unix_ms(a.last_seen_at), opt_ms(a.cleared_at), a.count, a.detail,
                      a.detail_vi, a.id});
      if (!s.is_ok()) return s;
    }
    if (u.event.empty() || !pass.messages) continue;
    for (const AlertMessage& m : pass.messages(a, u.event)) {
      s = conn_->run("queue alert message",
                     "INSERT INTO alert_outbox(alert_id, event, channel, target, secret, payload, "
                     "created_ms, next_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                     {a.id, u.event, m.channel, m.target, m.secret, m.payload,
                      unix_ms(m.created_at), unix_ms(m.next_attempt_at)});
      if (!s.is_ok()) return s;
    }
  }
  s = tx.commit();
  if (!s.is_ok()) return s;
  return true;
}

Status PgServerStore::ack_alert(std::int64_t id, const std::string& user, TimePoint now,
                                bool close) {
  auto r = conn_->exec(
      "acknowledge alert",
      "UPDATE alerts SET acked_ms = coalesce(acked_ms, $1), acked_by = coalesce(acked_by, $2), "
      "cleared_ms = CASE WHEN $3 AND state = 'open' THEN $1 ELSE cleared_ms END, "
      "state = CASE WHEN $3 THEN 'cleared' ELSE state END WHERE id = $4",
      {unix_ms(now), user, close ? "true" : "false", id});
  if (!r.is_ok()) return r.status();
  if (r->affected() == 0) {
    return Status::error(ErrorCode::not_found, "unknown alert " + std::to_string(id));
  }
  return Status::ok();
}

Result<std::vector<AlertMessage>> PgServerStore::due_alert_messages(TimePoint now,
                                                                   std::size_t limit) {
  auto rows = conn_->exec(
      "read due alert messages",
      "SELECT id, alert_id, event, channel, target, secret, payload, attempts, created_ms, "
      "next_ms, last_error FROM alert_outbox WHERE state = 'pending' AND next_ms <= $1 "
      "ORDER BY next_ms, id LIMIT $2",
      {unix_ms(now), limit_of(limit)});
  if (!rows.is_ok()) return rows.status();
  std::vector<AlertMessage> out;
  for (int i = 0; i < rows->size(); ++i) {
    AlertMessage m;
    m.id = rows->int64(i, 0);
    m.alert_id = rows->int64(i, 1);
    m.event = rows->text(i, 2);
    m.channel = rows->text(i, 3);
    m.target = rows->text(i, 4);
    m.secret = rows->text(i, 5);
    m.payload = rows->text(i, 6);
    m.attempts = rows->int64(i, 7);
    m.created_at = from_unix_ms(rows->int64(i, 8));
    m.next_attempt_at = from_unix_ms(rows->int64(i, 9));
    m.last_error = rows->text(i, 10);
    out.push_back(std::move(m));
  }
  return out;
}

Status PgServerStore::finish_alert_message(std::int64_t id, const std::string& outcome,
                                           TimePoint now, const std::string& error) {
  return conn_->run("finish alert message",
                    "UPDATE alert_outbox SET state = $1, done_ms = $2, attempts = attempts + 1, "
                    "last_error = $3 WHERE id = $4",
                    {outcome, unix_ms(now), error, id});
}

Status PgServerStore::retry_alert_message(std::int64_t id, std::int64_t attempts, TimePoint next,
                                          const std::string& error) {
  return conn_->run("postpone alert message",
                    "UPDATE alert_outbox SET attempts = $1, next_ms = $2, last_error = $3 "
                    "WHERE id = $4",
                    {attempts, unix_ms(next), error, id});
}

}  // namespace sipas
