// The SSE/SSE2 floating-point register forms (xmm1, xmm2 / rax) that the host comparisons run:
// arithmetic in its four forms, (U)COMIS*, every conversion and the CMPcc predicates. Shared by
// tests/cpu_simd/sse_float_test.cpp (masked exceptions) and tests/cpu_audit/sse_test.cpp
// (unmasked exceptions).
#pragma once
#include <cstdint>
#include <iterator>
#include <vector>

namespace hvlab::cpu::test {

struct FpRegisterForm {
    std::vector<uint8_t> code;
    const char* name;
    bool single; // single precision (float lanes), else double
};

inline std::vector<FpRegisterForm> fp_register_forms() {
    std::vector<FpRegisterForm> insns;
    for (uint8_t op : {0x51, 0x58, 0x59, 0x5C, 0x5D, 0x5E, 0x5F}) {
        insns.push_back({{0xf2, 0x0f, op, 0xca}, "sd", false});
        insns.push_back({{0xf3, 0x0f, op, 0xca}, "ss", true});
        insns.push_back({{0x66, 0x0f, op, 0xca}, "pd", false});
        insns.push_back({{0x0f, op, 0xca}, "ps", true});
    }
    const FpRegisterForm more[] = {
        {{0x66, 0x0f, 0x2e, 0xca}, "ucomisd", false},
        {{0x66, 0x0f, 0x2f, 0xca}, "comisd", false},
        {{0x0f, 0x2e, 0xca}, "ucomiss", true},
        {{0x0f, 0x2f, 0xca}, "comiss", true},
        {{0xf2, 0x48, 0x0f, 0x2a, 0xc8}, "cvtsi2sd xmm1,rax", false},
        {{0xf2, 0x0f, 0x2a, 0xc8}, "cvtsi2sd xmm1,eax", false},
        {{0xf3, 0x48, 0x0f, 0x2a, 0xc8}, "cvtsi2ss xmm1,rax", true},
        {{0xf3, 0x0f, 0x2a, 0xc8}, "cvtsi2ss xmm1,eax", true},
        {{0xf2, 0x48, 0x0f, 0x2c, 0xc1}, "cvttsd2si rax,xmm1", false},
        {{0xf2, 0x0f, 0x2c, 0xc1}, "cvttsd2si eax,xmm1", false},
        {{0xf2, 0x48, 0x0f, 0x2d, 0xc1}, "cvtsd2si rax,xmm1", false},
        {{0xf3, 0x48, 0x0f, 0x2c, 0xc1}, "cvttss2si rax,xmm1", true},
        {{0xf3, 0x0f, 0x2d, 0xc1}, "cvtss2si eax,xmm1", true},
        {{0xf3, 0x0f, 0x5a, 0xca}, "cvtss2sd", true},
        {{0xf2, 0x0f, 0x5a, 0xca}, "cvtsd2ss", false},
        {{0x0f, 0x5a, 0xca}, "cvtps2pd", true},
        {{0x66, 0x0f, 0x5a, 0xca}, "cvtpd2ps", false},
        {{0x0f, 0x5b, 0xca}, "cvtdq2ps", true},
        {{0x66, 0x0f, 0x5b, 0xca}, "cvtps2dq", true},
        {{0xf3, 0x0f, 0x5b, 0xca}, "cvttps2dq", true},
        {{0xf3, 0x0f, 0xe6, 0xca}, "cvtdq2pd", true},
        {{0x66, 0x0f, 0xe6, 0xca}, "cvttpd2dq", false},
        {{0xf2, 0x0f, 0xe6, 0xca}, "cvtpd2dq", false},
    };
    insns.insert(insns.end(), std::begin(more), std::end(more));
    for (uint8_t imm = 0; imm < 10; ++imm) { // predicates 0..7, and 8, 9 (imm8[7:3] ignored)
        insns.push_back({{0xf2, 0x0f, 0xc2, 0xca, imm}, "cmpsd", false});
        insns.push_back({{0xf3, 0x0f, 0xc2, 0xca, imm}, "cmpss", true});
        insns.push_back({{0x66, 0x0f, 0xc2, 0xca, imm}, "cmppd", false});
        insns.push_back({{0x0f, 0xc2, 0xca, imm}, "cmpps", true});
    }
    return insns;
}

} // namespace hvlab::cpu::test
