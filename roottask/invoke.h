/* Kernel invocations for the spawn path, libsel4-free: each one is a
 * seL4_Call on a cap with a label, arguments (MR0..MR3 in registers, the rest
 * in the IPC buffer) and extra caps (IPC buffer caps_or_badges). Every
 * result is checked: a failure prints the invocation, its arguments and
 * seL4's error name, and is kept for the summary line. */
#ifndef ROOTTASK_INVOKE_H
#define ROOTTASK_INVOKE_H

#include "arch.h"
#include "sel4_abi.h"

#define INVOKE_MAX_ARGS (2 + ARCH_USER_CONTEXT_MAX > 14 ? 2 + ARCH_USER_CONTEXT_MAX : 14)

/* Where this thread's IPC buffer is mapped (the root task: BootInfo.ipcBuffer),
 * and the kernel's numNodes (BootInfo.numNodes; a component gets it from its
 * parent in x5). Every invocation below is numbered from the kernel's ABI
 * (kernel_abi.h); numNodes > 1 selects the SMP numbering of that release
 * and flavour (a non-MCS SMP kernel has TCBSetAffinity, which moves every
 * later label by one). */
void invoke_init(seL4_Word ipc_buffer_vaddr, seL4_Word num_nodes);

/* The IPC buffer given to invoke_init (replies' MR4 on are there too). */
seL4_IPCBuffer *invoke_ipc_buffer(void);

/* The numNodes given to invoke_init. */
seL4_Word invoke_num_nodes(void);

/* seL4's name for an error code ("seL4_NotEnoughMemory"). */
const char *sel4_error_name(seL4_Word error);

/* "<Invocation> -> <error name>" of the last failed invocation. */
const char *invoke_last_failure(void);

/* The invocations. Each returns seL4's error code (0 = success). Slots of
 * the root CNode are cptrs; dest slots are named as (index, depth). */
seL4_Word untyped_retype(seL4_Word untyped, seL4_Word type, seL4_Word size_bits, seL4_Word root,
                         seL4_Word node_index, seL4_Word node_depth, seL4_Word node_offset,
                         seL4_Word num_objects);
seL4_Word cnode_copy(seL4_Word dest_root, seL4_Word dest_index, seL4_Word dest_depth,
                     seL4_Word src_root, seL4_Word src_index, seL4_Word src_depth,
                     seL4_Word rights);
seL4_Word cnode_mint(seL4_Word dest_root, seL4_Word dest_index, seL4_Word dest_depth,
                     seL4_Word src_root, seL4_Word src_index, seL4_Word src_depth,
                     seL4_Word rights, seL4_Word badge);
/* On MCS TCB_Configure has no fault endpoint (fault_ep is not used; give it
 * with tcb_set_sched_params). */
seL4_Word tcb_configure(seL4_Word tcb, seL4_Word fault_ep, seL4_Word cspace_root,
                        seL4_Word cspace_root_data, seL4_Word vspace_root,
                        seL4_Word vspace_root_data, seL4_Word buffer, seL4_Word buffer_frame);
/* Writes pc, sp, spsr and x0..x(n_x - 1), n_x <= 9 (the first 3 + n_x
 * words of seL4_UserContext). */
seL4_Word tcb_write_registers(seL4_Word tcb, seL4_Word resume, seL4_Word pc, seL4_Word sp,
                              const seL4_Word *x, unsigned n_x);
seL4_Word tcb_set_priority(seL4_Word tcb, seL4_Word authority, seL4_Word priority);
seL4_Word tcb_set_mc_priority(seL4_Word tcb, seL4_Word authority, seL4_Word mcp);
seL4_Word tcb_resume(seL4_Word tcb);
/* MCP, priority and (MCS) the SchedContext to bind and the fault endpoint,
 * both caps in the caller's CSpace (the kernel copies the fault endpoint
 * into the TCB). Non-MCS: sc and fault_ep are not used. */
seL4_Word tcb_set_sched_params(seL4_Word tcb, seL4_Word authority, seL4_Word mcp,
                               seL4_Word priority, seL4_Word sc, seL4_Word fault_ep);
/* MCS: gives SchedContext `sc` a budget of budget_us every period_us on the
 * SchedControl cap's core. */
seL4_Word sched_control_configure_flags(seL4_Word sched_control, seL4_Word sc, seL4_Word budget_us,
                                        seL4_Word period_us, seL4_Word extra_refills,
                                        seL4_Word badge, seL4_Word flags);
seL4_Word page_table_map(seL4_Word page_table, seL4_Word vspace, seL4_Word vaddr, seL4_Word attr);
seL4_Word page_map(seL4_Word frame, seL4_Word vspace, seL4_Word vaddr, seL4_Word rights,
                   seL4_Word attr);
seL4_Word asid_pool_assign(seL4_Word pool, seL4_Word vspace);

/* Turns the failure report off or on (a probe that provokes errors on
 * purpose prints its own lines). */
void invoke_set_quiet(int quiet);

#endif
