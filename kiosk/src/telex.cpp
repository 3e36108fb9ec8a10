#include "telex.hpp"

#include <array>
#include <optional>
#include <vector>

#include "utf8.hpp"

namespace sipas {
namespace {

// Rows: a ă â e ê i o ô ơ u ư y; columns: no tone, sắc, huyền, hỏi, ngã, nặng.
enum Row { kA, kAbreve, kAhat, kE, kEhat, kI, kO, kOhat, kOhorn, kU, kUhorn, kY, kRows };

constexpr std::array<std::u32string_view, kRows> kLower = {
    U"aáàảãạ", U"ăắằẳẵặ", U"âấầẩẫậ", U"eéèẻẽẹ", U"êếềểễệ", U"iíìỉĩị",
    U"oóòỏõọ", U"ôốồổỗộ", U"ơớờởỡợ", U"uúùủũụ", U"ưứừửữự", U"yýỳỷỹỵ"};
constexpr std::array<std::u32string_view, kRows> kUpper = {
    U"AÁÀẢÃẠ", U"ĂẮẰẲẴẶ", U"ÂẤẦẨẪẬ", U"EÉÈẺẼẸ", U"ÊẾỀỂỄỆ", U"IÍÌỈĨỊ",
    U"OÓÒỎÕỌ", U"ÔỐỒỔỖỘ", U"ƠỚỜỞỠỢ", U"UÚÙỦŨỤ", U"ƯỨỪỬỮỰ", U"YÝỲỶỸỴ"};

struct Vowel {
  int row;
  int tone;
  bool upper;
};

std::optional<Vowel> decompose(char32_t c) {
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < 6; ++t) {
      if (kLower[r][t] == c) return Vowel{r, t, false};
      if (kUpper[r][t] == c) return Vowel{r, t, true};
    }
  }
  return std::nullopt;
}

char32_t compose(const Vowel& v) { return (v.upper ? kUpper : kLower)[v.row][v.tone]; }

bool is_ascii_letter(char32_t c) { return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z'); }
char32_t lower_ascii(char32_t c) { return (c >= U'A' && c <= U'Z') ? c + 32 : c; }
bool is_word_char(char32_t c) {
  return is_ascii_letter(c) || c == U'đ' || c == U'Đ' || decompose(c).has_value();
}
bool has_diacritic_row(int row) {
  return row == kAbreve || row == kAhat || row == kEhat || row == kOhat || row == kOhorn ||
         row == kUhorn;
}

int tone_of_key(char32_t k) {
  switch (k) {
    case U's': return 1;
    case U'f': return 2;
    case U'r': return 3;
    case U'x': return 4;
    case U'j': return 5;
    default: return -1;
  }
}

// The vowels of the word's last vowel group, as positions in the text.
struct Syllable {
  std::vector<std::size_t> vowels;
  bool final_consonant = false;
};

Syllable syllable_of(const std::u32string& text, std::size_t word_start) {
  Syllable s;
  std::size_t end = text.size();
  std::size_t i = end;
  while (i > word_start && !decompose(text[i - 1])) --i;
  s.final_consonant = i < end;
  std::size_t group_end = i;
  while (i > word_start && decompose(text[i - 1])) --i;
  for (std::size_t k = i; k < group_end; ++k) s.vowels.push_back(k);
  // "qu" and "gi" open the syllable: their vowel belongs to the consonant.
  if (s.vowels.size() > 1 && i > word_start) {
    const char32_t before = lower_ascii(text[i - 1]);
    const auto first = decompose(text[i]);
    if ((before == U'q' && first->row == kU) || (before == U'g' && first->row == kI)) {
      s.vowels.erase(s.vowels.begin());
    }
  }
  return s;
}

std::optional<std::size_t> tone_position(const std::u32string& text, std::size_t word_start) {
  const Syllable s = syllable_of(text, word_start);
  if (s.vowels.empty()) return std::nullopt;
  for (auto it = s.vowels.rbegin(); it != s.vowels.rend(); ++it) {
    if (has_diacritic_row(decompose(text[*it])->row)) return *it;
  }
  if (s.final_consonant) return s.vowels.back();
  if (s.vowels.size() == 1) return s.vowels[0];
  if (s.vowels.size() == 2) {
    const int a = decompose(text[s.vowels[0]])->row;
    const int b = decompose(text[s.vowels[1]])->row;
    const bool second = (a == kO && (b == kA || b == kE)) || (a == kU && b == kY);
    return second ? s.vowels[1] : s.vowels[0];
  }
  return s.vowels[1];
}

// Moves the word's tone (if any) to where it belongs after the letters changed.
void settle_tone(std::u32string& text, std::size_t word_start) {
  int tone = 0;
  for (std::size_t i = word_start; i < text.size(); ++i) {
    if (auto v = decompose(text[i]); v && v->tone != 0) {
      tone = v->tone;
      v->tone = 0;
      text[i] = compose(*v);
    }
  }
  if (tone == 0) return;
  if (auto pos = tone_position(text, word_start)) {
    auto v = *decompose(text[*pos]);
    v.tone = tone;
    text[*pos] = compose(v);
  }
}

std::size_t word_start_of(const std::u32string& text) {
  std::size_t i = text.size();
  while (i > 0 && is_word_char(text[i - 1])) --i;
  return i;
}

// Returns true when the key was consumed by a tone change.
bool apply_tone(std::u32string& text, std::size_t ws, char32_t key) {
  const char32_t k = lower_ascii(key);
  const int wanted = k == U'z' ? 0 : tone_of_key(k);
  if (wanted < 0) return false;
  const auto pos = tone_position(text, ws);
  if (!pos) return false;
  int current = 0;
  std::size_t current_pos = *pos;
  for (std::size_t i = ws; i < text.size(); ++i) {
    if (auto v = decompose(text[i]); v && v->tone != 0) {
      current = v->tone;
      current_pos = i;
    }
  }
  if (wanted == 0) {
    if (current == 0) return false;
    auto v = *decompose(text[current_pos]);
    v.tone = 0;
    text[current_pos] = compose(v);
    return true;
  }
  if (current == wanted) {
    auto v = *decompose(text[current_pos]);
    v.tone = 0;
    text[current_pos] = compose(v);
    text.push_back(key);
    return true;
  }
  if (current != 0) {
    auto v = *decompose(text[current_pos]);
    v.tone = 0;
    text[current_pos] = compose(v);
  }
  auto v = *decompose(text[*pos]);
  v.tone = wanted;
  text[*pos] = compose(v);
  return true;
}

// aa ee oo: the hat on the syllable's matching vowel.
bool apply_hat(std::u32string& text, std::size_t ws, char32_t key) {
  const char32_t k = lower_ascii(key);
  int plain = -1, hat = -1, other = -1;
  if (k == U'a') { plain = kA; hat = kAhat; other = kAbreve; }
  if (k == U'e') { plain = kE; hat = kEhat; }
  if (k == U'o') { plain = kO; hat = kOhat; other = kOhorn; }
  if (plain < 0) return false;
  const Syllable s = syllable_of(text, ws);
  for (auto it = s.vowels.rbegin(); it != s.vowels.rend(); ++it) {
    auto v = *decompose(text[*it]);
    if (v.row == plain || v.row == other) {
      v.row = hat;
      text[*it] = compose(v);
      return true;
    }
    if (v.row == hat) {
      v.row = plain;
      text[*it] = compose(v);
      text.push_back(key);
      return true;
    }
  }
  return false;
}

// aw ow uw (and uow → ươ); a lone w is ư.
bool apply_horn(std::u32string& text, std::size_t ws, char32_t key) {
  if (lower_ascii(key) != U'w') return false;
  const Syllable s = syllable_of(text, ws);
  std::vector<std::size_t> group = s.vowels;
  // syllable_of drops the u of "qu"; a horn on it is never wanted, so that is right here too.
  for (std::size_t i = 0; i + 1 < group.size(); ++i) {
    auto u = *decompose(text[group[i]]);
    auto o = *decompose(text[group[i + 1]]);
    if ((u.row == kU || u.row == kUhorn) && (o.row == kO || o.row == kOhorn) &&
        !(u.row == kUhorn && o.row == kOhorn)) {
      u.row = kUhorn;
      o.row = kOhorn;
      text[group[i]] = compose(u);
      text[group[i + 1]] = compose(o);
      return true;
    }
  }
  for (auto it = group.rbegin(); it != group.rend(); ++it) {
    auto v = *decompose(text[*it]);
    int to = -1;
    if (v.row == kA || v.row == kAhat) to = kAbreve;
    if (v.row == kO || v.row == kOhat) to = kOhorn;
    if (v.row == kU) to = kUhorn;
    if (to >= 0) {
      v.row = to;
      text[*it] = compose(v);
      return true;
    }
    if (v.row == kAbreve || v.row == kOhorn || v.row == kUhorn) {
      v.row = v.row == kAbreve ? kA : v.row == kOhorn ? kO : kU;
      text[*it] = compose(v);
      text.push_back(key);
      return true;
    }
  }
  if (group.empty()) {
    text.push_back(key == U'W' ? U'Ư' : U'ư');
    return true;
  }
  return false;
}

bool apply_d(std::u32string& text, std::size_t ws, char32_t key) {
  if (lower_ascii(key) != U'd' || ws >= text.size()) return false;
  char32_t& first = text[ws];
  if (first == U'd' || first == U'D') {
    first = first == U'd' ? U'đ' : U'Đ';
    return true;
  }
  if (first == U'đ' || first == U'Đ') {
    first = first == U'đ' ? U'd' : U'D';
    text.push_back(key);
    return true;
  }
  return false;
}

}  // namespace

bool TelexComposer::type(char32_t key) {
  std::u32string next = text_;
  if (is_ascii_letter(key)) {
    const std::size_t ws = word_start_of(next);
    const bool consumed = apply_tone(next, ws, key) || apply_hat(next, ws, key) ||
                          apply_horn(next, ws, key) || apply_d(next, ws, key);
    if (!consumed) next.push_back(key);
    settle_tone(next, ws);
  } else {
    next.push_back(key);
  }
  if (next.size() > max_length_) return false;
  text_ = std::move(next);
  return true;
}

bool TelexComposer::insert(char32_t key) {
  if (text_.size() + 1 > max_length_) return false;
  text_.push_back(key);
  return true;
}

bool TelexComposer::type_text(std::string_view utf8) {
  for (char32_t c : utf8_to_u32(utf8)) {
    if (!type(c)) return false;
  }
  return true;
}

void TelexComposer::backspace() {
  if (!text_.empty()) text_.pop_back();
}

std::string TelexComposer::utf8() const { return u32_to_utf8(text_); }

std::string telex_compose(std::string_view keys) {
  TelexComposer c;
  c.type_text(keys);
  return c.utf8();
}

}  // namespace sipas
