// SqliteServerStore's kiosk health: contacts and the latest health (server_store.hpp).
#include <chrono>

#include "health_rows.hpp"
#include "sqlite_store.hpp"

namespace sipas {

using sql::Stmt;

Status SqliteServerStore::record_contact(const std::string& kiosk_id, const ParsedBatch& batch,
                                         const BatchReply& reply, TimePoint now) {
  const std::string received_at = format_rfc3339(now);
  const std::int64_t skew_ms = contact_skew_ms(batch, now);
  std::optional<std::string> health;
  if (batch.health) health = health_text(*batch.health);
  // The per-kiosk contact number comes from the kiosk's health row, so that the history is pruned
  // by a range of its primary key rather than by counting rows.
  std::int64_t n = 0;
  Status s = db_->each_row(
      "INSERT INTO kiosk_health(kiosk_id, contacts, health, received_at, skew_ms) "
      "VALUES (?1, 1, ?2, iif(?2 IS NULL, NULL, ?3), iif(?2 IS NULL, NULL, ?4)) "
      "ON CONFLICT(kiosk_id) DO UPDATE SET contacts = contacts + 1, "
      "health = coalesce(excluded.health, health), "
      "received_at = iif(excluded.health IS NULL, received_at, excluded.received_at), "
      "skew_ms = iif(excluded.health IS NULL, skew_ms, excluded.skew_ms) RETURNING contacts",
      "record kiosk health",
      [&](Stmt& q) {
        q.bind(1, kiosk_id);
        q.bind(2, health);
        q.bind(3, received_at);
        q.bind(4, skew_ms);
      },
      [&](const Stmt& q) { n = q.int64(0); });
  if (!s.is_ok()) return s;
  s = db_->run(
      "INSERT INTO kiosk_contacts(kiosk_id, n, received_at, received_ms, responses, accepted, "
      "duplicates, rejected, health, skew_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "record contact", [&](Stmt& q) {
        q.bind(1, kiosk_id);
        q.bind(2, n);
        q.bind(3, received_at);
        q.bind(4, unix_ms(now));
        q.bind(5, static_cast<std::int64_t>(batch.responses.size()));
        q.bind(6, reply.accepted);
        q.bind(7, reply.duplicates);
        q.bind(8, static_cast<std::int64_t>(reply.rejected.size()));
        q.bind(9, health);
        q.bind(10, skew_ms);
      });
  if (!s.is_ok()) return s;
  s = db_->run("DELETE FROM kiosk_contacts WHERE kiosk_id = ? AND n <= ?", "prune contacts",
               [&](Stmt& q) {
                 q.bind(1, kiosk_id);
                 q.bind(2, n - retention_.per_kiosk);
               });
  if (!s.is_ok()) return s;
  const auto cutoff = now - std::chrono::hours(24) * retention_.days;
  return db_->run("DELETE FROM kiosk_contacts WHERE kiosk_id = ? AND received_ms < ?",
                  "prune old contacts", [&](Stmt& q) {
                    q.bind(1, kiosk_id);
                    q.bind(2, unix_ms(cutoff));
                  });
}

Result<std::map<std::string, LatestHealth>> SqliteServerStore::latest_health() {
  std::map<std::string, LatestHealth> out;
  Status s = db_->each_row(
      "SELECT kiosk_id, health, received_at, skew_ms FROM kiosk_health WHERE health IS NOT NULL",
      "read kiosk health", [&](const Stmt& q) {
        auto health = health_of_text(q.opt_text(1));
        if (!health) return;
        out[q.text(0)] = LatestHealth{std::move(*health), q.text(2), q.int64(3)};
      });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::vector<KioskContact>> SqliteServerStore::contacts(const std::string& kiosk_id,
                                                              std::size_t limit) {
  std::vector<KioskContact> out;
  Status s = db_->each_row(
      "SELECT received_at, responses, accepted, duplicates, rejected, health, skew_ms "
      "FROM kiosk_contacts WHERE kiosk_id = ? ORDER BY n DESC LIMIT ?",
      "read contacts",
      [&](Stmt& q) {
        q.bind(1, kiosk_id);
        q.bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
      },
      [&](const Stmt& q) {
        KioskContact c;
        c.received_at = q.text(0);
        c.responses = q.int64(1);
        c.accepted = q.int64(2);
        c.duplicates = q.int64(3);
        c.rejected = q.int64(4);
        c.heartbeat = c.responses == 0;
        c.health = health_of_text(q.opt_text(5));
        c.skew_ms = q.int64(6);
        out.push_back(std::move(c));
      });
  if (!s.is_ok()) return s;
  return out;
}

}  // namespace sipas
