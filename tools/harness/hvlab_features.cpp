// CPUID bits from the SDM Vol. 2 (Intel SDM, Dec 2023, Order 325462-081), "CPUID—CPU
// Identification", feature-information tables.
#include "tools/harness/hvlab_features.hpp"

#include "cpu/system.hpp"

namespace hvlab::tools {

namespace {

struct GroupBit {
    unsigned group;
    uint32_t HvlabFeatures::*word;
    unsigned bit;
    const char* reason;
};

const GroupBit kGroups[] = {
    {X86_GRP_SSE1, &HvlabFeatures::leaf1_edx, 25, "SSE not advertised by hvlab"},
    {X86_GRP_SSE2, &HvlabFeatures::leaf1_edx, 26, "SSE2 not advertised by hvlab"},
    {X86_GRP_SSE3, &HvlabFeatures::leaf1_ecx, 0, "SSE3 not advertised by hvlab"},
    {X86_GRP_PCLMUL, &HvlabFeatures::leaf1_ecx, 1, "PCLMULQDQ not advertised by hvlab"},
    {X86_GRP_SSSE3, &HvlabFeatures::leaf1_ecx, 9, "SSSE3 not advertised by hvlab"},
    {X86_GRP_SSE41, &HvlabFeatures::leaf1_ecx, 19, "SSE4.1 not advertised by hvlab"},
    {X86_GRP_SSE42, &HvlabFeatures::leaf1_ecx, 20, "SSE4.2 not advertised by hvlab"},
    {X86_GRP_AES, &HvlabFeatures::leaf1_ecx, 25, "AES not advertised by hvlab"},
    {X86_GRP_MMX, &HvlabFeatures::leaf1_edx, 23, "MMX not advertised by hvlab"},
    {X86_GRP_CMOV, &HvlabFeatures::leaf1_edx, 15, "CMOV not advertised by hvlab"},
    {X86_GRP_BMI, &HvlabFeatures::leaf7_ebx, 3, "BMI1 not advertised by hvlab"},
    {X86_GRP_BMI2, &HvlabFeatures::leaf7_ebx, 8, "BMI2 not advertised by hvlab"},
    {X86_GRP_ADX, &HvlabFeatures::leaf7_ebx, 19, "ADX not advertised by hvlab"},
    {X86_GRP_SHA, &HvlabFeatures::leaf7_ebx, 29, "SHA not advertised by hvlab"},
    // XBEGIN/XEND/XABORT/XTEST: #UD without RTM; Unicorn's Broadwell model lists RTM.
    {X86_GRP_RTM, &HvlabFeatures::leaf7_ebx, 11, "RTM not advertised by hvlab"},
    {X86_GRP_SSE4A, &HvlabFeatures::ext_ecx, 6, "SSE4A not advertised by hvlab"},
    {X86_GRP_3DNOW, &HvlabFeatures::ext_edx, 31, "3DNow! not advertised by hvlab"},
};

bool has(const HvlabFeatures& f, uint32_t HvlabFeatures::*word, unsigned bit) {
    return (f.*word >> bit) & 1;
}

} // namespace

HvlabFeatures HvlabFeatures::query() {
    cpu::CpuState s;
    HvlabFeatures f;
    const cpu::CpuidResult l1 = cpu::cpuid(s, 1, 0);
    const cpu::CpuidResult l7 = cpu::cpuid(s, 7, 0);
    const cpu::CpuidResult ext = cpu::cpuid(s, 0x8000'0001, 0);
    f.leaf1_ecx = l1.ecx;
    f.leaf1_edx = l1.edx;
    f.leaf7_ebx = l7.ebx;
    f.ext_ecx = ext.ecx;
    f.ext_edx = ext.edx;
    return f;
}

const char* HvlabFeatures::missing_for(const cs_insn& insn, bool long64) const {
    switch (insn.id) {
    case X86_INS_LZCNT:
        return has(*this, &HvlabFeatures::ext_ecx, 5) ? nullptr : "LZCNT not advertised by hvlab";
    case X86_INS_TZCNT: return bmi1() ? nullptr : "BMI1 not advertised by hvlab";
    case X86_INS_CMPXCHG16B:
        return has(*this, &HvlabFeatures::leaf1_ecx, 13) ? nullptr
                                                         : "CMPXCHG16B not advertised by hvlab";
    case X86_INS_LAHF:
    case X86_INS_SAHF:
        return has(*this, &HvlabFeatures::ext_ecx, 0) || !long64
                   ? nullptr
                   : "LAHF/SAHF in 64-bit mode not advertised by hvlab";
    default: break;
    }
    for (unsigned i = 0; i < insn.detail->groups_count; ++i)
        for (const GroupBit& g : kGroups)
            if (insn.detail->groups[i] == g.group && !has(*this, g.word, g.bit)) return g.reason;
    return nullptr;
}

} // namespace hvlab::tools
