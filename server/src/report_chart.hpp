// The period report's chart: a bar per SIPAS element for this period, beside the previous period
// and the national figure, drawn as a PNG with cairo and pango (pango shapes the Vietnamese
// labels; Liberation Sans). Internal to server/.
//
// Legible in black-and-white print: each series has its own shade and pattern (solid dark,
// diagonal hatching, light with dots) and its value written above the bar; the axis runs 0–100.
//
// Pure function, any thread (each call has its own surface). Errors: internal when cairo cannot
// make or encode the image.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sipas/status.hpp"

namespace sipas {

struct ChartSeries {
  std::string label;                          // the legend's text
  std::vector<std::optional<double>> values;  // one per category, 0–100; nullopt: no bar
};

struct BarChart {
  std::vector<std::string> categories;  // the elements' names
  std::vector<ChartSeries> series;      // up to 3, drawn left to right in each group
  std::string language = "vi";          // number format: decimal comma in "vi"
  int width_px = 1600;
  int height_px = 900;
};

// The PNG file's bytes.
Result<std::string> draw_bar_chart(const BarChart& chart);

}  // namespace sipas
