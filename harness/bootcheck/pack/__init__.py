"""Images to boot: the pack step as make runs it, packing from tests, minimal
ELF files, and the run cache every pytest-xdist worker shares."""
