// SDM rules cited here: Intel SDM, Dec 2023 (Order 325462-081).
#include "tools/harness/system_rules.hpp"

#include "common/bits.hpp"
#include "cpu/cpu_state.hpp"
#include "cpu/system/cpu_model.hpp"
#include "tools/harness/flag_rules.hpp"

namespace hvlab::tools {

namespace {

using Kind = SystemWriteRule::Kind;
namespace cr0 = cpu::cr0;
namespace cr4 = cpu::cr4;

constexpr SystemWriteRule compare() {
    return {Kind::Compare, nullptr};
}
constexpr SystemWriteRule must_gp(const char* why) {
    return {Kind::MustGp, why};
}
constexpr SystemWriteRule skip(const char* why) {
    return {Kind::Skip, why};
}

// CR0 bits the templates flip (and that both emulators treat alike without paging).
constexpr uint64_t kCr0Flippable =
    cr0::MP | cr0::EM | cr0::TS | cr0::NE | cr0::WP | cr0::AM | cr0::CD;
constexpr uint64_t kCr4Flippable = cr4::TSD | cr4::PGE | cr4::PCE | cr4::OSFXSR | cr4::OSXMMEXCPT;

// "MOV—Move to/from Control Registers", Protected Mode and 64-Bit Mode Exceptions.
SystemWriteRule cr0_write(uint64_t v, uint64_t cur, bool l64) {
    if (l64 && (v >> 32)) return must_gp("MOV CR0: #GP(0) for a 1 in bits 63:32");
    if ((v & cr0::NW) && !(v & cr0::CD)) return must_gp("MOV CR0: #GP(0) for NW = 1 with CD = 0");
    if ((v & cr0::PG) && !(v & cr0::PE)) return must_gp("MOV CR0: #GP(0) for PG = 1 with PE = 0");
    if (l64 && !(v & cr0::PG)) return must_gp("MOV CR0: #GP(0) for clearing PG in IA-32e mode");
    if ((v ^ cur) & ~kCr0Flippable)
        return skip(
            "MOV CR0 changing PE, PG or NW: Unicorn has no paging and the harness no real mode");
    return compare();
}

SystemWriteRule cr4_write(uint64_t v, uint64_t cur, bool l64) {
    // A bit whose feature hvlab's CPUID does not advertise is reserved ("Control Registers").
    if (v & ~cpu::model::kCr4Supported)
        return must_gp("MOV CR4: #GP(0) for a reserved bit (per hvlab's CPUID)");
    if (l64 && !(v & cr4::PAE)) return must_gp("MOV CR4: #GP(0) for clearing PAE in IA-32e mode");
    if ((v ^ cur) & ~kCr4Flippable)
        return skip("MOV CR4 changing PAE/PSE/PCIDE/SMEP/SMAP/FSGSBASE/VMXE: paging or features "
                    "Unicorn's set-up lacks");
    return compare();
}

SystemWriteRule cr3_write(uint64_t v, uint64_t cur, bool l64) {
    if (!l64) return compare(); // paging is off in the 32-bit set-up: CR3 is plain storage
    if (v & mask_bits(63, cpu::model::kMaxPhysAddrBits))
        return must_gp("MOV CR3: #GP(0) for a bit above MAXPHYADDR");
    if ((v ^ cur) & ~uint64_t{0x18}) return skip("MOV CR3 to other page tables: Unicorn has none");
    return compare();
}

// "MOV—Move to/from Debug Registers" and Vol. 3B "Debug Registers". With CR4.DE = 0 (hvlab does
// not advertise DE) DR4/DR5 are DR6/DR7.
SystemWriteRule dr_write(unsigned n, uint64_t v, bool l64) {
    if (n < 4) return compare();
    if (l64 && (v >> 32)) return must_gp("MOV DR6/DR7: #GP(0) for a 1 in bits 63:32");
    if (n == 4 || n == 6) {
        if (v & (1u << 12))
            return skip("MOV DR6 with bit 12 set: reserved (reads 0), Unicorn 2.0.1 keeps it");
        return compare();
    }
    if (v & 0x20FF)
        return skip(
            "MOV DR7 enabling a breakpoint or general detect: debug exceptions are not compared");
    if (v & 0xD800)
        return skip(
            "MOV DR7 with bit 11, 12, 14 or 15 set: reserved (read 0), Unicorn 2.0.1 keeps them");
    return compare();
}

int msr_slot(uint32_t index) {
    for (unsigned i = 0; i < kComparedMsrCount; ++i)
        if (kComparedMsrs[i] == index) return static_cast<int>(i);
    return -1;
}

// "WRMSR": #GP(0) for reserved bits and non-canonical addresses; Vol. 3A "IA32_PAT MSR"
// (reserved memory types 2, 3, 8-FFh), "IA32_EFER MSR".
SystemWriteRule wrmsr(uint32_t index, uint64_t v, const SystemRegs& cur, bool l64) {
    switch (index) {
    case 0xC000'0080: {
        if (v & ~cpu::model::kEferSupported)
            return must_gp("WRMSR EFER: #GP(0) for a reserved bit");
        const uint64_t efer = cur.msr[0];
        if (((v ^ efer) & cpu::efer::LME) && (cur.cr0 & cr0::PG))
            return must_gp("WRMSR EFER: #GP(0) for changing LME with paging on");
        if ((v ^ efer) & (cpu::efer::NXE | cpu::efer::SCE))
            return skip("WRMSR EFER changing SCE or NXE: Unicorn 2.0.1 drops both bits (its "
                        "model's CPUID lacks SYSCALL/NX)");
        return compare();
    }
    case 0xC000'0082:
    case 0xC000'0083:
    case 0xC000'0102:
    case 0x175:
    case 0x176:
        return is_canonical48(v) ? compare() : must_gp("WRMSR: #GP(0) for a non-canonical address");
    case 0xC000'0084:
    case 0xC000'0103:
        return v >> 32 ? must_gp("WRMSR: #GP(0) for a 1 in the reserved bits 63:32") : compare();
    case 0x174:
        if (v >> 32) return must_gp("WRMSR: #GP(0) for a 1 in the reserved bits 63:32");
        if (v >> 16)
            return skip(
                "WRMSR SYSENTER_CS with bits 31:16 set: Unicorn 2.0.1 keeps only the selector");
        return compare();
    case 0x277:
        for (unsigned i = 0; i < 8; ++i) {
            const unsigned type = (v >> (8 * i)) & 0xFF;
            if (type == 2 || type == 3 || type > 7)
                return must_gp("WRMSR PAT: #GP(0) for a reserved memory type");
        }
        return compare();
    default: return compare(); // STAR: any value
    }
}

} // namespace

SystemWriteRule classify_system_write(const cs_insn& insn, const ArchState& pre,
                                      const SystemRegs& cur, Mode mode) {
    const bool l64 = mode == Mode::Long64;
    const uint64_t width = l64 ? ~0ull : 0xFFFF'FFFFull;
    const cs_x86& x = insn.detail->x86;
    if (insn.id == X86_INS_RDMSR || insn.id == X86_INS_WRMSR) {
        const auto index = static_cast<uint32_t>(pre.gpr[1]);
        const bool known = msr_slot(index) >= 0 || index == 0xC000'0100 || index == 0xC000'0101;
        if (!known || (insn.id == X86_INS_WRMSR && msr_slot(index) < 0))
            return skip("RDMSR/WRMSR of an MSR outside the compared set: Unicorn 2.0.1 reads 0 and "
                        "drops writes instead of #GP");
        if (insn.id == X86_INS_RDMSR) return compare();
        return wrmsr(index, (pre.gpr[0] & 0xFFFF'FFFF) | (pre.gpr[2] << 32), cur, l64);
    }
    if (insn.id != X86_INS_MOV || x.op_count != 2 || x.operands[0].type != X86_OP_REG ||
        x.operands[1].type != X86_OP_REG)
        return compare();
    const unsigned dst = x.operands[0].reg;
    const int src = capstone_gpr(x.operands[1].reg);
    if (src < 0) return compare();
    const uint64_t v = pre.gpr[static_cast<unsigned>(src)] & width;
    switch (dst) {
    case X86_REG_CR0: return cr0_write(v, cur.cr0, l64);
    case X86_REG_CR2: return compare();
    case X86_REG_CR3: return cr3_write(v, cur.cr3, l64);
    case X86_REG_CR4: return cr4_write(v, cur.cr4, l64);
    case X86_REG_CR8: return skip("MOV CR8: Unicorn 2.0.1 has no local APIC");
    default: break;
    }
    if (dst >= X86_REG_DR0 && dst <= X86_REG_DR7) return dr_write(dst - X86_REG_DR0, v, l64);
    return compare();
}

} // namespace hvlab::tools
