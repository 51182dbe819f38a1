/* Fuzz target: the ELF validator (loader/common/elf.c) on one untrusted file,
 * then every accessor the loader uses on an image it accepted. */
#include "fuzz_check.h"

#include "../../loader/common/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct elf_image img;
    char err[ELF_ERR_LEN];
    if (elf_validate(&img, data, size, err) != 0) {
        FUZZ_REQUIRE_MESSAGE(err, sizeof err);
        return 0;
    }
    FUZZ_REQUIRE(img.nload >= 1 && img.nload <= img.phnum, "nload %u phnum %u", img.nload,
                 img.phnum);
    FUZZ_REQUIRE(img.vaddr_min < img.vaddr_max && img.paddr_min < img.paddr_max,
                 "empty address span");
    FUZZ_REQUIRE(img.entry >= img.vaddr_min && img.entry < img.vaddr_max,
                 "entry 0x%llx outside [0x%llx..0x%llx)", (unsigned long long)img.entry,
                 (unsigned long long)img.vaddr_min, (unsigned long long)img.vaddr_max);
    for (unsigned n = 0; n < img.nload; n++) {
        struct elf_segment seg;
        memset(&seg, 0xa5, sizeof seg);
        elf_segment_get(&img, n, &seg);
        FUZZ_REQUIRE(seg.memsz > 0 && seg.filesz <= seg.memsz, "segment %u sizes", n);
        FUZZ_REQUIRE(seg.offset <= size && seg.filesz <= size - seg.offset,
                     "segment %u file range outside the input", n);
        FUZZ_REQUIRE(seg.vaddr >= img.vaddr_min && seg.vaddr + seg.memsz <= img.vaddr_max &&
                     seg.paddr >= img.paddr_min && seg.paddr + seg.memsz <= img.paddr_max,
                     "segment %u outside the image span", n);
        /* The loader copies exactly these bytes. */
        fuzz_touch(data + seg.offset, seg.filesz);
    }
    /* A name the project's ELFs have, one they lack, and the empty name. */
    static const char *const names[] = { "_start", "no-such-symbol", "" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        uint64_t value, symsize;
        elf_symbol_lookup(&img, names[i], &value, &symsize);
        elf_symbol_lookup(&img, names[i], &value, NULL);
    }
    return 0;
}
