/* Replays inputs through a fuzz target without libFuzzer, for the
 * regression tests and the sanitizer build (gcc, -fsanitize=address,undefined):
 * each file is read into a buffer of exactly its size and passed once.
 *
 * usage: replay-<target> FILE...   (exit 0: every input passed) */
#include "fuzz_check.h"

#include <errno.h>

static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (buf == NULL)
            abort();
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
            break;
        cap *= 2;
        buf = realloc(buf, cap);
    }
    if (ferror(f)) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    /* Exact size, so a read one byte past the input is caught. */
    uint8_t *exact = malloc(len ? len : 1);
    if (exact == NULL)
        abort();
    memcpy(exact, buf, len);
    free(buf);
    *size = len;
    return exact;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        size_t size;
        uint8_t *data = read_all(argv[i], &size);
        fprintf(stderr, "replay: %s (%zu bytes)\n", argv[i], size);
        LLVMFuzzerTestOneInput(data, size);
        free(data);
    }
    printf("replay: %d inputs passed\n", argc - 1);
    return 0;
}
