// Dashboard sessions and one-time login links, kept in the server's database so that every worker
// connection (and `sipas-server user login-link`) sees the same ones.
//
// A session is created when a user logs in with the password checked by verify_secret(); the
// browser holds only a random token (HttpOnly, SameSite=Strict cookie), the database its SHA-256.
// Each session has its own CSRF token that every form posts back. A login link is a random
// single-use token valid for a few minutes that turns into a session when opened from the server
// machine itself (for administrators and the headless-browser tests).
//
// The sessions live in the ServerStore (create_session, find_session, end_session,
// create_login_link, redeem_login_link); this header has their types.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

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

// Opens the storage `db` and makes a login link (for the CLI).
Result<std::string> create_login_link_at(const std::string& db, const std::string& user,
                                         TimePoint now);

}  // namespace sipas
