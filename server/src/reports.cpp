#include "sipas/server/reports.hpp"

#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "sipas/csv.hpp"

namespace sipas {
namespace {

using nlohmann::json;

bool vi(const std::string& lang) { return lang != "en"; }

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

struct WorkbookCloser {
  void operator()(lxw_workbook* wb) const { workbook_close(wb); }
};

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

Cell Cell::of(const json& v, int decimals) {
  if (v.is_number_integer()) return count(v.get<std::int64_t>());
  if (v.is_number()) return num(v.get<double>(), decimals);
  return Cell(text_of(v));
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
  q.group = Grouping::counter;
  auto counters = service.scores(q);
  if (!counters.is_ok()) return counters.status();
  r.counters = (*counters)["groups"];
  q.group = Grouping::officer;
  auto officers = service.scores(q);
  if (!officers.is_ok()) return officers.status();
  r.officers = (*officers)["groups"];
  q.group = Grouping::procedure;
  auto procedures = service.scores(q);
  if (!procedures.is_ok()) return procedures.status();
  r.procedures = (*procedures)["groups"];
  auto comments = service.comments(unit, range, kReportComments);
  if (!comments.is_ok()) return comments.status();
  r.comments = std::move(comments).value();
  return r;
}

// to_csv() guards every text cell. Citizen and kiosk text is guarded in the tables as well (here
// and in raw_tables) so that the XLSX shows it the same way, and it stays inert when someone
// saves that sheet as CSV.
std::vector<Table> report_tables(const Report& report, const ScoreService& service) {
  const bool v = vi(report.language);
  const json& s = report.scores;
  std::vector<Table> out;

  Table summary{v ? "Tổng hợp" : "Summary", {}};
  summary.rows.push_back({v ? "Mục" : "Item", v ? "Giá trị" : "Value"});
  summary.rows.push_back({v ? "Đơn vị" : "Unit", text_of(s["unit_name"]) + " (" + text_of(s["unit"]) + ")"});
  summary.rows.push_back({v ? "Từ ngày" : "From", text_of(s["from"])});
  summary.rows.push_back({v ? "Đến ngày" : "To", text_of(s["to"])});
  summary.rows.push_back({v ? "Số phiếu" : "Responses", Cell::of(s["responses"])});
  summary.rows.push_back({v ? "Phiếu đầy đủ" : "Complete", Cell::of(s["complete"])});
  summary.rows.push_back({v ? "Phiếu chưa đầy đủ" : "Partial", Cell::of(s["partial"])});
  summary.rows.push_back({v ? "Chỉ số hài lòng (%)" : "Satisfaction index (%)", Cell::of(s["index"])});
  if (s.contains("previous")) {
    summary.rows.push_back({v ? "Kỳ trước" : "Previous period",
                            text_of(s["previous"]["from"]) + " – " + text_of(s["previous"]["to"])});
    summary.rows.push_back({v ? "Chỉ số kỳ trước (%)" : "Previous index (%)",
                            Cell::of(s["previous"]["index"])});
    summary.rows.push_back({v ? "Thay đổi (điểm %)" : "Change (points)", Cell::of(s["change"])});
  }
  for (const auto& e : s["elements"]) {
    summary.rows.push_back({(v ? "Yếu tố: " : "Element: ") + text_of(e["name"]), Cell::of(e["index"])});
  }
  out.push_back(std::move(summary));

  Table criteria{v ? "Tiêu chí" : "Criteria", {}};
  criteria.rows.push_back({v ? "Yếu tố" : "Element", v ? "Mã tiêu chí" : "Criterion id",
                           v ? "Nội dung" : "Text", v ? "Chỉ số (%)" : "Index (%)",
                           v ? "Điểm trung bình" : "Mean", v ? "Số trả lời" : "Answers", "1", "2",
                           "3", "4", "5"});
  for (const auto& e : s["elements"]) {
    for (const auto& c : e["criteria"]) {
      std::vector<Cell> row{text_of(e["name"]), text_of(c["id"]), text_of(c["text"]),
                            Cell::of(c["index"]), Cell::of(c["mean"]), Cell::of(c["n"])};
      for (int k = 1; k <= 5; ++k) {
        row.push_back(Cell::of(c["counts"].value(std::to_string(k), json(0))));
      }
      criteria.rows.push_back(std::move(row));
    }
  }
  out.push_back(std::move(criteria));

  // Procedure groups carry a catalogue name as a second column.
  auto group_table = [&](const std::string& name, const std::string& key_title, const json& groups,
                         const char* name_title = nullptr) {
    Table t{name, {}};
    std::vector<Cell> header{key_title};
    if (name_title) header.push_back(name_title);
    header.push_back(v ? "Số phiếu" : "Responses");
    header.push_back(v ? "Chỉ số (%)" : "Index (%)");
    for (const auto& e : s["elements"]) header.push_back(text_of(e["name"]));
    t.rows.push_back(std::move(header));
    for (const auto& g : groups) {
      std::string key = text_of(g["key"]);
      if (key.empty()) key = v ? "(không ghi)" : "(not recorded)";
      std::vector<Cell> row{formula_guarded(key)};
      if (name_title) row.push_back(text_of(g["name"]));
      row.push_back(Cell::of(g["responses"]));
      row.push_back(Cell::of(g["index"]));
      for (const auto& e : s["elements"]) {
        json idx;
        for (const auto& ge : g["elements"]) {
          if (ge["id"] == e["id"]) idx = ge["index"];
        }
        row.push_back(Cell::of(idx));
      }
      t.rows.push_back(std::move(row));
    }
    return t;
  };
  out.push_back(group_table(v ? "Quầy" : "Counters", v ? "Quầy" : "Counter", report.counters));
  out.push_back(group_table(v ? "Cán bộ" : "Officers", v ? "Cán bộ" : "Officer", report.officers));
  out.push_back(group_table(v ? "Thủ tục hành chính" : "Procedures",
                            v ? "Mã thủ tục" : "Procedure code", report.procedures,
                            v ? "Tên thủ tục" : "Procedure name"));

  Table units{v ? "Đơn vị trực thuộc" : "Units below", {}};
  units.rows.push_back({v ? "Hạng" : "Rank", v ? "Mã đơn vị" : "Unit code", v ? "Tên" : "Name",
                        v ? "Số phiếu" : "Responses", v ? "Chỉ số (%)" : "Index (%)",
                        v ? "Cần cải thiện trước" : "Fix first"});
  for (const auto& c : s.value("children", json::array())) {
    std::vector<std::string> weak;
    for (const auto& f : c["fix_first"]) weak.push_back(text_of(f["text"]));
    units.rows.push_back({Cell::of(c["rank"]), text_of(c["unit"]), text_of(c["name"]),
                          Cell::of(c["responses"]), Cell::of(c["index"]), join(weak, "; ")});
  }
  out.push_back(std::move(units));

  Table reasons{v ? "Lý do" : "Reasons", {}};
  reasons.rows.push_back({v ? "Mã" : "Id", v ? "Lý do" : "Reason", v ? "Số lần chọn" : "Times chosen"});
  for (const auto& r : s.value("top_reasons", json::array())) {
    reasons.rows.push_back({text_of(r["id"]), text_of(r["text"]), Cell::of(r["count"])});
  }
  out.push_back(std::move(reasons));

  Table comments{v ? "Ý kiến" : "Comments", {}};
  comments.rows.push_back({v ? "Thời gian (giờ địa phương)" : "Local time", v ? "Đơn vị" : "Unit",
                           v ? "Quầy" : "Counter", v ? "Cán bộ" : "Officer",
                           v ? "Lý do" : "Reasons", v ? "Ý kiến" : "Comment"});
  for (const auto& c : report.comments) {
    std::vector<std::string> texts;
    for (const auto& id : c.reasons) {
      std::string t = id;
      for (const auto& sv : service.surveys()) {
        if (const Reason* r = sv.find_reason(id)) {
          t = r->text.get(report.language);
          break;
        }
      }
      texts.push_back(t);
    }
    comments.rows.push_back({c.local_time, c.unit, formula_guarded(c.counter),
                             formula_guarded(c.officer.value_or("")), join(texts, "; "),
                             formula_guarded(c.text)});
  }
  out.push_back(std::move(comments));

  for (const auto& p : s.value("points", json::array())) {
    Table t{v ? "Mẫu 01" : "Form 01", {}};
    t.rows.push_back({v ? "Mục" : "Item", v ? "Giá trị" : "Value"});
    t.rows.push_back({v ? "Số phiếu" : "Responses", Cell::of(p["responses"])});
    t.rows.push_back({v ? "Tổng điểm trung bình (0–18)" : "Mean total (0–18)", Cell::of(p["mean_total"])});
    for (const auto& g : p["grades"]) {
      t.rows.push_back({(v ? "Xếp loại: " : "Grade: ") + text_of(g["name"]), Cell::of(g["count"])});
    }
    for (const auto& i : p["indicators"]) {
      t.rows.push_back({(v ? "Điểm TB: " : "Mean points: ") + text_of(i["text"]), Cell::of(i["mean"])});
    }
    for (const auto& o : p["officers"]) {
      std::string name = text_of(o["officer"]);
      t.rows.push_back({(v ? "Cán bộ " : "Officer ") + formula_guarded(name) +
                            (v ? ": tổng điểm TB" : ": mean total"),
                        Cell::of(o["mean_total"])});
    }
    for (const auto& u : p["units"]) {
      t.rows.push_back({(v ? "Đơn vị " : "Unit ") + text_of(u["name"]) +
                            (v ? ": tổng điểm TB" : ": mean total"),
                        Cell::of(u["mean_total"])});
    }
    out.push_back(std::move(t));
    break;
  }
  return out;
}

std::vector<Table> raw_tables(const std::vector<RawRow>& rows, const ScoreService& service,
                              const std::string& language) {
  const bool v = vi(language);
  std::vector<std::string> criteria;
  std::set<std::string> seen;
  for (const auto& sv : service.surveys()) {
    for (const Criterion* c : sv.questions()) {
      if (seen.insert(c->id).second) criteria.push_back(c->id);
    }
  }
  for (const auto& r : rows) {
    for (const auto& [c, value] : r.answers) {
      if (seen.insert(c).second) criteria.push_back(c);
    }
  }
  Table t{v ? "Phiếu" : "Responses", {}};
  std::vector<Cell> header{"id", "kiosk_id", "seq", "unit", "counter", "officer", "dossier",
                           "procedure", "survey_id", "survey_version", "language", "submitted_at", "local_day",
                           "status"};
  for (const auto& c : criteria) header.push_back(c);
  header.push_back("reasons");
  header.push_back("comment");
  t.rows.push_back(std::move(header));
  for (const auto& r : rows) {
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
    t.rows.push_back(std::move(row));
  }
  return {std::move(t)};
}

std::string to_csv(const std::vector<Table>& tables) {
  CsvWriter csv;
  bool first = true;
  for (const auto& t : tables) {
    if (!first) csv.end_row();
    first = false;
    csv.text_cell("# " + t.name);
    csv.end_row();
    for (const auto& row : t.rows) {
      for (const Cell& cell : row) {
        if (cell.number) {
          csv.number_cell(cell.text);
        } else {
          csv.text_cell(cell.text);
        }
      }
      csv.end_row();
    }
  }
  return csv.take();
}

Result<std::string> to_xlsx(const std::vector<Table>& tables) {
  std::string path = (std::filesystem::temp_directory_path() / "sipas-export-XXXXXX.xlsx").string();
  int fd = mkstemps(path.data(), 5);
  if (fd < 0) return Status::error(ErrorCode::io_error, "cannot create a temporary file");
  ::close(fd);
  struct Remove {
    std::string p;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove(p, ec);
    }
  } remove{path};
  lxw_error err = LXW_NO_ERROR;
  {
    std::unique_ptr<lxw_workbook, WorkbookCloser> wb(workbook_new(path.c_str()));
    if (!wb) return Status::error(ErrorCode::io_error, "cannot start the XLSX workbook");
    lxw_format* bold = workbook_add_format(wb.get());
    format_set_bold(bold);
    std::set<std::string> names;
    for (const auto& t : tables) {
      std::string name = t.name;
      for (int i = 2; names.count(name); ++i) name = t.name + " " + std::to_string(i);
      names.insert(name);
      lxw_worksheet* ws = workbook_add_worksheet(wb.get(), name.c_str());
      if (!ws) return Status::error(ErrorCode::internal, "bad sheet name " + name);
      for (std::size_t r = 0; r < t.rows.size() && r < LXW_ROW_MAX; ++r) {
        const auto& row = t.rows[r];
        for (std::size_t c = 0; c < row.size() && c < LXW_COL_MAX; ++c) {
          auto rr = static_cast<lxw_row_t>(r);
          auto cc = static_cast<lxw_col_t>(c);
          if (row[c].number) {
            worksheet_write_number(ws, rr, cc, row[c].value, r == 0 ? bold : nullptr);
          } else if (!row[c].text.empty()) {
            worksheet_write_string(ws, rr, cc, row[c].text.c_str(), r == 0 ? bold : nullptr);
          }
        }
      }
      worksheet_set_column(ws, 0, 0, 28, nullptr);
      worksheet_set_column(ws, 1, 12, 16, nullptr);
    }
    err = workbook_close(wb.release());
  }
  if (err != LXW_NO_ERROR) {
    return Status::error(ErrorCode::io_error,
                         std::string("cannot write the XLSX file: ") + lxw_strerror(err));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(ErrorCode::io_error, "cannot read back the XLSX file");
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace sipas
