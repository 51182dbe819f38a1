"""gdb-multiarch -batch -x uboot_gdb_capture.py, with BOOTCHECK_UBOOT_CAPTURE
holding {"qemu": command, "pidfile", "entry", "out", optional "step"}
(bootcheck.board.uboot).

Starts QEMU (halted, gdb protocol on its stdio), stops it at the image's
entry with a hardware breakpoint (U-Boot copies the image over any software
breakpoint), writes every register below that gdb can read (and the DTB x0 points at)
to `out` as JSON and lets the boot go on. Meanwhile bootcheck.board.uboot drives U-Boot's console."""
import json
import os

import gdb  # noqa: F401  (only importable inside gdb)

GENERAL = [f"x{i}" for i in range(31)] + ["sp", "pc", "cpsr"]
# gdb's names for QEMU's system registers (SCTLR_EL1 is SCTLR, VBAR_EL1 VBAR).
SYSTEM = ["SCTLR", "SCTLR_EL2", "TCR_EL1", "TCR_EL2", "MAIR_EL1", "MAIR_EL2", "TTBR0_EL1",
          "TTBR1_EL1", "TTBR0_EL2", "VBAR", "VBAR_EL2", "HCR_EL2", "CPACR_EL1", "CPTR_EL2",
          "CNTHCTL_EL2", "CNTVOFF_EL2", "CNTKCTL_EL1", "CNTV_CTL_EL0", "CNTP_CTL_EL0",
          "SPSR_EL2", "ELR_EL2", "SP_EL1", "SP_EL0", "TPIDR_EL1", "MDCR_EL2", "VTTBR_EL2",
          "ICC_SRE_EL1", "ICC_SRE_EL2"]


def quiet(command):
    return gdb.execute(command, to_string=True)


def register(name):
    try:
        value = gdb.parse_and_eval(f"${name}")
        if str(value) == "void":
            return None
        return int(value) & ((1 << (8 * value.type.sizeof)) - 1)
    except gdb.error:
        return None


FDT_MAGIC = 0xd00dfeed
DTB_MAX = 2 << 20   # the Linux contract's bound for a DTB passed in x0


def read_dtb(address):
    """The DTB at address (big-endian header: magic, totalsize), or None; of
    one claiming more than 2 MiB only the header (the judge names its size).
    Any alignment: whether x0 is aligned is for the judge to say."""
    if address == 0:
        return None
    try:
        head = bytes(gdb.selected_inferior().read_memory(address, 64))
        if int.from_bytes(head[:4], "big") != FDT_MAGIC:
            return None
        size = int.from_bytes(head[4:8], "big")
        if size > DTB_MAX:
            return head
        return bytes(gdb.selected_inferior().read_memory(address, size))
    except gdb.MemoryError:
        return None


def main():
    plan = json.loads(os.environ["BOOTCHECK_UBOOT_CAPTURE"])
    for c in ("set pagination off", "set confirm off", "set remotetimeout 30", "set architecture aarch64"):
        quiet(c)
    quiet(f"target remote | echo $$ > {plan['pidfile']}; exec {plan['qemu']}")
    quiet(f"hbreak *0x{plan['entry']:x}")
    state = {"entry": plan["entry"], "reached": False}
    try:
        quiet("continue")
        state["reached"] = register("pc") == plan["entry"]
        if state["reached"] and plan.get("step"):
            # Stopped on a loader's last instruction (a branch): one step
            # lands on the first instruction of what it enters.
            quiet(f"stepi {int(plan['step'])}")
    except gdb.error as e:
        state["error"] = str(e)
    if state["reached"]:
        state["registers"] = {n: v for n in GENERAL + SYSTEM if (v := register(n)) is not None}
        state["el"] = (state["registers"]["cpsr"] >> 2) & 3
        dtb = read_dtb(state["registers"]["x0"])
        if dtb is not None:
            state["dtb_hex"] = dtb.hex()
    with open(plan["out"] + ".tmp", "w") as f:
        json.dump(state, f, indent=1)
    os.rename(plan["out"] + ".tmp", plan["out"])
    # The boot goes on (the console decides when it has seen enough).
    quiet("delete")
    try:
        quiet("continue")
    except gdb.error:
        pass


main()
