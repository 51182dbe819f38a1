#include "sbi.h"

#define SBI_EXT_LEGACY_SET_TIMER 0u
#define SBI_EXT_LEGACY_PUTCHAR   1u
#define SBI_EXT_LEGACY_SHUTDOWN  8u
#define SBI_EXT_BASE             0x10u
#define SBI_BASE_PROBE_EXTENSION 3u
#define SBI_HSM_HART_START       0u
#define SBI_EXT_TIME             0x54494D45u   /* "TIME" */
#define SBI_TIME_SET_TIMER       0u
#define SBI_SRST_RESET           0u
#define SBI_SRST_TYPE_SHUTDOWN   0u

static struct sbi_ret sbi_call(uint64_t ext, uint64_t fid, uint64_t arg0, uint64_t arg1,
                               uint64_t arg2)
{
    register uint64_t a0 __asm__("a0") = arg0;
    register uint64_t a1 __asm__("a1") = arg1;
    register uint64_t a2 __asm__("a2") = arg2;
    register uint64_t a6 __asm__("a6") = fid;
    register uint64_t a7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a6), "r"(a7) : "memory");
    struct sbi_ret r = { (long)a0, (long)a1 };
    return r;
}

/* A legacy extension takes only a7 and its arguments (no function id in a6)
 * and returns in a0: with only those set up, a character of console output
 * costs three instructions here, the loader's most frequent call. */
void sbi_console_putchar(char c)
{
    register uint64_t a0 __asm__("a0") = (uint8_t)c;
    register uint64_t a7 __asm__("a7") = SBI_EXT_LEGACY_PUTCHAR;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
}

long sbi_probe_extension(uint64_t ext)
{
    struct sbi_ret r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, ext, 0, 0);
    return r.error == 0 ? r.value : 0;
}

struct sbi_ret sbi_hart_start(uint64_t hartid, uint64_t start, uint64_t opaque)
{
    return sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, start, opaque);
}

void sbi_set_timer(uint64_t when)
{
    /* The TIME extension where the firmware has it, else the legacy call. */
    static int has_time_ext = -1;
    if (has_time_ext < 0)
        has_time_ext = sbi_probe_extension(SBI_EXT_TIME) != 0;
    if (has_time_ext)
        sbi_call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, when, 0, 0);
    else
        sbi_call(SBI_EXT_LEGACY_SET_TIMER, 0, when, 0, 0);
}

const char *sbi_error_name(long error)
{
    static const char *const names[] = {
        "SBI_SUCCESS", "SBI_ERR_FAILED", "SBI_ERR_NOT_SUPPORTED", "SBI_ERR_INVALID_PARAM",
        "SBI_ERR_DENIED", "SBI_ERR_INVALID_ADDRESS", "SBI_ERR_ALREADY_AVAILABLE",
        "SBI_ERR_ALREADY_STARTED", "SBI_ERR_ALREADY_STOPPED",
    };
    return error <= 0 && error > -(long)(sizeof names / sizeof names[0]) ? names[-error]
                                                                        : "unknown SBI error";
}

void sbi_shutdown(void)
{
    sbi_call(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_SHUTDOWN, 0, 0);
    sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0);
}
