"""Code that runs inside gdb-multiarch's Python (and, for the pure modules
expr, pagetable and esr, also in the host-side tests)."""
