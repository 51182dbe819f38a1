#include "machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../loader/common/qemu_virt.h"

/* The one-instruction reset stub for an EL2 start runs from the last word
 * of RAM, which is restored (and its translation dropped) afterwards. */
#define INSN_ERET      0xd69f03e0u

/* SCR_EL3: NS | HCE (HVC enabled, the loader's PSCI conduit at EL1) | RW
 * (lower levels are AArch64; without it Unicorn walks EL1 tables in the
 * AArch32 format). */
#define SCR_EL3_BOOT   0x501u
#define HCR_EL2_RW     (UINT64_C(1) << 31)
#define PSTATE_EL1H_MASKED 0x3c5u
#define PSTATE_EL2H_MASKED 0x3c9u
#define PSTATE_EL3H_MASKED 0x3cdu

static uint64_t uart_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
    (void)uc; (void)offset; (void)size; (void)user;
    return 0;   /* FR = 0: never busy, so polling loops proceed */
}

static void uart_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
    (void)uc; (void)size;
    struct emu_machine *m = user;
    if (offset != 0)        /* only DR carries output */
        return;
    if (m->uart_len + 1 >= m->uart_cap) {
        size_t cap = m->uart_cap ? m->uart_cap * 2 : 4096;
        char *p = realloc(m->uart, cap);
        if (p == NULL)
            return;
        m->uart = p;
        m->uart_cap = cap;
    }
    m->uart[m->uart_len++] = (char)(value & 0xff);
    m->uart[m->uart_len] = '\0';
}

static bool unmapped_access(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
                            int64_t value, void *user)
{
    (void)size; (void)value;
    struct emu_machine *m = user;
    if (!m->unmodelled) {
        m->unmodelled = 1;
        m->unmodelled_addr = addr;
        m->unmodelled_write = type == UC_MEM_WRITE_UNMAPPED;
        uc_reg_read(uc, UC_ARM64_REG_PC, &m->unmodelled_pc);
    }
    return false;   /* stops the emulation */
}

static int fail(char *err, size_t errlen, const char *what, uc_err e)
{
    snprintf(err, errlen, "%s: %s", what, uc_strerror(e));
    return -1;
}

int emu_machine_create(struct emu_machine *m, uint64_t ram_size, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->ram_base = VIRT_RAM_BASE;
    m->ram_size = ram_size;
    uc_err e = uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &m->uc);
    if (e != UC_ERR_OK)
        return fail(err, errlen, "uc_open", e);
    e = uc_ctl_set_cpu_model(m->uc, UC_CPU_ARM64_A53);
    if (e != UC_ERR_OK)
        return fail(err, errlen, "selecting cortex-a53", e);
    if (emu_ram_create(m, ram_size, err, errlen) != 0)
        return -1;
    e = uc_mem_map_ptr(m->uc, m->ram_base, ram_size, UC_PROT_ALL, m->ram);
    if (e != UC_ERR_OK)
        return fail(err, errlen, "mapping RAM", e);
    e = uc_mmio_map(m->uc, VIRT_UART_BASE, VIRT_UART_SIZE, uart_read, m, uart_write, m);
    if (e != UC_ERR_OK)
        return fail(err, errlen, "mapping the PL011", e);
    uc_hook h;
    e = uc_hook_add(m->uc, &h, UC_HOOK_MEM_UNMAPPED, unmapped_access, m, 1, 0);
    if (e != UC_ERR_OK)
        return fail(err, errlen, "adding the unmapped-access hook", e);
    return 0;
}

int emu_machine_alias_ram(struct emu_machine *m, uint64_t va_offset, char *err, size_t errlen)
{
    if (va_offset == 0)
        return 0;
    uc_err e = uc_mem_map_ptr(m->uc, m->ram_base + va_offset, m->ram_size, UC_PROT_ALL, m->ram);
    if (e != UC_ERR_OK)
        return fail(err, errlen, "mapping the kernel VA window", e);
    return 0;
}

static int write_sysreg(struct emu_machine *m, unsigned op0, unsigned op1, unsigned crn,
                        unsigned crm, unsigned op2, uint64_t value)
{
    uc_arm64_cp_reg r = { .crn = crn, .crm = crm, .op0 = op0, .op1 = op1, .op2 = op2, .val = value };
    return uc_reg_write(m->uc, UC_ARM64_REG_CP_REG, &r) == UC_ERR_OK ? 0 : -1;
}

int emu_sysreg_write(struct emu_machine *m, unsigned op0, unsigned op1, unsigned crn,
                     unsigned crm, unsigned op2, uint64_t value)
{
    return write_sysreg(m, op0, op1, crn, crm, op2, value);
}

uint64_t emu_sysreg(struct emu_machine *m, unsigned op0, unsigned op1, unsigned crn,
                    unsigned crm, unsigned op2)
{
    uc_arm64_cp_reg r = { .crn = crn, .crm = crm, .op0 = op0, .op1 = op1, .op2 = op2 };
    uc_reg_read(m->uc, UC_ARM64_REG_CP_REG, &r);
    return r.val;
}

uint64_t emu_reg(struct emu_machine *m, int regid)
{
    uint64_t v = 0;
    uc_reg_read(m->uc, regid, &v);
    return v;
}

/* Unicorn caches the EL in translation flags, so writing PSTATE cannot move
 * the CPU to EL2. Instead start at EL3 on a single `eret` whose SPSR_EL3
 * names EL2h, then put back the word of RAM it borrowed. */
static int reset_to_el2(struct emu_machine *m, uint64_t entry, char *err, size_t errlen)
{
    uint64_t stub_pa = m->ram_base + m->ram_size - sizeof(uint32_t);
    uint8_t *stub = emu_ram_at(m, stub_pa, sizeof(uint32_t));
    uint8_t saved[sizeof(uint32_t)];
    const uint32_t eret = INSN_ERET;
    memcpy(saved, stub, sizeof saved);
    memcpy(stub, &eret, sizeof eret);
    uint64_t pstate = PSTATE_EL3H_MASKED, elr = entry;
    if (write_sysreg(m, 3, 6, 4, 0, 0, PSTATE_EL2H_MASKED) != 0 ||   /* SPSR_EL3 */
        uc_reg_write(m->uc, UC_ARM64_REG_ELR_EL3, &elr) != UC_ERR_OK ||
        uc_reg_write(m->uc, UC_ARM64_REG_ELR_EL1, &elr) != UC_ERR_OK ||
        uc_reg_write(m->uc, UC_ARM64_REG_PSTATE, &pstate) != UC_ERR_OK) {
        snprintf(err, errlen, "cannot set up the EL3 -> EL2 reset");
        return -1;
    }
    /* `until`, not a count of 1: a count adds a hook whose later removal
     * makes 2.0.1 walk every page of RAM (seconds for 1 GiB). */
    uc_err e = uc_emu_start(m->uc, stub_pa, entry, 0, 0);
    memcpy(stub, saved, sizeof saved);
    uc_ctl_remove_cache(m->uc, stub_pa, stub_pa + sizeof(uint32_t));
    if (e != UC_ERR_OK)
        return fail(err, errlen, "running the EL2 reset stub", e);
    uint64_t now = emu_reg(m, UC_ARM64_REG_PSTATE), pc = emu_reg(m, UC_ARM64_REG_PC);
    if (((now >> 2) & 3) != 2 || pc != entry) {
        snprintf(err, errlen, "EL2 reset stub ended at EL%lu PC 0x%lx, not EL2 at 0x%lx",
                 (unsigned long)((now >> 2) & 3), (unsigned long)pc, (unsigned long)entry);
        return -1;
    }
    return 0;
}

int emu_machine_reset(struct emu_machine *m, unsigned el, uint64_t entry, char *err, size_t errlen)
{
    if (write_sysreg(m, 3, 6, 1, 1, 0, SCR_EL3_BOOT) != 0) {
        snprintf(err, errlen, "cannot write SCR_EL3");
        return -1;
    }
    uint64_t zero = 0;
    uc_reg_write(m->uc, UC_ARM64_REG_X0, &zero);
    if (el == 2)
        return reset_to_el2(m, entry, err, errlen);   /* HCR_EL2 stays 0, as in QEMU */
    if (write_sysreg(m, 3, 4, 1, 1, 0, HCR_EL2_RW) != 0) {
        snprintf(err, errlen, "cannot write HCR_EL2");
        return -1;
    }
    uint64_t pstate = PSTATE_EL1H_MASKED;
    if (uc_reg_write(m->uc, UC_ARM64_REG_PSTATE, &pstate) != UC_ERR_OK ||
        uc_reg_write(m->uc, UC_ARM64_REG_PC, &entry) != UC_ERR_OK) {
        snprintf(err, errlen, "cannot set the EL1 reset state");
        return -1;
    }
    return 0;
}

void emu_read_entry_state(struct emu_machine *m, struct emu_entry_state *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 6; i++)
        s->x[i] = emu_reg(m, UC_ARM64_REG_X0 + i);
    /* CurrentEL must not be read through CP_REG (it aborts Unicorn 2.0.1). */
    s->pstate = emu_reg(m, UC_ARM64_REG_PSTATE);
    s->el = (unsigned)(s->pstate >> 2) & 3;
    unsigned op1 = s->el == 2 ? 4 : 0;
    s->sctlr = emu_sysreg(m, 3, op1, 1, 0, 0);
    s->tcr = emu_sysreg(m, 3, op1, 2, 0, 2);
    s->mair = emu_sysreg(m, 3, op1, 10, 2, 0);
    s->ttbr0 = emu_sysreg(m, 3, op1, 2, 0, 0);
    s->ttbr1 = s->el == 2 ? 0 : emu_sysreg(m, 3, 0, 2, 0, 1);
    s->hcr = emu_sysreg(m, 3, 4, 1, 1, 0);
    s->tpidr_el1 = emu_sysreg(m, 3, 0, 13, 0, 4);
}

