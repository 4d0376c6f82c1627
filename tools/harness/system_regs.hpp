// The system registers that the privileged templates read and write (control and debug
// registers, GDTR/IDTR, the MSRs both emulators model), compared after every instruction of a
// stream that contains privileged instructions.
#pragma once
#include "tools/harness/arch_state.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::tools {

// MSRs that hvlab and Unicorn 2.0.1 both implement as plain storage. Left out: the TSC (host
// clock vs virtual clock), APIC_BASE (Unicorn has no APIC), MTRRcap (differs by CPU model),
// MISC_ENABLE, FEATURE_CONTROL and DEBUGCTL (not modelled by Unicorn: reads give 0, writes
// are dropped, where the SDM has #GP for reserved bits), FS_BASE/GS_BASE (read only: the
// harness keeps the stream's segment bases).
inline constexpr uint32_t kComparedMsrs[] = {
    0xC000'0080, // IA32_EFER
    0xC000'0081, // IA32_STAR
    0xC000'0082, // IA32_LSTAR
    0xC000'0083, // IA32_CSTAR
    0xC000'0084, // IA32_FMASK
    0xC000'0102, // IA32_KERNEL_GS_BASE
    0x174,       // IA32_SYSENTER_CS
    0x175,       // IA32_SYSENTER_ESP
    0x176,       // IA32_SYSENTER_EIP
    0xC000'0103, // IA32_TSC_AUX
    0x277,       // IA32_PAT
};
inline constexpr unsigned kComparedMsrCount = sizeof kComparedMsrs / sizeof kComparedMsrs[0];

struct SystemRegs {
    uint64_t cr0 = 0, cr2 = 0, cr3 = 0, cr4 = 0;
    std::array<uint64_t, 4> dr{}; // DR0-DR3
    uint64_t dr6 = 0, dr7 = 0;
    uint64_t gdtr_base = 0, idtr_base = 0;
    uint32_t gdtr_limit = 0, idtr_limit = 0;
    std::array<uint64_t, kComparedMsrCount> msr{};
};

// CR0.PG: Unicorn runs its "long mode" with paging off (it has no page tables), hvlab with the
// paging that IA-32e mode requires (SDM Vol. 3A, "IA-32e Mode Operation": CR0.PG = 1). The bit
// is therefore left out of the comparison in 64-bit mode and checked on hvlab's side instead.
inline constexpr uint64_t kCr0Pg = 1ull << 31;

std::vector<std::string> diff_system(const SystemRegs& hv, const SystemRegs& uc, Mode mode);

} // namespace hvlab::tools
