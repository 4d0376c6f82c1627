// The VM-exit instruction-information field (0x440E) for the instructions whose VM exits
// describe their operand. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Information for
// VM Exits Due to Instruction Execution", tables "Format of the VM-Exit Instruction-
// Information Field as Used for ..." (INS and OUTS; INVEPT, INVPCID, and INVVPID; LIDT,
// LGDT, SIDT, or SGDT; LLDT, LTR, SLDT, and STR; VMCLEAR, VMPTRLD, VMPTRST, VMXON, XRSTORS,
// and XSAVES; VMREAD and VMWRITE).
#pragma once
#include <cstdint>
#include <optional>

namespace hvlab::cpu::vmx {

// The operand fields shared by the formats: 1:0 scaling, 9:7 address size (0 16-bit,
// 1 32-bit, 2 64-bit), 10 mem/reg (1 = register operand), 17:15 segment register (SegReg
// order), 21:18 index register, 22 index invalid, 26:23 base register, 27 base invalid.
// Registers use the GPR numbering (0 = RAX ... 15 = R15).
struct OperandInfo {
    uint8_t scaling = 0;      // log2 of the scale factor
    uint8_t address_size = 2; // 0 16-bit, 1 32-bit, 2 64-bit
    bool is_register = false;
    uint8_t segment = 3; // DS
    std::optional<uint8_t> index, base;
};

// VMCLEAR, VMPTRLD, VMPTRST, VMXON (memory operand only; bit 10 is 0).
uint32_t instruction_info_memory(const OperandInfo& op);
// INVEPT, INVPCID, INVVPID: the memory operand plus 31:28 Reg2 (the type register).
uint32_t instruction_info_invalidation(const OperandInfo& op, uint8_t reg2);
// VMREAD/VMWRITE: 6:3 Reg1 (the register operand, when bit 10 is 1), 31:28 Reg2 (the field
// encoding register).
uint32_t instruction_info_vmread_vmwrite(const OperandInfo& op, uint8_t reg1, uint8_t reg2);
// SGDT/SIDT/LGDT/LIDT: 11 operand size (0 16-bit, 1 32-bit), 29:28 identity.
enum class DescriptorTableInstruction : uint8_t { Sgdt = 0, Sidt = 1, Lgdt = 2, Lidt = 3 };
uint32_t instruction_info_descriptor_table(const OperandInfo& op, bool operand_size_32,
                                           DescriptorTableInstruction which);
// SLDT/STR/LLDT/LTR: 6:3 Reg1 (register form), 29:28 identity.
enum class LdtrTrInstruction : uint8_t { Sldt = 0, Str = 1, Lldt = 2, Ltr = 3 };
uint32_t instruction_info_ldtr_tr(const OperandInfo& op, uint8_t reg1, LdtrTrInstruction which);
// INS/OUTS (reported because IA32_VMX_BASIC[54] = 1): 9:7 address size, 17:15 segment
// (OUTS only: INS always writes through ES, and the field is undefined for it).
uint32_t instruction_info_ins_outs(uint8_t address_size, uint8_t segment);

} // namespace hvlab::cpu::vmx
