#include "sipas/server/document_pdf.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string_view>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace sipas::doc {
namespace {

// The PDF surface's user unit is the PDF point (1/72 in); the model speaks cm and pt.
constexpr double kPointsPerCm = 72.0 / 2.54;
double cm_to_pt(double cm) { return cm * kPointsPerCm; }
double from_pango(int v) { return static_cast<double>(v) / PANGO_SCALE; }
int to_pango(double points) { return static_cast<int>(std::lround(points * PANGO_SCALE)); }

constexpr double kRuleWidth = 0.5;
// Word's default cell margins (0.19 cm left and right), so that a table reads the same in the
// .docx and the PDF; a little air above and below the text of a ruled cell, none in a layout
// table, whose cells are only columns.
const double kCellPaddingX = cm_to_pt(0.19);
constexpr double kCellPaddingYRuled = 2;
constexpr double kShadeGrey = 0.88;
constexpr double kImageSpaceAfter = 6;
// A row taller than a whole page is split; it starts on the current page only when at least
// this much room is left there, so that a sliver of a row does not sit alone at a page's foot.
constexpr double kMinSplitRoom = 48;
constexpr double kEpsilon = 0.01;

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
struct GObjectDeleter {
  void operator()(void* o) const { g_object_unref(o); }
};
struct FontDescriptionDeleter {
  void operator()(PangoFontDescription* f) const { pango_font_description_free(f); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using CairoPtr = std::unique_ptr<cairo_t, CairoDeleter>;
using ContextPtr = std::unique_ptr<PangoContext, GObjectDeleter>;
using FontDescriptionPtr = std::unique_ptr<PangoFontDescription, FontDescriptionDeleter>;
// Lines of one layout are drawn at different times (a paragraph split over pages, the cells of a
// row slice), so the layout is shared by its lines.
using LayoutPtr = std::shared_ptr<PangoLayout>;

Status cairo_error(const char* what, cairo_status_t status) {
  return Status::error(ErrorCode::internal,
                       std::string(what) + ": cairo: " + cairo_status_to_string(status));
}

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  try {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
  } catch (...) {
    return CAIRO_STATUS_WRITE_ERROR;
  }
}

struct PngSource {
  std::string_view bytes;
  size_t at = 0;
};

cairo_status_t read_png(void* closure, unsigned char* data, unsigned int length) {
  auto* source = static_cast<PngSource*>(closure);
  if (source->bytes.size() - source->at < length) return CAIRO_STATUS_READ_ERROR;
  std::memcpy(data, source->bytes.data() + source->at, length);
  source->at += length;
  return CAIRO_STATUS_SUCCESS;
}

// Citizen text reaches the document as it was typed: invalid UTF-8 would make pango drop the
// whole paragraph, so it is repaired (U+FFFD); control characters other than tab draw as hex
// boxes and are left out ("\n" is handled before: it splits a paragraph into segments).
std::string clean_text(const std::string& text) {
  // Bytes below 0x20 never occur inside a UTF-8 sequence, so they can go before the repair.
  std::string kept;
  kept.reserve(text.size());
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') kept += c;
  }
  gchar* valid = g_utf8_make_valid(kept.data(), static_cast<gssize>(kept.size()));
  std::string out(valid);
  g_free(valid);
  return out;
}

std::string plain_text(const Paragraph& p) {
  std::string text;
  for (const Run& run : p.runs) text += run.text;
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

// One line of laid-out text, placed relative to the top of the box (paragraph or cell) it
// belongs to.
struct Line {
  LayoutPtr layout;
  int index = 0;
  double x = 0;  // from the box's left edge to the line's origin (alignment, indent)
  double top = 0;
  double bottom = 0;
  double baseline = 0;
};

struct TextBox {
  std::vector<Line> lines;
  double space_before = 0;
  double space_after = 0;
  double height = 0;  // space before, the lines, space after
  bool keep_with_next = false;
  int outline_level = 0;
  std::string outline_text;
};

struct CellBox {
  double x = 0;  // from the table's left edge
  double width = 0;
  bool shaded = false;
  std::vector<Line> lines;  // the cell's paragraphs one after another, from the text's top
  double content_height = 0;
};

struct RowBox {
  std::vector<CellBox> cells;
  double height = 0;  // with the padding
};

struct TableBox {
  std::vector<RowBox> rows;
  size_t header_rows = 0;
  bool borders = true;
  double padding_y = 0;
  double header_height = 0;
};

struct ImageBox {
  SurfacePtr surface;
  double width = 0;
  double height = 0;
};

struct PageBreakBox {};

using Box = std::variant<TextBox, TableBox, ImageBox, PageBreakBox>;

class Typesetter {
 public:
  Typesetter(const Document& d, PangoContext* context) : d_(d), context_(context) {
    font_.reset(pango_font_description_new());
    pango_font_description_set_family(font_.get(), d.font.empty() ? "serif" : d.font.c_str());
    if (!d.language.empty()) language_ = pango_language_from_string(d.language.c_str());
  }

  TextBox paragraph(const Paragraph& p, double width) const {
    TextBox box;
    box.space_before = std::max(0.0, p.space_before_pt);
    box.space_after = std::max(0.0, p.space_after_pt);
    box.keep_with_next = p.keep_with_next;
    box.outline_level = p.outline_level;
    if (p.outline_level > 0) box.outline_text = clean_text(plain_text(p));
    // A "\n" ends a segment laid out on its own: within one pango layout the line before a
    // break would be justified to the full width (or, with "\n" as pango's paragraph separator,
    // the next line indented again). Segments after the first have no first-line indent.
    std::vector<std::vector<Run>> segments(1);
    for (const Run& run : p.runs) {
      for (size_t start = 0;;) {
        const size_t end = run.text.find('\n', start);
        Run piece = run;
        piece.text = run.text.substr(start, end == std::string::npos ? end : end - start);
        segments.back().push_back(std::move(piece));
        if (end == std::string::npos) break;
        segments.emplace_back();
        start = end + 1;
      }
    }
    double y = box.space_before;
    for (size_t i = 0; i < segments.size(); ++i) {
      y = append_lines(box, segments[i], p, i == 0, width, y);
    }
    box.height = y + box.space_after;
    return box;
  }

  TableBox table(const Table& t, double text_width) const {
    TableBox box;
    box.borders = t.borders;
    box.padding_y = t.borders ? kCellPaddingYRuled : 0;
    box.header_rows = std::min(static_cast<size_t>(std::max(0, t.header_rows)), t.rows.size());
    std::vector<double> widths;
    double total = 0;
    for (double w : t.column_widths_cm) {
      widths.push_back(cm_to_pt(w));
      total += widths.back();
    }
    // The model promises the columns fit; if they do not, they shrink in proportion rather than
    // run off the page.
    if (total > text_width + kEpsilon) {
      for (double& w : widths) w *= text_width / total;
    }
    for (const auto& row : t.rows) {
      RowBox row_box;
      size_t column = 0;
      double x = 0;
      for (const Cell& cell : row) {
        CellBox cell_box;
        const size_t span = static_cast<size_t>(cell.column_span);
        cell_box.x = x;
        for (size_t c = column; c < column + span; ++c) cell_box.width += widths[c];
        column += span;
        x += cell_box.width;
        cell_box.shaded = cell.shaded;
        const double inner = cell_box.width - 2 * kCellPaddingX;
        for (const Paragraph& p : cell.paragraphs) {
          TextBox text = paragraph(p, inner);
          for (Line& line : text.lines) {
            line.top += cell_box.content_height;
            line.bottom += cell_box.content_height;
            line.baseline += cell_box.content_height;
            cell_box.lines.push_back(std::move(line));
          }
          cell_box.content_height += text.height;
        }
        row_box.height = std::max(row_box.height, cell_box.content_height);
        row_box.cells.push_back(std::move(cell_box));
      }
      row_box.height += 2 * box.padding_y;
      box.rows.push_back(std::move(row_box));
    }
    for (size_t r = 0; r < box.header_rows; ++r) box.header_height += box.rows[r].height;
    return box;
  }

  TextBox page_number(int page) const {
    Paragraph p;
    p.runs.push_back(Run{std::to_string(page)});
    p.align = Align::center;
    p.space_after_pt = 0;
    return paragraph(p, cm_to_pt(d_.page.text_width_cm()));
  }

 private:
  double size_of(const Run& run) const { return run.size_pt > 0 ? run.size_pt : d_.body_size_pt; }

  // Lays out one segment of a paragraph and appends its lines to the box, the first one's top at
  // y; returns the last line's bottom.
  double append_lines(TextBox& box, const std::vector<Run>& runs, const Paragraph& p,
                      bool first_segment, double width, double y) const {
    std::string text;
    PangoAttrList* attributes = pango_attr_list_new();
    // Every run gets its size explicitly, so that the layout's own size can be that of the
    // segment's first run: an empty paragraph is then a blank line of that size, as in Word.
    for (const Run& run : runs) {
      const auto start = static_cast<guint>(text.size());
      text += clean_text(run.text);
      const auto end = static_cast<guint>(text.size());
      if (start == end) continue;
      auto add = [&](PangoAttribute* a) {
        a->start_index = start;
        a->end_index = end;
        pango_attr_list_insert(attributes, a);
      };
      add(pango_attr_size_new(to_pango(size_of(run))));
      if (run.bold) add(pango_attr_weight_new(PANGO_WEIGHT_BOLD));
      if (run.italic) add(pango_attr_style_new(PANGO_STYLE_ITALIC));
      if (run.underline) add(pango_attr_underline_new(PANGO_UNDERLINE_SINGLE));
    }
    if (language_ != nullptr) pango_attr_list_insert(attributes, pango_attr_language_new(language_));

    FontDescriptionPtr font(pango_font_description_copy(font_.get()));
    pango_font_description_set_size(font.get(),
                                    to_pango(runs.empty() ? d_.body_size_pt : size_of(runs[0])));
    LayoutPtr layout(pango_layout_new(context_), GObjectDeleter());
    PangoLayout* l = layout.get();
    pango_layout_set_font_description(l, font.get());
    pango_layout_set_width(l, to_pango(std::max(1.0, width)));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    if (first_segment) pango_layout_set_indent(l, to_pango(cm_to_pt(p.first_line_indent_cm)));
    // A multiple of the font's own line height, which is what Word's "multiple" spacing is.
    pango_layout_set_line_spacing(l, static_cast<float>(d_.line_spacing));
    switch (p.align) {
      case Align::left: pango_layout_set_alignment(l, PANGO_ALIGN_LEFT); break;
      case Align::center: pango_layout_set_alignment(l, PANGO_ALIGN_CENTER); break;
      case Align::right: pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT); break;
      case Align::justify:
        pango_layout_set_alignment(l, PANGO_ALIGN_LEFT);
        pango_layout_set_justify(l, TRUE);
        break;
    }
    pango_layout_set_text(l, text.data(), static_cast<int>(text.size()));
    pango_layout_set_attributes(l, attributes);
    pango_attr_list_unref(attributes);

    const size_t first = box.lines.size();
    PangoLayoutIter* it = pango_layout_get_iter(l);
    int index = 0;
    do {
      int y0 = 0;
      int y1 = 0;
      pango_layout_iter_get_line_yrange(it, &y0, &y1);
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(it, nullptr, &logical);
      const int baseline = pango_layout_iter_get_baseline(it);
      box.lines.push_back(Line{layout, index++, from_pango(logical.x), y + from_pango(y0),
                               y + from_pango(y1), y + from_pango(baseline)});
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    // Pango spaces the lines after the first by the multiple and leaves the first at its natural
    // height; Word gives every line the multiple, with the extra above the text. Shifting the
    // lines down by the first line's extra does the same, so that the gap between two
    // paragraphs equals the gap between two lines of one.
    const double extra =
        (d_.line_spacing - 1) * (box.lines[first].bottom - box.lines[first].top);
    for (size_t i = first; i < box.lines.size(); ++i) {
      if (i != first) box.lines[i].top += extra;
      box.lines[i].bottom += extra;
      box.lines[i].baseline += extra;
    }
    return box.lines.back().bottom;
  }

  const Document& d_;
  PangoContext* context_;
  FontDescriptionPtr font_;
  PangoLanguage* language_ = nullptr;
};

// Places the laid-out boxes on pages, top to bottom, and draws them.
class PageWriter {
 public:
  PageWriter(const Document& d, const Typesetter& typesetter, cairo_surface_t* surface, cairo_t* cr)
      : d_(d),
        typesetter_(typesetter),
        surface_(surface),
        cr_(cr),
        left_(cm_to_pt(d.page.margin_left_cm)),
        top_(cm_to_pt(d.page.margin_top_cm)),
        bottom_(cm_to_pt(d.page.height_cm - d.page.margin_bottom_cm)),
        text_width_(cm_to_pt(d.page.text_width_cm())),
        y_(top_) {}

  void write(const std::vector<Box>& boxes) {
    for (size_t i = 0; i < boxes.size(); ++i) {
      const Box& box = boxes[i];
      if (const auto* text = std::get_if<TextBox>(&box)) {
        if (text->keep_with_next) keep_together(boxes, i);
        place(*text);
      } else if (const auto* table = std::get_if<TableBox>(&box)) {
        place(*table);
      } else if (const auto* image = std::get_if<ImageBox>(&box)) {
        place(*image);
      } else {
        new_page();
      }
    }
  }

 private:
  double page_room() const { return bottom_ - top_; }
  bool room_for(double height) const { return y_ + height <= bottom_ + kEpsilon; }

  void new_page() {
    cairo_show_page(cr_);
    ++page_;
    y_ = top_;
    fresh_ = true;
    if (d_.page_numbers && page_ >= 2) {
      // In the top margin, its line ending a quarter of a centimetre above the text.
      const TextBox number = typesetter_.page_number(page_);
      const double origin = top_ - cm_to_pt(0.25) - number.lines.back().bottom;
      draw_line(number.lines.front(), left_, std::max(0.0, origin));
    }
  }

  void draw_line(const Line& line, double x, double origin) {
    cairo_move_to(cr_, x + line.x, origin + line.baseline);
    pango_cairo_show_layout_line(cr_, pango_layout_get_line_readonly(line.layout.get(), line.index));
  }

  // A heading (or the line introducing a table) must not end a page: when the heading, the
  // paragraphs chained to it and the first piece of the block that follows (a line, the header
  // and first row of a table) do not fit in what is left of this page but do fit on a new one,
  // the chain starts on a new page.
  void keep_together(const std::vector<Box>& boxes, size_t i) {
    if (fresh_) return;
    double needed = 0;
    size_t j = i;
    for (; j < boxes.size(); ++j) {
      const auto* text = std::get_if<TextBox>(&boxes[j]);
      if (text == nullptr || !text->keep_with_next) break;
      needed += text->height;
    }
    if (j < boxes.size()) needed += first_piece(boxes[j]);
    if (!room_for(needed) && needed <= page_room()) new_page();
  }

  double first_piece(const Box& box) const {
    if (const auto* text = std::get_if<TextBox>(&box)) return text->lines.front().bottom;
    if (const auto* table = std::get_if<TableBox>(&box)) {
      double height = table->header_height;
      if (table->rows.size() > table->header_rows) height += table->rows[table->header_rows].height;
      return std::min(height, page_room());
    }
    if (const auto* image = std::get_if<ImageBox>(&box)) return image->height;
    return 0;
  }

  // Line by line, so that a paragraph longer than what is left of the page continues on the
  // next; the space before a paragraph is dropped at the top of a page, as Word does.
  void place(const TextBox& text) {
    double origin = fresh_ ? y_ - text.space_before : y_;
    for (const Line& line : text.lines) {
      if (!fresh_ && origin + line.bottom > bottom_ + kEpsilon) {
        new_page();
        origin = y_ - line.top;
      }
      if (&line == &text.lines.front() && text.outline_level > 0) add_outline(text, origin + line.top);
      draw_line(line, left_, origin);
      fresh_ = false;
      y_ = origin + line.bottom;
    }
    y_ = std::min(y_ + text.space_after, bottom_);
  }

  void add_outline(const TextBox& text, double y) {
    const size_t level = static_cast<size_t>(std::min(text.outline_level, 9));
    outline_parents_.resize(std::max(outline_parents_.size(), level + 1), CAIRO_PDF_OUTLINE_ROOT);
    const std::string target = "page=" + std::to_string(page_) + " pos=[" +
                               std::to_string(static_cast<int>(left_)) + " " +
                               std::to_string(static_cast<int>(y)) + "]";
    const int id = cairo_pdf_surface_add_outline(surface_, outline_parents_[level - 1],
                                                 text.outline_text.c_str(), target.c_str(),
                                                 static_cast<cairo_pdf_outline_flags_t>(0));
    outline_parents_[level] = id;
    for (size_t deeper = level + 1; deeper < outline_parents_.size(); ++deeper) {
      outline_parents_[deeper] = id;
    }
  }

  void place(const ImageBox& image) {
    double width = image.width;
    double height = image.height;
    if (height > page_room()) {
      width *= page_room() / height;
      height = page_room();
    }
    if (!fresh_ && !room_for(height)) new_page();
    const double x = left_ + (text_width_ - width) / 2;
    const double pixels_wide = cairo_image_surface_get_width(image.surface.get());
    const double pixels_high = cairo_image_surface_get_height(image.surface.get());
    cairo_save(cr_);
    cairo_translate(cr_, x, y_);
    cairo_scale(cr_, width / pixels_wide, height / pixels_high);
    cairo_set_source_surface(cr_, image.surface.get(), 0, 0);
    cairo_paint(cr_);
    cairo_restore(cr_);
    fresh_ = false;
    y_ = std::min(y_ + height + kImageSpaceAfter, bottom_);
  }

  void place(const TableBox& table) {
    // The header rows come back at the top of each page the table continues on, unless they
    // would take most of the page themselves.
    const bool repeat = table.header_rows > 0 && table.header_height <= page_room() / 2;
    bool only_headers_here = fresh_;
    for (size_t r = 0; r < table.rows.size(); ++r) {
      const RowBox& row = table.rows[r];
      const bool body = r >= table.header_rows;
      // A header row goes with the rest of the header and the first body row.
      double needed = row.height;
      if (!body) {
        needed = 0;
        for (size_t h = r; h < table.rows.size() && h <= table.header_rows; ++h) {
          needed += table.rows[h].height;
        }
        needed = std::min(needed, page_room());
      }
      if (!room_for(needed) && !only_headers_here) {
        const double room_on_new_page = page_room() - (body && repeat ? table.header_height : 0);
        if (needed <= room_on_new_page || bottom_ - y_ < kMinSplitRoom) {
          table_page_break(table, body && repeat);
        }
      }
      if (room_for(row.height)) {
        std::vector<size_t> begin(row.cells.size(), 0);
        std::vector<size_t> end;
        std::vector<double> offset(row.cells.size(), 0);
        for (const CellBox& cell : row.cells) end.push_back(cell.lines.size());
        draw_row(table, row, begin, end, offset, row.height);
        y_ += row.height;
      } else {
        split_row(table, row, body && repeat);
      }
      fresh_ = false;
      only_headers_here = false;
    }
  }

  void table_page_break(const TableBox& table, bool with_headers) {
    new_page();
    if (!with_headers) return;
    for (size_t r = 0; r < table.header_rows; ++r) {
      const RowBox& row = table.rows[r];
      std::vector<size_t> begin(row.cells.size(), 0);
      std::vector<size_t> end;
      std::vector<double> offset(row.cells.size(), 0);
      for (const CellBox& cell : row.cells) end.push_back(cell.lines.size());
      draw_row(table, row, begin, end, offset, row.height);
      y_ += row.height;
    }
    fresh_ = false;
  }

  // A row taller than the room a page has: each cell continues from where its text stopped,
  // line by line, until every cell is done. Each pass draws at least one line of a cell (on a
  // fresh page, even if it is cut off), so the loop ends.
  void split_row(const TableBox& table, const RowBox& row, bool with_headers) {
    const size_t n = row.cells.size();
    std::vector<size_t> next(n, 0);
    std::vector<double> offset(n, 0);  // the cell's text coordinate at the slice's top
    size_t lines_left = 0;
    for (const CellBox& cell : row.cells) lines_left += cell.lines.size();
    for (size_t pass = 0; pass <= lines_left + 1; ++pass) {
      const double room = bottom_ - y_ - 2 * table.padding_y;
      std::vector<size_t> end(next);
      double height = 0;
      bool any = false;
      for (size_t c = 0; c < n; ++c) {
        const auto& lines = row.cells[c].lines;
        while (end[c] < lines.size() && lines[end[c]].bottom - offset[c] <= room + kEpsilon) ++end[c];
        if (end[c] > next[c]) any = true;
      }
      if (!any && pass == 0) {
        table_page_break(table, with_headers);
        continue;
      }
      if (!any) {
        for (size_t c = 0; c < n; ++c) {
          if (end[c] < row.cells[c].lines.size()) ++end[c];
        }
      }
      bool done = true;
      for (size_t c = 0; c < n; ++c) {
        const CellBox& cell = row.cells[c];
        if (end[c] < cell.lines.size()) {
          done = false;
          if (end[c] > next[c]) height = std::max(height, cell.lines[end[c] - 1].bottom - offset[c]);
        } else {
          height = std::max(height, std::min(cell.content_height - offset[c], room));
        }
      }
      height += 2 * table.padding_y;
      draw_row(table, row, next, end, offset, height);
      y_ += height;
      fresh_ = false;
      if (done) return;
      for (size_t c = 0; c < n; ++c) {
        const CellBox& cell = row.cells[c];
        next[c] = end[c];
        offset[c] = next[c] < cell.lines.size() ? cell.lines[next[c]].top : cell.content_height;
      }
      table_page_break(table, with_headers);
    }
  }

  // The slice of a row from each cell's line begin[c] to end[c], its text shifted up by
  // offset[c], in a band of the given height at y_.
  void draw_row(const TableBox& table, const RowBox& row, const std::vector<size_t>& begin,
                const std::vector<size_t>& end, const std::vector<double>& offset, double height) {
    for (const CellBox& cell : row.cells) {
      if (!cell.shaded) continue;
      cairo_rectangle(cr_, left_ + cell.x, y_, cell.width, height);
      cairo_set_source_rgb(cr_, kShadeGrey, kShadeGrey, kShadeGrey);
      cairo_fill(cr_);
    }
    cairo_set_source_rgb(cr_, 0, 0, 0);
    for (size_t c = 0; c < row.cells.size(); ++c) {
      const CellBox& cell = row.cells[c];
      for (size_t i = begin[c]; i < end[c]; ++i) {
        draw_line(cell.lines[i], left_ + cell.x + kCellPaddingX, y_ + table.padding_y - offset[c]);
      }
    }
    if (!table.borders) return;
    cairo_set_line_width(cr_, kRuleWidth);
    for (const CellBox& cell : row.cells) cairo_rectangle(cr_, left_ + cell.x, y_, cell.width, height);
    cairo_stroke(cr_);
  }

  const Document& d_;
  const Typesetter& typesetter_;
  cairo_surface_t* surface_;
  cairo_t* cr_;
  const double left_;
  const double top_;
  const double bottom_;
  const double text_width_;
  double y_;
  int page_ = 1;
  bool fresh_ = true;  // nothing drawn yet in the page's text area
  std::vector<int> outline_parents_{CAIRO_PDF_OUTLINE_ROOT};
};

Status invalid(size_t block, const std::string& what) {
  return Status::error(ErrorCode::invalid_argument,
                       "block " + std::to_string(block + 1) + " (" + what + ")");
}

Status check(const Document& d) {
  const PageSetup& page = d.page;
  if (!(page.text_width_cm() >= 1) ||
      !(page.height_cm - page.margin_top_cm - page.margin_bottom_cm >= 2) ||
      page.margin_left_cm < 0 || page.margin_top_cm < 0 || page.margin_bottom_cm < 0) {
    return Status::error(ErrorCode::invalid_argument,
                         "page: the size and margins leave no room for the text");
  }
  if (!(d.body_size_pt > 0) || !(d.line_spacing > 0)) {
    return Status::error(ErrorCode::invalid_argument,
                         "body_size_pt and line_spacing must be positive");
  }
  for (size_t b = 0; b < d.blocks.size(); ++b) {
    const auto* table = std::get_if<Table>(&d.blocks[b]);
    if (table == nullptr) continue;
    if (table->column_widths_cm.empty()) return invalid(b, "table: no column_widths_cm");
    for (double w : table->column_widths_cm) {
      if (!(w > 0)) return invalid(b, "table: a column width is not positive");
    }
    for (size_t r = 0; r < table->rows.size(); ++r) {
      size_t columns = 0;
      for (const Cell& cell : table->rows[r]) {
        if (cell.column_span < 1) {
          return invalid(b, "table row " + std::to_string(r + 1) + ": column_span below 1");
        }
        columns += static_cast<size_t>(cell.column_span);
      }
      if (columns > table->column_widths_cm.size()) {
        return invalid(b, "table row " + std::to_string(r + 1) + ": its cells span " +
                              std::to_string(columns) + " columns, the table has " +
                              std::to_string(table->column_widths_cm.size()));
      }
    }
  }
  return Status::ok();
}

// Without a font that has the Vietnamese letters pango would draw empty boxes (or, with no font
// at all, nothing): a PDF that looks written but says nothing. Any face fontconfig offers for
// the family will do (Liberation Serif for "Times New Roman"); a substitute with other metrics
// only moves the line breaks.
Status check_font(PangoContext* context, const Document& d) {
  const std::string family = d.font.empty() ? "serif" : d.font;
  FontDescriptionPtr description(pango_font_description_new());
  pango_font_description_set_family(description.get(), family.c_str());
  pango_font_description_set_size(description.get(), to_pango(d.body_size_pt));
  PangoFont* font = pango_context_load_font(context, description.get());
  bool usable = false;
  if (font != nullptr) {
    // ệ and ư: a face with these has the rest of the Vietnamese alphabet as well.
    usable = pango_font_has_char(font, 0x1EC7) && pango_font_has_char(font, 0x01B0);
    g_object_unref(font);
  }
  if (usable) return Status::ok();
  return Status::error(ErrorCode::unavailable,
                       "font: no font for \"" + family +
                           "\" with Vietnamese letters (the package fonts-liberation2 provides one)");
}

Result<ImageBox> load_image(const Image& image, size_t block, double text_width) {
  PngSource source{image.png};
  ImageBox box;
  box.surface.reset(cairo_image_surface_create_from_png_stream(read_png, &source));
  const cairo_status_t status = cairo_surface_status(box.surface.get());
  const std::string name = image.description.empty() ? "image" : "image \"" + image.description + "\"";
  if (status != CAIRO_STATUS_SUCCESS) {
    return invalid(block, name + ": not a readable PNG: cairo: " + cairo_status_to_string(status));
  }
  const int pixels_wide = cairo_image_surface_get_width(box.surface.get());
  const int pixels_high = cairo_image_surface_get_height(box.surface.get());
  if (pixels_wide <= 0 || pixels_high <= 0) return invalid(block, name + ": the PNG has no pixels");
  // The drawn size comes from the PNG's own pixels: width_px and height_px of the model may be
  // missing or stale, the bytes are what is drawn.
  box.width = std::min(image.width_cm > 0 ? cm_to_pt(image.width_cm) : text_width, text_width);
  box.height = box.width * pixels_high / pixels_wide;
  return box;
}

}  // namespace

Result<std::string> to_pdf(const Document& d) {
  if (Status s = check(d); !s.is_ok()) return s;

  std::string pdf;
  SurfacePtr surface(cairo_pdf_surface_create_for_stream(
      append_to_string, &pdf, cm_to_pt(d.page.width_cm), cm_to_pt(d.page.height_cm)));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return cairo_error("PDF surface", cairo_surface_status(surface.get()));
  }
  if (!d.title.empty()) {
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, d.title.c_str());
  }
  if (!d.author.empty()) {
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_AUTHOR, d.author.c_str());
  }
  CairoPtr cr(cairo_create(surface.get()));

  // pango_cairo_font_map_get_default is the calling thread's own font map (not owned here). The
  // context is set for the PDF's unit: 72 "dots" per inch make a 14 pt font 14 PDF points (the
  // default 96 would enlarge it by a third); unhinted metrics and unrounded glyph positions keep
  // the line breaks independent of any screen resolution.
  ContextPtr context(pango_font_map_create_context(pango_cairo_font_map_get_default()));
  pango_cairo_context_set_resolution(context.get(), 72);
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(context.get(), options);
  cairo_font_options_destroy(options);
  pango_context_set_round_glyph_positions(context.get(), FALSE);
  if (!d.language.empty()) {
    pango_context_set_language(context.get(), pango_language_from_string(d.language.c_str()));
  }

  if (Status s = check_font(context.get(), d); !s.is_ok()) return s;

  const Typesetter typesetter(d, context.get());
  const double text_width = cm_to_pt(d.page.text_width_cm());
  std::vector<Box> boxes;
  boxes.reserve(d.blocks.size());
  for (size_t b = 0; b < d.blocks.size(); ++b) {
    const Block& block = d.blocks[b];
    if (const auto* p = std::get_if<Paragraph>(&block)) {
      boxes.emplace_back(typesetter.paragraph(*p, text_width));
    } else if (const auto* t = std::get_if<Table>(&block)) {
      boxes.emplace_back(typesetter.table(*t, text_width));
    } else if (const auto* image = std::get_if<Image>(&block)) {
      Result<ImageBox> loaded = load_image(*image, b, text_width);
      if (!loaded.is_ok()) return loaded.status();
      boxes.emplace_back(std::move(loaded).value());
    } else {
      boxes.emplace_back(PageBreakBox{});
    }
  }

  PageWriter(d, typesetter, surface.get(), cr.get()).write(boxes);
  if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
    return cairo_error("drawing the pages", cairo_status(cr.get()));
  }
  cr.reset();
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return cairo_error("writing the PDF", cairo_surface_status(surface.get()));
  }
  surface.reset();
  return pdf;
}

}  // namespace sipas::doc
