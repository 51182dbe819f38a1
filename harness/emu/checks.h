/* The checks made at the kernel entry. Each is independent, names the
 * addresses and values involved when it fails, and only runs when the loader
 * actually reached the entry with a computable expectation. */
#ifndef EMU_CHECKS_H
#define EMU_CHECKS_H

#include <stdint.h>

#include "expected.h"
#include "image.h"
#include "machine.h"
#include "run.h"
#include "strbuf.h"

struct emu_ctx {
    const struct emu_image *img;
    struct emu_machine *m;
    const struct emu_run *run;
    const struct emu_expected *exp;
    struct emu_entry_state entry;
};

enum emu_check_status { EMU_CHECK_PASS, EMU_CHECK_FAIL, EMU_CHECK_NOT_RUN };

struct emu_check {
    const char *name;
    enum emu_check_status status;
    struct strbuf message;
};

/* Each fills c->status and c->message. */
void check_elf_loading(const struct emu_ctx *x, struct emu_check *c);
void check_handoff_registers(const struct emu_ctx *x, struct emu_check *c);
void check_cpu_state(const struct emu_ctx *x, struct emu_check *c);
void check_writes(const struct emu_ctx *x, struct emu_check *c);
void check_rootserver(const struct emu_ctx *x, struct emu_check *c);
void check_page_tables(const struct emu_ctx *x, struct emu_check *c);
void check_handoff_record(const struct emu_ctx *x, struct emu_check *c);

#define EMU_NCHECKS 7

/* The rootserver check's finding, for checks that need it too: 1 if no
 * store changed the kernel's `rootserver` (or it has none); msg says which. */
int rootserver_untouched(const struct emu_ctx *x, struct strbuf *msg);

/* Runs every check (or marks them not run, saying why). */
void emu_run_checks(const struct emu_ctx *x, struct emu_check checks[EMU_NCHECKS]);
void emu_checks_free(struct emu_check checks[EMU_NCHECKS]);

#endif
