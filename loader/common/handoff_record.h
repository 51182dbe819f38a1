/* The opt-in hand-off record protocol.
 *
 * seL4 takes its whole hand-off in x0..x5 and fills its own `rootserver`
 * structure in init_kernel, so for seL4 the loader writes nothing into the
 * kernel image. Other kernels expect the loader to leave a boot record (the
 * same values, rootserver-like) in a variable of theirs instead. This is that
 * record: opt-in at pack time (`make image HANDOFF_RECORD=<kernel symbol>`),
 * off by default, and never written unless the payload asks for it.
 *
 * The pack step resolves the symbol in kernel.elf (a data object of at least
 * sizeof(struct handoff_record) bytes, 8-byte aligned, inside one PT_LOAD),
 * converts its address to the physical address the kernel is loaded at, and
 * adds the payload member PAYLOAD_HANDOFF_RECORD: exactly 8 bytes, that
 * physical address as a little-endian uint64. The loader writes the record
 * there after the kernel's bytes are in place. */
#ifndef BOOTCHECK_HANDOFF_RECORD_H
#define BOOTCHECK_HANDOFF_RECORD_H

#include <stdint.h>

#define PAYLOAD_HANDOFF_RECORD "handoff.record"
#define HANDOFF_RECORD_MEMBER_SIZE 8u

/* "BCHOFFRC" read as a little-endian uint64: a kernel can tell a written
 * record from the zeros of its own .bss. */
#define HANDOFF_RECORD_MAGIC   0x4352464f46484342ull
#define HANDOFF_RECORD_VERSION 1u

/* Every field is a value of the boot plan (loader/common/plan.h). */
struct handoff_record {
    uint64_t magic;           /* HANDOFF_RECORD_MAGIC */
    uint64_t version;         /* HANDOFF_RECORD_VERSION */
    uint64_t p_reg_start;     /* root task phys start (x0) */
    uint64_t p_reg_end;       /* root task phys end, exclusive (x1) */
    uint64_t v_reg_start;     /* root task virt start, page-rounded (plan.user_virt) */
    uint64_t v_reg_end;       /* root task virt end, exclusive, page-rounded */
    uint64_t v_entry;         /* root task entry (x3) */
    uint64_t extra_bi;        /* DTB copy phys address (x4), 0 without a DTB */
    uint64_t extra_bi_size;   /* DTB size in bytes (x5) */
    uint64_t pv_offset;       /* root task phys - virt, two's complement (x2) */
};

/* The layout is the protocol: kernels declare this structure themselves. */
_Static_assert(sizeof(struct handoff_record) == 80, "hand-off record layout is 10 uint64 fields");

#endif
