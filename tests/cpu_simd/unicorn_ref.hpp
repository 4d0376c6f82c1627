// Unicorn (QEMU's x86 translator) as an independent reference for single register-only
// instructions: same GPRs, RFLAGS and XMM registers in, compare what comes out. Used for the
// SSE integer operations and BMI/ADX, whose results are fully defined by their inputs.
#pragma once
#include "cpu/cpu_state.hpp"

#include <catch2/catch.hpp>
#include <unicorn/unicorn.h>

#include <array>
#include <cstdint>
#include <vector>

namespace hvlab::cpu::test {

class UnicornRef {
  public:
    static constexpr uint64_t kCode = 0x100000;

    // model: a UC_CPU_X86_* CPU model, or -1 for Unicorn's default (which lacks BMI and ADX).
    explicit UnicornRef(int model = -1) {
        REQUIRE(uc_open(UC_ARCH_X86, UC_MODE_64, &uc_) == UC_ERR_OK);
        if (model >= 0) REQUIRE(uc_ctl_set_cpu_model(uc_, model) == UC_ERR_OK);
        REQUIRE(uc_mem_map(uc_, kCode, 0x1000, UC_PROT_ALL) == UC_ERR_OK);
    }
    ~UnicornRef() { uc_close(uc_); }
    UnicornRef(const UnicornRef&) = delete;
    UnicornRef& operator=(const UnicornRef&) = delete;

    // Runs one instruction from `in` (GPRs, RFLAGS, XMM) and returns the resulting state.
    CpuState run(const std::vector<uint8_t>& code, const CpuState& in) {
        REQUIRE(uc_mem_write(uc_, kCode, code.data(), code.size()) == UC_ERR_OK);
        for (unsigned i = 0; i < 16; ++i) {
            uint64_t g = in.gpr[i];
            uc_reg_write(uc_, kGpr[i], &g);
            uint64_t v[2] = {in.xmm[i].lo, in.xmm[i].hi};
            uc_reg_write(uc_, UC_X86_REG_XMM0 + i, v);
        }
        uint64_t rf = in.rflags;
        uc_reg_write(uc_, UC_X86_REG_EFLAGS, &rf);
        REQUIRE(uc_emu_start(uc_, kCode, kCode + code.size(), 0, 1) == UC_ERR_OK);
        CpuState out = in;
        for (unsigned i = 0; i < 16; ++i) {
            uc_reg_read(uc_, kGpr[i], &out.gpr[i]);
            uint64_t v[2];
            uc_reg_read(uc_, UC_X86_REG_XMM0 + i, v);
            out.xmm[i] = Xmm{v[0], v[1]};
        }
        uc_reg_read(uc_, UC_X86_REG_EFLAGS, &rf);
        out.rflags = rf;
        return out;
    }

  private:
    static constexpr std::array<int, 16> kGpr = {
        UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
        UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
        UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
        UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15};
    uc_engine* uc_ = nullptr;
};

} // namespace hvlab::cpu::test
