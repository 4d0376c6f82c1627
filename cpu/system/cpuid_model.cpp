// CPUID: one documented CPU model that advertises exactly what hvlab implements
// (SDM Vol. 2A, CPUID—CPU Identification). docs/cpu-model.md explains the choices.
// Intel SDM, Dec 2023 (Order 325462-081).
//
// Out-of-range leaves behave as on Intel: a basic or extended leaf above the maximum returns
// the data of the highest basic leaf.
#include "cpu/system/cpuid_model.hpp"

#include "cpu/system.hpp"
#include "cpu/system/cpu_model.hpp"

#include <array>
#include <cstring>

namespace hvlab::cpu::model {

namespace {

using R = CpuidReg;

// Every feature bit the model sets. A bit not listed here is 0.
constexpr FeatureBit kFeatures[] = {
    // Leaf 1 EDX
    {1, 0, R::Edx, 3, "PSE"},    // 4 MiB pages with CR4.PSE (mmu/page_walk.cpp)
    {1, 0, R::Edx, 4, "TSC"},    // RDTSC, CR4.TSD; TSC = virtual clock + IA32_TSC writes
    {1, 0, R::Edx, 5, "MSR"},    // RDMSR/WRMSR (cpu/system/msr.cpp)
    {1, 0, R::Edx, 6, "PAE"},    // PAE paging, PDPTE registers, 64-bit entries with XD
    {1, 0, R::Edx, 8, "CX8"},    // CMPXCHG8B
    {1, 0, R::Edx, 9, "APIC"},   // on-chip local APIC; cleared while IA32_APIC_BASE.EN = 0
    {1, 0, R::Edx, 11, "SEP"},   // SYSENTER/SYSEXIT and the IA32_SYSENTER_* MSRs
    {1, 0, R::Edx, 12, "MTRR"},  // MTRRcap (0 variable, no fixed ranges) and MTRRdefType
    {1, 0, R::Edx, 13, "PGE"},   // global pages with CR4.PGE
    {1, 0, R::Edx, 15, "CMOV"},  // CMOVcc (and FCMOV only if FPU, which is not advertised)
    {1, 0, R::Edx, 16, "PAT"},   // IA32_PAT with its valid-type check
    {1, 0, R::Edx, 17, "PSE-36"}, // 4 MiB pages reach physical bits 38:32 (MAXPHYADDR 39)
    {1, 0, R::Edx, 19, "CLFSH"}, // CLFLUSH (cpu/exec_sse_control.cpp); line size in leaf 1 EBX
    {1, 0, R::Edx, 24, "FXSR"},  // FXSAVE/FXRSTOR, CR4.OSFXSR
    {1, 0, R::Edx, 25, "SSE"},
    {1, 0, R::Edx, 26, "SSE2"},
    // Leaf 1 ECX (x2APIC, bit 21, is 0)
    {1, 0, R::Ecx, 3, "MONITOR"}, // MONITOR/MWAIT at CPL 0 (cpu/exec_misc.cpp), leaf 5
    {1, 0, R::Ecx, 5, "VMX"},     // VMX instructions, VM entry/exit, EPT, VPID (cpu/vmx/)
    {1, 0, R::Ecx, 13, "CMPXCHG16B"},
    {1, 0, R::Ecx, 17, "PCID"},   // CR4.PCIDE, PCID-tagged TLB (mmu/tlb.hpp)
    {1, 0, R::Ecx, 22, "MOVBE"},
    {1, 0, R::Ecx, 23, "POPCNT"},
    {1, 0, R::Ecx, 24, "TSC-Deadline"}, // LVT timer TSC-deadline mode, IA32_TSC_DEADLINE (LAPIC)
    // Leaf 7 subleaf 0 EBX
    {7, 0, R::Ebx, 0, "FSGSBASE"}, // RD/WR FS/GS BASE with CR4.FSGSBASE
    {7, 0, R::Ebx, 3, "BMI1"},
    {7, 0, R::Ebx, 7, "SMEP"},     // CR4.SMEP
    {7, 0, R::Ebx, 8, "BMI2"},
    {7, 0, R::Ebx, 10, "INVPCID"},
    {7, 0, R::Ebx, 19, "ADX"},
    {7, 0, R::Ebx, 20, "SMAP"},    // CR4.SMAP, STAC/CLAC
    {7, 0, R::Ecx, 22, "RDPID"},   // RDPID reads IA32_TSC_AUX (cpu/exec_misc.cpp)
    // Leaf 6 EAX
    {6, 0, R::Eax, 2, "ARAT"},     // the LAPIC timer runs on virtual time in every state
    // Leaf 0x80000001
    {0x8000'0001, 0, R::Ecx, 0, "LAHF-SAHF"}, // LAHF/SAHF in 64-bit mode (cpu/exec_mov.cpp)
    {0x8000'0001, 0, R::Ecx, 5, "LZCNT"},     // ABM: LZCNT
    {0x8000'0001, 0, R::Ecx, 8, "PREFETCHW"}, // 0F 0D /1, a hint (cpu/exec_misc.cpp)
    {0x8000'0001, 0, R::Edx, 11, "SYSCALL"},  // SYSCALL/SYSRET (64-bit mode)
    {0x8000'0001, 0, R::Edx, 20, "NX"},       // EFER.NXE and XD; cleared by MISC_ENABLE.XD
    {0x8000'0001, 0, R::Edx, 26, "Page1GB"},  // 1 GiB pages in 4-level paging
    {0x8000'0001, 0, R::Edx, 27, "RDTSCP"},   // RDTSCP and IA32_TSC_AUX
    {0x8000'0001, 0, R::Edx, 29, "LM"},       // Intel 64 (IA-32e mode)
    // Leaf 0x80000007
    {0x8000'0007, 0, R::Edx, 8, "InvariantTSC"}, // the TSC is virtual time: never varies
};

constexpr uint32_t kMaxBasicLeaf = 0xD;
constexpr uint32_t kMaxBasicLeafLimited = 2; // with IA32_MISC_ENABLE.LimitCPUIDMaxval
constexpr uint32_t kMaxExtLeaf = 0x8000'0008;

// Family 6, model 0x5E, stepping 3: a Skylake-class identity so that guests pick their
// ordinary code paths; guests must (and Linux does) decide features from the bits above.
constexpr uint32_t kSignature = 0x0005'06E3;
constexpr char kVendor[13] = "GenuineIntel";
constexpr char kBrand[49] = "hvlab virtual x86-64 CPU";

uint32_t& reg_of(CpuidResult& r, R reg) {
    switch (reg) {
    case R::Eax: return r.eax;
    case R::Ebx: return r.ebx;
    case R::Ecx: return r.ecx;
    default: return r.edx;
    }
}

CpuidResult table_bits(uint32_t leaf, uint32_t subleaf) {
    CpuidResult r{0, 0, 0, 0};
    for (const FeatureBit& f : kFeatures)
        if (f.leaf == leaf && f.subleaf == subleaf) reg_of(r, f.reg) |= 1u << f.bit;
    return r;
}

uint32_t le32(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// Leaf 0xB: one thread in one core (SDM Vol. 2A, CPUID leaf 0BH, x2APIC topology).
CpuidResult topology(uint32_t subleaf) {
    constexpr uint32_t kSmt = 1, kCore = 2;
    if (subleaf == 0) return {0, 1, (kSmt << 8) | 0, 0};
    if (subleaf == 1) return {0, 1, (kCore << 8) | 1, 0};
    return {0, 0, subleaf & 0xFF, 0};
}

CpuidResult leaf1(const CpuState& s) {
    CpuidResult r = table_bits(1, 0);
    r.eax = kSignature;
    r.ebx = (8u << 8) | (1u << 16); // CLFLUSH line 8*8 bytes, 1 logical processor, APIC ID 0
    if (!(s.msr.apic_base & (1u << 11))) r.edx &= ~(1u << 9); // SDM: APIC bit follows EN
    // IA32_MISC_ENABLE.ENABLE MONITOR FSM = 0: "the MONITOR feature flag is not set" (Vol. 4).
    if (!(s.msr.misc_enable & kMiscMonitorFsm)) r.ecx &= ~(1u << 3);
    return r;
}

CpuidResult brand(uint32_t leaf) {
    const char* p = kBrand + 16 * (leaf - 0x8000'0002);
    return {le32(p), le32(p + 4), le32(p + 8), le32(p + 12)};
}

CpuidResult basic_leaf(const CpuState& s, uint32_t leaf, uint32_t subleaf, uint32_t max) {
    switch (leaf) {
    case 0: return {max, le32(kVendor), le32(kVendor + 8), le32(kVendor + 4)};
    case 1: return leaf1(s);
    case 2: return {1, 0, 0, 0}; // one iteration, no descriptors: caches are not modelled
    case 7: return subleaf == 0 ? table_bits(7, 0) : CpuidResult{0, 0, 0, 0};
    case 0xB: return topology(subleaf);
    // Leaf 5 (SDM Vol. 2A, CPUID, "MONITOR/MWAIT Leaf"): monitor line 64 bytes (the CLFLUSH
    // line), MWAIT extensions enumerated (ECX[0]) and "interrupts as break events even when
    // masked" supported (ECX[1]); no C-state sub-states (EDX = 0).
    case 5: return {64, 64, 3, 0};
    // 4 (no cache levels), 0xA (no PMU), 0xD (no XSAVE), others: zero.
    default: return table_bits(leaf, 0);
    }
}

CpuidResult extended_leaf(const CpuState& s, uint32_t leaf) {
    switch (leaf) {
    case 0x8000'0000: return {kMaxExtLeaf, 0, 0, 0};
    case 0x8000'0001: {
        CpuidResult r = table_bits(leaf, 0);
        if (s.msr.misc_enable & kMiscXdDisable) r.edx &= ~(1u << 20);
        return r;
    }
    case 0x8000'0002:
    case 0x8000'0003:
    case 0x8000'0004: return brand(leaf);
    case 0x8000'0008: return {kMaxPhysAddrBits | (kLinearAddrBits << 8), 0, 0, 0};
    default: return table_bits(leaf, 0);
    }
}

} // namespace

std::span<const FeatureBit> feature_bits() { return kFeatures; }

} // namespace hvlab::cpu::model

namespace hvlab::cpu {

CpuidResult cpuid(const CpuState& s, uint32_t leaf, uint32_t subleaf) {
    using namespace model;
    const uint32_t max_basic =
        (s.msr.misc_enable & kMiscLimitCpuid) ? kMaxBasicLeafLimited : kMaxBasicLeaf;
    if (leaf >= 0x8000'0000 && leaf <= kMaxExtLeaf) return extended_leaf(s, leaf);
    // LimitCPUIDMaxval only changes the maximum that leaf 0 reports.
    if (leaf > kMaxBasicLeaf) return basic_leaf(s, kMaxBasicLeaf, subleaf, max_basic);
    return basic_leaf(s, leaf, subleaf, max_basic);
}

} // namespace hvlab::cpu
