#define _POSIX_C_SOURCE 200809L   /* fileno */
#include "cpio_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NEWC_HEADER 110u
#define BLOCK 512u                  /* cpio's default I/O block: the archive is padded to it */
#define COPY_CHUNK (64u << 10)      /* reused per member: a larger one costs a page fault per 4 KiB it fills */
#define NEWC_REGULAR 0100000u       /* S_IFREG in c_mode */

struct writer {
    FILE *f;
    const char *path;
    uint64_t at;                    /* bytes written */
    uint32_t ino;                   /* --reproducible renumbers inodes from 0 */
    unsigned uid, gid, mask;
};

static int put(struct writer *w, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->f) != n) {
        fprintf(stderr, "pack: error: cannot write the payload archive '%s': %s\n", w->path, strerror(errno));
        return -1;
    }
    w->at += n;
    return 0;
}

static int pad4(struct writer *w)
{
    static const char zeros[4];
    return put(w, zeros, (4 - w->at % 4) % 4);
}

static uint32_t header_bytes(const char *name)
{
    uint64_t n = NEWC_HEADER + strlen(name) + 1;
    return (uint32_t)((n + 3) / 4 * 4);
}

static int header(struct writer *w, const char *name, uint32_t ino, uint32_t mode, uint32_t uid,
                  uint32_t gid, uint64_t size)
{
    char h[NEWC_HEADER + 1];
    uint32_t namesize = (uint32_t)strlen(name) + 1;
    snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino, mode, uid, gid,
             1u, 0u, (uint32_t)size, 0u, 0u, 0u, 0u, namesize, 0u);
    if (put(w, h, NEWC_HEADER) != 0 || put(w, name, namesize) != 0)
        return -1;
    return pad4(w);
}

/* A regular member as cp makes its copy: the source's permission bits less
 * the umask; an empty one (pad) as the shell's `: > file`. */
static int member(struct writer *w, const char *name, const char *path, uint64_t *size_out)
{
    FILE *in = NULL;
    uint32_t perm = 0666;
    uint64_t size = 0;
    if (path != NULL) {
        struct stat st;
        in = fopen(path, "rb");
        if (in == NULL || fstat(fileno(in), &st) != 0) {
            fprintf(stderr, "pack: error: cannot read '%s' for the payload's %s: %s\n", path, name,
                    strerror(errno));
            if (in != NULL)
                fclose(in);
            return -1;
        }
        perm = (uint32_t)st.st_mode & 0777;
        size = (uint64_t)st.st_size;
    }
    if (size > UINT32_MAX) {
        fprintf(stderr, "pack: error: '%s' is %lu bytes; a CPIO (newc) member holds at most 4 GiB\n", path,
                (unsigned long)size);
        fclose(in);
        return -1;
    }
    int r = header(w, name, w->ino++, NEWC_REGULAR | (perm & ~w->mask), w->uid, w->gid, size);
    static char buf[COPY_CHUNK];
    uint64_t left = size;
    while (r == 0 && left > 0) {
        size_t n = fread(buf, 1, left < sizeof buf ? (size_t)left : sizeof buf, in);
        if (n == 0) {
            fprintf(stderr, "pack: error: '%s' changed while it was archived\n", path);
            r = -1;
            break;
        }
        r = put(w, buf, n);
        left -= n;
    }
    if (in != NULL)
        fclose(in);
    *size_out = size;
    return r == 0 ? pad4(w) : -1;
}

int newc_write(const char *out_path, struct newc_member *members, unsigned n, int align8)
{
    struct writer w = { .path = out_path, .uid = (unsigned)geteuid(), .gid = (unsigned)getegid() };
    w.mask = (unsigned)umask(0);
    umask((mode_t)w.mask);
    /* A file made in a set-group-ID directory takes the directory's group. */
    char dir[4096];
    const char *slash = strrchr(out_path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out_path) : 1, slash ? out_path : ".");
    struct stat st;
    if (stat(dir[0] ? dir : "/", &st) == 0 && (st.st_mode & S_ISGID))
        w.gid = (unsigned)st.st_gid;
    w.f = fopen(out_path, "wb");
    if (w.f == NULL) {
        fprintf(stderr, "pack: error: cannot create the payload archive '%s': %s\n", out_path, strerror(errno));
        return -1;
    }
    static char obuf[COPY_CHUNK];
    setvbuf(w.f, obuf, _IOFBF, sizeof obuf);
    int r = 0;
    for (unsigned i = 0; r == 0 && i < n; i++) {
        struct newc_member *m = &members[i];
        uint64_t data = (w.at + 3) / 4 * 4 + header_bytes(m->name);
        if (align8 && m->pad_name != NULL && data % 8 == 0) {
            uint64_t none;
            r = member(&w, m->pad_name, NULL, &none);
        }
        if (r == 0)
            r = member(&w, m->name, m->path, &m->size);
    }
    if (r == 0)
        r = header(&w, "TRAILER!!!", 0, 0, 0, 0, 0);
    static const char zeros[BLOCK];
    if (r == 0)
        r = put(&w, zeros, (BLOCK - w.at % BLOCK) % BLOCK);
    if (fclose(w.f) != 0 && r == 0) {
        fprintf(stderr, "pack: error: cannot write the payload archive '%s': %s\n", out_path, strerror(errno));
        r = -1;
    }
    return r;
}
