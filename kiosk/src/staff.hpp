// The staff screen's model: today's figures, the sync state, the officer at this counter and CSV
// exports, loaded through the ResponseStore and exposed as plain structs for the draw code (which
// never touches the store). Figures come from the shared scoring library over the store's tallies,
// by local date in the unit's time zone, so the kiosk and the province server agree.
//
// Threads: UI thread only, with the UI thread's store. Errors come back as Status; nothing throws.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flow.hpp"
#include "sipas/config.hpp"
#include "sipas/scoring.hpp"
#include "sipas/store.hpp"
#include "sipas/time.hpp"

namespace sipas {

enum class StaffTab { today = 0, criteria = 1, trend = 2, sync = 3, shift = 4, export_csv = 5 };
enum class ExportRange { today = 0, month = 1 };

// The staff screen's lists that may need more than one page on a small screen.
enum class StaffList { elements, counters, officers, criteria, reasons, comments, rejected, shift_officers };
inline constexpr std::size_t kStaffListCount = 8;
// "elements", "counters", "officers", "criteria", "reasons", "comments", "rejected",
// "shift-officers": the action's text and the middle of the ui-dump ids ("staff-officers-next").
const char* to_string(StaffList list);
std::optional<StaffList> staff_list_from_string(std::string_view name);

// One page of a list: rows [first, first + count) of `total`, `per_page` rows to a page.
struct PageWindow {
  std::size_t first = 0;
  std::size_t count = 0;
  std::size_t total = 0;
  std::size_t per_page = 1;
  bool paged() const { return total > per_page; }
  bool has_prev() const { return first > 0; }
  bool has_next() const { return first + count < total; }
  std::size_t prev_first() const { return first > per_page ? first - per_page : 0; }
  std::size_t next_first() const { return has_next() ? first + per_page : first; }
};

// The page holding row `first` when `per_page` rows fit (at least one): `first` is moved back to the
// start of its page, and to the last page when the list has become shorter.
PageWindow page_window(std::size_t total, std::size_t per_page, std::size_t first);

// "1–5 / 8" in Vietnamese, "1–5 of 8" in English; "0 / 0" for an empty list.
std::string page_label(const PageWindow& page, const std::string& language);

struct GroupFigure {
  std::string id;
  std::string name;
  std::int64_t responses = 0;
  std::optional<double> index;
};

struct DayFigure {
  Date date;
  std::int64_t responses = 0;
  std::optional<double> index;
};

struct ReasonFigure {
  std::string id;
  std::string text;
  std::int64_t count = 0;
};

struct CommentLine {
  TimePoint at{};
  std::string text;
};

struct TodayFigures {
  Date date;
  bool points = false;              // a Mẫu 01 survey: `index` is the mean total (0–18)
  std::int64_t complete = 0;
  std::int64_t partial = 0;
  std::optional<double> index;      // overall index (likert) or mean total (points)
  SurveyScore score;                // likert: elements and criteria
  PointsScore points_score;         // points: indicators and grades
  std::vector<GroupFigure> counters;
  std::vector<GroupFigure> officers;
  std::vector<DayFigure> last7;     // oldest first, today last
  std::vector<DayFigure> last30;
  std::vector<ReasonFigure> reasons;  // most chosen first, at most 5
  std::vector<CommentLine> comments;  // newest first, at most 5
};

struct SyncFigures {
  bool configured = false;          // a server and token are set
  std::int64_t pending = 0;
  std::optional<TimePoint> last_success;
  std::optional<TimePoint> last_attempt;
  std::string last_error;           // plain words; empty after a good pass
  bool server_reachable = false;
  std::vector<RejectedResponse> rejected;  // newest first, at most 20
  // Remote configuration (received_bundle.hpp): the version applied, and why the last one was refused.
  std::optional<std::int64_t> config_version;
  std::string config_error;
};

struct ExportOutcome {
  Status status;                    // not_found: folder missing; read_only; disk_full; io_error
  std::filesystem::path file;       // the file written (or attempted)
  std::int64_t rows = 0;
};

// The CSV text of responses, written by CsvWriter (sipas/csv.hpp: BOM, RFC 4180 quoting, the
// formula guard on every text cell); times local in `tz`, seq and answer values as numbers.
std::string responses_csv(const Survey& survey, const std::vector<Response>& responses,
                          const TimeZone& tz);

// "2026-11-24 09:15:02" in the given zone.
std::string local_time_text(TimePoint t, const TimeZone& tz);

// The officer the kiosk starts with: the stored setting "officer.<counter>" when it names one of the
// counter's officers, else the counter's first officer, else none. `store` may be nullptr.
std::optional<std::string> initial_officer(const KioskConfig& config, ResponseStore* store);

// The read-aloud volume the kiosk starts with: the stored setting "voice.volume" (0–100) that staff
// set, else the config's voice.volume. `store` may be nullptr.
int initial_volume(const KioskConfig& config, ResponseStore* store);

class StaffModel {
 public:
  // `config`, `tz` and `clock` must outlive the model.
  StaffModel(const KioskConfig& config, const TimeZone& tz, const Clock& clock);

  // Reloads every figure from the store (call when the staff screen opens and after actions).
  Status refresh(ResponseStore& store, bool sync_configured);

  // Carries out a staff_* action already accepted by the Flow: tab change (back to each list's
  // first page), page change (text: a StaffList name, value: the first row to show; an unknown
  // list or a negative row is invalid_argument), officer choice (stored as setting
  // "officer.<counter>", which the kiosk reads at start), export, sync now (through `sync_now`,
  // which may be empty when no server is configured).
  Status apply(const Action& action, ResponseStore* store, const std::function<void()>& sync_now);

  Status set_officer(ResponseStore& store, const std::string& officer_id);
  ExportOutcome export_csv(ResponseStore& store, ExportRange range);

  StaffTab tab() const { return tab_; }
  // Also shows every list from its first page.
  void set_tab(StaffTab t);
  // The first row the draw code should show of `list`; it passes it through page_window(), which
  // fits it to the rows there are and to the rows that fit on the screen.
  std::size_t first_row(StaffList list) const { return first_row_[static_cast<std::size_t>(list)]; }
  void set_first_row(StaffList list, std::size_t row) { first_row_[static_cast<std::size_t>(list)] = row; }
  const TodayFigures& today() const { return today_; }
  const SyncFigures& sync() const { return sync_; }
  const std::optional<ExportOutcome>& last_export() const { return last_export_; }
  const KioskConfig& config() const { return config_; }
  const TimeZone& time_zone() const { return tz_; }
  bool sync_requested() const { return sync_requested_; }

 private:
  const KioskConfig& config_;
  const TimeZone& tz_;
  const Clock& clock_;
  StaffTab tab_ = StaffTab::today;
  std::array<std::size_t, kStaffListCount> first_row_{};
  TodayFigures today_;
  SyncFigures sync_;
  std::optional<ExportOutcome> last_export_;
  bool sync_requested_ = false;
};

// The Flow's StaffDesk in the app: opens the staff screen on its first tab and carries out each
// staff action on the StaffModel, reloading the figures after it. A failure goes to `log` and the
// screen keeps the figures it had. UI thread only.
class StaffController final : public StaffDesk {
 public:
  // `model` must outlive the controller. `store` gives the UI thread's store at each call (nullptr
  // while it cannot be opened; it may be reopened between calls). `sync_now` is empty when no
  // server is configured.
  StaffController(StaffModel& model, std::function<ResponseStore*()> store, std::function<void()> sync_now,
                  std::function<void(const std::string&)> log);

  // The Today tab from every list's first row, with fresh figures.
  void opened() override;
  // StaffModel::apply, then refresh().
  void carry_out(const Action& action) override;
  // Reloads the figures (also when the sync worker reports a pass); nothing while the store is closed.
  void refresh();

 private:
  StaffModel& model_;
  std::function<ResponseStore*()> store_;
  std::function<void()> sync_now_;
  std::function<void(const std::string&)> log_;
};

}  // namespace sipas
