// The SDL2 + OpenGL3 shell around the Flow and its views: window, event loop, fonts, --ui-dump
// and the background sync worker. Runs on the main thread until staff choose "exit".
#pragma once

#include "cli.hpp"
#include "sipas/config.hpp"

namespace sipas {

// Returns the process exit status (0 after a staff exit; 1 when SDL or OpenGL cannot start).
int run_kiosk(const KioskConfig& config, const KioskArgs& args);

}  // namespace sipas
