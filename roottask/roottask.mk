# Root task: a libsel4-free seL4 root task that checks the kernel's hand-off
# (entry registers, BootInfo, extra bootinfo/DTB, initial caps) and prints a
# machine-parseable report (see roottask/README.md).

ROOTTASK_ELF     := $(BUILD)/roottask/roottask.elf
ROOTTASK_OBJDIR  := $(BUILD)/roottask/obj
ROOTTASK_LDS     := roottask/roottask.ld
ROOTTASK_C_SRCS  := roottask/main.c roottask/entry_check.c roottask/bootinfo_check.c \
                    roottask/cap_check.c roottask/check.c roottask/print.c \
                    roottask/syscalls.c $(COMMON_DIR)/fmt.c
ROOTTASK_S_SRCS  := roottask/crt0.S
ROOTTASK_OBJS    := $(patsubst %.c,$(ROOTTASK_OBJDIR)/%.o,$(ROOTTASK_C_SRCS)) \
                    $(patsubst %.S,$(ROOTTASK_OBJDIR)/%.o,$(ROOTTASK_S_SRCS))
ROOTTASK_CFLAGS  := $(TARGET_CFLAGS) -Iroottask -I$(COMMON_DIR) -Itargets/include -MMD -MP

.PHONY: roottask
roottask: $(ROOTTASK_ELF)
all: $(ROOTTASK_ELF)

$(ROOTTASK_OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC_TARGET) $(ROOTTASK_CFLAGS) -c $< -o $@

$(ROOTTASK_OBJDIR)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC_TARGET) $(ROOTTASK_CFLAGS) -c $< -o $@

$(ROOTTASK_ELF): $(ROOTTASK_OBJS) $(ROOTTASK_LDS)
	@mkdir -p $(dir $@)
	$(CC_TARGET) $(TARGET_LDFLAGS) -T $(ROOTTASK_LDS) -o $@ $(ROOTTASK_OBJS) -lgcc

-include $(ROOTTASK_OBJS:.o=.d)
