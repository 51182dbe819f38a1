# Stand-in kernel: a small AArch64 kernel that honours seL4 13.0.0's
# loader-to-kernel hand-off (see targets/standin/README.md).

STANDIN_DIR    := targets/standin
STANDIN_BUILD  := $(BUILD)/targets/standin
STANDIN_KERNEL := $(BUILD)/targets/standin/kernel.elf
export STANDIN_KERNEL

STANDIN_C_SRCS := boot.c bootinfo.c cspace.c freemem.c inv_cnode.c inv_tcb.c inv_untyped.c \
                  inv_vspace.c invocation.c ipc.c kassert.c kstring.c power.c sched.c \
                  syscall.c thread.c uart.c vspace.c
STANDIN_S_SRCS := head.S vectors.S
STANDIN_OBJS   := $(addprefix $(STANDIN_BUILD)/,$(STANDIN_C_SRCS:.c=.o) $(STANDIN_S_SRCS:.S=.o)) \
                  $(STANDIN_BUILD)/common/fmt.o $(STANDIN_BUILD)/common/esr.o

# -fno-tree-loop-distribute-patterns: memset/memcpy are ours and must not
# be compiled into calls to themselves.
STANDIN_CFLAGS := $(TARGET_CFLAGS) -fno-tree-loop-distribute-patterns -mcmodel=small \
                  -I$(STANDIN_DIR) -Itargets/include -I$(COMMON_DIR) -MMD -MP

.PHONY: standin
standin: $(STANDIN_KERNEL)
all: $(STANDIN_KERNEL)

$(STANDIN_BUILD)/%.o: $(STANDIN_DIR)/%.c
	@mkdir -p $(@D)
	$(CC_TARGET) $(STANDIN_CFLAGS) -c $< -o $@

$(STANDIN_BUILD)/%.o: $(STANDIN_DIR)/%.S
	@mkdir -p $(@D)
	$(CC_TARGET) $(STANDIN_CFLAGS) -c $< -o $@

# Shared sources get their own object directory: a stale dependency file
# from when one of them lived in targets/standin/ is then never read.
$(STANDIN_BUILD)/common/%.o: $(COMMON_DIR)/%.c
	@mkdir -p $(@D)
	$(CC_TARGET) $(STANDIN_CFLAGS) -c $< -o $@

$(STANDIN_KERNEL): $(STANDIN_OBJS) $(STANDIN_DIR)/kernel.ld
	$(CC_TARGET) $(TARGET_LDFLAGS) -T $(STANDIN_DIR)/kernel.ld $(STANDIN_OBJS) -o $@ -lgcc

-include $(STANDIN_OBJS:.o=.d)
