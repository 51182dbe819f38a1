#include "dtb_facts.h"

#include "fmt.h"

/* Byte by byte: a property is only 4-byte aligned if the blob is. */
static uint64_t read_cells(const uint8_t *p, int cells)
{
    uint64_t v = 0;
    for (int i = 0; i < 4 * cells; i++)
        v = (v << 8) | p[i];
    return v;
}

int dtb_memory_from_scan(const struct fdt_scan *scan, const char *source,
                            struct mem_range ram[PLAN_MAX_RAM], unsigned *nram, char err[DTB_ERR_LEN])
{
    uint32_t ac = scan->address_cells, sc = scan->size_cells;
    if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
        bc_snprintf(err, DTB_ERR_LEN,
                    "DTB (%s): unsupported #address-cells %d / #size-cells %d at the root",
                    source, (int)ac, (int)sc);
        return -1;
    }
    *nram = 0;
    for (unsigned m = 0; m < scan->nmemory; m++) {
        const struct fdt_scan_memory *node = &scan->memory[m];
        const uint8_t *reg = node->reg;
        uint32_t len = node->reg_len;
        if (reg == NULL || len == 0 || len % (4 * (ac + sc)) != 0) {
            bc_snprintf(err, DTB_ERR_LEN, "DTB (%s): memory node %s has a malformed reg property",
                        source, node->name);
            return -1;
        }
        for (uint32_t i = 0; i < len / (4 * (ac + sc)); i++) {
            const uint8_t *cell = reg + 4 * i * (ac + sc);
            uint64_t base = read_cells(cell, (int)ac);
            uint64_t size = read_cells(cell + 4 * ac, (int)sc);
            if (size == 0)
                continue;
            if (*nram == PLAN_MAX_RAM) {
                bc_snprintf(err, DTB_ERR_LEN, "DTB (%s): more than %d RAM ranges", source,
                            PLAN_MAX_RAM);
                return -1;
            }
            ram[*nram].start = base;
            ram[*nram].end = base + size;
            (*nram)++;
        }
    }
    if (*nram == 0) {
        bc_snprintf(err, DTB_ERR_LEN, "DTB (%s) has no /memory node with a non-empty reg", source);
        return -1;
    }
    return 0;
}

/* Matches the method's first three characters, as the loader always has
 * ("hvc", "smc"), but never reads past the property. */
static int method_is(const char *method, int len, const char *want)
{
    return len >= 3 && method[0] == want[0] && method[1] == want[1] && method[2] == want[2];
}

enum dtb_psci_method dtb_psci_from_scan(const struct fdt_scan *scan)
{
    if (scan->psci_method == NULL)
        return DTB_PSCI_UNKNOWN;
    if (method_is(scan->psci_method, (int)scan->psci_method_len, "hvc"))
        return DTB_PSCI_HVC;
    if (method_is(scan->psci_method, (int)scan->psci_method_len, "smc"))
        return DTB_PSCI_SMC;
    return DTB_PSCI_UNKNOWN;
}

/* The CPU nodes with their reg read (1 or 2 cells, as /cpus says); a node
 * whose reg is missing or malformed is kept with has_reg 0, so the loader can
 * name it if it ever needs that core. */
static void cpus_from_scan(const struct fdt_scan *scan, struct dtb_facts *facts)
{
    uint32_t cells = scan->cpus_address_cells;
    facts->ncpus = scan->ncpus;
    for (unsigned i = 0; i < scan->ncpus; i++) {
        const struct fdt_scan_cpu *c = &scan->cpu[i];
        struct dtb_cpu *d = &facts->cpu[i];
        d->has_reg = c->reg != NULL && (cells == 1 || cells == 2) && c->reg_len >= 4 * cells;
        d->mpidr = d->has_reg ? read_cells(c->reg, (int)cells) : 0;
        unsigned n = 0;
        for (; n + 1 < DTB_CPU_NAME_LEN && c->name[n] != '\0'; n++)
            d->name[n] = c->name[n];
        d->name[n] = '\0';
    }
}

int dtb_facts_from_scan(const struct fdt_scan *scan, const char *source, struct dtb_facts *facts,
                        char err[DTB_ERR_LEN])
{
    facts->psci = dtb_psci_from_scan(scan);
    facts->has_psci = scan->has_psci;
    cpus_from_scan(scan, facts);
    return dtb_memory_from_scan(scan, source, facts->ram, &facts->nram, err);
}
