// How long the server takes to write a period report as PDF: doc::to_pdf of a ten-page
// document shaped like the report (heading block, title, paragraphs, a chart, a long ruled table
// with a header row, comments), median of --repeat runs after one warm-up (fonts loaded).
//
// Usage: sipas-bench-pdf [--repeat 10] [--out FILE]
// Prints one line: {"pages": P, "bytes": B, "median_ms": M, "runs": R}
#include <cairo.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "sipas/files.hpp"
#include "sipas/server/document_pdf.hpp"

namespace {

using namespace sipas::doc;

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

Image chart() {
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1200, 600);
  cairo_t* cr = cairo_create(s);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_set_source_rgb(cr, 0.2, 0.4, 0.7);
  for (int i = 0; i < 5; ++i) cairo_rectangle(cr, 80 + i * 220, 560 - 80 * (i + 2), 160, 80 * (i + 2));
  cairo_fill(cr);
  cairo_destroy(cr);
  Image image;
  cairo_surface_write_to_png_stream(s, append_png, &image.png);
  cairo_surface_destroy(s);
  image.width_px = 1200;
  image.height_px = 600;
  image.width_cm = 15;
  image.description = "Biểu đồ";
  return image;
}

Document report() {
  Document d;
  d.title = "Báo cáo kết quả đo lường sự hài lòng quý III năm 2026";
  d.author = "Sở Nội vụ";
  d.language = "vi";
  Table heading;
  heading.borders = false;
  heading.column_widths_cm = {6.0, 10.5};
  heading.rows.push_back({cell("ỦY BAN NHÂN DÂN\nTỈNH HÀ GIANG\nSỞ NỘI VỤ", Align::center, true),
                          cell("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc",
                               Align::center, true)});
  d.blocks.push_back(heading);
  d.blocks.push_back(para("BÁO CÁO\nKết quả đo lường sự hài lòng của người dân, tổ chức quý III "
                          "năm 2026",
                          Align::center, true));
  const std::string sentence =
      "Chỉ số hài lòng chung đạt 82,45%, tăng 3,10 điểm phần trăm so với quý trước; các yếu tố "
      "được đánh giá cao nhất là thái độ của công chức và kết quả giải quyết thủ tục hành chính. ";
  for (int i = 0; i < 6; ++i) {
    Paragraph p = para(sentence + sentence + sentence);
    p.first_line_indent_cm = 1;
    d.blocks.push_back(p);
  }
  d.blocks.push_back(chart());
  Paragraph heading1 = para("1. Xếp hạng các đơn vị trực thuộc", Align::left, true);
  heading1.keep_with_next = true;
  heading1.outline_level = 1;
  d.blocks.push_back(heading1);
  Table ranking;
  ranking.column_widths_cm = {1.5, 8.5, 3.0, 3.5};
  ranking.header_rows = 1;
  ranking.rows.push_back({cell("TT", Align::center, true), cell("Tên đơn vị", Align::center, true),
                          cell("Chỉ số", Align::center, true), cell("Số lượt", Align::center, true)});
  for (Cell& c : ranking.rows.front()) c.shaded = true;
  for (int i = 1; i <= 180; ++i) {
    ranking.rows.push_back({cell(std::to_string(i), Align::center),
                            cell("Ủy ban nhân dân xã số " + std::to_string(i)),
                            cell(std::to_string(60 + i % 40) + ",5%", Align::right),
                            cell(std::to_string(1000 + i), Align::right)});
  }
  d.blocks.push_back(ranking);
  Paragraph heading2 = para("2. Ý kiến của người dân", Align::left, true);
  heading2.keep_with_next = true;
  heading2.outline_level = 1;
  d.blocks.push_back(heading2);
  for (int i = 1; i <= 40; ++i) {
    d.blocks.push_back(para("“Cán bộ hướng dẫn tận tình, thủ tục số " + std::to_string(i) +
                            " được giải quyết đúng hẹn, không phải đi lại nhiều lần.”"));
  }
  return d;
}

size_t pages_of(const std::string& pdf) {
  size_t n = 0;
  for (size_t at = pdf.find("/Type /Page"); at != std::string::npos;
       at = pdf.find("/Type /Page", at + 1)) {
    if (pdf.compare(at, 12, "/Type /Pages") != 0) ++n;
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 10;
  std::string out;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else {
      std::cerr << "usage: sipas-bench-pdf [--repeat N] [--out FILE]\n";
      return 2;
    }
  }
  const Document d = report();
  sipas::Result<std::string> pdf = to_pdf(d);  // warm-up: fonts loaded and cached
  if (!pdf.is_ok()) {
    std::cerr << "sipas-bench-pdf: " << pdf.status().to_string() << "\n";
    return 1;
  }
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    pdf = to_pdf(d);
    const auto end = std::chrono::steady_clock::now();
    if (!pdf.is_ok()) {
      std::cerr << "sipas-bench-pdf: " << pdf.status().to_string() << "\n";
      return 1;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(ms.begin(), ms.end());
  if (!out.empty()) {
    if (sipas::Status s = sipas::write_file_atomically(out, *pdf); !s.is_ok()) {
      std::cerr << "sipas-bench-pdf: " << s.to_string() << "\n";
      return 1;
    }
  }
  std::printf("{\"pages\": %zu, \"bytes\": %zu, \"median_ms\": %.1f, \"runs\": %d}\n",
              pages_of(*pdf), pdf->size(), ms[ms.size() / 2], repeat);
  return 0;
}
