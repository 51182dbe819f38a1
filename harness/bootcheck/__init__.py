"""bootcheck's Python side: run QEMU, pack images, compute expectations."""
