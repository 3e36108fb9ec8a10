// Small helpers for the dashboard's server-rendered pages: escaping, texts in two languages,
// number formats and the inline SVG charts. Internal to server/. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipas::html {

// Text for element content and quoted attribute values: & < > " ' escaped.
std::string esc(std::string_view text);
// A query-string component (percent-encoded UTF-8).
std::string url(std::string_view text);

// The dashboard's words in Vietnamese ("vi") or English ("en").
const char* tr(std::string_view key, const std::string& lang);

// 84.456 -> "84,5" (vi) / "84.5" (en); "–" for none.
std::string number(std::optional<double> v, const std::string& lang, int decimals = 1);
std::string signed_number(std::optional<double> v, const std::string& lang, int decimals = 1);
// "84.46" whatever the language, for data-value attributes that tests compare with the API.
std::string data_number(std::optional<double> v);

struct Bar {
  std::string label;
  std::optional<double> value;           // 0–100
  std::optional<double> reference;       // a tick (the national figure)
  std::string href;                      // optional link
};
// Horizontal bars on a 0–100 scale with an optional reference tick per bar.
std::string bars_svg(const std::vector<Bar>& bars, const std::string& lang,
                     const std::string& reference_label);

struct TrendPoint {
  std::string label;  // "11/2026"
  std::optional<double> value;
};
struct ReferenceLine {
  std::string label;
  double value = 0;
  std::string css_class;
};
// A line chart of the index over time with horizontal reference lines.
std::string trend_svg(const std::vector<TrendPoint>& points, const std::vector<ReferenceLine>& lines,
                      const std::string& lang);

// The stylesheet served at /assets/app.css (from server/assets/app.css, compiled in).
std::string_view app_css();

}  // namespace sipas::html
