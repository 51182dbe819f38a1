/* The pack step (`make image`): packs a kernel ELF, a root-task ELF and an
 * optional DTB into a bootable loader image, a CPIO (newc) archive linked
 * behind the already-compiled loader. Nothing of the loader is recompiled.
 *
 * usage: pack-check --pack KERNEL ROOTTASK DTB OUT   (DTB "": none)
 *
 * A KERNEL that is a Linux arm64 Image (magic "ARM\x64" at offset 0x38) makes
 * the Linux payload kind instead (loader/common/linux_image.h): members
 * linux.Image, linux.initrd (env INITRD), linux.bootargs (env BOOTARGS) and
 * kernel.dtb; ROOTTASK is not used.
 * env:   CROSS LOADER_LIB LOADER_LDS LOADER_LINK_ADDR LIBFDT_ARM64
 *        PACK_RAM_MIB (RAM assumed by the pre-check), OVERRIDE (test-only
 *        hand-off override file), PACK_UNCHECKED=1 (skip the pre-check, to
 *        build deliberately broken images for the loader's own checks),
 *        PAYLOAD_CPIO=archive (test-only, needs PACK_UNCHECKED=1: link this
 *        archive as the payload instead of building one from KERNEL, ROOTTASK
 *        and DTB, which are then ignored; the pre-check cannot read an archive,
 *        and this is the only way to give the loader a malformed one),
 *        HANDOFF_RECORD=symbol (opt-in hand-off record protocol, see
 *        loader/common/handoff_record.h: the loader writes its boot record
 *        into this kernel variable; empty, the default, for seL4),
 *        LIBGCC=path (the target's libgcc.a; asked of ${CROSS}gcc when unset),
 *        PACK_ARCH=aarch64|riscv64 (the kernel's architecture, as make read it
 *        from its e_machine; read from the kernel when unset; says a test
 *        archive's), RISCV_CROSS RISCV_LOADER_LIB RISCV_LOADER_LDS
 *        RISCV_LOADER_LINK_ADDR (the riscv64 loader, loader/arch/riscv64).
 *
 * Why a C program and not a shell script: the suite packs a few hundred
 * images per run. As a bash script the step started seven processes (bash,
 * mktemp, pack-check twice, ld, mv, rm); each start and each fork of bash
 * costs page faults, about 17 us each on a paravirtualised host, and a pack
 * cost 80 to 90 ms CPU where ld and the checks take 30. Here the checks run
 * in this process and only ld is started (posix_spawn; as, cpio or gcc only
 * in the rare cases below). */
#define _POSIX_C_SOURCE 200809L   /* mkdtemp, posix_spawn, sigaction */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pack_check.h"
#include "payload_object.h"

extern char **environ;

#define PATH_LEN 4096
#define MAX_ARGS 48

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pack: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static const char *env_or(const char *name, const char *otherwise)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : otherwise;
}

/* Whether path is a regular file, after symlinks (the shell's test -f). */
static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A Linux arm64 Image: the magic "ARM\x64" at offset 0x38. */
static int is_linux_image(const char *path)
{
    unsigned char head[60];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t got = read(fd, head, sizeof head);
    close(fd);
    return got == (ssize_t)sizeof head && memcmp(head + 56, "ARM\x64", 4) == 0;
}

/* The temporary directory and every file the step may put in it, named
 * before any exists so that a signal handler can remove them (unlink and
 * rmdir are async-signal-safe; building the names is not). */
enum { F_PAYLOAD_CPIO, F_PAYLOAD_O, F_IMAGE, F_JUMP_O, F_BOOTARGS, F_RECORD, F_COUNT };
static const char *const work_names[F_COUNT] = {
    "payload.cpio", "payload.o", "image.elf", "jump.o", "linux.bootargs", "handoff.record",
};
static char work_dir[PATH_LEN];
static char work_path[F_COUNT][PATH_LEN];
static char out_copy[PATH_LEN];          /* the image copied beside OUT (another filesystem) */
static volatile pid_t running_child;

static void remove_temporaries(void)
{
    for (int i = 0; i < F_COUNT; i++)
        if (work_path[i][0] != '\0')
            unlink(work_path[i]);
    if (work_dir[0] != '\0')
        rmdir(work_dir);
    if (out_copy[0] != '\0')
        unlink(out_copy);
}

/* Interrupted (Ctrl-C, a test's SIGTERM): the tool that is running goes too
 * (it may be writing into the directory), then the files, then this process
 * dies of the same signal. */
static void on_signal(int sig)
{
    pid_t child = running_child;
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    remove_temporaries();
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void make_work_dir(void)
{
    const char *tmp = env_or("TMPDIR", "/tmp");
    char templ[PATH_LEN - 64];      /* room for "/" and the longest work_names */
    if (snprintf(templ, sizeof templ, "%s/bootcheck-pack.XXXXXX", tmp) >= (int)sizeof templ)
        die("TMPDIR '%s' is too long", tmp);
    for (int i = 0; i < F_COUNT; i++)
        snprintf(work_path[i], PATH_LEN, "%s/%s", templ, work_names[i]);
    /* A signal between mkdtemp and the names' recording would find no name
     * to remove: it waits until they are recorded. */
    sigset_t fatal, before;
    sigemptyset(&fatal);
    for (unsigned i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
        sigaddset(&fatal, fatal_signals[i]);
    sigprocmask(SIG_BLOCK, &fatal, &before);
    if (mkdtemp(templ) == NULL) {
        int e = errno;
        sigprocmask(SIG_SETMASK, &before, NULL);
        die("cannot make a temporary directory in '%s': %s", tmp, strerror(e));
    }
    size_t n = strlen(templ);
    memcpy(work_dir, templ, n + 1);
    for (int i = 0; i < F_COUNT; i++)
        memcpy(work_path[i], templ, n);     /* the XXXXXX as mkdtemp filled them in */
    sigprocmask(SIG_SETMASK, &before, NULL);
}

/* How a child ended, as a shell reports it: its exit status, or 128 + the
 * signal that killed it. */
static int status_of(int wstatus)
{
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

struct child_io {
    const char *stdin_text;     /* written to its stdin (NULL: this process's) */
    const char *stdin_file;     /* its stdin opened from this file */
    char *captured;             /* its stdout, NUL-terminated, trailing newlines cut */
    size_t captured_len;
    int quiet;                  /* its stderr to /dev/null */
};

/* A pipe whose end child_end (0: read, 1: write) becomes the child's
 * descriptor child_fd; the other end is this process's. */
static void pipe_for_child(posix_spawn_file_actions_t *fa, int fds[2], int child_end, int child_fd,
                           const char *tool)
{
    if (pipe(fds) != 0)
        die("cannot make a pipe for %s: %s", tool, strerror(errno));
    posix_spawn_file_actions_adddup2(fa, fds[child_end], child_fd);
    posix_spawn_file_actions_addclose(fa, fds[0]);
    posix_spawn_file_actions_addclose(fa, fds[1]);
}

/* Runs argv[0] (found on PATH) with argv and waits for it; returns its
 * status. One that cannot be started is a `pack: error:` line and 127, as
 * the shell's "command not found". */
static int run(char *const argv[], const struct child_io *io)
{
    int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (io != NULL && io->stdin_text != NULL)
        pipe_for_child(&fa, in_pipe, 0, 0, argv[0]);
    if (io != NULL && io->stdin_file != NULL)
        posix_spawn_file_actions_addopen(&fa, 0, io->stdin_file, O_RDONLY, 0);
    if (io != NULL && io->captured != NULL)
        pipe_for_child(&fa, out_pipe, 1, 1, argv[0]);
    if (io != NULL && io->quiet)
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    fflush(stdout);
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (in_pipe[0] >= 0)
        close(in_pipe[0]);
    if (out_pipe[1] >= 0)
        close(out_pipe[1]);
    if (err != 0) {
        fprintf(stderr, "pack: error: cannot run %s: %s\n", argv[0], strerror(err));
        return 127;
    }
    running_child = pid;
    if (in_pipe[1] >= 0) {
        /* A few lines of assembly: less than a pipe holds, so this cannot
         * block on a child that does not read. */
        const char *text = io->stdin_text;
        size_t left = strlen(text);
        while (left > 0) {
            ssize_t w = write(in_pipe[1], text, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            text += w;
            left -= (size_t)w;
        }
        close(in_pipe[1]);
    }
    if (out_pipe[0] >= 0) {
        size_t len = 0;
        for (;;) {
            char scratch[4096];
            char *into = len + 1 < io->captured_len ? io->captured + len : scratch;
            size_t room = len + 1 < io->captured_len ? io->captured_len - 1 - len : sizeof scratch;
            ssize_t r = read(out_pipe[0], into, room);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            if (into != scratch)
                len += (size_t)r;
        }
        close(out_pipe[0]);
        while (len > 0 && io->captured[len - 1] == '\n')
            len--;
        io->captured[len] = '\0';
    }
    int wstatus;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    running_child = 0;
    return status_of(wstatus);
}

/* run(), and the step ends with the child's status when it failed. */
static void run_or_exit(char *const argv[], const struct child_io *io)
{
    int status = run(argv, io);
    if (status != 0)
        exit(status);
}

/* "NAME=PATH" (or "PAD/NAME=PATH") in buffers payload_build may cut up. */
static char *member(const char *name, const char *path)
{
    size_t n = strlen(name) + 1 + strlen(path) + 1;
    char *m = malloc(n);
    if (m == NULL)
        die("out of memory");
    snprintf(m, n, "%s=%s", name, path);
    return m;
}

/* mkdir -p: each missing directory of path. */
static void make_dirs(const char *path)
{
    char dir[PATH_LEN];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        die("output directory '%s' is too long", path);
    for (char *p = dir + 1; ; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            die("cannot make directory '%s': %s", dir, strerror(errno));
        *p = c;
        if (c == '\0')
            break;
    }
}

/* The image put in place as mv would: a new file at OUT (a symlink there is
 * replaced, not followed), copied when OUT is on another filesystem than
 * the temporary directory. */
static void install(const char *image, const char *out)
{
    if (rename(image, out) == 0)
        return;
    if (errno != EXDEV)
        die("cannot write OUT=%s: %s", out, strerror(errno));
    if (snprintf(out_copy, sizeof out_copy, "%s.pack.XXXXXX", out) >= (int)sizeof out_copy)
        die("OUT=%s is too long", out);
    int to = mkstemp(out_copy);
    if (to < 0) {
        int e = errno;
        out_copy[0] = '\0';
        die("cannot write OUT=%s: %s", out, strerror(e));
    }
    int from = open(image, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int ok = from >= 0 && fstat(from, &st) == 0 && fchmod(to, st.st_mode & 07777) == 0;
    char buf[65536];
    ssize_t r = 0;
    while (ok && (r = read(from, buf, sizeof buf)) > 0)
        for (ssize_t done = 0; ok && done < r; ) {
            ssize_t w = write(to, buf + done, (size_t)(r - done));
            ok = w > 0;
            done += w > 0 ? w : 0;
        }
    ok = ok && r == 0;
    if (from >= 0)
        close(from);
    if (close(to) != 0 || !ok || rename(out_copy, out) != 0)
        die("cannot write OUT=%s: %s", out, strerror(errno));
    out_copy[0] = '\0';
}

/* The whole step; see the top of this file. */
int pack_step(int argc, char **argv)
{
    const char *kernel = argc > 0 ? argv[0] : "", *roottask = argc > 1 ? argv[1] : "";
    const char *dtb = argc > 2 ? argv[2] : "", *out = argc > 3 ? argv[3] : "";
    const char *payload_cpio = env_or("PAYLOAD_CPIO", "");
    const char *initrd = env_or("INITRD", ""), *override = env_or("OVERRIDE", "");
    const char *record_symbol = env_or("HANDOFF_RECORD", "");
    int unchecked = strcmp(env_or("PACK_UNCHECKED", "0"), "1") == 0;
    setvbuf(stdout, NULL, _IOLBF, 0);   /* its lines and the tools' in the order written */

    if (payload_cpio[0] != '\0') {
        if (!unchecked)
            die("PAYLOAD_CPIO is test-only and needs PACK_UNCHECKED=1");
        if (!is_file(payload_cpio))
            die("payload archive '%s' does not exist", payload_cpio);
    } else if (kernel[0] == '\0') {
        die("no kernel given (KERNEL=path)");
    }
    int linux_kind = payload_cpio[0] == '\0' && is_file(kernel) && is_linux_image(kernel);
    if (linux_kind && initrd[0] != '\0' && !is_file(initrd))
        die("initrd '%s' does not exist", initrd);
    if (payload_cpio[0] == '\0' && !linux_kind && roottask[0] == '\0')
        die("no root task given (ROOTTASK=path)");
    if (out[0] == '\0')
        die("no output path given (OUT=path)");
    /* The image is put in place at the end: never over a device or a
     * directory (as root, OUT=/dev/null would replace the device node). */
    struct stat st;
    if (stat(out, &st) == 0 && !S_ISREG(st.st_mode))
        die("OUT=%s exists and is not a regular file", out);
    if (payload_cpio[0] == '\0') {
        if (!is_file(kernel))
            die("kernel '%s' does not exist", kernel);
        if (!linux_kind && !is_file(roottask))
            die("root task '%s' does not exist", roottask);
        if (dtb[0] != '\0' && !is_file(dtb))
            die("DTB '%s' does not exist", dtb);
        if (override[0] != '\0' && !is_file(override))
            die("override file '%s' does not exist", override);
    }

    /* The kernel's architecture (its ELF e_machine) decides the image's: a
     * riscv64 kernel gets the riscv64 loader, which has no libfdt and no
     * libgcc (Debian has neither for its lp64 ABI) and is linked where
     * OpenSBI starts it (see the link step). */
    const char *arch = env_or("PACK_ARCH", "");
    if (arch[0] == '\0') {
        arch = "aarch64";
        if (payload_cpio[0] == '\0' && !linux_kind && (arch = kernel_arch_name(kernel)) == NULL)
            die("cannot read the architecture of kernel '%s'", kernel);
    }
    const char *cross = env_or("CROSS", ""), *loader_lib = env_or("LOADER_LIB", "");
    const char *loader_lds = env_or("LOADER_LDS", ""), *link_addr = env_or("LOADER_LINK_ADDR", "");
    char *as_flags[3];
    if (strcmp(arch, "aarch64") == 0) {
        as_flags[0] = "-EL", as_flags[1] = "-mabi=lp64";
    } else if (strcmp(arch, "riscv64") == 0) {
        cross = env_or("RISCV_CROSS", ""), loader_lib = env_or("RISCV_LOADER_LIB", "");
        loader_lds = env_or("RISCV_LOADER_LDS", ""), link_addr = env_or("RISCV_LOADER_LINK_ADDR", "");
        as_flags[0] = "-mabi=lp64", as_flags[1] = "-march=rv64imac_zicsr_zifencei";
    } else {
        die("no loader for architecture '%s' (aarch64 or riscv64)", arch);
    }
    as_flags[2] = NULL;

    /* The clean-up is in place before the folder exists: a signal at any
     * moment after leaves nothing behind. */
    atexit(remove_temporaries);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (unsigned i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
        sigaction(fatal_signals[i], &sa, NULL);
    make_work_dir();

    /* The archive and the payload object (the archive in section .payload,
     * and absolute symbols the loader reads: payload_has_handoff_record when
     * the archive holds handoff.record (loader/arch/aarch64/handoff_record.h:
     * a boot without the protocol does not pay for a search of the archive),
     * payload_kernel_nodes for an SMP kernel (loader/arch/aarch64/smp.h),
     * payload_is_linux for the Linux payload kind), written by payload_build
     * straight from the member files (cpio_write.h, payload_object.h). It
     * gives the kernel's core count and the DTB's size, which the link needs. */
    uint64_t dtb_size = 0, scratch;
    unsigned nodes = 0;
    /* The plan's view of the inputs, for the checks after the link. */
    char *dtb_arg = dtb[0] != '\0' ? (char *)dtb : "-", *ram_mib = (char *)env_or("PACK_RAM_MIB", "1024");
    char image_arg[PATH_LEN + 1];                /* @IMAGE: __loader_end read from the image */
    snprintf(image_arg, sizeof image_arg, "@%s", work_path[F_IMAGE]);
    if (payload_cpio[0] != '\0') {
        /* A test archive is linked as it is. Its members as cpio(1) lists
         * them say whether it holds handoff.record (cpio, not the loader's
         * reader: the archive is often malformed on purpose). */
        char listed[65536];
        struct child_io io = { .stdin_file = payload_cpio, .captured = listed,
                               .captured_len = sizeof listed, .quiet = 1 };
        char *cpio_argv[] = { "cpio", "-it", "--quiet", NULL };
        if (run(cpio_argv, &io) == 127)
            exit(127);
        int has_record = 0;
        for (char *line = listed; line != NULL && !has_record; ) {
            char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            has_record = len == strlen("handoff.record") && memcmp(line, "handoff.record", len) == 0;
            line = nl ? nl + 1 : NULL;
        }
        struct payload_symbol record = { "payload_has_handoff_record", 1 };
        if (payload_object_write(work_path[F_PAYLOAD_O], payload_cpio, arch, &record,
                                 has_record ? 1 : 0) != 0)
            exit(1);
        if (stat(payload_cpio, &st) != 0)
            die("cannot read payload archive '%s': %s", payload_cpio, strerror(errno));
        /* The loader copies a payload DTB to an 8-byte aligned scratch area
         * before reading it; a test archive's whole size bounds every member. */
        scratch = (uint64_t)st.st_size;
    } else {
        char *pargs[MAX_ARGS];
        int n = 0;
        pargs[n++] = "pack-check";
        pargs[n++] = "--payload";
        pargs[n++] = work_path[F_PAYLOAD_CPIO];
        if (linux_kind) {
            if (check_linux_image(kernel) != 0)
                exit(1);
            pargs[n++] = "--object";
            pargs[n++] = work_path[F_PAYLOAD_O];
            pargs[n++] = (char *)arch;
            pargs[n++] = member("linux.Image", kernel);
            if (initrd[0] != '\0')
                pargs[n++] = member("linux.initrd", initrd);
            const char *bootargs = env_or("BOOTARGS", "");
            if (bootargs[0] != '\0') {
                FILE *f = fopen(work_path[F_BOOTARGS], "wb");
                if (f == NULL || fputs(bootargs, f) == EOF || fclose(f) != 0)
                    die("cannot write '%s'", work_path[F_BOOTARGS]);
                pargs[n++] = member("linux.bootargs", work_path[F_BOOTARGS]);
            }
            if (dtb[0] != '\0')
                pargs[n++] = member("kernel.dtb", dtb);
        } else {
            /* riscv64: the loader copies a member fastest when its bytes are
             * 8-byte aligned in memory (RISC-V has no cheap misaligned load;
             * see loader/arch/riscv64/libc.c). loader.ld starts the archive 4
             * bytes past an 8-byte boundary, which aligns kernel.elf's bytes
             * (at offset 124); with --align8 a later member PAD/NAME whose
             * bytes would sit 4 bytes off gets an empty member PAD before it
             * (pad.r, pad.d: header and name take 116 bytes, moving it by 4).
             * The loader looks members up by name and never reads these. */
            if (strcmp(arch, "riscv64") == 0)
                pargs[n++] = "--align8";
            pargs[n++] = "--nodes";
            pargs[n++] = (char *)kernel;
            /* The pre-check's checks of the inputs on their own (ELF, DTB
             * blob) run before the archive is written: a broken input is
             * refused, with the same line the full pre-check prints, before
             * the linker runs. The plan, which needs the linked loader's
             * extent, is checked after the link. */
            if (!unchecked) {
                pargs[n++] = "--check";
                pargs[n++] = (char *)kernel;
                pargs[n++] = (char *)roottask;
                pargs[n++] = dtb_arg;
            }
            pargs[n++] = "--object";
            pargs[n++] = work_path[F_PAYLOAD_O];
            pargs[n++] = (char *)arch;
            pargs[n++] = member("kernel.elf", kernel);
            pargs[n++] = member("pad.r/roottask.elf", roottask);
            if (dtb[0] != '\0')
                pargs[n++] = member("pad.d/kernel.dtb", dtb);
            if (override[0] != '\0')
                pargs[n++] = member("handoff.override", override);
            if (record_symbol[0] != '\0') {
                if (write_record_member(kernel, record_symbol, work_path[F_RECORD]) != 0)
                    exit(1);
                pargs[n++] = member("handoff.record", work_path[F_RECORD]);
            }
        }
        pargs[n] = NULL;
        int status = payload_build(n, pargs, &nodes, &dtb_size);
        if (status != 0)
            exit(status);
        /* The DTB scratch area is sized for this DTB (any size the placement
         * allows); none without one. */
        scratch = dtb_size;
    }
    scratch = (scratch + 4095) / 4096 * 4096;

    /* ld itself, with what the gcc driver would give it for this static,
     * freestanding link (-X, the Cortex-A53 erratum 843419 fix, libgcc) and
     * the linker script last, as the driver puts it: the script's
     * DEFINED(DTB_SCRATCH_SIZE) sees only the symbols defined before it. */
    char ld[PATH_LEN], as[PATH_LEN], libgcc[PATH_LEN] = "";
    snprintf(ld, sizeof ld, "%sld", cross);
    snprintf(as, sizeof as, "%sas", cross);
    int is_aarch64 = strcmp(arch, "aarch64") == 0;
    if (is_aarch64) {
        const char *given = env_or("LIBGCC", "");
        if (given[0] != '\0') {
            snprintf(libgcc, sizeof libgcc, "%s", given);
        } else {
            char gcc[PATH_LEN];
            snprintf(gcc, sizeof gcc, "%sgcc", cross);
            char *gcc_argv[] = { gcc, "-print-libgcc-file-name", NULL };
            struct child_io io = { .captured = libgcc, .captured_len = sizeof libgcc };
            run_or_exit(gcc_argv, &io);
        }
    }
    char defsym_link[PATH_LEN], defsym_scratch[64], section_start[PATH_LEN];
    snprintf(defsym_scratch, sizeof defsym_scratch, "--defsym=DTB_SCRATCH_SIZE=%lu",
             (unsigned long)scratch);
    char *ldargv[MAX_ARGS];
    int jump_linked = 0;
    for (;;) {
        snprintf(defsym_link, sizeof defsym_link, "--defsym=LOADER_LINK_ADDR=%s", link_addr);
        int k = 0;
        ldargv[k++] = ld;
        ldargv[k++] = "-static";
        ldargv[k++] = "-X";
        if (is_aarch64)
            ldargv[k++] = "--fix-cortex-a53-843419";
        ldargv[k++] = "--build-id=none";
        ldargv[k++] = "-z";
        ldargv[k++] = "max-page-size=4096";
        ldargv[k++] = "--no-warn-rwx-segments";
        ldargv[k++] = defsym_link;
        ldargv[k++] = defsym_scratch;
        ldargv[k++] = "--whole-archive";
        ldargv[k++] = (char *)loader_lib;
        ldargv[k++] = "--no-whole-archive";
        ldargv[k++] = work_path[F_PAYLOAD_O];
        if (is_aarch64) {
            ldargv[k++] = (char *)env_or("LIBFDT_ARM64", "");
            ldargv[k++] = libgcc;
        }
        if (jump_linked) {
            ldargv[k++] = work_path[F_JUMP_O];
            ldargv[k++] = section_start;
        }
        ldargv[k++] = "-T";
        ldargv[k++] = (char *)loader_lds;
        ldargv[k++] = "-o";
        ldargv[k++] = work_path[F_IMAGE];
        ldargv[k] = NULL;
        run_or_exit(ldargv, NULL);
        if (strcmp(arch, "riscv64") != 0 || unchecked || jump_linked)
            break;
        /* riscv64: linked at OpenSBI's next-stage address unless the plan
         * puts something there (seL4 16.0.0's kernel is linked at 0x80200000
         * itself); then at the first 2 MiB boundary above all it places,
         * where QEMU's OpenSBI (-bios default) starts it all the same. */
        char size_arg[32];
        uint64_t linked_at = strtoull(link_addr, NULL, 0);
        snprintf(size_arg, sizeof size_arg, "%lu",
                 (unsigned long)(loader_end_arg(image_arg) - linked_at));
        char *plan_args[] = { (char *)kernel, (char *)roottask, dtb_arg, ram_mib, "0", size_arg };
        uint64_t at;
        if (plan_check(plan_args, 1, &at) != 0)
            exit(1);
        if (at == linked_at)
            break;
        static char at_text[32];
        snprintf(at_text, sizeof at_text, "0x%lx", (unsigned long)at);
        printf("pack: the plan places the kernel at %s; the riscv64 loader is linked at %s\n",
               link_addr, at_text);
        /* A firmware with a fixed jump address (Debian's fw_jump.bin) still
         * enters at the old address: 8 bytes there branch to the loader (a0,
         * a1 kept). Only the entry runs them; the kernel is loaded over them. */
        char *as_argv[] = { as, as_flags[0], as_flags[1], "-o", work_path[F_JUMP_O], NULL };
        struct child_io io = { .stdin_text = "\t.section .fw_jump, \"ax\"\n"
                                             "1:\tauipc t0, %pcrel_hi(_start)\n"
                                             "\tjalr zero, %pcrel_lo(1b)(t0)\n" };
        run_or_exit(as_argv, &io);
        snprintf(section_start, sizeof section_start, "--section-start=.fw_jump=%s", link_addr);
        link_addr = at_text;
        jump_linked = 1;
    }

    if (!unchecked && !linux_kind) {
        char *plan_args[] = { (char *)kernel, (char *)roottask, dtb_arg, ram_mib, (char *)link_addr,
                              image_arg };
        if (plan_check(plan_args, 0, NULL) != 0)
            exit(1);
    }
    const char *slash = strrchr(out, '/');
    if (slash != NULL && slash != out) {
        char dir[PATH_LEN];
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - out), out);
        if (!(stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
            make_dirs(dir);
    }
    install(work_path[F_IMAGE], out);
    printf("pack: wrote %s\n", out);
    return 0;
}
