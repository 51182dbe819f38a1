#include "rv.h"

#include <stdlib.h>
#include <string.h>

#include "../../../../loader/common/sv39walk.h"

#define UART_SIZE      0x1000u
#define UART_LSR       5u
#define UART_LSR_IDLE  0x60u     /* THRE | TEMT: the transmitter is always ready */

/* The M-mode prologue, at the start of RAM where OpenSBI would sit:
 * open PMP entry 0 over all memory (NAPOT, RWX), mstatus.MPP = S, mepc = t1,
 * mret. Unicorn 2.0.1 starts in M-mode with no privilege register to write. */
static const uint32_t m_prologue[] = {
    0xfff00293u,   /* addi  t0, zero, -1      */
    0x3b029073u,   /* csrw  pmpaddr0, t0      */
    0x01f00293u,   /* addi  t0, zero, 0x1f    (A = NAPOT, X, W, R) */
    0x3a029073u,   /* csrw  pmpcfg0, t0       */
    0x000012b7u,   /* lui   t0, 1             */
    0x80028293u,   /* addi  t0, t0, -2048     (0x800: MPP = S) */
    0x30029073u,   /* csrw  mstatus, t0       */
    0x34131073u,   /* csrw  mepc, t1          */
    0x30200073u,   /* mret                    */
};

static uint64_t uart_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
    (void)uc; (void)size; (void)user;
    return offset == UART_LSR ? UART_LSR_IDLE : 0;
}

void rv_console_putc(struct emu_machine *m, char c)
{
    if (m->uart_len + 1 >= m->uart_cap) {
        size_t cap = m->uart_cap ? m->uart_cap * 2 : 4096;
        char *p = realloc(m->uart, cap);
        if (p == NULL)
            return;
        m->uart = p;
        m->uart_cap = cap;
    }
    m->uart[m->uart_len++] = c;
    m->uart[m->uart_len] = '\0';
}

static void uart_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
    (void)uc; (void)size;
    if (offset == 0)
        rv_console_putc(user, (char)value);
}

static bool unmapped_access(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                            void *user)
{
    (void)size; (void)value;
    struct emu_machine *m = user;
    if (!m->unmodelled) {
        m->unmodelled = 1;
        m->unmodelled_addr = addr;
        uc_reg_read(uc, UC_RISCV_REG_PC, &m->unmodelled_pc);
        m->unmodelled_write = type == UC_MEM_WRITE_UNMAPPED;
    }
    uc_emu_stop(uc);
    return false;
}

static int fail(char *err, size_t errlen, const char *what, uc_err e)
{
    snprintf(err, errlen, "%s: %s", what, uc_strerror(e));
    return -1;
}

int rv_machine_create(struct emu_machine *m, uint64_t ram_size, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->ram_base = RV_RAM_BASE;
    m->ram_size = ram_size;
    uc_err e = uc_open(UC_ARCH_RISCV, UC_MODE_RISCV64, &m->uc);
    if (e != UC_ERR_OK)
        return fail(err, errlen, "opening Unicorn (riscv64)", e);
    if (emu_ram_create(m, ram_size, err, errlen) != 0)
        return -1;
    if ((e = uc_mem_map_ptr(m->uc, m->ram_base, ram_size, UC_PROT_ALL, m->ram)) != UC_ERR_OK)
        return fail(err, errlen, "mapping RAM", e);
    if ((e = uc_mmio_map(m->uc, RV_UART_BASE, UART_SIZE, uart_read, m, uart_write, m)) != UC_ERR_OK)
        return fail(err, errlen, "mapping the 16550", e);
    uc_hook h;
    if ((e = uc_hook_add(m->uc, &h, UC_HOOK_MEM_UNMAPPED, unmapped_access, m, 1, 0)) != UC_ERR_OK)
        return fail(err, errlen, "adding the unmapped-access hook", e);
    return 0;
}

int rv_machine_alias(struct emu_machine *m, uint64_t va_offset, char *err, size_t errlen)
{
    if (va_offset == 0)
        return 0;
    /* The window may run into the top of the address space: alias only
     * what fits below 2^64. */
    uint64_t start = m->ram_base + va_offset, size = m->ram_size;
    if (start + size < start || start + size == 0)
        size = (uint64_t)0 - start;
    size &= ~UINT64_C(0xfff);
    uc_err e = uc_mem_map_ptr(m->uc, start, size, UC_PROT_ALL, m->ram);
    if (e != UC_ERR_OK)
        return fail(err, errlen, "mapping the kernel window alias", e);
    return 0;
}

uint64_t rv_reg(struct emu_machine *m, int regid)
{
    uint64_t v = 0;
    uc_reg_read(m->uc, regid, &v);
    return v;
}

void rv_reg_set(struct emu_machine *m, int regid, uint64_t v)
{
    uc_reg_write(m->uc, regid, &v);
}

void rv_tlb_flush(struct emu_machine *m)
{
    uint64_t satp = rv_reg(m, UC_RISCV_REG_SATP);
    uint64_t other = (satp >> SATP_MODE_SHIFT) == SATP_MODE_BARE ? (uint64_t)SATP_MODE_SV39 << SATP_MODE_SHIFT : 0;
    rv_reg_set(m, UC_RISCV_REG_SATP, other);
    rv_reg_set(m, UC_RISCV_REG_SATP, satp);
}

int rv_machine_enter_smode(struct emu_machine *m, uint64_t entry, uint64_t hart, uint64_t dtb,
                           char *err, size_t errlen)
{
    uint8_t *at = emu_ram_at(m, m->ram_base, sizeof m_prologue);
    uint8_t saved[sizeof m_prologue];
    memcpy(saved, at, sizeof saved);
    memcpy(at, m_prologue, sizeof m_prologue);
    rv_reg_set(m, UC_RISCV_REG_T1, entry);
    rv_reg_set(m, UC_RISCV_REG_A0, hart);
    rv_reg_set(m, UC_RISCV_REG_A1, dtb);
    uc_err e = uc_emu_start(m->uc, m->ram_base, entry, 0, 0);
    memcpy(at, saved, sizeof saved);
    uc_ctl_remove_cache(m->uc, m->ram_base, m->ram_base + sizeof m_prologue);
    if (e != UC_ERR_OK)
        return fail(err, errlen, "running the M-mode prologue", e);
    if (rv_reg(m, UC_RISCV_REG_PC) != entry) {
        snprintf(err, errlen, "M-mode prologue ended at PC 0x%lx, not the entry 0x%lx",
                 (unsigned long)rv_reg(m, UC_RISCV_REG_PC), (unsigned long)entry);
        return -1;
    }
    /* OpenSBI leaves only a0/a1 defined; clear what the prologue used. */
    rv_reg_set(m, UC_RISCV_REG_T0, 0);
    rv_reg_set(m, UC_RISCV_REG_T1, 0);
    return 0;
}
