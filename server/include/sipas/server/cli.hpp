// The `sipas-server` command line: serve, unit add|import|list, kiosk add|list|revoke|token,
// user add|password|disable|enable|delete|logout|list, survey import|list, procedure load|list.
// run_cli() is main() without the process: arguments after the program name, standard input (the
// password for `user add` and `user password`) and the two
// output streams. Returns the exit status: 0 success, 1 failure, 2 usage error. Errors are one
// line on `err`.
//
// `serve` blocks until SIGTERM or SIGINT (it installs handlers for both), finishing the requests
// in flight before it returns.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace sipas {

int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
            std::ostream& err);

}  // namespace sipas
