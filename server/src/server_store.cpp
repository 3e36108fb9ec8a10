#include "sipas/server/server_store.hpp"

#include <algorithm>

#include "sqlite_store.hpp"

namespace sipas {

Result<std::unique_ptr<ServerStore>> ServerStore::open(const std::string& db) {
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
