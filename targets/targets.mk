# Stand-in kernel: a small AArch64 kernel that honours seL4 13.0.0's
# loader-to-kernel hand-off (see targets/standin/README.md). Two builds from
# the same sources, each with its own objects: kernel.elf boots one core
# (MAX_NUM_NODES 1), kernel-smp4.elf four (MAX_NUM_NODES 4, seL4's SMP
# contract and invocation numbering).

STANDIN_DIR    := targets/standin
STANDIN_BUILD  := $(BUILD)/targets/standin
STANDIN_KERNEL := $(BUILD)/targets/standin/kernel.elf
export STANDIN_KERNEL

STANDIN_SMP_NODES  := 4
STANDIN_SMP_BUILD  := $(BUILD)/targets/standin-smp$(STANDIN_SMP_NODES)
STANDIN_SMP_KERNEL := $(BUILD)/targets/standin/kernel-smp$(STANDIN_SMP_NODES).elf
export STANDIN_SMP_KERNEL

STANDIN_C_SRCS := boot.c bootinfo.c cspace.c freemem.c inv_cnode.c inv_tcb.c inv_untyped.c \
                  inv_vspace.c invocation.c ipc.c fault.c notification.c kassert.c kstring.c \
                  power.c sched.c \
                  syscall.c thread.c uart.c vspace.c
STANDIN_SMP_C_SRCS := $(STANDIN_C_SRCS) smp.c
STANDIN_S_SRCS := head.S vectors.S
STANDIN_COMMON_SRCS := fmt.c esr.c

# $(call standin_objs,OBJDIR,C_SRCS): a build's objects, in link order.
# Shared sources get their own object directory: a stale dependency file
# from when one of them lived in targets/standin/ is then never read.
standin_objs = $(addprefix $(1)/,$(2:.c=.o) $(STANDIN_S_SRCS:.S=.o)) \
               $(addprefix $(1)/common/,$(STANDIN_COMMON_SRCS:.c=.o))

STANDIN_OBJS     := $(call standin_objs,$(STANDIN_BUILD),$(STANDIN_C_SRCS))
STANDIN_SMP_OBJS := $(call standin_objs,$(STANDIN_SMP_BUILD),$(STANDIN_SMP_C_SRCS))

# -fno-tree-loop-distribute-patterns: memset/memcpy are ours and must not
# be compiled into calls to themselves.
STANDIN_CFLAGS := $(TARGET_CFLAGS) -fno-tree-loop-distribute-patterns -mcmodel=small \
                  -I$(STANDIN_DIR) -Itargets/include -I$(COMMON_DIR) -MMD -MP
STANDIN_SMP_CFLAGS := $(STANDIN_CFLAGS) -DMAX_NUM_NODES=$(STANDIN_SMP_NODES)

.PHONY: standin standin-smp
standin: $(STANDIN_KERNEL)
standin-smp: $(STANDIN_SMP_KERNEL)
all: $(STANDIN_KERNEL) $(STANDIN_SMP_KERNEL)

# $(call standin_kernel,ELF,OBJDIR,CFLAGS,OBJS): one build of the stand-in.
define standin_kernel
$(2)/%.o: $(STANDIN_DIR)/%.c
	@mkdir -p $$(@D)
	$(CC_TARGET) $(3) -c $$< -o $$@

$(2)/%.o: $(STANDIN_DIR)/%.S
	@mkdir -p $$(@D)
	$(CC_TARGET) $(3) -c $$< -o $$@

$(2)/common/%.o: $(COMMON_DIR)/%.c
	@mkdir -p $$(@D)
	$(CC_TARGET) $(3) -c $$< -o $$@

$(1): $(4) $(STANDIN_DIR)/kernel.ld
	@mkdir -p $$(@D)
	$(CC_TARGET) $(TARGET_LDFLAGS) -T $(STANDIN_DIR)/kernel.ld $(4) -o $$@ -lgcc

-include $(4:.o=.d)
endef

$(eval $(call standin_kernel,$(STANDIN_KERNEL),$(STANDIN_BUILD),$(STANDIN_CFLAGS),$(STANDIN_OBJS)))
$(eval $(call standin_kernel,$(STANDIN_SMP_KERNEL),$(STANDIN_SMP_BUILD),$(STANDIN_SMP_CFLAGS),$(STANDIN_SMP_OBJS)))
