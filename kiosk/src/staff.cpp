#include "staff.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "sipas/csv.hpp"
#include "sipas/files.hpp"
#include "sipas/received_bundle.hpp"

#include "text.hpp"

namespace sipas {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

Date add_days(Date d, int n) { return Date(sys_days(d) + days(n)); }

bool is_points(const Survey& s) { return s.scale != ScaleKind::likert5; }

std::optional<double> headline(const Survey& survey, const Tally& t) {
  if (is_points(survey)) return score_points(survey, t).mean_total;
  return score_likert(survey, t).index;
}

std::string officer_name(const KioskConfig& c, const std::string& id) {
  for (const Counter& counter : c.counters) {
    for (const Officer& o : counter.officers) {
      if (o.id == id) return o.name;
    }
  }
  return id;
}

constexpr const char* kListNames[kStaffListCount] = {"elements", "counters", "officers", "criteria",
                                                     "reasons",  "comments", "rejected", "shift-officers"};

}  // namespace

const char* to_string(StaffList list) { return kListNames[static_cast<std::size_t>(list)]; }

std::optional<StaffList> staff_list_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kStaffListCount; ++i) {
    if (name == kListNames[i]) return static_cast<StaffList>(i);
  }
  return std::nullopt;
}

PageWindow page_window(std::size_t total, std::size_t per_page, std::size_t first) {
  PageWindow w;
  w.total = total;
  w.per_page = std::max<std::size_t>(1, per_page);
  if (total == 0) return w;
  first = std::min(first, total - 1);
  w.first = first - first % w.per_page;
  w.count = std::min(w.per_page, total - w.first);
  return w;
}

std::string page_label(const PageWindow& page, const std::string& language) {
  const std::string shown = page.total == 0 ? std::string("0")
                                            : std::to_string(page.first + 1) + "–" +
                                                  std::to_string(page.first + page.count);
  return format_text(text(language, Text::staff_page_of), shown.c_str(),
                     std::to_string(page.total).c_str());
}

std::string local_time_text(TimePoint t, const TimeZone& tz) {
  const auto local = t + std::chrono::duration_cast<std::chrono::milliseconds>(tz.offset_at(t));
  const auto day = std::chrono::floor<days>(local);
  const std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::seconds>(local - day));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s %02d:%02d:%02d", format_date(Date(day)).c_str(),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string responses_csv(const Survey& survey, const std::vector<Response>& responses,
                          const TimeZone& tz) {
  const auto questions = survey.questions();
  CsvWriter csv;
  for (const char* name : {"id", "seq", "submitted_at", "survey", "counter", "officer", "dossier",
                           "procedure", "language", "status"}) {
    csv.text_cell(name);
  }
  for (const Criterion* q : questions) csv.text_cell(q->id);
  csv.text_cell("reasons");
  csv.text_cell("comment");
  csv.end_row();
  for (const Response& r : responses) {
    csv.text_cell(r.id);
    csv.number_cell(r.seq);
    csv.text_cell(local_time_text(r.submitted_at, tz));
    csv.text_cell(r.survey_id);
    csv.text_cell(r.counter);
    csv.text_cell(r.officer.value_or(""));
    csv.text_cell(r.dossier.value_or(""));
    csv.text_cell(r.procedure.value_or(""));
    csv.text_cell(r.language);
    csv.text_cell(to_string(r.status));
    for (const Criterion* q : questions) {
      const Answer* answer = nullptr;
      for (const Answer& a : r.answers) {
        if (a.criterion == q->id) answer = &a;
      }
      if (!answer) {
        csv.text_cell("");
      } else if (!answer->value) {
        csv.text_cell("NA");
      } else {
        csv.number_cell(*answer->value);
      }
    }
    std::string reasons;
    for (const std::string& id : r.reasons) reasons += (reasons.empty() ? "" : ";") + id;
    csv.text_cell(reasons);
    csv.text_cell(r.comment.value_or(""));
    csv.end_row();
  }
  return csv.take();
}

std::optional<std::string> initial_officer(const KioskConfig& config, ResponseStore* store) {
  const Counter* c = config.find_counter(config.counter);
  if (!c || c->officers.empty()) return std::nullopt;
  if (store) {
    if (auto o = store->setting("officer." + config.counter); o.is_ok() && *o) {
      for (const Officer& off : c->officers) {
        if (off.id == **o) return off.id;
      }
    }
  }
  return c->officers.front().id;
}

int initial_volume(const KioskConfig& config, ResponseStore* store) {
  if (store) {
    if (auto v = store->setting("voice.volume"); v.is_ok() && *v) {
      int n = -1;
      const std::string& s = **v;
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (ec == std::errc() && p == s.data() + s.size() && n >= 0 && n <= 100) return n;
    }
  }
  return config.voice.volume;
}

StaffModel::StaffModel(const KioskConfig& config, const TimeZone& tz, const Clock& clock)
    : config_(config), tz_(tz), clock_(clock) {}

Status StaffModel::refresh(ResponseStore& store, bool sync_configured) {
  const Survey& survey = config_.survey();
  const Date today = tz_.local_date(clock_.now());
  TallyFilter filter;
  filter.survey_id = survey.id;

  TodayFigures t;
  t.date = today;
  t.points = is_points(survey);
  auto tally = store.tally(tz_, today, today, filter);
  if (!tally.is_ok()) return tally.status();
  t.complete = tally->complete;
  t.partial = tally->partial;
  if (t.points) {
    t.points_score = score_points(survey, *tally);
    t.index = t.points_score.mean_total;
  } else {
    t.score = score_likert(survey, *tally);
    t.index = t.score.index;
  }

  for (const char* column : {"counter", "officer"}) {
    auto by = store.tally_by(column, tz_, today, today, filter);
    if (!by.is_ok()) return by.status();
    auto& out = std::string(column) == "counter" ? t.counters : t.officers;
    for (const auto& [id, tl] : *by) {
      GroupFigure g;
      g.id = id;
      if (std::string(column) == "counter") {
        const Counter* c = config_.find_counter(id);
        g.name = c ? c->name : id;
      } else {
        g.name = id.empty() ? "—" : officer_name(config_, id);
      }
      g.responses = tl.responses();
      g.index = headline(survey, tl);
      out.push_back(std::move(g));
    }
  }

  auto daily = store.daily_tallies(tz_, add_days(today, -29), today, filter);
  if (!daily.is_ok()) return daily.status();
  for (std::size_t i = 0; i < daily->size(); ++i) {
    const DayTally& d = (*daily)[i];
    DayFigure f{d.date, d.tally.responses(), headline(survey, d.tally)};
    t.last30.push_back(f);
    if (i + 7 >= daily->size()) t.last7.push_back(f);
  }

  for (const auto& [id, n] : tally->reasons) {
    const Reason* r = survey.find_reason(id);
    t.reasons.push_back({id, r ? r->text.get("vi") : id, n});
  }
  std::stable_sort(t.reasons.begin(), t.reasons.end(),
                   [](const ReasonFigure& a, const ReasonFigure& b) { return a.count > b.count; });
  if (t.reasons.size() > 5) t.reasons.resize(5);

  auto rows = store.responses_between(tz_.start_of_day(today), tz_.start_of_day(add_days(today, 1)));
  if (!rows.is_ok()) return rows.status();
  for (auto it = rows->rbegin(); it != rows->rend() && t.comments.size() < 5; ++it) {
    if (it->comment && !it->comment->empty()) t.comments.push_back({it->submitted_at, *it->comment});
  }
  today_ = std::move(t);

  SyncFigures s;
  s.configured = sync_configured;
  auto pending = store.pending_count();
  if (!pending.is_ok()) return pending.status();
  s.pending = *pending;
  auto get = [&store](const std::string& key) -> std::string {
    auto v = store.setting(key);
    return v.is_ok() && *v ? **v : std::string();
  };
  s.last_success = parse_rfc3339(get("sync.last_success_at"));
  s.last_attempt = parse_rfc3339(get("sync.last_attempt_at"));
  s.last_error = get("sync.last_error");
  s.server_reachable = get("sync.server_reachable") == "1";
  if (auto applied = applied_version(store); applied.is_ok()) s.config_version = *applied;
  s.config_error = get(kConfigErrorKey);
  auto rejected = store.rejected(20);
  if (!rejected.is_ok()) return rejected.status();
  s.rejected = std::move(*rejected);
  std::sort(s.rejected.begin(), s.rejected.end(),
            [](const RejectedResponse& a, const RejectedResponse& b) { return a.seq > b.seq; });
  sync_ = std::move(s);
  return Status::ok();
}

void StaffModel::set_tab(StaffTab t) {
  tab_ = t;
  first_row_.fill(0);
}

Status StaffModel::set_officer(ResponseStore& store, const std::string& officer_id) {
  return store.set_setting("officer." + config_.counter, officer_id);
}

ExportOutcome StaffModel::export_csv(ResponseStore& store, ExportRange range) {
  ExportOutcome out;
  const Date today = tz_.local_date(clock_.now());
  Date from = today;
  std::string name;
  if (range == ExportRange::month) {
    from = Date(today.year(), today.month(), std::chrono::day(1));
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(today.year()),
                  static_cast<unsigned>(today.month()));
    name = buf;
  } else {
    name = format_date(today);
  }
  name = "sipas-" + config_.kiosk_id + "-" + name + ".csv";
  if (config_.export_dir.empty()) {
    out.status = Status::error(ErrorCode::not_found, "export_dir is not set");
    return out;
  }
  std::filesystem::path dir(config_.export_dir);
  if (dir.is_relative()) dir = config_.dir / dir;
  out.file = dir / name;
  auto rows = store.responses_between(tz_.start_of_day(from), tz_.start_of_day(add_days(today, 1)));
  if (!rows.is_ok()) {
    out.status = rows.status();
    return out;
  }
  out.rows = static_cast<std::int64_t>(rows->size());
  out.status = write_file_atomically(out.file, responses_csv(config_.survey(), *rows, tz_));
  return out;
}

Status StaffModel::apply(const Action& a, ResponseStore* store, const std::function<void()>& sync_now) {
  switch (a.kind) {
    case ActionKind::staff_tab:
      if (a.value >= 0 && a.value <= 5) set_tab(static_cast<StaffTab>(a.value));
      return Status::ok();
    case ActionKind::staff_page: {
      const auto list = staff_list_from_string(a.text);
      if (!list) return Status::error(ErrorCode::invalid_argument, "no staff list named " + a.text);
      if (a.value < 0) return Status::error(ErrorCode::invalid_argument, "a row cannot be negative");
      set_first_row(*list, static_cast<std::size_t>(a.value));
      return Status::ok();
    }
    case ActionKind::staff_sync_now:
      if (sync_now) {
        sync_now();
        sync_requested_ = true;
      }
      return Status::ok();
    case ActionKind::staff_officer:
      if (!store) return Status::error(ErrorCode::unavailable, "the store is not open");
      return set_officer(*store, a.text);
    case ActionKind::staff_volume:
      if (!store) return Status::error(ErrorCode::unavailable, "the store is not open");
      return store->set_setting("voice.volume", std::to_string(a.value));
    case ActionKind::staff_export:
      if (!store) return Status::error(ErrorCode::unavailable, "the store is not open");
      last_export_ = export_csv(*store, a.value == 1 ? ExportRange::month : ExportRange::today);
      return Status::ok();
    default:
      return Status::ok();
  }
}

StaffController::StaffController(StaffModel& model, std::function<ResponseStore*()> store,
                                 std::function<void()> sync_now, std::function<void(const std::string&)> log)
    : model_(model), store_(std::move(store)), sync_now_(std::move(sync_now)), log_(std::move(log)) {}

void StaffController::opened() {
  model_.set_tab(StaffTab::today);
  refresh();
}

void StaffController::carry_out(const Action& action) {
  if (Status st = model_.apply(action, store_(), sync_now_); !st.is_ok()) log_(st.to_string());
  refresh();
}

// "Sync now" exists exactly when a worker runs, so it also says whether sync is configured.
void StaffController::refresh() {
  ResponseStore* store = store_();
  if (!store) return;
  if (Status st = model_.refresh(*store, static_cast<bool>(sync_now_)); !st.is_ok()) log_(st.to_string());
}

}  // namespace sipas
