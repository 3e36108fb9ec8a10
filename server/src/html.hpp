// Small helpers for the dashboard's server-rendered pages: the page templates, escaping, texts in
// two languages, number formats and the inline SVG charts. Internal to server/. Pure functions,
// thread-safe.
#pragma once

#include <kainjow/mustache.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipas/status.hpp"

namespace sipas::html {

// Text for element content and quoted attribute values: & < > " ' escaped.
std::string esc(std::string_view text);
// A query-string component (percent-encoded UTF-8).
std::string url(std::string_view text);

// The dashboard's words in Vietnamese ("vi") or English ("en"); "" for an unknown key.
const char* tr(std::string_view key, const std::string& lang);

// What a template is rendered with (kainjow::mustache: objects, lists, strings, booleans).
using Data = kainjow::mustache::data;
// Every word of tr()'s catalogue in `lang`, keyed as in tr(): templates write {{t.key}}.
Data words(const std::string& lang);

// Renders server/templates/<name>.mustache (compiled in; no file is read at run time). Every
// template is also a partial of the others ({{> picker}}), so no key at the top of `data` may be
// named like a template. {{x}} goes through esc(); {{{x}}} is written as is and is only for markup
// this module made (the SVG charts, a page body inside the layout). invalid_argument for an
// unknown template, a key that hides one, or a template that does not parse.
Result<std::string> render(std::string_view name, Data data);

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

struct EmbeddedFile {
  std::string_view name;  // "unit" for server/templates/unit.mustache
  std::string_view text;
};
// The page templates, compiled in from server/templates/*.mustache.
const std::vector<EmbeddedFile>& templates();

}  // namespace sipas::html
