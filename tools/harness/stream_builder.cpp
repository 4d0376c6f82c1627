// SDM rules cited here: Intel SDM, Dec 2023 (Order 325462-081).
#include "tools/harness/stream_builder.hpp"

#include "tools/harness/guest_layout.hpp"
#include "tools/harness/lock_rule.hpp"

#include <algorithm>

namespace hvlab::tools {

namespace {

// Operand values at the edges where flag and overflow rules change.
constexpr uint64_t kEdgeValues[] = {
    0,
    1,
    2,
    0x7F,
    0x80,
    0xFF,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x7FFF'FFFF,
    0x8000'0000,
    0xFFFF'FFFF,
    0x1'0000'0000,
    0x7FFF'FFFF'FFFF'FFFF,
    0x8000'0000'0000'0000,
    0xFFFF'FFFF'FFFF'FFFF,
    0xFFFF'FFFF'FFFF'FFFE,
    0x8000'0000'0000'0001,
};
constexpr uint8_t kShiftCounts[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 255};

// Segment bases of FS and GS in 64-bit mode; both at or below the data region so a 32-bit
// effective address (67h prefix) can still reach it.
constexpr uint64_t kFsBase = 0x1'0000, kGsBase = 0x40'0000;

} // namespace

StreamBuilder::StreamBuilder(Mode mode, uint64_t seed, bool directed)
    : mode_(mode), rng_(seed), directed_(directed) {}

uint64_t StreamBuilder::value() {
    if (rng_.chance(directed_ ? 80 : 15)) {
        const uint64_t v = rng_.pick(kEdgeValues);
        return rng_.chance(20) ? ~v + 1 : v; // also the negated edges
    }
    if (rng_.chance(10)) return rng_.below(256);
    return rng_.next();
}

uint8_t StreamBuilder::shift_count() {
    if (rng_.chance(directed_ ? 85 : 50)) return rng_.pick(kShiftCounts);
    return static_cast<uint8_t>(rng_.next());
}

unsigned StreamBuilder::pick_gpr(uint32_t exclude) {
    const unsigned n = gpr_count(mode_);
    for (;;) {
        const unsigned r = static_cast<unsigned>(rng_.below(n));
        if (exclude & (1u << r)) continue;
        if (r == 4 && !rng_.chance(3)) continue;
        return r;
    }
}

unsigned StreamBuilder::pick_xmm() {
    return static_cast<unsigned>(rng_.below(gpr_count(mode_)));
}

void StreamBuilder::emit(std::vector<uint8_t> bytes, Fixup fixup) {
    if (unicorn_aborts_on(bytes.data(), bytes.size(), mode_)) return; // see lock_rule.hpp
    insns_.push_back(StreamInsn{std::move(bytes), fixup});
}

void StreamBuilder::emit_privileged(std::vector<uint8_t> bytes) {
    if (unicorn_aborts_on(bytes.data(), bytes.size(), mode_)) return;
    insns_.push_back(StreamInsn{std::move(bytes), Fixup{}, true});
}

void StreamBuilder::set_reg(unsigned reg, uint64_t v) {
    InsnSpec s;
    s.has_modrm = false;
    s.opcode = {static_cast<uint8_t>(0xB8 + (reg & 7))};
    s.rm.reg = static_cast<uint8_t>(reg); // REX.B comes from rm for opcode-register forms
    if (long64()) {
        s.rex_w = true;
        s.imm = le_bytes(v, 8);
    } else {
        s.imm = le_bytes(v, 4);
    }
    emit(s);
}

uint64_t StreamBuilder::data_address(unsigned size, unsigned align) {
    const uint64_t room = layout::kData.size - 0x200;
    uint64_t off = 0x100 + rng_.below(room);
    if (rng_.chance(5)) off = (off & ~(layout::kPage - 1)) + layout::kPage - size / 2 - 1;
    if (align > 1) off = rng_.chance(90) ? off & ~uint64_t(align - 1) : off | 1;
    if (off + size > layout::kData.size) off = layout::kData.size - size;
    return layout::kData.base + off;
}

RmOperand StreamBuilder::memory(unsigned size, unsigned align, std::vector<uint8_t>& prefixes,
                                uint32_t exclude, Fixup& rip_fixup) {
    const uint64_t target = data_address(size, align);
    uint64_t seg_base = 0;
    const unsigned seg_roll = static_cast<unsigned>(rng_.below(100));
    if (long64() && seg_roll < 8) {
        prefixes.push_back(0x64);
        seg_base = kFsBase;
    } else if (long64() && seg_roll < 16) {
        prefixes.push_back(0x65);
        seg_base = kGsBase;
    } else if (seg_roll < 24) {
        // Base 0 in both modes. CS only in 64-bit mode: in 32-bit mode a write through CS is
        // #GP (a code segment is not writable), which the raw share already exercises.
        static const uint8_t kNullSegs[] = {0x26, 0x36, 0x3E, 0x2E};
        prefixes.push_back(kNullSegs[rng_.below(long64() ? 4 : 3)]);
    }
    const bool addr32 = long64() && rng_.chance(8);
    if (addr32) prefixes.push_back(0x67);

    RmOperand rm;
    rm.is_mem = true;
    MemOperand& m = rm.mem;
    const unsigned form = static_cast<unsigned>(rng_.below(100));
    const uint64_t ea = target - seg_base; // wanted effective address
    if (long64() && !addr32 && form < 10) {
        m.rip_relative = true;
        rip_fixup = Fixup{Fixup::Kind::RipData, 0, 4, 0, target};
        return rm;
    }
    if (form < 20) {
        m.disp = static_cast<int32_t>(ea);
        return rm;
    }
    const uint32_t used = exclude | (1u << 4); // never RSP as a pointer: it is the stack
    m.base = static_cast<int>(pick_gpr(used));
    const unsigned disp_kind = static_cast<unsigned>(rng_.below(3));
    m.disp = disp_kind == 0   ? 0
             : disp_kind == 1 ? static_cast<int8_t>(rng_.next())
                              : static_cast<int32_t>(rng_.below(0x20000)) - 0x10000;
    uint64_t base_value = ea - static_cast<uint64_t>(static_cast<int64_t>(m.disp));
    if (form >= 45) {
        m.index = static_cast<int>(pick_gpr(used | (1u << m.base)));
        static const unsigned kScales[] = {1, 2, 4, 8};
        m.scale = rng_.pick(kScales);
        const int64_t idx = static_cast<int64_t>(rng_.below(17)) - 8;
        uint64_t index_value = static_cast<uint64_t>(idx);
        base_value -= index_value * m.scale;
        if (addr32) index_value = (index_value & 0xFFFF'FFFF) | (rng_.next() << 32);
        set_reg(static_cast<unsigned>(m.index), index_value);
    }
    // With a 32-bit address size only the low half takes part (SDM Vol. 1, Address-Size
    // Attributes): put garbage in the high half to check that.
    if (addr32) base_value = (base_value & 0xFFFF'FFFF) | (rng_.next() << 32);
    if (!long64()) base_value &= 0xFFFF'FFFF;
    set_reg(static_cast<unsigned>(m.base), base_value);
    return rm;
}

void StreamBuilder::init_state(Stream& s) {
    ArchState& a = s.init;
    for (unsigned i = 0; i < 16; ++i)
        a.gpr[i] = value();
    if (!long64())
        for (auto& g : a.gpr)
            g &= 0xFFFF'FFFF;
    for (unsigned i = 8; i < 16 && !long64(); ++i)
        a.gpr[i] = 0;
    a.gpr[4] = layout::kStackStart + 8 * (rng_.below(64)) - 0x100;
    a.rip = layout::kCode.base;
    constexpr uint64_t kStatus = 0x8D5; // CF PF AF ZF SF OF
    a.rflags = 2 | (rng_.next() & kStatus) | (rng_.chance(30) ? 0x400 : 0);
    for (unsigned i = 0; i < gpr_count(mode_); ++i)
        a.xmm[i] = {value(), value()};
    if (long64()) {
        s.fs_base = kFsBase;
        s.gs_base = kGsBase;
    }
    s.data.resize(layout::kData.size);
    for (size_t i = 0; i < s.data.size(); i += 8) {
        const uint64_t v = directed_ ? value() : rng_.next();
        for (unsigned b = 0; b < 8; ++b)
            s.data[i + b] = static_cast<uint8_t>(v >> (8 * b));
    }
    s.stack.resize(layout::kStack.size);
    for (auto& b : s.stack)
        b = static_cast<uint8_t>(rng_.next());
}

void StreamBuilder::layout_code(Stream& s) {
    std::vector<uint64_t> addr(insns_.size() + 1);
    uint64_t a = layout::kCode.base;
    for (size_t i = 0; i < insns_.size(); ++i) {
        addr[i] = a;
        a += insns_[i].bytes.size();
    }
    addr[insns_.size()] = a;
    s.end_rip = a;
    s.code.assign(layout::kCode.size, 0xCC); // INT3 past the end: a wild branch traps
    for (size_t i = 0; i < insns_.size(); ++i) {
        StreamInsn& in = insns_[i];
        const uint64_t next = addr[i] + in.bytes.size();
        const Fixup& f = in.fixup;
        const uint64_t target = addr[std::min(insns_.size(), i + 1 + f.skip)];
        uint64_t v = 0;
        switch (f.kind) {
        case Fixup::Kind::None: break;
        case Fixup::Kind::Rel: v = target - next; break;
        case Fixup::Kind::Abs: v = target; break;
        case Fixup::Kind::RipData: v = f.data - next; break;
        }
        if (f.kind == Fixup::Kind::Rel && f.size == 1 &&
            static_cast<int64_t>(v) != static_cast<int8_t>(v))
            v = 0; // out of rel8 reach: fall through instead
        for (unsigned b = 0; b < f.size && f.kind != Fixup::Kind::None; ++b)
            in.bytes[f.offset + b] = static_cast<uint8_t>(v >> (8 * b));
        std::copy(in.bytes.begin(), in.bytes.end(),
                  s.code.begin() + (addr[i] - layout::kCode.base));
        if (in.privileged) s.privileged.push_back(addr[i]);
    }
    s.insn_count = static_cast<unsigned>(insns_.size());
    const size_t used = s.end_rip - layout::kCode.base;
    for (size_t i = 0; i < used && s.unicorn_safe; ++i)
        s.unicorn_safe =
            !unicorn_aborts_on(&s.code[i], std::min<size_t>(15, s.code.size() - i), mode_);
}

Stream StreamBuilder::finish(std::string origin) {
    Stream s;
    s.mode = mode_;
    s.origin = std::move(origin);
    init_state(s);
    layout_code(s);
    insns_.clear();
    return s;
}

} // namespace hvlab::tools
