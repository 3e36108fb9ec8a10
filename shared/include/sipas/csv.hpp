// CSV for spreadsheets: the one writer behind the kiosk's staff export and the server's report and
// raw exports, so that every CSV the product hands out follows the same rules:
// - UTF-8 beginning with a byte order mark (Excel then shows Vietnamese correctly), CRLF line ends;
// - RFC 4180 quoting: a cell holding a comma, a double quote, CR or LF, or beginning or ending
//   with a space, is enclosed in double quotes, its double quotes doubled;
// - the formula guard: every text cell beginning with = + - @ tab or CR gets a leading apostrophe,
//   so that a spreadsheet shows it instead of running it. Comments, dossier numbers from a
//   barcode scanner and officer ids are not to be trusted. Number cells are not guarded, so a
//   negative number stays a number.
//
// Threads: a CsvWriter is a plain value, used by one thread at a time. Nothing here fails.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace sipas {

// `text` prefixed with an apostrophe when a spreadsheet would read it as a formula; else as is.
// Guarding twice changes nothing.
std::string formula_guarded(std::string_view text);

// One text cell as CsvWriter writes it: guarded, then quoted when needed.
std::string csv_cell(std::string_view text);

class CsvWriter {
 public:
  CsvWriter();

  // A text cell (guarded and quoted as needed).
  void text_cell(std::string_view text);
  // A number cell: an integer or a decimal with a point ("-3", "61.11"), written as it is. Any
  // other text ("nan", "1e5", "12abc") is written as a text cell, guard included.
  void number_cell(std::string_view formatted);
  void number_cell(std::int64_t value);
  // Ends the current row; a row without cells is an empty line.
  void end_row();

  // The CSV so far, BOM included. take() hands over what is written since the last take(); later
  // cells continue the same CSV (a long export is sent in pieces).
  const std::string& str() const { return out_; }
  std::string take() {
    std::string taken = std::move(out_);
    out_.clear();
    return taken;
  }

 private:
  void separate();

  std::string out_;
  bool row_started_ = false;
};

}  // namespace sipas
