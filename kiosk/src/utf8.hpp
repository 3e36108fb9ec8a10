// UTF-8 <-> UTF-32 conversion for the kiosk's text handling (Telex composer, length limits).
#pragma once

#include <string>
#include <string_view>

namespace sipas {

// Invalid sequences decode to U+FFFD; never fails.
std::u32string utf8_to_u32(std::string_view text);
std::string u32_to_utf8(std::u32string_view text);
// Number of code points in valid UTF-8.
std::size_t utf8_length(std::string_view text);

}  // namespace sipas
