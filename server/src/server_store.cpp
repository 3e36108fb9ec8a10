#include "sipas/server/server_store.hpp"

#include <algorithm>
#include <cstring>

#include "pg_store.hpp"
#include "sqlite_store.hpp"

namespace sipas {

bool is_postgresql(const std::string& db) {
  if (db.starts_with("postgresql://") || db.starts_with("postgres://")) return true;
  if (db.find('=') == std::string::npos) return false;
  for (const char* key : {"dbname", "host", "hostaddr", "service", "user", "port"}) {
    for (auto at = db.find(key); at != std::string::npos; at = db.find(key, at + 1)) {
      const bool starts = at == 0 || db[at - 1] == ' ';
      auto eq = db.find_first_not_of(' ', at + std::strlen(key));
      if (starts && eq != std::string::npos && db[eq] == '=') return true;
    }
  }
  return false;
}

Result<std::unique_ptr<ServerStore>> ServerStore::open(const std::string& db) {
  if (is_postgresql(db)) {
    auto store = PgServerStore::open(db);
    if (!store.is_ok()) return store.status();
    return std::unique_ptr<ServerStore>(std::move(store).value());
  }
  auto store = SqliteServerStore::open(db);
  if (!store.is_ok()) return store.status();
  return std::unique_ptr<ServerStore>(std::move(store).value());
}

Result<ServerStore*> StoreThrottleBook::store() {
  if (!store_) {
    auto opened = ServerStore::open(db_);
    if (!opened.is_ok()) return opened.status();
    store_ = std::move(opened).value();
  }
  return store_.get();
}

// A failed step drops the connection, so that one lost to a restart of the database is opened
// anew next time rather than failing every login from then on.
Result<TimePoint> StoreThrottleBook::locked_until(const std::vector<std::string>& keys) {
  std::lock_guard lock(mutex_);
  auto s = store();
  if (!s.is_ok()) return s.status();
  auto r = (*s)->throttle_locked_until(keys);
  if (!r.is_ok()) store_.reset();
  return r;
}

Status StoreThrottleBook::update(const std::string& key, TimePoint now,
                                 std::chrono::seconds forget_after,
                                 const std::function<void(ThrottleEntry&)>& change) {
  std::lock_guard lock(mutex_);
  auto s = store();
  if (!s.is_ok()) return s.status();
  Status r = (*s)->update_throttle(key, now, forget_after, change);
  if (!r.is_ok()) store_.reset();
  return r;
}

Status StoreThrottleBook::erase(const std::vector<std::string>& keys) {
  std::lock_guard lock(mutex_);
  auto s = store();
  if (!s.is_ok()) return s.status();
  Status r = (*s)->forget_throttle(keys);
  if (!r.is_ok()) store_.reset();
  return r;
}

bool is_valid_code(const std::string& code) {
  if (code.empty() || code.size() > 64) return false;
  return std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
}

const std::string& ProcedureRecord::name_in(const std::string& lang) const {
  if (auto it = name.find(lang); it != name.end() && !it->second.empty()) return it->second;
  if (auto it = name.find("vi"); it != name.end()) return it->second;
  static const std::string kNone;
  return kNone;
}

Result<std::string> create_login_link_at(const std::string& db, const std::string& user,
                                         TimePoint now) {
  auto store = ServerStore::open(db);
  if (!store.is_ok()) return store.status();
  return (*store)->create_login_link(user, now);
}

}  // namespace sipas
