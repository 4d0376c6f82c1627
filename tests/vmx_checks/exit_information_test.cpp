// Exit-qualification, event-information and instruction-information encoders, checked on
// worked examples of real instructions.
#include "cpu/vmx/exit_qualification.hpp"
#include "cpu/vmx/instruction_information.hpp"

#include <catch2/catch.hpp>

using namespace hvlab::cpu::vmx;

TEST_CASE("control-register access qualifications", "[vmx][exitinfo]") {
    // mov cr3, rax
    CHECK(CrAccessQualification{3, CrAccessType::MovToCr, false, 0, 0}.encode() == 0x3);
    // mov rbx, cr3
    CHECK(CrAccessQualification{3, CrAccessType::MovFromCr, false, 3, 0}.encode() == 0x313);
    // mov cr4, r12
    CHECK(CrAccessQualification{4, CrAccessType::MovToCr, false, 12, 0}.encode() == 0xC04);
    // clts
    CHECK(CrAccessQualification{0, CrAccessType::Clts, false, 0, 0}.encode() == 0x20);
    // lmsw ax with ax = 0x000F; lmsw [mem] with 0x0001
    CHECK(CrAccessQualification{0, CrAccessType::Lmsw, false, 0, 0xF}.encode() == 0xF0030);
    CHECK(CrAccessQualification{0, CrAccessType::Lmsw, true, 0, 1}.encode() == 0x10070);
}

TEST_CASE("MOV DR qualifications", "[vmx][exitinfo]") {
    CHECK(MovDrQualification{7, false, 1}.encode() == 0x107); // mov dr7, rcx
    CHECK(MovDrQualification{6, true, 0}.encode() == 0x16);   // mov rax, dr6
}

TEST_CASE("I/O instruction qualifications", "[vmx][exitinfo]") {
    CHECK(IoQualification{1, false, false, false, true, 0x80}.encode() ==
          0x00800040); // out 80h, al
    CHECK(IoQualification{4, true, false, false, false, 0xCFC}.encode() ==
          0x0CFC000B);                                                                 // in eax, dx
    CHECK(IoQualification{1, false, true, true, false, 0x3F8}.encode() == 0x03F80030); // rep outsb
    CHECK(IoQualification{2, true, true, false, false, 0x1F0}.encode() == 0x01F00019); // insw
}

TEST_CASE("EPT violation qualifications", "[vmx][exitinfo]") {
    // A guest write through a linear address to a not-present EPT mapping.
    EptViolationQualification w;
    w.write = true;
    w.linear_address_valid = w.translated_linear_access = true;
    CHECK(w.encode() == 0x182);
    // Reading a guest paging-structure entry hit a non-present EPT mapping.
    EptViolationQualification pse;
    pse.read = true;
    pse.linear_address_valid = true;
    CHECK(pse.encode() == 0x81);
    // A fetch from a readable, writable, non-executable page; NMI unblocking due to IRET.
    EptViolationQualification x;
    x.fetch = x.readable = x.writable = true;
    x.linear_address_valid = x.translated_linear_access = x.nmi_unblocking = true;
    CHECK(x.encode() == 0x119C);
    // Bit 8 is only meaningful (and only set) when bit 7 is.
    EptViolationQualification no_linear;
    no_linear.read = no_linear.translated_linear_access = true;
    CHECK(no_linear.encode() == 0x1);
}

TEST_CASE("event information for VM exits and IDT vectoring", "[vmx][exitinfo]") {
    CHECK(EventInformation{14, 3, true, false}.encode() == 0x80000B0E); // #PF with error code
    CHECK(EventInformation{2, 2, false, false}.encode() == 0x80000202); // NMI
    CHECK(EventInformation{0x20, 0, false, false}.encode() == 0x80000020);
    CHECK(EventInformation{13, 3, true, true}.encode() == 0x80001B0D); // #GP on IRET
}

TEST_CASE("VM-exit instruction information", "[vmx][exitinfo]") {
    OperandInfo rax_only; // [rax], 64-bit addressing, DS
    rax_only.base = 0;
    CHECK(instruction_info_memory(rax_only) == 0x00418100); // vmptrld [rax]

    OperandInfo sib; // [rdx + rsi*8]
    sib.scaling = 3;
    sib.index = 6;
    sib.base = 2;
    CHECK(instruction_info_invalidation(sib, 1) == 0x11198103); // invept rcx, [rdx+rsi*8]

    CHECK(instruction_info_descriptor_table(rax_only, false, DescriptorTableInstruction::Lgdt) ==
          0x20418100);
    OperandInfo abs32; // [disp32] with 32-bit addressing, SS override: no base, no index
    abs32.address_size = 1;
    abs32.segment = 2;
    CHECK(instruction_info_descriptor_table(abs32, true, DescriptorTableInstruction::Sidt) ==
          0x18410880);

    OperandInfo reg;
    reg.is_register = true;
    // vmread rbx, rax: Reg1 = rbx (3), Reg2 = rax (0); the memory fields are undefined.
    constexpr uint32_t kDefined = 0xF0000000u | (1u << 10) | (0xFu << 3);
    CHECK((instruction_info_vmread_vmwrite(reg, 3, 0) & kDefined) == 0x00000418);
    // vmwrite r8, [rbx]: memory form, Reg2 = r8
    OperandInfo rbx;
    rbx.base = 3;
    CHECK(instruction_info_vmread_vmwrite(rbx, 0, 8) == 0x81C18100);
    // ltr cx
    CHECK((instruction_info_ldtr_tr(reg, 1, LdtrTrInstruction::Ltr) &
           (0x30000000u | (1u << 10) | (0xFu << 3))) == 0x30000408);
    CHECK(instruction_info_ins_outs(2, 3) == 0x00018100); // outsb in 64-bit mode, DS
}
