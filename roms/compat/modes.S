/* Round trips between 64-bit mode and compatibility mode (IA-32e mode with a 32-bit code
 * segment, GDT_CODE32). Intel SDM, Dec 2023 (Order 325462-081).
 * In compatibility mode the upper halves of the GPRs and R8-R15 are not reliably preserved
 * (SDM Vol. 1, "General-Purpose Registers in 64-Bit Mode"), so both routines keep what they
 * need on the stack and read only the low 32 bits of registers written there. All addresses
 * are below 4 GiB, so 32-bit pointers and ESP work unchanged in compatibility mode. */
#include "lib/gdt.h"

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

    .section .rodata, "a"
    .balign 8
/* m16:32 far pointer: 32-bit offset, then the selector. */
checksum32_pointer:
    .long checksum32
    .word GDT_CODE32

    .section .note.GNU-stack, "", @progbits
