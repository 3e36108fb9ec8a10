// Dashboard sessions and one-time login links, kept in the server's database so that every worker
// connection (and `sipas-server user login-link`) sees the same ones.
//
// A session is created when a user logs in with the password checked by verify_secret(); the
// browser holds only a random token (HttpOnly, SameSite=Strict cookie), the database its SHA-256.
// Each session has its own CSRF token that every form posts back. A login link is a random
// single-use token valid for a few minutes that turns into a session when opened from the server
// machine itself (for administrators and the headless-browser tests).
//
// Threads: plain functions over one sql::Db; use one connection per thread.
// Errors: storage codes; an unknown, expired or used token is not an error (nullopt).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

namespace sql {
class Db;
}

struct Session {
  std::string user;
  std::optional<std::string> unit;  // nullopt: the whole province
  std::string csrf;
};

struct NewSession {
  std::string token;  // goes into the cookie; never stored
  Session session;
};

constexpr std::chrono::hours kSessionLifetime{12};
constexpr std::chrono::minutes kLoginLinkLifetime{5};

// The sessions and login_links tables (CREATE TABLE IF NOT EXISTS), a step of ServerStore's
// migrations.
extern const char* const kSessionSchemaSql;
Status ensure_session_schema(sql::Db& db);
// A new session for a user known to the users table (not_found otherwise).
Result<NewSession> create_session(sql::Db& db, const std::string& user, TimePoint now);
Result<std::optional<Session>> find_session(sql::Db& db, const std::string& token, TimePoint now);
Status end_session(sql::Db& db, const std::string& token);
// A single-use link token for `user` (not_found when unknown).
Result<std::string> create_login_link(sql::Db& db, const std::string& user, TimePoint now);
// The user of a valid link, which is used up by this call.
Result<std::optional<std::string>> redeem_login_link(sql::Db& db, const std::string& token,
                                                     TimePoint now);
// Opens the database at `db_path` and makes a login link (for the CLI).
Result<std::string> create_login_link_at(const std::string& db_path, const std::string& user,
                                         TimePoint now);

}  // namespace sipas
