# Real firmware and a second kernel from Debian, for harness/tests/test_uboot*.py
# and test_linux*.py: U-Boot for QEMU virt (package u-boot-qemu, installed by
# make deps) and Debian's arm64 Linux kernel, fetched with apt-get download
# and unpacked under build/ (never committed). Its /boot/vmlinuz-* is an
# uncompressed arm64 Image.
#
# make linux-image   fetches it (make deps runs it; a failed download only
#                    makes the Linux tests skip, with the reason)
# make uboot-run     packs $(OUT) (make image, same KERNEL= ROOTTASK= DTB=) and boots it
#                    through U-Boot's booti, printing the console

LINUX_DIR   := $(BUILD)/deps/linux
LINUX_IMAGE := $(LINUX_DIR)/Image
# The kernel the metapackage linux-image-arm64 currently depends on
# (linux-image-6.1.0-N-arm64).
LINUX_PKG_QUERY := apt-cache depends linux-image-arm64:arm64 2>/dev/null | \
    awk '/Depends: linux-image-6\.1\.0-[0-9]+-arm64/ {print $$2; exit}'

.PHONY: linux-image uboot-run
linux-image: $(LINUX_IMAGE)

$(LINUX_IMAGE):
	@mkdir -p $(LINUX_DIR)
	@pkg="$$($(LINUX_PKG_QUERY))"; \
	test -n "$$pkg" || { echo "error: apt knows no linux-image-arm64:arm64 (arm64 architecture" \
	    "not enabled or apt not updated; run make deps)" >&2; exit 1; }; \
	cd $(LINUX_DIR) && rm -f linux-image-*.deb && apt-get download -q "$$pkg" || { \
	    echo "error: apt-get download $$pkg failed (see above)" >&2; exit 1; }
	rm -rf $(LINUX_DIR)/unpacked && mkdir -p $(LINUX_DIR)/unpacked
	dpkg-deb --fsys-tarfile $(LINUX_DIR)/linux-image-*.deb | tar -x -C $(LINUX_DIR)/unpacked --wildcards './boot/vmlinuz-*'
	cp $(LINUX_DIR)/unpacked/boot/vmlinuz-* $@.tmp && mv $@.tmp $@
	@echo "linux-image: $@ from $$(basename $(LINUX_DIR)/linux-image-*.deb)"

uboot-run: image
	cd harness && $(PYTHON) -m bootcheck.board.uboot "$(abspath $(OUT))" --machine "$(MACHINE)" \
	    --cpu "$(CPU)" --mem "$(MEM)"
