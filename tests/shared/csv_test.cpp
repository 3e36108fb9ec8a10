// CsvWriter's rules, shared by the kiosk's staff export and the server's exports: the BOM and CRLF,
// RFC 4180 quoting, and the spreadsheet-formula guard on every text cell but not on numbers.
#include "sipas/csv.hpp"

#include <gtest/gtest.h>

namespace sipas {
namespace {

const std::string kBom = "\xEF\xBB\xBF";

TEST(CsvWriter, StartsWithABomAndEndsRowsWithCrLf) {
  CsvWriter csv;
  EXPECT_EQ(csv.str(), kBom);
  csv.text_cell("a");
  csv.text_cell("b");
  csv.end_row();
  csv.end_row();
  csv.text_cell("Cán bộ");
  csv.end_row();
  EXPECT_EQ(csv.take(), kBom + "a,b\r\n\r\nCán bộ\r\n");
}

TEST(CsvWriter, QuotesCommasQuotesLineBreaksAndEdgeSpaces) {
  EXPECT_EQ(csv_cell("plain"), "plain");
  EXPECT_EQ(csv_cell(""), "");
  EXPECT_EQ(csv_cell("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_cell("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_cell("two\r\nlines"), "\"two\r\nlines\"");
  EXPECT_EQ(csv_cell(" padded"), "\" padded\"");
  EXPECT_EQ(csv_cell("padded "), "\"padded \"");
  EXPECT_EQ(csv_cell("in side"), "in side");
  EXPECT_EQ(csv_cell("long_wait;officer_attitude"), "long_wait;officer_attitude");
}

TEST(CsvWriter, TextThatStartsLikeAFormulaGetsAnApostrophe) {
  EXPECT_EQ(csv_cell("=1+1"), "'=1+1");
  EXPECT_EQ(csv_cell("+84912345678"), "'+84912345678");
  EXPECT_EQ(csv_cell("-2+3"), "'-2+3");
  EXPECT_EQ(csv_cell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_cell("\t=1+1"), "'\t=1+1");
  EXPECT_EQ(csv_cell("\r=1+1"), "\"'\r=1+1\"");
  EXPECT_EQ(csv_cell("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
  EXPECT_EQ(csv_cell("a=1"), "a=1");
  EXPECT_EQ(csv_cell(" =1"), "\" =1\"");
}

TEST(CsvWriter, TheGuardIsIdempotent) {
  EXPECT_EQ(formula_guarded("=1+1"), "'=1+1");
  EXPECT_EQ(formula_guarded(formula_guarded("=1+1")), "'=1+1");
  EXPECT_EQ(csv_cell(formula_guarded("-x")), "'-x");
  EXPECT_EQ(formula_guarded("ok"), "ok");
  EXPECT_EQ(formula_guarded(""), "");
}

TEST(CsvWriter, NumbersKeepTheirSignAndAreNotGuarded) {
  CsvWriter csv;
  csv.number_cell(std::int64_t{-3});
  csv.number_cell("-1.50");
  csv.number_cell("61.11");
  csv.number_cell(std::int64_t{17});
  csv.text_cell("-3");
  csv.end_row();
  EXPECT_EQ(csv.str(), kBom + "-3,-1.50,61.11,17,'-3\r\n");
}

TEST(CsvWriter, ANumberCellThatIsNotANumberIsGuardedText) {
  CsvWriter csv;
  csv.number_cell("=1+1");
  csv.number_cell("-nan");
  csv.number_cell("1,5");
  csv.number_cell("-");
  csv.number_cell("");
  csv.end_row();
  EXPECT_EQ(csv.str(), kBom + "'=1+1,'-nan,\"1,5\",'-,\r\n");
}

}  // namespace
}  // namespace sipas
