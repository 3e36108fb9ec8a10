// A printable document, independent of its file format: the period report is built once as a
// Document (report_document.hpp) and written as Word (.docx, document_docx.hpp) or PDF
// (document_pdf.hpp), so both carry the same text and figures.
//
// The model is what an administrative report under Nghị định 30/2020/NĐ-CP needs and no more:
// paragraphs of runs (bold, italic, underline, size), tables (borderless for the heading block,
// ruled for figures, header rows repeated on each page), PNG images and page breaks, on A4 with
// the decree's margins and page numbers at the top centre from the second page.
//
// Plain values: copy and move freely; no threads, no errors.
#pragma once

#include <string>
#include <variant>
#include <vector>

namespace sipas::doc {

// A piece of text in one format. size_pt 0 means the document's body size.
struct Run {
  std::string text;  // UTF-8; "\n" is a line break within the paragraph
  bool bold = false;
  bool italic = false;
  bool underline = false;
  double size_pt = 0;
};

enum class Align { left, center, right, justify };

struct Paragraph {
  std::vector<Run> runs;
  Align align = Align::justify;
  double first_line_indent_cm = 0;
  double space_before_pt = 0;
  double space_after_pt = 6;
  // Keep on the same page as the next block (headings, the line above a table).
  bool keep_with_next = false;
  // A heading: its level (1, 2) for the document outline; 0 for body text. Renderers give it no
  // look of its own: the runs carry bold and size.
  int outline_level = 0;
};

// A PNG image, drawn width_cm wide (height from the image's aspect ratio), centred.
struct Image {
  std::string png;  // the file's bytes
  int width_px = 0;
  int height_px = 0;
  double width_cm = 16;
  std::string description;  // alternative text
};

struct Cell {
  std::vector<Paragraph> paragraphs;
  int column_span = 1;  // cells covered by a span are not listed
  bool shaded = false;  // a light grey background (header rows)
};

struct Table {
  std::vector<double> column_widths_cm;  // their sum fits the text width
  std::vector<std::vector<Cell>> rows;
  int header_rows = 0;  // repeated at the top of each page the table continues on
  bool borders = true;  // false for layout tables (the heading block, the signature block)
};

struct PageBreak {};

using Block = std::variant<Paragraph, Table, Image, PageBreak>;

// Nghị định 30/2020/NĐ-CP, Phụ lục I: A4 portrait; top and bottom margins 20–25 mm, left
// 30–35 mm, right 15–20 mm; Times New Roman 13–14 pt; page numbers in Arabic figures at the top
// centre, not on the first page.
struct PageSetup {
  double width_cm = 21.0;
  double height_cm = 29.7;
  double margin_top_cm = 2.0;
  double margin_bottom_cm = 2.0;
  double margin_left_cm = 3.0;
  double margin_right_cm = 1.5;
  double text_width_cm() const { return width_cm - margin_left_cm - margin_right_cm; }
};

struct Document {
  std::string title;     // document properties (docx core.xml, PDF metadata)
  std::string author;    // the unit's name
  std::string language;  // "vi" or "en": the text's language tag
  std::string font = "Times New Roman";
  double body_size_pt = 14;
  double line_spacing = 1.15;  // multiple of single spacing
  PageSetup page;
  bool page_numbers = true;  // top centre, from page 2
  std::vector<Block> blocks;
};

}  // namespace sipas::doc
