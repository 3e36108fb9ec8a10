// Runs a shell command for a test and returns what it wrote to standard output (unzip -p,
// pdftotext, python3 …). `status`, when given, receives pclose()'s status: 0 when the command
// exited with 0. No timeout: the commands given must end by themselves.
#pragma once

#include <cstdio>
#include <string>

namespace sipas::test {

inline std::string command_output(const std::string& command, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) {
    if (status) *status = -1;
    return out;
  }
  char buf[8192];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  if (status) *status = rc;
  return out;
}

}  // namespace sipas::test
