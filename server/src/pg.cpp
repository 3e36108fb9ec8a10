#include "pg.hpp"

#include <charconv>
#include <cstring>

namespace sipas::pg {
namespace {

ErrorCode map_sqlstate(std::string_view state) {
  if (state.size() != 5) return ErrorCode::internal;
  if (state.substr(0, 2) == "23") return ErrorCode::conflict;
  if (state == "40001" || state == "40P01" || state == "55P03") return ErrorCode::busy;
  if (state == "53100") return ErrorCode::disk_full;
  if (state == "53300") return ErrorCode::unavailable;
  if (state == "25006" || state == "42501") return ErrorCode::read_only;
  if (state == "XX001" || state == "XX002") return ErrorCode::corrupt;
  if (state.substr(0, 2) == "08" || state.substr(0, 2) == "58" || state.substr(0, 3) == "57P") {
    return ErrorCode::io_error;
  }
  return ErrorCode::internal;
}

// libpq's messages end in a newline and may span lines; ours are one line.
std::string one_line(const char* text) {
  std::string out;
  bool space = false;
  for (const char* p = text ? text : ""; *p; ++p) {
    const bool ws = *p == '\n' || *p == '\r' || *p == '\t' || *p == ' ';
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += *p;
  }
  return out;
}

// Where the password is in a connection string: [begin, end), or begin == npos.
std::pair<std::size_t, std::size_t> password_span(const std::string& s) {
  constexpr auto npos = std::string::npos;
  if (auto scheme = s.find("://"); scheme != npos) {
    const std::size_t start = scheme + 3;
    const std::size_t end = std::min(s.find_first_of("/?", start), s.size());
    const std::size_t at = s.rfind('@', end == 0 ? 0 : end - 1);
    if (at != npos && at >= start) {
      const std::size_t colon = s.find(':', start);
      if (colon != npos && colon < at) return {colon + 1, at};
    }
    if (auto q = s.find("password=", start); q != npos) {
      const std::size_t b = q + 9;
      return {b, std::min(s.find('&', b), s.size())};
    }
    return {npos, npos};
  }
  for (std::size_t k = s.find("password"); k != npos; k = s.find("password", k + 1)) {
    std::size_t p = k + 8;
    while (p < s.size() && s[p] == ' ') ++p;
    if (p >= s.size() || s[p] != '=') continue;
    ++p;
    while (p < s.size() && s[p] == ' ') ++p;
    if (p < s.size() && s[p] == '\'') {
      std::size_t e = p + 1;
      while (e < s.size() && s[e] != '\'') e += s[e] == '\\' ? 2 : 1;
      return {p, std::min(e + 1, s.size())};
    }
    return {p, std::min(s.find(' ', p), s.size())};
  }
  return {npos, npos};
}

// `text` with the connection string's password (if it has one) replaced.
std::string scrub(std::string text, const std::string& conninfo) {
  auto [b, e] = password_span(conninfo);
  if (b == std::string::npos || e <= b) return text;
  const std::string secret = conninfo.substr(b, e - b);
  for (std::size_t p = text.find(secret); p != std::string::npos; p = text.find(secret, p + 3)) {
    text.replace(p, secret.size(), "***");
  }
  return text;
}

std::string label_of(PGconn* c) {
  const char* db = c ? PQdb(c) : nullptr;
  const char* host = c ? PQhost(c) : nullptr;
  std::string label = "PostgreSQL database \"" + std::string(db ? db : "") + "\"";
  if (host && *host) label += std::string(" on ") + host;
  return label;
}

void ignore_notice(void*, const char*) {}

}  // namespace

void ArrayParam::add(std::string_view v) {
  sep();
  text_ += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void ArrayParam::add(const std::optional<std::string>& v) {
  if (v) {
    add(std::string_view(*v));
  } else {
    add_null();
  }
}

void ArrayParam::add(const std::optional<int>& v) {
  if (v) {
    add(static_cast<std::int64_t>(*v));
  } else {
    add_null();
  }
}

void ArrayParam::add_null() {
  sep();
  text_ += "NULL";
}

std::string Rows::text(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  return std::string(v, static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
}

std::optional<std::string> Rows::opt_text(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return text(row, col);
}

std::int64_t Rows::int64(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  std::int64_t out = 0;
  std::from_chars(v, v + std::strlen(v), out);
  return out;
}

std::optional<std::int64_t> Rows::opt_int64(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return int64(row, col);
}

std::int64_t Rows::affected() const {
  const char* v = r_ ? PQcmdTuples(r_.get()) : "";
  std::int64_t out = 0;
  std::from_chars(v, v + std::strlen(v), out);
  return out;
}

std::string redact(const std::string& conninfo) {
  auto [b, e] = password_span(conninfo);
  if (b == std::string::npos || e <= b) return conninfo;
  return conninfo.substr(0, b) + "***" + conninfo.substr(e);
}

Result<std::unique_ptr<Conn>> Conn::open(const std::string& conninfo) {
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (!options) {
    std::string message = parse_error ? one_line(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return Status::error(
        ErrorCode::invalid_argument,
        "PostgreSQL connection string \"" + redact(conninfo) + "\": " + scrub(message, conninfo));
  }
  PQconninfoFree(options);

  const char* keys[] = {"dbname", "fallback_application_name", "client_encoding", nullptr};
  const char* values[] = {conninfo.c_str(), "sipas-server", "UTF8", nullptr};
  PGconn* raw = PQconnectdbParams(keys, values, 1);
  if (!raw) return Status::error(ErrorCode::internal, "PostgreSQL: out of memory");
  std::unique_ptr<Conn> conn(new Conn(raw, label_of(raw)));
  if (PQstatus(raw) != CONNECTION_OK) {
    return Status::error(ErrorCode::io_error, conn->label_ + ": connect: " +
                                                  scrub(one_line(PQerrorMessage(raw)), conninfo));
  }
  Status s = conn->set_up_session();
  if (!s.is_ok()) return s;
  return conn;
}

Status Conn::set_up_session() {
  PQsetNoticeProcessor(c_.get(), ignore_notice, nullptr);
  // As SQLite's busy timeout: a writer waits up to 10 s for a lock, then gets busy.
  return run("set up the session", "SET lock_timeout = '10s'");
}

Status Conn::reconnect_if_lost() {
  if (PQstatus(c_.get()) != CONNECTION_BAD) return Status::ok();
  if (in_transaction_) {
    return Status::error(ErrorCode::io_error,
                         label_ + ": the connection was lost; the transaction was not committed");
  }
  PQreset(c_.get());
  if (PQstatus(c_.get()) != CONNECTION_OK) {
    return Status::error(ErrorCode::io_error,
                         label_ + ": connect again: " + one_line(PQerrorMessage(c_.get())));
  }
  return set_up_session();
}

Status Conn::error_of(const PGresult* r, std::string_view what) const {
  std::string message = label_;
  message += ": ";
  message += what;
  message += ": ";
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  message += one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c_.get()));
  if (message.back() == ' ') message.pop_back();
  ErrorCode code = state ? map_sqlstate(state) : ErrorCode::io_error;
  if (PQstatus(c_.get()) == CONNECTION_BAD) code = ErrorCode::io_error;
  return Status::error(code, std::move(message));
}

Result<Rows> Conn::exec(std::string_view what, const std::string& sql,
                        const std::vector<Param>& params) {
  if (Status s = reconnect_if_lost(); !s.is_ok()) return s;
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) {
    if (p.has_nul()) {
      return Status::error(ErrorCode::invalid_argument,
                           label_ + ": " + std::string(what) + ": a value holds a NUL character");
    }
    values.push_back(p.c_str());
  }
  PGresult* r = params.empty()
                    ? PQexec(c_.get(), sql.c_str())
                    : PQexecParams(c_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                                   values.data(), nullptr, nullptr, 0);
  Rows rows(r);
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return error_of(r, what);
  return rows;
}

Transaction::Transaction(Conn& conn) : conn_(conn) {
  begin_ = conn_.run("begin a transaction", "BEGIN");
  open_ = begin_.is_ok();
  conn_.in_transaction_ = open_;
}

Transaction::~Transaction() {
  if (!open_) return;
  conn_.in_transaction_ = false;
  // On a lost connection the server has rolled back already.
  if (PQstatus(conn_.c_.get()) == CONNECTION_OK) (void)conn_.run("roll back", "ROLLBACK");
}

Status Transaction::commit() {
  Status s = conn_.run("commit", "COMMIT");
  // After a failed COMMIT the server has ended the transaction; nothing is left to roll back.
  open_ = false;
  conn_.in_transaction_ = false;
  return s;
}

}  // namespace sipas::pg
