"""Booting the way a board does: U-Boot's console and jump, Linux as a second
kernel, and the Linux arm64 boot contract."""
