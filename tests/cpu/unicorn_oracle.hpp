// Unicorn as an outside oracle for directed instruction tests: run the same bytes from the same
// GPRs and RFLAGS in 64-bit mode (flat, no paging) and return the GPRs and RFLAGS after them.
#pragma once
#include <unicorn/unicorn.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace hvlab::cpu::test {

struct OracleState {
    std::array<uint64_t, 16> gpr{};
    uint64_t rflags = 2;
};

class UnicornOracle {
  public:
    // Code at code_addr; 64 KiB of zeroed data at data_addr for memory operands.
    UnicornOracle(const std::vector<uint8_t>& code, uint64_t code_addr, uint64_t data_addr)
        : code_(code), code_addr_(code_addr), data_addr_(data_addr) {
        if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc_) != UC_ERR_OK)
            throw std::runtime_error("uc_open failed");
        uc_mem_map(uc_, code_addr & ~0xFFFull, 0x2000, UC_PROT_ALL);
        uc_mem_map(uc_, data_addr & ~0xFFFull, 0x10000, UC_PROT_ALL);
        uc_mem_write(uc_, code_addr, code.data(), code.size());
    }
    ~UnicornOracle() { uc_close(uc_); }
    UnicornOracle(const UnicornOracle&) = delete;
    UnicornOracle& operator=(const UnicornOracle&) = delete;

    OracleState run(const OracleState& in, unsigned count, std::vector<uint8_t>* data = nullptr) {
        static const int kRegs[16] = {
            UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
            UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
            UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
            UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15};
        for (int i = 0; i < 16; ++i) uc_reg_write(uc_, kRegs[i], &in.gpr[i]);
        uint64_t rf = in.rflags;
        uc_reg_write(uc_, UC_X86_REG_RFLAGS, &rf);
        if (data) uc_mem_write(uc_, data_addr_, data->data(), data->size());
        uc_emu_start(uc_, code_addr_, code_addr_ + code_.size(), 0, count);
        OracleState out;
        for (int i = 0; i < 16; ++i) uc_reg_read(uc_, kRegs[i], &out.gpr[i]);
        uc_reg_read(uc_, UC_X86_REG_RFLAGS, &out.rflags);
        if (data) uc_mem_read(uc_, data_addr_, data->data(), data->size());
        return out;
    }

  private:
    uc_engine* uc_ = nullptr;
    std::vector<uint8_t> code_;
    uint64_t code_addr_, data_addr_;
};

} // namespace hvlab::cpu::test
