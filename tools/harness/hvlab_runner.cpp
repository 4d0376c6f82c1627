#include "tools/harness/hvlab_runner.hpp"

#include "tools/harness/guest_layout.hpp"
#include "tools/harness/system_tables.hpp"

namespace hvlab::tools {

HvlabRunner::HvlabRunner(Mode mode)
    : mode_(mode), bus_(layout::kRamBytes), cpu_(bus_, *this), system_(system_image(mode)) {}

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
    for (unsigned i = 0; i < 16; ++i) st.xmm[i] = cpu::Xmm{s.init.xmm[i][0], s.init.xmm[i][1]};
    cpu_.invalidate_caches();
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
    const uint64_t stubs = stub_base(mode_);
    const uint64_t rip = cpu_.state().rip;
    if (first_vector_ >= 0) {
        o.kind = StepOutcome::Kind::Exception;
        o.vector = first_vector_;
    } else if (rip >= stubs && rip < stubs + 256 * layout::kStubSize && (rip - stubs) % layout::kStubSize == 0) {
        // Only a stub's first byte is an exception entry: a branch can land inside the stub
        // area (32-bit mode, a taken `66 0F 81 rel16` truncates EIP to 16 bits, SDM "Jcc":
        // "EIP <- EIP AND 0000FFFFH"), which is not an exception.
        o.kind = StepOutcome::Kind::Exception;
        o.vector = static_cast<int>((rip - stubs) / layout::kStubSize);
    }
    return o;
}

ArchState HvlabRunner::read() const {
    const cpu::CpuState& st = cpu_.state();
    ArchState a;
    a.gpr = st.gpr;
    a.rip = st.rip;
    a.rflags = st.rflags;
    for (unsigned i = 0; i < 16; ++i) a.xmm[i] = {st.xmm[i].lo, st.xmm[i].hi};
    return a;
}

const uint8_t* HvlabRunner::page(uint64_t address) { return bus_.ram_ptr(Hpa(address)); }

} // namespace hvlab::tools
