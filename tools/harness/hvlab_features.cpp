// CPUID bits from the SDM Vol. 2 (Intel SDM, Dec 2023, Order 325462-081), "CPUID".
#include "tools/harness/hvlab_features.hpp"

#include "common/bits.hpp"
#include "cpu/system.hpp"

namespace hvlab::tools {

HvlabFeatures HvlabFeatures::query() {
    cpu::CpuState s;
    const cpu::CpuidResult l7 = cpu::cpuid(s, 7, 0);
    const cpu::CpuidResult ext = cpu::cpuid(s, 0x8000'0001, 0);
    HvlabFeatures f;
    f.bmi1 = test_bit(l7.ebx, 3);
    f.bmi2 = test_bit(l7.ebx, 8);
    f.adx = test_bit(l7.ebx, 19);
    f.lzcnt = test_bit(ext.ecx, 5);
    f.lahf64 = test_bit(ext.ecx, 0);
    return f;
}

const char* HvlabFeatures::missing_for(const cs_insn& insn) const {
    switch (insn.id) {
    case X86_INS_ANDN:
    case X86_INS_BEXTR:
    case X86_INS_BLSI:
    case X86_INS_BLSMSK:
    case X86_INS_BLSR:
    case X86_INS_TZCNT: return bmi1 ? nullptr : "BMI1 not advertised by hvlab";
    case X86_INS_BZHI:
    case X86_INS_MULX:
    case X86_INS_PDEP:
    case X86_INS_PEXT:
    case X86_INS_RORX:
    case X86_INS_SARX:
    case X86_INS_SHLX:
    case X86_INS_SHRX: return bmi2 ? nullptr : "BMI2 not advertised by hvlab";
    case X86_INS_ADCX:
    case X86_INS_ADOX: return adx ? nullptr : "ADX not advertised by hvlab";
    case X86_INS_LZCNT: return lzcnt ? nullptr : "LZCNT not advertised by hvlab";
    default: return nullptr;
    }
}

} // namespace hvlab::tools
