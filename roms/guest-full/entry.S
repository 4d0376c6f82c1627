/* Entry points for the timer and system-call vectors, and the switch to ring 3 and back.
 * The frame is struct trap_frame (lib/trap.h), the same shape lib/vectors.S builds. */
    .section .text, "ax"
    .code64

    .globl timer_entry
timer_entry:
    pushq $0
    pushq $0x20
    jmp interrupt_common

    .globl syscall_entry
syscall_entry:
    pushq $0
    pushq $0x80
    jmp interrupt_common

    .globl spurious_entry
spurious_entry: /* SDM Vol. 3A, "Spurious Interrupt": no EOI */
    iretq

interrupt_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp
    call interrupt_dispatch
    movq %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    iretq

/* uint64_t run_user_task(void (*entry)(void), void* stack_top): keeps the callee-saved
 * registers and RSP, then IRETQ to CPL 3 (SDM Vol. 3A, "IRET in IA-32e Mode"). The task
 * ends with SYS_EXIT, whose handler calls user_task_return. */
    .globl run_user_task
run_user_task:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, kernel_resume_rsp(%rip)
    pushq $0x23          /* SS: user data, RPL 3 */
    pushq %rsi           /* RSP */
    pushq $0x202         /* RFLAGS: IF = 1 */
    pushq $0x2B          /* CS: user code, RPL 3 */
    pushq %rdi           /* RIP */
    iretq

/* void user_task_return(uint64_t status): back on the kernel stack of run_user_task. */
    .globl user_task_return
user_task_return:
    movq kernel_resume_rsp(%rip), %rsp
    movq %rdi, %rax
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret

    .section .bss, "aw", @nobits
    .balign 8
kernel_resume_rsp:
    .skip 8

    .section .note.GNU-stack, "", @progbits
