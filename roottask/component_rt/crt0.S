/* Component entry. The root task starts us with pc = ELF entry, sp = the
 * top of the stack it mapped, x0 = endpoint slot, x1 = IPC buffer address
 * (component_abi.h); x0 and x1 pass straight on to component_main. */
    .section .text.entry, "ax"
    .global _start
    .type _start, %function
_start:
    mov     x29, #0
    mov     x30, #0
    bl      component_main
    /* component_main returned: give the CPU away for good, never spin. */
1:  mov     x7, #-7
    svc     #0
    b       1b
    .size _start, . - _start
