# seL4's ABI table (targets/abi/sel4-abi.toml) as C: build/abi/sel4_abi_table.h
# and .c, for the root task, its components and the stand-in kernel. Users
# add $(SEL4_ABI_INCLUDE) to their include path, compile $(SEL4_ABI_C) and
# depend on $(SEL4_ABI_H). See targets/abi/README.md.
# A fragment that uses these variables in a rule's prerequisites includes
# this file first (make expands them when it reads the rule); the guard
# keeps it to one reading.
ifndef SEL4_ABI_MK_INCLUDED
SEL4_ABI_MK_INCLUDED := 1

SEL4_ABI_DIR     := targets/abi
SEL4_ABI_GEN_DIR := $(BUILD)/abi
SEL4_ABI_H       := $(SEL4_ABI_GEN_DIR)/sel4_abi_table.h
SEL4_ABI_C       := $(SEL4_ABI_GEN_DIR)/sel4_abi_table.c
SEL4_ABI_INCLUDE := -I$(SEL4_ABI_GEN_DIR)

# One rule makes both files (a grouped target).
$(SEL4_ABI_H) $(SEL4_ABI_C) &: $(SEL4_ABI_DIR)/sel4-abi.toml $(SEL4_ABI_DIR)/sel4abi.py \
                               $(SEL4_ABI_DIR)/gen_sel4_abi.py
	@mkdir -p $(SEL4_ABI_GEN_DIR)
	$(PYTHON) $(SEL4_ABI_DIR)/gen_sel4_abi.py --out-h $(SEL4_ABI_H) --out-c $(SEL4_ABI_C)

# A host program printing every number of the C table (test_abi_table.py
# compares it with sel4abi.py).
SEL4_ABI_DUMP := $(SEL4_ABI_GEN_DIR)/table-dump
$(SEL4_ABI_DUMP): $(SEL4_ABI_DIR)/table_dump.c $(SEL4_ABI_C) $(SEL4_ABI_H)
	$(HOSTCC) $(HOST_CFLAGS) $(SEL4_ABI_INCLUDE) -o $@ $(SEL4_ABI_DIR)/table_dump.c $(SEL4_ABI_C)

# The table against real builds' generated libsel4 headers (abi_check.py):
#     make abi-check SEL4_INCLUDE="/path/to/build/include [...]" [SEL4_RELEASE=16.0.0]
#                    [SEL4_KERNEL_BUILD=/path/to/kernel/build]   (cap tags; one include only)
SEL4_INCLUDE      ?=
SEL4_RELEASE      ?=
SEL4_KERNEL_BUILD ?=
.PHONY: abi-check
abi-check:
	@test -n "$(SEL4_INCLUDE)" || { echo "abi-check: give SEL4_INCLUDE=<a seL4 build's libsel4" \
	    "include tree> (e.g. <build>/include)" >&2; exit 2; }
	@status=0; for inc in $(SEL4_INCLUDE); do \
	    $(PYTHON) $(SEL4_ABI_DIR)/abi_check.py --include "$$inc" \
	        $(if $(SEL4_RELEASE),--release $(SEL4_RELEASE)) \
	        $(if $(SEL4_KERNEL_BUILD),--kernel-build $(SEL4_KERNEL_BUILD)) || status=1; \
	done; exit $$status

.PHONY: sel4-abi
sel4-abi: $(SEL4_ABI_H) $(SEL4_ABI_C) $(SEL4_ABI_DUMP)
all: sel4-abi

endif
