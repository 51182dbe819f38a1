/* AArch64 VMSAv8-64 stage-1 translation constants (4 KiB granule, 48-bit VA).
 *
 * One header for everything that writes or reads page tables: the loader
 * builds tables with these names, the stand-in kernel builds its own with
 * them, and the host-side walker decodes with them, so the writer and the
 * checker can never silently disagree about a bit. */
#ifndef BOOTCHECK_PAGETABLE_H
#define BOOTCHECK_PAGETABLE_H

#include <stdint.h>

#define PT_PAGE_BITS        12
#define PT_PAGE_SIZE        (UINT64_C(1) << PT_PAGE_BITS)
#define PT_INDEX_BITS       9
#define PT_ENTRIES          (1u << PT_INDEX_BITS)
#define PT_VA_BITS          48

/* Bytes covered by one entry at each level: level 0 = 512 GiB ... level 3 = 4 KiB. */
#define PT_LEVEL_SHIFT(lvl) (PT_PAGE_BITS + PT_INDEX_BITS * (3 - (lvl)))
#define PT_LEVEL_SIZE(lvl)  (UINT64_C(1) << PT_LEVEL_SHIFT(lvl))
#define PT_INDEX(va, lvl)   (((va) >> PT_LEVEL_SHIFT(lvl)) & (PT_ENTRIES - 1))
#define PT_L1_BLOCK_SIZE    PT_LEVEL_SIZE(1)   /* 1 GiB */
#define PT_L2_BLOCK_SIZE    PT_LEVEL_SIZE(2)   /* 2 MiB */

/* Descriptor type, bits [1:0]. */
#define PTE_VALID           (UINT64_C(1) << 0)
#define PTE_TABLE           (UINT64_C(1) << 1)  /* levels 0-2: next-level table */
#define PTE_PAGE            (UINT64_C(1) << 1)  /* level 3: 4 KiB page */
#define PTE_TYPE_MASK       UINT64_C(3)
#define PTE_TYPE_BLOCK      UINT64_C(1)
#define PTE_TYPE_TABLE      UINT64_C(3)

/* Lower attributes of block and page descriptors. */
#define PTE_ATTRINDX_SHIFT  2
#define PTE_ATTRINDX(i)     ((uint64_t)(i) << PTE_ATTRINDX_SHIFT)
#define PTE_ATTRINDX_MASK   (UINT64_C(7) << PTE_ATTRINDX_SHIFT)
#define PTE_NS              (UINT64_C(1) << 5)
#define PTE_AP_SHIFT        6
#define PTE_AP_MASK         (UINT64_C(3) << PTE_AP_SHIFT)
#define PTE_AP_RW_EL1       (UINT64_C(0) << PTE_AP_SHIFT)  /* EL1 RW, EL0 none */
#define PTE_AP_RW_ALL       (UINT64_C(1) << PTE_AP_SHIFT)  /* EL1 RW, EL0 RW */
#define PTE_AP_RO_EL1       (UINT64_C(2) << PTE_AP_SHIFT)  /* EL1 RO, EL0 none */
#define PTE_AP_RO_ALL       (UINT64_C(3) << PTE_AP_SHIFT)  /* EL1 RO, EL0 RO */
#define PTE_SH_SHIFT        8
#define PTE_SH_MASK         (UINT64_C(3) << PTE_SH_SHIFT)
#define PTE_SH_NONE         (UINT64_C(0) << PTE_SH_SHIFT)
#define PTE_SH_OUTER        (UINT64_C(2) << PTE_SH_SHIFT)
#define PTE_SH_INNER        (UINT64_C(3) << PTE_SH_SHIFT)
#define PTE_AF              (UINT64_C(1) << 10)
#define PTE_NG              (UINT64_C(1) << 11)

/* Upper attributes. */
#define PTE_PXN             (UINT64_C(1) << 53)
#define PTE_UXN             (UINT64_C(1) << 54)   /* XN at EL2 (single-range regime) */

#define PTE_ADDR_MASK       UINT64_C(0x0000fffffffff000)

/* MAIR_ELx attribute indices. seL4 keeps the loader's MAIR for its whole life
 * and uses index 0 for devices and index 4 for normal memory, so these
 * indices are part of the hand-off contract, not a free choice. */
#define MAIR_IDX_DEVICE_nGnRnE  0
#define MAIR_IDX_DEVICE_nGnRE   1
#define MAIR_IDX_DEVICE_GRE     2
#define MAIR_IDX_NORMAL_NC      3
#define MAIR_IDX_NORMAL_WB      4
#define MAIR_IDX_NORMAL_WT      5

#define MAIR_ATTR_DEVICE_nGnRnE UINT64_C(0x00)
#define MAIR_ATTR_DEVICE_nGnRE  UINT64_C(0x04)
#define MAIR_ATTR_DEVICE_GRE    UINT64_C(0x0c)
#define MAIR_ATTR_NORMAL_NC     UINT64_C(0x44)
#define MAIR_ATTR_NORMAL_WB     UINT64_C(0xff)
#define MAIR_ATTR_NORMAL_WT     UINT64_C(0xaa)

#define MAIR_FIELD(idx, attr)   ((uint64_t)(attr) << (8 * (idx)))
#define MAIR_VALUE ( \
    MAIR_FIELD(MAIR_IDX_DEVICE_nGnRnE, MAIR_ATTR_DEVICE_nGnRnE) | \
    MAIR_FIELD(MAIR_IDX_DEVICE_nGnRE,  MAIR_ATTR_DEVICE_nGnRE)  | \
    MAIR_FIELD(MAIR_IDX_DEVICE_GRE,    MAIR_ATTR_DEVICE_GRE)    | \
    MAIR_FIELD(MAIR_IDX_NORMAL_NC,     MAIR_ATTR_NORMAL_NC)     | \
    MAIR_FIELD(MAIR_IDX_NORMAL_WB,     MAIR_ATTR_NORMAL_WB)     | \
    MAIR_FIELD(MAIR_IDX_NORMAL_WT,     MAIR_ATTR_NORMAL_WT))

/* Complete leaf attributes the loader uses. */
#define PTE_LEAF_NORMAL  (PTE_AF | PTE_SH_INNER | PTE_ATTRINDX(MAIR_IDX_NORMAL_WB))
#define PTE_LEAF_DEVICE  (PTE_AF | PTE_ATTRINDX(MAIR_IDX_DEVICE_nGnRnE) | PTE_PXN | PTE_UXN)

/* TCR_ELx fields. */
#define TCR_T0SZ(n)         ((uint64_t)(n) << 0)
#define TCR_IRGN0_WBWA      (UINT64_C(1) << 8)
#define TCR_ORGN0_WBWA      (UINT64_C(1) << 10)
#define TCR_SH0_INNER       (UINT64_C(3) << 12)
#define TCR_TG0_4K          (UINT64_C(0) << 14)
#define TCR_T1SZ(n)         ((uint64_t)(n) << 16)
#define TCR_EPD1            (UINT64_C(1) << 23)
#define TCR_IRGN1_WBWA      (UINT64_C(1) << 24)
#define TCR_ORGN1_WBWA      (UINT64_C(1) << 26)
#define TCR_SH1_INNER       (UINT64_C(3) << 28)
#define TCR_TG1_4K          (UINT64_C(2) << 30)
#define TCR_EL1_IPS_SHIFT   32
#define TCR_EL1_AS          (UINT64_C(1) << 36)
#define TCR_EL2_PS_SHIFT    16
#define TCR_EL2_RES1        ((UINT64_C(1) << 31) | (UINT64_C(1) << 23))
#define TCR_PS_40BIT        UINT64_C(2)

/* seL4 (13.0.0, qemu-arm-virt, 40-bit PA) compares TCR_EL2 with exactly this
 * value in checkTCR_EL2() and fails silently otherwise. */
#define TCR_EL2_SEL4_HYP ( \
    TCR_EL2_RES1 | (TCR_PS_40BIT << TCR_EL2_PS_SHIFT) | TCR_TG0_4K | \
    TCR_SH0_INNER | TCR_ORGN0_WBWA | TCR_IRGN0_WBWA | TCR_T0SZ(64 - PT_VA_BITS))

/* SCTLR_ELx bits. */
#define SCTLR_M             (UINT64_C(1) << 0)
#define SCTLR_A             (UINT64_C(1) << 1)
#define SCTLR_C             (UINT64_C(1) << 2)
#define SCTLR_SA            (UINT64_C(1) << 3)
#define SCTLR_SA0           (UINT64_C(1) << 4)
#define SCTLR_I             (UINT64_C(1) << 12)
/* EL1: 0 traps EL0's WFI / WFE to EL1. seL4's head.S keeps both as the
 * loader left them (it sets M, C, I and clears A, SA0, EE, E0E only), so 0
 * would turn a user thread's WFI into a user exception fault in seL4. */
#define SCTLR_nTWI          (UINT64_C(1) << 16)
#define SCTLR_nTWE          (UINT64_C(1) << 18)
#define SCTLR_WXN           (UINT64_C(1) << 19)
#define SCTLR_EE            (UINT64_C(1) << 25)
#define SCTLR_EL1_RES1      ((UINT64_C(1) << 29) | (UINT64_C(1) << 28) | (UINT64_C(1) << 23) | \
                             (UINT64_C(1) << 22) | (UINT64_C(1) << 20) | (UINT64_C(1) << 11))
#define SCTLR_EL2_RES1      ((UINT64_C(1) << 29) | (UINT64_C(1) << 28) | (UINT64_C(1) << 23) | \
                             (UINT64_C(1) << 22) | (UINT64_C(1) << 18) | (UINT64_C(1) << 16) | \
                             (UINT64_C(1) << 11) | (UINT64_C(1) << 5) | (UINT64_C(1) << 4))

/* Kernel flavours are told apart by where the kernel is linked: an EL1 kernel
 * lives in the upper (TTBR1) half, a hyp kernel in the lower (TTBR0_EL2) half. */
#define VA_UPPER_HALF_START UINT64_C(0xffff000000000000)

#endif
