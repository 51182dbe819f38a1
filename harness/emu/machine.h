/* A model of QEMU's "virt" board on Unicorn, as much of it as a boot loader
 * should touch: RAM, the PL011 (output captured) and nothing else. Any other
 * device access stops the run with a report instead of crashing. */
#ifndef EMU_MACHINE_H
#define EMU_MACHINE_H

#include <stddef.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

/* Byte the memory a loader must initialise (image destinations, DTB copy)
 * holds at reset. QEMU clears RAM, real boards do not; a loader that relies
 * on zeroed memory (say, for a kernel's .bss) is caught here, not on a board. */
#define EMU_RAM_POISON 0xa5

struct emu_machine {
    uc_engine *uc;
    uint8_t *ram;              /* host copy of guest RAM, shared with Unicorn */
    uint64_t ram_base, ram_size;
    int ram_huge;              /* RAM is on transparent huge pages (ram.c) */
    char *uart;                /* everything written to the PL011 data register */
    size_t uart_len, uart_cap;
    /* Set when the guest touched an address nothing is modelled at. */
    int unmodelled;
    uint64_t unmodelled_addr, unmodelled_pc;
    int unmodelled_write;
};

/* Creates the machine (cortex-a53, as the project's QEMU runs use). */
int emu_machine_create(struct emu_machine *m, uint64_t ram_size, char *err, size_t errlen);
void emu_machine_destroy(struct emu_machine *m);

/* Makes the kernel window visible to Unicorn 2.0.1's VA check: RAM again at
 * RAM base + offset (translation still goes through the guest's tables). */
int emu_machine_alias_ram(struct emu_machine *m, uint64_t va_offset, char *err, size_t errlen);

/* Allocates guest RAM (m->ram, m->ram_size, m->ram_huge) for either
 * architecture's machine; -1 with a message in err. */
int emu_ram_create(struct emu_machine *m, uint64_t ram_size, char *err, size_t errlen);

/* Fills guest physical [pa, pa + len) with EMU_RAM_POISON; -1 if not RAM. */
int emu_ram_poison(struct emu_machine *m, uint64_t pa, uint64_t len);

/* Host pointer for guest physical [pa, pa + len), or NULL if not all RAM. */
uint8_t *emu_ram_at(struct emu_machine *m, uint64_t pa, uint64_t len);

/* Reads the little-endian 64-bit word at guest physical pa; -1 if not RAM. */
int emu_ram_read64(struct emu_machine *m, uint64_t pa, uint64_t *out);

/* Puts the CPU in its reset state at EL1 or EL2 (as QEMU's virt without and
 * with virtualization=on), MMU off, interrupts masked, PC = entry, x0 = 0. */
int emu_machine_reset(struct emu_machine *m, unsigned el, uint64_t entry, char *err, size_t errlen);

/* System-register access by encoding (UC_ARM64_REG_CP_REG). */
int emu_sysreg_write(struct emu_machine *m, unsigned op0, unsigned op1, unsigned crn,
                     unsigned crm, unsigned op2, uint64_t value);
uint64_t emu_sysreg(struct emu_machine *m, unsigned op0, unsigned op1, unsigned crn,
                    unsigned crm, unsigned op2);
uint64_t emu_reg(struct emu_machine *m, int regid);

/* CPU state at a kernel entry, read from the emulator (the boot core's, or
 * a started core's, see run.h). */
struct emu_entry_state {
    uint64_t x[6];
    uint64_t pstate;
    unsigned el;
    uint64_t sctlr, tcr, mair, ttbr0, ttbr1, hcr;   /* of the entry EL */
    uint64_t tpidr_el1;                            /* an SMP kernel's logical core id */
};

void emu_read_entry_state(struct emu_machine *m, struct emu_entry_state *s);

/* The last complete or partial line of UART output (without CR/LF), in buf. */
const char *emu_uart_last_line(const struct emu_machine *m, char *buf, size_t len);

#endif
