// Intel SDM, Dec 2023 (Order 325462-081).
#include "cpu/vmx/entry_check_rules.hpp"

#include "common/bits.hpp"

#include <cstdio>

namespace hvlab::cpu::vmx::rules {

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

Violation field(std::string_view name, uint64_t value) {
    return std::string(name) + "=" + hex(value);
}

Violation fields(std::string_view n1, uint64_t v1, std::string_view n2, uint64_t v2) {
    return std::string(n1) + "=" + hex(v1) + ", " + std::string(n2) + "=" + hex(v2);
}

bool canonical(uint64_t address, unsigned bits) {
    return sign_extend(address, bits) == address;
}

bool pat_valid(uint64_t pat) {
    for (unsigned i = 0; i < 8; ++i) {
        const uint64_t type = (pat >> (8 * i)) & 0xFF;
        if (type == 2 || type == 3 || type > 7) return false;
    }
    return true;
}

bool msr_area_aligned(uint64_t address, uint32_t count) {
    return count == 0 || (address & 0xF) == 0;
}

bool msr_area_within_width(uint64_t address, uint32_t count, unsigned maxphyaddr) {
    if (count == 0) return true;
    const uint64_t last = address + uint64_t{count} * 16 - 1;
    return !beyond_phys(address, maxphyaddr) && !beyond_phys(last, maxphyaddr) && last >= address;
}

} // namespace hvlab::cpu::vmx::rules
