"""QEMU + GDB: the one QEMU command line, bounded boots that end when their
outcome is decided, gdb scenario runs, and RISC-V's gdb stops."""
