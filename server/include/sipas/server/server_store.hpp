// ServerStore: the province server's SQLite database — units and their hierarchy, kiosks and
// their token hashes, dashboard users, questionnaires, the procedure catalogue, and the ingested responses (normalised into
// responses / answers / reasons, with the canonical JSON kept), quarantine and integrity findings.
//
// Durability: WAL, synchronous=FULL, foreign keys on; the schema is versioned through
// user_version with forward migrations (a list, so later issues append to it).
//
// Threads: one ServerStore owns one SQLite connection and is used by one thread at a time; open
// one per thread. Any number of connections, in one or several processes, may share a file
// (writers wait up to 10 s for each other, then get ErrorCode::busy).
//
// Errors: Status codes — invalid_argument (bad codes/ids, unknown parent/unit), not_found,
// conflict (already exists), and the storage codes (busy, disk_full, read_only, corrupt,
// io_error). Nothing throws.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <optional>
#include <string>
#include <vector>

#include "sipas/protocol.hpp"
#include "sipas/server/batch.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

namespace sql {
class Db;
}

struct UnitRecord {
  std::string code;
  std::string name;
  std::optional<std::string> parent;
  std::string time_zone = "Asia/Ho_Chi_Minh";
  bool operator==(const UnitRecord&) const = default;
};

struct KioskRecord {
  std::string kiosk_id;
  std::string unit;
  std::string created_at;
  std::optional<std::string> revoked_at;
  std::optional<std::string> last_contact;
  std::int64_t last_seq = 0;   // highest seq received
  std::int64_t acked_seq = 0;  // see docs/protocol.md, "acked_seq"
};

struct UserRecord {
  std::string name;
  std::string password_hash;  // hash_secret() output
  std::optional<std::string> unit;  // nullopt: the whole province
};

// An entry of the administrative procedure catalogue (kiosk-config/procedures.json).
struct ProcedureRecord {
  std::string code;                          // 1–64 of [A-Za-z0-9._-]
  std::map<std::string, std::string> name;   // by language; "vi" always present
  bool operator==(const ProcedureRecord&) const = default;
  // The name in `lang`, else the Vietnamese one.
  const std::string& name_in(const std::string& lang) const;
};

struct Finding {
  std::string kiosk_id;
  std::string kind;  // gap, broken_chain, bad_hash, seq_reused, clock_skew, burst
  std::optional<std::int64_t> seq;
  std::optional<std::string> response_id;
  std::string detail;
  std::string created_at;
};

struct QuarantineRecord {
  std::string kiosk_id;
  std::optional<std::string> response_id;
  std::optional<std::int64_t> seq;
  std::string error;
  std::string raw;
  std::string received_at;
};

// Time spent inside ingest(), for the ingest benchmark.
struct IngestTiming {
  std::int64_t sqlite_ns = 0;
};

class ServerStore {
 public:
  static Result<std::unique_ptr<ServerStore>> open(const std::string& path);
  ~ServerStore();
  ServerStore(const ServerStore&) = delete;
  ServerStore& operator=(const ServerStore&) = delete;

  // Units. Codes and kiosk ids: 1–64 of [A-Za-z0-9._-]. A parent must exist.
  Status add_unit(const UnitRecord& unit);
  // Inserts or updates every unit in one transaction; parents may appear after their children in
  // the list. A change of parent that would make a cycle is refused.
  Status import_units(const std::vector<UnitRecord>& units);
  Result<std::vector<UnitRecord>> units();
  Result<std::optional<UnitRecord>> unit(const std::string& code);
  // The unit and every unit below it.
  Result<std::vector<std::string>> unit_subtree(const std::string& code);

  // Kiosks. The token itself is never stored: token_hash is sha256_hex(token).
  Status add_kiosk(const std::string& kiosk_id, const std::string& unit,
                   const std::string& token_hash, TimePoint now);
  // A revoked kiosk's token is refused from then on; its data stays.
  Status revoke_kiosk(const std::string& kiosk_id, TimePoint now);
  // Gives a kiosk a new token (and un-revokes it).
  Status set_kiosk_token(const std::string& kiosk_id, const std::string& token_hash);
  // The kiosk whose token hashes to token_hash, revoked or not.
  Result<std::optional<KioskRecord>> kiosk_by_token_hash(const std::string& token_hash);
  Result<std::vector<KioskRecord>> kiosks();

  // Users of the dashboard and API.
  Status add_user(const UserRecord& user);
  Result<std::optional<UserRecord>> user(const std::string& name);

  // The procedure catalogue. import_procedures inserts or updates every entry in one
  // transaction (invalid_argument for a bad code or a missing Vietnamese name; nothing written).
  // Responses may name codes that are not (yet) in the catalogue.
  Status import_procedures(const std::vector<ProcedureRecord>& procedures);
  // By code.
  Result<std::vector<ProcedureRecord>> procedures();

  // Questionnaires, kept as their JSON file text; the caller validates them (load_survey).
  Status put_survey(const std::string& id, int version, const std::string& json_text);
  Result<std::vector<std::string>> survey_texts();

  // Stores one validated batch from `kiosk` in one transaction: new responses stored, same id and
  // content counted as duplicates, same id with other content quarantined as a conflict, invalid
  // responses quarantined; chain, gap, clock-skew and burst findings recorded. The reply's
  // acked_seq follows docs/protocol.md. Nothing is written when an error is returned.
  Result<BatchReply> ingest(const KioskRecord& kiosk, const ParsedBatch& batch, TimePoint now,
                            IngestTiming* timing = nullptr);

  // The latest findings first.
  Result<std::vector<Finding>> findings(const std::string& kiosk_id, std::size_t limit);
  // How many findings of each kind a kiosk has.
  Result<std::map<std::string, std::int64_t>> finding_counts(const std::string& kiosk_id);
  // Responses stored and responses quarantined for one kiosk.
  Result<std::pair<std::int64_t, std::int64_t>> kiosk_counts(const std::string& kiosk_id);
  // A trivial read; OK when the database answers.
  Status ping();
  Result<std::vector<QuarantineRecord>> quarantine(const std::string& kiosk_id, std::size_t limit);
  Result<std::int64_t> response_count();
  Result<std::int64_t> quarantine_count();

 private:
  explicit ServerStore(std::unique_ptr<sql::Db> db);
  Status migrate();
  std::unique_ptr<sql::Db> db_;
};

// A connection to the server database with its pragmas (WAL, synchronous=FULL, foreign keys, a
// 10 s busy timeout); no schema work. ServerStore::open migrates.
Result<std::unique_ptr<sql::Db>> open_server_db(const std::string& path);

// Whether `code` is a valid unit code, kiosk id or procedure code.
bool is_valid_code(const std::string& code);

}  // namespace sipas
