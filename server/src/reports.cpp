#include "sipas/server/reports.hpp"

#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "html.hpp"
#include "sipas/csv.hpp"

namespace sipas {
namespace {

using nlohmann::json;

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace

Cell Cell::num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  Cell c(buf);
  c.number = true;
  c.value = v;
  return c;
}

Cell Cell::count(std::int64_t v) {
  Cell c(std::to_string(v));
  c.number = true;
  c.value = static_cast<double>(v);
  return c;
}

Cell Cell::of(const std::optional<double>& v, int decimals) {
  return v ? num(*v, decimals) : Cell("");
}

Result<Report> build_report(ScoreService& service, const std::string& unit, const DateRange& range,
                            const std::string& language) {
  Report r;
  r.language = language;
  ScoreQuery q;
  q.unit = unit;
  q.range = range;
  q.language = language;
  auto scores = service.scores(q);
  if (!scores.is_ok()) return scores.status();
  r.scores = std::move(scores).value();
  q.extras = false;
  for (auto [group, into] : {std::pair{Grouping::counter, &r.counters},
                             std::pair{Grouping::officer, &r.officers},
                             std::pair{Grouping::procedure, &r.procedures}}) {
    q.group = group;
    auto grouped = service.scores(q);
    if (!grouped.is_ok()) return grouped.status();
    *into = std::move(grouped->groups);
  }
  auto comments = service.comments(unit, range, kReportComments);
  if (!comments.is_ok()) return comments.status();
  r.comments = std::move(comments).value();
  return r;
}

// to_csv() guards every text cell. Citizen and kiosk text is guarded in the tables as well (here
// and in raw_tables) so that the XLSX shows it the same way, and it stays inert when someone
// saves that sheet as CSV.
std::vector<Table> report_tables(const Report& report, const ScoreService& service) {
  const std::string& lang = report.language;
  auto t = [&](std::string_view key) { return std::string(html::tr(key, lang)); };
  const Scores& s = report.scores;
  const SurveyScore& overall = s.overall;
  std::vector<Table> out;

  Table summary{t("xl_summary"), {}};
  summary.rows.push_back({t("xl_item"), t("xl_value")});
  summary.rows.push_back({t("unit"), s.unit_name + " (" + s.unit + ")"});
  summary.rows.push_back({t("from"), format_date(s.range.from)});
  summary.rows.push_back({t("to"), format_date(s.range.to)});
  summary.rows.push_back({t("responses"), Cell::count(overall.responses)});
  summary.rows.push_back({t("xl_complete"), Cell::count(overall.complete)});
  summary.rows.push_back({t("xl_partial"), Cell::count(overall.partial)});
  summary.rows.push_back({t("xl_index"), Cell::of(overall.index)});
  if (s.extras) {
    const PreviousPeriod& prev = s.extras->previous;
    summary.rows.push_back({t("previous"), format_date(prev.range.from) + " – " + format_date(prev.range.to)});
    summary.rows.push_back({t("xl_previous_index"), Cell::of(prev.index)});
    summary.rows.push_back({t("xl_change"), Cell::of(s.extras->change)});
  }
  for (const auto& e : overall.elements) {
    summary.rows.push_back({t("xl_element_prefix") + e.name.get(lang), Cell::of(e.index)});
  }
  out.push_back(std::move(summary));

  Table criteria{t("xl_criteria"), {}};
  criteria.rows.push_back({t("element"), t("xl_criterion_id"), t("xl_text"), t("xl_index_col"),
                           t("xl_mean"), t("answers"), "1", "2", "3", "4", "5"});
  for (const auto& e : overall.elements) {
    for (const auto& c : e.criteria) {
      std::vector<Cell> row{e.name.get(lang), c.id, c.text.get(lang), Cell::of(c.index),
                            Cell::of(c.mean), Cell::count(c.n)};
      for (int k = 1; k <= 5; ++k) {
        auto it = c.counts.find(k);
        row.push_back(Cell::count(it == c.counts.end() ? 0 : it->second));
      }
      criteria.rows.push_back(std::move(row));
    }
  }
  out.push_back(std::move(criteria));

  // Procedure groups carry a catalogue name as a second column.
  auto group_table = [&](const std::string& name, const std::string& key_title,
                         const std::vector<ScoreGroup>& groups, bool with_name) {
    Table table{name, {}};
    std::vector<Cell> header{key_title};
    if (with_name) header.push_back(t("xl_procedure_name"));
    header.push_back(t("responses"));
    header.push_back(t("xl_index_col"));
    for (const auto& e : overall.elements) header.push_back(e.name.get(lang));
    table.rows.push_back(std::move(header));
    for (const auto& g : groups) {
      std::string key = g.key.value_or("");
      if (key.empty()) key = t("not_recorded");
      std::vector<Cell> row{formula_guarded(key)};
      if (with_name) row.push_back(g.name.value_or(""));
      row.push_back(Cell::count(g.score.responses));
      row.push_back(Cell::of(g.score.index));
      for (const auto& e : overall.elements) {
        std::optional<double> idx;
        for (const auto& ge : g.score.elements) {
          if (ge.id == e.id) idx = ge.index;
        }
        row.push_back(Cell::of(idx));
      }
      table.rows.push_back(std::move(row));
    }
    return table;
  };
  out.push_back(group_table(t("xl_counters"), t("counter"), report.counters, false));
  out.push_back(group_table(t("xl_officers"), t("officer"), report.officers, false));
  out.push_back(group_table(t("procedures"), t("xl_procedure_code"), report.procedures, true));

  Table units{t("xl_units_below"), {}};
  units.rows.push_back({t("rank"), t("xl_unit_code"), t("xl_name"), t("responses"),
                        t("xl_index_col"), t("fix_first")});
  Table reasons{t("xl_reasons"), {}};
  reasons.rows.push_back({t("xl_id"), t("xl_reason"), t("xl_times_chosen")});
  if (s.extras) {
    for (const auto& c : s.extras->children) {
      std::vector<std::string> weak;
      for (const auto& f : c.fix_first) weak.push_back(f.text);
      units.rows.push_back({c.rank ? Cell::count(*c.rank) : Cell(""), c.unit, c.name,
                            Cell::count(c.score.responses), Cell::of(c.score.index),
                            join(weak, "; ")});
    }
    for (const auto& r : s.extras->top_reasons) {
      reasons.rows.push_back({r.id, r.text, Cell::count(r.count)});
    }
  }
  out.push_back(std::move(units));
  out.push_back(std::move(reasons));

  Table comments{t("comments"), {}};
  comments.rows.push_back({t("xl_local_time"), t("unit"), t("counter"), t("officer"),
                           t("reason_col"), t("comment")});
  for (const auto& c : report.comments) {
    std::vector<std::string> texts;
    for (const auto& id : c.reasons) texts.push_back(service.reason_text(id, lang));
    comments.rows.push_back({c.local_time, c.unit, formula_guarded(c.counter),
                             formula_guarded(c.officer.value_or("")), join(texts, "; "),
                             formula_guarded(c.text)});
  }
  out.push_back(std::move(comments));

  if (s.extras && !s.extras->points.empty()) {
    const PointsSection& p = s.extras->points.front();
    Table table{t("xl_form01"), {}};
    table.rows.push_back({t("xl_item"), t("xl_value")});
    table.rows.push_back({t("responses"), Cell::count(p.score.responses)});
    table.rows.push_back({t("mean_total"), Cell::of(p.score.mean_total)});
    for (const auto& g : p.score.grades) {
      table.rows.push_back({t("xl_grade_prefix") + g.name.get(lang), Cell::count(g.count)});
    }
    for (const auto& i : p.score.indicators) {
      table.rows.push_back({t("xl_mean_points_prefix") + i.text.get(lang), Cell::of(i.mean)});
    }
    for (const auto& o : p.officers) {
      table.rows.push_back({t("officer") + " " + formula_guarded(o.key) + t("xl_mean_total_suffix"),
                            Cell::of(o.score.mean_total)});
    }
    for (const auto& u : p.units) {
      table.rows.push_back({t("unit") + " " + u.name + t("xl_mean_total_suffix"),
                            Cell::of(u.score.mean_total)});
    }
    out.push_back(std::move(table));
  }
  return out;
}

std::vector<Cell> raw_header(const std::vector<std::string>& criteria) {
  std::vector<Cell> header{"id", "kiosk_id", "seq", "unit", "counter", "officer", "dossier",
                           "procedure", "survey_id", "survey_version", "language", "submitted_at",
                           "local_day", "status"};
  for (const auto& c : criteria) header.push_back(c);
  header.push_back("reasons");
  header.push_back("comment");
  return header;
}

std::vector<Cell> raw_row(const RawRow& r, const std::vector<std::string>& criteria) {
  std::vector<Cell> row{r.id,
                        r.kiosk_id,
                        Cell::count(r.seq),
                        r.unit,
                        formula_guarded(r.counter),
                        formula_guarded(r.officer.value_or("")),
                        formula_guarded(r.dossier.value_or("")),
                        r.procedure.value_or(""),
                        r.survey_id,
                        Cell::count(r.survey_version),
                        r.language,
                        r.submitted_at,
                        r.local_day,
                        r.status};
  for (const auto& c : criteria) {
    auto it = r.answers.find(c);
    if (it == r.answers.end()) {
      row.push_back(Cell(""));
    } else if (!it->second) {
      row.push_back(Cell("NA"));
    } else {
      row.push_back(Cell::count(*it->second));
    }
  }
  row.push_back(join(r.reasons, " "));
  row.push_back(formula_guarded(r.comment.value_or("")));
  return row;
}

std::string raw_sheet_name(const std::string& language) {
  return html::tr("xl_responses_sheet", language);
}

void CsvRows::title(const std::string& name) {
  if (rows_ > 0) csv_.end_row();  // an empty line between tables
  csv_.text_cell("# " + name);
  csv_.end_row();
  ++rows_;
}

void CsvRows::row(const std::vector<Cell>& cells) {
  for (const Cell& cell : cells) {
    if (cell.number) {
      csv_.number_cell(cell.text);
    } else {
      csv_.text_cell(cell.text);
    }
  }
  csv_.end_row();
  ++rows_;
}

std::string to_csv(const std::vector<Table>& tables) {
  CsvRows csv;
  for (const auto& t : tables) {
    csv.title(t.name);
    for (const auto& row : t.rows) csv.row(row);
  }
  return csv.take();
}

struct XlsxFile::Book {
  lxw_workbook* wb = nullptr;
  lxw_worksheet* ws = nullptr;
  lxw_format* bold = nullptr;
  lxw_row_t next_row = 0;
  std::set<std::string> names;
};

XlsxFile::XlsxFile() = default;

XlsxFile::~XlsxFile() {
  if (book_ && book_->wb) workbook_close(book_->wb);
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
}

Result<std::unique_ptr<XlsxFile>> XlsxFile::create(bool constant_memory) {
  std::unique_ptr<XlsxFile> f(new XlsxFile());
  f->path_ = (std::filesystem::temp_directory_path() / "sipas-export-XXXXXX.xlsx").string();
  int fd = mkstemps(f->path_.data(), 5);
  if (fd < 0) {
    f->path_.clear();
    return Status::error(ErrorCode::io_error, "cannot create a temporary file");
  }
  ::close(fd);
  f->book_ = std::make_unique<Book>();
  // Constant memory: each row goes to a temporary file as soon as the next one starts, so a
  // 500,000-row export costs what one row costs (strings are then written inline rather than
  // in a shared table).
  lxw_workbook_options options{};
  options.constant_memory = constant_memory ? LXW_TRUE : LXW_FALSE;
  std::string tmpdir = std::filesystem::temp_directory_path().string();
  options.tmpdir = tmpdir.data();
  f->book_->wb = workbook_new_opt(f->path_.c_str(), &options);
  if (!f->book_->wb) return Status::error(ErrorCode::io_error, "cannot start the XLSX workbook");
  f->book_->bold = workbook_add_format(f->book_->wb);
  format_set_bold(f->book_->bold);
  return f;
}

Status XlsxFile::add_sheet(const std::string& title) {
  Book& b = *book_;
  if (!b.wb) return Status::error(ErrorCode::internal, "the XLSX file is already closed");
  std::string name = title;
  for (int i = 2; b.names.count(name); ++i) name = title + " " + std::to_string(i);
  b.names.insert(name);
  b.ws = workbook_add_worksheet(b.wb, name.c_str());
  if (!b.ws) return Status::error(ErrorCode::internal, "bad sheet name " + name);
  worksheet_set_column(b.ws, 0, 0, 28, nullptr);
  worksheet_set_column(b.ws, 1, 12, 16, nullptr);
  b.next_row = 0;
  return Status::ok();
}

Status XlsxFile::add_row(const std::vector<Cell>& cells) {
  Book& b = *book_;
  if (!b.ws) return Status::error(ErrorCode::internal, "no sheet to write to");
  if (b.next_row >= LXW_ROW_MAX) return Status::ok();  // past Excel's last row
  const lxw_row_t r = b.next_row++;
  lxw_format* format = r == 0 ? b.bold : nullptr;
  for (std::size_t c = 0; c < cells.size() && c < LXW_COL_MAX; ++c) {
    const auto cc = static_cast<lxw_col_t>(c);
    if (cells[c].number) {
      worksheet_write_number(b.ws, r, cc, cells[c].value, format);
    } else if (!cells[c].text.empty()) {
      worksheet_write_string(b.ws, r, cc, cells[c].text.c_str(), format);
    }
  }
  return Status::ok();
}

Status XlsxFile::close() {
  if (!book_->wb) return Status::ok();
  lxw_error err = workbook_close(book_->wb);
  book_->wb = nullptr;
  book_->ws = nullptr;
  if (err != LXW_NO_ERROR) {
    return Status::error(ErrorCode::io_error,
                         std::string("cannot write the XLSX file: ") + lxw_strerror(err));
  }
  return Status::ok();
}

Result<std::string> to_xlsx(const std::vector<Table>& tables) {
  auto file = XlsxFile::create();
  if (!file.is_ok()) return file.status();
  for (const auto& t : tables) {
    Status s = (*file)->add_sheet(t.name);
    for (std::size_t r = 0; s.is_ok() && r < t.rows.size(); ++r) s = (*file)->add_row(t.rows[r]);
    if (!s.is_ok()) return s;
  }
  Status s = (*file)->close();
  if (!s.is_ok()) return s;
  std::ifstream in((*file)->path(), std::ios::binary);
  if (!in) return Status::error(ErrorCode::io_error, "cannot read back the XLSX file");
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace sipas
