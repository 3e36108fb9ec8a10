#include "sipas/server/sessions.hpp"

#include "sipas/crypto.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/sqlite.hpp"

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

Result<bool> user_exists(sql::Db& db, const std::string& user) {
  return db.first_row(
      "SELECT 1 FROM users WHERE name = ?", "find user", [&](sql::Stmt& q) { q.bind(1, user); },
      [](const sql::Stmt&) {});
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
  Status s = db.run("DELETE FROM sessions WHERE expires_ms < ?", "drop expired sessions",
                    [&](sql::Stmt& q) { q.bind(1, unix_ms(now)); });
  if (!s.is_ok()) return s;
  s = db.run("INSERT INTO sessions(token_hash, user, csrf, expires_ms) VALUES (?, ?, ?, ?)",
             "create session", [&](sql::Stmt& q) {
               q.bind(1, sha256_hex(out.token));
               q.bind(2, user);
               q.bind(3, out.session.csrf);
               q.bind(4, unix_ms(now + kSessionLifetime));
             });
  if (!s.is_ok()) return s;
  auto found = find_session(db, out.token, now);
  if (!found.is_ok()) return found.status();
  if (*found) out.session = **found;
  return out;
}

Result<std::optional<Session>> find_session(sql::Db& db, const std::string& token, TimePoint now) {
  std::optional<Session> out;
  if (token.empty()) return out;
  auto found = db.first_row(
      "SELECT s.user, u.unit, s.csrf FROM sessions s JOIN users u ON u.name = s.user "
      "WHERE s.token_hash = ? AND s.expires_ms > ?",
      "find session",
      [&](sql::Stmt& q) {
        q.bind(1, sha256_hex(token));
        q.bind(2, unix_ms(now));
      },
      [&](const sql::Stmt& q) { out = Session{q.text(0), q.opt_text(1), q.text(2)}; });
  if (!found.is_ok()) return found.status();
  return out;
}

Status end_session(sql::Db& db, const std::string& token) {
  return db.run("DELETE FROM sessions WHERE token_hash = ?", "end session",
                [&](sql::Stmt& q) { q.bind(1, sha256_hex(token)); });
}

Result<std::string> create_login_link(sql::Db& db, const std::string& user, TimePoint now) {
  auto known = user_exists(db, user);
  if (!known.is_ok()) return known.status();
  if (!*known) return Status::error(ErrorCode::not_found, "unknown user " + user);
  std::string token = random_token(32);
  Status s = db.run("INSERT INTO login_links(token_hash, user, expires_ms) VALUES (?, ?, ?)",
                    "create login link", [&](sql::Stmt& q) {
                      q.bind(1, sha256_hex(token));
                      q.bind(2, user);
                      q.bind(3, unix_ms(now + kLoginLinkLifetime));
                    });
  if (!s.is_ok()) return s;
  return token;
}

Result<std::optional<std::string>> redeem_login_link(sql::Db& db, const std::string& token,
                                                     TimePoint now) {
  if (token.empty()) return std::optional<std::string>();
  // A link is used once: the row goes whether or not it has expired (RETURNING makes the delete
  // happen on the first step).
  std::optional<std::string> user;
  bool valid = false;
  auto found = db.first_row(
      "DELETE FROM login_links WHERE token_hash = ? RETURNING user, expires_ms", "use login link",
      [&](sql::Stmt& q) { q.bind(1, sha256_hex(token)); },
      [&](const sql::Stmt& q) {
        user = q.text(0);
        valid = q.int64(1) > unix_ms(now);
      });
  if (!found.is_ok()) return found.status();
  if (!valid) return std::optional<std::string>();
  return user;
}

Result<std::string> create_login_link_at(const std::string& db_path, const std::string& user,
                                         TimePoint now) {
  auto db = open_server_db(db_path);
  if (!db.is_ok()) return db.status();
  Status s = ensure_session_schema(**db);
  if (!s.is_ok()) return s;
  return create_login_link(**db, user, now);
}

}  // namespace sipas
