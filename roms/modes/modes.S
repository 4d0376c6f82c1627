/* Round trips from 64-bit mode to compatibility mode (IA-32e mode with a 32-bit code segment,
 * GDT_CODE32) and to 32-bit protected mode (IA-32e mode off). Intel SDM, Dec 2023
 * (Order 325462-081).
 * In compatibility mode the upper halves of the GPRs and R8-R15 are not reliably preserved
 * (SDM Vol. 1, "General-Purpose Registers in 64-Bit Mode"), so both routines keep what they
 * need on the stack and read only the low 32 bits of registers written there. All addresses
 * are below 4 GiB, so 32-bit pointers and ESP work unchanged in compatibility mode. */
#include "lib/gdt.h"

#define CR0_PG (1 << 31)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)

    .section .text, "ax"

/* uint32_t compat_checksum(const uint32_t *data, uint32_t count)
 * Enters compatibility mode by CALL FAR through an m16:32 pointer (operand size 32: the CPU
 * pushes CS and EIP as 4 bytes each), runs checksum32 there, and comes back by its RET FAR.
 * SDM Vol. 2A, "CALL - Call Procedure" and "RET - Return from Procedure". */
    .code64
    .globl compat_checksum
compat_checksum:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    lcall *checksum32_pointer(%rip)
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    movl %eax, %eax /* the upper half is undefined after compatibility mode */
    ret

/* Compatibility mode. EDI = data, ESI = count; returns EAX. For each word i:
 * h = rol(h, 5) ^ data[i]; h += i * 0x9E3779B9. INC ECX is the one-byte 0x41 form, which
 * exists only outside 64-bit mode (there 0x41 is a REX prefix). */
    .code32
checksum32:
    xorl %eax, %eax
    xorl %ecx, %ecx
1:  cmpl %esi, %ecx
    jae 2f
    roll $5, %eax
    xorl (%edi,%ecx,4), %eax
    imull $0x9E3779B9, %ecx, %edx
    addl %edx, %eax
    incl %ecx
    jmp 1b
2:  lret

/* void compat_probe(struct compat_observations *out)
 * Enters compatibility mode by a 64-bit RET FAR (REX.W: pops 8-byte RIP and CS), observes the
 * mode there, returns by JMP FAR ptr16:32 (a form 64-bit mode does not have), and runs the
 * same bytes again in 64-bit mode. Fields (uint32_t each): inc40_compat, push_width_compat,
 * cs_compat, inc40_64. */
    .code64
    .globl compat_probe
compat_probe:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi
    pushq $GDT_CODE32
    leaq probe32(%rip), %rax
    pushq %rax
    lretq

    .code32
/* 0x40 is INC EAX here. ESP moves by 4 for a PUSH of a doubleword. */
probe32:
    xorl %eax, %eax
    .byte 0x40
    nop
    movl %eax, %ebx
    movl %esp, %ecx
    pushl $0
    subl %esp, %ecx
    popl %edx
    xorl %edx, %edx
    movw %cs, %dx
    ljmp $GDT_CODE64, $probe64

    .code64
/* The same bytes in 64-bit mode: 0x40 is an empty REX prefix on NOP, EAX stays 0. */
probe64:
    xorl %eax, %eax
    .byte 0x40
    nop
    popq %rdi
    movl %ebx, 0(%rdi)
    movl %ecx, 4(%rdi)
    movl %edx, 8(%rdi)
    movl %eax, 12(%rdi)
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret

/* uint32_t protected_mode_checksum(const uint32_t *data, uint32_t count,
 *                                  struct mode_switch_observations *out)
 * Leaves IA-32e mode as SDM Vol. 3A, "Switching Out of IA-32e Mode" describes: into
 * compatibility mode, clear CR0.PG (IA32_EFER.LMA drops to 0: 32-bit protected mode, paging
 * off), clear IA32_EFER.LME. Runs checksum32 there (a near CALL/RET of 4-byte slots), then
 * re-enters as entry32.S does: set LME, set PG (CR4.PAE and CR3 were kept), JMP FAR to 64-bit
 * code. Fields of out (uint32_t each): efer_protected, cr0_protected, efer_back. No
 * exception may happen in protected mode: the IDT holds 64-bit gates. */
    .code64
    .globl protected_mode_checksum
protected_mode_checksum:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdx
    pushq $GDT_CODE32
    leaq to_protected(%rip), %rax
    pushq %rax
    lretq

    .code32
to_protected:
    movl %cr0, %eax
    andl $~CR0_PG, %eax
    movl %eax, %cr0
    movl $MSR_EFER, %ecx
    rdmsr
    andl $~EFER_LME, %eax
    wrmsr
    /* 32-bit protected mode, paging off. EBP = EFER, EBX = CR0, as seen here. */
    rdmsr
    movl %eax, %ebp
    movl %cr0, %ebx
    call checksum32_near
    pushl %eax
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    orl $CR0_PG, %eax
    movl %eax, %cr0
    popl %eax
    ljmp $GDT_CODE64, $back_in_64

    .code64
back_in_64:
    popq %r8 /* out */
    movl %eax, %r9d
    movl %ebp, 0(%r8)
    movl %ebx, 4(%r8)
    movl $MSR_EFER, %ecx
    rdmsr
    movl %eax, 8(%r8)
    movl %r9d, %eax
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret

/* checksum32 reached by a near CALL, and from there by CALL FAR ptr16:32 (a direct form that
 * 64-bit mode does not have); checksum32's RET FAR comes back here. */
    .code32
checksum32_near:
    lcall $GDT_CODE32, $checksum32
    ret

    .section .rodata, "a"
    .balign 8
/* m16:32 far pointer: 32-bit offset, then the selector. */
checksum32_pointer:
    .long checksum32
    .word GDT_CODE32

    .section .note.GNU-stack, "", @progbits
