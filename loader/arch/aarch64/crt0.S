/* Loader entry. QEMU jumps here (the image's e_entry) at EL1 or EL2 with the
 * MMU off; firmware (U-Boot's booti) jumps here too, with x0 = its DTB.
 *
 * The image begins with the 64-byte header of a Linux arm64 Image, so that
 * firmware which boots Linux boots the loader the same way (U-Boot 2023.01's
 * bootelf and go cannot: they hang in their console flush on QEMU's PL011).
 * text_offset 0 and "anywhere" placement (flags bit 3): firmware leaves the
 * image at its 2 MiB-aligned link address instead of moving it to the start
 * of RAM. image_size covers .bss, stacks and scratch, which firmware must
 * keep free. The first word branches over the header. Before any C runs we need: interrupts masked, a stack, vectors
 * that report faults, FP/SIMD enabled (libfdt and the C library use SIMD
 * registers; QEMU traps them while CPACR_EL1.FPEN is 0) and a zeroed .bss
 * (up to __bss_zero_end: see loader.ld). */

#include "cpu_init.inc"

/* Linux Image header flags: little-endian (bit 0 clear), 4 KiB pages
 * (bits 1-2 = 1), placement anywhere in RAM at a 2 MiB-aligned base (bit 3). */
#define IMAGE_FLAGS ((1 << 1) | (1 << 3))

    .section .text.start, "ax"
    .global _start
_start:
    b       after_image_header      /* code0 */
    .word   0                       /* code1 */
    .quad   0                       /* text_offset */
    .quad   __loader_image_size     /* image_size, from loader.ld */
    .quad   IMAGE_FLAGS
    .quad   0, 0, 0                 /* res2..res4 */
    .ascii  "ARM\x64"               /* magic 0x644d5241 */
    .word   0                       /* res5: no PE header */
after_image_header:
    msr     daifset, #0xf
    mov     x19, x0                 /* whatever the previous stage passed */
    ldr     x9, =__stack_top
    mov     sp, x9
    install_vectors_and_fp

    ldr     x0, =__bss_start
    ldr     x1, =__bss_zero_end
2:  cmp     x0, x1
    b.hs    3f
    stp     xzr, xzr, [x0], #16
    b       2b
3:
    mov     x0, x19
    bl      loader_main
    b       loader_halt
