// The bytes of an instruction as text, for failure messages (whatever the encoding's length).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace hvlab::cpu::test {

inline std::string hex_bytes(const std::vector<uint8_t>& bytes) {
    std::string s;
    char buf[4];
    for (uint8_t b : bytes) {
        std::snprintf(buf, sizeof buf, "%02x ", b);
        s += buf;
    }
    return s;
}

} // namespace hvlab::cpu::test
