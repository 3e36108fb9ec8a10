// PgServerStore's configuration bundles (server_store.hpp; the table is migration 6).
#include "pg_store.hpp"

namespace sipas {
namespace {

using pg::Rows;

constexpr const char* kColumns = "version, scope, scope_id, content, uploaded_by, uploaded_at";

ConfigBundleRecord read_record(const Rows& q, int i) {
  return {q.int64(i, 0), q.text(i, 1), q.text(i, 2), q.opt_text(i, 3), q.text(i, 4), q.text(i, 5)};
}

}  // namespace

Result<std::int64_t> PgServerStore::put_config_bundle(
    const std::string& scope, const std::string& scope_id,
    const std::optional<std::string>& content, const std::vector<SurveyUpload>& surveys,
    const std::string& uploaded_by, TimePoint now) {
  pg::Transaction tx(*conn_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  const std::string at = format_rfc3339(now);
  for (const SurveyUpload& s : surveys) {
    Status st = conn_->run("store survey",
                           "INSERT INTO surveys(id, version, body, imported_at) "
                           "VALUES ($1, $2, $3, $4) ON CONFLICT(id, version) DO UPDATE SET "
                           "body = EXCLUDED.body, imported_at = EXCLUDED.imported_at",
                           {s.id, s.version, s.json_text, at});
    if (!st.is_ok()) return st;
  }
  auto rows = conn_->exec("store configuration bundle",
                          "INSERT INTO config_bundles(scope, scope_id, content, uploaded_by, "
                          "uploaded_at) VALUES ($1, $2, $3, $4, $5) RETURNING version",
                          {scope, scope_id, content, uploaded_by, at});
  if (!rows.is_ok()) return rows.status();
  const std::int64_t version = rows->int64(0, 0);
  Status committed = tx.commit();
  if (!committed.is_ok()) return committed;
  return version;
}

Result<std::optional<ConfigBundleRecord>> PgServerStore::latest_config_bundle(
    const std::string& scope, const std::string& scope_id) {
  auto rows = conn_->exec("read configuration bundle",
                          std::string("SELECT ") + kColumns +
                              " FROM config_bundles WHERE scope = $1 AND scope_id = $2 "
                              "ORDER BY version DESC LIMIT 1",
                          {scope, scope_id});
  if (!rows.is_ok()) return rows.status();
  std::optional<ConfigBundleRecord> out;
  if (rows->size() > 0) out = read_record(*rows, 0);
  return out;
}

Result<std::vector<ConfigBundleRecord>> PgServerStore::config_bundle_history(
    const std::string& scope, const std::string& scope_id) {
  auto rows = conn_->exec("read configuration history",
                          std::string("SELECT ") + kColumns +
                              " FROM config_bundles WHERE scope = $1 AND scope_id = $2 "
                              "ORDER BY version DESC",
                          {scope, scope_id});
  if (!rows.is_ok()) return rows.status();
  std::vector<ConfigBundleRecord> out;
  for (int i = 0; i < rows->size(); ++i) out.push_back(read_record(*rows, i));
  return out;
}

Result<std::vector<ConfigBundleRecord>> PgServerStore::latest_config_bundles() {
  auto rows = conn_->exec("list configuration bundles",
                          std::string("SELECT ") + kColumns +
                              " FROM config_bundles WHERE version IN (SELECT max(version) FROM "
                              "config_bundles GROUP BY scope, scope_id) ORDER BY scope, scope_id");
  if (!rows.is_ok()) return rows.status();
  std::vector<ConfigBundleRecord> out;
  for (int i = 0; i < rows->size(); ++i) out.push_back(read_record(*rows, i));
  return out;
}

}  // namespace sipas
