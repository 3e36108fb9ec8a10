#include "sipas/server/migrate.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "pg.hpp"
#include "pg_store.hpp"
#include "sipas/server/scores.hpp"
#include "sqlite_store.hpp"

namespace sipas {
namespace {

using pg::ArrayParam;

// The tables that carry data, parents before the tables that refer to them. Sessions and login
// links are left behind on purpose (users log in again); schema_version is each storage's own.
// Row numbers (responses' rid, quarantine's qid, findings' fid) are copied as they are, so that
// answers and reasons still point at their responses and "latest first" lists read the same;
// `order` is the source's insertion order.
struct Table {
  const char* name;
  const char* order;
};
const Table kTables[] = {
    {"units", "rowid"},           {"kiosks", "rowid"},        {"users", "rowid"},
    {"surveys", "rowid"},         {"procedures", "rowid"},    {"responses", "rid"},
    {"answers", "response_rid, criterion"},                   {"reasons", "response_rid, reason"},
    {"quarantine", "qid"},        {"findings", "fid"},        {"batches", "rowid"},
    {"rollup_detail", "1"},       {"rollup_day", "1"},        {"rollup_month", "1"},
    {"rollup_below_day", "1"},    {"rollup_below_month", "1"},
    {"login_failures", "key"},
    {"kiosk_health", "rowid"},    {"kiosk_contacts", "kiosk_id, n"},
    {"config_bundles", "version"},
    {"alert_rules", "rowid"},     {"alert_cursor", "one"},    {"alerts", "id"},
    {"alert_outbox", "id"},
    {"improvement_actions", "id"},
};
constexpr std::size_t kChunk = 5000;

struct Column {
  std::string name;
  std::string type;  // the target's, for the unnest() cast: text, bigint, integer
  bool identity = false;  // a row number the target would otherwise make itself
};

// The target table's columns, each copied from the source's column of the same name.
Result<std::vector<Column>> target_columns(pg::Conn& conn, const std::string& table) {
  auto rows = conn.exec("read the columns of " + table,
                        "SELECT column_name, data_type, is_identity FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND table_name = $1 "
                        "ORDER BY ordinal_position",
                        {table});
  if (!rows.is_ok()) return rows.status();
  std::vector<Column> out;
  for (int i = 0; i < rows->size(); ++i) {
    out.push_back({rows->text(i, 0), rows->text(i, 1), rows->text(i, 2) == "YES"});
  }
  if (out.empty()) return Status::error(ErrorCode::internal, "the target has no table " + table);
  return out;
}

std::string join(const std::vector<Column>& columns, const std::string& prefix = "") {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + prefix + c.name;
  return out;
}

// One chunk of rows, column by column, as one INSERT ... SELECT FROM unnest(...).
class Chunk {
 public:
  Chunk(std::string table, const std::vector<Column>& columns)
      : table_(std::move(table)), columns_(columns), values_(columns.size()) {}

  void add(const sql::Stmt& row) {
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      if (row.is_null(static_cast<int>(c))) {
        values_[c].add_null();
      } else {
        values_[c].add(row.text(static_cast<int>(c)));
      }
    }
    ++rows_;
  }
  std::size_t rows() const { return rows_; }

  // `nulls` names columns written as NULL now (a unit's parent, set once all units are there).
  Status flush(pg::Conn& conn, const std::set<std::string>& nulls = {}) {
    if (rows_ == 0) return Status::ok();
    std::string sources, targets;
    std::vector<pg::Param> params;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      params.emplace_back(values_[c].take());
      sources += std::string(c ? ", " : "") + "$" + std::to_string(c + 1) + "::" + columns_[c].type + "[]";
    }
    std::string names;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      names += std::string(c ? ", " : "") +
               (nulls.count(columns_[c].name) ? "NULL" : "v." + columns_[c].name);
    }
    const bool numbered = std::any_of(columns_.begin(), columns_.end(),
                                      [](const Column& c) { return c.identity; });
    const std::string sql = "INSERT INTO " + table_ + "(" + join(columns_) + ")" +
                            (numbered ? " OVERRIDING SYSTEM VALUE" : "") + " SELECT " + names +
                            " FROM unnest(" + sources + ") AS v(" + join(columns_) + ")";
    Status s = conn.run("copy " + table_, sql, params);
    values_.assign(columns_.size(), ArrayParam());
    rows_ = 0;
    return s;
  }

 private:
  std::string table_;
  std::vector<Column> columns_;
  std::vector<ArrayParam> values_;
  std::size_t rows_ = 0;
};

Result<std::int64_t> count_rows(sql::Db& db, const std::string& table) {
  std::int64_t n = 0;
  auto found = db.first_row("SELECT count(*) FROM " + table, "count " + table, [](sql::Stmt&) {},
                            [&](const sql::Stmt& q) { n = q.int64(0); });
  if (!found.is_ok()) return found.status();
  return n;
}

Result<std::int64_t> count_rows(pg::Conn& conn, const std::string& table) {
  auto rows = conn.exec("count " + table, "SELECT count(*) FROM " + table);
  if (!rows.is_ok()) return rows.status();
  return rows->int64(0, 0);
}

// Copies one table inside the caller's transaction; the rows copied.
Result<std::int64_t> copy_table(sql::Db& from, pg::Conn& to, const Table& table) {
  auto columns = target_columns(to, table.name);
  if (!columns.is_ok()) return columns.status();
  const bool units = std::string(table.name) == "units";
  Chunk chunk(table.name, *columns);
  std::int64_t copied = 0;
  Status failed = Status::ok();
  // Units first without their parents (a parent may come after its child), then the parents.
  const std::set<std::string> nulls = units ? std::set<std::string>{"parent"} : std::set<std::string>{};
  Status s = from.each_row(
      "SELECT " + join(*columns) + " FROM " + table.name + " ORDER BY " + table.order,
      std::string("read ") + table.name, [](sql::Stmt&) {},
      [&](const sql::Stmt& row) {
        if (!failed.is_ok()) return;
        chunk.add(row);
        ++copied;
        if (chunk.rows() >= kChunk) failed = chunk.flush(to, nulls);
      });
  if (!s.is_ok()) return s;
  if (!failed.is_ok()) return failed;
  if (Status f = chunk.flush(to, nulls); !f.is_ok()) return f;
  // The target's own numbering carries on after the copied row numbers.
  for (const Column& c : *columns) {
    if (!c.identity) continue;
    Status n = to.run("renumber " + std::string(table.name),
                      "SELECT setval(pg_get_serial_sequence('" + std::string(table.name) + "', '" +
                          c.name + "'), coalesce((SELECT max(" + c.name + ") FROM " + table.name +
                          "), 0) + 1, false)");
    if (!n.is_ok()) return n;
  }
  if (units) {
    ArrayParam codes, parents;
    Status p = from.each_row("SELECT code, parent FROM units WHERE parent IS NOT NULL",
                             "read unit parents", [](sql::Stmt&) {},
                             [&](const sql::Stmt& row) {
                               codes.add(row.text(0));
                               parents.add(row.text(1));
                             });
    if (!p.is_ok()) return p;
    p = to.run("set unit parents",
               "UPDATE units SET parent = v.parent FROM unnest($1::text[], $2::text[]) AS v(code, parent) "
               "WHERE units.code = v.code",
               {codes.take(), parents.take()});
    if (!p.is_ok()) return p;
  }
  return copied;
}

// The years and quarters that have ratings, from the monthly rollups.
Result<std::vector<DateRange>> periods_with_ratings(sql::Db& db) {
  std::set<std::string> months;
  Status s = db.each_row("SELECT DISTINCT month FROM rollup_month", "read rated months",
                         [](sql::Stmt&) {}, [&](const sql::Stmt& q) { months.insert(q.text(0)); });
  if (!s.is_ok()) return s;
  std::vector<DateRange> out;
  std::set<std::pair<int, int>> seen;  // (year, quarter 1-4), quarter 0 for the year
  for (const std::string& m : months) {
    if (m.size() < 7) continue;
    const int y = std::stoi(m.substr(0, 4)), mo = std::stoi(m.substr(5, 2));
    if (mo < 1 || mo > 12) continue;
    const Date d{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)}, std::chrono::day{1}};
    if (seen.insert({y, 0}).second) out.push_back(period_containing(PeriodKind::year, d));
    if (seen.insert({y, (mo - 1) / 3 + 1}).second) out.push_back(period_containing(PeriodKind::quarter, d));
  }
  return out;
}

// Empties every copied table of the target again.
Status empty_target(pg::Conn& conn) {
  std::string tables;
  for (const Table& t : kTables) tables += (tables.empty() ? "" : ", ") + std::string(t.name);
  return conn.run("empty the target again", "TRUNCATE " + tables + " RESTART IDENTITY CASCADE");
}

// `why` the copy cannot stand, after emptying the target again so that a second run can start
// afresh.
Status emptied_again(const std::string& conninfo, const Status& why) {
  auto target = PgServerStore::open(conninfo);
  Status e = target.is_ok() ? empty_target((*target)->conn()) : target.status();
  if (!e.is_ok()) {
    return Status::error(why.code(), why.message() + "; the target still holds the copy (" +
                                         e.message() + "): empty it before trying again");
  }
  return Status::error(why.code(), why.message() + "; the target was emptied again");
}

// The first unit × period whose scores differ between the two storages, or OK; how many matched.
Status compare_scores(const std::string& sqlite_path, const std::string& conninfo,
                      const std::vector<std::string>& units, const std::vector<DateRange>& periods,
                      std::int64_t* matched) {
  auto a = ScoreService::open(sqlite_path);
  if (!a.is_ok()) return a.status();
  auto b = ScoreService::open(conninfo);
  if (!b.is_ok()) return b.status();
  for (const std::string& unit : units) {
    for (const DateRange& range : periods) {
      ScoreQuery q;
      q.unit = unit;
      q.range = range;
      auto sa = (*a)->scores(q);
      if (!sa.is_ok()) return sa.status();
      auto sb = (*b)->scores(q);
      if (!sb.is_ok()) return sb.status();
      if (to_json(*sa) != to_json(*sb)) {
        return Status::error(ErrorCode::internal,
                             "the scores of unit " + unit + " for " + format_date(range.from) +
                                 " to " + format_date(range.to) + " differ after the copy");
      }
      ++*matched;
    }
  }
  return Status::ok();
}

}  // namespace

Result<MigrationReport> migrate_to_postgresql(const std::string& sqlite_path,
                                              const std::string& conninfo,
                                              const std::function<void(const std::string&)>& progress) {
  if (is_postgresql(sqlite_path)) {
    return Status::error(ErrorCode::invalid_argument, "--from must be a SQLite database file");
  }
  if (!is_postgresql(conninfo)) {
    return Status::error(ErrorCode::invalid_argument,
                         "--to must be a PostgreSQL connection string (postgresql://...)");
  }
  auto source = SqliteServerStore::open(sqlite_path);
  if (!source.is_ok()) return source.status();
  auto target = PgServerStore::open(conninfo);
  if (!target.is_ok()) return target.status();
  sql::Db& from = (*source)->db();
  pg::Conn& to = (*target)->conn();

  for (const Table& t : kTables) {
    auto n = count_rows(to, t.name);
    if (!n.is_ok()) return n.status();
    if (*n > 0) {
      return Status::error(ErrorCode::conflict,
                           to.label() + " already holds data (" + std::to_string(*n) + " rows in " +
                               t.name + "): migrate copies into an empty database only");
    }
  }

  MigrationReport report;
  {
    pg::Transaction tx(to);
    if (!tx.begin_status().is_ok()) return tx.begin_status();
    for (const Table& t : kTables) {
      auto copied = copy_table(from, to, t);
      if (!copied.is_ok()) return copied.status();
      progress(std::string(t.name) + ": " + std::to_string(*copied) + " rows");
      report.rows += *copied;
      ++report.tables;
      if (std::string(t.name) == "responses") report.responses = *copied;
    }
    if (Status s = tx.commit(); !s.is_ok()) return s;
  }

  // The check, on the committed copy; a copy that differs is taken away again.
  auto fail = [&](const Status& why) -> Result<MigrationReport> { return emptied_again(conninfo, why); };
  for (const Table& t : kTables) {
    auto a = count_rows(from, t.name);
    if (!a.is_ok()) return fail(a.status());
    auto b = count_rows(to, t.name);
    if (!b.is_ok()) return fail(b.status());
    if (*a != *b) {
      return fail(Status::error(ErrorCode::internal, std::string(t.name) + ": " + std::to_string(*a) +
                                                         " rows in the SQLite file, " +
                                                         std::to_string(*b) + " copied"));
    }
  }
  auto units = (*source)->units();
  if (!units.is_ok()) return fail(units.status());
  auto periods = periods_with_ratings(from);
  if (!periods.is_ok()) return fail(periods.status());
  std::vector<std::string> codes;
  for (const auto& u : *units) codes.push_back(u.code);
  source->reset();
  target->reset();
  Status s = compare_scores(sqlite_path, conninfo, codes, *periods, &report.score_checks);
  if (!s.is_ok()) return fail(s);
  progress("scores: " + std::to_string(report.score_checks) + " unit-periods the same on both");
  return report;
}

}  // namespace sipas
