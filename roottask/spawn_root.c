/* The root task as a spawner: what the BootInfo and its own image give it. */
#include "alloc.h"
#include "invoke.h"
#include "kernel_abi.h"
#include "spawn.h"
#include "spawner.h"

extern char image_start[];

bool spawn_init_root(const seL4_BootInfo *bi, const struct registry *reg)
{
    alloc_init(bi);
    invoke_init(bi->ipcBuffer, bi->numNodes);
    spawner.reg = reg;
    spawner.self = REGISTRY_OWNER_ROOT;
    spawner.cnode = SEL4_CAP_INIT_THREAD_CNODE;
    spawner.vspace = SEL4_CAP_INIT_THREAD_VSPACE;
    spawner.asid_pool = SEL4_CAP_INIT_THREAD_ASID_POOL;
    spawner.tcb = SEL4_CAP_INIT_THREAD_TCB;
    /* MCS: the boot node's SchedControl (all our threads run on node 0,
     * as they do without MCS). */
    seL4_SlotRegion sched_control = bootinfo_schedcontrol(bi);
    spawner.sched_control = sched_control.start < sched_control.end ? sched_control.start : 0;
    /* userImageFrames covers the image page by page from image_start. */
    spawner.image_base = (seL4_Word)(uintptr_t)image_start;
    spawner.image_frames = bi->userImageFrames.start;
    spawner.registry_base = (seL4_Word)(uintptr_t)registry_start;
    spawner.registry_limit = (seL4_Word)(uintptr_t)registry_end;
    return spawn_make_endpoint();
}
