// The improvement actions of the SQLite storage (ServerStore's action methods).
#include "sqlite_store.hpp"

namespace sipas {
namespace {

using sql::Stmt;

constexpr const char* kActionColumns =
    "id, unit, element, criterion, what, owner, start_date, deadline, status, created_by, "
    "created_ms, updated_by, updated_ms";

ImprovementAction read_action(const Stmt& q) {
  ImprovementAction a;
  a.id = q.int64(0);
  a.unit = q.text(1);
  a.element = q.text(2);
  a.criterion = q.text(3);
  a.what = q.text(4);
  a.owner = q.text(5);
  a.start = parse_date(q.text(6)).value_or(Date{});
  a.deadline = parse_date(q.text(7)).value_or(Date{});
  a.status = parse_action_status(q.text(8)).value_or(ActionStatus::planned);
  a.created_by = q.text(9);
  a.created_at = from_unix_ms(q.int64(10));
  a.updated_by = q.text(11);
  a.updated_at = from_unix_ms(q.int64(12));
  return a;
}

}  // namespace

Result<std::int64_t> SqliteServerStore::add_action(const ImprovementAction& a) {
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto u = unit(a.unit);
  if (!u.is_ok()) return u.status();
  if (!*u) return Status::error(ErrorCode::not_found, "unknown unit " + a.unit);
  Status s = db_->run(
      "INSERT INTO improvement_actions(unit, element, criterion, what, owner, start_date, "
      "deadline, status, created_by, created_ms, updated_by, updated_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "store an improvement action", [&](Stmt& q) {
        q.bind(1, a.unit);
        q.bind(2, a.element);
        q.bind(3, a.criterion);
        q.bind(4, a.what);
        q.bind(5, a.owner);
        q.bind(6, format_date(a.start));
        q.bind(7, format_date(a.deadline));
        q.bind(8, to_string(a.status));
        q.bind(9, a.created_by);
        q.bind(10, unix_ms(a.created_at));
        q.bind(11, a.updated_by);
        q.bind(12, unix_ms(a.updated_at));
      });
  if (!s.is_ok()) return s;
  const std::int64_t id = db_->last_insert_rowid();
  if (Status c = tx.commit(); !c.is_ok()) return c;
  return id;
}

Status SqliteServerStore::update_action(const ImprovementAction& a) {
  sql::Transaction tx(*db_);
  if (!tx.begin_status().is_ok()) return tx.begin_status();
  auto u = unit(a.unit);
  if (!u.is_ok()) return u.status();
  if (!*u) return Status::error(ErrorCode::not_found, "unknown unit " + a.unit);
  Status s = db_->run(
      "UPDATE improvement_actions SET unit = ?, element = ?, criterion = ?, what = ?, owner = ?, "
      "start_date = ?, deadline = ?, status = ?, updated_by = ?, updated_ms = ? WHERE id = ?",
      "change an improvement action", [&](Stmt& q) {
        q.bind(1, a.unit);
        q.bind(2, a.element);
        q.bind(3, a.criterion);
        q.bind(4, a.what);
        q.bind(5, a.owner);
        q.bind(6, format_date(a.start));
        q.bind(7, format_date(a.deadline));
        q.bind(8, to_string(a.status));
        q.bind(9, a.updated_by);
        q.bind(10, unix_ms(a.updated_at));
        q.bind(11, a.id);
      });
  if (!s.is_ok()) return s;
  if (db_->changes() == 0) {
    return Status::error(ErrorCode::not_found, "unknown action " + std::to_string(a.id));
  }
  return tx.commit();
}

Result<std::optional<ImprovementAction>> SqliteServerStore::action(std::int64_t id) {
  std::optional<ImprovementAction> out;
  auto found = db_->first_row(
      std::string("SELECT ") + kActionColumns + " FROM improvement_actions WHERE id = ?",
      "read an improvement action", [&](Stmt& q) { q.bind(1, id); },
      [&](const Stmt& q) { out = read_action(q); });
  if (!found.is_ok()) return found.status();
  return out;
}

Result<std::vector<ImprovementAction>> SqliteServerStore::actions(
    const std::vector<std::string>& units) {
  std::vector<ImprovementAction> out;
  if (units.empty()) return out;
  std::string query = std::string("SELECT ") + kActionColumns +
                      " FROM improvement_actions WHERE unit IN (";
  for (std::size_t i = 0; i < units.size(); ++i) query += i ? ",?" : "?";
  query += ") ORDER BY start_date, id";
  auto st = db_->prepare(query, "read improvement actions");
  if (!st.is_ok()) return st.status();
  int i = 1;
  for (const auto& u : units) st->bind(i++, u);
  Status s = db_->rows(*st, "read improvement actions",
                       [&](const Stmt& q) { out.push_back(read_action(q)); });
  if (!s.is_ok()) return s;
  return out;
}

Status SqliteServerStore::remove_action(std::int64_t id) {
  Status s = db_->run("DELETE FROM improvement_actions WHERE id = ?", "remove an improvement action",
                      [&](Stmt& q) { q.bind(1, id); });
  if (!s.is_ok()) return s;
  if (db_->changes() == 0) {
    return Status::error(ErrorCode::not_found, "unknown action " + std::to_string(id));
  }
  return Status::ok();
}

}  // namespace sipas
