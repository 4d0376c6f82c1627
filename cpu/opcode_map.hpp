// The opcode map assembled from every class's row table: for each (map, opcode byte) the rows
// that share it, most specific mandatory prefix first, with what the decoder must know about
// each row's operands (ModRM present, immediate kinds, byte operation) parsed once from the
// row's operand string.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2D, "Opcode Map".
#pragma once
#include "cpu/opcode_row.hpp"

#include <cstdint>
#include <vector>

namespace hvlab::cpu {

// Immediate-like fields that follow ModRM/SIB/displacement, in encoding order.
enum class Imm : uint8_t {
    None,
    Ib, // 8 bits, sign-extended
    Iw, // 16 bits, zero-extended
    Iz, // 16 or 32 bits by operand size, sign-extended
    Iv, // 16, 32 or 64 bits by operand size (MOV r, imm)
    Jb, // rel8
    Jz, // rel16/rel32
    O,  // moffs: address-size bytes, stored in disp
    Ap, // far pointer: offset (operand size) then selector (imm2)
};

struct RowInfo {
    const OpcodeRow* row;
    bool modrm;
    bool byte_op;
    Imm imm1, imm2;
};

class OpcodeMap {
  public:
    static const OpcodeMap& get();
    // Rows for one opcode byte, in match order.
    std::span<const RowInfo> rows(Map map, uint8_t op) const {
        const auto& b = buckets_[static_cast<unsigned>(map) * 256 + op];
        return {b.data(), b.size()};
    }
    // Every row (for coverage listings and tests).
    const std::vector<const OpcodeRow*>& all() const { return all_; }

  private:
    OpcodeMap();
    std::vector<std::vector<RowInfo>> buckets_;
    std::vector<const OpcodeRow*> all_;
};

RowInfo parse_row(const OpcodeRow& row);

} // namespace hvlab::cpu
