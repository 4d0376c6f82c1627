/* VM entry and the host side of every VM exit, for the vmx-* ROMs (vmx.h).
 * Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "VMLAUNCH/VMRESUME" and "Loading Host
 * State": a VM exit lands at HOST_RIP with RSP = HOST_RSP and every general register but RSP
 * still holding the guest's value. */

#define HOST_RSP 0x6C14
#define HOST_RIP 0x6C16

/* struct guest_regs offsets */
#define G_RAX 0
#define G_RBX 8
#define G_RCX 16
#define G_RDX 24
#define G_RSI 32
#define G_RDI 40
#define G_RBP 48
#define G_R8 56
#define G_R9 64
#define G_R10 72
#define G_R11 80
#define G_R12 88
#define G_R13 96
#define G_R14 104
#define G_R15 112

    .section .text, "ax"
    .code64

/* Guest registers from the struct at RDI; RDI itself last. Moves leave RFLAGS alone. */
.macro LOAD_GUEST
    movq G_RAX(%rdi), %rax
    movq G_RBX(%rdi), %rbx
    movq G_RCX(%rdi), %rcx
    movq G_RDX(%rdi), %rdx
    movq G_RSI(%rdi), %rsi
    movq G_RBP(%rdi), %rbp
    movq G_R8(%rdi), %r8
    movq G_R9(%rdi), %r9
    movq G_R10(%rdi), %r10
    movq G_R11(%rdi), %r11
    movq G_R12(%rdi), %r12
    movq G_R13(%rdi), %r13
    movq G_R14(%rdi), %r14
    movq G_R15(%rdi), %r15
    movq G_RDI(%rdi), %rdi
.endm

/* uint64_t vmx_enter(struct guest_regs* regs [RDI], enum vmx_entry_mode mode [ESI])
 * The stack at the exit (HOST_RSP): the regs pointer, then the callee-saved registers. */
    .globl vmx_enter
vmx_enter:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi
    movl $HOST_RSP, %eax
    vmwrite %rsp, %rax
    leaq vmx_exit_entry(%rip), %rdx
    movq vmx_host_rip_override(%rip), %rcx
    testq %rcx, %rcx
    cmovnzq %rcx, %rdx
    movl $HOST_RIP, %eax
    vmwrite %rdx, %rax
    cmpl $1, %esi
    je .Lresume
    cmpl $2, %esi
    je .Lafter_mov_ss
    LOAD_GUEST
    vmlaunch
    jmp .Lfailed
.Lresume:
    LOAD_GUEST
    vmresume
    jmp .Lfailed
.Lafter_mov_ss:
    LOAD_GUEST
    /* SDM Vol. 3C, "VMLAUNCH/VMRESUME": events blocked by MOV SS give VM-instruction error 26. */
    movw vmx_ss_value(%rip), %ss
    vmlaunch
/* VMLAUNCH/VMRESUME fell through: VMfailInvalid or VMfailValid. Return RFLAGS. */
.Lfailed:
    pushfq
    popq %rax
    popq %rdi
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* HOST_RIP: store the guest registers, return 0 from vmx_enter. */
    .globl vmx_exit_entry
vmx_exit_entry:
    pushq %rdi
    movq 8(%rsp), %rdi
    movq %rax, G_RAX(%rdi)
    movq %rbx, G_RBX(%rdi)
    movq %rcx, G_RCX(%rdi)
    movq %rdx, G_RDX(%rdi)
    movq %rsi, G_RSI(%rdi)
    movq %rbp, G_RBP(%rdi)
    movq %r8, G_R8(%rdi)
    movq %r9, G_R9(%rdi)
    movq %r10, G_R10(%rdi)
    movq %r11, G_R11(%rdi)
    movq %r12, G_R12(%rdi)
    movq %r13, G_R13(%rdi)
    movq %r14, G_R14(%rdi)
    movq %r15, G_R15(%rdi)
    popq %rax
    movq %rax, G_RDI(%rdi)
    popq %rdi
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    xorl %eax, %eax
    ret

/* The guest IDT's handlers (vmx.h, guest_idt): vector n reports itself to the host with
 * RBX = n and RBP = the frame the CPU pushed, through VMCALL (exit reason 18). */
    .balign 16
    .globl guest_vector_trampolines
guest_vector_trampolines:
    .set n, 0
    .rept 256
    .balign 16
    movl $n, %ebx
    movq %rsp, %rbp
    vmcall
    jmp .
    .set n, n + 1
    .endr

    .section .rodata, "a"
vmx_ss_value:
    .word 0x10

    .section .note.GNU-stack, "", @progbits
