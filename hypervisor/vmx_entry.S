/* VM entry and the VM-exit landing. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C,
 * "VMLAUNCH/VMRESUME" and "Loading Host State": a VM exit loads RSP and RIP from the
 * host-state area and nothing else of the general registers, so the guest's registers are
 * saved here and the C code sees a VM exit as a return from vmx_enter.
 *
 * int vmx_enter(struct guest* g, int launched)
 *   returns 0 after a VM exit, 1 on VMfailInvalid, 2 on VMfailValid.
 * g->gpr[16] (x86 register order, RSP slot unused) is at offset 0 of struct guest. */
#define VMCS_HOST_RSP 0x6C14

    .section .text, "ax"
    .code64
    .globl vmx_enter
vmx_enter:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi                 /* the guest, found again at the exit landing */
    movq $VMCS_HOST_RSP, %rax
    vmwrite %rsp, %rax         /* the exit comes back to this very stack */
    movl %esi, %eax
    movq 8(%rdi), %rcx
    movq 16(%rdi), %rdx
    movq 24(%rdi), %rbx
    movq 40(%rdi), %rbp
    movq 48(%rdi), %rsi
    movq 64(%rdi), %r8
    movq 72(%rdi), %r9
    movq 80(%rdi), %r10
    movq 88(%rdi), %r11
    movq 96(%rdi), %r12
    movq 104(%rdi), %r13
    movq 112(%rdi), %r14
    movq 120(%rdi), %r15
    testl %eax, %eax
    movq 0(%rdi), %rax
    movq 56(%rdi), %rdi        /* RDI last: it held the pointer */
    jnz 1f
    vmlaunch
    jmp 2f
1:  vmresume
2:  /* Only reached if the entry failed: CF = VMfailInvalid, ZF = VMfailValid. */
    movl $1, %eax
    jc 3f
    movl $2, %eax
3:  addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

    .globl vmx_exit_landing
vmx_exit_landing:
    pushq %rdi
    movq 8(%rsp), %rdi         /* the guest pushed by vmx_enter */
    movq %rax, 0(%rdi)
    movq %rcx, 8(%rdi)
    movq %rdx, 16(%rdi)
    movq %rbx, 24(%rdi)
    movq %rbp, 40(%rdi)
    movq %rsi, 48(%rdi)
    popq %rax
    movq %rax, 56(%rdi)
    movq %r8, 64(%rdi)
    movq %r9, 72(%rdi)
    movq %r10, 80(%rdi)
    movq %r11, 88(%rdi)
    movq %r12, 96(%rdi)
    movq %r13, 104(%rdi)
    movq %r14, 112(%rdi)
    movq %r15, 120(%rdi)
    xorl %eax, %eax
    jmp 3b

/* The host timer while the hypervisor idles: acknowledge and return (host.c). */
    .globl host_timer_entry
host_timer_entry:
    pushq %rax
    movabsq $0xFEE000B0, %rax  /* LAPIC EOI: above 2 GiB, so not a sign-extended disp32 */
    movl $0, (%rax)
    popq %rax
    iretq

    .section .note.GNU-stack, "", @progbits
