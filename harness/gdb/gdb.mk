# harness/gdb: the interactive debug session (see harness/gdb/README.md).
#   make debug [KERNEL=... ROOTTASK=... DTB=... MACHINE=... GDB_ARGS=...]
# GDB_ARGS passes extra gdb options, e.g. -batch -ex ... to drive it from a script.

GDB        ?= gdb-multiarch
# DEBUG_DIR: the serial log and QEMU's pid file (two sessions at once need two).
DEBUG_DIR  ?= $(BUILD)/debug
GDB_ARGS   ?=

debug: image
	@mkdir -p $(DEBUG_DIR)
	BC_IMAGE="$(abspath $(OUT))" BC_KERNEL="$(abspath $(KERNEL))" BC_ROOTTASK="$(abspath $(ROOTTASK))" \
	BC_DTB="$(if $(DTB),$(abspath $(DTB)))" BC_MACHINE="$(RUN_MACHINE)" BC_CPU="$(RUN_CPU)" BC_MEM="$(RUN_MEM)" BC_SMP="$(KERNEL_CPUS)" \
	BC_ARCH="$(KERNEL_ARCH)" BC_GDB_ARCH="$($(KERNEL_ARCH)_GDB_ARCH)" \
	BC_SERIAL="$(abspath $(DEBUG_DIR))/serial.log" BC_PIDFILE="$(abspath $(DEBUG_DIR))/qemu.pid" \
	QEMU="$(RUN_QEMU)" $(GDB) -nx -q -x harness/gdb/session.py $(GDB_ARGS)
