// SqliteServerStore's configuration bundles (server_store.hpp; the table is migration 9).
#include "sqlite_store.hpp"

namespace sipas {
namespace {

using sql::Stmt;

constexpr const char* kColumns = "version, scope, scope_id, content, uploaded_by, uploaded_at";

ConfigBundleRecord read_record(const Stmt& q) {
  return {q.int64(0), q.text(1), q.text(2), q.opt_text(3), q.text(4), q.text(5)};
}

}  // namespace

Result<std::int64_t> SqliteServerStore::put_config_bundle(
    const std::string& scope, const std::string& scope_id,
    const std::optional<std::string>& content, const std::vector<SurveyUpload>& surveys,
    const std::string& uploaded_by, TimePoint now) {
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  const std::string at = format_rfc3339(now);
  for (const SurveyUpload& s : surveys) {
    Status st = db_->run(
        "INSERT INTO surveys(id, version, body, imported_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(id, version) DO UPDATE SET body = excluded.body, "
        "imported_at = excluded.imported_at",
        "store survey", [&](Stmt& q) {
          q.bind(1, s.id);
          q.bind(2, s.version);
          q.bind(3, s.json_text);
          q.bind(4, at);
        });
    if (!st.is_ok()) return st;
  }
  std::int64_t version = 0;
  auto inserted = db_->first_row(
      "INSERT INTO config_bundles(scope, scope_id, content, uploaded_by, uploaded_at) "
      "VALUES (?, ?, ?, ?, ?) RETURNING version",
      "store configuration bundle",
      [&](Stmt& q) {
        q.bind(1, scope);
        q.bind(2, scope_id);
        q.bind(3, content);
        q.bind(4, uploaded_by);
        q.bind(5, at);
      },
      [&](const Stmt& q) { version = q.int64(0); });
  if (!inserted.is_ok()) return inserted.status();
  Status committed = tx.commit();
  if (!committed.is_ok()) return committed;
  return version;
}

Result<std::optional<ConfigBundleRecord>> SqliteServerStore::latest_config_bundle(
    const std::string& scope, const std::string& scope_id) {
  std::optional<ConfigBundleRecord> out;
  auto found = db_->first_row(
      std::string("SELECT ") + kColumns +
          " FROM config_bundles WHERE scope = ? AND scope_id = ? ORDER BY version DESC LIMIT 1",
      "read configuration bundle",
      [&](Stmt& q) {
        q.bind(1, scope);
        q.bind(2, scope_id);
      },
      [&](const Stmt& q) { out = read_record(q); });
  if (!found.is_ok()) return found.status();
  return out;
}

Result<std::vector<ConfigBundleRecord>> SqliteServerStore::config_bundle_history(
    const std::string& scope, const std::string& scope_id) {
  std::vector<ConfigBundleRecord> out;
  Status s = db_->each_row(
      std::string("SELECT ") + kColumns +
          " FROM config_bundles WHERE scope = ? AND scope_id = ? ORDER BY version DESC",
      "read configuration history",
      [&](Stmt& q) {
        q.bind(1, scope);
        q.bind(2, scope_id);
      },
      [&](const Stmt& q) { out.push_back(read_record(q)); });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::vector<ConfigBundleRecord>> SqliteServerStore::latest_config_bundles() {
  std::vector<ConfigBundleRecord> out;
  Status s = db_->each_row(
      std::string("SELECT ") + kColumns +
          " FROM config_bundles WHERE version IN (SELECT max(version) FROM config_bundles "
          "GROUP BY scope, scope_id) ORDER BY scope, scope_id",
      "list configuration bundles", [&](const Stmt& q) { out.push_back(read_record(q)); });
  if (!s.is_ok()) return s;
  return out;
}

}  // namespace sipas
