#include "store_text.hpp"

#include <charconv>

namespace sipas {

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (p < s.size()) {
    std::size_t e = s.find(' ', p);
    if (e == std::string::npos) e = s.size();
    if (e > p) out.push_back(s.substr(p, e - p));
    p = e + 1;
  }
  return out;
}

std::map<std::string, std::optional<int>> answer_pairs(const std::string& s) {
  std::map<std::string, std::optional<int>> out;
  for (const auto& pair : split_words(s)) {
    auto eq = pair.find('=');
    if (eq == std::string::npos) continue;
    std::string v = pair.substr(eq + 1);
    int value = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    out[pair.substr(0, eq)] = (v.empty() || ec != std::errc() || end != v.data() + v.size())
                                  ? std::nullopt
                                  : std::optional<int>(value);
  }
  return out;
}

}  // namespace sipas
