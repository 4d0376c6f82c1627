// SDM rules cited here: Intel SDM, Dec 2023 (Order 325462-081).
#include "tools/harness/unicorn_runner.hpp"

#include "common/bits.hpp"
#include "tools/harness/guest_layout.hpp"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace hvlab::tools {

namespace {

constexpr int kGpr64[16] = {UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
                            UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
                            UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
                            UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15};
constexpr int kGpr32[8] = {UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
                           UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI};

void check(uc_err e, const char* what) {
    if (e != UC_ERR_OK) throw std::runtime_error(std::string(what) + ": " + uc_strerror(e));
}

} // namespace

UnicornRunner::UnicornRunner(Mode mode) : mode_(mode) {
    check(uc_open(UC_ARCH_X86, mode == Mode::Long64 ? UC_MODE_64 : UC_MODE_32, &uc_), "uc_open");
    // A model with BMI1/BMI2/ADX/LZCNT, which the templates use (the default qemu64 has none).
    check(uc_ctl_set_cpu_model(uc_, UC_CPU_X86_BROADWELL), "cpu model");
    for (unsigned i = 0; i < 3; ++i) {
        const layout::Region& r = layout::kRegions[i];
        mem_[i] = static_cast<uint8_t*>(std::aligned_alloc(layout::kPage, r.size));
        std::memset(mem_[i], 0, r.size);
        check(uc_mem_map_ptr(uc_, r.base, r.size, UC_PROT_ALL, mem_[i]), "uc_mem_map_ptr");
    }
    check(uc_context_alloc(uc_, &pristine_), "uc_context_alloc");
    check(uc_context_save(uc_, pristine_), "uc_context_save");
    uc_hook h;
    check(uc_hook_add(uc_, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&on_interrupt), this, 1, 0),
          "hook intr");
    check(uc_hook_add(uc_, &h, UC_HOOK_MEM_UNMAPPED, reinterpret_cast<void*>(&on_unmapped), this, 1,
                      0),
          "hook unmapped");
    // IN/OUT (and INS/OUTS) reach these hooks; without them Unicorn reads 0 and drops writes.
    check(uc_hook_add(uc_, &h, UC_HOOK_INSN, reinterpret_cast<void*>(&on_in), this, 1, 0,
                      UC_X86_INS_IN),
          "hook in");
    check(uc_hook_add(uc_, &h, UC_HOOK_INSN, reinterpret_cast<void*>(&on_out), this, 1, 0,
                      UC_X86_INS_OUT),
          "hook out");
}

// The harness has no devices: every port reads all ones, as on hvlab's side
// (HvlabRunner::port_in), and every access is logged for the comparison.
uint32_t UnicornRunner::on_in(uc_engine*, uint32_t port, int size, void* self) {
    const uint32_t v = size >= 4 ? 0xFFFF'FFFFu : (1u << (8 * size)) - 1;
    static_cast<UnicornRunner*>(self)->ports_.push_back(
        PortAccess{false, static_cast<uint16_t>(port), static_cast<uint8_t>(size), v});
    return v;
}

void UnicornRunner::on_out(uc_engine*, uint32_t port, int size, uint32_t value, void* self) {
    const uint32_t mask = size >= 4 ? 0xFFFF'FFFFu : (1u << (8 * size)) - 1;
    static_cast<UnicornRunner*>(self)->ports_.push_back(
        PortAccess{true, static_cast<uint16_t>(port), static_cast<uint8_t>(size), value & mask});
}

void UnicornRunner::write_gpr(unsigned index, uint64_t value) {
    if (mode_ == Mode::Long64) {
        uc_reg_write(uc_, kGpr64[index], &value);
    } else {
        const uint32_t v = static_cast<uint32_t>(value);
        uc_reg_write(uc_, kGpr32[index], &v);
    }
}

void UnicornRunner::init_system(const SystemRegs& sys) {
    const bool l64 = mode_ == Mode::Long64;
    auto write_reg = [&](int reg, uint64_t v) {
        if (l64) {
            check(uc_reg_write(uc_, reg, &v), "system register");
        } else {
            const uint32_t v32 = static_cast<uint32_t>(v);
            check(uc_reg_write(uc_, reg, &v32), "system register");
        }
    };
    write_reg(UC_X86_REG_CR0, l64 ? sys.cr0 & ~kCr0Pg : sys.cr0);
    write_reg(UC_X86_REG_CR2, sys.cr2);
    write_reg(UC_X86_REG_CR3, sys.cr3);
    write_reg(UC_X86_REG_CR4, sys.cr4);
    for (unsigned i = 0; i < 4; ++i)
        write_reg(UC_X86_REG_DR0 + static_cast<int>(i), sys.dr[i]);
    write_reg(UC_X86_REG_DR6, sys.dr6);
    write_reg(UC_X86_REG_DR7, sys.dr7);
    uc_x86_mmr gdtr{0, sys.gdtr_base, sys.gdtr_limit, 0}, idtr{0, sys.idtr_base, sys.idtr_limit, 0};
    check(uc_reg_write(uc_, UC_X86_REG_GDTR, &gdtr), "gdtr");
    check(uc_reg_write(uc_, UC_X86_REG_IDTR, &idtr), "idtr");
    for (unsigned i = 0; i < kComparedMsrCount; ++i) {
        uc_x86_msr msr{kComparedMsrs[i], sys.msr[i]};
        check(uc_reg_write(uc_, UC_X86_REG_MSR, &msr), "msr");
    }
    check(uc_context_save(uc_, pristine_), "uc_context_save");
}

SystemRegs UnicornRunner::read_system() const {
    const bool l64 = mode_ == Mode::Long64;
    auto read_reg = [&](int reg) -> uint64_t {
        if (l64) {
            uint64_t v = 0;
            uc_reg_read(uc_, reg, &v);
            return v;
        }
        uint32_t v = 0;
        uc_reg_read(uc_, reg, &v);
        return v;
    };
    SystemRegs sys;
    sys.cr0 = read_reg(UC_X86_REG_CR0);
    sys.cr2 = read_reg(UC_X86_REG_CR2);
    sys.cr3 = read_reg(UC_X86_REG_CR3);
    sys.cr4 = read_reg(UC_X86_REG_CR4);
    for (unsigned i = 0; i < 4; ++i)
        sys.dr[i] = read_reg(UC_X86_REG_DR0 + static_cast<int>(i));
    sys.dr6 = read_reg(UC_X86_REG_DR6);
    sys.dr7 = read_reg(UC_X86_REG_DR7);
    uc_x86_mmr mmr{};
    uc_reg_read(uc_, UC_X86_REG_GDTR, &mmr);
    sys.gdtr_base = mmr.base;
    sys.gdtr_limit = mmr.limit;
    uc_reg_read(uc_, UC_X86_REG_IDTR, &mmr);
    sys.idtr_base = mmr.base;
    sys.idtr_limit = mmr.limit;
    for (unsigned i = 0; i < kComparedMsrCount; ++i) {
        uc_x86_msr msr{kComparedMsrs[i], 0};
        uc_reg_read(uc_, UC_X86_REG_MSR, &msr);
        sys.msr[i] = msr.value;
    }
    return sys;
}

UnicornRunner::~UnicornRunner() {
    uc_context_free(pristine_);
    uc_close(uc_);
    for (uint8_t* m : mem_)
        std::free(m);
}

void UnicornRunner::on_interrupt(uc_engine* uc, uint32_t intno, void* self) {
    static_cast<UnicornRunner*>(self)->intno_ = static_cast<int>(intno);
    uc_emu_stop(uc);
}

bool UnicornRunner::on_unmapped(uc_engine*, uc_mem_type type, uint64_t address, int, int64_t,
                                void* self) {
    auto* me = static_cast<UnicornRunner*>(self);
    me->unmapped_ = true;
    me->unmapped_fetch_ = type == UC_MEM_FETCH_UNMAPPED;
    me->unmapped_addr_ = address;
    return false; // stop: the access faults
}

const uint8_t* UnicornRunner::region(uint64_t base) const {
    for (unsigned i = 0; i < 3; ++i)
        if (layout::kRegions[i].base == base) return mem_[i];
    return nullptr;
}

void UnicornRunner::write_regs(const ArchState& a, uint64_t fs_base, uint64_t gs_base) {
    if (mode_ == Mode::Long64) {
        for (unsigned i = 0; i < 16; ++i)
            uc_reg_write(uc_, kGpr64[i], &a.gpr[i]);
        uc_reg_write(uc_, UC_X86_REG_RFLAGS, &a.rflags);
        uc_reg_write(uc_, UC_X86_REG_RIP, &a.rip);
        uc_reg_write(uc_, UC_X86_REG_FS_BASE, &fs_base);
        uc_reg_write(uc_, UC_X86_REG_GS_BASE, &gs_base);
    } else {
        for (unsigned i = 0; i < 8; ++i) {
            const uint32_t v = static_cast<uint32_t>(a.gpr[i]);
            uc_reg_write(uc_, kGpr32[i], &v);
        }
        const uint32_t fl = static_cast<uint32_t>(a.rflags), ip = static_cast<uint32_t>(a.rip);
        uc_reg_write(uc_, UC_X86_REG_EFLAGS, &fl);
        uc_reg_write(uc_, UC_X86_REG_EIP, &ip);
    }
    for (unsigned i = 0; i < gpr_count(mode_); ++i)
        uc_reg_write(uc_, UC_X86_REG_XMM0 + static_cast<int>(i), a.xmm[i].data());
    // The architected reset value (SDM Vol. 1, "MXCSR Control and Status Register"), as in
    // hvlab's FpuState; a restored Unicorn context holds 0.
    const uint32_t mxcsr = 0x1F80;
    uc_reg_write(uc_, UC_X86_REG_MXCSR, &mxcsr);
}

void UnicornRunner::load(const Stream& s) {
    std::memcpy(mem_[0], s.code.data(), layout::kCode.size);
    std::memcpy(mem_[1], s.data.data(), layout::kData.size);
    std::memcpy(mem_[2], s.stack.data(), layout::kStack.size);
    // Unicorn stops at an exception without delivering it, and QEMU's CPU then still
    // remembers it: the next #DE or #GP would be promoted to #DF (observed with 2.0.1). Start
    // every stream from the CPU state of a fresh engine.
    uc_context_restore(uc_, pristine_);
    // Unicorn 2.0.1 crashes once its translation buffer has filled and wrapped: after ~85,000
    // 32-bit streams of seed 20261129 an exception raised from a helper (#DE in
    // helper_idivb_AL) segfaulted in cpu_restore_state looking up a stale block. Invalidated
    // blocks keep their code space until a full flush, so flush the whole cache regularly,
    // between streams, where no block is running.
    if (++loads_ % 2048 == 0) uc_ctl_flush_tlb(uc_); // UC_CTL_TB_FLUSH: flushes translated blocks
    // Unicorn keeps translated blocks across uc_mem_write/host writes: drop them.
    for (const layout::Region& r : layout::kRegions)
        uc_ctl_remove_cache(uc_, r.base, r.base + r.size);
    write_regs(s.init, s.fs_base, s.gs_base);
    ports_.clear();
}

ArchState UnicornRunner::read() const {
    ArchState a;
    if (mode_ == Mode::Long64) {
        for (unsigned i = 0; i < 16; ++i)
            uc_reg_read(uc_, kGpr64[i], &a.gpr[i]);
        uc_reg_read(uc_, UC_X86_REG_RFLAGS, &a.rflags);
        uc_reg_read(uc_, UC_X86_REG_RIP, &a.rip);
    } else {
        for (unsigned i = 0; i < 8; ++i) {
            uint32_t v = 0;
            uc_reg_read(uc_, kGpr32[i], &v);
            a.gpr[i] = v;
        }
        uint32_t fl = 0, ip = 0;
        uc_reg_read(uc_, UC_X86_REG_EFLAGS, &fl);
        uc_reg_read(uc_, UC_X86_REG_EIP, &ip);
        a.rflags = fl;
        a.rip = ip;
    }
    for (unsigned i = 0; i < gpr_count(mode_); ++i)
        uc_reg_read(uc_, UC_X86_REG_XMM0 + static_cast<int>(i), a.xmm[i].data());
    return a;
}

StepOutcome UnicornRunner::step() {
    intno_ = -1;
    unmapped_ = unmapped_fetch_ = false;
    const uint64_t rip = read_rip();
    // `until` must differ from the start address: uc_emu_start(0, 0, ...) returns at once
    // without executing (observed: a JMP to address 0 was followed by a "retired" step at
    // RIP 0 where hvlab rightly raised #PF). The count of 1 ends the run anyway.
    const uc_err e = uc_emu_start(uc_, rip, rip == 0 ? 1 : 0, 0, 1);
    StepOutcome o;
    const uint64_t now = read_rip();
    if (unmapped_ && unmapped_fetch_ && now != rip) {
        // The instruction completed and Unicorn faulted fetching the next one (it translates
        // ahead). A branch to a non-canonical target is #GP(0) at the branch itself (SDM
        // Vol. 2, JMP/CALL/RET: "If the target offset is non-canonical").
        if (mode_ == Mode::Long64 && !is_canonical48(now)) {
            o.kind = StepOutcome::Kind::Exception;
            o.vector = 13;
        }
        return o;
    }
    if (unmapped_) {
        if (mode_ == Mode::Protected32) {
            o.kind = StepOutcome::Kind::NotComparable;
            o.note = "Unicorn: access outside the mapped regions (hvlab's bus reads all ones)";
            return o;
        }
        o.kind = StepOutcome::Kind::Exception;
        if (is_canonical48(unmapped_addr_)) {
            o.vector = 14; // #PF: hvlab maps exactly the same pages
        } else {
            o.vector = 13;     // #GP(0), or #SS(0) for a stack reference (SDM Vol. 3A,
            o.alt_vector = 12; // "Interrupt 13—General Protection Exception (#GP)")
        }
        return o;
    }
    if (e == UC_ERR_OK && intno_ < 0 && now == rip) {
        bool mapped = false;
        for (const layout::Region& r : layout::kRegions)
            mapped |= r.contains(rip);
        if (!mapped) {
            // Unicorn returned without executing anything at an unmapped RIP (observed after
            // a JMP to 0: no fetch hook, no error). The only architected outcome is a fetch
            // fault: #PF in long mode (hvlab maps exactly the same pages).
            if (mode_ == Mode::Protected32) {
                o.kind = StepOutcome::Kind::NotComparable;
                o.note = "Unicorn: access outside the mapped regions (hvlab's bus reads all ones)";
            } else {
                o.kind = StepOutcome::Kind::Exception;
                o.vector = is_canonical48(rip) ? 14 : 13;
            }
            return o;
        }
    }
    if (e == UC_ERR_INSN_INVALID) {
        o.kind = StepOutcome::Kind::Exception;
        o.vector = 6;
    } else if (intno_ >= 0) {
        o.kind = StepOutcome::Kind::Exception;
        o.vector = intno_;
    } else if (e != UC_ERR_OK) {
        o.kind = StepOutcome::Kind::NotComparable;
        o.note = std::string("Unicorn: ") + uc_strerror(e);
    }
    return o;
}

uint64_t UnicornRunner::read_rip() const {
    if (mode_ == Mode::Long64) {
        uint64_t rip = 0;
        uc_reg_read(uc_, UC_X86_REG_RIP, &rip);
        return rip;
    }
    uint32_t eip = 0;
    uc_reg_read(uc_, UC_X86_REG_EIP, &eip);
    return eip;
}

} // namespace hvlab::tools
