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
