// Text from a request (a path, a user name, an address) made safe for a log line: one line, one
// field, nothing a terminal would act on.
#pragma once

#include <string>
#include <string_view>

namespace sipas {

// Control bytes (C0, DEL, and C1 as UTF-8), spaces, double quotes and backslashes become \xNN,
// so a value can neither start a new line nor split into two fields nor move a terminal's
// cursor; other UTF-8 (Vietnamese names) stays readable. Pure; thread-safe.
std::string log_text(std::string_view text);

}  // namespace sipas
