#include "tools/harness/hvlab_runner.hpp"

#include "tools/harness/guest_layout.hpp"
#include "tools/harness/system_tables.hpp"

namespace hvlab::tools {

HvlabRunner::HvlabRunner(Mode mode)
    : mode_(mode), bus_(layout::kRamBytes), cpu_(bus_, *this), system_(system_image(mode)) {}

uint32_t HvlabRunner::port_in(uint16_t port, unsigned size) {
    const uint32_t v = size >= 4 ? 0xFFFF'FFFFu : (1u << (8 * size)) - 1;
    ports_.push_back(PortAccess{false, port, static_cast<uint8_t>(size), v});
    return v;
}

void HvlabRunner::port_out(uint16_t port, unsigned size, uint32_t value) {
    const uint32_t mask = size >= 4 ? 0xFFFF'FFFFu : (1u << (8 * size)) - 1;
    ports_.push_back(PortAccess{true, port, static_cast<uint8_t>(size), value & mask});
}

namespace {

SystemRegs system_regs_of(const cpu::CpuState& st) {
    SystemRegs sys;
    sys.cr0 = st.cr0;
    sys.cr2 = st.cr2;
    sys.cr3 = st.cr3;
    sys.cr4 = st.cr4;
    for (unsigned i = 0; i < 4; ++i)
        sys.dr[i] = st.dr[i];
    sys.dr6 = st.dr[6];
    sys.dr7 = st.dr[7];
    sys.gdtr_base = st.gdtr.base;
    sys.gdtr_limit = st.gdtr.limit;
    sys.idtr_base = st.idtr.base;
    sys.idtr_limit = st.idtr.limit;
    const cpu::MsrState& m = st.msr;
    for (unsigned i = 0; i < kComparedMsrCount; ++i) {
        uint64_t v = 0;
        switch (kComparedMsrs[i]) {
        case 0xC000'0080: v = st.efer; break;
        case 0xC000'0081: v = m.star; break;
        case 0xC000'0082: v = m.lstar; break;
        case 0xC000'0083: v = m.cstar; break;
        case 0xC000'0084: v = m.sfmask; break;
        case 0xC000'0102: v = m.kernel_gs_base; break;
        case 0x174: v = m.sysenter_cs; break;
        case 0x175: v = m.sysenter_esp; break;
        case 0x176: v = m.sysenter_eip; break;
        case 0xC000'0103: v = m.tsc_aux; break;
        case 0x277: v = m.pat; break;
        default: break;
        }
        sys.msr[i] = v;
    }
    return sys;
}

} // namespace

SystemRegs HvlabRunner::read_system() const {
    return system_regs_of(cpu_.state());
}

SystemRegs HvlabRunner::initial_system(Mode mode) {
    cpu::CpuState st;
    set_system_state(st, mode, 0, 0);
    return system_regs_of(st);
}

void HvlabRunner::exception_delivered(uint8_t vector, bool, uint32_t, uint64_t) {
    if (first_vector_ < 0) first_vector_ = vector;
}

void HvlabRunner::interrupt_delivered(uint8_t vector, uint64_t) {
    if (first_vector_ < 0) first_vector_ = vector;
}

void HvlabRunner::load(const Stream& s) {
    bus_.write_bytes(Hpa(0), system_.data(), system_.size());
    bus_.write_bytes(Hpa(layout::kCode.base), s.code.data(), s.code.size());
    bus_.write_bytes(Hpa(layout::kData.base), s.data.data(), s.data.size());
    bus_.write_bytes(Hpa(layout::kStack.base), s.stack.data(), s.stack.size());
    cpu::CpuState& st = cpu_.state();
    st = cpu::CpuState{};
    set_system_state(st, mode_, s.fs_base, s.gs_base);
    st.gpr = s.init.gpr;
    st.rip = s.init.rip;
    st.rflags = s.init.rflags;
    for (unsigned i = 0; i < 16; ++i)
        st.xmm[i] = cpu::Xmm{s.init.xmm[i][0], s.init.xmm[i][1]};
    cpu_.invalidate_caches();
    ports_.clear();
}

StepOutcome HvlabRunner::step() {
    first_vector_ = -1;
    shutdown_ = false;
    const cpu::RunResult r = cpu_.run(1);
    StepOutcome o;
    if (shutdown_ || r.reason == cpu::StopReason::Shutdown) {
        o.kind = StepOutcome::Kind::Shutdown;
        o.note = "hvlab: shutdown (triple fault)";
        return o;
    }
    // Every delivered exception or interrupt reports itself through the CpuEnv hooks
    // (cpu/system/event_delivery.cpp, notify). RIP landing on a stub is not a sign of one: in
    // 32-bit mode a taken `66 0F 8x rel16` truncates EIP to 16 bits (SDM "Jcc": "EIP <- EIP AND
    // 0000FFFFH") and can land exactly on a stub's first byte.
    if (first_vector_ >= 0) {
        o.kind = StepOutcome::Kind::Exception;
        o.vector = first_vector_;
    }
    return o;
}

ArchState HvlabRunner::read() const {
    const cpu::CpuState& st = cpu_.state();
    ArchState a;
    a.gpr = st.gpr;
    a.rip = st.rip;
    a.rflags = st.rflags;
    for (unsigned i = 0; i < 16; ++i)
        a.xmm[i] = {st.xmm[i].lo, st.xmm[i].hi};
    return a;
}

const uint8_t* HvlabRunner::page(uint64_t address) {
    return bus_.ram_ptr(Hpa(address));
}

} // namespace hvlab::tools
