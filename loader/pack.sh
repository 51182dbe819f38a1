#!/usr/bin/env bash
# Packs a kernel ELF, a root-task ELF and an optional DTB into a bootable
# loader image: a CPIO (newc) archive linked behind the already-compiled
# loader. Nothing of the loader is recompiled.
#
# usage: pack.sh KERNEL ROOTTASK [DTB] OUT
#
# A KERNEL that is a Linux arm64 Image (magic "ARM\x64" at offset 0x38) makes
# the Linux payload kind instead (loader/common/linux_image.h): members
# linux.Image, linux.initrd (env INITRD), linux.bootargs (env BOOTARGS) and
# kernel.dtb; ROOTTASK is not used.
# env:   CROSS LOADER_LIB LOADER_LDS LOADER_LINK_ADDR LIBFDT_ARM64 PACK_CHECK
#        PACK_RAM_MIB (RAM assumed by the pre-check), OVERRIDE (test-only
#        hand-off override file), PACK_UNCHECKED=1 (skip the pre-check, to
#        build deliberately broken images for the loader's own checks),
#        PAYLOAD_CPIO=archive (test-only, needs PACK_UNCHECKED=1: link this
#        archive as the payload instead of building one from KERNEL, ROOTTASK
#        and DTB, which are then ignored; the pre-check cannot read an archive,
#        and this is the only way to give the loader a malformed one),
#        HANDOFF_RECORD=symbol (opt-in hand-off record protocol, see
#        loader/common/handoff_record.h: the loader writes its boot record
#        into this kernel variable; empty, the default, for seL4).
set -euo pipefail
kernel=${1:-}; roottask=${2:-}; dtb=${3:-}; out=${4:-}
die() { echo "pack: error: $*" >&2; exit 1; }

payload_cpio=${PAYLOAD_CPIO:-}
if [ -n "$payload_cpio" ]; then
    [ "${PACK_UNCHECKED:-0}" = 1 ] || die "PAYLOAD_CPIO is test-only and needs PACK_UNCHECKED=1"
    [ -f "$payload_cpio" ] || die "payload archive '$payload_cpio' does not exist"
else
    [ -n "$kernel" ] || die "no kernel given (KERNEL=path)"
fi
linux=0
if [ -z "$payload_cpio" ] && [ -f "$kernel" ] &&
        [ "$(od -An -tx4 -j56 -N4 "$kernel" 2>/dev/null | tr -d ' ')" = 644d5241 ]; then
    linux=1
    [ -z "${INITRD:-}" ] || [ -f "$INITRD" ] || die "initrd '$INITRD' does not exist"
fi
if [ -z "$payload_cpio" ] && [ "$linux" = 0 ]; then
    [ -n "$roottask" ] || die "no root task given (ROOTTASK=path)"
fi
[ -n "$out" ] || die "no output path given (OUT=path)"
# The image is moved into place at the end: never over a device or a
# directory (as root, OUT=/dev/null would replace the device node).
[ ! -e "$out" ] || [ -f "$out" ] || die "OUT=$out exists and is not a regular file"
if [ -z "$payload_cpio" ]; then
    [ -f "$kernel" ] || die "kernel '$kernel' does not exist"
    [ "$linux" = 1 ] || [ -f "$roottask" ] || die "root task '$roottask' does not exist"
    [ -z "$dtb" ] || [ -f "$dtb" ] || die "DTB '$dtb' does not exist"
    [ -z "${OVERRIDE:-}" ] || [ -f "$OVERRIDE" ] || die "override file '$OVERRIDE' does not exist"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bootcheck-pack.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -n "$payload_cpio" ]; then
    cp "$payload_cpio" "$work/payload.cpio"
elif [ "$linux" = 1 ]; then
    "$PACK_CHECK" --linux-image "$kernel"
    mkdir "$work/payload"
    cp "$kernel" "$work/payload/linux.Image"
    members=(linux.Image)
    if [ -n "${INITRD:-}" ]; then cp "$INITRD" "$work/payload/linux.initrd"; members+=(linux.initrd); fi
    if [ -n "${BOOTARGS:-}" ]; then printf '%s' "$BOOTARGS" > "$work/payload/linux.bootargs"; members+=(linux.bootargs); fi
    if [ -n "$dtb" ]; then cp "$dtb" "$work/payload/kernel.dtb"; members+=(kernel.dtb); fi
    touch -d @0 "$work/payload"/*
    (cd "$work/payload" && printf '%s\n' "${members[@]}" | cpio -o -H newc --reproducible --quiet) \
        > "$work/payload.cpio"
else
    mkdir "$work/payload"
    cp "$kernel" "$work/payload/kernel.elf"
    cp "$roottask" "$work/payload/roottask.elf"
    members=(kernel.elf roottask.elf)
    if [ -n "$dtb" ]; then cp "$dtb" "$work/payload/kernel.dtb"; members+=(kernel.dtb); fi
    if [ -n "${OVERRIDE:-}" ]; then cp "$OVERRIDE" "$work/payload/handoff.override"; members+=(handoff.override); fi
    if [ -n "${HANDOFF_RECORD:-}" ]; then
        "$PACK_CHECK" --handoff-record "$kernel" "$HANDOFF_RECORD" "$work/payload/handoff.record"
        members+=(handoff.record)
    fi
    touch -d @0 "$work/payload"/*
    (cd "$work/payload" && printf '%s\n' "${members[@]}" | cpio -o -H newc --reproducible --quiet) \
        > "$work/payload.cpio"
fi

printf '\t.section .payload, "a"\n\t.incbin "%s"\n' "$work/payload.cpio" > "$work/payload.S"
# The loader looks for handoff.record only in images that say they have one
# (loader/src/handoff_record.h), so a boot without the protocol does not pay
# for a search of the archive.
# (Listed first: grep -q stopping early would fail the pipeline under pipefail.)
members_listed=$(cpio -it --quiet < "$work/payload.cpio" 2>/dev/null || true)
if grep -qx handoff.record <<< "$members_listed"; then
    printf '\t.globl payload_has_handoff_record\n\t.set payload_has_handoff_record, 1\n' \
        >> "$work/payload.S"
fi
# An SMP kernel (seL4's MAX_NUM_NODES > 1) needs its other cores started: the
# count is read from the kernel ELF here, by the loader's shared code, and
# linked in as an absolute symbol (loader/src/smp.h). A single-core kernel
# gets none, and its boot pays nothing for SMP.
# (A kernel pack-check cannot read gets nothing: the pre-check or the loader
# refuses it with its own message.)
if [ -z "$payload_cpio" ] && nodes=$("$PACK_CHECK" --kernel-nodes "$kernel" 2>/dev/null) &&
        [ "$nodes" -gt 1 ]; then
    printf '\t.globl payload_kernel_nodes\n\t.set payload_kernel_nodes, %u\n' "$nodes" >> "$work/payload.S"
fi
# The Linux payload kind (loader/src/linux_boot.h), flagged like the record.
if [ "$linux" = 1 ]; then
    printf '\t.globl payload_is_linux\n\t.set payload_is_linux, 1\n' >> "$work/payload.S"
fi
"${CROSS}gcc" -c "$work/payload.S" -o "$work/payload.o"

# The loader copies a payload DTB to an 8-byte aligned scratch area before
# reading it: sized here for this DTB (any size the placement allows), none
# without one. (A test archive: its whole size bounds every member.)
scratch=0
if [ -n "$payload_cpio" ]; then scratch=$(stat -c %s "$work/payload.cpio")
elif [ -n "$dtb" ]; then scratch=$(stat -c %s "$dtb"); fi
scratch=$(( (scratch + 4095) / 4096 * 4096 ))

link() {
    "${CROSS}gcc" -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
        -Wl,--no-warn-rwx-segments -T "$LOADER_LDS" -Wl,--defsym=LOADER_LINK_ADDR="$LOADER_LINK_ADDR" \
        -Wl,--defsym=DTB_SCRATCH_SIZE="$scratch" \
        -Wl,--whole-archive "$LOADER_LIB" -Wl,--no-whole-archive "$work/payload.o" \
        "$LIBFDT_ARM64" -lgcc -o "$1"
}
link "$work/image.elf"

if [ "${PACK_UNCHECKED:-0}" != 1 ] && [ "$linux" = 0 ]; then
    end=$("${CROSS}nm" "$work/image.elf" | awk '$3 == "__loader_end" { print "0x" $1 }')
    "$PACK_CHECK" "$kernel" "$roottask" "${dtb:--}" "${PACK_RAM_MIB:-1024}" "$LOADER_LINK_ADDR" "$end"
fi
mkdir -p "$(dirname "$out")"
mv "$work/image.elf" "$out"
echo "pack: wrote $out"
