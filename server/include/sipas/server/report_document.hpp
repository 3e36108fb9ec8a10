// The period report a unit hands in (issue 15), built once as a doc::Document and written as
// .docx (document_docx.hpp) or PDF: the layout of an administrative report under Nghị định
// 30/2020/NĐ-CP (Phụ lục I) with the figures of the scores API.
//
// Layout: a borderless heading block (the parent unit's and the unit's names, "Số: .../BC-...",
// the national motto, place and date), the title ("BÁO CÁO" and "Kết quả đo lường sự hài lòng
// của người dân, tổ chức quý III năm 2026"), then I the overall result (ratings complete and
// partial; the index and the five elements against the previous period of the same length, the
// same period a year earlier and the national SIPAS; a bar chart), II what to fix first (weakest
// criteria, most chosen reasons), III the units below ranked, counters, officers, procedures and
// Mẫu số 01 points where there are any, IV citizens' comments (newest first, at most
// kReportDocumentComments), V the improvement actions with their effect, and "Nơi nhận" beside the
// signature block. A section without data says so in a sentence instead of an empty table.
//
// Every figure is read through ScoreService with the query GET /api/v1/scores makes for the same
// unit and range (and for the previous and year-ago ranges), so the document and the API agree.
// Indices are written with two decimals in the language's format (html::number).
//
// Threads: uses the given ScoreService (one thread at a time). Errors: those of ScoreService
// (invalid_argument for an unknown unit), internal when the chart cannot be drawn.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sipas/server/actions.hpp"
#include "sipas/server/document.hpp"
#include "sipas/server/scores.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

constexpr std::size_t kReportDocumentComments = 20;

struct ReportDocumentRequest {
  std::string unit;
  DateRange range{};
  // The calendar period `range` is (period_containing); nullopt for a from–to range, whose title
  // then says "từ ngày … đến ngày …".
  std::optional<PeriodKind> period;
  std::string language = "vi";  // "vi" or "en"
  TimePoint now{};              // the date line's day, in the unit's time zone
};

// `actions`: the unit's and its sub-units' improvement actions with their effect, in the order
// to show them (action_views(...) of actions.hpp).
Result<doc::Document> build_report_document(ScoreService& service,
                                            const ReportDocumentRequest& request,
                                            const std::vector<ActionView>& actions);

// The improvement actions a report on `request` lists: action_views() of the unit and those
// below, keeping the actions that started by the period's end and whose deadline or effect
// window reaches into the period; their effect as it stood at the period's end (or today, for
// the current period).
Result<std::vector<ActionView>> report_actions(ScoreService& service,
                                               const ReportDocumentRequest& request,
                                               int window_days = kDefaultEffectWindowDays);

// The period in the title's words: "quý III năm 2026", "6 tháng đầu năm 2026", "9 tháng năm
// 2026", "năm 2026", "tháng 11 năm 2026", "từ ngày 01/02/2026 đến ngày 15/03/2026"; in English
// "Q3 2026", "the first half of 2026", "the first nine months of 2026", "2026", ….
std::string report_period_words(std::optional<PeriodKind> period, const DateRange& range,
                                const std::string& language);

// The same period one year earlier (for a calendar period the period containing the day a year
// before; otherwise both dates a year back, 29 February as 28 February).
DateRange year_ago_range(std::optional<PeriodKind> period, const DateRange& range);
// The period before, as a report compares it: for a month, quarter, half year or year the one
// before it (quarter I 2026 → quarter IV 2025), for nine months the nine months before; for a
// day, a week or a from–to range the days of the same number just before (previous_range).
DateRange previous_period_range(std::optional<PeriodKind> period, const DateRange& range);

// "sipas-bao-cao-<unit>-<period>.<extension>", period as "2026-q3", "2026-6m", "2026-9m",
// "2026", "2026-11" or "2026-02-01-2026-03-15"; characters other than letters, digits, '-' and
// '_' in the unit code become '_' (the name goes into a Content-Disposition header).
std::string report_file_name(const std::string& unit, std::optional<PeriodKind> period,
                             const DateRange& range, const std::string& extension);

// A file format of the report: its writer, Content-Type and file name extension.
struct ReportFormat {
  Result<std::string> (*write)(const doc::Document&);
  const char* content_type;
  const char* extension;
};
// The formats GET /api/v1/reports?format= and `sipas-server report --format` write the
// document in, by name ("docx"); the names joined with " or " for messages.
const std::map<std::string, ReportFormat>& report_formats();
std::string report_format_names();

// `sipas-server report --db DB --unit U (--period P --day D | --from D --to D) [--lang en]
// --format docx --out FILE`: nullopt when args is not a report command, else the exit code.
std::optional<int> run_report_command(const std::vector<std::string>& args, std::ostream& out,
                                      std::ostream& err);

}  // namespace sipas
