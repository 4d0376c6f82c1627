// Builds one Stream: instruction templates and the raw-byte generator append instructions,
// and helpers emit the setup instructions a template needs (pointer registers, counts).
#pragma once
#include "tools/harness/insn_encoder.hpp"
#include "tools/harness/rng.hpp"
#include "tools/harness/stream.hpp"

#include <cstdint>
#include <vector>

namespace hvlab::tools {

class StreamBuilder {
  public:
    StreamBuilder(Mode mode, uint64_t seed, bool directed);

    Mode mode() const { return mode_; }
    bool long64() const { return mode_ == Mode::Long64; }
    Rng& rng() { return rng_; }
    bool directed() const { return directed_; }
    size_t size() const { return insns_.size(); }

    // An operand value: an edge value (0, -1, sign boundaries) in directed mode and sometimes
    // otherwise, else uniformly random.
    uint64_t value();
    // A shift/rotate count: 0, 1, 31, 32, 63, 64, other boundaries or random.
    uint8_t shift_count();
    // A GPR for an operand; RSP only rarely (it would derail the stack). `exclude` is a mask.
    unsigned pick_gpr(uint32_t exclude = 0);
    unsigned pick_xmm();

    void emit(std::vector<uint8_t> bytes, Fixup fixup = {});
    void emit(const InsnSpec& spec, Fixup fixup = {}) { emit(encode(spec, mode_), fixup); }
    // A system instruction of a privileged template: compared only where it was emitted.
    void emit_privileged(std::vector<uint8_t> bytes);
    // mov reg, imm (full width of the mode).
    void set_reg(unsigned reg, uint64_t value);
    // A memory operand of `size` bytes inside the data region, aligned to `align` most of the
    // time. Emits the setup instructions for its base/index registers (never those in
    // `exclude`) and may add a segment or address-size prefix to `prefixes`. A RIP-relative
    // operand needs the fixup returned in `rip_fixup` (Kind::None otherwise).
    RmOperand memory(unsigned size, unsigned align, std::vector<uint8_t>& prefixes,
                     uint32_t exclude, Fixup& rip_fixup);
    // A data-region address usable by `size`-byte accesses, aligned to `align` mostly.
    uint64_t data_address(unsigned size, unsigned align);

    Stream finish(std::string origin);

  private:
    void init_state(Stream& s);
    void layout_code(Stream& s);

    Mode mode_;
    Rng rng_;
    bool directed_;
    std::vector<StreamInsn> insns_;
};

} // namespace hvlab::tools
