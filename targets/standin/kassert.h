/* seL4-style assertion failures.
 *
 * seL4's debug build reports a failed assert() as
 *   seL4 failed assertion '<condition>' at <file>:<line> in function <fn>
 * then halts. The stand-in reports hand-off violations that real seL4 catches
 * by an assertion in the same shape, naming the same function, so a test can
 * match either kernel's transcript with one pattern. */
#ifndef STANDIN_KASSERT_H
#define STANDIN_KASSERT_H

__attribute__((noreturn)) void kassert_failed(const char *condition, const char *file,
                                              unsigned line, const char *function);

/* The frame constructor seL4 asserts in when a user frame is not 4 KiB
 * aligned; the stand-in reports its own alignment checks under this name. */
#define SEL4_FRAME_ASSERT_FUNCTION "pte_pte_4k_page_new"

/* seL4's exact condition text for a misaligned (or too wide) frame address. */
#define SEL4_FRAME_ALIGN_CONDITION \
    "(page_base_address & ~0xfffffffff000ull) == ((0 && (page_base_address & (1ull << 47))) ? 0x0 : 0)"

#endif
