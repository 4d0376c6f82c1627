// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2D, "Opcode Map".
#include "cpu/opcode_map.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

namespace hvlab::cpu {

namespace {

// Every instruction class. A new exec_*.cpp file adds its table here.
std::span<const OpcodeRow> (*const kTables[])() = {
    alu_rows, mov_rows, stack_rows, branch_rows, shift_rows, muldiv_rows, misc_rows,
    bit_rows, string_rows, system_rows, atomic_rows, io_rows, legacy_rows,
    sse_rows, x87_rows, bmi_rows, vmx_rows,
};

Imm imm_kind(std::string_view t) {
    if (t == "Ib") return Imm::Ib;
    if (t == "Iw") return Imm::Iw;
    if (t == "Iz") return Imm::Iz;
    if (t == "Iv") return Imm::Iv;
    if (t == "Jb") return Imm::Jb;
    if (t == "Jz") return Imm::Jz;
    if (t == "Ob" || t == "Ov") return Imm::O;
    if (t == "Ap") return Imm::Ap;
    return Imm::None;
}

// Addressing methods that come from a ModRM byte (SDM Vol. 2D, "Codes for Addressing Method").
bool uses_modrm(char method) { return std::strchr("BCDEGHMNPQRSUVW", method) != nullptr; }

// Specific mandatory prefixes match before the generic forms.
int prefix_rank(Pfx p) {
    switch (p) {
    case Pfx::P66:
    case Pfx::F3:
    case Pfx::F2: return 0;
    case Pfx::NP: return 1;
    case Pfx::Any: return 2;
    }
    return 2;
}

} // namespace

RowInfo parse_row(const OpcodeRow& row) {
    RowInfo info{&row, row.ext.kind() != 0, (row.flags & rowf::Byte) != 0, Imm::None, Imm::None};
    bool size_seen = false;
    std::string_view ops(row.operands);
    while (!ops.empty()) {
        const size_t comma = ops.find(',');
        const std::string_view t = ops.substr(0, comma);
        ops = comma == std::string_view::npos ? std::string_view{} : ops.substr(comma + 1);
        if (t.empty() || t == "DX" || t == "1") continue; // port number, implicit count
        const Imm k = imm_kind(t);
        if (k != Imm::None) {
            (info.imm1 == Imm::None ? info.imm1 : info.imm2) = k;
            if (k == Imm::O && !size_seen) info.byte_op = t == "Ob", size_seen = true;
            continue;
        }
        if (t.size() >= 2 && std::isupper(static_cast<unsigned char>(t[0])) &&
            std::islower(static_cast<unsigned char>(t[1]))) {
            if (uses_modrm(t[0])) info.modrm = true;
            if (!size_seen) info.byte_op = info.byte_op || t[1] == 'b';
        } else if (!size_seen) {
            // A fixed register: AL/CL/.. are byte operands; rAX, eAX, DX, .. are not.
            info.byte_op = info.byte_op || (t.size() == 2 && (t[1] == 'L' || t[1] == 'H'));
        }
        size_seen = true;
    }
    return info;
}

OpcodeMap::OpcodeMap() : buckets_(static_cast<unsigned>(Map::Count) * 256) {
    for (auto table : kTables) {
        for (const OpcodeRow& row : table()) {
            all_.push_back(&row);
            const RowInfo info = parse_row(row);
            const unsigned n = (row.flags & rowf::PlusR) ? 8 : (row.flags & rowf::PlusCC) ? 16 : 1;
            for (unsigned i = 0; i < n; ++i)
                buckets_[static_cast<unsigned>(row.map) * 256 + row.op + i].push_back(info);
        }
    }
    for (auto& b : buckets_)
        std::stable_sort(b.begin(), b.end(), [](const RowInfo& a, const RowInfo& c) {
            return prefix_rank(a.row->pfx) < prefix_rank(c.row->pfx);
        });
}

const OpcodeMap& OpcodeMap::get() {
    static const OpcodeMap map;
    return map;
}

} // namespace hvlab::cpu
