// The row tables of the SSE, x87/FXSAVE and BMI/ADX instruction classes, each joined from its
// per-file tables so that opcode_map.cpp lists one table per class.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2D, "Opcode Map".
#include "cpu/sse_helpers.hpp"

#include <initializer_list>
#include <vector>

namespace hvlab::cpu {

namespace {

std::vector<OpcodeRow> join(std::initializer_list<std::span<const OpcodeRow>> parts) {
    std::vector<OpcodeRow> rows;
    for (auto p : parts)
        rows.insert(rows.end(), p.begin(), p.end());
    return rows;
}

} // namespace

std::span<const OpcodeRow> sse_rows() {
    static const std::vector<OpcodeRow> rows =
        join({sse_mov_rows(), sse_logic_rows(), sse_compare_rows(), sse_shuffle_rows(),
              sse_arith_rows(), sse_shift_rows(), sse_control_rows(), sse_float_rows()});
    return rows;
}

std::span<const OpcodeRow> x87_rows() {
    static const std::vector<OpcodeRow> rows = join({x87_control_rows(), fxsave_rows()});
    return rows;
}

std::span<const OpcodeRow> bmi_rows() {
    static const std::vector<OpcodeRow> rows = join({bmi_only_rows(), adx_rows()});
    return rows;
}

} // namespace hvlab::cpu
