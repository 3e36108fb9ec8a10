#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "command_output.hpp"
#include "csv_reader.hpp"
#include "dashboard_test_support.hpp"
#include "sipas/csv.hpp"
#include "sipas/server/reports.hpp"

namespace sipas::test {
namespace {

std::string run(const std::string& command, int* status = nullptr) {
  return command_output(command, status);
}

class ReportsTest : public DashboardTest {
 protected:
  void SetUp() override {
    DashboardTest::SetUp();
    post_fixture();
    load_procedures();
    auto svc = service();
    ASSERT_TRUE(svc);
    ASSERT_TRUE(svc->rebuild().is_ok());
  }
  std::string download(const std::string& target) {
    auto r = get_as("province", "pw-province", target);
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 200) << r->body;
    return r->body;
  }
  // The rows of the CSV section whose title line is "# title".
  static std::vector<std::vector<std::string>> section(
      const std::vector<std::vector<std::string>>& rows, const std::string& title) {
    std::vector<std::vector<std::string>> out;
    bool in = false;
    for (const auto& r : rows) {
      if (r.size() == 1 && r[0].rfind("# ", 0) == 0) {
        in = r[0] == "# " + title;
        continue;
      }
      if (in && !(r.size() == 1 && r[0].empty())) out.push_back(r);
    }
    return out;
  }
};

TEST_F(ReportsTest, ReportCsvHasBomAndParsesBack) {
  std::string csv = download("/api/v1/reports?unit=22&period=quarter&date=2026-09-30&format=csv");
  ASSERT_GE(csv.size(), 3u);
  EXPECT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  auto rows = parse_csv(csv.substr(3));
  auto summary = section(rows, "Tổng hợp");
  ASSERT_GE(summary.size(), 8u);
  EXPECT_EQ(summary[1][1], "Tỉnh Quảng Ninh (22)");
  EXPECT_EQ(summary[4][0], "Số phiếu");
  EXPECT_EQ(summary[4][1], "5");
  EXPECT_EQ(summary[7][1], "61.11");
  auto criteria = section(rows, "Tiêu chí");
  bool found = false;
  for (const auto& r : criteria) {
    if (r.size() > 5 && r[1] == "officer.polite") {
      found = true;
      EXPECT_EQ(r[3], "33.33");
      EXPECT_EQ(r[5], "3");
    }
  }
  EXPECT_TRUE(found);
  auto counters = section(rows, "Quầy");
  EXPECT_GE(counters.size(), 4u);  // header + Q1, Q2, Q3, S1
  auto units = section(rows, "Đơn vị trực thuộc");
  ASSERT_GE(units.size(), 3u);
  EXPECT_EQ(units[1][1], "22.PVHCC");
  auto comments = section(rows, "Ý kiến");
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_EQ(comments[1][5], "<script>alert('x')</script> & chờ lâu");
  EXPECT_EQ(comments[1][4], "Hướng dẫn không rõ ràng, khó hiểu");
  EXPECT_FALSE(section(rows, "Mẫu 01").empty());
}

// Raw exports are sent as they are read (chunked), not built whole in memory first.
TEST_F(ReportsTest, RawExportsAreStreamedInPieces) {
  for (const char* format : {"csv", "xlsx"}) {
    auto r = get_as("province", "pw-province",
                    std::string("/api/v1/reports?unit=22&from=2026-09-30&to=2026-10-01&kind=raw&format=") +
                        format);
    ASSERT_TRUE(r) << format;
    EXPECT_EQ(r->status, 200) << format;
    EXPECT_EQ(r->get_header_value("Transfer-Encoding"), "chunked") << format;
    EXPECT_FALSE(r->has_header("Content-Length")) << format;
  }
}

TEST_F(ReportsTest, RawCsvListsEveryResponseOfTheRange) {
  std::string csv = download("/api/v1/reports?unit=22&from=2026-09-30&to=2026-10-01&format=csv&kind=raw");
  auto rows = parse_csv(csv.substr(3));
  ASSERT_EQ(rows.size(), 1u + 1u + 3u);  // title, header, R4 R1 R2
  const auto& header = rows[1];
  auto col = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  ASSERT_LT(col("officer.polite"), header.size());
  EXPECT_EQ(rows[2][col("unit")], "22.SO-TP");
  EXPECT_EQ(rows[3][col("local_day")], "2026-09-30");
  EXPECT_EQ(rows[4][col("local_day")], "2026-10-01");
  EXPECT_EQ(rows[4][col("status")], "partial");
  EXPECT_EQ(rows[4][col("officer.polite")], "5");
}

TEST_F(ReportsTest, ReportCsvHasAProceduresSection) {
  std::string csv = download("/api/v1/reports?unit=22&period=quarter&date=2026-09-30&format=csv");
  auto rows = parse_csv(csv.substr(3));
  auto procedures = section(rows, "Thủ tục hành chính");
  ASSERT_EQ(procedures.size(), 4u);  // header, none (R4 and the Mẫu 01), 1.001193 (R1), 2.002154
  EXPECT_EQ(procedures[0][0], "Mã thủ tục");
  EXPECT_EQ(procedures[0][1], "Tên thủ tục");
  EXPECT_EQ(procedures[0][2], "Số phiếu");
  EXPECT_EQ(procedures[1][0], "(không ghi)");
  EXPECT_EQ(procedures[1][2], "3");
  EXPECT_EQ(procedures[1][3], "0.00");
  EXPECT_EQ(procedures[2][0], "1.001193");
  EXPECT_EQ(procedures[2][1], "Đăng ký khai sinh");
  EXPECT_EQ(procedures[2][2], "1");
  EXPECT_EQ(procedures[2][3], "75.00");  // R1 alone in the quarter: access 100, officer 50
  EXPECT_EQ(procedures[3][0], "2.002154");
  EXPECT_EQ(procedures[3][1], "");
  EXPECT_EQ(procedures[3][3], "66.67");
}

TEST_F(ReportsTest, ReportXlsxHasAProceduresSheet) {
  std::string xlsx =
      download("/api/v1/reports?unit=22&period=quarter&date=2026-09-30&format=xlsx&lang=en");
  std::string path = (dir_.path() / "report-en.xlsx").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << xlsx;
  }
  std::string workbook = run("unzip -p '" + path + "' xl/workbook.xml");
  EXPECT_NE(workbook.find("name=\"Procedures\""), std::string::npos) << workbook;
  std::string strings = run("unzip -p '" + path + "' xl/sharedStrings.xml");
  EXPECT_NE(strings.find("Birth registration"), std::string::npos);
  EXPECT_NE(strings.find("Procedure code"), std::string::npos);
}

TEST_F(ReportsTest, RawExportHasAProcedureColumn) {
  std::string csv = download("/api/v1/reports?unit=22&from=2026-09-30&to=2026-10-01&format=csv&kind=raw");
  auto rows = parse_csv(csv.substr(3));
  ASSERT_EQ(rows.size(), 1u + 1u + 3u);  // title, header, R4 R1 R2
  const auto& header = rows[1];
  auto col = static_cast<std::size_t>(std::find(header.begin(), header.end(), "procedure") -
                                      header.begin());
  ASSERT_LT(col, header.size());
  EXPECT_EQ(rows[2][col], "");
  EXPECT_EQ(rows[3][col], "1.001193");
  EXPECT_EQ(rows[4][col], "1.001193");
}

TEST_F(ReportsTest, FormulaLikeCitizenTextStaysText) {
  EXPECT_EQ(csv_cell("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  std::vector<Table> t{{"x", {{Cell("=1+1")}}}};
  Report r;
  r.scores.unit = "u";
  r.scores.unit_name = "U";
  CommentRow c;
  c.text = "=HYPERLINK(\"http://x\")";
  r.comments.push_back(c);
  auto svc = service();
  auto tables = report_tables(r, *svc);
  std::string csv = to_csv(tables);
  EXPECT_NE(csv.find("'=HYPERLINK"), std::string::npos);
}

// Every text cell of the raw export is guarded, whatever column it is in.
TEST_F(ReportsTest, RawCsvGuardsEveryTextColumn) {
  RawRow r;
  r.id = "=id";
  r.kiosk_id = "=kiosk";
  r.unit = "=unit";
  r.counter = "=counter";
  r.procedure = "=procedure";
  r.survey_id = "=survey";
  r.language = "=HYPERLINK(\"http://x\")";
  r.submitted_at = "@time";
  r.local_day = "+day";
  r.status = "-status";
  auto svc = service();
  CsvRows rows;
  rows.row(raw_header(svc->criterion_ids()));
  rows.row(raw_row(r, svc->criterion_ids()));
  std::string csv = rows.take();
  for (const char* cell : {"'=id", "'=kiosk", "'=unit", "'=counter", "'=procedure", "'=survey",
                           "\"'=HYPERLINK(\"\"http://x\"\")\"", "'@time", "'+day", "'-status"}) {
    EXPECT_NE(csv.find(cell), std::string::npos) << cell << " in " << csv;
  }
}

TEST_F(ReportsTest, ReportXlsxUnzipsIntoReadableSheets) {
  std::string xlsx = download("/api/v1/reports?unit=22&period=quarter&date=2026-09-30&format=xlsx");
  ASSERT_GT(xlsx.size(), 100u);
  EXPECT_EQ(xlsx.substr(0, 2), "PK");
  std::string path = (dir_.path() / "report.xlsx").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << xlsx;
  }
  std::string workbook = run("unzip -p '" + path + "' xl/workbook.xml");
  EXPECT_NE(workbook.find("name=\"Tổng hợp\""), std::string::npos) << workbook;
  EXPECT_NE(workbook.find("name=\"Ý kiến\""), std::string::npos);
  std::string strings = run("unzip -p '" + path + "' xl/sharedStrings.xml");
  EXPECT_NE(strings.find("Tỉnh Quảng Ninh (22)"), std::string::npos);
  EXPECT_NE(strings.find("&lt;script&gt;alert('x')&lt;/script&gt; &amp; chờ lâu"), std::string::npos);
  std::string sheet1 = run("unzip -p '" + path + "' xl/worksheets/sheet1.xml");
  // The responses count (5) and the index (61.11...) are numeric cells.
  EXPECT_NE(sheet1.find("<v>5</v>"), std::string::npos) << sheet1;
  EXPECT_NE(sheet1.find("<v>61.11"), std::string::npos) << sheet1;
}

TEST_F(ReportsTest, RawXlsxHasOneRowPerResponse) {
  std::string xlsx = download("/api/v1/reports?unit=22&from=2026-09-30&to=2026-10-01&format=xlsx&kind=raw");
  std::string path = (dir_.path() / "raw.xlsx").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << xlsx;
  }
  std::string sheet = run("unzip -p '" + path + "' xl/worksheets/sheet1.xml");
  std::size_t rows = 0;
  for (std::size_t p = sheet.find("<row "); p != std::string::npos; p = sheet.find("<row ", p + 1)) ++rows;
  EXPECT_EQ(rows, 4u);  // header + 3
}

}  // namespace
}  // namespace sipas::test
