#include "scause.h"

static const char *const exception_names[16] = {
    "instruction address misaligned", "instruction access fault", "illegal instruction",
    "breakpoint", "load address misaligned", "load access fault",
    "store/AMO address misaligned", "store/AMO access fault", "environment call from U-mode",
    "environment call from S-mode", 0, 0, "instruction page fault", "load page fault", 0,
    "store/AMO page fault",
};

const char *scause_name(uint64_t scause)
{
    uint64_t code = scause & ~SCAUSE_INTERRUPT;
    if (scause & SCAUSE_INTERRUPT) {
        switch (code) {
        case 1: return "supervisor software interrupt";
        case 5: return "supervisor timer interrupt";
        case 9: return "supervisor external interrupt";
        default: return "reserved interrupt";
        }
    }
    const char *name = code < 16 ? exception_names[code] : 0;
    return name ? name : "reserved cause";
}

const char *scause_stval_meaning(uint64_t scause)
{
    if (scause & SCAUSE_INTERRUPT)
        return "";
    switch (scause) {
    case 0: case 1: case 4: case 5: case 6: case 7: case 12: case 13: case 15:
        return "address";
    case 2:
        return "instruction";
    default:
        return "";
    }
}
