"""Each invocation check the stand-in kernel makes for the spawn path,
provoked by the errprobe root task (fixtures/components/errprobe/): the code
that comes back must be the one seL4 13.0.0 documents for that mistake, on
the stand-in and (with SEL4_KERNEL) on real seL4, so the stand-in cannot
drift from seL4. Codes: shared/sel4-aarch64-handoff.md §5 "Error codes"."""

import pytest

from spawn_support import facts
from conftest import KERNEL_PARAMS, kernel_choice

pytestmark = pytest.mark.qemu

OK, INVALID_ARGUMENT, INVALID_CAPABILITY, ILLEGAL_OPERATION = 0, 1, 2, 3
RANGE_ERROR, ALIGNMENT_ERROR, FAILED_LOOKUP, DELETE_FIRST, NOT_ENOUGH_MEMORY = 4, 5, 6, 8, 10

# case -> (codes in order, the seL4 rule being checked)
CASES = {
    "retype_watermark": ([OK, NOT_ENOUGH_MEMORY, OK, NOT_ENOUGH_MEMORY],
                         "2^b untyped: TCB, then 2^b does not fit, 2^(b-1) fits aligned "
                         "past the TCB, then it is full"),
    "retype_dest_occupied": ([DELETE_FIRST], "destination slot must be empty"),
    "retype_bad_type": ([INVALID_ARGUMENT], "object type out of range"),
    "retype_offset_past_cnode": ([RANGE_ERROR], "node_offset beyond the CNode"),
    "retype_zero_objects": ([RANGE_ERROR], "num_objects must be 1..256"),
    "retype_bigger_than_untyped": ([NOT_ENOUGH_MEMORY], "object larger than the untyped"),
    "retype_tcb_from_device": ([INVALID_ARGUMENT], "kernel objects never from device memory"),
    "copy_dest_occupied": ([DELETE_FIRST], "CNode_Copy into a used slot"),
    "copy_src_empty": ([FAILED_LOOKUP], "CNode_Copy from an empty slot"),
    "copy_depth_too_big": ([RANGE_ERROR], "depth above 64"),
    "mint_badge_twice": ([OK, ILLEGAL_OPERATION], "a badged endpoint cannot be re-badged"),
    "page_map_misaligned": ([ALIGNMENT_ERROR], "vaddr not page aligned"),
    "page_map_no_page_table": ([FAILED_LOOKUP], "no page table covers vaddr"),
    "page_map_second_address": ([OK, INVALID_ARGUMENT], "a mapped frame cap maps only once"),
    "page_map_read_back": ([OK], "the mapped frame is readable and writable"),
    "page_table_map_twice": ([OK, INVALID_CAPABILITY], "a mapped page-table cap maps only once"),
    "page_table_map_slot_taken": ([DELETE_FIRST], "a table is already there"),
    "asid_assign_twice": ([OK, INVALID_CAPABILITY], "a VSpace gets one ASID"),
    "set_priority_above_mcp": ([RANGE_ERROR], "priority 256 above the authority's MCP 255"),
    "write_own_registers": ([ILLEGAL_OPERATION], "a thread cannot WriteRegisters itself"),
    "configure_cspace_not_cnode": ([ILLEGAL_OPERATION], "CSpace root must be a CNode"),
    "configure_ipc_buffer_misaligned": ([ALIGNMENT_ERROR], "IPC buffer 1 KiB aligned"),
    "invoke_empty_slot": ([INVALID_CAPABILITY], "invoking a null cap"),
}

_boots = {}


def probe_facts(kind, kernel, artifacts, booter):
    """errprobe booted once per kernel for the whole run (booter.boot_shared)."""
    if kind not in _boots:
        image = booter.pack(kernel, f"{artifacts.fixtures}/components/errprobe.elf")
        r = booter.boot_shared(image, timeout=60)
        assert "roottask: probe done" in r.lines, r.describe()
        _boots[kind] = (facts(r.serial), r)
    return _boots[kind]


@pytest.fixture(params=KERNEL_PARAMS)
def kernel(request, artifacts):
    return request.param, kernel_choice(request.param, artifacts)


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_code_matches_sel4(case, kernel, artifacts, booter):
    kind, path = kernel
    got, r = probe_facts(kind, path, artifacts, booter)
    want, rule = CASES[case]
    assert case in [k[len("probe."):] for k in got if k.startswith("probe.")], r.describe()
    assert [int(v) for v in got[f"probe.{case}"]] == want, f"{rule}\n{r.describe()}"


def test_every_probe_case_is_checked(kernel, artifacts, booter):
    """No case printed by errprobe goes unjudged."""
    kind, path = kernel
    got, _ = probe_facts(kind, path, artifacts, booter)
    assert {k[len("probe."):] for k in got if k.startswith("probe.")} == set(CASES)
