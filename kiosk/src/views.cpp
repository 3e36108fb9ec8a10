#include "views.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include <imgui.h>

#include "text.hpp"
#include "utf8.hpp"

namespace sipas {
namespace {

constexpr float kPi = 3.14159265f;

ImU32 rgb(int r, int g, int b, int a = 255) { return IM_COL32(r, g, b, a); }

struct Rgb {
  float r, g, b;
};

Rgb mix(Rgb a, Rgb b, float t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}
ImU32 to_u32(Rgb c, int alpha = 255) {
  return IM_COL32(static_cast<int>(c.r), static_cast<int>(c.g), static_cast<int>(c.b), alpha);
}

// Red → orange → amber → light green → green; level 0..1.
Rgb rating_colour(float level) {
  static const Rgb stops[] = {{198, 40, 40}, {239, 108, 0}, {249, 168, 37}, {124, 179, 66},
                              {46, 125, 50}};
  level = std::clamp(level, 0.0f, 1.0f) * 4.0f;
  const int i = std::min(3, static_cast<int>(level));
  return mix(stops[i], stops[i + 1], level - static_cast<float>(i));
}

const Rgb kWhite{255, 255, 255};

// The colours of a screen. The standard palette is dark text on a light background; the high
// contrast one, switched on by a citizen on the welcome screen, is white and yellow on black
// (every text at least 7:1, WCAG AAA). The staff screens always use the standard one.
struct Palette {
  ImU32 background, header, header_ink, accent, ink, muted, danger;
  ImU32 primary, primary_down, primary_ink, selected, green, green_down, green_ink;
  ImU32 card, card_down, quiet, disabled, disabled_ink, line, track, mark, mark_ink;
  ImU32 option_on, box_off;
  bool dark;  // tiles are filled dark and outlined in their colour, instead of tinted
};

const Palette kStandard{
    rgb(243, 246, 249), rgb(18, 62, 104), rgb(255, 255, 255), rgb(200, 160, 40),
    rgb(28, 37, 48),
    // Subtitles and hints: dark enough to read on the light background from arm's length (8:1).
    rgb(58, 68, 80), rgb(183, 28, 28),
    rgb(21, 101, 160), rgb(13, 71, 117), rgb(255, 255, 255), rgb(25, 118, 180),
    rgb(46, 125, 50), rgb(27, 94, 32), rgb(255, 255, 255),
    rgb(255, 255, 255), rgb(222, 230, 238), rgb(233, 238, 243), rgb(214, 220, 226), rgb(58, 68, 80),
    rgb(196, 206, 216), rgb(214, 222, 230), rgb(28, 37, 48), rgb(255, 255, 255),
    rgb(232, 241, 250), rgb(236, 240, 244),
    false};

const Palette kHighContrast{
    rgb(0, 0, 0), rgb(0, 0, 0), rgb(255, 255, 255), rgb(255, 214, 0),
    rgb(255, 255, 255), rgb(235, 235, 235), rgb(255, 138, 128),
    rgb(255, 214, 0), rgb(200, 166, 0), rgb(0, 0, 0), rgb(255, 214, 0),
    rgb(105, 240, 174), rgb(0, 200, 83), rgb(0, 0, 0),
    rgb(0, 0, 0), rgb(50, 50, 50), rgb(20, 20, 20), rgb(40, 40, 40), rgb(200, 200, 200),
    rgb(255, 255, 255), rgb(90, 90, 90), rgb(255, 214, 0), rgb(0, 0, 0),
    rgb(60, 52, 0), rgb(0, 0, 0),
    true};

enum class Look { card, primary, confirm, selected, quiet };

class Painter {
 public:
  // `fonts`: the ones to draw with (large text's where the citizen chose it); `base`: the standard
  // ones, which set the layout's unit and serve where a larger text would not fit.
  Painter(const Fonts& fonts, const Fonts& base, const Flow& flow, std::vector<Action>* actions,
          UiSnapshot* snap, const Palette& palette)
      : fonts_(fonts), base_(base), flow_(flow), actions_(actions), snap_(snap), pal_(palette) {
    const ImVec2 size = ImGui::GetIO().DisplaySize;
    w_ = size.x;
    h_ = size.y;
    portrait_ = h_ > w_ * 1.05f;
    u_ = base.body->FontSize / 30.0f;
    margin_ = std::round(28 * u_);
    gap_ = std::round(16 * u_);
    dl_ = ImGui::GetWindowDrawList();
    lang_ = flow.language();
  }

  float w() const { return w_; }
  float h() const { return h_; }
  float u() const { return u_; }
  float margin() const { return margin_; }
  float gap() const { return gap_; }
  // The least space between two tappable elements, so that a finger meant for one never lands
  // on its neighbour (keys of one keyboard excepted).
  float tap_gap() const { return std::max(24.0f, gap_); }
  bool portrait() const { return portrait_; }
  const std::string& lang() const { return lang_; }
  const char* tr(Text t) const { return text(lang_, t); }
  ImDrawList* dl() const { return dl_; }
  const Fonts& fonts() const { return fonts_; }
  const Fonts& base_fonts() const { return base_; }
  bool large_text() const { return fonts_.body != base_.body; }
  const Flow& flow() const { return flow_; }
  const Palette& pal() const { return pal_; }

  void emit(ActionKind kind, int value = 0, std::string text = {}) {
    actions_->push_back(Action{kind, value, std::move(text)});
  }

  // The label's layout comes from the last text_block() when it drew that very text.
  void record(const std::string& id, const std::string& label, ImVec2 min, ImVec2 max) {
    UiElement e{id, label, min.x, min.y, max.x - min.x, max.y - min.y};
    if (!label.empty() && label == last_text_) {
      e.lines = last_lines_;
      e.cut = last_cut_;
    }
    snap_->elements.push_back(std::move(e));
  }

  // A text drawn for reading, with the layout of the last text_block().
  void record_text(const std::string& id, const std::string& text, bool cut) {
    snap_->texts.push_back(UiText{id, text, text == last_text_ ? last_lines_ : 0, cut || (text == last_text_ && last_cut_)});
  }

  // Whether `s` wrapped in `font` fits a box: no word wider than it, no taller than `height`.
  bool fits(ImFont* font, std::string_view s, float width, float height) const {
    const auto lines = wrap(font, s, width);
    if (font->FontSize * 1.18f * static_cast<float>(lines.size()) > height + 0.5f) return false;
    for (auto line : lines) {
      if (font->CalcTextSizeA(font->FontSize, FLT_MAX, 0, line.data(), line.data() + line.size()).x > width + 0.5f) {
        return false;
      }
    }
    return true;
  }

  // The first of `fonts` in which `s` fits the box; the last when none does.
  ImFont* fitting(std::initializer_list<ImFont*> fonts, std::string_view s, float width, float height) const {
    ImFont* last = nullptr;
    for (ImFont* f : fonts) {
      if (!f) continue;
      last = f;
      if (fits(f, s, width, height)) return f;
    }
    return last;
  }

  std::vector<std::string_view> wrap(ImFont* font, std::string_view s, float width) const {
    std::vector<std::string_view> lines;
    const char* p = s.data();
    const char* end = s.data() + s.size();
    while (p < end) {
      const char* nl = std::find(p, end, '\n');
      const char* cut = font->CalcWordWrapPositionA(1.0f, p, nl, width);
      if (cut == p) cut = p + 1;
      while (cut < nl && (static_cast<unsigned char>(*cut) & 0xC0) == 0x80) ++cut;
      std::string_view line(p, static_cast<std::size_t>(cut - p));
      while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
      lines.push_back(line);
      p = cut;
      while (p < nl && *p == ' ') ++p;
      if (p == nl && nl < end) ++p;
    }
    if (lines.empty()) lines.push_back(std::string_view(""));
    return lines;
  }

  // Text wrapped to box's width, each line centred; align_y 0 top, 0.5 centre. Returns the height.
  // A box with max.y == min.y has no height limit. The layout is kept for record().
  float text_block(ImFont* font, std::string_view s, ImVec2 min, ImVec2 max, ImU32 col,
                   float align_x = 0.5f, float align_y = 0.5f) {
    const auto lines = wrap(font, s, max.x - min.x);
    const float lh = font->FontSize * 1.18f;
    const float total = lh * static_cast<float>(lines.size());
    last_text_.assign(s.data(), s.size());
    last_lines_ = static_cast<int>(lines.size());
    last_cut_ = (max.y > min.y && total > max.y - min.y + 0.5f) || max.y > h_ + 0.5f ||
                (max.y == min.y && min.y + total > h_ + 0.5f);
    for (auto line : lines) {
      if (font->CalcTextSizeA(font->FontSize, FLT_MAX, 0, line.data(), line.data() + line.size()).x >
          max.x - min.x + 0.5f) {
        last_cut_ = true;
      }
    }
    float y = min.y + std::max(0.0f, (max.y - min.y - total) * align_y);
    for (auto line : lines) {
      const ImVec2 sz =
          font->CalcTextSizeA(font->FontSize, FLT_MAX, 0, line.data(), line.data() + line.size());
      const float x = min.x + std::max(0.0f, (max.x - min.x - sz.x) * align_x);
      dl_->AddText(font, font->FontSize, ImVec2(std::round(x), std::round(y)), col, line.data(),
                   line.data() + line.size());
      y += lh;
    }
    return total;
  }

  float text_height(ImFont* font, std::string_view s, float width) const {
    return font->FontSize * 1.18f * static_cast<float>(wrap(font, s, width).size());
  }

  // A tappable rounded box. Returns true on release over it.
  bool button(const std::string& id, const std::string& label, ImVec2 min, ImVec2 max, Look look,
              ImFont* font = nullptr, bool enabled = true) {
    if (!font) font = fonts_.bold;
    ImGui::SetCursorScreenPos(min);
    const bool clicked = ImGui::InvisibleButton(id.c_str(), ImVec2(max.x - min.x, max.y - min.y));
    const bool held = enabled && ImGui::IsItemActive();
    ImU32 fill = pal_.card, border = pal_.line, ink = pal_.ink;
    switch (look) {
      case Look::card: fill = held ? pal_.card_down : pal_.card; break;
      case Look::primary: fill = held ? pal_.primary_down : pal_.primary; border = fill; ink = pal_.primary_ink; break;
      case Look::confirm: fill = held ? pal_.green_down : pal_.green; border = fill; ink = pal_.green_ink; break;
      case Look::selected: fill = held ? pal_.primary_down : pal_.selected; border = pal_.primary_down; ink = pal_.primary_ink; break;
      case Look::quiet: fill = held ? pal_.card_down : pal_.quiet; border = pal_.line; ink = pal_.ink; break;
    }
    if (!enabled) {
      fill = pal_.disabled;
      border = fill;
      ink = pal_.muted;
    }
    const float rounding = 14 * u_;
    dl_->AddRectFilled(ImVec2(min.x, min.y + 3 * u_), ImVec2(max.x, max.y + 3 * u_),
                       rgb(0, 0, 0, 22), rounding);
    dl_->AddRectFilled(min, max, fill, rounding);
    dl_->AddRect(min, max, border, rounding, 0, std::max(1.5f, 2 * u_));
    if (!label.empty()) {
      const float pad = 10 * u_;
      // Large text where it fits the button, else the standard size.
      if (large_text()) {
        font = fitting({font, font == fonts_.body ? base_.body : base_.bold, base_.body}, label,
                       max.x - min.x - 2 * pad, max.y - min.y);
      }
      text_block(font, label, ImVec2(min.x + pad, min.y), ImVec2(max.x - pad, max.y), ink);
    }
    if (enabled) record(id, label, min, max);
    return clicked && enabled;
  }

  void background(ImU32 col) { dl_->AddRectFilled(ImVec2(0, 0), ImVec2(w_, h_), col); }

  // The title bar with the unit's name; returns its bottom edge.
  float header(const std::string& right = {}) {
    const float hh = std::round(std::max(56.0f, 84 * u_));
    dl_->AddRectFilled(ImVec2(0, 0), ImVec2(w_, hh), pal_.header);
    dl_->AddRectFilled(ImVec2(0, hh - 4 * u_), ImVec2(w_, hh), pal_.accent);
    const std::string& unit = flow_.config().unit.name;
    // Every citizen screen has the speaker button in the header's right-hand corner.
    const Screen sc = flow_.screen();
    const bool citizen = sc != Screen::pin && sc != Screen::staff && sc != Screen::out_of_service;
    const float edge = w_ - (citizen ? voice_button(hh) : 0.0f);
    float right_w = citizen ? w_ - edge : 0.0f;
    // The bar's height is fixed: its texts keep the standard sizes in large text.
    if (!right.empty()) {
      ImFont* f = base_.large;
      const ImVec2 sz = f->CalcTextSizeA(f->FontSize, FLT_MAX, 0, right.c_str());
      right_w += sz.x + 2 * margin_;
      const ImVec2 pmin(edge - margin_ - sz.x - 24 * u_, (hh - sz.y) / 2 - 6 * u_);
      const ImVec2 pmax(edge - margin_, (hh + sz.y) / 2 + 2 * u_);
      dl_->AddRectFilled(pmin, pmax, rgb(255, 255, 255, 40), (pmax.y - pmin.y) / 2);
      dl_->AddText(f, f->FontSize, ImVec2(pmin.x + 12 * u_, (hh - sz.y) / 2 - 2 * u_),
                   pal_.header_ink, right.c_str());
    }
    emblem(ImVec2(margin_ + hh * 0.3f, hh / 2 - 2 * u_), hh * 0.3f);
    const float tx = margin_ + hh * 0.6f + gap_;
    const float avail = w_ - tx - margin_ - right_w;
    // One line in bold where it fits, else two lines (bold, then regular) where the bar is tall
    // enough; only then cut with "…".
    for (ImFont* f : {base_.bold, base_.body}) {
      const auto lines = wrap(f, unit, avail);
      const float lh = f->FontSize * 1.12f;
      if (lines.size() == 1 || (lines.size() == 2 && 2 * lh <= hh - 8 * u_)) {
        float y = std::round((hh - lh * static_cast<float>(lines.size())) / 2 - 2 * u_);
        for (auto line : lines) {
          dl_->AddText(f, f->FontSize, ImVec2(tx, y), pal_.header_ink, line.data(),
                       line.data() + line.size());
          y += lh;
        }
        return hh;
      }
    }
    ImFont* f = base_.bold;
    const auto lines = wrap(f, unit, avail - f->FontSize);
    std::string first(lines[0]);
    if (lines.size() > 1) first += "…";
    dl_->AddText(f, f->FontSize, ImVec2(tx, std::round((hh - f->FontSize) / 2 - 4 * u_)),
                 pal_.header_ink, first.c_str());
    return hh;
  }

  // The speaker button, flush in the top right-hand corner and as tall as the header, so that a
  // hand finds it without sight; filled when reading aloud is on. Returns its width.
  float voice_button(float hh) {
    const bool on = flow_.voice_on();
    const std::string label = tr(Text::voice_button);
    ImFont* f = base_.bold;
    const float text_w = f->CalcTextSizeA(f->FontSize, FLT_MAX, 0, label.c_str()).x;
    // The word beside the icon where the window is wide enough to spare it for the unit's name.
    const bool worded = w_ >= 1100.0f;
    const float bw = std::round(worded ? std::max(std::max(96.0f, hh * 1.6f), hh * 0.95f + text_w + margin_ * 0.6f)
                                       : std::max(96.0f, hh * 1.6f));
    const ImVec2 min(w_ - bw, 0), max(w_, hh);
    ImGui::SetCursorScreenPos(min);
    const bool clicked = ImGui::InvisibleButton("voice", ImVec2(bw, hh));
    const bool held = ImGui::IsItemActive();
    const ImU32 ink = on ? (pal_.dark ? rgb(0, 0, 0) : pal_.header) : pal_.header_ink;
    dl_->AddRectFilled(min, ImVec2(max.x, max.y - 4 * u_),
                       on ? pal_.accent : held ? rgb(255, 255, 255, 90) : rgb(255, 255, 255, 34));
    dl_->AddLine(ImVec2(min.x, 0), ImVec2(min.x, hh - 4 * u_), pal_.header_ink, std::max(1.5f, 2 * u_));
    // The speaker: a box, its cone, and two waves.
    const float s = hh * 0.42f;
    const ImVec2 c(worded ? min.x + hh * 0.5f : (min.x + max.x) / 2, hh / 2 - 2 * u_);
    const ImVec2 box_min(c.x - s * 0.55f, c.y - s * 0.22f), box_max(c.x - s * 0.2f, c.y + s * 0.22f);
    dl_->AddRectFilled(box_min, box_max, ink);
    dl_->AddQuadFilled(ImVec2(box_max.x, box_min.y), ImVec2(c.x + s * 0.15f, c.y - s * 0.5f),
                       ImVec2(c.x + s * 0.15f, c.y + s * 0.5f), ImVec2(box_max.x, box_max.y), ink);
    const float wave = std::max(2.0f, s * 0.1f);
    for (float r : {s * 0.38f, s * 0.62f}) {
      dl_->PathArcTo(ImVec2(c.x + s * 0.05f, c.y), r, -0.9f, 0.9f, 16);
      dl_->PathStroke(ink, 0, wave);
    }
    if (!on) {
      dl_->AddLine(ImVec2(c.x - s * 0.6f, c.y + s * 0.6f), ImVec2(c.x + s * 0.7f, c.y - s * 0.6f),
                   ink, wave);
    }
    if (worded) {
      dl_->AddText(f, f->FontSize, ImVec2(std::round(min.x + hh * 0.95f), std::round(c.y - f->FontSize * 0.55f)),
                   ink, label.c_str());
    }
    last_text_ = label;  // one line, in a button made as wide as it needs, or the icon alone
    last_lines_ = worded ? 1 : 0;
    last_cut_ = false;
    record("voice", label, min, max);
    if (clicked) emit(ActionKind::toggle_voice);
    return bw;
  }

  // A simple round seal: gold ring with a star, the look of an official unit.
  void emblem(ImVec2 c, float r) {
    dl_->AddCircleFilled(c, r, rgb(198, 40, 40));
    dl_->AddCircle(c, r, rgb(240, 200, 80), 0, std::max(1.5f, r * 0.12f));
    ImVec2 pts[10];
    for (int i = 0; i < 10; ++i) {
      const float a = -kPi / 2 + static_cast<float>(i) * kPi / 5;
      const float rr = (i % 2 == 0) ? r * 0.62f : r * 0.25f;
      pts[i] = ImVec2(c.x + std::cos(a) * rr, c.y + std::sin(a) * rr);
    }
    for (int i = 0; i < 10; i += 2) {
      dl_->AddTriangleFilled(c, pts[i], pts[(i + 1) % 10], rgb(250, 215, 70));
      dl_->AddTriangleFilled(c, pts[i], pts[(i + 9) % 10], rgb(250, 215, 70));
    }
  }

  // A face from very unhappy (0) to very happy (1).
  void face(ImVec2 c, float r, float level) {
    const Rgb col = rating_colour(level);
    const ImU32 ink = rgb(45, 35, 30);
    dl_->AddCircleFilled(c, r, to_u32(col), 48);
    dl_->AddCircle(c, r, to_u32(mix(col, {0, 0, 0}, 0.3f)), 48, std::max(1.5f, r * 0.06f));
    const float eye = r * 0.1f;
    dl_->AddCircleFilled(ImVec2(c.x - r * 0.34f, c.y - r * 0.2f), eye, ink, 16);
    dl_->AddCircleFilled(ImVec2(c.x + r * 0.34f, c.y - r * 0.2f), eye, ink, 16);
    const float thick = std::max(2.0f, r * 0.1f);
    if (level < 0.15f) {
      dl_->AddLine(ImVec2(c.x - r * 0.5f, c.y - r * 0.5f), ImVec2(c.x - r * 0.18f, c.y - r * 0.38f),
                   ink, thick * 0.8f);
      dl_->AddLine(ImVec2(c.x + r * 0.5f, c.y - r * 0.5f), ImVec2(c.x + r * 0.18f, c.y - r * 0.38f),
                   ink, thick * 0.8f);
    }
    const float curve = (level - 0.5f) * 2.0f;  // -1 frown … 1 smile
    const float my = c.y + r * 0.38f - curve * r * 0.08f;
    const ImVec2 a(c.x - r * 0.42f, my);
    const ImVec2 b(c.x + r * 0.42f, my);
    if (std::fabs(curve) < 0.1f) {
      dl_->AddLine(a, b, ink, thick);
    } else {
      dl_->AddBezierQuadratic(a, ImVec2(c.x, my + curve * r * 0.42f), b, ink, thick, 24);
    }
  }

  void check_mark(ImVec2 c, float s, ImU32 col, float thickness) {
    const ImVec2 pts[3] = {ImVec2(c.x - s * 0.5f, c.y), ImVec2(c.x - s * 0.15f, c.y + s * 0.35f),
                           ImVec2(c.x + s * 0.55f, c.y - s * 0.4f)};
    dl_->AddPolyline(pts, 3, col, 0, thickness);
  }

  // The hidden staff corner: a 3 s press opens the PIN pad.
  void staff_corner() {
    const float s = std::max(64.0f, 110 * u_);
    ImGui::SetCursorScreenPos(ImVec2(0, 0));
    ImGui::InvisibleButton("corner", ImVec2(s, s));
    if (ImGui::IsItemActivated()) emit(ActionKind::corner_down);
    if (ImGui::IsItemDeactivated()) emit(ActionKind::corner_up);
    record("corner", "", ImVec2(0, 0), ImVec2(s, s));
  }

 private:
  const Fonts& fonts_;
  const Fonts& base_;
  const Flow& flow_;
  std::vector<Action>* actions_;
  UiSnapshot* snap_;
  const Palette& pal_;
  ImDrawList* dl_ = nullptr;
  std::string lang_;
  std::string last_text_;
  int last_lines_ = 0;
  bool last_cut_ = false;
  float w_ = 0, h_ = 0, u_ = 1, margin_ = 0, gap_ = 0;
  bool portrait_ = false;
};

float option_level(std::size_t i, std::size_t n) {
  return n <= 1 ? 1.0f : static_cast<float>(i) / static_cast<float>(n - 1);
}

// Where the question screen's answer tiles begin: a fixed share of the window, so that the tiles
// stay put from one question to the next whatever the length of its text.
float question_tiles_top(const Painter& p) { return p.h() * (p.portrait() ? 0.3f : 0.42f); }

// The options of one question as large tiles with faces, worst to best, filling the band
// [top, bottom) and anchored to its bottom. `chosen`: the answer given (ticked); `enabled` false
// greys them and leaves them out of the dump. Returns the top of the tiles.
float answer_tiles(Painter& p, const std::vector<Option>& options, float top, float bottom,
                   const std::optional<int>& chosen, bool enabled, bool draw = true) {
  const float m = p.margin(), g = p.gap(), tg = p.tap_gap(), u = p.u();
  const std::size_t count = options.size();
  const float n = static_cast<float>(count);
  float tiles_top = bottom;
  // Every tile is the same size, and every label gets the same font and face size: large text
  // first shrinks the faces, then steps the text down to the standard size, before any label
  // would spill out of its tile.
  const float tile_w = p.portrait() ? p.w() - 2 * m : (p.w() - 2 * m - tg * (n - 1)) / n;
  const float tile_h = p.portrait() ? std::min(170 * u, (bottom - top - tg * (n - 1)) / n)
                                    : std::min(bottom - top, tile_w * 1.25f);
  const float face_r = p.portrait() ? tile_h * 0.34f : std::min(tile_w * 0.3f, tile_h * 0.2f);
  auto text_box = [&](float r) {
    return p.portrait() ? ImVec2(tile_w - g - (2 * r + 3 * g), tile_h)
                        : ImVec2(tile_w - 8 * u, tile_h - tile_h * 0.07f - 2 * r - 2 * g / 3);
  };
  ImFont* tile_font = p.portrait() ? p.fonts().large : p.fonts().label;
  if (tile_font->FontSize < p.fonts().label->FontSize) tile_font = p.fonts().label;
  float r_scale = 1.0f;
  if (p.large_text()) {
    ImFont* standard = p.portrait() ? p.base_fonts().large : p.base_fonts().label;
    bool found = false;
    for (ImFont* f : {tile_font, standard, p.base_fonts().label}) {
      for (float rs : {1.0f, 0.75f, 0.55f}) {
        const ImVec2 box = text_box(face_r * rs);
        if (std::all_of(options.begin(), options.end(), [&](const Option& o) {
              return p.fits(f, o.label.get(p.lang()), box.x, box.y);
            })) {
          tile_font = f;
          r_scale = rs;
          found = true;
          break;
        }
      }
      if (found) break;
    }
    if (!found) tile_font = p.base_fonts().label;
  }
  for (std::size_t k = 0; k < count; ++k) {
    const Option& o = options[k];
    const float level = option_level(k, count);
    const Rgb col = rating_colour(level);
    ImVec2 bmin, bmax;
    if (p.portrait()) {
      const float bh = std::min(170 * u, (bottom - top - tg * (n - 1)) / n);
      const float stack = bh * n + tg * (n - 1);
      const std::size_t row = count - 1 - k;  // best answer on top
      bmin = ImVec2(m, bottom - stack + static_cast<float>(row) * (bh + tg));
      bmax = ImVec2(p.w() - m, bmin.y + bh);
    } else {
      const float bw = (p.w() - 2 * m - tg * (n - 1)) / n;
      const float bh = std::min(bottom - top, bw * 1.25f);
      bmin = ImVec2(m + static_cast<float>(k) * (bw + tg), bottom - bh);
      bmax = ImVec2(bmin.x + bw, bmin.y + bh);
    }
    tiles_top = std::min(tiles_top, std::round(bmin.y));
    if (!draw) continue;
    const bool on = chosen && *chosen == o.value;
    const std::string id = "answer-" + std::to_string(o.value);
    const std::string label = o.label.get(p.lang());
    ImGui::SetCursorScreenPos(bmin);
    const bool clicked =
        ImGui::InvisibleButton(id.c_str(), ImVec2(bmax.x - bmin.x, bmax.y - bmin.y));
    const bool held = enabled && ImGui::IsItemActive();
    ImDrawList* dl = p.dl();
    const float rounding = 18 * u;
    dl->AddRectFilled(ImVec2(bmin.x, bmin.y + 4 * u), ImVec2(bmax.x, bmax.y + 4 * u),
                      rgb(0, 0, 0, 24), rounding);
    // A press or a choice only tints the tile lightly: a strong red fill would tell the officer
    // across the counter how the citizen answered. The tick says which one was chosen.
    // High contrast: nearly black tiles outlined in their colour, under white text.
    const Rgb base = p.pal().dark ? Rgb{0, 0, 0} : kWhite;
    const Rgb fill = enabled ? mix(col, base, held || on ? (p.pal().dark ? 0.6f : 0.78f) : (p.pal().dark ? 0.82f : 0.88f))
                             : (p.pal().dark ? Rgb{40, 40, 40} : Rgb{226, 231, 236});
    dl->AddRectFilled(bmin, bmax, to_u32(fill), rounding);
    const bool marked = on && !p.flow().config().private_answers;
    const float border = (marked ? 5.0f : p.pal().dark ? 4.0f : 3.0f) * u;
    dl->AddRect(bmin, bmax, enabled ? to_u32(col) : p.pal().line, rounding, 0, border);
    const float bw = bmax.x - bmin.x, bh = bmax.y - bmin.y;
    if (p.portrait()) {
      const float r = bh * 0.34f * r_scale;
      p.face(ImVec2(bmin.x + g + r + 8 * u, (bmin.y + bmax.y) / 2), r, level);
      p.text_block(tile_font, label, ImVec2(bmin.x + 2 * r + 3 * g, bmin.y),
                   ImVec2(bmax.x - g - (on ? bh * 0.5f : 0), bmax.y), p.pal().ink, 0.0f, 0.5f);
    } else {
      const float r = std::min(bw * 0.3f, bh * 0.2f) * r_scale;
      const ImVec2 fc((bmin.x + bmax.x) / 2, bmin.y + bh * 0.07f + r);
      p.face(fc, r, level);
      p.text_block(tile_font, label, ImVec2(bmin.x + 4 * u, fc.y + r + g / 3),
                   ImVec2(bmax.x - 4 * u, bmax.y - g / 3), p.pal().ink, 0.5f, 0.4f);
    }
    if (on && !p.flow().config().private_answers) {
      const float tr = std::max(14.0f, std::min(bw, bh) * 0.13f);
      const ImVec2 tc(bmax.x - tr - 8 * u, bmin.y + tr + 8 * u);
      dl->AddCircleFilled(tc, tr, p.pal().ink, 32);
      p.check_mark(tc, tr * 1.1f, p.pal().mark_ink, std::max(3.0f, tr * 0.22f));
    }
    if (enabled) {
      p.record(id, label, bmin, bmax);
      if (clicked) p.emit(ActionKind::answer, o.value);
    }
  }
  return tiles_top;
}

// Welcome: the first question itself, so that the faces a citizen taps are a rating.
void draw_welcome(Painter& p) {
  const Flow& flow = p.flow();
  const KioskConfig& cfg = flow.config();
  const Survey& survey = flow.survey();
  p.background(p.pal().background);
  const float top = p.header();
  const float m = p.margin(), g = p.gap(), tg = p.tap_gap(), u = p.u();
  const float footer_h = std::round(std::max(64.0f, 100 * u));
  const float fy = p.h() - footer_h - m / 2;

  const int wait = flow.seconds_until_next();
  const Criterion& first = flow.first_question();
  float y = top + m * 0.75f;
  const std::string question = first.text.get(p.lang());
  ImFont* qfont = p.fonts().title;
  if (p.text_height(qfont, question, p.w() - 2 * m) > qfont->FontSize * 1.18f * 2.5f) {
    qfont = p.fonts().large;
  }
  y += p.text_block(qfont, question, ImVec2(m, y), ImVec2(p.w() - m, y), p.pal().ink, 0.5f, 0.0f);
  p.record_text("question", question, false);
  const std::string sub = wait > 0 ? format_text(p.tr(Text::wait_seconds), wait)
                                   : welcome_prompt(p.lang(), static_cast<int>(flow.question_count()) - 1);
  y += g / 2;
  y += p.text_block(wait > 0 ? p.fonts().large : p.fonts().body, sub, ImVec2(m, y),
                    ImVec2(p.w() - m, y), wait > 0 ? p.pal().danger : p.pal().muted, 0.5f, 0.0f);
  y += g;
  const Counter* counter = cfg.find_counter(cfg.counter);
  std::string line1 = counter ? counter->name : std::string(p.tr(Text::counter)) + " " + cfg.counter;
  std::string line2;
  if (flow.officer() && counter) {
    for (const auto& o : counter->officers) {
      if (o.id == *flow.officer()) line2 = std::string(p.tr(Text::officer)) + ": " + o.name;
    }
  }
  // The large-text and contrast switches and the languages, right to left from the corner, one
  // width each; the counter and officer to their left, or, where that leaves them too little room
  // (portrait), on a line of their own above, with the switches across the whole width.
  const std::size_t switches = cfg.languages.size() + 2;
  float lang_w = std::round(std::max(110.0f, 170 * u));
  float langs_w = static_cast<float>(switches) * (lang_w + tg);
  float info_w = p.w() - 2 * m - langs_w;
  const bool info_above = info_w < 260 * u;
  // The counter and officer stay at the standard size in large text.
  ImFont* info_bold = p.base_fonts().bold;
  ImFont* info_body = p.base_fonts().body;
  float info_h = 0;
  if (info_above) {
    lang_w = std::floor((p.w() - 2 * m - tg * static_cast<float>(switches - 1)) / static_cast<float>(switches));
    langs_w = static_cast<float>(switches) * (lang_w + tg);
    info_w = p.w() - 2 * m;
    info_h = p.text_height(info_bold, line1, info_w) + (line2.empty() ? 0.0f : p.text_height(info_body, line2, info_w));
  }
  const float tiles_bottom = info_above ? fy - g - info_h - tg : fy - tg;

  std::optional<int> chosen;
  if (const auto c = flow.confirming()) chosen = *c;
  answer_tiles(p, survey.options_for(first), y, tiles_bottom, chosen, wait == 0);

  const float bh = footer_h;
  if (info_above) {
    float iy = fy - g - info_h;
    iy += p.text_block(info_bold, line1, ImVec2(m, iy), ImVec2(p.w() - m, iy), p.pal().ink, 0.0f, 0.0f);
    if (!line2.empty()) {
      p.text_block(info_body, line2, ImVec2(m, iy), ImVec2(p.w() - m, iy), p.pal().muted, 0.0f, 0.0f);
    }
  } else if (line2.empty()) {
    p.text_block(info_bold, line1, ImVec2(m, fy), ImVec2(m + info_w, fy + bh), p.pal().ink, 0.0f);
  } else {
    p.text_block(info_bold, line1, ImVec2(m, fy), ImVec2(m + info_w, fy + bh / 2), p.pal().ink,
                 0.0f, 0.8f);
    p.text_block(info_body, line2, ImVec2(m, fy + bh / 2), ImVec2(m + info_w, fy + bh),
                 p.pal().muted, 0.0f, 0.2f);
  }
  float x = p.w() - m - langs_w + tg;
  if (p.button("large-text", p.tr(Text::large_text), ImVec2(x, fy), ImVec2(x + lang_w, fy + bh),
               flow.large_text() ? Look::selected : Look::card, p.fonts().body)) {
    p.emit(ActionKind::toggle_large_text);
  }
  x += lang_w + tg;
  if (p.button("contrast", p.tr(Text::high_contrast), ImVec2(x, fy), ImVec2(x + lang_w, fy + bh),
               flow.high_contrast() ? Look::selected : Look::card, p.fonts().body)) {
    p.emit(ActionKind::toggle_contrast);
  }
  x += lang_w + tg;
  for (const auto& l : cfg.languages) {
    const std::string label = l == "vi"   ? p.tr(Text::language_name_vi)
                              : l == "en" ? p.tr(Text::language_name_en)
                                          : l;
    if (p.button("lang-" + l, label, ImVec2(x, fy), ImVec2(x + lang_w, fy + bh),
                 l == flow.language() ? Look::selected : Look::card)) {
      p.emit(ActionKind::set_language, 0, l);
    }
    x += lang_w + tg;
  }
  p.staff_corner();
}

void draw_back(Painter& p, float y, float h) {
  if (!p.flow().can_go_back()) return;
  const float bw = std::round(std::max(150.0f, 220 * p.u()));
  if (p.button("back", std::string("‹  ") + p.tr(Text::back), ImVec2(p.margin(), y),
               ImVec2(p.margin() + bw, y + h), Look::quiet)) {
    p.emit(ActionKind::back);
  }
}

void draw_question(Painter& p) {
  const Flow& flow = p.flow();
  const Survey& survey = flow.survey();
  const Criterion& c = flow.current_question();
  const auto given = flow.current_answer();
  const std::size_t n = flow.question_count(), i = flow.question_index();
  p.background(p.pal().background);
  const float top =
      p.header(format_text(p.tr(Text::question_progress), static_cast<int>(i + 1), static_cast<int>(n)));
  const float m = p.margin(), g = p.gap(), tg = p.tap_gap(), u = p.u();
  p.dl()->AddRectFilled(ImVec2(0, top), ImVec2(p.w(), top + 6 * u), p.pal().track);
  p.dl()->AddRectFilled(ImVec2(0, top),
                        ImVec2(p.w() * static_cast<float>(i + 1) / static_cast<float>(n), top + 6 * u),
                        p.pal().green);

  const float footer_h = std::round(std::max(56.0f, 84 * u));
  const float footer_y = p.h() - m - footer_h;
  const auto& options = survey.options_for(c);
  std::optional<int> chosen;
  if (given && *given) chosen = **given;
  const float tiles_top =
      answer_tiles(p, options, question_tiles_top(p), footer_y - tg, chosen, true, false);

  float y = top + m * 0.75f;
  if (const Element* e = survey.element_of(c.id)) {
    y += p.text_block(p.fonts().body, e->name.get(p.lang()), ImVec2(m, y), ImVec2(p.w() - m, y),
                      p.pal().muted, 0.5f, 0.0f);
    y += g / 3;
  }
  // The largest question font (title, then smaller) whose text and plain-language line fit above
  // the tiles; the tiles never move for a long question.
  const std::string question = c.text.get(p.lang());
  const std::string hint = c.hint.get(p.lang());
  const float room = tiles_top - g - y;
  const float hint_h = hint.empty() ? 0.0f : g / 3 + p.text_height(p.fonts().body, hint, p.w() - 2 * m);
  ImFont* qfont = p.base_fonts().bold;
  std::vector<ImFont*> candidates{p.fonts().title, p.fonts().large, p.fonts().label, p.base_fonts().large,
                                  p.base_fonts().label};
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const ImFont* a, const ImFont* b) { return a->FontSize > b->FontSize; });
  for (ImFont* f : candidates) {
    const float h = p.text_height(f, question, p.w() - 2 * m);
    if (h + hint_h <= room && (f != p.fonts().title || h <= f->FontSize * 1.18f * 2.5f)) {
      qfont = f;
      break;
    }
  }
  const float question_h = p.text_height(qfont, question, p.w() - 2 * m);
  y += p.text_block(qfont, question, ImVec2(m, y), ImVec2(p.w() - m, y), p.pal().ink, 0.5f, 0.0f);
  p.record_text("question", question, question_h + hint_h > room + 0.5f);
  if (!hint.empty()) {
    y += g / 3;
    p.text_block(p.fonts().body, hint, ImVec2(m, y), ImVec2(p.w() - m, y), p.pal().muted, 0.5f, 0.0f);
  }
  answer_tiles(p, options, question_tiles_top(p), footer_y - tg, chosen, true);

  // The footer, left to right: back, then "not applicable" and "don't know" at the right, each
  // with a full tap gap from its neighbour.
  draw_back(p, footer_y, footer_h);
  float right = p.w() - m;
  auto footer_button = [&](const std::string& id, Text t, bool chosen, ActionKind kind) {
    ImFont* f = p.fonts().bold;
    const float tw = f->CalcTextSizeA(f->FontSize, FLT_MAX, 0, p.tr(t)).x;
    const float bw = std::round(std::max(std::max(150.0f, 200 * u), tw + 40 * u));
    if (p.button(id, p.tr(t), ImVec2(right - bw, footer_y), ImVec2(right, footer_y + footer_h),
                 chosen ? Look::selected : Look::quiet)) {
      p.emit(kind);
    }
    right -= bw + tg;
  };
  const bool na_chosen = given && !*given && !flow.current_unknown();
  if (survey.allow_not_applicable) footer_button("answer-na", Text::not_applicable, na_chosen, ActionKind::not_applicable);
  if (c.allow_unknown) footer_button("answer-unknown", Text::unknown, flow.current_unknown(), ActionKind::unknown);
}

// Offered to everyone after the last question, worded the same whatever the answers: only the
// reasons (tied to the criteria answered low) differ.
void draw_followup(Painter& p) {
  const Flow& flow = p.flow();
  const auto reasons = flow.offered_reasons();
  p.background(p.pal().background);
  const float top = p.header();
  const float m = p.margin(), g = p.gap(), tg = p.tap_gap(), u = p.u();
  float y = top + m;
  y += p.text_block(p.fonts().title, p.tr(Text::followup_title), ImVec2(m, y), ImVec2(p.w() - m, y),
                    p.pal().ink, 0.5f, 0.0f);
  y += p.text_block(p.fonts().body, p.tr(reasons.empty() ? Text::followup_hint : Text::followup_reasons_hint),
                    ImVec2(m, y), ImVec2(p.w() - m, y), p.pal().muted, 0.5f, 0.0f);
  y += g;

  const float footer_h = std::round(std::max(56.0f, 84 * u));
  const float footer_y = p.h() - m - footer_h;
  const std::size_t n = reasons.size();
  if (n > 0) {
    const std::size_t cols = p.portrait() ? 1 : (n > 6 && p.w() > 1500 ? 3 : (n > 2 ? 2 : 1));
    const std::size_t rows = (n + cols - 1) / cols;
    const float cw = (p.w() - 2 * m - tg * static_cast<float>(cols - 1)) / static_cast<float>(cols);
    const float avail = footer_y - tg - y;
    const float ch = std::min(130 * u, (avail - tg * static_cast<float>(rows - 1)) / static_cast<float>(rows));
    // The largest font in which every reason fits its card beside the box (as drawn below); the
    // body font, smaller but whole, where even bold would spill over the card.
    const float text_w = cw - std::min(ch * 0.3f, 28 * u) - std::min(ch * 0.42f, 44 * u) - 2 * g;
    ImFont* font = p.base_fonts().body;
    for (ImFont* f : {p.fonts().label, p.fonts().bold, p.base_fonts().label, p.base_fonts().bold}) {
      if (std::none_of(reasons.begin(), reasons.end(), [&](const Reason* r) {
            return p.text_height(f, r->text.get(p.lang()), text_w) > ch - 8 * u;
          })) {
        font = f;
        break;
      }
    }
    for (std::size_t k = 0; k < n; ++k) {
      const Reason& r = *reasons[k];
      const std::size_t row = k / cols, col = k % cols;
      const ImVec2 cmin(m + static_cast<float>(col) * (cw + tg), y + static_cast<float>(row) * (ch + tg));
      const ImVec2 cmax(cmin.x + cw, cmin.y + ch);
      const bool on = flow.reason_selected(r.id);
      const std::string label = r.text.get(p.lang());
      const std::string id = "reason-" + r.id;
      ImGui::SetCursorScreenPos(cmin);
      const bool clicked = ImGui::InvisibleButton(id.c_str(), ImVec2(cw, ch));
      const bool held = ImGui::IsItemActive();
      ImDrawList* dl = p.dl();
      const float rounding = std::min(ch * 0.3f, 24 * u);
      dl->AddRectFilled(ImVec2(cmin.x, cmin.y + 3 * u), ImVec2(cmax.x, cmax.y + 3 * u),
                        rgb(0, 0, 0, 22), rounding);
      dl->AddRectFilled(cmin, cmax, held ? p.pal().card_down : on ? p.pal().option_on : p.pal().card, rounding);
      dl->AddRect(cmin, cmax, on ? p.pal().primary : p.pal().line, rounding, 0, (on ? 4.0f : 2.5f) * u);
      const float box = std::min(ch * 0.42f, 44 * u);
      const ImVec2 bmin(cmin.x + std::min(ch * 0.3f, 28 * u), (cmin.y + cmax.y - box) / 2);
      dl->AddRectFilled(bmin, ImVec2(bmin.x + box, bmin.y + box), on ? p.pal().primary : p.pal().box_off,
                        6 * u);
      dl->AddRect(bmin, ImVec2(bmin.x + box, bmin.y + box), on ? p.pal().primary : p.pal().muted, 6 * u, 0, 2 * u);
      if (on) p.check_mark(ImVec2(bmin.x + box / 2, bmin.y + box / 2), box * 0.7f, p.pal().card, 4 * u);
      p.text_block(font, label, ImVec2(bmin.x + box + g, cmin.y), ImVec2(cmax.x - g, cmax.y), p.pal().ink,
                   0.0f, 0.5f);
      p.record(id, label, cmin, cmax);
      if (clicked) p.emit(ActionKind::toggle_reason, 0, r.id);
    }
  }

  draw_back(p, footer_y, footer_h);
  const float bw = std::round(std::max(150.0f, 220 * u));
  const float fw = std::round(std::max(170.0f, 260 * u));
  const float cw = std::min(std::round(std::max(200.0f, 320 * u)), p.w() - 2 * m - bw - fw - 2 * tg);
  const ImVec2 fmin(p.w() - m - fw, footer_y);
  if (p.button("finish", p.tr(Text::finish), fmin, ImVec2(p.w() - m, footer_y + footer_h),
               Look::confirm)) {
    p.emit(ActionKind::followup_finish);
  }
  if (p.button("next", std::string(p.tr(Text::write_comment)) + "  ›", ImVec2(fmin.x - tg - cw, footer_y),
               ImVec2(fmin.x - tg, footer_y + footer_h), Look::primary)) {
    p.emit(ActionKind::followup_next);
  }
}

struct Key {
  std::string id;
  std::string label;
  ActionKind kind;
  int value;
  float width;  // in key units
  Look look;
};

void draw_keyboard(Painter& p, const std::vector<std::vector<Key>>& rows, ImVec2 min, ImVec2 max) {
  const float g = std::round(std::max(6.0f, 10 * p.u()));
  const float kh = (max.y - min.y - g * static_cast<float>(rows.size() - 1)) /
                   static_cast<float>(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    float units = 0;
    for (const auto& k : rows[r]) units += k.width;
    const float unit_w = (max.x - min.x - g * 9) / 10.0f;
    const float row_w = units * unit_w + g * (units - 1);
    float x = min.x + (max.x - min.x - row_w) / 2;
    const float y = min.y + static_cast<float>(r) * (kh + g);
    for (const auto& k : rows[r]) {
      const float kw = k.width * unit_w + g * (k.width - 1);
      if (p.button(k.id, k.label, ImVec2(x, y), ImVec2(x + kw, y + kh), k.look)) {
        p.emit(k.kind, k.value);
      }
      x += kw + g;
    }
  }
}

void draw_comment(Painter& p) {
  const Flow& flow = p.flow();
  p.background(p.pal().background);
  const float m = p.margin(), u = p.u();
  const float g = std::round(std::max(6.0f, 10 * u));
  const float hh = std::round(std::max(56.0f, 84 * u));
  p.dl()->AddRectFilled(ImVec2(0, 0), ImVec2(p.w(), hh), p.pal().header);
  p.dl()->AddRectFilled(ImVec2(0, hh - 4 * u), ImVec2(p.w(), hh), p.pal().accent);
  const float speaker_w = p.voice_button(hh);
  p.text_block(p.fitting({p.fonts().large, p.base_fonts().large, p.base_fonts().bold}, p.tr(Text::comment_title),
                         p.w() - speaker_w - 2 * m, hh),
               p.tr(Text::comment_title), ImVec2(m, 0), ImVec2(p.w() - speaker_w - m, hh),
               p.pal().header_ink, 0.0f, 0.5f);

  const TelexComposer& c = flow.comment();
  ImFont* f = p.fonts().typed;
  const float pad = 12 * u;
  const float lh = f->FontSize * 1.18f;
  const float box_h = std::round(std::max(2 * lh + 2 * pad, (p.portrait() ? 260 : 130) * u));
  const ImVec2 bmin(m, hh + g * 1.5f), bmax(p.w() - m, hh + g * 1.5f + box_h);
  p.dl()->AddRectFilled(bmin, bmax, p.pal().card, 10 * u);
  p.dl()->AddRect(bmin, bmax, p.pal().primary, 10 * u, 0, 2.5f * u);
  const std::string shown = c.utf8();
  auto lines = p.wrap(f, shown, bmax.x - bmin.x - 2 * pad);
  const std::size_t fit = std::max<std::size_t>(1, static_cast<std::size_t>((box_h - 2 * pad) / lh));
  const std::size_t first = lines.size() > fit ? lines.size() - fit : 0;
  float ty = bmin.y + pad;
  float caret_x = bmin.x + pad, caret_y = ty;
  for (std::size_t k = first; k < lines.size(); ++k) {
    const auto line = lines[k];
    if (!line.empty()) p.dl()->AddText(f, f->FontSize, ImVec2(bmin.x + pad, ty), p.pal().ink, line.data(),
                    line.data() + line.size());
    caret_x = bmin.x + pad +
              f->CalcTextSizeA(f->FontSize, FLT_MAX, 0, line.data(), line.data() + line.size()).x;
    caret_y = ty;
    ty += lh;
  }
  if (!shown.empty() && shown.back() == ' ') caret_x += f->CalcTextSizeA(f->FontSize, FLT_MAX, 0, " ").x;
  p.dl()->AddRectFilled(ImVec2(caret_x + 1, caret_y + 2 * u), ImVec2(caret_x + 1 + 3 * u, caret_y + f->FontSize),
                        p.pal().primary);
  const std::string count = format_text(p.tr(Text::comment_count), static_cast<int>(c.length()),
                                        static_cast<int>(c.max_length()));
  const bool full = c.length() >= c.max_length();
  float y = bmax.y + g / 2;
  ImFont* hf = p.fonts().body;
  const float hint_h = hf->FontSize * 1.2f;
  p.text_block(hf, count, ImVec2(m, y), ImVec2(p.w() - m, y + hint_h), full ? p.pal().danger : p.pal().muted, 1.0f, 0.5f);
  const float count_w = hf->CalcTextSizeA(hf->FontSize, FLT_MAX, 0, count.c_str()).x + 2 * g;
  // Beside the count where it fits, else on lines of its own under it (portrait).
  const char* hint = p.tr(flow.comment_telex() ? Text::comment_hint : Text::comment_plain_hint);
  const float hint_w = hf->CalcTextSizeA(hf->FontSize, FLT_MAX, 0, hint).x;
  if (hint_w <= p.w() - 2 * m - count_w) {
    p.text_block(hf, hint, ImVec2(m, y), ImVec2(p.w() - m - count_w, y + hint_h), p.pal().muted, 0.0f, 0.5f);
    y += hint_h + g / 2;
  } else {
    y += hint_h;
    y += p.text_block(hf, hint, ImVec2(m, y), ImVec2(p.w() - m, y), p.pal().muted, 0.0f, 0.0f) + g / 2;
  }

  const bool shift = flow.comment_shift();
  auto letter_row = [&](std::string_view letters) {
    std::vector<Key> row;
    for (char ch : letters) {
      const char shown_ch = (shift && ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 32) : ch;
      row.push_back(Key{std::string("key-") + ch, std::string(1, shown_ch), ActionKind::comment_key,
                        ch, 1.0f, Look::card});
    }
    return row;
  };
  std::vector<std::vector<Key>> rows;
  rows.push_back(letter_row("1234567890"));
  rows.push_back(letter_row("qwertyuiop"));
  auto row3 = letter_row("asdfghjkl");
  row3.push_back(Key{"key-telex", p.tr(Text::telex_key), ActionKind::comment_telex, 0, 1.0f,
                     flow.comment_telex() ? Look::selected : Look::quiet});
  rows.push_back(row3);
  auto row4 = letter_row("zxcvbnm");
  row4.insert(row4.begin(), Key{"key-shift", shift ? "abc" : "ABC", ActionKind::comment_shift, 0, 1.5f,
                                shift ? Look::selected : Look::quiet});
  row4.push_back(Key{"key-backspace", p.tr(Text::delete_key),
                     ActionKind::comment_backspace, 0, 1.5f, Look::quiet});
  rows.push_back(row4);
  rows.push_back({Key{"back", std::string("‹ ") + p.tr(Text::back), ActionKind::back, 0, 2.0f, Look::quiet},
                  Key{"key-comma", ",", ActionKind::comment_key, ',', 1.0f, Look::card},
                  Key{"key-space", p.tr(Text::space), ActionKind::comment_key, ' ', 3.0f, Look::card},
                  Key{"key-dot", ".", ActionKind::comment_key, '.', 1.0f, Look::card},
                  Key{"submit", p.tr(Text::submit), ActionKind::comment_submit, 0, 3.0f, Look::confirm}});
  draw_keyboard(p, rows, ImVec2(m, y), ImVec2(p.w() - m, p.h() - g * 1.5f));
}

// The dossier number on a keyboard of digits, capital letters and - . / (national dossier codes
// carry letters, 000.00.22.H34-251124-0001), with where to find it; a citizen without it goes on
// where the survey allows (the response is then not linked to a dossier).
void draw_dossier(Painter& p) {
  const Flow& flow = p.flow();
  const Survey& survey = flow.survey();
  p.background(p.pal().background);
  const float m = p.margin(), u = p.u();
  const float g = std::round(std::max(6.0f, 10 * u));
  const float hh = std::round(std::max(56.0f, 84 * u));
  p.dl()->AddRectFilled(ImVec2(0, 0), ImVec2(p.w(), hh), p.pal().header);
  p.dl()->AddRectFilled(ImVec2(0, hh - 4 * u), ImVec2(p.w(), hh), p.pal().accent);
  const float speaker_w = p.voice_button(hh);
  p.text_block(p.fitting({p.fonts().large, p.base_fonts().large, p.base_fonts().bold}, p.tr(Text::dossier_title),
                         p.w() - speaker_w - 2 * m, hh),
               p.tr(Text::dossier_title), ImVec2(m, 0), ImVec2(p.w() - speaker_w - m, hh),
               p.pal().header_ink, 0.0f, 0.5f);

  float y = hh + g;
  y += p.text_block(p.fonts().body, p.tr(Text::dossier_hint), ImVec2(m, y), ImVec2(p.w() - m, y),
                    p.pal().muted, 0.0f, 0.0f);
  y += g / 2;
  ImFont* tf = p.fonts().typed;
  const float box_h = std::round(tf->FontSize * 1.5f);
  p.dl()->AddRectFilled(ImVec2(m, y), ImVec2(p.w() - m, y + box_h), p.pal().card, 10 * u);
  p.dl()->AddRect(ImVec2(m, y), ImVec2(p.w() - m, y + box_h), p.pal().primary, 10 * u, 0, 2.5f * u);
  const std::string entry = flow.dossier_entry();
  float notice_x = p.w() - m - g;
  if (flow.dossier_notice() != DossierNotice::none) {
    const Text t = flow.dossier_notice() == DossierNotice::used_today ? Text::dossier_used
                                                                      : Text::dossier_empty;
    const float nw = std::min((p.w() - 2 * m) * 0.5f, p.fonts().bold->CalcTextSizeA(
                                                          p.fonts().bold->FontSize, FLT_MAX, 0, p.tr(t)).x);
    notice_x -= nw;
    p.text_block(p.fonts().bold, p.tr(t), ImVec2(notice_x, y), ImVec2(p.w() - m - g, y + box_h),
                 p.pal().danger, 1.0f, 0.5f);
  }
  p.text_block(tf, entry.empty() ? std::string("_") : entry, ImVec2(m + g, y),
               ImVec2(notice_x - g, y + box_h), entry.empty() ? p.pal().line : p.pal().ink, 0.0f, 0.5f);
  y += box_h + g * 1.5f;

  auto row_of = [](std::string_view chars) {
    std::vector<Key> row;
    for (char ch : chars) {
      const bool letter = ch >= 'A' && ch <= 'Z';
      const std::string id = letter ? std::string("key-") + static_cast<char>(ch + 32)
                                    : std::string("key-") + ch;
      row.push_back(Key{id, std::string(1, ch), ActionKind::dossier_key, ch, 1.0f, Look::card});
    }
    return row;
  };
  std::vector<std::vector<Key>> rows;
  rows.push_back(row_of("1234567890"));
  rows.push_back(row_of("QWERTYUIOP"));
  auto row3 = row_of("ASDFGHJKL");
  row3.push_back(Key{"key-dash", "-", ActionKind::dossier_key, '-', 1.0f, Look::card});
  rows.push_back(row3);
  auto row4 = row_of("ZXCVBNM");
  row4.push_back(Key{"key-dot", ".", ActionKind::dossier_key, '.', 1.0f, Look::card});
  row4.push_back(Key{"key-slash", "/", ActionKind::dossier_key, '/', 1.0f, Look::card});
  row4.push_back(Key{"key-backspace", p.tr(Text::delete_key), ActionKind::dossier_backspace, 0,
                     1.0f, Look::quiet});
  rows.push_back(row4);
  std::vector<Key> last;
  if (flow.can_go_back()) {
    last.push_back(Key{"back", std::string("‹ ") + p.tr(Text::back), ActionKind::back, 0, 2.5f, Look::quiet});
  }
  if (survey.dossier_optional) {
    last.push_back(Key{"skip", p.tr(Text::dossier_skip), ActionKind::dossier_skip, 0, 3.0f, Look::quiet});
  }
  last.push_back(Key{"submit", std::string(p.tr(Text::next)) + "  ›", ActionKind::dossier_submit, 0,
                     10.0f - 2.5f * (flow.can_go_back() ? 1.0f : 0.0f) -
                         3.0f * (survey.dossier_optional ? 1.0f : 0.0f),
                     Look::primary});
  rows.push_back(last);
  draw_keyboard(p, rows, ImVec2(m, y), ImVec2(p.w() - m, p.h() - g * 1.5f));
}

void draw_procedure(Painter& p) {
  const Flow& flow = p.flow();
  const auto& procedures = flow.procedures();
  p.background(p.pal().background);
  const float top = p.header();
  // Tap gaps between the buttons, and as spacing for the text around them.
  const float m = p.margin(), g = p.tap_gap(), u = p.u();
  const float footer_h = std::round(std::max(56.0f, 84 * u));
  const float footer_y = p.h() - m - footer_h;
  const std::size_t n = procedures.size();
  // One column reads best; a second (third on wide screens) only when rows would get too low.
  const float min_row = std::max(56.0f, 76 * u);
  const std::size_t max_cols = p.portrait() ? 2 : 3;

  // The layout of `count` buttons below a heading of `heading_h`, above a bottom edge `bottom`:
  // columns, button size, and the largest font in which every name fits its button (nullptr when
  // none does). Every name is tried, as any of them may land on the page laid out.
  struct Layout {
    std::size_t cols, rows;
    float avail, cw, ch;
    ImFont* font;
  };
  auto layout = [&](float heading_h, std::size_t count, float bottom) {
    auto rows_of = [count](std::size_t c) { return (count + c - 1) / c; };
    Layout l{};
    l.avail = bottom - g - (top + m * 0.75f + heading_h + g);
    auto row_h = [&](std::size_t c) {
      const auto rows = static_cast<float>(rows_of(c));
      return (l.avail - g * (rows - 1)) / rows;
    };
    l.cols = (!p.portrait() && count >= 4) ? 2 : 1;
    while (l.cols < max_cols && row_h(l.cols) < min_row) ++l.cols;
    l.rows = rows_of(l.cols);
    l.cw = (p.w() - 2 * m - g * static_cast<float>(l.cols - 1)) / static_cast<float>(l.cols);
    l.ch = std::max(44.0f, std::min(150 * u, row_h(l.cols)));
    l.font = nullptr;
    for (ImFont* f : {p.fonts().large, p.fonts().bold, p.base_fonts().large, p.base_fonts().bold,
                      p.base_fonts().body}) {
      if (std::all_of(procedures.begin(), procedures.end(), [&](const Procedure* proc) {
            return p.fits(f, proc->name.get(p.lang()), l.cw - 20 * u, l.ch);
          })) {
        l.font = f;
        break;
      }
    }
    return l;
  };
  // The hint under the title goes when the names would not fit with it; the names go a page at a
  // time when they do not fit even without it, as many to a page as fit.
  const std::string title = p.tr(Text::procedure_title), hint = p.tr(Text::procedure_hint);
  const float width = p.w() - 2 * m;
  const float title_h = p.text_height(p.fonts().title, title, width);
  ImFont* hint_font = p.fonts().body;
  bool show_hint = true;
  auto fit = [&](std::size_t count, float bottom) {
    for (ImFont* hf : {p.fonts().body, p.base_fonts().body}) {
      hint_font = hf;
      const Layout l = layout(title_h + p.text_height(hf, hint, width), count, bottom);
      if (l.font) return l;
    }
    hint_font = nullptr;
    return layout(title_h, count, bottom);
  };
  Layout l = fit(n, footer_y);
  std::size_t per_page = n;

  // The page buttons sit in the footer between "back" and the skip where they fit, else in a row
  // of their own above it.
  const std::string prev = std::string("‹  ") + p.tr(Text::procedure_prev);
  const std::string next = p.tr(Text::procedure_next) + std::string("  ›");
  ImFont* nav_font = p.base_fonts().bold;
  auto label_w = [&](const std::string& s) {
    return std::max(footer_h, nav_font->CalcTextSizeA(nav_font->FontSize, FLT_MAX, 0, s.c_str()).x +
                                  2 * 16 * u);
  };
  const float nav_bw = std::max(label_w(prev), label_w(next));
  const float ind_w = std::round(std::max(56.0f, 80 * u));
  const float nav_w = 2 * nav_bw + ind_w + 2 * g;
  const float back_w = std::round(std::max(150.0f, 220 * u));
  const float sw = std::round(std::max(220.0f, 340 * u));
  const float middle_x0 = m + back_w + g, middle_x1 = p.w() - m - sw - g;
  const bool nav_in_footer = middle_x1 - middle_x0 >= nav_w;
  const float nav_y = nav_in_footer ? footer_y : footer_y - g - footer_h;
  if (!l.font) {
    const float bottom = nav_in_footer ? footer_y : nav_y;
    for (per_page = n - 1; per_page > 1; --per_page) {
      l = fit(per_page, bottom);
      if (l.font) break;
    }
    if (!l.font) l = fit(1, bottom);
  }
  show_hint = hint_font != nullptr;
  ImFont* font = l.font ? l.font : p.base_fonts().body;
  const std::size_t pages = (n + per_page - 1) / per_page;
  const std::size_t page = std::min(flow.procedure_page(), pages - 1);

  float y = top + m * 0.75f;
  y += p.text_block(p.fonts().title, title, ImVec2(m, y), ImVec2(p.w() - m, y), p.pal().ink, 0.5f, 0.0f);
  if (show_hint) {
    y += p.text_block(hint_font, hint, ImVec2(m, y), ImVec2(p.w() - m, y), p.pal().muted, 0.5f, 0.0f);
  }
  y += g;
  const std::size_t cols = l.cols, rows = l.rows;
  const float cw = l.cw, ch = l.ch;
  const float stack = ch * static_cast<float>(rows) + g * static_cast<float>(rows - 1);
  y += std::max(0.0f, (l.avail - stack) * 0.3f);

  const std::optional<std::string>& chosen = flow.procedure();
  const std::size_t first = page * per_page, last = std::min(n, first + per_page);
  for (std::size_t k = first; k < last; ++k) {
    const Procedure& proc = *procedures[k];
    const std::size_t row = (k - first) / cols, col = (k - first) % cols;
    const ImVec2 bmin(m + static_cast<float>(col) * (cw + g),
                      y + static_cast<float>(row) * (ch + g));
    const ImVec2 bmax(bmin.x + cw, bmin.y + ch);
    const std::string label = proc.name.get(p.lang());
    const bool on = chosen && *chosen == proc.code;
    if (p.button("procedure." + proc.code, label, bmin, bmax, on ? Look::selected : Look::card,
                 font)) {
      p.emit(ActionKind::procedure_choose, 0, proc.code);
    }
  }

  if (pages > 1) {
    const float x0 = nav_in_footer ? (middle_x0 + middle_x1 - nav_w) / 2 : (p.w() - nav_w) / 2;
    const std::string count = std::to_string(pages);
    if (p.button("procedure.prev", prev, ImVec2(x0, nav_y),
                 ImVec2(x0 + nav_bw, nav_y + footer_h), Look::quiet, nav_font, page > 0)) {
      p.emit(ActionKind::procedure_page, -1, count);
    }
    const std::string shown = format_text(p.tr(Text::procedure_page), static_cast<int>(page + 1),
                                          static_cast<int>(pages));
    const float ix = x0 + nav_bw + g;
    p.text_block(p.base_fonts().body, shown, ImVec2(ix, nav_y), ImVec2(ix + ind_w, nav_y + footer_h),
                 p.pal().muted);
    p.record_text("procedure.page", shown, false);
    const float nx = ix + ind_w + g;
    if (p.button("procedure.next", next, ImVec2(nx, nav_y),
                 ImVec2(nx + nav_bw, nav_y + footer_h), Look::quiet, nav_font, page + 1 < pages)) {
      p.emit(ActionKind::procedure_page, 1, count);
    }
  }

  draw_back(p, footer_y, footer_h);
  if (p.button("procedure.skip", p.tr(Text::procedure_skip), ImVec2(p.w() - m - sw, footer_y),
               ImVec2(p.w() - m, footer_y + footer_h), Look::quiet)) {
    p.emit(ActionKind::procedure_skip);
  }
}

void draw_thanks(Painter& p) {
  p.background(p.pal().background);
  const float top = p.header();
  const float m = p.margin(), g = p.gap();
  const float avail = p.h() - top;
  const float r = std::min(avail * 0.16f, p.w() * 0.12f);
  const ImVec2 c(p.w() / 2, top + avail * 0.3f);
  p.dl()->AddCircleFilled(c, r, p.pal().green, 64);
  p.check_mark(ImVec2(c.x, c.y + r * 0.05f), r * 1.0f, rgb(255, 255, 255), std::max(4.0f, r * 0.14f));
  float y = c.y + r + g * 2;
  y += p.text_block(p.fonts().huge, p.tr(Text::thanks_title), ImVec2(m, y), ImVec2(p.w() - m, y),
                    p.pal().ink, 0.5f, 0.0f);
  y += g;
  p.text_block(p.fonts().large, p.tr(Text::thanks_body), ImVec2(m, y), ImVec2(p.w() - m, y), p.pal().muted,
               0.5f, 0.0f);
}

// "More time?" in place of the survey screen it interrupts (the answers stay in the Flow): the
// question, the seconds left, and one button as wide as the screen allows.
void draw_more_time(Painter& p, int seconds_left) {
  p.background(p.pal().background);
  const float top = p.header();
  const float m = p.margin(), g = p.gap();
  const float width = p.w() - 2 * m;
  float y = top + g * 2;
  y += p.text_block(p.fonts().huge, p.tr(Text::more_time_title), ImVec2(m, y), ImVec2(p.w() - m, y),
                    p.pal().ink, 0.5f, 0.0f);
  y += g;
  y += p.text_block(p.fonts().large, format_text(p.tr(Text::more_time_left), seconds_left), ImVec2(m, y), ImVec2(p.w() - m, y), p.pal().muted, 0.5f, 0.0f);
  y += g * 2;
  const float bh = std::min(p.h() - m - y, std::max(96.0f, std::round(160 * p.u())));
  const float bw = std::min(width, std::max(bh * 3, p.w() * 0.6f));
  const ImVec2 min((p.w() - bw) / 2, y);
  if (p.button("more-time", p.tr(Text::more_time_continue), min, ImVec2(min.x + bw, y + bh), Look::primary,
               p.fonts().huge)) {
    p.emit(ActionKind::more_time);
  }
}

void draw_pin(Painter& p) {
  const Flow& flow = p.flow();
  p.background(p.pal().background);
  const float top = p.header();
  const float m = p.margin(), g = p.gap(), u = p.u();
  const float left_w = p.portrait() ? p.w() - 2 * m : (p.w() - 2 * m) * 0.42f;
  float y = top + m;
  y += p.text_block(p.fonts().title, p.tr(Text::pin_title), ImVec2(m, y), ImVec2(m + left_w, y), p.pal().ink,
                    0.0f, 0.0f);
  y += g * 2;
  const float dot = std::round(std::max(10.0f, 16 * u));
  for (std::size_t k = 0; k < std::max<std::size_t>(4, flow.pin_length()); ++k) {
    const ImVec2 c(m + dot + static_cast<float>(k) * dot * 3, y + dot);
    if (k < flow.pin_length()) {
      p.dl()->AddCircleFilled(c, dot, p.pal().ink, 24);
    } else {
      p.dl()->AddCircle(c, dot, p.pal().muted, 24, 2 * u);
    }
  }
  y += dot * 2 + g * 2;
  std::optional<Text> notice;
  switch (flow.pin_notice()) {
    case PinNotice::wrong: notice = Text::pin_wrong; break;
    case PinNotice::locked: notice = Text::pin_locked; break;
    case PinNotice::not_set: notice = Text::pin_not_set; break;
    case PinNotice::none: break;
  }
  if (notice) {
    const float top = y;
    y += p.text_block(p.fonts().bold, p.tr(*notice), ImVec2(m, y), ImVec2(m + left_w, y), p.pal().danger,
                      0.0f, 0.0f);
    if (flow.pin_notice() == PinNotice::locked) {
      p.record("pin-locked", p.tr(*notice), ImVec2(m, top), ImVec2(m + left_w, std::max(y, top + 44)));
    }
  }
  const float footer_h = std::round(std::max(56.0f, 84 * u));
  const float footer_y = p.h() - m - footer_h;
  const float cw = std::round(std::max(150.0f, 220 * u));
  if (p.button("cancel", p.tr(Text::cancel), ImVec2(m, footer_y), ImVec2(m + cw, footer_y + footer_h),
               Look::quiet)) {
    p.emit(ActionKind::pin_cancel);
  }
  ImVec2 pad_min, pad_max;
  if (p.portrait()) {
    pad_min = ImVec2(m, y + g);
    pad_max = ImVec2(p.w() - m, footer_y - g);
  } else {
    pad_min = ImVec2(m + left_w + g * 2, top + m);
    pad_max = ImVec2(p.w() - m, p.h() - m);
  }
  const float kg = std::round(std::max(6.0f, 12 * u));
  const float kw = (pad_max.x - pad_min.x - 2 * kg) / 3;
  const float kh = (pad_max.y - pad_min.y - 3 * kg) / 4;
  const char* labels[12] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "", "0", "OK"};
  for (int k = 0; k < 12; ++k) {
    const ImVec2 a(pad_min.x + static_cast<float>(k % 3) * (kw + kg), pad_min.y + static_cast<float>(k / 3) * (kh + kg));
    const ImVec2 b(a.x + kw, a.y + kh);
    if (k == 9) {
      if (p.button("pin-backspace", p.tr(Text::delete_key), a, b, Look::quiet)) {
        p.emit(ActionKind::pin_backspace);
      }
    } else if (k == 11) {
      if (p.button("pin-ok", p.tr(Text::ok), a, b, Look::primary, p.fonts().large)) p.emit(ActionKind::pin_submit);
    } else if (p.button(std::string("pin-") + labels[k], labels[k], a, b, Look::card, p.fonts().large)) {
      p.emit(ActionKind::pin_key, labels[k][0]);
    }
  }
}

std::string fixed1(std::optional<double> v) {
  if (!v) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", *v);
  return buf;
}

std::string clock_text(std::optional<TimePoint> t, const StaffModel& s) {
  if (!t) return "—";
  return local_time_text(*t, s.time_zone());
}

// The text cut to one line of `width`, with "…" when it did not fit.
std::string one_line(const Painter& p, ImFont* font, const std::string& t, float width) {
  const auto lines = p.wrap(font, t, width - font->FontSize);
  std::string first(lines[0]);
  if (lines.size() > 1) first += "…";
  return first;
}

// The width a bar's label gets in a row `w` wide: most of a narrow row, 60% of a wide one.
float bar_label_width(ImFont* font, float w) {
  const float value_w = font->FontSize * 2.8f;
  return w < font->FontSize * 26 ? w - value_w - std::max(28.0f, w * 0.16f) : w * 0.6f;
}

// A labelled horizontal bar 0..100 (or 0..scale_max) with its value at the end.
void bar(Painter& p, ImVec2 min, ImVec2 max, const std::string& label, std::optional<double> v,
         double scale_max, ImFont* font) {
  const float label_w = bar_label_width(font, max.x - min.x);
  const float value_w = font->FontSize * 2.8f;
  p.text_block(font, one_line(p, font, label, label_w - 8), min, ImVec2(min.x + label_w - 8, max.y), p.pal().ink,
               0.0f, 0.5f);
  const float bx0 = min.x + label_w, bx1 = max.x - value_w;
  const float pad = (max.y - min.y) * 0.2f;
  p.dl()->AddRectFilled(ImVec2(bx0, min.y + pad), ImVec2(bx1, max.y - pad), rgb(226, 232, 238), 4);
  if (v) {
    const float f = static_cast<float>(std::clamp(*v / scale_max, 0.0, 1.0));
    p.dl()->AddRectFilled(ImVec2(bx0, min.y + pad), ImVec2(bx0 + (bx1 - bx0) * f, max.y - pad),
                          to_u32(rating_colour(f)), 4);
  }
  p.text_block(font, fixed1(v), ImVec2(bx1, min.y), max, p.pal().ink, 1.0f, 0.5f);
}

// A big figure with its caption, recorded in the dump under `id` with the figure as its label.
void kpi(Painter& p, const std::string& id, const std::string& value, const std::string& caption,
         ImVec2 min, ImVec2 max) {
  p.dl()->AddRectFilled(min, max, p.pal().card, 10 * p.u());
  p.dl()->AddRect(min, max, p.pal().line, 10 * p.u());
  const float h = max.y - min.y;
  p.text_block(p.fonts().title, value, min, ImVec2(max.x, min.y + h * 0.62f), p.pal().header, 0.5f, 0.7f);
  p.text_block(p.fonts().body, one_line(p, p.fonts().body, caption, max.x - min.x - 12),
               ImVec2(min.x + 6, min.y + h * 0.6f), ImVec2(max.x - 6, max.y), p.pal().muted, 0.5f, 0.3f);
  p.record(id, value, min, max);
}

float section_title(Painter& p, const std::string& t, float x0, float x1, float y) {
  return p.text_block(p.fonts().bold, t, ImVec2(x0, y), ImVec2(x1, y), p.pal().header, 0.0f, 0.0f);
}

// At most `lines` lines of `t` wrapped to `width`, with "…" when it was cut.
std::string first_lines(const Painter& p, ImFont* font, const std::string& t, float width, std::size_t lines) {
  if (lines <= 1) return one_line(p, font, t, width);
  const auto all = p.wrap(font, t, width);
  if (all.size() <= lines) return t;
  const std::size_t head = static_cast<std::size_t>(all[lines - 1].data() - t.data());
  return t.substr(0, head) + one_line(p, font, t.substr(head), width);
}

float title_height(const Painter& p) { return p.fonts().bold->FontSize * 1.18f; }

std::size_t rows_in(float height, float row) {
  return height < row ? 0 : static_cast<std::size_t>((height + 0.5f) / row);
}

// A page button: a card with a triangle pointing up (previous) or down (next).
void page_button(Painter& p, StaffList list, bool up, bool enabled, std::size_t target, ImVec2 min,
                 ImVec2 max) {
  const std::string id = std::string("staff-") + to_string(list) + (up ? "-prev" : "-next");
  if (p.button(id, "", min, max, Look::card, nullptr, enabled)) {
    p.emit(ActionKind::staff_page, static_cast<int>(target), to_string(list));
  }
  const ImVec2 c((min.x + max.x) / 2, (min.y + max.y) / 2);
  const float r = std::min(max.x - min.x, max.y - min.y) * 0.24f;
  const float d = up ? 1.0f : -1.0f;
  p.dl()->AddTriangleFilled(ImVec2(c.x, c.y - d * r), ImVec2(c.x + r * 1.2f, c.y + d * r * 0.75f),
                            ImVec2(c.x - r * 1.2f, c.y + d * r * 0.75f),
                            enabled ? p.pal().primary : rgb(170, 180, 190));
}

float pager_button_height(const Painter& p) { return std::max(44.0f, std::round(56 * p.u())); }

// A list's title over its rows, all within `height` from `y`. When the rows do not all fit, the
// title line also carries which rows show ("1–5 / 8", recorded as staff-<list>-page) and the ▲/▼
// buttons (staff-<list>-prev, staff-<list>-next). Returns the page holding row `first`, in
// `columns` side by side; `y` moves to the first row's top.
PageWindow list_section(Painter& p, StaffList list, std::size_t first, const std::string& title,
                        std::size_t total, float row, float x0, float x1, float& y, float height,
                        std::size_t columns = 1) {
  const float th = title_height(p);
  if (total <= rows_in(height - th, row) * columns) {
    if (!title.empty()) y += section_title(p, title, x0, x1, y);
    return page_window(total, std::max<std::size_t>(1, total), 0);
  }
  const float bh = pager_button_height(p);
  const float bw = std::round(bh * 1.1f);
  const float pg = std::round(p.gap() / 2);
  const float lh = std::max(th, bh) + pg;
  const PageWindow page = page_window(total, std::max(rows_in(height - lh, row) * columns, columns), first);
  const std::string label = page_label(page, p.lang());
  ImFont* f = p.fonts().body;
  const float lw = f->CalcTextSizeA(f->FontSize, FLT_MAX, 0, label.c_str()).x + 4;
  const float bx = x1 - 2 * bw - pg;
  page_button(p, list, true, page.has_prev(), page.prev_first(), ImVec2(bx, y), ImVec2(bx + bw, y + bh));
  page_button(p, list, false, page.has_next(), page.next_first(), ImVec2(x1 - bw, y), ImVec2(x1, y + bh));
  const float lx = bx - pg - lw;
  p.text_block(f, label, ImVec2(lx, y), ImVec2(bx - pg, y + bh), p.pal().muted, 1.0f, 0.5f);
  p.record(std::string("staff-") + to_string(list) + "-page", label, ImVec2(lx, y), ImVec2(bx - pg, y + bh));
  ImFont* bold = p.fonts().bold;
  p.text_block(bold, one_line(p, bold, title, lx - x0), ImVec2(x0, y), ImVec2(lx, y + bh), p.pal().header, 0.0f, 0.5f);
  y += lh;
  return page;
}

// A counter's or officer's row: the name, its count of responses, and the index as a bar.
void group_row(Painter& p, StaffList list, const GroupFigure& gf, double scale, ImVec2 min, ImVec2 max,
               ImFont* font) {
  const std::string n = "(" + std::to_string(gf.responses) + ")";
  const float nw = font->CalcTextSizeA(font->FontSize, FLT_MAX, 0, n.c_str()).x + 4;
  const float label_x1 = min.x + bar_label_width(font, max.x - min.x) - 8;
  bar(p, min, max, "", gf.index, scale, font);
  const float name_x1 = label_x1 - nw - p.gap() / 2;
  p.text_block(font, one_line(p, font, gf.name, name_x1 - min.x), min, ImVec2(name_x1, max.y), p.pal().ink, 0.0f, 0.5f);
  p.text_block(font, n, ImVec2(label_x1 - nw, min.y), ImVec2(label_x1, max.y), p.pal().muted, 1.0f, 0.5f);
  p.record(std::string("staff-") + to_string(list) + "-row-" + gf.id, gf.name, min, max);
}

void draw_staff_today(Painter& p, const StaffModel& s, ImVec2 min, ImVec2 max) {
  const std::string& L = p.lang();
  const TodayFigures& t = s.today();
  const float g = p.gap();
  const double scale = t.points ? 18.0 : 100.0;
  const float kh = std::max(70.0f, std::round(120 * p.u()));
  const int per_row = p.portrait() ? 2 : 4;
  const float kw = (max.x - min.x - static_cast<float>(per_row - 1) * g) / static_cast<float>(per_row);
  const struct {
    const char* id;
    std::string value;
    const char* caption;
  } cards[] = {
      {"staff-today-responses", std::to_string(t.complete + t.partial), p.tr(Text::staff_responses)},
      {"staff-today-complete", std::to_string(t.complete), p.tr(Text::staff_complete)},
      {"staff-today-partial", std::to_string(t.partial), p.tr(Text::staff_partial)},
      {"staff-today-index", fixed1(t.index),
       p.tr(t.points ? Text::staff_mean_points : Text::staff_satisfied)},
  };
  for (int i = 0; i < 4; ++i) {
    const float x = min.x + static_cast<float>(i % per_row) * (kw + g);
    const float yy = min.y + static_cast<float>(i / per_row) * (kh + g);
    kpi(p, cards[i].id, cards[i].value, cards[i].caption, ImVec2(x, yy), ImVec2(x + kw, yy + kh));
  }
  const float kpi_h = static_cast<float>(4 / per_row) * (kh + g) - g;

  const float y = min.y + kpi_h + g;
  const float colw = p.portrait() ? max.x - min.x : (max.x - min.x - 2 * g) / 2;
  const float lx0 = min.x;
  const float rx0 = p.portrait() ? min.x : lx0 + colw + 2 * g;
  ImFont* small = p.fonts().body;
  const float th = title_height(p);
  const std::size_t n_el = t.points ? t.points_score.indicators.size() : t.score.elements.size();
  const std::size_t nc = t.counters.size(), no = t.officers.size();
  // Rows close up a little when that shows every row without paging.
  auto fits = [&](float r) {
    const float el = th + static_cast<float>(n_el) * r, gc = th + static_cast<float>(nc) * r;
    const float go = th + static_cast<float>(no) * r, h = max.y - y;
    if (p.portrait()) return el + g + gc + g / 2 + go <= h;
    return (el + g / 2 + gc <= h && go <= h) || (el <= h && gc + g / 2 + go <= h);
  };
  float row = std::round(small->FontSize * 1.45f);
  if (!fits(row) && fits(std::round(small->FontSize * 1.25f))) row = std::round(small->FontSize * 1.25f);
  const float left_h = p.portrait() ? std::min(th + static_cast<float>(n_el) * row + 1, (max.y - y) * 0.4f)
                                    : max.y - y;
  float ly = y, lx1 = lx0 + colw;
  const PageWindow ep = list_section(p, StaffList::elements, s.first_row(StaffList::elements),
                                     p.tr(Text::staff_by_element), n_el, row, lx0, lx1, ly, left_h);
  for (std::size_t i = ep.first; i < ep.first + ep.count; ++i) {
    if (t.points) {
      const CriterionScore& c = t.points_score.indicators[i];
      bar(p, ImVec2(lx0, ly), ImVec2(lx1, ly + row), c.text.get(L), c.mean, 2.0, small);
    } else {
      const ElementScore& e = t.score.elements[i];
      bar(p, ImVec2(lx0, ly), ImVec2(lx1, ly + row), e.name.get(L), e.index, scale, small);
    }
    ly += row;
  }

  // Landscape: the counters go under the elements when they all fit there, leaving the right
  // column to the officers. Otherwise counters and officers share the rest; when both do not fit,
  // each gets at least two rows and pages through the others.
  const float counters_h = th + static_cast<float>(nc) * row + 1;
  const bool counters_left = !p.portrait() && ly + g / 2 + counters_h <= max.y;
  const float top = p.portrait() ? y + left_h + g : y;
  const float avail = max.y - top;
  float hc = counters_h;
  if (!counters_left && hc + g / 2 + th + static_cast<float>(no) * row > avail) {
    const float lh = std::max(th, pager_button_height(p)) + std::round(g / 2);
    const std::size_t rows = rows_in(avail - 2 * lh - g / 2, row);
    std::size_t rc = std::min(nc, std::max<std::size_t>(2, rows / 2));
    if (rows > rc && no < rows - rc) rc = std::min(nc, rows - no);
    hc = (rc < nc ? lh : th) + static_cast<float>(rc) * row + 1;
  }
  auto groups = [&](StaffList list, const char* title, const std::vector<GroupFigure>& v, float gy, float h) {
    float x1 = max.x;
    const PageWindow pg = list_section(p, list, s.first_row(list), title, v.size(), row, rx0, x1, gy, h);
    for (std::size_t i = pg.first; i < pg.first + pg.count; ++i) {
      group_row(p, list, v[i], scale, ImVec2(rx0, gy), ImVec2(x1, gy + row), small);
      gy += row;
    }
  };
  if (counters_left) {
    float cy = ly + g / 2;
    section_title(p, p.tr(Text::staff_by_counter), lx0, lx1, cy);
    cy += th;
    for (const GroupFigure& gf : t.counters) {
      group_row(p, StaffList::counters, gf, scale, ImVec2(lx0, cy), ImVec2(lx1, cy + row), small);
      cy += row;
    }
    groups(StaffList::officers, p.tr(Text::staff_by_officer), t.officers, top, avail);
    return;
  }
  groups(StaffList::counters, p.tr(Text::staff_by_counter), t.counters, top, hc);
  groups(StaffList::officers, p.tr(Text::staff_by_officer), t.officers, top + hc + g / 2,
         avail - hc - g / 2);
}

void draw_staff_criteria(Painter& p, const StaffModel& s, ImVec2 min, ImVec2 max) {
  const std::string& L = p.lang();
  const TodayFigures& t = s.today();
  const float g = p.gap();
  ImFont* small = p.fonts().body;
  const float row = std::round(small->FontSize * 1.4f);
  struct Line {
    std::string label;
    std::optional<double> value;
    double scale;
    bool element;
  };
  std::vector<Line> lines;
  if (t.points) {
    for (const CriterionScore& c : t.points_score.indicators) lines.push_back({c.text.get(L), c.mean, 2.0, false});
  } else {
    for (const ElementScore& e : t.score.elements) {
      lines.push_back({e.name.get(L), e.index, 100.0, true});
      for (const CriterionScore& c : e.criteria) lines.push_back({c.text.get(L), c.index, 100.0, false});
    }
  }
  // Two columns only when one would not hold every row: one column leaves the criteria whole.
  const std::size_t columns =
      p.portrait() || lines.size() <= rows_in(max.y - min.y - title_height(p), row) ? 1 : 2;
  float x1 = max.x, y = min.y;
  const char* title = p.tr(t.points ? Text::staff_indicator_points : Text::staff_criterion_satisfied);
  const PageWindow page = list_section(p, StaffList::criteria, s.first_row(StaffList::criteria), title, lines.size(),
                                       row, min.x, x1, y, max.y - min.y, columns);
  const std::size_t per_column = std::max<std::size_t>(1, (page.per_page + columns - 1) / columns);
  const float colw = (x1 - min.x - static_cast<float>(columns - 1) * 2 * g) / static_cast<float>(columns);
  for (std::size_t k = 0; k < page.count; ++k) {
    const Line& line = lines[page.first + k];
    const float x0 = min.x + static_cast<float>(k / per_column) * (colw + 2 * g);
    const float yy = y + static_cast<float>(k % per_column) * row;
    const float indent = line.element ? 0.0f : g;
    bar(p, ImVec2(x0 + indent, yy), ImVec2(x0 + colw, yy + row), line.label, line.value, line.scale,
        line.element ? p.fonts().bold : small);
  }
}

// Daily bars with the date under each (every few days when they are many).
void day_chart(Painter& p, const std::vector<DayFigure>& days, double scale_max, ImVec2 min, ImVec2 max) {
  if (days.empty()) return;
  ImFont* f = p.fonts().body;
  const float label_h = f->FontSize * 1.3f;
  p.dl()->AddRectFilled(min, max, p.pal().card, 8);
  p.dl()->AddRect(min, max, p.pal().line, 8);
  const ImVec2 cmin(min.x + 6, min.y + label_h), cmax(max.x - 6, max.y - label_h);
  const float w = (cmax.x - cmin.x) / static_cast<float>(days.size());
  // Dates every day, or every few days when they would run into each other.
  const float date_w = f->CalcTextSizeA(f->FontSize, FLT_MAX, 0, "00/00").x + 8;
  const std::size_t every = days.size() <= 7 ? static_cast<std::size_t>(std::ceil(date_w / w)) : 7;
  for (std::size_t i = 0; i < days.size(); ++i) {
    const float x = cmin.x + w * static_cast<float>(i);
    const bool labelled = (days.size() - 1 - i) % every == 0;
    if (days[i].index) {
      const float v = static_cast<float>(std::clamp(*days[i].index / scale_max, 0.0, 1.0));
      const float top = cmax.y - (cmax.y - cmin.y) * std::max(0.03f, v);
      p.dl()->AddRectFilled(ImVec2(x + w * 0.15f, top), ImVec2(x + w * 0.85f, cmax.y), to_u32(rating_colour(v)), 3);
      if (days.size() <= 7) {
        p.text_block(f, fixed1(days[i].index), ImVec2(x, top - label_h), ImVec2(x + w, top), p.pal().ink, 0.5f, 1.0f);
      }
    } else {
      p.dl()->AddRectFilled(ImVec2(x + w * 0.15f, cmax.y - 3), ImVec2(x + w * 0.85f, cmax.y), p.pal().line);
    }
    if (labelled) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%02u/%02u", static_cast<unsigned>(days[i].date.day()),
                    static_cast<unsigned>(days[i].date.month()));
      const float lw = std::max(w, f->FontSize * 3.2f);
      p.text_block(f, buf, ImVec2(x + w / 2 - lw / 2, cmax.y), ImVec2(x + w / 2 + lw / 2, max.y), p.pal().muted, 0.5f, 0.5f);
    }
  }
}

void draw_staff_trend(Painter& p, const StaffModel& s, ImVec2 min, ImVec2 max) {
  const TodayFigures& t = s.today();
  const float g = p.gap();
  const double scale = t.points ? 18.0 : 100.0;
  const float colw = (max.x - min.x - 2 * g) / 2;
  const float chart_h = std::round((max.y - min.y) * 0.42f);
  float y = min.y;
  y += section_title(p, p.tr(Text::staff_last_7_days), min.x, min.x + colw, y);
  section_title(p, p.tr(Text::staff_last_30_days), min.x + colw + 2 * g, max.x, min.y);
  day_chart(p, t.last7, scale, ImVec2(min.x, y), ImVec2(min.x + colw, y + chart_h));
  day_chart(p, t.last30, scale, ImVec2(min.x + colw + 2 * g, y), ImVec2(max.x, y + chart_h));
  y += chart_h + g;
  ImFont* small = p.fonts().body;
  auto list = [&](StaffList which, const char* title, const std::vector<std::string>& items, float x0, float x1,
                  std::size_t lines_per_item) {
    const float row = lines_per_item == 1 ? std::round(small->FontSize * 1.4f)
                                          : small->FontSize * 1.18f * static_cast<float>(lines_per_item) + g / 2;
    float yy = y;
    const PageWindow page =
        list_section(p, which, s.first_row(which), title, items.size(), row, x0, x1, yy, max.y - y);
    if (items.empty()) {
      p.text_block(small, p.tr(Text::staff_none_yet), ImVec2(x0, yy), ImVec2(x1, yy), p.pal().muted, 0.0f, 0.0f);
    }
    for (std::size_t i = page.first; i < page.first + page.count; ++i) {
      p.text_block(small, first_lines(p, small, items[i], x1 - x0, lines_per_item), ImVec2(x0, yy),
                   ImVec2(x1, yy + row), p.pal().ink, 0.0f, 0.5f);
      yy += row;
    }
  };
  std::vector<std::string> reasons, comments;
  for (const ReasonFigure& r : t.reasons) reasons.push_back(std::to_string(r.count) + " × " + r.text);
  for (const CommentLine& c : t.comments) comments.push_back("“" + c.text + "”");
  list(StaffList::reasons, p.tr(Text::staff_top_reasons), reasons, min.x, min.x + colw, 1);
  list(StaffList::comments, p.tr(Text::staff_latest_comments), comments, min.x + colw + 2 * g, max.x, 2);
}

void draw_staff_sync(Painter& p, const StaffModel& s, ImVec2 min, ImVec2 max) {
  const SyncFigures& f = s.sync();
  const float g = p.gap();
  const float kh = std::max(70.0f, std::round(120 * p.u()));
  const float kw = (max.x - min.x - 2 * g) / 3;
  kpi(p, "staff-sync-pending", std::to_string(f.pending), p.tr(Text::staff_sync_pending),
      ImVec2(min.x, min.y), ImVec2(min.x + kw, min.y + kh));
  kpi(p, "staff-sync-reachable",
      p.tr(!f.configured         ? Text::staff_sync_not_set_up
           : f.server_reachable ? Text::staff_sync_reachable
                                : Text::staff_sync_no_answer),
      p.tr(Text::staff_province_server), ImVec2(min.x + kw + g, min.y),
      ImVec2(min.x + 2 * kw + g, min.y + kh));
  const ImVec2 bmin(min.x + 2 * (kw + g), min.y), bmax(max.x, min.y + kh);
  if (p.button("staff-sync-now", p.tr(Text::staff_sync_now), bmin, bmax, Look::primary,
               p.fonts().large, f.configured)) {
    p.emit(ActionKind::staff_sync_now);
  }
  float y = min.y + kh + g;
  ImFont* body = p.fonts().body;
  auto line = [&](const std::string& t, ImU32 col) {
    y += p.text_block(body, t, ImVec2(min.x, y), ImVec2(max.x, y), col, 0.0f, 0.0f);
  };
  const float success_y = y;
  line(format_text(p.tr(Text::staff_last_success), clock_text(f.last_success, s).c_str()), p.pal().ink);
  p.record("staff-sync-last-success", clock_text(f.last_success, s), ImVec2(min.x, success_y), ImVec2(max.x, y));
  if (s.sync_requested()) line(p.tr(Text::staff_sync_requested), p.pal().muted);
  if (f.last_error.empty()) {
    line(p.tr(Text::staff_no_error), p.pal().green);
  } else {
    line(p.tr(f.server_reachable ? Text::staff_server_refused : Text::staff_server_unreachable), p.pal().danger);
    line(f.last_error, p.pal().muted);
  }
  const float config_y = y;
  const std::string config_line =
      f.config_version ? format_text(p.tr(Text::staff_config_version), std::to_string(*f.config_version).c_str())
                       : std::string(p.tr(Text::staff_config_local));
  line(config_line, p.pal().ink);
  if (!f.config_error.empty()) {
    line(format_text(p.tr(Text::staff_config_refused), f.config_error.c_str()), p.pal().danger);
  }
  p.record("staff-sync-config", config_line, ImVec2(min.x, config_y), ImVec2(max.x, y));
  y += g / 2;
  float x1 = max.x;
  const float row = std::round(body->FontSize * 1.4f);
  const PageWindow page = list_section(
      p, StaffList::rejected, s.first_row(StaffList::rejected),
      format_text(p.tr(Text::staff_rejected), static_cast<int>(f.rejected.size())),
      f.rejected.size(), row, min.x, x1, y, max.y - y);
  for (std::size_t i = page.first; i < page.first + page.count; ++i) {
    const RejectedResponse& r = f.rejected[i];
    const std::string text = "#" + std::to_string(r.seq) + " · " + clock_text(r.submitted_at, s) + " · " + r.reason;
    p.text_block(body, one_line(p, body, text, x1 - min.x), ImVec2(min.x, y), ImVec2(x1, y + row), p.pal().muted, 0.0f,
                 0.5f);
    y += row;
  }
}

void draw_staff_shift(Painter& p, const StaffModel* s, ImVec2 min, ImVec2 max) {
  const KioskConfig& cfg = p.flow().config();
  const Counter* counter = cfg.find_counter(cfg.counter);
  float y = min.y;
  {
    // The read-aloud volume, in steps of ten.
    const float vh = std::round(std::max(56.0f, 72 * p.u()));
    const float vw = std::round(std::max(130.0f, 190 * p.u()));
    const int volume = p.flow().volume();
    p.text_block(p.fonts().bold, format_text(p.tr(Text::staff_volume), volume), ImVec2(min.x, y),
                 ImVec2(max.x - 2 * (vw + p.tap_gap()), y + vh), p.pal().ink, 0.0f, 0.5f);
    const ImVec2 up_min(max.x - vw, y);
    const ImVec2 down_min(up_min.x - p.tap_gap() - vw, y);
    if (p.button("staff-volume-down", p.tr(Text::staff_volume_down), down_min, ImVec2(down_min.x + vw, y + vh),
                 Look::card, nullptr, volume > 0)) {
      p.emit(ActionKind::staff_volume, std::max(0, volume - 10));
    }
    if (p.button("staff-volume-up", p.tr(Text::staff_volume_up), up_min, ImVec2(max.x, y + vh), Look::card,
                 nullptr, volume < 100)) {
      p.emit(ActionKind::staff_volume, std::min(100, volume + 10));
    }
    y += vh + p.gap();
  }
  y += p.text_block(p.fonts().bold,
                    format_text(p.tr(Text::staff_officer_at), (counter ? counter->name : cfg.counter).c_str()),
                    ImVec2(min.x, y), ImVec2(max.x, y), p.pal().ink, 0.0f, 0.0f);
  y += p.gap();
  if (!counter || counter->officers.empty()) {
    p.text_block(p.fonts().body, p.tr(Text::staff_no_officers), ImVec2(min.x, y), ImVec2(max.x, y), p.pal().muted, 0.0f,
                 0.0f);
    return;
  }
  for (const Officer& o : counter->officers) {
    if (p.flow().officer() && *p.flow().officer() == o.id) {
      y += p.text_block(p.fonts().body,
                        format_text(p.tr(Text::staff_officer_selected), o.name.c_str()),
                        ImVec2(min.x, y), ImVec2(max.x, y), p.pal().muted, 0.0f, 0.0f);
      y += p.gap();
    }
  }
  const float bh = std::round(std::max(56.0f, 84 * p.u()));
  const std::size_t cols = (max.x - min.x) > 900 * p.u() ? 2 : 1;
  float x1 = max.x;
  const std::size_t first = s ? s->first_row(StaffList::shift_officers) : 0;
  const PageWindow page = list_section(p, StaffList::shift_officers, first, "", counter->officers.size(),
                                       bh + p.gap(), min.x, x1, y, max.y - y + p.gap(), cols);
  const std::size_t per_column = std::max<std::size_t>(1, (page.per_page + cols - 1) / cols);
  const float bw = (x1 - min.x - static_cast<float>(cols - 1) * p.gap()) / static_cast<float>(cols);
  for (std::size_t k = 0; k < page.count; ++k) {
    const Officer& o = counter->officers[page.first + k];
    const float x = min.x + static_cast<float>(k / per_column) * (bw + p.gap());
    const float yy = y + static_cast<float>(k % per_column) * (bh + p.gap());
    const bool current = p.flow().officer() && *p.flow().officer() == o.id;
    if (p.button("staff-officer-" + o.id, o.name, ImVec2(x, yy), ImVec2(x + bw, yy + bh),
                 current ? Look::selected : Look::card)) {
      p.emit(ActionKind::staff_officer, 0, o.id);
    }
  }
}

void draw_staff_export(Painter& p, const StaffModel* s, ImVec2 min, ImVec2 max) {
  const KioskConfig& cfg = p.flow().config();
  float y = min.y;
  y += p.text_block(p.fonts().body,
                    format_text(p.tr(Text::staff_export_folder),
                                cfg.export_dir.empty() ? p.tr(Text::staff_export_folder_not_set) : cfg.export_dir.c_str()),
                    ImVec2(min.x, y), ImVec2(max.x, y), p.pal().muted, 0.0f, 0.0f);
  y += p.gap();
  const float bh = std::round(std::max(64.0f, 100 * p.u()));
  const float bw = (max.x - min.x - p.gap()) / 2;
  if (p.button("staff-export-today", p.tr(Text::staff_export_today),
               ImVec2(min.x, y), ImVec2(min.x + bw, y + bh), Look::primary)) {
    p.emit(ActionKind::staff_export, static_cast<int>(ExportRange::today));
  }
  if (p.button("staff-export-month", p.tr(Text::staff_export_month),
               ImVec2(min.x + bw + p.gap(), y), ImVec2(max.x, y + bh), Look::primary)) {
    p.emit(ActionKind::staff_export, static_cast<int>(ExportRange::month));
  }
  y += bh + p.gap();
  if (!s || !s->last_export()) return;
  const ExportOutcome& e = *s->last_export();
  std::string msg;
  ImU32 col = p.pal().danger;
  switch (e.status.code()) {
    case ErrorCode::ok:
      msg = format_text(p.tr(Text::staff_export_saved), std::to_string(e.rows).c_str(), e.file.c_str());
      col = p.pal().green;
      break;
    case ErrorCode::not_found:
      msg = p.tr(Text::staff_export_missing);
      break;
    case ErrorCode::read_only:
      msg = p.tr(Text::staff_export_read_only);
      break;
    case ErrorCode::disk_full:
      msg = p.tr(Text::staff_export_full);
      break;
    default:
      msg = format_text(p.tr(Text::staff_export_failed), e.status.message().c_str());
      break;
  }
  const float h = p.text_height(p.fonts().bold, msg, max.x - min.x);
  p.text_block(p.fonts().bold, msg, ImVec2(min.x, y), ImVec2(max.x, y + h), col, 0.0f, 0.0f);
  p.record("staff-export-message", msg, ImVec2(min.x, y), ImVec2(max.x, y + std::max(h, 44.0f)));
}

void draw_staff(Painter& p, const StaffModel* s) {
  const Flow& flow = p.flow();
  const KioskConfig& cfg = flow.config();
  const std::string& L = p.lang();
  p.background(p.pal().background);
  const std::string info = format_text(p.tr(Text::staff_info), cfg.kiosk_id.c_str(), cfg.counter.c_str(),
                                       flow.survey().title.get(L).c_str());
  const float top = p.header(p.tr(Text::staff_title));
  const float m = p.margin(), g = p.gap(), u = p.u();
  const float nav_w = std::round(std::clamp(p.w() * 0.2f, 150.0f, 340 * u));
  const float ng = std::round(g / 2);
  const float bh = std::round(std::clamp((p.h() - top - m - 9 * ng) / 8, 44.0f, 80 * u));
  const StaffTab tab = s ? s->tab() : StaffTab::today;
  float y = top + ng;
  const struct {
    StaffTab tab;
    const char* id;
    Text label;
  } tabs[] = {{StaffTab::today, "staff-tab-today", Text::staff_tab_today},
              {StaffTab::criteria, "staff-tab-criteria", Text::staff_tab_criteria},
              {StaffTab::trend, "staff-tab-trend", Text::staff_tab_trend},
              {StaffTab::sync, "staff-tab-sync", Text::staff_tab_sync},
              {StaffTab::shift, "staff-tab-shift", Text::staff_tab_shift},
              {StaffTab::export_csv, "staff-tab-export", Text::staff_tab_export}};
  for (const auto& t : tabs) {
    if (p.button(t.id, p.tr(t.label), ImVec2(m, y), ImVec2(m + nav_w, y + bh),
                 tab == t.tab ? Look::selected : Look::card)) {
      p.emit(ActionKind::staff_tab, static_cast<int>(t.tab));
    }
    y += bh + ng;
  }
  const float ey = p.h() - m - bh;
  if (p.button("staff-exit", p.tr(Text::staff_exit), ImVec2(m, ey), ImVec2(m + nav_w, ey + bh), Look::quiet,
               p.fonts().body)) {
    p.emit(ActionKind::staff_exit);
  }
  const float by = ey - ng - bh;
  if (p.button("staff-back", std::string("‹ ") + p.tr(Text::back), ImVec2(m, std::max(y, by)),
               ImVec2(m + nav_w, std::max(y, by) + bh), Look::primary)) {
    p.emit(ActionKind::staff_back);
  }
  const float cx0 = m + nav_w + 2 * g, cx1 = p.w() - m;
  float cy = top + g;
  cy += p.text_block(p.fonts().body, info, ImVec2(cx0, cy), ImVec2(cx1, cy), p.pal().muted, 0.0f, 0.0f) + g / 2;
  const ImVec2 cmin(cx0, cy), cmax(cx1, p.h() - m);
  switch (tab) {
    case StaffTab::today:
      if (s) draw_staff_today(p, *s, cmin, cmax);
      break;
    case StaffTab::criteria:
      if (s) draw_staff_criteria(p, *s, cmin, cmax);
      break;
    case StaffTab::trend:
      if (s) draw_staff_trend(p, *s, cmin, cmax);
      break;
    case StaffTab::sync:
      if (s) draw_staff_sync(p, *s, cmin, cmax);
      break;
    case StaffTab::shift: draw_staff_shift(p, s, cmin, cmax); break;
    case StaffTab::export_csv: draw_staff_export(p, s, cmin, cmax); break;
  }
}

void draw_out_of_service(Painter& p) {
  p.background(rgb(236, 239, 241));
  const float top = p.header();
  const float m = p.margin(), g = p.gap();
  const float avail = p.h() - top;
  const float r = std::min(avail * 0.14f, p.w() * 0.1f);
  const ImVec2 c(p.w() / 2, top + avail * 0.28f);
  p.dl()->AddCircleFilled(c, r, rgb(245, 158, 11), 64);
  p.dl()->AddRectFilled(ImVec2(c.x - r * 0.09f, c.y - r * 0.55f), ImVec2(c.x + r * 0.09f, c.y + r * 0.2f),
                        rgb(255, 255, 255), r * 0.05f);
  p.dl()->AddCircleFilled(ImVec2(c.x, c.y + r * 0.45f), r * 0.11f, rgb(255, 255, 255), 24);
  float y = c.y + r + g * 2;
  y += p.text_block(p.fonts().title, text("vi", Text::out_of_service_title), ImVec2(m, y),
                    ImVec2(p.w() - m, y), p.pal().ink, 0.5f, 0.0f);
  y += p.text_block(p.fonts().body, text("vi", Text::out_of_service_body), ImVec2(m, y),
                    ImVec2(p.w() - m, y), p.pal().muted, 0.5f, 0.0f);
  y += g * 2;
  y += p.text_block(p.fonts().bold, text("en", Text::out_of_service_title), ImVec2(m, y),
                    ImVec2(p.w() - m, y), p.pal().muted, 0.5f, 0.0f);
  p.text_block(p.fonts().body, text("en", Text::out_of_service_body), ImVec2(m, y),
               ImVec2(p.w() - m, y), p.pal().muted, 0.5f, 0.0f);
  p.staff_corner();
}

}  // namespace

void KioskView::draw(const Flow& flow, std::vector<Action>* actions, UiSnapshot* snapshot) const {
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 0.0f);
  ImGui::Begin("kiosk", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoBackground | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoScrollWithMouse);
  ImGui::PushFont(fonts_.body);
  snapshot->screen = to_string(flow.screen());
  snapshot->step = flow.screen() == Screen::question ? static_cast<int>(flow.question_index() + 1) : 0;
  snapshot->elements.clear();
  snapshot->texts.clear();
  const bool staff_side = flow.screen() == Screen::pin || flow.screen() == Screen::staff ||
                          flow.screen() == Screen::out_of_service;
  const bool large = flow.large_text() && !staff_side && large_text_fonts_.body != nullptr;
  Painter p(large ? large_text_fonts_ : fonts_, fonts_, flow, actions, snapshot,
            flow.high_contrast() && !staff_side ? kHighContrast : kStandard);
  if (const auto left = flow.more_time_left()) {
    snapshot->screen = "more_time";
    draw_more_time(p, *left);
  } else {
    switch (flow.screen()) {
      case Screen::welcome: draw_welcome(p); break;
      case Screen::dossier: draw_dossier(p); break;
      case Screen::procedure: draw_procedure(p); break;
      case Screen::question: draw_question(p); break;
      case Screen::followup: draw_followup(p); break;
      case Screen::comment: draw_comment(p); break;
      case Screen::thanks: draw_thanks(p); break;
      case Screen::pin: draw_pin(p); break;
      case Screen::staff: draw_staff(p, staff_); break;
      case Screen::out_of_service: draw_out_of_service(p); break;
    }
  }
  ImGui::PopFont();
  ImGui::End();
  ImGui::PopStyleVar(2);
}

}  // namespace sipas
