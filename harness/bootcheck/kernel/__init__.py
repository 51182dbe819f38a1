"""What a run is about, read once from the ELF files and the DTB: the kernel's
target description (architecture, seL4 release, MCS, hyp, cores), the
machine facts per architecture, seL4's placement rule, boot-log words and
root-task failure reports, and the values a boot is expected to show."""
