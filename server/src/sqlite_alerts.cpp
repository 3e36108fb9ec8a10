// The alert tables of the SQLite storage (ServerStore's alert methods).
#include <algorithm>
#include <climits>

#include "sqlite_store.hpp"

namespace sipas {
namespace {

using sql::Stmt;

constexpr const char* kAlertColumns =
    "id, key, kind, unit, kiosk_id, state, opened_ms, last_seen_ms, cleared_ms, events, detail, "
    "acked_ms, acked_by, detail_vi";

AlertRecord read_alert(const Stmt& q) {
  AlertRecord a;
  a.id = q.int64(0);
  a.key = q.text(1);
  a.kind = q.text(2);
  a.unit = q.text(3);
  a.kiosk_id = q.opt_text(4);
  a.state = q.text(5);
  a.opened_at = from_unix_ms(q.int64(6));
  a.last_seen_at = from_unix_ms(q.int64(7));
  if (!q.is_null(8)) a.cleared_at = from_unix_ms(q.int64(8));
  a.count = q.int64(9);
  a.detail = q.text(10);
  if (!q.is_null(11)) a.acked_at = from_unix_ms(q.int64(11));
  a.acked_by = q.opt_text(12);
  a.detail_vi = q.text(13);
  return a;
}

std::optional<std::int64_t> opt_ms(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return unix_ms(*t);
}

std::int64_t limit_of(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
}

// Reads responses with their answered values; the query's columns: rid, kiosk_id, survey_id,
// submitted_ms, has_comment, value (NULL for a response without answers).
Status read_responses(sql::Db& db, const std::string& query, const std::function<void(Stmt&)>& bind,
                      std::vector<AlertResponse>& out) {
  auto st = db.prepare(query, "read responses for alerts");
  if (!st.is_ok()) return st.status();
  bind(*st);
  return db.rows(*st, "read responses for alerts", [&](const Stmt& q) {
    const std::int64_t rid = q.int64(0);
    if (out.empty() || out.back().rid != rid) {
      AlertResponse r;
      r.rid = rid;
      r.kiosk_id = q.text(1);
      r.survey_id = q.text(2);
      r.submitted_at = from_unix_ms(q.int64(3));
      r.has_comment = q.int64(4) != 0;
      out.push_back(std::move(r));
    }
    if (!q.is_null(5)) out.back().values.push_back(static_cast<int>(q.int64(5)));
  });
}

constexpr const char* kResponseColumns =
    "SELECT r.rid, r.kiosk_id, r.survey_id, r.submitted_ms, "
    "coalesce(length(r.comment), 0) > 0, a.value FROM responses r "
    "LEFT JOIN answers a ON a.response_rid = r.rid AND a.value IS NOT NULL ";

}  // namespace

Status SqliteServerStore::put_alert_rules(const std::string& unit_code,
                                          const std::optional<std::string>& json, TimePoint now) {
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto u = unit(unit_code);
  if (!u.is_ok()) return u.status();
  if (!*u) return Status::error(ErrorCode::not_found, "unknown unit " + unit_code);
  Status s = json ? db_->run("INSERT INTO alert_rules(unit, body, updated_at) VALUES (?, ?, ?) "
                             "ON CONFLICT(unit) DO UPDATE SET body = excluded.body, "
                             "updated_at = excluded.updated_at",
                             "store alert rules",
                             [&](Stmt& q) {
                               q.bind(1, unit_code);
                               q.bind(2, *json);
                               q.bind(3, format_rfc3339(now));
                             })
                  : db_->run("DELETE FROM alert_rules WHERE unit = ?", "remove alert rules",
                             [&](Stmt& q) { q.bind(1, unit_code); });
  if (!s.is_ok()) return s;
  return tx.commit();
}

Result<std::map<std::string, std::string>> SqliteServerStore::alert_rules() {
  std::map<std::string, std::string> out;
  Status s = db_->each_row("SELECT unit, body FROM alert_rules", "read alert rules",
                           [&](const Stmt& q) { out[q.text(0)] = q.text(1); });
  if (!s.is_ok()) return s;
  return out;
}

Result<AlertCursor> SqliteServerStore::alert_cursor() {
  AlertCursor c;
  auto found = db_->first_row(
      "SELECT response_rid, finding_fid FROM alert_cursor WHERE one = 1", "read alert cursor",
      [](Stmt&) {}, [&](const Stmt& q) { c = {q.int64(0), q.int64(1)}; });
  if (!found.is_ok()) return found.status();
  if (*found) return c;
  // Not evaluated yet: start from what is stored now (no alerts for the past).
  auto now = db_->first_row(
      "SELECT (SELECT coalesce(max(rid), 0) FROM responses), "
      "(SELECT coalesce(max(fid), 0) FROM findings)",
      "read alert cursor", [](Stmt&) {}, [&](const Stmt& q) { c = {q.int64(0), q.int64(1)}; });
  if (!now.is_ok()) return now.status();
  return c;
}

Result<std::vector<AlertResponse>> SqliteServerStore::alert_responses(std::int64_t after_rid,
                                                                     std::size_t limit) {
  std::vector<AlertResponse> out;
  Status s = read_responses(
      *db_,
      std::string(kResponseColumns) +
          "WHERE r.rid IN (SELECT rid FROM responses WHERE rid > ? ORDER BY rid LIMIT ?) "
          "ORDER BY r.rid",
      [&](Stmt& q) {
        q.bind(1, after_rid);
        q.bind(2, limit_of(limit));
      },
      out);
  if (!s.is_ok()) return s;
  return out;
}

Result<std::vector<AlertResponse>> SqliteServerStore::alert_window(const std::string& kiosk_id,
                                                                  TimePoint from,
                                                                  std::size_t limit) {
  std::vector<AlertResponse> out;
  Status s = read_responses(
      *db_,
      std::string(kResponseColumns) +
          "WHERE r.rid IN (SELECT rid FROM responses WHERE kiosk_id = ? AND submitted_ms >= ? "
          "ORDER BY submitted_ms DESC LIMIT ?) ORDER BY r.rid",
      [&](Stmt& q) {
        q.bind(1, kiosk_id);
        q.bind(2, unix_ms(from));
        q.bind(3, limit_of(limit));
      },
      out);
  if (!s.is_ok()) return s;
  return out;
}

Result<std::vector<AlertFinding>> SqliteServerStore::alert_findings(std::int64_t after_fid,
                                                                   std::size_t limit) {
  std::vector<AlertFinding> out;
  Status s = db_->each_row(
      "SELECT fid, kiosk_id, kind, detail FROM findings WHERE fid > ? ORDER BY fid LIMIT ?",
      "read findings for alerts",
      [&](Stmt& q) {
        q.bind(1, after_fid);
        q.bind(2, limit_of(limit));
      },
      [&](const Stmt& q) { out.push_back({q.int64(0), q.text(1), q.text(2), q.text(3)}); });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::vector<AlertRecord>> SqliteServerStore::alerts(const AlertFilter& filter) {
  std::string where = "1";
  if (filter.state == "open" || filter.state == "cleared") where += " AND state = ?";
  if (filter.id) where += " AND id = ?";
  if (!filter.units.empty()) {
    where += " AND unit IN (";
    for (std::size_t i = 0; i < filter.units.size(); ++i) where += i ? ",?" : "?";
    where += ")";
  }
  auto st = db_->prepare(std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE " + where +
                         " ORDER BY id DESC LIMIT ?");
  if (!st.is_ok()) return st.status();
  int i = 1;
  if (filter.state == "open" || filter.state == "cleared") st->bind(i++, filter.state);
  if (filter.id) st->bind(i++, *filter.id);
  for (const auto& u : filter.units) st->bind(i++, u);
  st->bind(i, limit_of(filter.limit));
  std::vector<AlertRecord> out;
  Status s = db_->rows(*st, "list alerts", [&](const Stmt& q) { out.push_back(read_alert(q)); });
  if (!s.is_ok()) return s;
  return out;
}

Result<bool> SqliteServerStore::apply_alert_pass(const AlertPass& pass) {
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  std::optional<AlertCursor> stored;
  auto found = db_->first_row(
      "SELECT response_rid, finding_fid FROM alert_cursor WHERE one = 1", "read alert cursor",
      [](Stmt&) {}, [&](const Stmt& q) { stored = AlertCursor{q.int64(0), q.int64(1)}; });
  if (!found.is_ok()) return found.status();
  // Another evaluation (another server on this database) got here first.
  if (stored && *stored != pass.from) return false;
  Status s = db_->run(
      "INSERT INTO alert_cursor(one, response_rid, finding_fid) VALUES (1, ?, ?) "
      "ON CONFLICT(one) DO UPDATE SET response_rid = excluded.response_rid, "
      "finding_fid = excluded.finding_fid",
      "move alert cursor", [&](Stmt& q) {
        q.bind(1, pass.to.response_rid);
        q.bind(2, pass.to.finding_fid);
      });
  if (!s.is_ok()) return s;
  for (const AlertUpsert& u : pass.upserts) {
    AlertRecord a = u.alert;
    auto bind_common = [&](Stmt& q, int first) {
      q.bind(first, a.state);
      q.bind(first + 1, unix_ms(a.last_seen_at));
      q.bind(first + 2, opt_ms(a.cleared_at));
      q.bind(first + 3, a.count);
      q.bind(first + 4, a.detail);
      q.bind(first + 5, a.detail_vi);
    };
    if (a.id == 0) {
      s = db_->run(
          "INSERT INTO alerts(key, kind, unit, kiosk_id, opened_ms, state, last_seen_ms, "
          "cleared_ms, events, detail, detail_vi) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          "open alert", [&](Stmt& q) {
            q.bind(1, a.key);
            q.bind(2, a.kind);
            q.bind(3, a.unit);
            q.bind(4, a.kiosk_id);
            q.bind(5, unix_ms(a.opened_at));
            bind_common(q, 6);
          });
      if (!s.is_ok()) return s;
      a.id = db_->last_insert_rowid();
    } else {
      s = db_->run(
          "UPDATE alerts SET state = ?, last_seen_ms = ?, cleared_ms = ?, events = ?, detail = ?, "
          "detail_vi = ? WHERE id = ?",
          "update alert", [&](Stmt& q) {
            bind_common(q, 1);
            q.bind(7, a.id);
          });
      if (!s.is_ok()) return s;
    }
    if (u.event.empty() || !pass.messages) continue;
    for (const AlertMessage& m : pass.messages(a, u.event)) {
      s = db_->run(
          "INSERT INTO alert_outbox(alert_id, event, channel, target, secret, payload, "
          "created_ms, next_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          "queue alert message", [&](Stmt& q) {
            q.bind(1, a.id);
            q.bind(2, u.event);
            q.bind(3, m.channel);
            q.bind(4, m.target);
            q.bind(5, m.secret);
            q.bind(6, m.payload);
            q.bind(7, unix_ms(m.created_at));
            q.bind(8, unix_ms(m.next_attempt_at));
          });
      if (!s.is_ok()) return s;
    }
  }
  s = tx.commit();
  if (!s.is_ok()) return s;
  return true;
}

Status SqliteServerStore::ack_alert(std::int64_t id, const std::string& user, TimePoint now,
                                    bool close) {
  Status s = db_->run(
      "UPDATE alerts SET acked_ms = coalesce(acked_ms, ?1), acked_by = coalesce(acked_by, ?2), "
      "cleared_ms = CASE WHEN ?3 AND state = 'open' THEN ?1 ELSE cleared_ms END, "
      "state = CASE WHEN ?3 THEN 'cleared' ELSE state END WHERE id = ?4",
      "acknowledge alert", [&](Stmt& q) {
        q.bind(1, unix_ms(now));
        q.bind(2, user);
        q.bind(3, close ? 1 : 0);
        q.bind(4, id);
      });
  if (!s.is_ok()) return s;
  if (db_->changes() == 0) {
    return Status::error(ErrorCode::not_found, "unknown alert " + std::to_string(id));
  }
  return Status::ok();
}

Result<std::vector<AlertMessage>> SqliteServerStore::due_alert_messages(TimePoint now,
                                                                       std::size_t limit) {
  std::vector<AlertMessage> out;
  Status s = db_->each_row(
      "SELECT id, alert_id, event, channel, target, secret, payload, attempts, created_ms, "
      "next_ms, last_error FROM alert_outbox WHERE state = 'pending' AND next_ms <= ? "
      "ORDER BY next_ms, id LIMIT ?",
      "read due alert messages",
      [&](Stmt& q) {
        q.bind(1, unix_ms(now));
        q.bind(2, limit_of(limit));
      },
      [&](const Stmt& q) {
        AlertMessage m;
        m.id = q.int64(0);
        m.alert_id = q.int64(1);
        m.event = q.text(2);
        m.channel = q.text(3);
        m.target = q.text(4);
        m.secret = q.text(5);
        m.payload = q.text(6);
        m.attempts = q.int64(7);
        m.created_at = from_unix_ms(q.int64(8));
        m.next_attempt_at = from_unix_ms(q.int64(9));
        m.last_error = q.text(10);
        out.push_back(std::move(m));
      });
  if (!s.is_ok()) return s;
  return out;
}

Status SqliteServerStore::finish_alert_message(std::int64_t id, const std::string& outcome,
                                               TimePoint now, const std::string& error) {
  return db_->run(
      "UPDATE alert_outbox SET state = ?, done_ms = ?, attempts = attempts + 1, last_error = ? "
      "WHERE id = ?",
      "finish alert message", [&](Stmt& q) {
        q.bind(1, outcome);
        q.bind(2, unix_ms(now));
        q.bind(3, error);
        q.bind(4, id);
      });
}

Status SqliteServerStore::retry_alert_message(std::int64_t id, std::int64_t attempts,
                                              TimePoint next, const std::string& error) {
  return db_->run(
      "UPDATE alert_outbox SET attempts = ?, next_ms = ?, last_error = ? WHERE id = ?",
      "postpone alert message", [&](Stmt& q) {
        q.bind(1, attempts);
        q.bind(2, unix_ms(next));
        q.bind(3, error);
        q.bind(4, id);
      });
}

}  // namespace sipas
