// The PDF writer, read back with poppler-utils (pdftotext, pdfinfo, pdffonts, pdfimages) as a
// reader of the published report would see it.
#include <cairo.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "command_output.hpp"
#include "sipas/files.hpp"
#include "sipas/server/document_pdf.hpp"
#include "temp_dir.hpp"

namespace sipas::test {
namespace {

using namespace sipas::doc;

const char* const kTitle = "Kết quả đo lường sự hài lòng của người dân, tổ chức quý III năm 2026";

std::string run(const std::string& command, int* status = nullptr) {
  return command_output(command, status);
}

// Runs of blanks (justified lines, -layout's columns) and line ends as one space.
std::string squeeze(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool blank = c == ' ' || c == '\n' || c == '\t' || c == '\f';
    if (blank) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \f\t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \f\t") - b + 1);
}

Paragraph para(std::string text, Align align = Align::justify, bool bold = false) {
  Paragraph p;
  p.runs.push_back(Run{std::move(text), bold});
  p.align = align;
  return p;
}

Cell cell(std::string text, Align align = Align::left, bool bold = false) {
  Paragraph p = para(std::move(text), align, bold);
  p.space_after_pt = 0;
  Cell c;
  c.paragraphs.push_back(std::move(p));
  return c;
}

cairo_status_t append_png(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// A bar chart's worth of PNG: 300 × 150 pixels, drawn here with cairo.
Image chart() {
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 300, 150);
  cairo_t* cr = cairo_create(s);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_set_source_rgb(cr, 0.2, 0.4, 0.7);
  for (int i = 0; i < 5; ++i) cairo_rectangle(cr, 20 + i * 55, 140 - 20 * (i + 2), 40, 20 * (i + 2));
  cairo_fill(cr);
  cairo_destroy(cr);
  Image image;
  cairo_surface_write_to_png_stream(s, append_png, &image.png);
  cairo_surface_destroy(s);
  image.width_px = 300;
  image.height_px = 150;
  image.width_cm = 12;
  image.description = "Biểu đồ các yếu tố";
  return image;
}

// The heading block of an administrative report: two columns, no rules.
Table heading_block() {
  Table t;
  t.column_widths_cm = {6.0, 10.5};
  t.borders = false;
  Cell left = cell("ỦY BAN NHÂN DÂN\nTỈNH HÀ GIANG", Align::center);
  Paragraph office = para("SỞ NỘI VỤ", Align::center, true);
  office.space_after_pt = 0;
  left.paragraphs.push_back(office);
  Cell right = cell("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", Align::center, true);
  Paragraph motto = para("Độc lập - Tự do - Hạnh phúc", Align::center, true);
  motto.space_after_pt = 0;
  motto.runs[0].size_pt = 14;
  right.paragraphs.push_back(motto);
  t.rows.push_back({left, right});
  t.rows.push_back({cell("Số: .../BC-SNV", Align::center),
                    cell("Hà Giang, ngày 29 tháng 11 năm 2026", Align::center)});
  t.rows.back().back().paragraphs.back().runs.back().italic = true;
  for (auto& row : t.rows) {
    for (Cell& c : row) {
      for (Paragraph& p : c.paragraphs) {
        p.runs[0].size_pt = p.runs[0].size_pt > 0 ? p.runs[0].size_pt : 13;
      }
    }
  }
  return t;
}

std::string unit_name(int i) {
  char name[32];
  std::snprintf(name, sizeof name, "Đơn vị %03d", i);
  return name;
}

std::string figure(int i) { return std::to_string(60 + i % 40) + "," + std::to_string(i % 10) + "%"; }

// A ruled table with a shaded header row, long enough to run over pages.
Table ranking(int rows) {
  Table t;
  t.column_widths_cm = {1.5, 8.5, 3.0, 3.5};
  t.header_rows = 1;
  std::vector<Cell> header = {cell("TT", Align::center, true), cell("Tên đơn vị", Align::center, true),
                              cell("Chỉ số", Align::center, true),
                              cell("Số lượt", Align::center, true)};
  for (Cell& c : header) c.shaded = true;
  t.rows.push_back(header);
  for (int i = 1; i <= rows; ++i) {
    t.rows.push_back({cell(std::to_string(i), Align::center), cell(unit_name(i)),
                      cell(figure(i), Align::right), cell(std::to_string(1000 + i), Align::right)});
  }
  return t;
}

Document base() {
  Document d;
  d.title = std::string("Báo cáo ") + kTitle;
  d.author = "Sở Nội vụ tỉnh Hà Giang";
  d.language = "vi";
  return d;
}

Document report() {
  Document d = base();
  d.blocks.push_back(heading_block());
  Paragraph title = para("BÁO CÁO", Align::center, true);
  title.space_before_pt = 18;
  title.space_after_pt = 0;
  title.keep_with_next = true;
  title.runs[0].size_pt = 14;
  d.blocks.push_back(title);
  Paragraph subtitle = para(kTitle, Align::center, true);
  subtitle.outline_level = 1;
  d.blocks.push_back(subtitle);
  Paragraph body = para(
      "Trong quý III năm 2026, Sở đã tiếp nhận 1.234 lượt đánh giá (1.180 đầy đủ, 54 một phần). "
      "Chỉ số hài lòng chung đạt 82,45%, tăng 3,10 điểm phần trăm so với quý trước và cao hơn "
      "chỉ số quốc gia (80,12%). Các yếu tố được người dân đánh giá cao nhất là thái độ của công "
      "chức và kết quả giải quyết thủ tục hành chính.");
  body.first_line_indent_cm = 1.0;
  d.blocks.push_back(body);
  d.blocks.push_back(chart());
  Paragraph heading = para("1. Xếp hạng các đơn vị trực thuộc", Align::left, true);
  heading.keep_with_next = true;
  heading.outline_level = 2;
  d.blocks.push_back(heading);
  d.blocks.push_back(ranking(70));
  d.blocks.push_back(PageBreak{});
  Paragraph received = para("Nơi nhận:\n- Bộ Nội vụ;\n- Lưu: VT.", Align::left);
  received.runs[0].size_pt = 12;
  d.blocks.push_back(received);
  return d;
}

class DocumentPdfTest : public ::testing::Test {
 protected:
  // Writes the PDF (which must be produced) and returns its path.
  std::string write(const Document& d, const std::string& name = "out.pdf") {
    Result<std::string> pdf = to_pdf(d);
    EXPECT_TRUE(pdf.is_ok()) << pdf.status().to_string();
    if (!pdf.is_ok()) return "";
    const std::filesystem::path path = dir_ / name;
    EXPECT_TRUE(write_file_atomically(path, *pdf).is_ok());
    // SIPAS_TEST_KEEP_PDF=dir keeps a copy to look at.
    if (const char* keep = std::getenv("SIPAS_TEST_KEEP_PDF"); keep != nullptr && *keep != '\0') {
      const std::string info = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      EXPECT_TRUE(write_file_atomically(std::filesystem::path(keep) / (info + "-" + name), *pdf)
                      .is_ok());
    }
    return path.string();
  }
  static std::string text(const std::string& path, int page = 0) {
    const std::string pages =
        page > 0 ? " -f " + std::to_string(page) + " -l " + std::to_string(page) : "";
    return run("pdftotext -layout -enc UTF-8" + pages + " '" + path + "' -");
  }
  static int pages(const std::string& path) {
    for (const std::string& line : lines_of(run("pdfinfo '" + path + "'"))) {
      if (line.rfind("Pages:", 0) == 0) return std::atoi(line.substr(6).c_str());
    }
    return -1;
  }
  static std::string info(const std::string& path, const std::string& key) {
    for (const std::string& line : lines_of(run("pdfinfo -enc UTF-8 '" + path + "'"))) {
      if (line.rfind(key + ":", 0) == 0) return trim(line.substr(key.size() + 1));
    }
    return "";
  }
  static std::string first_line(const std::string& page_text) {
    for (const std::string& line : lines_of(page_text)) {
      if (!trim(line).empty()) return trim(line);
    }
    return "";
  }

  TempDir dir_;
};

TEST_F(DocumentPdfTest, VietnameseTextAndFiguresComeOutExactly) {
  const std::string path = write(report());
  const std::string all = squeeze(text(path));
  EXPECT_NE(all.find(kTitle), std::string::npos) << all.substr(0, 2000);
  EXPECT_NE(all.find("Độc lập - Tự do - Hạnh phúc"), std::string::npos);
  EXPECT_NE(all.find("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), std::string::npos);
  EXPECT_NE(all.find("TỈNH HÀ GIANG"), std::string::npos);
  EXPECT_NE(all.find("SỞ NỘI VỤ"), std::string::npos);
  EXPECT_NE(all.find("Hà Giang, ngày 29 tháng 11 năm 2026"), std::string::npos);
  EXPECT_NE(all.find("Chỉ số hài lòng chung đạt 82,45%, tăng 3,10 điểm phần trăm"), std::string::npos);
  EXPECT_NE(all.find("1.234 lượt đánh giá (1.180 đầy đủ, 54 một phần)"), std::string::npos);
  EXPECT_NE(all.find("chỉ số quốc gia (80,12%)"), std::string::npos);
  EXPECT_NE(all.find("Nơi nhận: - Bộ Nội vụ; - Lưu: VT."), std::string::npos);
}

TEST_F(DocumentPdfTest, PagesAreA4) {
  const std::string path = write(report());
  EXPECT_EQ(info(path, "Page size"), "595.276 x 841.89 pts (A4)");
}

TEST_F(DocumentPdfTest, PageBreakStartsANewPage) {
  Document d = base();
  d.blocks = {para("Trang một"), PageBreak{}, para("Trang hai"), PageBreak{}, para("Trang ba")};
  const std::string path = write(d);
  ASSERT_EQ(pages(path), 3);
  EXPECT_NE(text(path, 1).find("Trang một"), std::string::npos);
  EXPECT_NE(text(path, 2).find("Trang hai"), std::string::npos);
  EXPECT_NE(text(path, 3).find("Trang ba"), std::string::npos);
  EXPECT_EQ(text(path, 1).find("Trang hai"), std::string::npos);
}

TEST_F(DocumentPdfTest, PageNumbersAtTheTopFromTheSecondPage) {
  Document d = base();
  d.blocks = {para("Trang một"), PageBreak{}, para("Trang hai"), PageBreak{}, para("Trang ba")};
  const std::string path = write(d);
  ASSERT_EQ(pages(path), 3);
  EXPECT_EQ(first_line(text(path, 1)), "Trang một");
  EXPECT_EQ(first_line(text(path, 2)), "2");
  EXPECT_EQ(first_line(text(path, 3)), "3");
}

TEST_F(DocumentPdfTest, NoPageNumbersWhenNotAsked) {
  Document d = base();
  d.page_numbers = false;
  d.blocks = {para("Trang một"), PageBreak{}, para("Trang hai")};
  const std::string path = write(d);
  ASSERT_EQ(pages(path), 2);
  EXPECT_EQ(first_line(text(path, 2)), "Trang hai");
}

TEST_F(DocumentPdfTest, LongTableRepeatsItsHeaderRowOnEachPage) {
  Document d = base();
  d.blocks = {para("Bảng xếp hạng"), ranking(90)};
  const std::string path = write(d);
  const int n = pages(path);
  ASSERT_GE(n, 3);
  for (int page = 1; page <= n; ++page) {
    const std::string t = text(path, page);
    EXPECT_EQ(count(t, "Tên đơn vị"), 1u) << "page " << page;
    if (page > 1) {
      EXPECT_LT(t.find("Tên đơn vị"), t.find("Đơn vị ")) << "page " << page;
    }
  }
}

TEST_F(DocumentPdfTest, EveryTableRowPresentExactlyOnce) {
  Document d = base();
  d.blocks = {para("Bảng xếp hạng"), ranking(90)};
  const std::string all = text(write(d));
  for (int i = 1; i <= 90; ++i) {
    EXPECT_EQ(count(all, unit_name(i)), 1u) << unit_name(i);
    EXPECT_NE(all.find(unit_name(i) + " "), std::string::npos);
  }
  // The row's cells stay on its line: name, index, count.
  EXPECT_NE(squeeze(all).find(unit_name(42) + " " + figure(42) + " 1042"), std::string::npos);
}

TEST_F(DocumentPdfTest, RowTallerThanAPageIsSplitNotLost) {
  Document d = base();
  Table t;
  t.column_widths_cm = {4, 12.5};
  t.header_rows = 1;
  t.rows.push_back({cell("Tiêu chí", Align::left, true), cell("Ý kiến", Align::left, true)});
  Cell comments;
  for (int i = 1; i <= 90; ++i) {
    Paragraph p = para("Ý kiến số " + std::to_string(1000 + i) + ": thủ tục nhanh, cán bộ nhiệt tình.");
    p.space_after_pt = 0;
    comments.paragraphs.push_back(p);
  }
  t.rows.push_back({cell("Thái độ phục vụ"), comments});
  t.rows.push_back({cell("Hàng cuối"), cell("Kết thúc")});
  d.blocks = {t};
  const std::string path = write(d);
  ASSERT_GE(pages(path), 3);
  const std::string all = text(path);
  for (int i = 1; i <= 90; ++i) {
    EXPECT_EQ(count(all, "Ý kiến số " + std::to_string(1000 + i)), 1u) << i;
  }
  EXPECT_EQ(count(all, "Hàng cuối"), 1u);
  EXPECT_EQ(count(text(path, 2), "Tiêu chí"), 1u);
}

TEST_F(DocumentPdfTest, LongParagraphContinuesOnTheNextPageLineByLine) {
  Document d = base();
  d.blocks.push_back(para("Mở đầu."));
  std::string long_text;
  for (int i = 1; i <= 120; ++i) {
    char sentence[96];
    std::snprintf(sentence, sizeof sentence, "Câu %03d: chỉ số đạt %d,%d%%. ", i, 60 + i % 40, i % 10);
    long_text += sentence;
  }
  d.blocks.push_back(para(long_text));
  const std::string path = write(d);
  ASSERT_EQ(pages(path), 2);
  const std::string one = squeeze(text(path, 1));
  const std::string two = squeeze(text(path, 2));
  // It starts right under the first paragraph, not on a page of its own.
  EXPECT_NE(one.find("Mở đầu. Câu 001"), std::string::npos) << one.substr(0, 200);
  EXPECT_NE(two.find("Câu 120: chỉ số đạt 60,0%."), std::string::npos);
  const std::string all = squeeze(text(path));
  for (int i = 1; i <= 120; ++i) {
    char label[16];
    std::snprintf(label, sizeof label, "Câu %03d:", i);
    EXPECT_EQ(count(all, label), 1u) << label;
  }
}

TEST_F(DocumentPdfTest, HeadingNeverEndsAPage) {
  // Whatever the number of lines before it, the heading shares its page with the paragraph it
  // heads.
  for (int filler = 22; filler <= 34; ++filler) {
    Document d = base();
    for (int i = 0; i < filler; ++i) d.blocks.push_back(para("Dòng " + std::to_string(i)));
    Paragraph heading = para("MỤC TIÊU QUÝ IV", Align::left, true);
    heading.keep_with_next = true;
    d.blocks.push_back(heading);
    std::string body = "Đoạn sau tiêu đề: nâng chỉ số hài lòng lên 85,00%.";
    for (int i = 0; i < 6; ++i) body += " Các đơn vị rà soát quy trình tiếp nhận hồ sơ.";
    d.blocks.push_back(para(body));
    const std::string path = write(d, "heading-" + std::to_string(filler) + ".pdf");
    int heading_page = 0;
    int body_page = 0;
    for (int page = 1; page <= pages(path); ++page) {
      const std::string t = text(path, page);
      if (t.find("MỤC TIÊU QUÝ IV") != std::string::npos) heading_page = page;
      if (t.find("Đoạn sau tiêu đề") != std::string::npos) body_page = page;
    }
    EXPECT_NE(heading_page, 0) << filler;
    EXPECT_EQ(heading_page, body_page) << filler << " lines before the heading";
  }
}

TEST_F(DocumentPdfTest, LineIntroducingATableStaysWithItsFirstRow) {
  for (int filler = 24; filler <= 32; ++filler) {
    Document d = base();
    for (int i = 0; i < filler; ++i) d.blocks.push_back(para("Dòng " + std::to_string(i)));
    Paragraph heading = para("Bảng 2. Các đơn vị", Align::left, true);
    heading.keep_with_next = true;
    d.blocks.push_back(heading);
    d.blocks.push_back(ranking(5));
    const std::string path = write(d, "table-" + std::to_string(filler) + ".pdf");
    for (int page = 1; page <= pages(path); ++page) {
      const std::string t = text(path, page);
      if (t.find("Bảng 2. Các đơn vị") == std::string::npos) continue;
      EXPECT_NE(t.find("Tên đơn vị"), std::string::npos) << filler << " lines, page " << page;
      EXPECT_NE(t.find(unit_name(1)), std::string::npos) << filler << " lines, page " << page;
    }
  }
}

TEST_F(DocumentPdfTest, ImageIsEmbeddedAtItsPixelSize) {
  const std::string path = write(report());
  const std::vector<std::string> lines = lines_of(run("pdfimages -list '" + path + "'"));
  ASSERT_EQ(lines.size(), 3u);  // two heading lines, one image
  std::istringstream row(lines[2]);
  std::string page, num, type;
  int width = 0;
  int height = 0;
  row >> page >> num >> type >> width >> height;
  EXPECT_EQ(page, "1");
  EXPECT_EQ(type, "image");
  EXPECT_EQ(width, 300);
  EXPECT_EQ(height, 150);
}

TEST_F(DocumentPdfTest, ImageIsScaledToItsWidthAndCentredUnderTheTopMargin) {
  // An image that is dark all over, alone on the page, rendered at 72 dpi (one pixel a point):
  // the dark pixels' box is where the image went.
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 400, 200);
  cairo_t* cr = cairo_create(s);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_paint(cr);
  cairo_destroy(cr);
  Image image;
  cairo_surface_write_to_png_stream(s, append_png, &image.png);
  cairo_surface_destroy(s);
  image.width_cm = 12;
  Document d = base();
  d.blocks = {image};
  const std::string path = write(d);
  run("pdftoppm -gray -r 72 -f 1 -l 1 '" + path + "' '" + (dir_ / "page").string() + "'");
  std::FILE* f = std::fopen((dir_ / "page-1.pgm").c_str(), "rb");
  ASSERT_NE(f, nullptr);
  int width = 0;
  int height = 0;
  int max = 0;
  ASSERT_EQ(std::fscanf(f, "P5 %d %d %d", &width, &height, &max), 3);
  std::fgetc(f);
  std::vector<unsigned char> pixels(static_cast<size_t>(width) * height);
  ASSERT_EQ(std::fread(pixels.data(), 1, pixels.size(), f), pixels.size());
  std::fclose(f);
  int x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (pixels[static_cast<size_t>(y) * width + x] >= 128) continue;
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  }
  // 12 cm = 340.2 pt wide, 170.1 high; the text area runs from 85.0 to 552.8 (centre 318.9);
  // the top margin is 56.7.
  EXPECT_NEAR((x0 + x1 + 1) / 2.0, 318.9, 1.5);
  EXPECT_NEAR(x1 + 1 - x0, 340.2, 1.5);
  EXPECT_NEAR(y1 + 1 - y0, 170.1, 1.5);
  EXPECT_NEAR(y0, 56.7, 1.5);
}

TEST_F(DocumentPdfTest, FontsAreLiberationSerifEmbedded) {
  const std::string path = write(report());
  const std::vector<std::string> lines = lines_of(run("pdffonts '" + path + "'"));
  ASSERT_GT(lines.size(), 2u);
  size_t liberation = 0;
  for (size_t i = 2; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::vector<std::string> fields;
    for (std::string f; in >> f;) fields.push_back(f);
    ASSERT_GE(fields.size(), 7u) << lines[i];
    EXPECT_EQ(fields[fields.size() - 5], "yes") << "not embedded: " << lines[i];
    if (lines[i].find("LiberationSerif") != std::string::npos) ++liberation;
  }
  // Regular, bold and italic are all used by the report.
  EXPECT_GE(liberation, 3u) << run("pdffonts '" + path + "'");
}

TEST_F(DocumentPdfTest, MetadataCarriesTitleAndAuthor) {
  const std::string path = write(report());
  EXPECT_EQ(info(path, "Title"), std::string("Báo cáo ") + kTitle);
  EXPECT_EQ(info(path, "Author"), "Sở Nội vụ tỉnh Hà Giang");
  EXPECT_FALSE(info(path, "CreationDate").empty());
}

TEST_F(DocumentPdfTest, HeadingsBecomeBookmarks) {
  Result<std::string> pdf = to_pdf(report());
  ASSERT_TRUE(pdf.is_ok());
  EXPECT_NE(pdf->find("/Outlines"), std::string::npos);
  EXPECT_EQ(count(*pdf, "/Dest ["), 2u);
}

TEST_F(DocumentPdfTest, TextStaysInsideTheMargins) {
  // pdftotext -bbox: every word of the body lies within left 3 cm, right 1.5 cm, top and bottom
  // 2 cm (85.0, 42.5, 56.7 pt); only the page number sits in the top margin.
  const std::string path = write(report());
  const std::string boxes = run("pdftotext -bbox '" + path + "' -");
  size_t words = 0;
  for (size_t at = boxes.find("<word "); at != std::string::npos; at = boxes.find("<word ", at + 1)) {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    ASSERT_EQ(std::sscanf(boxes.c_str() + at, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"",
                          &x0, &y0, &x1, &y1),
              4);
    ++words;
    const std::string word = boxes.substr(boxes.find('>', at) + 1,
                                          boxes.find('<', at + 1) - boxes.find('>', at) - 1);
    EXPECT_GE(x0, 85.0 - 0.5) << word;
    EXPECT_LE(x1, 595.28 - 42.5 + 0.5) << word;
    EXPECT_LE(y1, 841.89 - 56.7 + 0.5) << word;
    if (y0 < 56.7 - 0.5) {
      EXPECT_GT(std::atoi(word.c_str()), 1) << word;
    }
  }
  EXPECT_GT(words, 500u);
}

TEST_F(DocumentPdfTest, MarkupAndBrokenBytesInCitizenTextAreText) {
  Document d = base();
  d.blocks = {para("Ý kiến: <b>tốt</b> & \"nhanh\" \xff\xfe quá\x01 tốt")};
  const std::string all = squeeze(text(write(d)));
  EXPECT_NE(all.find("Ý kiến: <b>tốt</b> & \"nhanh\""), std::string::npos) << all;
  EXPECT_NE(all.find("quá tốt"), std::string::npos) << all;
}

TEST_F(DocumentPdfTest, BadPngIsAnErrorNamingTheImage) {
  Document d = base();
  Image broken = chart();
  broken.png = "\x89PNG not really";
  d.blocks = {para("Trước"), broken};
  Result<std::string> pdf = to_pdf(d);
  ASSERT_FALSE(pdf.is_ok());
  EXPECT_EQ(pdf.status().code(), ErrorCode::invalid_argument);
  EXPECT_NE(pdf.status().message().find("block 2"), std::string::npos) << pdf.status().message();
  EXPECT_NE(pdf.status().message().find("Biểu đồ các yếu tố"), std::string::npos);
}

TEST_F(DocumentPdfTest, RowSpanningMoreColumnsThanTheTableIsAnError) {
  Document d = base();
  Table t;
  t.column_widths_cm = {8, 8};
  Cell wide = cell("Quá rộng");
  wide.column_span = 2;
  t.rows.push_back({wide, cell("Thừa")});
  d.blocks = {t};
  Result<std::string> pdf = to_pdf(d);
  ASSERT_FALSE(pdf.is_ok());
  EXPECT_EQ(pdf.status().code(), ErrorCode::invalid_argument);
  EXPECT_NE(pdf.status().message().find("row 1"), std::string::npos) << pdf.status().message();
}

TEST_F(DocumentPdfTest, MarginsLeavingNoRoomAreAnError) {
  Document d = base();
  d.page.margin_left_cm = 12;
  d.page.margin_right_cm = 9;
  d.blocks = {para("Không vừa")};
  Result<std::string> pdf = to_pdf(d);
  ASSERT_FALSE(pdf.is_ok());
  EXPECT_EQ(pdf.status().code(), ErrorCode::invalid_argument);
  EXPECT_NE(pdf.status().message().find("page"), std::string::npos) << pdf.status().message();
}

TEST_F(DocumentPdfTest, ColumnSpanCoversItsColumns) {
  Document d = base();
  Table t;
  t.column_widths_cm = {4, 4, 8};
  Cell wide = cell("Tổng cộng các đơn vị", Align::left, true);
  wide.column_span = 2;
  t.rows.push_back({cell("A"), cell("B"), cell("C")});
  t.rows.push_back({wide, cell("82,45%", Align::right)});
  d.blocks = {t};
  const std::string all = squeeze(text(write(d)));
  EXPECT_NE(all.find("Tổng cộng các đơn vị 82,45%"), std::string::npos) << all;
}

TEST_F(DocumentPdfTest, CallsOnSeveralThreadsAtOnce) {
  const Document d = report();
  std::vector<Result<std::string>> results(3, Result<std::string>(std::string()));
  std::vector<std::thread> threads;
  for (auto& r : results) threads.emplace_back([&d, &r] { r = to_pdf(d); });
  for (auto& t : threads) t.join();
  const std::string alone = text(write(d, "alone.pdf"));
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].is_ok()) << results[i].status().to_string();
    const std::filesystem::path path = dir_ / ("thread-" + std::to_string(i) + ".pdf");
    ASSERT_TRUE(write_file_atomically(path, *results[i]).is_ok());
    EXPECT_EQ(text(path.string()), alone) << "thread " << i;
  }
}

// Fontconfig reads its configuration once per process, so the server without fonts is this test
// binary run again with an empty configuration, running only the test below.
TEST_F(DocumentPdfTest, WithoutFontsTheErrorNamesTheFontPackage) {
  const std::filesystem::path conf = dir_ / "fonts.conf";
  ASSERT_TRUE(write_file_atomically(conf, "<?xml version=\"1.0\"?>\n<fontconfig><cachedir>" +
                                              (dir_ / "cache").string() +
                                              "</cachedir></fontconfig>\n")
                  .is_ok());
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string out =
      run("FONTCONFIG_FILE='" + conf.string() + "' '" + self +
          "' --gtest_also_run_disabled_tests "
          "--gtest_filter=DocumentPdfTest.DISABLED_WithoutFontsChild 2>&1; echo exit=$?");
  EXPECT_NE(out.find("[  PASSED  ] 1 test"), std::string::npos) << out;
  EXPECT_NE(out.find("exit=0"), std::string::npos) << out;
}

TEST_F(DocumentPdfTest, DISABLED_WithoutFontsChild) {
  Result<std::string> pdf = to_pdf(report());
  ASSERT_FALSE(pdf.is_ok());
  EXPECT_EQ(pdf.status().code(), ErrorCode::unavailable);
  EXPECT_NE(pdf.status().message().find("fonts-liberation2"), std::string::npos)
      << pdf.status().message();
  EXPECT_NE(pdf.status().message().find("Times New Roman"), std::string::npos);
}

}  // namespace
}  // namespace sipas::test
