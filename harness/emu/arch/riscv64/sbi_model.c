/* The SBI the loader sees (OpenSBI 1.1 implements SBI 1.0), as far as a boot
 * loader should need it: base, the legacy console, HSM hart_start /
 * hart_stop / hart_get_status, legacy and TIME set_timer, legacy and SRST
 * shutdown. Any other call stops
 * the run and is named: answering it with a made-up value would hide what
 * the loader depends on. */
#include "rv.h"

#define SBI_EXT_LEGACY_SET_TIMER 0x00u
#define SBI_EXT_LEGACY_PUTCHAR   0x01u
#define SBI_EXT_LEGACY_GETCHAR   0x02u
#define SBI_EXT_LEGACY_SHUTDOWN  0x08u
#define SBI_EXT_BASE             0x10u
#define SBI_EXT_HSM              0x48534du
#define SBI_EXT_SRST             0x53525354u
#define SBI_EXT_TIME             0x54494d45u

#define SBI_SUCCESS              0
#define SBI_ERR_INVALID_PARAM    (-3)
#define SBI_ERR_ALREADY_AVAILABLE (-6)
#define SBI_ERR_NOT_SUPPORTED    (-2)

#define SBI_SPEC_1_0             (UINT64_C(1) << 24)
#define SBI_IMPL_OPENSBI         1u
#define OPENSBI_1_1              0x10001u

enum { HSM_STARTED = 0, HSM_STOPPED = 1 };

static void ret(struct emu_machine *m, int64_t error, uint64_t value)
{
    rv_reg_set(m, UC_RISCV_REG_A0, (uint64_t)error);
    rv_reg_set(m, UC_RISCV_REG_A1, value);
}

static int modelled(uint64_t ext)
{
    return ext == SBI_EXT_BASE || ext == SBI_EXT_HSM || ext == SBI_EXT_SRST || ext == SBI_EXT_TIME ||
           ext == SBI_EXT_LEGACY_PUTCHAR || ext == SBI_EXT_LEGACY_GETCHAR ||
           ext == SBI_EXT_LEGACY_SHUTDOWN;
}

static void count(struct rv_run *r, uint64_t ext, uint64_t fid)
{
    for (unsigned i = 0; i < r->nsbi; i++)
        if (r->sbi[i].ext == ext && r->sbi[i].fid == fid) {
            r->sbi[i].n++;
            return;
        }
    if (r->nsbi < sizeof r->sbi / sizeof r->sbi[0])
        r->sbi[r->nsbi++] = (struct rv_sbi_count){ ext, fid, 1 };
}

static int base(struct emu_machine *m, uint64_t fid)
{
    switch (fid) {
    case 0: ret(m, SBI_SUCCESS, SBI_SPEC_1_0); return 0;
    case 1: ret(m, SBI_SUCCESS, SBI_IMPL_OPENSBI); return 0;
    case 2: ret(m, SBI_SUCCESS, OPENSBI_1_1); return 0;
    case 3: ret(m, SBI_SUCCESS, modelled(rv_reg(m, UC_RISCV_REG_A0)) ? 1 : 0); return 0;
    case 4: case 5: case 6: ret(m, SBI_SUCCESS, 0); return 0;   /* mvendorid, marchid, mimpid */
    }
    return -1;
}

static int hsm(struct emu_machine *m, struct rv_run *r, unsigned hart, uint64_t fid)
{
    uint64_t target = rv_reg(m, UC_RISCV_REG_A0);
    switch (fid) {
    case 0: {   /* hart_start(hartid, start_addr, opaque) */
        if (target >= r->nharts) {
            ret(m, SBI_ERR_INVALID_PARAM, 0);
            return 0;
        }
        struct rv_hart *h = &r->harts[target];
        if (h->state != RV_HART_STOPPED) {
            ret(m, SBI_ERR_ALREADY_AVAILABLE, 0);
            return 0;
        }
        h->state = RV_HART_RUNNING;
        h->fresh = 1;
        h->start_addr = rv_reg(m, UC_RISCV_REG_A1);
        h->opaque = rv_reg(m, UC_RISCV_REG_A2);
        ret(m, SBI_SUCCESS, 0);
        return 0;
    }
    case 1:     /* hart_stop: the calling hart stops for good */
        r->harts[hart].state = RV_HART_HALTED;
        return 0;
    case 2:     /* hart_get_status(hartid) */
        if (target >= r->nharts) {
            ret(m, SBI_ERR_INVALID_PARAM, 0);
            return 0;
        }
        ret(m, SBI_SUCCESS, r->harts[target].state == RV_HART_STOPPED ? HSM_STOPPED : HSM_STARTED);
        return 0;
    }
    return -1;
}

int rv_sbi_call(struct emu_machine *m, struct rv_run *r, unsigned hart)
{
    uint64_t ext = rv_reg(m, UC_RISCV_REG_A7), fid = rv_reg(m, UC_RISCV_REG_A6);
    int legacy = ext < SBI_EXT_BASE;
    count(r, ext, legacy ? 0 : fid);
    int res = -1;
    switch (ext) {
    case SBI_EXT_LEGACY_SET_TIMER:
        /* A loader that waits for other harts may sleep (wfi) until a timer
         * rather than spin. The model has no timer interrupt to deliver: its
         * wfi does not sleep (the harts run in turns), so the deadline only
         * needs accepting. */
        rv_reg_set(m, UC_RISCV_REG_A0, 0);
        return 0;
    case SBI_EXT_TIME:
        if (fid == 0) {   /* set_timer(stime_value) */
            ret(m, SBI_SUCCESS, 0);
            return 0;
        }
        break;
    case SBI_EXT_LEGACY_PUTCHAR:
        rv_console_putc(m, (char)rv_reg(m, UC_RISCV_REG_A0));
        rv_reg_set(m, UC_RISCV_REG_A0, 0);
        return 0;
    case SBI_EXT_LEGACY_GETCHAR:
        rv_reg_set(m, UC_RISCV_REG_A0, (uint64_t)-1);   /* no input */
        return 0;
    case SBI_EXT_LEGACY_SHUTDOWN:
        r->outcome = RV_SHUTDOWN;
        r->sbi_ext = ext;
        r->sbi_fid = 0;
        return 1;
    case SBI_EXT_SRST:
        if (fid == 0) {   /* system_reset(type, reason) */
            r->outcome = RV_SHUTDOWN;
            r->sbi_ext = ext;
            r->sbi_fid = rv_reg(m, UC_RISCV_REG_A0);   /* the reset type, for the message */
            return 1;
        }
        break;
    case SBI_EXT_BASE:
        res = base(m, fid);
        break;
    case SBI_EXT_HSM:
        res = hsm(m, r, hart, fid);
        break;
    }
    if (res == 0)
        return r->harts[hart].state == RV_HART_HALTED;
    r->outcome = RV_SBI_UNMODELLED;
    r->sbi_ext = ext;
    r->sbi_fid = fid;
    return 1;
}
