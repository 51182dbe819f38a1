/* system_init: the first component the root task spawns. The root task
 * delegates to it (its own TCB, CNode and VSpace, an untyped, the ASID pool,
 * and the registry mapped read-only); with those and nothing more it creates
 * the objects its children share, spawns the components whose parent it is,
 * supervises them (hello, done, faults) and tells the root task how they
 * ended. */
#include "component_abi.h"
#include "component_rt.h"
#include "components.h"
#include "kernel_abi.h"
#include "print.h"
#include "run_components.h"
#include "spawn.h"

const char component_name[] = "system_init";

/* The slot of our first granted cap of `kind`, or 0. */
static seL4_Word slot_of(const struct component *me, unsigned kind)
{
    for (unsigned i = 0; i < me->n_caps; i++)
        if (me->caps[i].kind == kind)
            return COMPONENT_FIRST_CAP_SLOT + i;
    return 0;
}

int component_main(const struct component_start *start)
{
    const struct registry *reg = (const struct registry *)(uintptr_t)start->registry;
    if (reg == 0) {
        rt_line("no children to spawn");
        return 0;
    }
    const struct component *me = &reg->components[start->index];
    struct delegation d = {
        .self = (unsigned)start->index,
        .tcb = slot_of(me, COMPONENT_CAP_TCB),
        .cnode = slot_of(me, COMPONENT_CAP_CNODE),
        .vspace = slot_of(me, COMPONENT_CAP_VSPACE),
        .untyped = slot_of(me, COMPONENT_CAP_UNTYPED),
        .asid_pool = slot_of(me, COMPONENT_CAP_ASID_POOL),
        .sched_control = kernel_is_mcs() ? slot_of(me, COMPONENT_CAP_SCHED_CONTROL) : 0,
        .memory_bits = me->memory_bits,
        .cnode_bits = (unsigned)start->cnode_bits,
        .first_free_slot = start->granted_slots + 1,
        .num_nodes = start->num_nodes,
    };
    if (d.tcb == 0 || d.cnode == 0 || d.vspace == 0 || d.untyped == 0 || d.asid_pool == 0) {
        rt_line("FAILED: cannot spawn without tcb, cnode, vspace, untyped and asid_pool caps");
        return 1;
    }
    rt_fact("untyped", "0x%lx %u", (unsigned long)d.untyped, d.memory_bits);
    bool spawned = spawn_init_delegated(reg, &d);
    bool ok = spawned && run_components();
    if (!spawned)
        rt_line("FAILED: %s", spawn_failure());
    else if (!ok)
        rt_line("FAILED: %s", components_failure());
    else
        rt_line("all children done");
    /* Our own work (spawning) failed only if no child is to blame. */
    seL4_Word mask = components_failed_mask();
    component_done(ok || mask != 0 ? 0 : 1, mask, components_ok_mask());
}
