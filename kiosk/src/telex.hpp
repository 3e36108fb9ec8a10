// Telex composition for the on-screen Vietnamese keyboard.
//
// Keys are typed one at a time as on a physical keyboard; the composer rewrites the current word:
// aa→â, aw→ă, ee→ê, oo→ô, ow→ơ, uw→ư (uow→ươ), w alone→ư, dd→đ, and the tone keys s (sắc),
// f (huyền), r (hỏi), x (ngã), j (nặng) placed on the right vowel of the syllable; z removes the
// tone. Typing a modifier twice undoes it and keeps the letter ("ss" → "s"). Tone placement
// follows the modern rule (hoà, thuỷ): the vowel with a diacritic first, else the last vowel
// before a final consonant, else the second of oa/oe/uy, the first of other pairs, the middle of
// three. Not thread-safe; one per text field.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sipas {

class TelexComposer {
 public:
  // max_length: the limit in code points; a key that would exceed it is refused.
  explicit TelexComposer(std::size_t max_length = 100000) : max_length_(max_length) {}

  // One key: an ASCII letter goes through Telex, anything else is inserted as is. Returns false
  // (and leaves the text unchanged) when the result would be longer than max_length.
  bool type(char32_t key);
  // One key inserted as is, without Telex (typing in English); false when it would exceed
  // max_length.
  bool insert(char32_t key);
  // Every code point of a UTF-8 string through type(); stops at the first refused one.
  bool type_text(std::string_view utf8);
  void backspace();
  void clear() { text_.clear(); }

  const std::u32string& text() const { return text_; }
  std::string utf8() const;
  std::size_t length() const { return text_.size(); }
  std::size_t max_length() const { return max_length_; }

 private:
  std::u32string text_;
  std::size_t max_length_;
};

// Convenience for tests and the barcode path: the result of typing `keys` into a fresh composer.
std::string telex_compose(std::string_view keys);

}  // namespace sipas
