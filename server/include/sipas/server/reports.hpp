// A unit's period report and the raw responses of a range, as CSV (UTF-8 with a BOM, so that
// Excel shows Vietnamese correctly) and XLSX (libxlsxwriter).
//
// The report holds: summary (responses, complete/partial, index, previous period and change),
// elements and criteria, counters, officers, procedures, child units ranked, follow-up reasons, comments,
// and the Mẫu 01 points where that questionnaire is used. Text that a spreadsheet would read as a
// formula (starting with = + - @, tab or CR) is prefixed with an apostrophe: every text cell of
// the CSV, and the citizen and kiosk text (comments, counters, officers, dossiers) of the XLSX.
//
// Threads: uses the given ScoreService (one thread at a time). Errors: those of ScoreService,
// io_error when the XLSX cannot be written to its temporary file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sipas/csv.hpp"
#include "sipas/server/scores.hpp"
#include "sipas/status.hpp"

namespace sipas {

struct Report {
  std::string language = "vi";
  Scores scores;                      // ScoreService::scores() with extras
  std::vector<ScoreGroup> counters;    // scores grouped by counter
  std::vector<ScoreGroup> officers;    // scores grouped by officer
  std::vector<ScoreGroup> procedures;  // scores grouped by procedure
  std::vector<CommentRow> comments;
};

constexpr std::size_t kReportComments = 5000;
constexpr std::size_t kRawExportRows = 500000;

Result<Report> build_report(ScoreService& service, const std::string& unit, const DateRange& range,
                            const std::string& language);

// A cell: text, or a number (written as a number in XLSX; `text` holds its CSV form).
struct Cell {
  std::string text;
  bool number = false;
  double value = 0;
  Cell() = default;
  Cell(std::string t) : text(std::move(t)) {}  // NOLINT: cells are built from text
  Cell(const char* t) : text(t) {}              // NOLINT
  static Cell num(double v, int decimals = 2);
  static Cell count(std::int64_t v);
  // A number, or an empty cell for none.
  static Cell of(const std::optional<double>& v, int decimals = 2);
};

// Rows of cells, one table per section, for both formats.
struct Table {
  std::string name;  // the XLSX sheet name, and the CSV section title
  std::vector<std::vector<Cell>> rows;  // first row: header
};
std::vector<Table> report_tables(const Report& report, const ScoreService& service);
// The raw export: its sheet name, its columns (`criteria`: ScoreService::criterion_ids()) and one
// row per response. Citizen and kiosk text is formula-guarded in the cells themselves, so the
// XLSX shows it the same way as the CSV.
std::string raw_sheet_name(const std::string& language);
std::vector<Cell> raw_header(const std::vector<std::string>& criteria);
std::vector<Cell> raw_row(const RawRow& r, const std::vector<std::string>& criteria);

// CSV (CsvWriter, sipas/csv.hpp: BOM, RFC 4180 quoting, formula guard on every text cell) written
// a row at a time: each table under a title line "# name", tables separated by an empty line;
// number cells as numbers. take() hands over what is written so far, so a long export can be
// sent in pieces.
class CsvRows {
 public:
  void title(const std::string& name);
  void row(const std::vector<Cell>& cells);
  std::string take() { return csv_.take(); }

 private:
  CsvWriter csv_;
  std::size_t rows_ = 0;
};
std::string to_csv(const std::vector<Table>& tables);

// An XLSX file at a temporary path, written a row at a time, in order. With `constant_memory`
// (libxlsxwriter's mode of that name) each row goes to disk as the next one starts, for exports
// of any size; without it strings share one table (smaller files, for reports). The file is
// removed when the object is destroyed. Errors: io_error when the file cannot be made or written.
class XlsxFile {
 public:
  static Result<std::unique_ptr<XlsxFile>> create(bool constant_memory = false);
  ~XlsxFile();
  XlsxFile(const XlsxFile&) = delete;
  XlsxFile& operator=(const XlsxFile&) = delete;
  // A new sheet (a number is added to a name already used); its first row is bold.
  Status add_sheet(const std::string& name);
  Status add_row(const std::vector<Cell>& cells);
  // Finishes the file at path(); nothing can be added after.
  Status close();
  const std::string& path() const { return path_; }

 private:
  XlsxFile();
  struct Book;
  std::unique_ptr<Book> book_;
  std::string path_;
};
// XLSX bytes: one sheet per table.
Result<std::string> to_xlsx(const std::vector<Table>& tables);

}  // namespace sipas
