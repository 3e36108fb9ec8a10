#include "sipas/server/sessions.hpp"

#include "sipas/crypto.hpp"
#include "sqlite.hpp"

namespace sipas {

const char* const kSessionSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS sessions(
  token_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  csrf TEXT NOT NULL,
  expires_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS login_links(
  token_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  expires_ms INTEGER NOT NULL);
)sql";

namespace {

std::int64_t ms(TimePoint t) { return t.time_since_epoch().count(); }

Result<bool> user_exists(sql::Db& db, const std::string& user) {
  auto st = db.cached("SELECT 1 FROM users WHERE name = ?");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, std::string_view(user));
  int rc = (*st)->step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db.error(rc, "find user");
}

}  // namespace

Status ensure_session_schema(sql::Db& db) { return db.exec(kSessionSchemaSql); }

Result<NewSession> create_session(sql::Db& db, const std::string& user, TimePoint now) {
  auto known = user_exists(db, user);
  if (!known.is_ok()) return known.status();
  if (!*known) return Status::error(ErrorCode::not_found, "unknown user " + user);
  NewSession out;
  out.token = random_token(32);
  out.session.user = user;
  out.session.csrf = random_token(16);
  auto del = db.cached("DELETE FROM sessions WHERE expires_ms < ?");
  if (!del.is_ok()) return del.status();
  (*del)->bind(1, ms(now));
  int rc = (*del)->step();
  if (rc != SQLITE_DONE) return db.error(rc, "drop expired sessions");
  auto st = db.cached("INSERT INTO sessions(token_hash, user, csrf, expires_ms) VALUES (?, ?, ?, ?)");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, sha256_hex(out.token));
  (*st)->bind(2, std::string_view(user));
  (*st)->bind(3, std::string_view(out.session.csrf));
  (*st)->bind(4, ms(now + kSessionLifetime));
  rc = (*st)->step();
  if (rc != SQLITE_DONE) return db.error(rc, "create session");
  auto s = find_session(db, out.token, now);
  if (!s.is_ok()) return s.status();
  if (*s) out.session = **s;
  return out;
}

Result<std::optional<Session>> find_session(sql::Db& db, const std::string& token, TimePoint now) {
  if (token.empty()) return std::optional<Session>();
  auto st = db.cached(
      "SELECT s.user, u.unit, s.csrf FROM sessions s JOIN users u ON u.name = s.user "
      "WHERE s.token_hash = ? AND s.expires_ms > ?");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, sha256_hex(token));
  (*st)->bind(2, ms(now));
  int rc = (*st)->step();
  if (rc == SQLITE_DONE) return std::optional<Session>();
  if (rc != SQLITE_ROW) return db.error(rc, "find session");
  return std::optional<Session>(Session{(*st)->text(0), (*st)->opt_text(1), (*st)->text(2)});
}

Status end_session(sql::Db& db, const std::string& token) {
  auto st = db.cached("DELETE FROM sessions WHERE token_hash = ?");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, sha256_hex(token));
  int rc = (*st)->step();
  if (rc != SQLITE_DONE) return db.error(rc, "end session");
  return Status::ok();
}

Result<std::string> create_login_link(sql::Db& db, const std::string& user, TimePoint now) {
  auto known = user_exists(db, user);
  if (!known.is_ok()) return known.status();
  if (!*known) return Status::error(ErrorCode::not_found, "unknown user " + user);
  std::string token = random_token(32);
  auto st = db.cached("INSERT INTO login_links(token_hash, user, expires_ms) VALUES (?, ?, ?)");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, sha256_hex(token));
  (*st)->bind(2, std::string_view(user));
  (*st)->bind(3, ms(now + kLoginLinkLifetime));
  int rc = (*st)->step();
  if (rc != SQLITE_DONE) return db.error(rc, "create login link");
  return token;
}

Result<std::optional<std::string>> redeem_login_link(sql::Db& db, const std::string& token,
                                                     TimePoint now) {
  if (token.empty()) return std::optional<std::string>();
  auto st = db.cached("DELETE FROM login_links WHERE token_hash = ? RETURNING user, expires_ms");
  if (!st.is_ok()) return st.status();
  (*st)->bind(1, sha256_hex(token));
  int rc = (*st)->step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return db.error(rc, "use login link");
  std::string user = (*st)->text(0);
  bool valid = (*st)->int64(1) > ms(now);
  rc = (*st)->step();
  if (rc != SQLITE_DONE) return db.error(rc, "use login link");
  if (!valid) return std::optional<std::string>();
  return std::optional<std::string>(user);
}

Result<std::string> create_login_link_at(const std::string& db_path, const std::string& user,
                                         TimePoint now) {
  auto db = sql::Db::open(db_path);
  if (!db.is_ok()) return db.status();
  Status s = ensure_session_schema(**db);
  if (!s.is_ok()) return s;
  return create_login_link(**db, user, now);
}

}  // namespace sipas
