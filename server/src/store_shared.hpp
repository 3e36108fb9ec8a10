// The SQL-free parts both ServerStore implementations (sqlite_store.cpp, pg_store.cpp) share, so
// that each rule is written once: the checks made before anything is written, the order units are
// inserted in, how a user's disabled mark, a procedure's names and a questionnaire's scale are kept
// as text, and the text shapes read back from queries. Internal to server/.
//
// Threads: plain functions. Errors: invalid_argument for input that breaks a rule, else the
// Status of the caller's callbacks.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sipas/server/rollups.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/status.hpp"

namespace sipas {

// invalid_argument naming `what` ("kiosk id", "user name"...) unless `code` is_valid_code().
Status check_code(const char* what, const std::string& code);
// Codes, names, not their own parent, known time zones.
Status check_units(const std::vector<UnitRecord>& units);
// Codes and the Vietnamese name.
Status check_procedures(const std::vector<ProcedureRecord>& procedures);

// What import_units needs of a storage, inside its transaction.
struct UnitWrites {
  std::function<Result<bool>(const std::string& code)> exists;
  std::function<Result<std::vector<std::string>>(const std::string& code)> subtree;
  std::function<Status(const UnitRecord& unit)> upsert;
};
// Upserts checked units in an order where every parent exists first (parents may come after their
// children in the list); an unknown parent or a new parent below the unit itself is refused.
Status write_units_in_order(const std::vector<UnitRecord>& units, const UnitWrites& writes);

// A disabled user's password hash is kept behind a "!", as passwd -l does: no password verifies
// against it, and enabling the user restores the same password.
inline constexpr char kDisabledMark = '!';
UserRecord user_of(std::string name, std::string stored_hash, std::optional<std::string> unit);
// not_found for an unknown user, invalid_argument for a disabled one (sessions, login links).
Status check_may_log_in(const Result<std::optional<UserRecord>>& user, const std::string& name);

// A procedure's names by language as stored (a JSON object), and back.
std::string procedure_names_text(const ProcedureRecord& p);
ProcedureRecord procedure_of(std::string code, const std::string& names_text);

// The rollup table a read asks for (rollup_detail, rollup_day, rollup_month or their below
// versions); invalid_argument for below sums at the detail level, which are not kept.
Result<const char*> rollup_table(const RollupRead& read);

// Whether a questionnaire's JSON text is on the points scale (Mẫu 01).
bool is_points_survey(const std::string& body);

// "a b c" back into its words (reason ids, which never contain a space).
std::vector<std::string> split_words(const std::string& s);
// "c1=4 c2= c3=5" into {c1: 4, c2: nullopt, c3: 5}; a value that is not an integer is nullopt.
std::map<std::string, std::optional<int>> answer_pairs(const std::string& s);

}  // namespace sipas
