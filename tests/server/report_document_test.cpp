// The period report as a Word document: GET /api/v1/reports?format=docx and `sipas-server
// report`. The .docx is unzipped and its word/document.xml parsed with python3's XML parser (so a
// file that is not well-formed fails), and its figures compared with GET /api/v1/scores for the
// same unit and range, the previous range and the range a year earlier.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "command_output.hpp"
#include "dashboard_test_support.hpp"
#include "sipas/server/document_docx.hpp"
#include "sipas/server/report_document.hpp"

namespace sipas::test {
namespace {

std::string run(const std::string& command, int* status = nullptr) {
  return command_output(command, status);
}

// Debian's python3, which has python3-docx (a python3 earlier on PATH may not).
constexpr const char* kPython = "/usr/bin/python3";

// Each paragraph's text (its w:t runs), one a line, in document order: table cells give one
// line per cell paragraph. Exits non-zero when the XML does not parse.
constexpr const char* kParagraphs = R"( -c '
import sys, zipfile, xml.etree.ElementTree as ET
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
root = ET.fromstring(zipfile.ZipFile(sys.argv[1]).read("word/document.xml"))
for p in root.iter(W + "p"):
    print("".join(t.text or "" for t in p.iter(W + "t")).replace("\n", " "))
')";

std::string fmt(double v, const std::string& lang = "vi", int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (lang != "en") std::replace(s.begin(), s.end(), '.', ',');
  return s;
}
std::string fmt(const nlohmann::json& v, const std::string& lang = "vi") {
  return v.is_number() ? fmt(v.get<double>(), lang) : "–";
}

class ReportDocumentTest : public DashboardTest {
 protected:
  void SetUp() override {
    DashboardTest::SetUp();
    post_fixture();
    load_procedures();
    // Around a year's end, for quarter I 2026: the quarter before is quarter IV 2025,
    // and quarter I 2025 is the same period a year earlier.
    std::string token = random_token();
    ASSERT_TRUE(store_->add_kiosk("k3", kUnit, token_hash(token), test_now()).is_ok());
    post_chain("k3", token,
               {likert(kUnit, "Q1", "A", "2025-02-10T02:00:00Z", ResponseStatus::complete,
                       {{"access.waiting_time", 2}, {"officer.polite", 5}}),
                likert(kUnit, "Q2", "B", "2025-12-20T02:00:00Z", ResponseStatus::complete,
                       {{"access.waiting_time", 4}, {"officer.polite", 2}, {"result.on_time", 5}},
                       {"long_wait"}),
                likert(kSubUnit, "Q3", "A", "2026-01-15T02:00:00Z", ResponseStatus::complete,
                       {{"access.waiting_time", 5}, {"officer.polite", 4}, {"officer.guidance", 1}},
                       {"unclear_guidance"},
                       std::string("Nói \"rõ\" <hơn> & nhanh 'hơn'\x01 nhé")),
                likert(kUnit, "Q1", "A", "2026-03-31T16:30:00Z", ResponseStatus::partial,
                       {{"access.waiting_time", 3}, {"officer.polite", 4}})});
    auto svc = service();
    ASSERT_TRUE(svc);
    ASSERT_TRUE(svc->rebuild().is_ok());
  }

  httplib::Result get(const std::string& target, const std::string& user = "province",
                      const std::string& password = "pw-province") {
    return get_as(user, password, target);
  }

  // The .docx of `query` saved to a file; its path.
  std::string docx(const std::string& query, const std::string& name) {
    auto r = get("/api/v1/reports?format=docx&" + query);
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), kDocxContentType);
    return save(r->body, name);
  }

  // Writes a document to the test's directory; SIPAS_TEST_KEEP_REPORTS=DIR keeps a copy there
  // too, to render and look at (scripts/render-report).
  std::string save(const std::string& bytes, const std::string& name) {
    std::string path = (dir_.path() / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    if (const char* keep = std::getenv("SIPAS_TEST_KEEP_REPORTS")) {
      std::ofstream(std::filesystem::path(keep) / name, std::ios::binary) << bytes;
    }
    return path;
  }

  static std::vector<std::string> paragraphs(const std::string& path) {
    int status = 0;
    std::string text = run(kPython + std::string(kParagraphs) + " '" + path + "'", &status);
    EXPECT_EQ(status, 0) << "word/document.xml does not parse";
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  // A part of the package ("" when absent); zipfile, as unzip reads "[...]" as a pattern.
  static std::string part(const std::string& path, const std::string& name) {
    return run(std::string(kPython) +
               " -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); n = sys.argv[2]; "
               "sys.stdout.buffer.write(z.read(n) if n in z.namelist() else b\"\")' '" +
               path + "' '" + name + "'");
  }

  nlohmann::json scores(const std::string& unit, const std::string& from, const std::string& to,
                        const std::string& lang = "vi") {
    auto r = get("/api/v1/scores?unit=" + unit + "&from=" + from + "&to=" + to + "&lang=" + lang);
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    return nlohmann::json::parse(r->body);
  }

  // Whether `seq` occurs in `lines` as consecutive lines.
  static bool has_run(const std::vector<std::string>& lines, const std::vector<std::string>& seq) {
    if (seq.empty() || lines.size() < seq.size()) return false;
    for (std::size_t i = 0; i + seq.size() <= lines.size(); ++i) {
      if (std::equal(seq.begin(), seq.end(), lines.begin() + static_cast<std::ptrdiff_t>(i))) return true;
    }
    return false;
  }
  static bool contains(const std::vector<std::string>& lines, const std::string& text) {
    for (const auto& l : lines) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }

  // An element's row of the elements table as the scores API gives it: this period, the period
  // before, a year earlier and the national figure.
  static std::vector<std::string> element_figures(const std::string& id, const nlohmann::json& now,
                                                  const nlohmann::json& prev,
                                                  const nlohmann::json& ago,
                                                  const std::string& lang = "vi") {
    auto index_in = [&](const nlohmann::json& s) -> nlohmann::json {
      for (const auto& x : s["elements"]) {
        if (x["id"] == id) return x["index"];
      }
      return nullptr;
    };
    const auto& national = now["national"]["elements_2023"];
    return {fmt(index_in(now), lang), fmt(index_in(prev), lang), fmt(index_in(ago), lang),
            fmt(national.contains(id) ? national[id] : nlohmann::json(), lang)};
  }

  // Every figure of the document against the scores API for the same unit and range.
  void expect_figures_match(const std::string& unit, const std::string& period,
                            const std::string& day, const std::string& period_words,
                            const std::string& year_ago_from, const std::string& year_ago_to,
                            const std::string& lang = "vi") {
    SCOPED_TRACE(unit + " " + period + " " + day + " " + lang);
    auto path = docx("unit=" + unit + "&period=" + period + "&day=" + day + "&lang=" + lang,
                     "r-" + unit + "-" + period + "-" + day + "-" + lang + ".docx");
    auto lines = paragraphs(path);
    ASSERT_FALSE(lines.empty());
    auto units = (*service()).units();
    ASSERT_TRUE(units.is_ok());
    DateRange range = period_containing(*parse_period_kind(period), *parse_date(day));
    auto now = scores(unit, format_date(range.from), format_date(range.to), lang);
    // The calendar period before (quarter I 2026 → quarter IV 2025).
    DateRange before = previous_period_range(parse_period_kind(period), range);
    auto prev = scores(unit, format_date(before.from), format_date(before.to), lang);
    auto ago = scores(unit, year_ago_from, year_ago_to, lang);
    const bool en = lang == "en";

    EXPECT_TRUE(contains(lines, now["unit_name"].get<std::string>())) << now["unit_name"];
    EXPECT_TRUE(contains(lines, period_words)) << period_words;
    const std::int64_t responses = now["responses"];
    if (responses > 0) {
      EXPECT_TRUE(contains(lines, std::to_string(responses) + (en ? " ratings (" : " phiếu (") +
                                      std::to_string(now["complete"].get<int>()) +
                                      (en ? " complete, " : " phiếu đầy đủ, ") +
                                      std::to_string(now["partial"].get<int>()) +
                                      (en ? " partial)" : " phiếu chưa đầy đủ)")));
      EXPECT_TRUE(contains(lines, (en ? "The overall satisfaction index is " : "Chỉ số hài lòng chung đạt ") +
                                      fmt(now["index"], lang) + "%"));
    }
    // The elements table: name, this period, previous, a year earlier, national.
    const auto& national = now["national"];
    for (std::size_t i = 0; i < now["elements"].size(); ++i) {
      const auto& e = now["elements"][i];
      if (!e["in_index"].get<bool>()) continue;
      std::string id = e["id"];
      std::vector<std::string> run = {e["name"].get<std::string>()};
      for (const auto& f : element_figures(id, now, prev, ago, lang)) run.push_back(f);
      EXPECT_TRUE(has_run(lines, run)) << id;
    }
    EXPECT_TRUE(has_run(lines, {en ? "Overall satisfaction index" : "Chỉ số hài lòng chung",
                                fmt(now["index"], lang), fmt(prev["index"], lang),
                                fmt(ago["index"], lang),
                                fmt(national["sipas"].back()["index"], lang)}));
    for (const auto& f : now["fix_first"]) {
      EXPECT_TRUE(has_run(lines, {f["text"].get<std::string>(), f["element_name"].get<std::string>(), fmt(f["index"], lang),
                                  std::to_string(f["n"].get<int>())}))
          << f.dump();
    }
    for (const auto& r : now["top_reasons"]) {
      EXPECT_TRUE(has_run(lines, {r["text"].get<std::string>(), std::to_string(r["count"].get<int>())})) << r.dump();
    }
    for (const auto& c : now["children"]) {
      EXPECT_TRUE(has_run(lines, {c["name"].get<std::string>(), std::to_string(c["responses"].get<int>()),
                                  fmt(c["index"], lang)}))
          << c.dump();
    }
  }
};

// The PDF of the same report: pdftotext -layout puts each table row's figures on one line (cells
// are top-aligned, so a name that wraps leaves its figures on the row's first line).
class ReportPdfTest : public ReportDocumentTest {
 protected:
  std::vector<std::string> pdf_lines(const std::string& query, const std::string& name) {
    auto r = get("/api/v1/reports?format=pdf&" + query);
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/pdf");
    EXPECT_EQ(r->body.rfind("%PDF-", 0), 0u);
    std::string path = save(r->body, name);
    int status = 0;
    std::string text = run("pdftotext -layout -enc UTF-8 '" + path + "' -", &status);
    EXPECT_EQ(status, 0) << "pdftotext failed";
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  // Whether one line holds `words` in this order, each as a whole word.
  static bool row(const std::vector<std::string>& lines, const std::vector<std::string>& words) {
    for (const auto& line : lines) {
      std::size_t at = 0;
      bool all = true;
      for (const auto& w : words) {
        std::size_t found = std::string::npos;
        for (std::size_t from = at; (from = line.find(w, from)) != std::string::npos; ++from) {
          bool before = from == 0 || line[from - 1] == ' ';
          bool after = from + w.size() == line.size() || line[from + w.size()] == ' ';
          if (before && after) {
            found = from;
            break;
          }
        }
        if (found == std::string::npos) {
          all = false;
          break;
        }
        at = found + w.size();
      }
      if (all) return true;
    }
    return false;
  }
  void expect_pdf_figures_match(const std::string& unit, const std::string& period,
                                const std::string& day, const std::string& period_words) {
    SCOPED_TRACE(unit + " " + period + " " + day);
    auto lines = pdf_lines("unit=" + unit + "&period=" + period + "&day=" + day,
                           "r-" + unit + "-" + period + "-" + day + ".pdf");
    ASSERT_FALSE(lines.empty());
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    DateRange range = period_containing(*parse_period_kind(period), *parse_date(day));
    DateRange before = previous_period_range(parse_period_kind(period), range);
    DateRange ago = year_ago_range(parse_period_kind(period), range);
    auto now = scores(unit, format_date(range.from), format_date(range.to));
    auto prev = scores(unit, format_date(before.from), format_date(before.to));
    auto back = scores(unit, format_date(ago.from), format_date(ago.to));
    EXPECT_NE(all.find(now["unit_name"].get<std::string>()), std::string::npos);
    EXPECT_NE(all.find(period_words), std::string::npos) << period_words;
    if (now["responses"].get<int>() > 0) {
      EXPECT_NE(all.find(std::to_string(now["responses"].get<int>()) + " phiếu (" +
                         std::to_string(now["complete"].get<int>()) + " phiếu đầy đủ, " +
                         std::to_string(now["partial"].get<int>()) + " phiếu chưa đầy đủ)"),
                std::string::npos);
    }
    const auto& national = now["national"];
    for (const auto& e : now["elements"]) {
      if (!e["in_index"].get<bool>()) continue;
      std::string id = e["id"];
      EXPECT_TRUE(row(lines, element_figures(id, now, prev, back))) << id;
    }
    EXPECT_TRUE(row(lines, {fmt(now["index"]), fmt(prev["index"]), fmt(back["index"]),
                            fmt(national["sipas"].back()["index"])}));
    for (const auto& f : now["fix_first"]) {
      EXPECT_TRUE(row(lines, {fmt(f["index"]), std::to_string(f["n"].get<int>())})) << f.dump();
    }
    for (const auto& r : now["top_reasons"]) {
      EXPECT_TRUE(row(lines, {std::to_string(r["count"].get<int>())})) << r.dump();
      EXPECT_NE(all.find(r["text"].get<std::string>()), std::string::npos) << r.dump();
    }
    for (const auto& c : now["children"]) {
      EXPECT_TRUE(row(lines, {std::to_string(c["responses"].get<int>()), fmt(c["index"])})) << c.dump();
    }
  }
};

TEST_F(ReportPdfTest, FiguresMatchTheScoresApiForAQuarterAndNineMonths) {
  expect_pdf_figures_match("22", "quarter", "2026-09-30", "quý III năm 2026");
  expect_pdf_figures_match(kUnit, "9m", "2026-09-30", "9 tháng năm 2026");
}

TEST_F(ReportPdfTest, FiguresMatchTheScoresApiAcrossAYearBoundary) {
  expect_pdf_figures_match(kUnit, "quarter", "2026-02-15", "quý I năm 2026");
}

TEST_F(ReportPdfTest, CommentsWithMarkupAndQuotesAreText) {
  auto lines = pdf_lines("unit=" + std::string(kUnit) + "&period=quarter&day=2026-02-15",
                         "comments.pdf");
  std::string all;
  for (const auto& l : lines) all += l + " ";
  EXPECT_NE(all.find("Nói \"rõ\" <hơn> & nhanh 'hơn' nhé"), std::string::npos);
}

TEST_F(ReportPdfTest, AUnitUserCannotDownloadAnotherUnitsPdf) {
  auto r = get("/api/v1/reports?unit=22&period=quarter&day=2026-09-30&format=pdf", "pvhcc",
               "pw-pvhcc");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
}

TEST_F(ReportDocumentTest, RecordedActionsReachTheReportOfThePeriodsTheyReachInto) {
  // An action recorded through the API appears in the report of the period it reaches into,
  // and not in the report of a period before it started.
  auto c = dash_client();
  c.set_basic_auth("province", "pw-province");
  auto added = c.Post("/api/v1/actions",
                      R"({"unit":")" + std::string(kUnit) +
                          R"(","criterion":"officer.polite","what":"Tập huấn giao tiếp",)"
                          R"("owner":"Anh Minh","start":"2026-01-01","deadline":"2026-02-28"})",
                      "application/json");
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 201) << added->body;
  auto lines = paragraphs(docx("unit=" + std::string(kUnit) + "&period=quarter&day=2026-02-15",
                               "recorded-actions.docx"));
  EXPECT_TRUE(contains(lines, "Tập huấn giao tiếp"));
  EXPECT_TRUE(contains(lines, "người phụ trách: Anh Minh"));
  // Its whole 8-week windows lie before the quarter's end, so the report's effect is the API's.
  auto listed = get("/api/v1/actions?unit=" + std::string(kUnit));
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->status, 200) << listed->body;
  auto actions = nlohmann::json::parse(listed->body)["actions"];
  ASSERT_EQ(actions.size(), 1u) << listed->body;
  EXPECT_TRUE(contains(lines, actions[0]["effect"]["sentence"].get<std::string>()))
      << actions[0].dump();
  auto earlier = paragraphs(docx("unit=" + std::string(kUnit) + "&period=quarter&day=2025-02-15",
                                 "earlier-actions.docx"));
  EXPECT_FALSE(contains(earlier, "Tập huấn giao tiếp"));
}

TEST_F(ReportDocumentTest, FiguresMatchTheScoresApiForAQuarter) {
  expect_figures_match("22", "quarter", "2026-09-30", "quý III năm 2026", "2025-07-01",
                       "2025-09-30");
}

TEST_F(ReportDocumentTest, FiguresMatchTheScoresApiForNineMonths) {
  expect_figures_match(kUnit, "9m", "2026-09-30", "9 tháng năm 2026", "2025-01-01", "2025-09-30");
}

TEST_F(ReportDocumentTest, FiguresMatchTheScoresApiAcrossAYearBoundary) {
  expect_figures_match(kUnit, "quarter", "2026-02-15", "quý I năm 2026", "2025-01-01",
                       "2025-03-31");
  // The quarter before is quarter IV 2025, where there are ratings.
  auto prev = scores(kUnit, "2025-10-01", "2025-12-31");
  EXPECT_EQ(prev["responses"], 1);
}

TEST_F(ReportDocumentTest, FiguresMatchTheScoresApiForAHalfYearAndAYearInEnglish) {
  expect_figures_match("22", "6m", "2026-03-01", "the first half of 2026", "2025-01-01",
                       "2025-06-30", "en");
  expect_figures_match(kOtherUnit, "year", "2026-09-30", "2026", "2025-01-01", "2025-12-31", "en");
}

TEST_F(ReportDocumentTest, HasTheAdministrativeReportLayout) {
  auto lines = paragraphs(docx("unit=22.PVHCC&period=quarter&day=2026-09-30", "layout.docx"));
  EXPECT_TRUE(has_run(lines, {"TỈNH QUẢNG NINH", "TRUNG TÂM PVHCC"}));
  EXPECT_TRUE(contains(lines, "Số: ....../BC-"));
  EXPECT_TRUE(has_run(lines, {"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"}));
  // The date line: the province without "Tỉnh", the dashboard clock's day in Hà Nội time.
  EXPECT_TRUE(contains(lines, "Quảng Ninh, ngày 18 tháng 11 năm 2026"));
  EXPECT_TRUE(has_run(lines, {"BÁO CÁO",
                              "Kết quả đo lường sự hài lòng của người dân, tổ chức quý III năm 2026"}));
  EXPECT_TRUE(has_run(lines, {"Nơi nhận:", "- Như trên;", "- Lưu: VT.", "THỦ TRƯỞNG ĐƠN VỊ",
                              "(Ký, ghi rõ họ tên và đóng dấu)"}));
  EXPECT_TRUE(contains(lines, "Chưa có giải pháp cải thiện nào được ghi nhận."));
}

TEST_F(ReportDocumentTest, PageIsA4WithTheDecreesMarginsAndNumbersFromPageTwo) {
  auto path = docx("unit=22&period=quarter&day=2026-09-30", "page.docx");
  std::string xml = part(path, "word/document.xml");
  EXPECT_NE(xml.find("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<w:pgMar w:top=\"1134\" w:right=\"850\" w:bottom=\"1134\" w:left=\"1701\""),
            std::string::npos);
  EXPECT_NE(xml.find("<w:titlePg/>"), std::string::npos);
  EXPECT_NE(part(path, "word/header1.xml").find(" PAGE "), std::string::npos);
  EXPECT_EQ(part(path, "word/header2.xml").find("PAGE"), std::string::npos);
  std::string styles = part(path, "word/styles.xml");
  EXPECT_NE(styles.find("w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:cs=\"Times New "
                        "Roman\" w:eastAsia=\"Times New Roman\""),
            std::string::npos);
  EXPECT_NE(styles.find("<w:sz w:val=\"28\"/>"), std::string::npos);  // 14 pt
}

TEST_F(ReportDocumentTest, ChartIsAPngOfTheStatedSize) {
  auto path = docx("unit=22&period=quarter&day=2026-09-30", "chart.docx");
  std::string png = part(path, "word/media/image1.png");
  ASSERT_GE(png.size(), 24u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(png[at]) << 24) | (static_cast<unsigned char>(png[at + 1]) << 16) |
           (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]);
  };
  EXPECT_EQ(be32(16), 1600);
  EXPECT_EQ(be32(20), 900);
  // 16 cm wide, 9 cm high, in EMU.
  EXPECT_NE(part(path, "word/document.xml").find("<wp:extent cx=\"5760000\" cy=\"3240000\"/>"),
            std::string::npos);
  EXPECT_NE(part(path, "[Content_Types].xml").find("Extension=\"png\""), std::string::npos);
  EXPECT_NE(part(path, "word/_rels/document.xml.rels").find("media/image1.png"), std::string::npos);
}

TEST_F(ReportDocumentTest, CommentsWithMarkupAndQuotesAreText) {
  auto lines = paragraphs(docx("unit=22.PVHCC&period=quarter&day=2026-01-20", "comments.docx"));
  // The control character is left out; the rest is the citizen's text as written.
  EXPECT_TRUE(contains(lines, "Nói \"rõ\" <hơn> & nhanh 'hơn' nhé"));
  auto q3 = paragraphs(docx("unit=22&period=quarter&day=2026-09-30", "comments-q3.docx"));
  EXPECT_TRUE(contains(q3, "<script>alert('x')</script> & chờ lâu"));
}

TEST_F(ReportDocumentTest, OpensWithPythonDocx) {
  auto path = docx("unit=22&period=9m&day=2026-09-30", "python-docx.docx");
  int status = 0;
  std::string out = run(kPython + std::string(R"( -c '
import docx, sys
d = docx.Document(sys.argv[1])
print("\n".join(p.text for p in d.paragraphs))
for t in d.tables:
    for r in t.rows:
        for c in r.cells:
            print(c.text)
s = d.sections[0]
print("page %.2f %.2f %.2f %.2f %.2f %.2f" % (s.page_width.cm, s.page_height.cm, s.top_margin.cm, s.bottom_margin.cm, s.left_margin.cm, s.right_margin.cm))
print("tables", len(d.tables), "images", len(d.inline_shapes))
' ')") + path + "'", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("BÁO CÁO"), std::string::npos);
  EXPECT_NE(out.find("Kết quả đo lường sự hài lòng của người dân, tổ chức 9 tháng năm 2026"),
            std::string::npos);
  EXPECT_NE(out.find("TỈNH QUẢNG NINH"), std::string::npos);
  EXPECT_NE(out.find("page 21.00 29.70 2.00 2.00 3.00 1.50"), std::string::npos) << out;
  EXPECT_NE(out.find("images 1"), std::string::npos) << out;
}

TEST_F(ReportDocumentTest, EnglishOnRequest) {
  auto r = get("/api/v1/reports?unit=22&period=quarter&day=2026-09-30&format=docx&lang=en");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Disposition"),
            "attachment; filename=\"sipas-bao-cao-22-2026-q3.docx\"");
  std::string path = save(r->body, "en.docx");
  auto lines = paragraphs(path);
  EXPECT_TRUE(has_run(lines, {"REPORT", "Results of measuring the satisfaction of citizens and "
                                        "organisations, Q3 2026"}));
  EXPECT_TRUE(contains(lines, "Quảng Ninh, 18 November 2026"));
  EXPECT_TRUE(contains(lines, "HEAD OF UNIT"));
  EXPECT_NE(part(path, "word/styles.xml").find("w:val=\"en-GB\""), std::string::npos);
}

TEST_F(ReportDocumentTest, EmptyPeriodSaysSoInWords) {
  auto path = docx("unit=22.SO-TP&period=quarter&day=2026-03-01", "empty.docx");
  auto lines = paragraphs(path);
  EXPECT_TRUE(contains(lines, "Trong kỳ chưa có phiếu đánh giá nào."));
  EXPECT_TRUE(contains(lines, "Trong kỳ không có ý kiến nào."));
  EXPECT_TRUE(contains(lines, "Không có đơn vị trực thuộc có phiếu đánh giá trong kỳ."));
  EXPECT_FALSE(contains(lines, "Chỉ số hài lòng theo từng yếu tố (%):"));
  EXPECT_TRUE(contains(lines, "cùng kỳ năm trước (01/01/2025 – 31/03/2025): chưa có số liệu"));
  EXPECT_EQ(part(path, "word/media/image1.png"), "");  // no chart of nothing
}

TEST_F(ReportDocumentTest, AUnitUserCannotDownloadAnotherUnitsReport) {
  auto other = get("/api/v1/reports?unit=22.SO-TP&period=quarter&day=2026-09-30&format=docx",
                   "pvhcc", "pw-pvhcc");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);
  auto own = get("/api/v1/reports?unit=22.PVHCC.Q1&period=quarter&day=2026-09-30&format=docx",
                 "pvhcc", "pw-pvhcc");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200);
}

TEST_F(ReportDocumentTest, BadFormatOrPeriodIsRefusedByName) {
  auto format = get("/api/v1/reports?unit=22&period=quarter&day=2026-09-30&format=odt");
  ASSERT_TRUE(format);
  EXPECT_EQ(format->status, 400);
  EXPECT_NE(format->body.find("format must be"), std::string::npos);
  auto day = get("/api/v1/reports?unit=22&period=quarter&day=2026-13-01&format=docx");
  ASSERT_TRUE(day);
  EXPECT_EQ(day->status, 400);
  EXPECT_NE(day->body.find("date"), std::string::npos);
}

TEST_F(ReportDocumentTest, CliWritesTheSameDocument) {
  std::string out = (dir_.path() / "cli.docx").string();
  int status = 0;
  std::string printed = run(std::string(SIPAS_SERVER_BINARY) + " report --db '" + db_path_ +
                                "' --unit 22 --period 9m --day 2026-09-30 --format docx --out '" +
                                out + "' 2>&1",
                            &status);
  ASSERT_EQ(status, 0) << printed;
  auto cli = paragraphs(out);
  auto api = paragraphs(docx("unit=22&period=9m&day=2026-09-30", "api.docx"));
  ASSERT_EQ(cli.size(), api.size());
  for (std::size_t i = 0; i < cli.size(); ++i) {
    // The date line is the day each was made.
    if (api[i].find(", ngày ") != std::string::npos) continue;
    EXPECT_EQ(cli[i], api[i]) << i;
  }
  std::string bad = run(std::string(SIPAS_SERVER_BINARY) + " report --db '" + db_path_ +
                            "' --unit 22 --period fortnight --out '" + out + "' 2>&1",
                        &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(bad.find("--period must be"), std::string::npos) << bad;
}

TEST_F(ReportDocumentTest, UnitPageOffersTheReportForItsPeriod) {
  auto r = get("/?unit=22.PVHCC&period=9m&date=2026-09-30");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("id=\"report-docx\""), std::string::npos);
  EXPECT_NE(r->body.find("name=\"format\" value=\"pdf\""), std::string::npos);
  EXPECT_NE(r->body.find("<option value=\"9m\" selected>"), std::string::npos);
  EXPECT_NE(r->body.find("name=\"day\" value=\"2026-09-30\""), std::string::npos);
  EXPECT_NE(r->body.find("Tải Word (.docx)"), std::string::npos);
}

// What Word users see, as far as this machine can tell: LibreOffice opens the file and lays it
// out on A4 pages numbered from the second (scripts/render-report; skipped without LibreOffice).
TEST_F(ReportDocumentTest, RendersWithLibreOfficeWhenInstalled) {
  if (run("command -v soffice || command -v libreoffice").empty()) {
    GTEST_SKIP() << "LibreOffice (soffice) is not installed";
  }
  auto path = docx("unit=22&period=quarter&day=2026-09-30", "render.docx");
  std::string out_dir = (dir_.path() / "render").string();
  int status = 0;
  std::string printed = run("bash '" + std::string(SIPAS_SOURCE_DIR) + "/scripts/render-report' '" +
                                path + "' '" + out_dir + "' 2>&1",
                            &status);
  ASSERT_EQ(status, 0) << printed;
  std::string pdf = out_dir + "/render.pdf";
  std::string info = run("pdfinfo '" + pdf + "'");
  EXPECT_NE(info.find("pts (A4)"), std::string::npos) << info;
  std::string first = run("pdftotext -f 1 -l 1 -layout '" + pdf + "' -");
  EXPECT_NE(first.find("BÁO CÁO"), std::string::npos) << first;
  EXPECT_NE(first.find("quý III năm 2026"), std::string::npos) << first;
  EXPECT_NE(first.find("61,11"), std::string::npos) << first;
  // The page number heads page 2 and not page 1.
  auto first_line = [](const std::string& text) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      auto b = line.find_first_not_of(" \f");
      if (b != std::string::npos) return line.substr(b, line.find_last_not_of(' ') - b + 1);
    }
    return std::string();
  };
  EXPECT_EQ(first_line(run("pdftotext -f 2 -l 2 -layout '" + pdf + "' -")), "2");
  EXPECT_NE(first_line(first), "1");
  EXPECT_FALSE(run("ls '" + out_dir + "'/render-1.png").empty());
}

// The actions section renders the views it is given (action_views() of actions.hpp in the server).
TEST_F(ReportDocumentTest, ActionsAreListedWithTheirEffect) {
  ActionView improved;
  improved.action.unit = kUnit;
  improved.action.element = "officer";
  improved.action.criterion = "officer.guidance";
  improved.action.what = "Checklist <A4> & mẫu hồ sơ tại quầy";
  improved.action.owner = "Chị Lan";
  improved.action.start = *parse_date("2026-08-01");
  improved.action.deadline = *parse_date("2026-09-30");
  improved.action.status = ActionStatus::done;
  improved.unit_name = "Trung tâm PVHCC";
  improved.target_text = "Hướng dẫn rõ ràng";
  improved.effect.before = {{*parse_date("2026-06-06"), *parse_date("2026-07-31")}, 50, 30, 60.0};
  improved.effect.after = {{*parse_date("2026-08-01"), *parse_date("2026-09-25")}, 50, 40, 80.0};
  improved.effect.difference = 20.0;
  improved.effect.low = 2.5;
  improved.effect.high = 37.5;
  improved.effect.verdict = EffectVerdict::improved;
  ActionView late = improved;
  late.action.what = "Thêm ghế chờ";
  late.action.status = ActionStatus::in_progress;
  late.overdue = true;
  late.effect = ActionEffect{};
  late.effect.verdict = EffectVerdict::too_little_data;

  auto svc = service();
  ASSERT_TRUE(svc);
  ReportDocumentRequest rq;
  rq.unit = kUnit;
  rq.period = PeriodKind::quarter;
  rq.range = period_containing(PeriodKind::quarter, *parse_date("2026-09-30"));
  rq.now = test_now();
  auto document = build_report_document(*svc, rq, {improved, late});
  ASSERT_TRUE(document.is_ok()) << document.status().message();
  auto bytes = to_docx(*document);
  ASSERT_TRUE(bytes.is_ok());
  auto lines = paragraphs(save(*bytes, "actions.docx"));
  EXPECT_TRUE(has_run(lines, {"1", "Checklist <A4> & mẫu hồ sơ tại quầy",
                              "Nhằm cải thiện: Hướng dẫn rõ ràng",
                              "Trung tâm PVHCC; người phụ trách: Chị Lan",
                              "01/08/2026 – 30/09/2026; đã hoàn thành",
                              "Trước: 60,00% (n = 50); Sau: 80,00% (n = 50). " +
                                  effect_sentence(improved.effect, "vi")}));
  EXPECT_TRUE(contains(lines, "(khoảng tin cậy 95 %: từ 2,5 đến 37,5), lớn hơn mức ngẫu nhiên."));
  EXPECT_TRUE(contains(lines, "đang thực hiện (quá hạn)"));
  EXPECT_TRUE(contains(lines, effect_sentence(late.effect, "vi")));
  EXPECT_FALSE(contains(lines, "Chưa có giải pháp cải thiện nào được ghi nhận."));
}

TEST_F(ReportDocumentTest, AFromToRangeIsTitledWithItsDates) {
  auto r = get("/api/v1/reports?unit=22&from=2026-09-15&to=2026-10-01&format=docx");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Disposition"),
            "attachment; filename=\"sipas-bao-cao-22-2026-09-15-2026-10-01.docx\"");
  auto lines = paragraphs(save(r->body, "range.docx"));
  EXPECT_TRUE(contains(lines, "Kết quả đo lường sự hài lòng của người dân, tổ chức từ ngày "
                              "15/09/2026 đến ngày 01/10/2026"));
  auto now = scores("22", "2026-09-15", "2026-10-01");
  EXPECT_TRUE(contains(lines, "Chỉ số hài lòng chung đạt " + fmt(now["index"]) + "%"));
  // A year back, date for date.
  auto ago = scores("22", "2025-09-15", "2025-10-01");
  EXPECT_TRUE(contains(lines, "cùng kỳ năm trước (15/09/2025 – 01/10/2025): " +
                                  (ago["index"].is_number() ? fmt(ago["index"]) + "%"
                                                            : std::string("chưa có số liệu"))));
}

TEST(ReportPeriodWords, NameEveryPeriodInBothLanguages) {
  auto words = [](PeriodKind k, const char* day, const char* lang) {
    return report_period_words(k, period_containing(k, *parse_date(day)), lang);
  };
  EXPECT_EQ(words(PeriodKind::quarter, "2026-08-01", "vi"), "quý III năm 2026");
  EXPECT_EQ(words(PeriodKind::quarter, "2026-11-01", "en"), "Q4 2026");
  EXPECT_EQ(words(PeriodKind::half_year, "2026-03-01", "vi"), "6 tháng đầu năm 2026");
  EXPECT_EQ(words(PeriodKind::half_year, "2026-08-01", "vi"), "6 tháng cuối năm 2026");
  EXPECT_EQ(words(PeriodKind::nine_months, "2026-08-01", "vi"), "9 tháng năm 2026");
  EXPECT_EQ(words(PeriodKind::nine_months, "2026-08-01", "en"), "the first nine months of 2026");
  EXPECT_EQ(words(PeriodKind::year, "2026-08-01", "vi"), "năm 2026");
  EXPECT_EQ(words(PeriodKind::month, "2026-02-10", "vi"), "tháng 2 năm 2026");
  EXPECT_EQ(report_period_words(std::nullopt, {*parse_date("2026-02-01"), *parse_date("2026-03-15")}, "vi"),
            "từ ngày 01/02/2026 đến ngày 15/03/2026");
}

TEST(ReportPeriodWords, ThePeriodBeforeIsTheCalendarPeriodBefore) {
  auto before = [](std::optional<PeriodKind> k, const char* from, const char* to) {
    DateRange r = previous_period_range(k, DateRange{*parse_date(from), *parse_date(to)});
    return format_date(r.from) + " " + format_date(r.to);
  };
  EXPECT_EQ(before(PeriodKind::quarter, "2026-01-01", "2026-03-31"), "2025-10-01 2025-12-31");
  EXPECT_EQ(before(PeriodKind::quarter, "2026-07-01", "2026-09-30"), "2026-04-01 2026-06-30");
  EXPECT_EQ(before(PeriodKind::half_year, "2026-01-01", "2026-06-30"), "2025-07-01 2025-12-31");
  EXPECT_EQ(before(PeriodKind::nine_months, "2026-01-01", "2026-09-30"), "2025-04-01 2025-12-31");
  EXPECT_EQ(before(PeriodKind::year, "2026-01-01", "2026-12-31"), "2025-01-01 2025-12-31");
  EXPECT_EQ(before(PeriodKind::month, "2024-03-01", "2024-03-31"), "2024-02-01 2024-02-29");
  EXPECT_EQ(before(std::nullopt, "2026-03-10", "2026-03-19"), "2026-02-28 2026-03-09");
}

TEST(ReportPeriodWords, AYearEarlierKeepsThePeriodAndMovesLeapDays) {
  auto q1 = period_containing(PeriodKind::quarter, *parse_date("2026-02-15"));
  auto ago = year_ago_range(PeriodKind::quarter, q1);
  EXPECT_EQ(format_date(ago.from), "2025-01-01");
  EXPECT_EQ(format_date(ago.to), "2025-03-31");
  auto leap = year_ago_range(std::nullopt, {*parse_date("2028-02-29"), *parse_date("2028-03-01")});
  EXPECT_EQ(format_date(leap.from), "2027-02-28");
  EXPECT_EQ(format_date(leap.to), "2027-03-01");
  EXPECT_EQ(report_file_name("22/x y", PeriodKind::nine_months, q1, "docx"),
            "sipas-bao-cao-22_x_y-2026-9m.docx");
}

// The writer on its own: forbidden characters and malformed UTF-8 are left out, markup escaped.
TEST(DocxWriter, EscapesTextAndDropsWhatXmlForbids) {
  doc::Document d;
  doc::Paragraph p;
  p.runs.push_back({"a\x01" "b\xff" "c <&> \"q\" 'x'\nline two\xEF\xBF\xBE", true, false, false, 0});
  d.blocks.push_back(p);
  auto bytes = to_docx(d);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().message();
  TempDir dir;
  std::string path = (dir.path() / "w.docx").string();
  std::ofstream(path, std::ios::binary) << *bytes;
  std::string xml = run("unzip -p '" + path + "' word/document.xml");
  EXPECT_NE(xml.find("<w:t xml:space=\"preserve\">abc &lt;&amp;&gt; &quot;q&quot; &apos;x&apos;</w:t><w:br/>"
                     "<w:t xml:space=\"preserve\">line two</w:t>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<w:b/>"), std::string::npos);
}

}  // namespace
}  // namespace sipas::test
