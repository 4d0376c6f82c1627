// Exit status of `hvlab run`. A guest that ends through isa-debug-exit gives (v << 1) | 1,
// always odd (as QEMU); every other way of ending is even, so the two never collide.
#pragma once

namespace hvlab::ui {

enum ExitCode : int {
    kExitUserError = 2,     // bad option, missing or unloadable image: one line on stderr
    kExitShutdown = 4,      // the machine shut down (triple fault)
    kExitInsnLimit = 6,     // --max-insns reached before the guest ended
    kExitHaltedForever = 8, // HLT with no interrupt source that could ever wake the CPU
    kExitInternalError = 10 // a bug in hvlab (never a guest's fault): please report
};

} // namespace hvlab::ui
