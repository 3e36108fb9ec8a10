#include "sipas/server/report_document.hpp"

#include <glib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "html.hpp"
#include "report_chart.hpp"
#include "sipas/server/document_docx.hpp"
#include "sipas/server/document_pdf.hpp"
#include "sipas/server/reports.hpp"

namespace sipas {
namespace {

using namespace std::chrono;
using doc::Align;
using doc::Paragraph;
using doc::Run;

constexpr double kTablePt = 13;

std::string upper(const std::string& s) {
  // Vietnamese capitals need Unicode case mapping (ư -> Ư, ệ -> Ệ); glib comes with pango.
  std::unique_ptr<gchar, decltype(&g_free)> u(g_utf8_strup(s.c_str(), -1), &g_free);
  return u ? std::string(u.get()) : s;
}

std::string two(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02u", v);
  return buf;
}

// dd/mm/yyyy, as Vietnamese documents write dates.
std::string dmy(Date d) {
  return two(static_cast<unsigned>(d.day())) + "/" + two(static_cast<unsigned>(d.month())) + "/" +
         std::to_string(static_cast<int>(d.year()));
}

const char* kMonthsEn[] = {"January", "February", "March",     "April",   "May",      "June",
                           "July",    "August",   "September", "October", "November", "December"};

class Builder {
 public:
  explicit Builder(const std::string& lang) : lang_(lang) {}

  std::string t(std::string_view key) const { return html::tr(key, lang_); }
  std::string idx(std::optional<double> v) const { return html::number(v, lang_, 2); }
  std::string pct(std::optional<double> v) const { return v ? idx(v) + "%" : idx(v); }
  // In a sentence: the figure, or "no figure yet" in words.
  std::string pct_words(std::optional<double> v) const { return v ? idx(v) + "%" : t("rd_no_figure"); }

  static Paragraph para(std::vector<Run> runs, Align align = Align::justify, double indent = 1.0) {
    Paragraph p;
    p.runs = std::move(runs);
    p.align = align;
    p.first_line_indent_cm = indent;
    return p;
  }
  static Run run(std::string text, bool bold = false, bool italic = false, double size = 0) {
    Run r;
    r.text = std::move(text);
    r.bold = bold;
    r.italic = italic;
    r.size_pt = size;
    return r;
  }

  void body(std::string text) { blocks.push_back(para({run(std::move(text))})); }
  void heading(std::string text, int level) {
    Paragraph p = para({run(std::move(text), true)});
    p.outline_level = level;
    p.keep_with_next = true;
    p.space_before_pt = level == 1 ? 6 : 0;
    blocks.push_back(std::move(p));
  }
  // The sentence above a table: kept on the table's page.
  void lead_in(std::string text) {
    Paragraph p = para({run(std::move(text))});
    p.keep_with_next = true;
    blocks.push_back(std::move(p));
  }

  static doc::Cell cell(std::string text, Align align = Align::left, bool bold = false) {
    doc::Cell c;
    Paragraph p = para({run(std::move(text), bold, false, kTablePt)}, align, 0);
    p.space_after_pt = 0;
    c.paragraphs.push_back(std::move(p));
    return c;
  }
  static doc::Cell head(std::string text) {
    doc::Cell c = cell(std::move(text), Align::center, true);
    c.shaded = true;
    return c;
  }
  static doc::Cell num(std::string text) { return cell(std::move(text), Align::center); }

  // A ruled table: a shaded header row repeated on every page, then the rows.
  void table(std::vector<double> widths, std::vector<std::string> header,
             std::vector<std::vector<doc::Cell>> rows) {
    doc::Table tb;
    tb.column_widths_cm = std::move(widths);
    std::vector<doc::Cell> h;
    for (auto& x : header) h.push_back(head(std::move(x)));
    tb.rows.push_back(std::move(h));
    for (auto& r : rows) tb.rows.push_back(std::move(r));
    tb.header_rows = 1;
    blocks.push_back(std::move(tb));
    // Room between the table and what follows.
    Paragraph gap;
    gap.space_after_pt = 0;
    gap.runs.push_back(run("", false, false, 6));
    blocks.push_back(std::move(gap));
  }

  std::vector<doc::Block> blocks;

 private:
  std::string lang_;
};

std::string roman(int n) {
  static const char* kRoman[] = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"};
  return n >= 1 && n <= 10 ? kRoman[n - 1] : std::to_string(n);
}

// The province's name for the date line: the top unit's name without "Tỉnh"/"Thành phố"; a gap
// of dots when the top unit is not named that way.
std::string place_of(const std::vector<UnitRecord>& units, const std::string& unit) {
  std::map<std::string, const UnitRecord*> by_code;
  for (const auto& u : units) by_code[u.code] = &u;
  const UnitRecord* top = nullptr;
  std::string at = unit;
  for (std::size_t guard = 0; guard <= units.size(); ++guard) {
    auto it = by_code.find(at);
    if (it == by_code.end()) break;
    top = it->second;
    if (!top->parent) break;
    at = *top->parent;
  }
  if (top) {
    for (const char* prefix : {"Tỉnh ", "tỉnh ", "TỈNH ", "Thành phố ", "thành phố ", "THÀNH PHỐ ",
                               "TP. ", "TP "}) {
      std::string p = prefix;
      if (top->name.rfind(p, 0) == 0 && top->name.size() > p.size()) return top->name.substr(p.size());
    }
  }
  return "…………";
}

std::string date_line(const std::string& place, Date d, const std::string& lang) {
  const unsigned day = static_cast<unsigned>(d.day()), month = static_cast<unsigned>(d.month());
  const int year = static_cast<int>(d.year());
  if (lang == "en") {
    return place + ", " + std::to_string(day) + " " + kMonthsEn[month - 1] + " " +
           std::to_string(year);
  }
  // Nghị định 30/2020: days below 10 and the months 1 and 2 are written with a leading zero.
  std::string dd = day < 10 ? two(day) : std::to_string(day);
  std::string mm = month < 3 ? two(month) : std::to_string(month);
  return place + ", ngày " + dd + " tháng " + mm + " năm " + std::to_string(year);
}

// "2026-09-30 23:59" (CommentRow::local_time) as "23:59 30/09/2026", the order
// format_local's day_first gives and Vietnamese readers expect; anything else as it is.
std::string day_first(const std::string& local) {
  if (local.size() != 16 || local[4] != '-' || local[7] != '-' || local[10] != ' ') return local;
  return local.substr(11) + " " + local.substr(8, 2) + "/" + local.substr(5, 2) + "/" + local.substr(0, 4);
}

std::optional<double> element_index(const SurveyScore& s, const std::string& id) {
  for (const auto& e : s.elements) {
    if (e.id == id) return e.index;
  }
  return std::nullopt;
}

}  // namespace

std::string report_period_words(std::optional<PeriodKind> period, const DateRange& r,
                                const std::string& lang) {
  const bool en = lang == "en";
  const std::string year = std::to_string(static_cast<int>(r.from.year()));
  const unsigned month = static_cast<unsigned>(r.from.month());
  const bool whole_year_span = r.from.year() == r.to.year();
  if (period && whole_year_span) {
    switch (*period) {
      case PeriodKind::quarter: {
        int q = static_cast<int>((month - 1) / 3 + 1);
        return en ? "Q" + std::to_string(q) + " " + year : "quý " + roman(q) + " năm " + year;
      }
      case PeriodKind::half_year:
        if (month <= 6) return en ? "the first half of " + year : "6 tháng đầu năm " + year;
        return en ? "the second half of " + year : "6 tháng cuối năm " + year;
      case PeriodKind::nine_months:
        return en ? "the first nine months of " + year : "9 tháng năm " + year;
      case PeriodKind::year:
        return en ? year : "năm " + year;
      case PeriodKind::month:
        return en ? std::string(kMonthsEn[month - 1]) + " " + year
                  : "tháng " + std::to_string(month) + " năm " + year;
      case PeriodKind::day:
        return en ? "on " + dmy(r.from) : "ngày " + dmy(r.from);
      case PeriodKind::week:
        break;
    }
  }
  return en ? "from " + dmy(r.from) + " to " + dmy(r.to)
            : "từ ngày " + dmy(r.from) + " đến ngày " + dmy(r.to);
}

DateRange year_ago_range(std::optional<PeriodKind> period, const DateRange& r) {
  auto back = [](Date d) {
    year_month_day y{d.year() - years(1), d.month(), d.day()};
    if (!y.ok()) y = year_month_day_last(y.year(), month_day_last(y.month()));
    return y;
  };
  if (period && *period != PeriodKind::week && *period != PeriodKind::day) {
    return period_containing(*period, back(r.from));
  }
  return {back(r.from), back(r.to)};
}

DateRange previous_period_range(std::optional<PeriodKind> period, const DateRange& r) {
  // A calendar period is compared with the calendar period before it, as the reports a unit
  // hands in do, rather than with the same number of days (a quarter has 90 to 92).
  int months = 0;
  if (period) {
    switch (*period) {
      case PeriodKind::month: months = 1; break;
      case PeriodKind::quarter: months = 3; break;
      case PeriodKind::half_year: months = 6; break;
      case PeriodKind::nine_months: months = 9; break;
      case PeriodKind::year: months = 12; break;
      case PeriodKind::day:
      case PeriodKind::week: break;
    }
  }
  if (months == 0) return previous_range(r);
  const year_month first = year_month{r.from.year(), r.from.month()} - std::chrono::months(months);
  return {year_month_day{first / std::chrono::day{1}},
          year_month_day{sys_days{r.from} - std::chrono::days{1}}};
}

std::string report_file_name(const std::string& unit, std::optional<PeriodKind> period,
                             const DateRange& r, const std::string& extension) {
  std::string code;
  for (char c : unit) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    code += ok ? c : '_';
  }
  const std::string year = std::to_string(static_cast<int>(r.from.year()));
  const unsigned month = static_cast<unsigned>(r.from.month());
  std::string name = format_date(r.from) + "-" + format_date(r.to);
  if (period && r.from.year() == r.to.year()) {
    switch (*period) {
      case PeriodKind::quarter: name = year + "-q" + std::to_string((month - 1) / 3 + 1); break;
      case PeriodKind::half_year: name = year + (month <= 6 ? "-6m" : "-6m2"); break;
      case PeriodKind::nine_months: name = year + "-9m"; break;
      case PeriodKind::year: name = year; break;
      case PeriodKind::month: name = year + "-" + two(month); break;
      default: break;
    }
  }
  return "sipas-bao-cao-" + code + "-" + name + "." + extension;
}

const std::map<std::string, ReportFormat>& report_formats() {
  static const std::map<std::string, ReportFormat> formats = {
      {"docx", {&to_docx, kDocxContentType, "docx"}},
      {"pdf", {&doc::to_pdf, "application/pdf", "pdf"}},
  };
  return formats;
}

std::string report_format_names() {
  std::string names;
  for (const auto& [name, format] : report_formats()) names += (names.empty() ? "" : " or ") + name;
  return names;
}

Result<std::vector<ActionView>> report_actions(ScoreService& service,
                                               const ReportDocumentRequest& rq, int window_days) {
  auto today = service.today(rq.unit, rq.now);
  if (!today.is_ok()) return today.status();
  // A report on a past period shows each effect as it stood then: measured up to its last day.
  const Date day_after = year_month_day{sys_days{rq.range.to} + days{1}};
  const Date as_of = sys_days{day_after} < sys_days{*today} ? day_after : *today;
  auto views = action_views(service, rq.unit, as_of, rq.language, window_days);
  if (!views.is_ok()) return views.status();
  std::vector<ActionView> kept;
  for (auto& v : *views) {
    const sys_days start{v.action.start};
    const sys_days reach = std::max(sys_days{v.action.deadline}, start + days{window_days});
    if (start <= sys_days{rq.range.to} && reach >= sys_days{rq.range.from}) {
      kept.push_back(std::move(v));
    }
  }
  return kept;
}

Result<doc::Document> build_report_document(ScoreService& service, const ReportDocumentRequest& rq,
                                            const std::vector<ActionView>& actions) {
  const std::string& lang = rq.language;
  Builder b(lang);
  auto t = [&](std::string_view key) { return b.t(key); };

  // The same queries as GET /api/v1/scores for this range, the previous one and a year back.
  auto report = build_report(service, rq.unit, rq.range, lang);
  if (!report.is_ok()) return report.status();
  const Scores& s = report->scores;
  const SurveyScore& overall = s.overall;
  ScoreQuery q;
  q.unit = rq.unit;
  q.language = lang;
  q.extras = false;
  q.range = previous_period_range(rq.period, rq.range);
  auto previous = service.scores(q);
  if (!previous.is_ok()) return previous.status();
  q.range = year_ago_range(rq.period, rq.range);
  auto year_ago = service.scores(q);
  if (!year_ago.is_ok()) return year_ago.status();
  auto units = service.units();
  if (!units.is_ok()) return units.status();
  auto today = service.today(rq.unit, rq.now);
  if (!today.is_ok()) return today.status();
  const NationalReference& national = national_reference();
  const int national_year = national.sipas.empty() ? 0 : national.sipas.back().year;

  std::string parent_name;
  for (const auto& u : *units) {
    if (u.code == rq.unit && u.parent) {
      for (const auto& p : *units) {
        if (p.code == *u.parent) parent_name = p.name;
      }
    }
  }
  const std::string period_words = report_period_words(rq.period, rq.range, lang);

  doc::Document d;
  d.language = lang == "en" ? "en" : "vi";
  d.author = s.unit_name;
  d.title = t("rd_title") + " " + t("rd_subject") + " " + period_words;

  // The heading block (Nghị định 30/2020, Phụ lục I, mẫu 1.3 "Báo cáo").
  {
    const doc::PageSetup& pg = d.page;
    const double left_w = 6.3, right_w = pg.text_width_cm() - left_w;
    auto line = [](std::string text, bool bold, bool italic, double size) {
      Paragraph p = Builder::para({Builder::run(std::move(text), bold, italic, size)}, Align::center, 0);
      p.space_after_pt = 0;
      return p;
    };
    doc::Cell left, right;
    if (!parent_name.empty()) left.paragraphs.push_back(line(upper(parent_name), false, false, 13));
    left.paragraphs.push_back(line(upper(s.unit_name), true, false, 13));
    left.paragraphs.push_back(line("__________", true, false, 10));
    Paragraph number = line(t("rd_number"), false, false, 13);
    number.space_before_pt = 6;
    left.paragraphs.push_back(std::move(number));
    right.paragraphs.push_back(line(t("rd_republic"), true, false, 12));
    right.paragraphs.push_back(line(t("rd_motto"), true, false, 13));
    right.paragraphs.push_back(line("_____________________", true, false, 10));
    Paragraph place = line(date_line(place_of(*units, rq.unit), *today, lang), false, true, 14);
    place.space_before_pt = 6;
    right.paragraphs.push_back(std::move(place));
    doc::Table heading;
    heading.borders = false;
    heading.column_widths_cm = {left_w, right_w};
    heading.rows.push_back({std::move(left), std::move(right)});
    b.blocks.push_back(std::move(heading));

    Paragraph title = Builder::para({Builder::run(t("rd_title"), true)}, Align::center, 0);
    title.space_before_pt = 18;
    title.space_after_pt = 0;
    title.keep_with_next = true;
    title.outline_level = 1;
    b.blocks.push_back(std::move(title));
    Paragraph subject = Builder::para({Builder::run(t("rd_subject") + " " + period_words, true)},
                                      Align::center, 0);
    subject.space_after_pt = 0;
    subject.keep_with_next = true;
    b.blocks.push_back(std::move(subject));
    Paragraph rule = Builder::para({Builder::run("__________", true, false, 10)}, Align::center, 0);
    rule.space_after_pt = 12;
    b.blocks.push_back(std::move(rule));
  }

  const std::string dates = report_period_words(std::nullopt, rq.range, lang);
  b.body(s.unit_name + " " + t("rd_intro") + " " + period_words +
         (dates == period_words ? "" : " (" + dates + ")") + t("rd_intro_end"));

  int section = 0;
  // I. The overall result.
  b.heading(roman(++section) + ". " + t("rd_overall"), 1);
  b.heading("1. " + t("rd_ratings"), 2);
  if (overall.responses == 0) {
    b.body(t("rd_no_ratings"));
  } else {
    b.body(t("rd_ratings_text") + " " + std::to_string(overall.responses) + " " +
           t("rd_ratings_unit") + " (" + std::to_string(overall.complete) + " " +
           t("rd_complete") + ", " + std::to_string(overall.partial) + " " + t("rd_partial") + ").");
  }
  b.heading("2. " + t("rd_index"), 2);
  const DateRange prev_range = previous_period_range(rq.period, rq.range);
  const DateRange ago_range = year_ago_range(rq.period, rq.range);
  {
    std::string text;
    if (overall.index) {
      text = t("rd_index_text") + " " + b.pct(overall.index) + "; ";
    } else {
      text = t("rd_index_none") + "; ";
    }
    text += t("rd_previous") + " (" + dmy(prev_range.from) + " – " + dmy(prev_range.to) + "): " +
            b.pct_words(previous->overall.index);
    if (overall.index && previous->overall.index) {
      text += " (" + t("rd_change") + " " +
              html::signed_number(*overall.index - *previous->overall.index, lang, 2) + " " +
              t("rd_points") + ")";
    }
    text += "; " + t("rd_year_ago") + " (" + dmy(ago_range.from) + " – " + dmy(ago_range.to) +
            "): " + b.pct_words(year_ago->overall.index) + "; " + t("rd_national") + " " +
            std::to_string(national_year) + ": " + b.pct(national.latest()) + ".";
    b.body(text);
  }
  // The elements: this period's list, else the previous or year-ago one (the names).
  const SurveyScore& names = !overall.elements.empty()          ? overall
                             : !previous->overall.elements.empty() ? previous->overall
                                                                   : year_ago->overall;
  // A table of dashes says nothing: without ratings in any of the three periods the sentence
  // above is all there is.
  const bool any_figures = overall.responses > 0 || previous->overall.responses > 0 ||
                           year_ago->overall.responses > 0;
  if (!names.elements.empty() && any_figures) {
    b.lead_in(t("rd_elements_table"));
    std::vector<std::vector<doc::Cell>> rows;
    int n = 0;
    for (const auto& e : names.elements) {
      if (!e.in_index) continue;
      auto nat = national.elements_2023.find(e.id);
      rows.push_back({Builder::num(std::to_string(++n)), Builder::cell(e.name.get(lang)),
                      Builder::num(b.idx(element_index(overall, e.id))),
                      Builder::num(b.idx(element_index(previous->overall, e.id))),
                      Builder::num(b.idx(element_index(year_ago->overall, e.id))),
                      Builder::num(b.idx(nat == national.elements_2023.end()
                                             ? std::nullopt
                                             : std::optional<double>(nat->second)))});
    }
    doc::Cell label = Builder::cell(t("rd_overall_index"), Align::left, true);
    label.column_span = 2;
    rows.push_back({label, Builder::num(b.idx(overall.index)),
                    Builder::num(b.idx(previous->overall.index)),
                    Builder::num(b.idx(year_ago->overall.index)),
                    Builder::num(b.idx(national.latest()))});
    b.table({1.3, 6.0, 2.3, 2.3, 2.3, 2.3},
            {t("rd_no"), t("element"), t("rd_this_period"), t("rd_previous_col"),
             t("rd_year_ago_col"), t("rd_national_col")},
            std::move(rows));
    Paragraph note = Builder::para({Builder::run(t("rd_national_note") + " " +
                                                     std::to_string(national_year) + ".",
                                                 false, true, 12)});
    note.first_line_indent_cm = 0;
    b.blocks.push_back(std::move(note));

    if (overall.responses > 0) {
      BarChart chart;
      chart.language = lang;
      ChartSeries now{t("rd_this_period"), {}}, before{t("rd_previous_col"), {}},
          nat{t("rd_national_short"), {}};
      for (const auto& e : names.elements) {
        if (!e.in_index) continue;
        chart.categories.push_back(e.name.get(lang));
        now.values.push_back(element_index(overall, e.id));
        before.values.push_back(element_index(previous->overall, e.id));
        auto it = national.elements_2023.find(e.id);
        nat.values.push_back(it == national.elements_2023.end() ? std::nullopt
                                                                : std::optional<double>(it->second));
      }
      chart.series = {now, before, nat};
      auto png = draw_bar_chart(chart);
      if (!png.is_ok()) return png.status();
      doc::Image image;
      image.png = std::move(png).value();
      image.width_px = chart.width_px;
      image.height_px = chart.height_px;
      image.width_cm = 16;
      image.description = t("rd_chart_caption");
      b.blocks.push_back(std::move(image));
      Paragraph caption = Builder::para({Builder::run(t("rd_chart_caption") + " " + period_words,
                                                      false, true, 13)},
                                        Align::center, 0);
      b.blocks.push_back(std::move(caption));
    }
  }

  // II. What to fix first.
  b.heading(roman(++section) + ". " + t("rd_fix_section"), 1);
  b.heading("1. " + t("rd_weakest"), 2);
  const ScoreExtras empty_extras;
  const ScoreExtras& x = s.extras ? *s.extras : empty_extras;
  if (x.fix_first.empty()) {
    b.body(t("rd_none_weak"));
  } else {
    b.lead_in(t("rd_weakest_text"));
    std::vector<std::vector<doc::Cell>> rows;
    int n = 0;
    for (const auto& w : x.fix_first) {
      rows.push_back({Builder::num(std::to_string(++n)), Builder::cell(w.text),
                      Builder::cell(w.element_name), Builder::num(b.idx(w.index)),
                      Builder::num(std::to_string(w.n))});
    }
    b.table({1.3, 6.7, 4.0, 2.2, 2.3},
            {t("rd_no"), t("criterion"), t("element"), t("rd_index_col"), t("answers")},
            std::move(rows));
  }
  b.heading("2. " + t("reasons"), 2);
  if (x.top_reasons.empty()) {
    b.body(t("rd_none_reasons"));
  } else {
    std::vector<std::vector<doc::Cell>> rows;
    int n = 0;
    for (const auto& r : x.top_reasons) {
      rows.push_back({Builder::num(std::to_string(++n)), Builder::cell(r.text),
                      Builder::num(std::to_string(r.count))});
    }
    b.table({1.3, 11.7, 3.5}, {t("rd_no"), t("xl_reason"), t("xl_times_chosen")}, std::move(rows));
  }

  // III. Units below, counters, officers, procedures, Mẫu số 01.
  b.heading(roman(++section) + ". " + t("rd_breakdown"), 1);
  int sub = 0;
  b.heading(std::to_string(++sub) + ". " + t("units_below"), 2);
  if (x.children.empty()) {
    b.body(t("rd_no_children"));
  } else {
    std::vector<std::vector<doc::Cell>> rows;
    for (const auto& c : x.children) {
      std::string weak;
      for (const auto& f : c.fix_first) weak += (weak.empty() ? "" : "; ") + f.text;
      rows.push_back({Builder::num(c.rank ? std::to_string(*c.rank) : "–"), Builder::cell(c.name),
                      Builder::num(std::to_string(c.score.responses)),
                      Builder::num(b.idx(c.score.index)), Builder::cell(weak)});
    }
    b.table({1.4, 4.6, 2.0, 2.2, 6.3},
            {t("rank"), t("unit"), t("responses"), t("rd_index_col"), t("fix_first")},
            std::move(rows));
  }
  auto groups = [&](const std::string& title, const std::string& key_title,
                    const std::vector<ScoreGroup>& list) {
    if (list.empty()) return;
    b.heading(std::to_string(++sub) + ". " + title, 2);
    std::vector<std::vector<doc::Cell>> rows;
    for (const auto& g : list) {
      std::string key = g.key.value_or("");
      std::string label = g.name ? *g.name + (key.empty() ? "" : " (" + key + ")") : key;
      if (label.empty()) label = t("not_recorded");
      rows.push_back({Builder::cell(label), Builder::num(std::to_string(g.score.responses)),
                      Builder::num(b.idx(g.score.index))});
    }
    b.table({10.5, 3.0, 3.0}, {key_title, t("responses"), t("rd_index_col")}, std::move(rows));
  };
  groups(t("counters"), t("counter"), report->counters);
  groups(t("officers"), t("officer"), report->officers);
  groups(t("procedures"), t("procedure"), report->procedures);
  for (const auto& p : x.points) {
    b.heading(std::to_string(++sub) + ". " + (p.title.empty() ? t("points") : p.title), 2);
    b.lead_in(t("rd_points_text") + " " + std::to_string(p.score.responses) + " " +
           t("rd_ratings_unit") + "; " + t("mean_total") + ": " + html::number(p.score.mean_total, lang, 2) + ".");
    std::vector<std::vector<doc::Cell>> rows;
    for (const auto& g : p.score.grades) {
      rows.push_back({Builder::cell(g.name.get(lang)), Builder::num(std::to_string(g.count))});
    }
    if (!rows.empty()) b.table({10.5, 6.0}, {t("grade"), t("responses")}, std::move(rows));
    rows.clear();
    for (const auto& i : p.score.indicators) {
      rows.push_back({Builder::cell(i.text.get(lang)), Builder::num(html::number(i.mean, lang, 2))});
    }
    if (!rows.empty()) b.table({12.5, 4.0}, {t("indicator"), t("mean_points")}, std::move(rows));
  }

  // IV. Comments: citizens' words as they wrote them.
  b.heading(roman(++section) + ". " + t("rd_comments"), 1);
  if (report->comments.empty()) {
    b.body(t("rd_no_comments"));
  } else {
    const std::size_t shown = std::min(report->comments.size(), kReportDocumentComments);
    b.lead_in(t("rd_comments_text") + " " + std::to_string(shown) + " " + t("rd_comments_of") +
              " " + std::to_string(report->comments.size()) + " " + t("rd_comments_end"));
    std::vector<std::vector<doc::Cell>> rows;
    for (std::size_t i = 0; i < shown; ++i) {
      const CommentRow& c = report->comments[i];
      rows.push_back({Builder::cell(day_first(c.local_time)), Builder::cell(c.counter),
                      Builder::cell(c.text)});
    }
    b.table({4.1, 2.3, 10.1}, {t("time"), t("counter"), t("comment")}, std::move(rows));
  }

  // V. Improvement actions and their effect.
  b.heading(roman(++section) + ". " + t("rd_actions"), 1);
  if (actions.empty()) {
    b.body(t("rd_no_actions"));
  } else {
    std::vector<std::vector<doc::Cell>> rows;
    int n = 0;
    for (const auto& a : actions) {
      const ImprovementAction& act = a.action;
      std::string status = act.status == ActionStatus::done          ? t("rd_status_done")
                           : act.status == ActionStatus::in_progress ? t("rd_status_in_progress")
                                                                     : t("rd_status_planned");
      if (a.overdue) status += " (" + t("rd_overdue") + ")";
      doc::Cell what = Builder::cell(act.what, Align::left, true);
      what.paragraphs.push_back(Builder::cell(t("rd_target") + ": " + a.target_text).paragraphs[0]);
      what.paragraphs.push_back(
          Builder::cell(a.unit_name + "; " + t("rd_owner") + ": " + act.owner).paragraphs[0]);
      what.paragraphs.push_back(Builder::cell(dmy(act.start) + " – " + dmy(act.deadline) + "; " +
                                              status)
                                    .paragraphs[0]);
      const ActionEffect& e = a.effect;
      std::string effect = t("rd_before") + ": " + b.pct(e.before.index) + " (n = " +
                           std::to_string(e.before.n) + "); " + t("rd_after") + ": " +
                           b.pct(e.after.index) + " (n = " + std::to_string(e.after.n) + ")";
      // The same sentence as the unit page and the API (actions.cpp).
      effect += ". " + effect_sentence(e, lang);
      rows.push_back({Builder::num(std::to_string(++n)), std::move(what), Builder::cell(effect)});
    }
    b.lead_in(t("rd_actions_text") + " " + std::to_string(actions.front().effect.window_days) + " " +
              t("rd_days") + ".");
    b.table({1.3, 7.7, 7.5}, {t("rd_no"), t("rd_action"), t("rd_effect")}, std::move(rows));
  }

  // "Nơi nhận" and the signature, side by side without borders.
  {
    auto line = [](std::string text, bool bold, bool italic, double size, Align align) {
      Paragraph p = Builder::para({Builder::run(std::move(text), bold, italic, size)}, align, 0);
      p.space_after_pt = 0;
      return p;
    };
    doc::Cell left, right;
    left.paragraphs.push_back(line(t("rd_recipients"), true, true, 12, Align::left));
    left.paragraphs.push_back(line(t("rd_recipients_above"), false, false, 11, Align::left));
    left.paragraphs.push_back(line(t("rd_recipients_archive"), false, false, 11, Align::left));
    right.paragraphs.push_back(line(t("rd_signer"), true, false, 14, Align::center));
    right.paragraphs.push_back(line(t("rd_signature"), false, true, 13, Align::center));
    doc::Table sign;
    sign.borders = false;
    sign.column_widths_cm = {7.5, d.page.text_width_cm() - 7.5};
    sign.rows.push_back({std::move(left), std::move(right)});
    Paragraph gap;
    gap.space_after_pt = 6;
    gap.keep_with_next = true;
    b.blocks.push_back(std::move(gap));
    b.blocks.push_back(std::move(sign));
  }

  d.blocks = std::move(b.blocks);
  return d;
}

}  // namespace sipas
