// PgServerStore's kiosk health: contacts and the latest health (server_store.hpp).
#include <chrono>

#include "health_rows.hpp"
#include "pg_store.hpp"

namespace sipas {

Status PgServerStore::record_contact(const std::string& kiosk_id, const ParsedBatch& batch,
                                     const BatchReply& reply, TimePoint now) {
  const std::string received_at = format_rfc3339(now);
  const std::int64_t skew_ms = contact_skew_ms(batch, now);
  std::optional<std::string> health;
  if (batch.health) health = health_text(*batch.health);
  const auto cutoff = now - std::chrono::hours(24) * retention_.days;
  // One round trip: the health row gives the contact its per-kiosk number, the history is pruned
  // by ranges of its primary key and of its time index. The kiosk's row is locked by ingest.
  return conn_->run(
      "record contact",
      "WITH h AS (INSERT INTO kiosk_health AS k(kiosk_id, contacts, health, received_at, skew_ms) "
      "VALUES ($1, 1, $2, CASE WHEN $2::text IS NULL THEN NULL ELSE $3 END, "
      "CASE WHEN $2::text IS NULL THEN NULL ELSE $4::bigint END) "
      "ON CONFLICT (kiosk_id) DO UPDATE SET contacts = k.contacts + 1, "
      "health = coalesce(excluded.health, k.health), "
      "received_at = CASE WHEN excluded.health IS NULL THEN k.received_at "
      "ELSE excluded.received_at END, "
      "skew_ms = CASE WHEN excluded.health IS NULL THEN k.skew_ms ELSE excluded.skew_ms END "
      "RETURNING contacts), "
      "c AS (INSERT INTO kiosk_contacts(kiosk_id, n, received_at, received_ms, responses, "
      "accepted, duplicates, rejected, health, skew_ms) "
      "SELECT $1, h.contacts, $3, $5, $6, $7, $8, $9, $2, $4 FROM h), "
      "d AS (DELETE FROM kiosk_contacts WHERE kiosk_id = $1 AND received_ms < $11) "
      "DELETE FROM kiosk_contacts WHERE kiosk_id = $1 AND n <= (SELECT contacts FROM h) - $10",
      {kiosk_id, health, received_at, skew_ms, unix_ms(now),
       static_cast<std::int64_t>(batch.responses.size()), reply.accepted, reply.duplicates,
       static_cast<std::int64_t>(reply.rejected.size()), retention_.per_kiosk, unix_ms(cutoff)});
}

Result<std::map<std::string, LatestHealth>> PgServerStore::latest_health() {
  auto rows = conn_->exec("read kiosk health",
                          "SELECT kiosk_id, health, received_at, skew_ms FROM kiosk_health "
                          "WHERE health IS NOT NULL");
  if (!rows.is_ok()) return rows.status();
  std::map<std::string, LatestHealth> out;
  for (int i = 0; i < rows->size(); ++i) {
    auto health = health_of_text(rows->opt_text(i, 1));
    if (!health) continue;
    out[rows->text(i, 0)] = LatestHealth{std::move(*health), rows->text(i, 2), rows->int64(i, 3)};
  }
  return out;
}

Result<std::vector<KioskContact>> PgServerStore::contacts(const std::string& kiosk_id,
                                                          std::size_t limit) {
  auto rows = conn_->exec(
      "read contacts",
      "SELECT received_at, responses, accepted, duplicates, rejected, health, skew_ms "
      "FROM kiosk_contacts WHERE kiosk_id = $1 ORDER BY n DESC LIMIT $2",
      {kiosk_id, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX))});
  if (!rows.is_ok()) return rows.status();
  std::vector<KioskContact> out;
  for (int i = 0; i < rows->size(); ++i) {
    KioskContact c;
    c.received_at = rows->text(i, 0);
    c.responses = rows->int64(i, 1);
    c.accepted = rows->int64(i, 2);
    c.duplicates = rows->int64(i, 3);
    c.rejected = rows->int64(i, 4);
    c.heartbeat = c.responses == 0;
    c.health = health_of_text(rows->opt_text(i, 5));
    c.skew_ms = rows->int64(i, 6);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace sipas
