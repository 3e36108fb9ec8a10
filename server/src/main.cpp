#include <iostream>
#include <string>
#include <vector>

#include "sipas/server/cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return sipas::run_cli(args, std::cin, std::cout, std::cerr);
}
