// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Exit Qualification for VM Exits" and
// "Information for VM Exits Due to Vectored Events".
#include "cpu/vmx/exit_qualification.hpp"

namespace hvlab::cpu::vmx {
namespace {
constexpr uint64_t flag(bool b, unsigned bit) {
    return b ? uint64_t{1} << bit : 0;
}
} // namespace

uint64_t CrAccessQualification::encode() const {
    return (cr & 0xFu) | (uint64_t{static_cast<uint8_t>(type)} << 4) |
           flag(lmsw_memory_operand, 6) | (uint64_t{gpr & 0xFu} << 8) |
           (uint64_t{lmsw_source} << 16);
}

uint64_t MovDrQualification::encode() const {
    return (dr & 7u) | flag(from_dr, 4) | (uint64_t{gpr & 0xFu} << 8);
}

uint64_t IoQualification::encode() const {
    return ((size - 1) & 7u) | flag(in, 3) | flag(string, 4) | flag(rep, 5) | flag(immediate, 6) |
           (uint64_t{port} << 16);
}

uint64_t EptViolationQualification::encode() const {
    return flag(read, 0) | flag(write, 1) | flag(fetch, 2) | flag(readable, 3) | flag(writable, 4) |
           flag(executable, 5) | flag(linear_address_valid, 7) |
           flag(linear_address_valid && translated_linear_access, 8) | flag(nmi_unblocking, 12);
}

uint32_t EventInformation::encode() const {
    return vector | (uint32_t{type & 7u} << 8) | static_cast<uint32_t>(flag(error_code_valid, 11)) |
           static_cast<uint32_t>(flag(nmi_unblocking, 12)) | (1u << 31);
}

} // namespace hvlab::cpu::vmx
