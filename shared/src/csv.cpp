#include "sipas/csv.hpp"

#include <cctype>

namespace sipas {
namespace {

// OWASP's list for CSV injection: = + - @ start a formula; a leading tab or CR is dropped by some
// spreadsheets on import, which would uncover one behind it.
bool starts_like_a_formula(std::string_view text) {
  if (text.empty()) return false;
  const char c = text.front();
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

bool needs_quotes(std::string_view text) {
  return text.find_first_of(",\"\r\n") != std::string_view::npos ||
         (!text.empty() && (text.front() == ' ' || text.back() == ' '));
}

void append_quoted(std::string& out, std::string_view text) {
  if (!needs_quotes(text)) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string guarded(std::string_view text) { return "'" + std::string(text); }

void append_text(std::string& out, std::string_view text) {
  if (starts_like_a_formula(text)) {
    append_quoted(out, guarded(text));
  } else {
    append_quoted(out, text);
  }
}

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool plain_number(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  const std::size_t point = s.find('.');
  if (point == std::string_view::npos) return digits(s);
  return digits(s.substr(0, point)) && digits(s.substr(point + 1));
}

}  // namespace

std::string formula_guarded(std::string_view text) {
  return starts_like_a_formula(text) ? guarded(text) : std::string(text);
}

std::string csv_cell(std::string_view text) {
  std::string out;
  append_text(out, text);
  return out;
}

CsvWriter::CsvWriter() : out_("\xEF\xBB\xBF") {}

void CsvWriter::separate() {
  if (row_started_) out_.push_back(',');
  row_started_ = true;
}

void CsvWriter::text_cell(std::string_view text) {
  separate();
  append_text(out_, text);
}

void CsvWriter::number_cell(std::string_view formatted) {
  if (!plain_number(formatted)) {
    text_cell(formatted);
    return;
  }
  separate();
  out_.append(formatted);
}

void CsvWriter::number_cell(std::int64_t value) {
  separate();
  out_.append(std::to_string(value));
}

void CsvWriter::end_row() {
  out_ += "\r\n";
  row_started_ = false;
}

}  // namespace sipas
