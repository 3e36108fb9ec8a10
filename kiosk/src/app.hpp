// The SDL2 + OpenGL3 shell around the Flow and its views: window, event loop, fonts, --ui-dump
// and the background sync worker. Runs on the main thread until staff choose "exit".
#pragma once

#include "cli.hpp"
#include "sipas/config.hpp"

namespace sipas {

// Returns the process exit status (0 after a staff exit; 1 when SDL or OpenGL cannot start).
// `local` is the configuration directory's own; with server.config_public_key set the kiosk runs
// on the last configuration bundle the sync stored over it (received_bundle.hpp), and swaps a new
// one in at the welcome screen between citizens.
int run_kiosk(const KioskConfig& local, const KioskArgs& args);

}  // namespace sipas
