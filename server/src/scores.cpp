#include "sipas/server/scores.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <set>
#include <tuple>

#include "sipas/server/surveys.hpp"
#include "sipas/sqlite.hpp"

namespace sipas {

const char* const kRollupSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS rollup_detail(
  survey TEXT NOT NULL, unit TEXT NOT NULL, day TEXT NOT NULL, counter TEXT NOT NULL,
  officer TEXT NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY(survey, unit, day, counter, officer, kind, key, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_day(
  survey TEXT NOT NULL, unit TEXT NOT NULL, day TEXT NOT NULL, kind INTEGER NOT NULL,
  key TEXT NOT NULL, value INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(survey, unit, day, kind, key, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_month(
  survey TEXT NOT NULL, unit TEXT NOT NULL, month TEXT NOT NULL, kind INTEGER NOT NULL,
  key TEXT NOT NULL, value INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(survey, unit, month, kind, key, value)) WITHOUT ROWID;
)sql";

const char* const kRollupProcedureSchemaSql = R"sql(
DROP TABLE rollup_detail;
CREATE TABLE rollup_detail(
  survey TEXT NOT NULL, unit TEXT NOT NULL, day TEXT NOT NULL, counter TEXT NOT NULL,
  officer TEXT NOT NULL, procedure TEXT NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL,
  value INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(survey, unit, day, counter, officer, procedure, kind, key, value)) WITHOUT ROWID;
)sql";

namespace {

using nlohmann::json;



// What a rollup row counts.
enum Kind : int { kAnswer = 0, kReason = 1, kStatus = 2, kTotal = 3 };

// The finest key any query needs; fields a query does not group by are left empty.
struct SliceKey {
  std::string survey, unit, day, counter, officer, procedure;
  auto operator<=>(const SliceKey&) const = default;
};
using Slice = std::map<SliceKey, Tally>;

struct Needs {
  bool day = false;
  bool counter = false;
  bool officer = false;
  bool procedure = false;
};

void add_row(Tally& t, int kind, const std::string& key, int value, std::int64_t n) {
  switch (kind) {
    case kAnswer: t.answers[key][value] += n; break;
    case kReason: t.reasons[key] += n; break;
    case kStatus:
      if (key == "complete") {
        t.complete += n;
      } else {
        t.partial += n;
      }
      break;
    case kTotal: t.totals[value] += n; break;
    default: break;
  }
}

std::mutex g_tz_mutex;
std::map<std::string, TimeZone>& tz_cache() {
  static std::map<std::string, TimeZone> cache;
  return cache;
}

Result<TimeZone> zone(const std::string& name) {
  std::lock_guard lock(g_tz_mutex);
  auto& cache = tz_cache();
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  auto tz = TimeZone::load(name);
  if (!tz.is_ok()) return tz.status();
  cache.emplace(name, *tz);
  return *tz;
}

std::string month_of(const std::string& day) { return day.substr(0, 7); }

// Per-connection lookups made while adding responses.
struct Lookups {
  sql::Db& db;
  std::map<std::string, std::string> unit_zone;
  std::map<std::string, bool> points;

  Result<std::string> zone_of(const std::string& unit) {
    if (auto it = unit_zone.find(unit); it != unit_zone.end()) return it->second;
    std::string name = "Asia/Ho_Chi_Minh";
    auto found = db.first_row(
        "SELECT time_zone FROM units WHERE code = ?", "read unit time zone",
        [&](sql::Stmt& q) { q.bind(1, unit); }, [&](const sql::Stmt& q) { name = q.text(0); });
    if (!found.is_ok()) return found.status();
    unit_zone[unit] = name;
    return name;
  }

  // Whether a survey id is on the points scale (Mẫu 01): its totals are kept per response.
  Result<bool> is_points(const std::string& survey) {
    if (auto it = points.find(survey); it != points.end()) return it->second;
    bool is = false;
    auto found = db.first_row(
        "SELECT body FROM surveys WHERE id = ? ORDER BY version DESC LIMIT 1", "read survey scale",
        [&](sql::Stmt& q) { q.bind(1, survey); },
        [&](const sql::Stmt& q) {
          auto doc = json::parse(q.text(0), nullptr, false);
          is = doc.is_object() && doc.value("scale", std::string()) == "points";
        });
    if (!found.is_ok()) return found.status();
    points[survey] = is;
    return is;
  }
};

struct ResponseFacts {
  std::string survey, unit, counter, officer, procedure;
  TimePoint submitted_at{};
  bool complete = true;
  std::vector<std::pair<std::string, std::optional<int>>> answers;
  std::vector<std::string> reasons;
};

Status accumulate(Lookups& lk, Slice& slice, const ResponseFacts& r, const Needs& needs) {
  auto zone_name = lk.zone_of(r.unit);
  if (!zone_name.is_ok()) return zone_name.status();
  auto tz = zone(*zone_name);
  if (!tz.is_ok()) return tz.status();
  auto points = lk.is_points(r.survey);
  if (!points.is_ok()) return points.status();
  SliceKey key{r.survey, r.unit, needs.day ? format_date(tz->local_date(r.submitted_at)) : "",
               needs.counter ? r.counter : "", needs.officer ? r.officer : "",
               needs.procedure ? r.procedure : ""};
  Tally& t = slice[key];
  if (r.complete) {
    ++t.complete;
  } else {
    ++t.partial;
  }
  int total = 0;
  bool any = false;
  for (const auto& [criterion, value] : r.answers) {
    if (!value) continue;
    t.answers[criterion][*value] += 1;
    total += *value;
    any = true;
  }
  for (const auto& reason : r.reasons) t.reasons[reason] += 1;
  if (*points && any) t.totals[total] += 1;
  return Status::ok();
}

template <class F>
void for_each_row(const Tally& t, F&& f) {
  for (const auto& [criterion, by_value] : t.answers) {
    for (const auto& [value, n] : by_value) f(kAnswer, criterion, value, n);
  }
  for (const auto& [reason, n] : t.reasons) f(kReason, reason, 0, n);
  if (t.complete) f(kStatus, std::string("complete"), 0, t.complete);
  if (t.partial) f(kStatus, std::string("partial"), 0, t.partial);
  for (const auto& [total, n] : t.totals) f(kTotal, std::string(), total, n);
}

// Adds a detail-level slice (day, counter, officer and procedure filled) to the three rollup
// tables.
Status flush(sql::Db& db, const Slice& detail) {
  std::map<std::tuple<std::string, std::string, std::string>, Tally> by_day, by_month;
  for (const auto& [k, t] : detail) {
    by_day[{k.survey, k.unit, k.day}].merge(t);
    by_month[{k.survey, k.unit, month_of(k.day)}].merge(t);
  }
  static const char* const kDetail =
      "INSERT INTO rollup_detail(survey, unit, day, counter, officer, procedure, kind, key, value, "
      "n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n";
  // Plain references rather than a structured binding: the lambda below captures k, which
  // clang 14 (the fuzz build) does not allow for bindings.
  for (const auto& entry : detail) {
    const auto& k = entry.first;
    const auto& t = entry.second;
    Status s;
    for_each_row(t, [&](int kind, const std::string& key, int value, std::int64_t n) {
      if (!s.is_ok()) return;
      s = db.run(kDetail, "add to rollup_detail", [&](sql::Stmt& st) {
        st.bind(1, k.survey);
        st.bind(2, k.unit);
        st.bind(3, k.day);
        st.bind(4, k.counter);
        st.bind(5, k.officer);
        st.bind(6, k.procedure);
        st.bind(7, kind);
        st.bind(8, key);
        st.bind(9, value);
        st.bind(10, n);
      });
    });
    if (!s.is_ok()) return s;
  }
  auto write_level = [&](const char* sql_text, const auto& level, const char* what) -> Status {
    Status s;
    for (const auto& entry : level) {
      const auto& k = entry.first;
      const auto& t = entry.second;
      for_each_row(t, [&](int kind, const std::string& key, int value, std::int64_t n) {
        if (!s.is_ok()) return;
        s = db.run(sql_text, what, [&](sql::Stmt& st) {
          st.bind(1, std::get<0>(k));
          st.bind(2, std::get<1>(k));
          st.bind(3, std::get<2>(k));
          st.bind(4, kind);
          st.bind(5, key);
          st.bind(6, value);
          st.bind(7, n);
        });
      });
      if (!s.is_ok()) return s;
    }
    return s;
  };
  static const char* const kDay =
      "INSERT INTO rollup_day(survey, unit, day, kind, key, value, n) VALUES (?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT DO UPDATE SET n = n + excluded.n";
  static const char* const kMonth =
      "INSERT INTO rollup_month(survey, unit, month, kind, key, value, n) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n";
  Status s = write_level(kDay, by_day, "add to rollup_day");
  if (!s.is_ok()) return s;
  return write_level(kMonth, by_month, "add to rollup_month");
}

// Reads responses (with their answers and reasons) matching `where` and feeds them to `sink`
// one at a time. `where` filters the responses table aliased r; `bind` binds its parameters.
template <class Bind, class Sink>
Status stream_responses(sql::Db& db, const std::string& where, Bind&& bind, Sink&& sink) {
  std::string q =
      "SELECT r.id, r.survey_id, r.unit, r.counter, coalesce(r.officer, ''), r.submitted_ms, "
      "r.status, a.criterion, a.value, coalesce(r.procedure, '') FROM responses r "
      "LEFT JOIN answers a ON a.response_id = r.id "
      "WHERE " + where + " ORDER BY r.id";
  auto st = db.prepare(q.c_str());
  if (!st.is_ok()) return st.status();
  bind(*st);
  std::string rq =
      "SELECT r.id, x.reason FROM responses r JOIN reasons x ON x.response_id = r.id WHERE " +
      where + " ORDER BY r.id";
  auto rs = db.prepare(rq.c_str());
  if (!rs.is_ok()) return rs.status();
  bind(*rs);
  int rrc = rs->step();

  ResponseFacts cur;
  std::string cur_id;
  bool have = false;
  auto finish = [&]() -> Status {
    if (!have) return Status::ok();
    while (rrc == SQLITE_ROW && rs->text(0) < cur_id) rrc = rs->step();
    while (rrc == SQLITE_ROW && rs->text(0) == cur_id) {
      cur.reasons.push_back(rs->text(1));
      rrc = rs->step();
    }
    if (rrc != SQLITE_ROW && rrc != SQLITE_DONE) return db.error(rrc, "read reasons");
    return sink(cur);
  };
  Status s = db.rows(*st, "read responses", [&](const sql::Stmt& row) -> Status {
    std::string id = row.text(0);
    if (!have || id != cur_id) {
      Status done = finish();
      if (!done.is_ok()) return done;
      cur = ResponseFacts{};
      cur_id = id;
      have = true;
      cur.survey = row.text(1);
      cur.unit = row.text(2);
      cur.counter = row.text(3);
      cur.officer = row.text(4);
      cur.submitted_at = from_unix_ms(row.int64(5));
      cur.complete = row.text(6) == "complete";
      cur.procedure = row.text(9);
    }
    if (!row.is_null(7)) {
      std::optional<int> v;
      if (!row.is_null(8)) v = static_cast<int>(row.int64(8));
      cur.answers.emplace_back(row.text(7), v);
    }
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return finish();
}

std::string placeholders(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
  return s;
}

Date next_day(Date d) { return Date(std::chrono::sys_days(d) + std::chrono::days(1)); }
Date last_of_month(Date d) { return Date{d.year() / d.month() / std::chrono::last}; }


}  // namespace

Status ensure_rollup_schema(sql::Db& db) { return db.exec(kRollupSchemaSql); }

Status add_to_rollups(sql::Db& db, const std::vector<const Response*>& accepted) {
  if (accepted.empty()) return Status::ok();
  Lookups lk{db, {}, {}};
  Slice slice;
  Needs all{true, true, true, true};
  for (const Response* r : accepted) {
    ResponseFacts f{r->survey_id,
                    r->unit,
                    r->counter,
                    r->officer.value_or(""),
                    r->procedure.value_or(""),
                    r->submitted_at,
                    r->status == ResponseStatus::complete,
                    {},
                    r->reasons};
    for (const Answer& a : r->answers) f.answers.emplace_back(a.criterion, a.value);
    Status s = accumulate(lk, slice, f, all);
    if (!s.is_ok()) return s;
  }
  return flush(db, slice);
}

Status rebuild_rollups(sql::Db& db) {
  Status s = ensure_rollup_schema(db);
  if (!s.is_ok()) return s;
  sql::Transaction tx(db);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  s = recompute_rollups(db);
  if (!s.is_ok()) return s;
  return tx.commit();
}

Status recompute_rollups(sql::Db& db) {
  Status s = db.exec("DELETE FROM rollup_detail; DELETE FROM rollup_day; DELETE FROM rollup_month;");
  if (!s.is_ok()) return s;
  Lookups lk{db, {}, {}};
  Slice slice;
  std::size_t pending = 0;
  Needs all{true, true, true, true};
  s = stream_responses(
      db, "1", [](sql::Stmt&) {},
      [&](const ResponseFacts& f) -> Status {
        Status a = accumulate(lk, slice, f, all);
        if (!a.is_ok()) return a;
        if (++pending >= 50000) {
          a = flush(db, slice);
          slice.clear();
          pending = 0;
        }
        return a;
      });
  if (!s.is_ok()) return s;
  return flush(db, slice);
}

std::optional<Grouping> parse_grouping(const std::string& text) {
  for (Grouping g : {Grouping::none, Grouping::unit, Grouping::counter, Grouping::officer,
                     Grouping::day, Grouping::survey, Grouping::criterion, Grouping::element,
                     Grouping::procedure}) {
    if (text == to_string(g)) return g;
  }
  return std::nullopt;
}

const char* to_string(Grouping g) {
  switch (g) {
    case Grouping::none: return "none";
    case Grouping::unit: return "unit";
    case Grouping::counter: return "counter";
    case Grouping::officer: return "officer";
    case Grouping::day: return "day";
    case Grouping::survey: return "survey";
    case Grouping::criterion: return "criterion";
    case Grouping::element: return "element";
    case Grouping::procedure: return "procedure";
  }
  return "none";
}

json national_reference() {
  return {{"sipas",
           json::array({{{"year", 2019}, {"index", 84.45}},
                        {{"year", 2021}, {"index", 87.16}},
                        {{"year", 2022}, {"index", 80.08}, {"note", "new method"}},
                        {{"year", 2023}, {"index", 82.66}},
                        {{"year", 2024}, {"index", 83.94}}})},
          {"elements_2023",
           {{"access", 83.00}, {"procedures", 83.02}, {"officer", 83.12}, {"result", 83.03},
            {"feedback", 82.27}}},
          {"admin_services_2024", 84.09},
          {"target_2030", 95.0}};
}

struct ScoreService::Impl {
  std::vector<UnitRecord> units;
  std::map<std::string, const UnitRecord*> by_code;

  Status load(ServerStore& store) {
    auto u = store.units();
    if (!u.is_ok()) return u.status();
    units = std::move(u).value();
    by_code.clear();
    for (const auto& x : units) by_code[x.code] = &x;
    return Status::ok();
  }
  std::vector<std::string> subtree(const std::string& root) const {
    std::vector<std::string> out{root};
    for (std::size_t i = 0; i < out.size(); ++i) {
      for (const auto& u : units) {
        if (u.parent && *u.parent == out[i]) out.push_back(u.code);
      }
    }
    return out;
  }
  // The child of `root` that `unit` lies under (root itself for root's own responses).
  std::string child_of(const std::string& root, const std::string& unit) const {
    std::string cur = unit;
    for (int guard = 0; guard < 64; ++guard) {
      auto it = by_code.find(cur);
      if (it == by_code.end() || !it->second->parent) return cur;
      if (*it->second->parent == root) return cur;
      if (cur == root) return cur;
      cur = *it->second->parent;
    }
    return cur;
  }
  std::string name_of(const std::string& code) const {
    auto it = by_code.find(code);
    return it == by_code.end() ? code : it->second->name;
  }
  std::string zone_of(const std::string& code) const {
    auto it = by_code.find(code);
    return it == by_code.end() ? "Asia/Ho_Chi_Minh" : it->second->time_zone;
  }
  // Local days start at different instants in different zones, so raw-row queries run per zone.
  std::map<std::string, std::vector<std::string>> by_zone(
      const std::vector<std::string>& units) const {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& u : units) out[zone_of(u)].push_back(u);
    return out;
  }
};

ScoreService::~ScoreService() = default;

Result<std::unique_ptr<ScoreService>> ScoreService::open(const std::string& db_path) {
  std::unique_ptr<ScoreService> s(new ScoreService());
  auto store = ServerStore::open(db_path);
  if (!store.is_ok()) return store.status();
  s->store_ = std::move(store).value();
  auto db = open_server_db(db_path);
  if (!db.is_ok()) return db.status();
  s->db_ = std::move(db).value();
  Status st = ensure_rollup_schema(*s->db_);
  if (!st.is_ok()) return st;
  auto catalog = load_catalog(*s->store_);
  if (!catalog.is_ok()) return catalog.status();
  auto texts = s->store_->survey_texts();
  if (!texts.is_ok()) return texts.status();
  std::map<std::string, int> latest;
  for (const auto& t : *texts) {
    auto doc = json::parse(t, nullptr, false);
    if (!doc.is_object() || !doc.contains("id") || !doc["id"].is_string()) continue;
    int v = doc.value("version", 1);
    auto& best = latest[doc["id"].get<std::string>()];
    best = std::max(best, v);
  }
  for (const auto& [id, v] : latest) {
    if (const Survey* sv = catalog->find(id, v)) s->surveys_.push_back(*sv);
  }
  s->impl_ = std::make_unique<Impl>();
  st = s->impl_->load(*s->store_);
  if (!st.is_ok()) return st;
  return s;
}

const Survey* ScoreService::survey(const std::string& id) const {
  for (const auto& s : surveys_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

Status ScoreService::rebuild() { return rebuild_rollups(*db_); }

Result<std::vector<UnitRecord>> ScoreService::units() {
  Status s = impl_->load(*store_);
  if (!s.is_ok()) return s;
  return impl_->units;
}

Result<std::vector<ProcedureRecord>> ScoreService::procedures() { return store_->procedures(); }

Result<bool> ScoreService::is_within(const std::string& unit, const std::string& root) {
  Status s = impl_->load(*store_);
  if (!s.is_ok()) return s;
  auto below = impl_->subtree(root);
  return std::find(below.begin(), below.end(), unit) != below.end();
}

Result<Date> ScoreService::today(const std::string& unit, TimePoint now) {
  auto tz = zone(impl_->zone_of(unit));
  if (!tz.is_ok()) return tz.status();
  return tz->local_date(now);
}

namespace {

// Reads one level of rollups into a slice: survey and unit always, the rest as `needs` says.
Status read_rollups(sql::Db& db, const std::vector<std::string>& surveys,
                    const std::vector<std::string>& units, const DateRange& range,
                    const ScoreQuery& q, const Needs& needs, Slice& slice) {
  bool detail = needs.counter || needs.officer || needs.procedure || q.counter || q.officer ||
                q.procedure;
  struct Part {
    const char* table;
    const char* col;
    std::string from, to;
  };
  std::vector<Part> parts;
  if (detail) {
    parts.push_back({"rollup_detail", "day", format_date(range.from), format_date(range.to)});
  } else if (needs.day) {
    parts.push_back({"rollup_day", "day", format_date(range.from), format_date(range.to)});
  } else {
    // Whole months from rollup_month, the days at either edge from rollup_day.
    std::optional<std::string> month_from, month_to;
    Date d = range.from;
    while (std::chrono::sys_days(d) <= std::chrono::sys_days(range.to)) {
      Date eom = last_of_month(d);
      if (d.day() == std::chrono::day(1) &&
          std::chrono::sys_days(eom) <= std::chrono::sys_days(range.to)) {
        std::string m = format_date(d).substr(0, 7);
        if (!month_from) month_from = m;
        month_to = m;
        d = next_day(eom);
      } else {
        Date end = std::chrono::sys_days(eom) < std::chrono::sys_days(range.to) ? eom : range.to;
        parts.push_back({"rollup_day", "day", format_date(d), format_date(end)});
        d = next_day(end);
      }
    }
    if (month_from) parts.push_back({"rollup_month", "month", *month_from, *month_to});
  }
  for (const Part& p : parts) {
    std::string cols = "survey, unit";
    if (needs.day) cols += ", day";
    if (detail && needs.counter) cols += ", counter";
    if (detail && needs.officer) cols += ", officer";
    if (detail && needs.procedure) cols += ", procedure";
    std::string sql_text = "SELECT " + cols + ", kind, key, value, sum(n) FROM " + p.table +
                           " WHERE survey IN (" + placeholders(surveys.size()) + ") AND unit IN (" +
                           placeholders(units.size()) + ") AND " + p.col + " BETWEEN ? AND ?";
    if (q.counter) sql_text += " AND counter = ?";
    if (q.officer) sql_text += " AND officer = ?";
    if (q.procedure) sql_text += " AND procedure = ?";
    sql_text += " GROUP BY " + cols + ", kind, key, value";
    auto st = db.prepare(sql_text.c_str());
    if (!st.is_ok()) return st.status();
    int i = 1;
    for (const auto& s : surveys) st->bind(i++, std::string_view(s));
    for (const auto& u : units) st->bind(i++, std::string_view(u));
    st->bind(i++, std::string_view(p.from));
    st->bind(i++, std::string_view(p.to));
    if (q.counter) st->bind(i++, std::string_view(*q.counter));
    if (q.officer) st->bind(i++, std::string_view(*q.officer));
    if (q.procedure) st->bind(i++, std::string_view(*q.procedure));
    Status s = db.rows(*st, "read rollups", [&](const sql::Stmt& row) {
      SliceKey k;
      int c = 0;
      k.survey = row.text(c++);
      k.unit = row.text(c++);
      if (needs.day) k.day = row.text(c++);
      if (detail && needs.counter) k.counter = row.text(c++);
      if (detail && needs.officer) k.officer = row.text(c++);
      if (detail && needs.procedure) k.procedure = row.text(c++);
      int kind = static_cast<int>(row.int64(c));
      add_row(slice[k], kind, row.text(c + 1), static_cast<int>(row.int64(c + 2)),
              row.int64(c + 3));
    });
    if (!s.is_ok()) return s;
  }
  return Status::ok();
}

// group_concat(..., ' ') back into its words.
std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (p < s.size()) {
    auto e = s.find(' ', p);
    if (e == std::string::npos) e = s.size();
    if (e > p) out.push_back(s.substr(p, e - p));
    p = e + 1;
  }
  return out;
}

}  // namespace

Result<nlohmann::json> ScoreService::scores(const ScoreQuery& q) {
  Status ls = impl_->load(*store_);
  if (!ls.is_ok()) return ls;
  if (!impl_->by_code.count(q.unit)) {
    return Status::error(ErrorCode::invalid_argument, "unknown unit " + q.unit);
  }
  if (std::chrono::sys_days(q.range.from) > std::chrono::sys_days(q.range.to)) {
    return Status::error(ErrorCode::invalid_argument, "from is after to");
  }
  if (q.range.days() > 3700) {
    return Status::error(ErrorCode::invalid_argument, "the range is longer than ten years");
  }
  const std::vector<std::string> units = impl_->subtree(q.unit);
  std::vector<std::string> survey_ids;
  for (const auto& s : surveys_) {
    if (!q.survey || s.id == *q.survey) survey_ids.push_back(s.id);
  }
  if (q.survey && survey_ids.empty()) {
    return Status::error(ErrorCode::invalid_argument, "unknown survey " + *q.survey);
  }
  const std::string& lang = q.language;

  Needs needs;
  needs.day = q.group == Grouping::day;
  needs.counter = q.group == Grouping::counter;
  needs.officer = q.group == Grouping::officer;
  needs.procedure = q.group == Grouping::procedure;

  auto load = [&](const DateRange& range, const Needs& n, Slice& slice) -> Status {
    if (survey_ids.empty()) return Status::ok();
    if (q.source == ScoreSource::rollups) {
      return read_rollups(*db_, survey_ids, units, range, q, n, slice);
    }
    // From the raw rows: per time zone, the instants of the range's local days.
    auto by_zone = impl_->by_zone(units);
    Lookups lk{*db_, {}, {}};
    for (const auto& zone_entry : by_zone) {
      const std::string& zone_name = zone_entry.first;
      const std::vector<std::string>& zone_units = zone_entry.second;
      auto tz = zone(zone_name);
      if (!tz.is_ok()) return tz.status();
      auto from_ms = unix_ms(tz->start_of_day(range.from));
      auto to_ms = unix_ms(tz->start_of_day(next_day(range.to)));
      std::string where = "r.unit IN (" + placeholders(zone_units.size()) +
                          ") AND r.submitted_ms >= ? AND r.submitted_ms < ? AND r.survey_id IN (" +
                          placeholders(survey_ids.size()) + ")";
      if (q.counter) where += " AND r.counter = ?";
      if (q.officer) where += " AND coalesce(r.officer, '') = ?";
      if (q.procedure) where += " AND coalesce(r.procedure, '') = ?";
      auto bind = [&](sql::Stmt& st) {
        int i = 1;
        for (const auto& u : zone_units) st.bind(i++, std::string_view(u));
        st.bind(i++, static_cast<std::int64_t>(from_ms));
        st.bind(i++, static_cast<std::int64_t>(to_ms));
        for (const auto& s : survey_ids) st.bind(i++, std::string_view(s));
        if (q.counter) st.bind(i++, std::string_view(*q.counter));
        if (q.officer) st.bind(i++, std::string_view(*q.officer));
        if (q.procedure) st.bind(i++, std::string_view(*q.procedure));
      };
      Status s = stream_responses(*db_, where, bind, [&](const ResponseFacts& f) {
        return accumulate(lk, slice, f, n);
      });
      if (!s.is_ok()) return s;
    }
    return Status::ok();
  };

  Slice slice;
  Status s = load(q.range, needs, slice);
  if (!s.is_ok()) return s;

  auto is_points = [&](const std::string& id) {
    const Survey* sv = survey(id);
    return sv && sv->scale == ScaleKind::points;
  };
  std::vector<const Survey*> likert_all;
  for (const auto& sv : surveys_) {
    if (sv.scale == ScaleKind::likert5 && (!q.survey || sv.id == *q.survey)) likert_all.push_back(&sv);
  }

  // Scores a set of slice entries: SPEC's shape, all responses counted, the likert surveys scored
  // together.
  auto score_of = [&](const std::map<std::string, Tally>& per_survey, SurveyScore* out) {
    Tally all, likert;
    std::vector<const Survey*> used;
    for (const auto& [id, t] : per_survey) {
      all.merge(t);
      if (!is_points(id)) {
        likert.merge(t);
        if (const Survey* sv = survey(id)) used.push_back(sv);
      }
    }
    if (used.empty()) used = likert_all;
    std::vector<Option> options = used.empty() ? std::vector<Option>{} : used.front()->options;
    SurveyScore sc = score_likert(merge_elements(used), options, likert);
    sc.complete = all.complete;
    sc.partial = all.partial;
    sc.responses = all.responses();
    json j = to_json(sc, lang);
    if (out) *out = std::move(sc);
    return j;
  };

  auto reason_text = [&](const std::string& id) {
    for (const auto& sv : surveys_) {
      if (const Reason* r = sv.find_reason(id)) return r->text.get(lang);
    }
    return id;
  };
  auto fix_first = [&](const SurveyScore& sc, std::size_t n) {
    std::vector<std::pair<double, json>> all;
    for (const auto& e : sc.elements) {
      if (!e.in_index) continue;
      for (const auto& c : e.criteria) {
        if (!c.index) continue;
        all.push_back({*c.index, json{{"id", c.id},
                                       {"text", c.text.get(lang)},
                                       {"element", e.id},
                                       {"element_name", e.name.get(lang)},
                                       {"index", *c.index},
                                       {"n", c.n}}});
      }
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    json out = json::array();
    for (std::size_t i = 0; i < all.size() && i < n; ++i) out.push_back(all[i].second);
    return out;
  };
  auto top_reasons = [&](const std::map<std::string, Tally>& per_survey, std::size_t n) {
    std::map<std::string, std::int64_t> counts;
    for (const auto& [id, t] : per_survey) {
      for (const auto& [r, c] : t.reasons) counts[r] += c;
    }
    std::vector<std::pair<std::string, std::int64_t>> v(counts.begin(), counts.end());
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    json out = json::array();
    for (std::size_t i = 0; i < v.size() && i < n; ++i) {
      out.push_back({{"id", v[i].first}, {"text", reason_text(v[i].first)}, {"count", v[i].second}});
    }
    return out;
  };

  std::map<std::string, Tally> whole;
  for (const auto& [k, t] : slice) whole[k.survey].merge(t);
  SurveyScore overall;
  json result = score_of(whole, &overall);
  result["unit"] = q.unit;
  result["unit_name"] = impl_->name_of(q.unit);
  result["from"] = format_date(q.range.from);
  result["to"] = format_date(q.range.to);
  result["source"] = q.source == ScoreSource::rollups ? "rollups" : "raw";
  if (q.survey) result["survey"] = *q.survey;
  if (q.counter) result["counter"] = *q.counter;
  if (q.officer) result["officer"] = *q.officer;
  std::map<std::string, ProcedureRecord> catalogue;
  if (q.procedure || q.group == Grouping::procedure) {
    auto list = store_->procedures();
    if (!list.is_ok()) return list.status();
    for (auto& p : *list) catalogue.emplace(p.code, std::move(p));
  }
  auto procedure_name = [&](const std::string& code) -> json {
    auto it = catalogue.find(code);
    if (it == catalogue.end()) return nullptr;
    return it->second.name_in(lang);
  };
  if (q.procedure) {
    result["procedure"] = *q.procedure;
    result["procedure_name"] = procedure_name(*q.procedure);
  }

  if (q.group != Grouping::none) {
    json groups = json::array();
    if (q.group == Grouping::element || q.group == Grouping::criterion) {
      json base = result;
      for (const auto& e : base["elements"]) {
        if (q.group == Grouping::element) {
          json g = {{"key", e["id"]}, {"name", e["name"]}, {"index", e["index"]},
                    {"responses", base["responses"]}, {"complete", base["complete"]},
                    {"partial", base["partial"]}, {"elements", json::array({e})}};
          groups.push_back(std::move(g));
        } else {
          for (const auto& c : e["criteria"]) {
            json one = e;
            one["criteria"] = json::array({c});
            one["index"] = c["index"];
            groups.push_back({{"key", c["id"]}, {"name", c["text"]}, {"element", e["id"]},
                              {"index", c["index"]}, {"responses", base["responses"]},
                              {"complete", base["complete"]}, {"partial", base["partial"]},
                              {"elements", json::array({one})}});
          }
        }
      }
    } else {
      std::map<std::string, std::map<std::string, Tally>> by_group;
      for (const auto& [k, t] : slice) {
        std::string key;
        switch (q.group) {
          case Grouping::unit: key = impl_->child_of(q.unit, k.unit); break;
          case Grouping::counter: key = k.counter; break;
          case Grouping::officer: key = k.officer; break;
          case Grouping::day: key = k.day; break;
          case Grouping::survey: key = k.survey; break;
          case Grouping::procedure: key = k.procedure; break;
          default: break;
        }
        by_group[key][k.survey].merge(t);
      }
      if (q.group == Grouping::unit) {
        for (const auto& u : impl_->units) {
          if (u.parent && *u.parent == q.unit) by_group[u.code];
        }
      }
      for (const auto& [key, per_survey] : by_group) {
        json g = score_of(per_survey, nullptr);
        g["key"] = key;
        if (q.group == Grouping::unit) g["name"] = impl_->name_of(key);
        if (q.group == Grouping::survey) {
          const Survey* sv = survey(key);
          g["name"] = sv ? sv->title.get(lang) : key;
        }
        if (q.group == Grouping::procedure) {
          g["key"] = key.empty() ? json(nullptr) : json(key);
          g["name"] = key.empty() ? json(nullptr) : procedure_name(key);
        }
        groups.push_back(std::move(g));
      }
    }
    result["group"] = to_string(q.group);
    result["groups"] = std::move(groups);
  }

  if (q.extras) {
    result["fix_first"] = fix_first(overall, 5);
    result["top_reasons"] = top_reasons(whole, 5);
    result["national"] = national_reference();

    DateRange prev = previous_range(q.range);
    Slice prev_slice;
    s = load(prev, Needs{}, prev_slice);
    if (!s.is_ok()) return s;
    std::map<std::string, Tally> prev_whole;
    for (const auto& [k, t] : prev_slice) prev_whole[k.survey].merge(t);
    json pj = score_of(prev_whole, nullptr);
    result["previous"] = {{"from", format_date(prev.from)},
                          {"to", format_date(prev.to)},
                          {"index", pj["index"]},
                          {"responses", pj["responses"]}};
    result["change"] = (result["index"].is_number() && pj["index"].is_number())
                           ? json(result["index"].get<double>() - pj["index"].get<double>())
                           : json(nullptr);

    // Child units from the slice's unit column (present at every level).
    std::map<std::string, std::map<std::string, Tally>> by_child;
    for (const auto& u : impl_->units) {
      if (u.parent && *u.parent == q.unit) by_child[u.code];
    }
    for (const auto& [k, t] : slice) {
      std::string c = impl_->child_of(q.unit, k.unit);
      if (c != q.unit) by_child[c][k.survey].merge(t);
    }
    std::vector<json> children;
    for (const auto& [code, per_survey] : by_child) {
      SurveyScore sc;
      json cj = score_of(per_survey, &sc);
      children.push_back({{"unit", code},
                          {"name", impl_->name_of(code)},
                          {"index", cj["index"]},
                          {"responses", cj["responses"]},
                          {"elements", cj["elements"]},
                          {"fix_first", fix_first(sc, 3)},
                          {"top_reasons", top_reasons(per_survey, 3)}});
    }
    std::stable_sort(children.begin(), children.end(), [](const json& a, const json& b) {
      bool an = a["index"].is_number(), bn = b["index"].is_number();
      if (an != bn) return an;
      return an && a["index"].get<double>() > b["index"].get<double>();
    });
    json ranked = json::array();
    int rank = 0;
    for (auto& c : children) {
      c["rank"] = c["index"].is_number() ? json(++rank) : json(nullptr);
      ranked.push_back(std::move(c));
    }
    result["children"] = std::move(ranked);

    // Mẫu 01: per survey, the whole unit, each child unit and each officer.
    json points = json::array();
    for (const auto& sv : surveys_) {
      if (sv.scale != ScaleKind::points) continue;
      if (q.survey && *q.survey != sv.id) continue;
      Tally t;
      for (const auto& [k, x] : slice) {
        if (k.survey == sv.id) t.merge(x);
      }
      if (t.responses() == 0) continue;
      json pj2 = to_json(score_points(sv, t), lang);
      pj2["survey"] = sv.id;
      pj2["title"] = sv.title.get(lang);
      json by_unit = json::array();
      for (const auto& [code, per_survey] : by_child) {
        auto it = per_survey.find(sv.id);
        if (it == per_survey.end()) continue;
        json u = to_json(score_points(sv, it->second), lang);
        u["unit"] = code;
        u["name"] = impl_->name_of(code);
        by_unit.push_back(std::move(u));
      }
      pj2["units"] = std::move(by_unit);
      Slice officers;
      ScoreQuery oq = q;
      oq.survey = sv.id;
      Needs on;
      on.officer = true;
      if (q.source == ScoreSource::rollups) {
        s = read_rollups(*db_, {sv.id}, units, q.range, oq, on, officers);
      } else {
        s = load(q.range, on, officers);
      }
      if (!s.is_ok()) return s;
      std::map<std::string, Tally> per_officer;
      for (const auto& [k, x] : officers) {
        if (k.survey == sv.id) per_officer[k.officer].merge(x);
      }
      json by_officer = json::array();
      for (const auto& [o, x] : per_officer) {
        json oj = to_json(score_points(sv, x), lang);
        oj["officer"] = o;
        by_officer.push_back(std::move(oj));
      }
      pj2["officers"] = std::move(by_officer);
      points.push_back(std::move(pj2));
    }
    result["points"] = std::move(points);
  }
  return result;
}

Result<std::vector<CommentRow>> ScoreService::comments(const std::string& unit,
                                                       const DateRange& range, std::size_t limit,
                                                       const CommentFilter& filter) {
  Status ls = impl_->load(*store_);
  if (!ls.is_ok()) return ls;
  auto by_zone = impl_->by_zone(impl_->subtree(unit));
  std::vector<std::pair<std::int64_t, CommentRow>> rows;
  for (const auto& [zone_name, zone_units] : by_zone) {
    auto tz = zone(zone_name);
    if (!tz.is_ok()) return tz.status();
    std::string q =
        "SELECT r.submitted_ms, r.submitted_at, r.unit, r.counter, r.officer, r.comment, "
        "(SELECT group_concat(reason, ' ') FROM reasons x WHERE x.response_id = r.id) "
        "FROM responses r WHERE r.unit IN (" + placeholders(zone_units.size()) +
        ") AND r.submitted_ms >= ? AND r.submitted_ms < ? AND r.comment IS NOT NULL "
        "AND r.comment <> ''" +
        std::string(filter.counter ? " AND r.counter = ?" : "") +
        (filter.officer ? " AND r.officer = ?" : "") +
        (filter.procedure ? " AND r.procedure = ?" : "") + " ORDER BY r.submitted_ms DESC LIMIT ?";
    auto st = db_->prepare(q.c_str());
    if (!st.is_ok()) return st.status();
    int i = 1;
    for (const auto& u : zone_units) st->bind(i++, std::string_view(u));
    st->bind(i++, unix_ms(tz->start_of_day(range.from)));
    st->bind(i++,
             unix_ms(tz->start_of_day(next_day(range.to))));
    for (const auto* f : {&filter.counter, &filter.officer, &filter.procedure}) {
      if (*f) st->bind(i++, std::string_view(**f));
    }
    st->bind(i++, static_cast<std::int64_t>(limit));
    Status s = db_->rows(*st, "read comments", [&](const sql::Stmt& row) {
      CommentRow c;
      c.submitted_at = row.text(1);
      const TimePoint at = from_unix_ms(row.int64(0));
      c.local_time = format_rfc3339(at + tz->offset_at(at)).substr(0, 16);
      if (c.local_time.size() > 10) c.local_time[10] = ' ';
      c.unit = row.text(2);
      c.counter = row.text(3);
      c.officer = row.opt_text(4);
      c.text = row.text(5);
      c.reasons = split_words(row.text(6));
      rows.emplace_back(row.int64(0), std::move(c));
    });
    if (!s.is_ok()) return s;
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<CommentRow> out;
  for (auto& [ms, c] : rows) {
    if (out.size() >= limit) break;
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<RawRow>> ScoreService::raw_responses(const std::string& unit,
                                                        const DateRange& range,
                                                        std::size_t limit) {
  Status ls = impl_->load(*store_);
  if (!ls.is_ok()) return ls;
  auto by_zone = impl_->by_zone(impl_->subtree(unit));
  std::vector<std::pair<std::int64_t, RawRow>> rows;
  for (const auto& [zone_name, zone_units] : by_zone) {
    auto tz = zone(zone_name);
    if (!tz.is_ok()) return tz.status();
    std::string q =
        "SELECT r.submitted_ms, r.id, r.kiosk_id, r.seq, r.unit, r.counter, r.officer, r.dossier, "
        "r.survey_id, r.survey_version, r.language, r.submitted_at, r.status, r.comment, "
        "(SELECT group_concat(reason, ' ') FROM reasons x WHERE x.response_id = r.id), "
        "(SELECT group_concat(criterion || '=' || coalesce(value, ''), ' ') FROM answers a "
        "WHERE a.response_id = r.id), r.procedure "
        "FROM responses r WHERE r.unit IN (" + placeholders(zone_units.size()) +
        ") AND r.submitted_ms >= ? AND r.submitted_ms < ? ORDER BY r.submitted_ms, r.id LIMIT ?";
    auto st = db_->prepare(q.c_str());
    if (!st.is_ok()) return st.status();
    int i = 1;
    for (const auto& u : zone_units) st->bind(i++, std::string_view(u));
    st->bind(i++, unix_ms(tz->start_of_day(range.from)));
    st->bind(i++,
             unix_ms(tz->start_of_day(next_day(range.to))));
    st->bind(i++, static_cast<std::int64_t>(limit));
    Status s = db_->rows(*st, "read responses", [&](const sql::Stmt& row) {
      RawRow r;
      const std::int64_t ms = row.int64(0);
      r.id = row.text(1);
      r.kiosk_id = row.text(2);
      r.seq = row.int64(3);
      r.unit = row.text(4);
      r.counter = row.text(5);
      r.officer = row.opt_text(6);
      r.dossier = row.opt_text(7);
      r.survey_id = row.text(8);
      r.survey_version = static_cast<int>(row.int64(9));
      r.language = row.text(10);
      r.submitted_at = row.text(11);
      r.status = row.text(12);
      r.comment = row.opt_text(13);
      r.reasons = split_words(row.text(14));
      r.procedure = row.opt_text(16);
      for (const auto& pair : split_words(row.text(15))) {
        auto eq = pair.find('=');
        if (eq == std::string::npos) continue;
        std::string v = pair.substr(eq + 1);
        int value = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
        r.answers[pair.substr(0, eq)] =
            (v.empty() || ec != std::errc() || end != v.data() + v.size())
                ? std::nullopt
                : std::optional<int>(value);
      }
      r.local_day = format_date(tz->local_date(from_unix_ms(ms)));
      rows.emplace_back(ms, std::move(r));
    });
    if (!s.is_ok()) return s;
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<RawRow> out;
  for (auto& [ms, r] : rows) {
    if (out.size() >= limit) break;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace sipas
