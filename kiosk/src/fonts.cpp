#include "fonts.hpp"

#include <algorithm>
#include <cmath>
#include <system_error>

#include <imgui.h>

namespace sipas {
namespace {

const ImWchar* vietnamese_ranges(ImFontAtlas* atlas) {
  static ImVector<ImWchar> ranges = [atlas] {
    ImFontGlyphRangesBuilder builder;
    builder.AddRanges(atlas->GetGlyphRangesVietnamese());
    static const ImWchar extra[] = {
        0x0020, 0x00FF,  // Basic Latin, Latin-1
        0x0100, 0x017F,  // Latin Extended-A (Ă ă Đ đ Ĩ ĩ Ũ ũ)
        0x01A0, 0x01B0,  // Ơ ơ Ư ư
        0x0300, 0x0323,  // combining tone marks
        0x1EA0, 0x1EF9,  // Latin Extended Additional: every toned vowel
        0x2013, 0x203A,  // dashes, quotes, bullet, ellipsis, ‹ ›
        0x20AB, 0x20AB,  // ₫
        0x2190, 0x2193,  // arrows
        0,
    };
    builder.AddRanges(extra);
    ImVector<ImWchar> out;
    builder.BuildRanges(&out);
    return out;
  }();
  return ranges.Data;
}

bool exists(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

}  // namespace

FontFallbacks FontFallbacks::system() {
  return FontFallbacks{
      {"/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
       "/usr/share/fonts/opentype/noto/NotoSans-Regular.ttf",
       "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"},
      {"/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
       "/usr/share/fonts/opentype/noto/NotoSans-Bold.ttf",
       "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"}};
}

Result<FontFiles> find_fonts(const std::vector<std::string>& configured,
                             const FontFallbacks& fallbacks) {
  FontFiles files;
  std::string tried;
  for (const auto& p : configured) {
    tried += (tried.empty() ? "" : ", ") + p;
    if (!exists(p)) continue;
    const bool bold = p.find("Bold") != std::string::npos;
    if (bold && files.bold.empty()) files.bold = p;
    if (!bold && files.regular.empty()) files.regular = p;
  }
  for (const auto& p : fallbacks.regular) {
    if (!files.regular.empty()) break;
    tried += (tried.empty() ? "" : ", ") + p;
    if (exists(p)) files.regular = p;
  }
  if (files.regular.empty()) {
    return Status::error(ErrorCode::not_found, "no usable font found (tried " + tried +
                                                   "); install fonts-noto-core or set font_paths");
  }
  for (const auto& p : fallbacks.bold) {
    if (!files.bold.empty()) break;
    if (exists(p)) files.bold = p;
  }
  if (files.bold.empty()) files.bold = files.regular;
  return files;
}

float body_font_size(float width, float height) {
  const bool portrait = height > width;
  const float unit = portrait ? std::min(width / 800.0f, height / 1280.0f)
                              : std::min(width / 1280.0f, height / 800.0f);
  return std::max(20.0f, std::round(30.0f * unit));
}

namespace {

// Adds one font of `size` pixels with every Vietnamese glyph; nullptr when the file is unusable.
ImFont* add_font(ImFontAtlas* atlas, const std::filesystem::path& file, float size) {
  ImFontConfig cfg;
  cfg.OversampleV = 1;
  // Horizontal oversampling only pays off at small sizes; at title sizes it would quadruple the
  // atlas (memory and start-up time) for no visible gain.
  cfg.OversampleH = size < 36.0f ? 2 : 1;
  return atlas->AddFontFromFileTTF(file.c_str(), size, &cfg, vietnamese_ranges(atlas));
}

}  // namespace

// The pixel sizes of the standard fonts for a window; large text multiplies some of them.
struct FontSizes {
  float body, large, title, huge, label, typed;
};

FontSizes font_sizes(float width, float height) {
  const float body = body_font_size(width, height);
  return {body, std::round(body * 1.35f), std::round(body * 1.7f), std::round(body * 2.4f),
          std::max(28.0f, std::round(body * 1.1f)), std::max(34.0f, std::round(body * 1.35f))};
}

Result<Fonts> load_fonts(ImFontAtlas* atlas, const FontFiles& files, float width, float height) {
  atlas->Clear();
  const FontSizes z = font_sizes(width, height);
  Fonts f;
  f.body = add_font(atlas, files.regular, z.body);
  f.bold = add_font(atlas, files.bold, z.body);
  f.large = add_font(atlas, files.bold, z.large);
  f.title = add_font(atlas, files.bold, z.title);
  f.huge = add_font(atlas, files.bold, z.huge);
  f.label = add_font(atlas, files.bold, z.label);
  f.typed = add_font(atlas, files.regular, z.typed);
  if (!f.body || !f.bold || !f.large || !f.title || !f.huge || !f.label || !f.typed) {
    atlas->Clear();
    return Status::error(ErrorCode::invalid_argument,
                         files.regular.string() + ": not a usable TrueType font");
  }
  return f;
}

Result<Fonts> add_large_text_fonts(ImFontAtlas* atlas, const FontFiles& files, const Fonts& base,
                                   float width, float height) {
  const FontSizes z = font_sizes(width, height);
  Fonts f = base;
  f.body = add_font(atlas, files.regular, std::round(z.body * kLargeTextScale));
  f.bold = add_font(atlas, files.bold, std::round(z.body * kLargeTextScale));
  f.large = add_font(atlas, files.bold, std::round(z.large * kLargeTextScale));
  f.label = add_font(atlas, files.bold, std::round(z.label * kLargeTextScale));
  f.typed = add_font(atlas, files.regular, std::round(z.typed * kLargeTextScale));
  if (!f.body || !f.bold || !f.large || !f.label || !f.typed) {
    return Status::error(ErrorCode::invalid_argument,
                         files.regular.string() + ": not a usable TrueType font");
  }
  return f;
}

}  // namespace sipas
