// The improvement actions of the PostgreSQL storage (ServerStore's action methods).
#include "pg_store.hpp"

namespace sipas {
namespace {

using pg::ArrayParam;
using pg::Rows;

constexpr const char* kActionColumns =
    "id, unit, element, criterion, what, owner, start_date, deadline, status, created_by, "
    "created_ms, updated_by, updated_ms";

ImprovementAction read_action(const Rows& q, int i) {
  ImprovementAction a;
  a.id = q.int64(i, 0);
  a.unit = q.text(i, 1);
  a.element = q.text(i, 2);
  a.criterion = q.text(i, 3);
  a.what = q.text(i, 4);
  a.owner = q.text(i, 5);
  a.start = parse_date(q.text(i, 6)).value_or(Date{});
  a.deadline = parse_date(q.text(i, 7)).value_or(Date{});
  a.status = parse_action_status(q.text(i, 8)).value_or(ActionStatus::planned);
  a.created_by = q.text(i, 9);
  a.created_at = from_unix_ms(q.int64(i, 10));
  a.updated_by = q.text(i, 11);
  a.updated_at = from_unix_ms(q.int64(i, 12));
  return a;
}

}  // namespace

Result<std::int64_t> PgServerStore::add_action(const ImprovementAction& a) {
  // Units are never deleted, so the check and the insert need no common transaction; the foreign
  // key holds either way.
  auto u = unit(a.unit);
  if (!u.is_ok()) return u.status();
  if (!*u) return Status::error(ErrorCode::not_found, "unknown unit " + a.unit);
  auto rows = conn_->exec(
      "store an improvement action",
      "INSERT INTO improvement_actions(unit, element, criterion, what, owner, start_date, "
      "deadline, status, created_by, created_ms, updated_by, updated_ms) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
      {a.unit, a.element, a.criterion, a.what, a.owner, format_date(a.start),
       format_date(a.deadline), to_string(a.status), a.created_by, unix_ms(a.created_at),
       a.updated_by, unix_ms(a.updated_at)});
  if (!rows.is_ok()) return rows.status();
  return rows->int64(0, 0);
}

Status PgServerStore::update_action(const ImprovementAction& a) {
  auto u = unit(a.unit);
  if (!u.is_ok()) return u.status();
  if (!*u) return Status::error(ErrorCode::not_found, "unknown unit " + a.unit);
  auto r = conn_->exec(
      "change an improvement action",
      "UPDATE improvement_actions SET unit = $1, element = $2, criterion = $3, what = $4, "
      "owner = $5, start_date = $6, deadline = $7, status = $8, updated_by = $9, "
      "updated_ms = $10 WHERE id = $11",
      {a.unit, a.element, a.criterion, a.what, a.owner, format_date(a.start),
       format_date(a.deadline), to_string(a.status), a.updated_by, unix_ms(a.updated_at), a.id});
  if (!r.is_ok()) return r.status();
  if (r->affected() == 0) {
    return Status::error(ErrorCode::not_found, "unknown action " + std::to_string(a.id));
  }
  return Status::ok();
}

Result<std::optional<ImprovementAction>> PgServerStore::action(std::int64_t id) {
  auto rows = conn_->exec("read an improvement action",
                          std::string("SELECT ") + kActionColumns +
                              " FROM improvement_actions WHERE id = $1",
                          {id});
  if (!rows.is_ok()) return rows.status();
  std::optional<ImprovementAction> out;
  if (rows->size()) out = read_action(*rows, 0);
  return out;
}

Result<std::vector<ImprovementAction>> PgServerStore::actions(
    const std::vector<std::string>& units) {
  std::vector<ImprovementAction> out;
  if (units.empty()) return out;
  ArrayParam codes;
  for (const auto& u : units) codes.add(u);
  auto rows = conn_->exec("read improvement actions",
                          std::string("SELECT ") + kActionColumns +
                              " FROM improvement_actions WHERE unit = ANY($1::text[]) "
                              "ORDER BY start_date, id",
                          {codes.take()});
  if (!rows.is_ok()) return rows.status();
  for (int i = 0; i < rows->size(); ++i) out.push_back(read_action(*rows, i));
  return out;
}

Status PgServerStore::remove_action(std::int64_t id) {
  auto r = conn_->exec("remove an improvement action",
                       "DELETE FROM improvement_actions WHERE id = $1", {id});
  if (!r.is_ok()) return r.status();
  if (r->affected() == 0) {
    return Status::error(ErrorCode::not_found, "unknown action " + std::to_string(id));
  }
  return Status::ok();
}

}  // namespace sipas
