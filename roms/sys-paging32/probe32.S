/* probe32: one memory access in 32-bit protected mode with 32-bit or PAE paging, from 64-bit
 * mode and back. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A, "Switching Out of IA-32e
 * Mode" (compatibility mode, CR0.PG = 0, EFER.LME = 0), "Initializing IA-32e Mode" (the way
 * back), "32-Bit Paging", "PAE Paging", "PDPTE Registers".
 *
 * Inputs (globals, 32-bit): p32_cr3, p32_cr4 (paging mode), p32_op (0 read, 1 write, 2 fetch,
 * 3 MOV CR3 again, 4 none), p32_addr, p32_poke_addr/p32_poke_value (a 32-bit store done with
 * paging on, before the op, when p32_poke_addr != 0), p32_reload_cr3 (1: MOV CR3, p32_cr3
 * after the poke). Outputs: p32_vector (0xFF: no exception), p32_error, p32_cr2, p32_value.
 * An exception in 32-bit mode goes through idt32 (32-bit interrupt gates, lib's CS 0x08):
 * the handler records it and abandons the frame, back to the exit path with the saved ESP.
 * Everything used in 32-bit mode lies below 4 MiB, identity-mapped by the caller's tables. */
#include "lib/gdt.h"

#define CR0_PG (1 << 31)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)

    .section .text, "ax"
    .code64
    .globl probe32
probe32:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, p32_rsp64(%rip)
    sidt p32_idtr64(%rip)
    movq %cr3, %rax
    movq %rax, p32_cr3_64(%rip)
    movq %cr4, %rax
    movq %rax, p32_cr4_64(%rip)
    pushq $GDT_CODE32
    leaq 1f(%rip), %rax
    pushq %rax
    lretq

    .code32
1:  movl %cr0, %eax
    andl $~CR0_PG, %eax
    movl %eax, %cr0
    movl $MSR_EFER, %ecx
    rdmsr
    andl $~EFER_LME, %eax
    wrmsr
    lidt idt32_pointer
    movl $0xFF, p32_vector
    movl $0, p32_error
    movl $0, p32_value
    movl %esp, p32_esp
    movl p32_cr4, %eax
    movl %eax, %cr4
    movl p32_cr3, %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $CR0_PG, %eax
    movl %eax, %cr0 /* with PAE: loads the PDPTE registers (#GP on reserved bits) */
    jmp 2f
2:  movl p32_poke_addr, %edi
    testl %edi, %edi
    jz 3f
    movl p32_poke_value, %eax
    movl %eax, (%edi)
3:  cmpl $0, p32_reload_cr3
    je 4f
    movl p32_cr3, %eax
    movl %eax, %cr3
4:  movl p32_addr, %edi
    movl p32_op, %eax
    cmpl $0, %eax
    je op_read
    cmpl $1, %eax
    je op_write
    cmpl $2, %eax
    je op_fetch
    cmpl $3, %eax
    je op_cr3
    jmp p32_exit
op_read:
    movl (%edi), %eax
    movl %eax, p32_value
    jmp p32_exit
op_write:
    movl $0x5A, (%edi)
    jmp p32_exit
op_fetch:
    call *%edi
    jmp p32_exit
op_cr3:
    movl p32_cr3, %eax
    movl %eax, %cr3
    jmp p32_exit

/* Back to 64-bit mode: paging off, the 64-bit CR4 and CR3, LME, paging on, far jump. */
p32_exit:
    movl p32_esp, %esp
    movl %cr0, %eax
    andl $~CR0_PG, %eax
    movl %eax, %cr0
    movl p32_cr4_64, %eax
    movl %eax, %cr4
    movl p32_cr3_64, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    orl $CR0_PG, %eax
    movl %eax, %cr0
    ljmp $GDT_CODE64, $5f

    .code64
5:  movl $GDT_DATA, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    lidt p32_idtr64(%rip)
    movq p32_rsp64(%rip), %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret

/* 32-bit exception entry points, 16 bytes each: a zero error code where the CPU pushes
 * none, then the vector. SDM Vol. 3A, "Exception and Interrupt Reference". */
    .code32
    .balign 16
    .globl p32_stubs
p32_stubs:
    .set v, 0
    .rept 32
    .balign 16
    .if !((v == 8) || ((v >= 10) && (v <= 14)) || (v == 17))
    pushl $0
    .endif
    pushl $v
    jmp p32_fault
    .set v, v + 1
    .endr

p32_fault:
    movl (%esp), %eax
    movl %eax, p32_vector
    movl 4(%esp), %eax
    movl %eax, p32_error
    movl 8(%esp), %eax
    movl %eax, p32_eip
    movl %cr2, %eax
    movl %eax, p32_cr2
    jmp p32_exit

    .section .data, "aw"
    .balign 8
p32_rsp64: .quad 0
p32_cr3_64: .quad 0
p32_cr4_64: .quad 0
p32_idtr64: .word 0
    .quad 0
p32_esp: .long 0
    .globl p32_cr3, p32_cr4, p32_op, p32_addr, p32_poke_addr, p32_poke_value, p32_reload_cr3
    .globl p32_vector, p32_error, p32_cr2, p32_value, p32_eip, idt32_pointer
p32_cr3: .long 0
p32_cr4: .long 0
p32_op: .long 0
p32_addr: .long 0
p32_poke_addr: .long 0
p32_poke_value: .long 0
p32_reload_cr3: .long 0
p32_vector: .long 0
p32_error: .long 0
p32_cr2: .long 0
p32_value: .long 0
p32_eip: .long 0
    .balign 8
idt32_pointer: .word 32 * 8 - 1
    .long 0 /* set by the C side: the address of idt32 */

    .section .note.GNU-stack, "", @progbits
