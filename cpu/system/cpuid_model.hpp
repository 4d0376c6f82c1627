// The CPUID feature table of the hvlab CPU model, exposed so docs, tests and the inspector can
// list it. cpuid() in cpu/system.hpp answers from it.
#pragma once
#include <cstdint>
#include <span>

namespace hvlab::cpu::model {

enum class CpuidReg : uint8_t { Eax, Ebx, Ecx, Edx };

struct FeatureBit {
    uint32_t leaf, subleaf;
    CpuidReg reg;
    uint8_t bit;
    const char* name; // the SDM's mnemonic
};

std::span<const FeatureBit> feature_bits();

} // namespace hvlab::cpu::model
