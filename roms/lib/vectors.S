/* Entry points for exception vectors 0..31. Intel SDM, Dec 2023 (Order 325462-081).
 * Each entry point makes the stack look the same (error code, then vector) and jumps to a common
 * tail that calls trap_dispatch. SDM Vol. 3A, "Exception and Interrupt
 * Reference" lists the vectors that push an error code: 8, 10-14, 17, 21, 29, 30. */

    .section .text, "ax"
    .code64

.macro VECTOR num, has_error
    .balign 16
vector_\num:
    .if \has_error == 0
    pushq $0
    .endif
    pushq $\num
    jmp trap_common
.endm

    VECTOR 0, 0
    VECTOR 1, 0
    VECTOR 2, 0
    VECTOR 3, 0
    VECTOR 4, 0
    VECTOR 5, 0
    VECTOR 6, 0
    VECTOR 7, 0
    VECTOR 8, 1
    VECTOR 9, 0
    VECTOR 10, 1
    VECTOR 11, 1
    VECTOR 12, 1
    VECTOR 13, 1
    VECTOR 14, 1
    VECTOR 15, 0
    VECTOR 16, 0
    VECTOR 17, 1
    VECTOR 18, 0
    VECTOR 19, 0
    VECTOR 20, 0
    VECTOR 21, 1
    VECTOR 22, 0
    VECTOR 23, 0
    VECTOR 24, 0
    VECTOR 25, 0
    VECTOR 26, 0
    VECTOR 27, 0
    VECTOR 28, 0
    VECTOR 29, 1
    VECTOR 30, 1
    VECTOR 31, 0

/* Saves the general registers under the vector and error code (struct trap_frame), calls
 * trap_dispatch with RSP realigned to 16 bytes (SysV ABI), then restores the registers,
 * which the handler may have changed, and resumes with IRETQ. */
trap_common:
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
    call trap_dispatch
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
    addq $16, %rsp /* vector and error code */
    iretq

    /* The entry points' addresses, in vector order, for trap_init. */
    .section .rodata, "a"
    .balign 8
    .globl trap_vectors
trap_vectors:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad vector_\n
    .endr

    .section .note.GNU-stack, "", @progbits
