// What one emulator did with one instruction, in terms both sides can be compared on.
#pragma once
#include <cstdint>
#include <string>

namespace hvlab::tools {

struct StepOutcome {
    enum class Kind : uint8_t {
        Retired,       // the instruction completed (or a REP iteration did)
        Exception,     // a fault, trap or software interrupt with `vector`
        NotComparable, // the reference cannot tell (e.g. Unicorn touched unmapped memory in
                       // 32-bit mode, where hvlab's bus reads all ones instead)
        Shutdown,      // hvlab: triple fault
    };
    Kind kind = Kind::Retired;
    int vector = -1;
    int alt_vector = -1; // a second acceptable vector (#GP or #SS for a non-canonical address)
    std::string note;

    bool accepts(int v) const { return v == vector || (alt_vector >= 0 && v == alt_vector); }
};

} // namespace hvlab::tools
