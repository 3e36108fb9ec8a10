// Text shapes both storages read back from their queries: a list of words joined by single spaces
// (reason ids), and "criterion=value" pairs where an empty value is "not applicable". Ids and
// criteria never contain a space or "=". Internal to server/.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sipas {

// "a b c" back into its words.
std::vector<std::string> split_words(const std::string& s);
// "c1=4 c2= c3=5" into {c1: 4, c2: nullopt, c3: 5}; a value that is not an integer is nullopt.
std::map<std::string, std::optional<int>> answer_pairs(const std::string& s);

}  // namespace sipas
