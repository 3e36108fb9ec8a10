#include "report_chart.hpp"

#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <memory>

#include "html.hpp"

namespace sipas {
namespace {

struct SurfaceFree {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextFree {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
struct PatternFree {
  void operator()(cairo_pattern_t* p) const { cairo_pattern_destroy(p); }
};
struct LayoutFree {
  void operator()(PangoLayout* l) const { g_object_unref(l); }
};
struct FontFree {
  void operator()(PangoFontDescription* f) const { pango_font_description_free(f); }
};

enum class Anchor { left, center, right };

// Draws `text` with its top at y; x is its left edge, centre or right edge. With `wrap_px` the
// text wraps at that width (centred lines). Returns the width drawn.
int text(cairo_t* cr, const std::string& s, double x, double y, int px, bool bold, Anchor anchor,
         int wrap_px = 0) {
  std::unique_ptr<PangoLayout, LayoutFree> layout(pango_cairo_create_layout(cr));
  std::unique_ptr<PangoFontDescription, FontFree> font(pango_font_description_new());
  pango_font_description_set_family(font.get(), "Liberation Sans");
  pango_font_description_set_weight(font.get(), bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_font_description_set_absolute_size(font.get(), px * PANGO_SCALE);
  pango_layout_set_font_description(layout.get(), font.get());
  if (wrap_px > 0) {
    pango_layout_set_width(layout.get(), wrap_px * PANGO_SCALE);
    pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD);
    pango_layout_set_alignment(layout.get(), PANGO_ALIGN_CENTER);
  }
  pango_layout_set_text(layout.get(), s.c_str(), -1);
  int w = 0, h = 0;
  pango_layout_get_pixel_size(layout.get(), &w, &h);
  double left = x;
  if (wrap_px > 0) {
    left = anchor == Anchor::center ? x - wrap_px / 2.0 : anchor == Anchor::right ? x - wrap_px : x;
  } else if (anchor == Anchor::center) {
    left = x - w / 2.0;
  } else if (anchor == Anchor::right) {
    left = x - w;
  }
  cairo_move_to(cr, left, y);
  pango_cairo_show_layout(cr, layout.get());
  return w;
}

// The fill of series k: solid dark grey; white with black diagonal hatching; light grey with
// black dots. Each stays distinct in greyscale print and on a screen.
std::unique_ptr<cairo_pattern_t, PatternFree> series_fill(int k) {
  if (k == 0) return std::unique_ptr<cairo_pattern_t, PatternFree>(cairo_pattern_create_rgb(0.2, 0.2, 0.2));
  const int tile = 14;
  std::unique_ptr<cairo_surface_t, SurfaceFree> s(cairo_image_surface_create(CAIRO_FORMAT_RGB24, tile, tile));
  std::unique_ptr<cairo_t, ContextFree> cr(cairo_create(s.get()));
  if (k == 1) {
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    cairo_set_source_rgb(cr.get(), 0, 0, 0);
    cairo_set_line_width(cr.get(), 3);
    // Three strokes so the hatching joins across tile edges.
    for (int off : {-tile, 0, tile}) {
      cairo_move_to(cr.get(), off, tile);
      cairo_line_to(cr.get(), off + tile, 0);
    }
    cairo_stroke(cr.get());
  } else {
    cairo_set_source_rgb(cr.get(), 0.85, 0.85, 0.85);
    cairo_paint(cr.get());
    cairo_set_source_rgb(cr.get(), 0, 0, 0);
    cairo_arc(cr.get(), tile / 2.0, tile / 2.0, 2.2, 0, 6.2832);
    cairo_fill(cr.get());
  }
  std::unique_ptr<cairo_pattern_t, PatternFree> p(cairo_pattern_create_for_surface(s.get()));
  cairo_pattern_set_extend(p.get(), CAIRO_EXTEND_REPEAT);
  return p;
}

cairo_status_t append_png(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

Result<std::string> draw_bar_chart(const BarChart& c) {
  const int W = c.width_px, H = c.height_px;
  std::unique_ptr<cairo_surface_t, SurfaceFree> surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return Status::error(ErrorCode::internal, "cannot make the chart's image");
  }
  std::unique_ptr<cairo_t, ContextFree> holder(cairo_create(surface.get()));
  cairo_t* cr = holder.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);

  const int series = static_cast<int>(std::min<std::size_t>(c.series.size(), 3));
  const int categories = static_cast<int>(c.categories.size());

  // The legend across the top: a swatch and the series' name each.
  const int legend_px = 30, swatch = 36;
  double lx = 110;
  for (int k = 0; k < series; ++k) {
    auto fill = series_fill(k);
    cairo_rectangle(cr, lx, 28, swatch, swatch);
    cairo_set_source(cr, fill.get());
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 2);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    int w = text(cr, c.series[static_cast<std::size_t>(k)].label, lx + swatch + 12,
                 28 + (swatch - legend_px * 1.15) / 2, legend_px, false, Anchor::left);
    lx += swatch + 12 + w + 60;
  }

  // The plot: 0–100 with a grid line every 20.
  const double left = 110, right = W - 30, top = 120, bottom = H - 110;
  const double plot_h = bottom - top;
  cairo_set_line_width(cr, 1.5);
  for (int v = 0; v <= 100; v += 20) {
    double y = bottom - plot_h * v / 100.0;
    cairo_set_source_rgb(cr, v == 0 ? 0 : 0.75, v == 0 ? 0 : 0.75, v == 0 ? 0 : 0.75);
    cairo_move_to(cr, left, y);
    cairo_line_to(cr, right, y);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, std::to_string(v), left - 14, y - 15, 26, false, Anchor::right);
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_move_to(cr, left, top - 10);
  cairo_line_to(cr, left, bottom);
  cairo_stroke(cr);
  text(cr, "%", left - 14, top - 52, 26, false, Anchor::right);

  if (categories > 0 && series > 0) {
    const double group_w = (right - left) / categories;
    const double bar_w = group_w * 0.8 / series;
    for (int i = 0; i < categories; ++i) {
      const double gx = left + group_w * i + group_w * 0.1;
      for (int k = 0; k < series; ++k) {
        const auto& values = c.series[static_cast<std::size_t>(k)].values;
        std::optional<double> v;
        if (static_cast<std::size_t>(i) < values.size()) v = values[static_cast<std::size_t>(i)];
        const double x = gx + bar_w * k;
        const double label_y = v ? bottom - plot_h * std::clamp(*v, 0.0, 100.0) / 100.0 : bottom;
        if (v) {
          auto fill = series_fill(k);
          cairo_rectangle(cr, x + 3, label_y, bar_w - 6, bottom - label_y);
          cairo_set_source(cr, fill.get());
          cairo_fill_preserve(cr);
          cairo_set_source_rgb(cr, 0, 0, 0);
          cairo_set_line_width(cr, 2);
          cairo_stroke(cr);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        text(cr, html::number(v, c.language), x + bar_w / 2, label_y - 34, 25, k == 0,
             Anchor::center);
      }
      cairo_set_source_rgb(cr, 0, 0, 0);
      text(cr, c.categories[static_cast<std::size_t>(i)], left + group_w * (i + 0.5), bottom + 14,
           27, false, Anchor::center, static_cast<int>(group_w - 16));
    }
  }

  cairo_surface_flush(surface.get());
  std::string png;
  if (cairo_surface_write_to_png_stream(surface.get(), append_png, &png) != CAIRO_STATUS_SUCCESS) {
    return Status::error(ErrorCode::internal, "cannot encode the chart as PNG");
  }
  return png;
}

}  // namespace sipas
