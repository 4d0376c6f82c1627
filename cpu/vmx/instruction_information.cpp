// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Information for VM Exits Due to
// Instruction Execution".
#include "cpu/vmx/instruction_information.hpp"

namespace hvlab::cpu::vmx {
namespace {

uint32_t operand_bits(const OperandInfo& op) {
    uint32_t v = (op.scaling & 3u) | (uint32_t{op.address_size & 7u} << 7) |
                 (op.is_register ? 1u << 10 : 0) | (uint32_t{op.segment & 7u} << 15);
    v |= op.index ? uint32_t{*op.index & 0xFu} << 18 : 1u << 22;
    v |= op.base ? uint32_t{*op.base & 0xFu} << 23 : 1u << 27;
    return v;
}

} // namespace

uint32_t instruction_info_memory(const OperandInfo& op) {
    OperandInfo mem = op;
    mem.is_register = false; // these instructions take only memory operands
    return operand_bits(mem);
}

uint32_t instruction_info_invalidation(const OperandInfo& op, uint8_t reg2) {
    return instruction_info_memory(op) | (uint32_t{reg2 & 0xFu} << 28);
}

uint32_t instruction_info_vmread_vmwrite(const OperandInfo& op, uint8_t reg1, uint8_t reg2) {
    return operand_bits(op) | (uint32_t{reg1 & 0xFu} << 3) | (uint32_t{reg2 & 0xFu} << 28);
}

uint32_t instruction_info_descriptor_table(const OperandInfo& op, bool operand_size_32,
                                           DescriptorTableInstruction which) {
    return instruction_info_memory(op) | (operand_size_32 ? 1u << 11 : 0) |
           (uint32_t{static_cast<uint8_t>(which)} << 28);
}

uint32_t instruction_info_ldtr_tr(const OperandInfo& op, uint8_t reg1, LdtrTrInstruction which) {
    return operand_bits(op) | (uint32_t{reg1 & 0xFu} << 3) |
           (uint32_t{static_cast<uint8_t>(which)} << 28);
}

uint32_t instruction_info_ins_outs(uint8_t address_size, uint8_t segment) {
    return (uint32_t{address_size & 7u} << 7) | (uint32_t{segment & 7u} << 15);
}

} // namespace hvlab::cpu::vmx
