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
#        into this kernel variable; empty, the default, for seL4),
#        LIBGCC=path (the target's libgcc.a; asked of ${CROSS}gcc when unset),
#        PACK_ARCH=aarch64|riscv64 (the kernel's architecture, as make read it
#        from its e_machine; asked of pack-check when unset; says a test
#        archive's), RISCV_CROSS RISCV_LOADER_LIB RISCV_LOADER_LDS
#        RISCV_LOADER_LINK_ADDR (the riscv64 loader, loader/arch/riscv64).
#
# The suite packs a few hundred images per run, so this script starts as few
# processes as it can: the assembler and linker are called directly (not
# through the gcc driver), and shell builtins do the text work.
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
# Whether file $1 has the Linux arm64 Image magic "ARM\x64" at offset 0x38,
# read with builtins: the file as NUL-separated chunks (a variable cannot
# hold a NUL), at most 57 of them before offset 0x38 is passed.
is_linux_image() {
    local LC_ALL=C chunk pos=0 more
    while (( pos <= 56 )); do
        more=0
        IFS= read -r -d '' chunk || more=1
        if (( pos + ${#chunk} >= 60 )); then [[ ${chunk:56-pos:4} == ARM$'\x64' ]]; return; fi
        (( more == 0 )) || return 1
        pos=$(( pos + ${#chunk} + 1 ))
    done
    return 1
} 2>/dev/null
linux=0
if [ -z "$payload_cpio" ] && [ -f "$kernel" ] && is_linux_image < "$kernel" 2>/dev/null; then
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

# The kernel's architecture (its ELF e_machine) decides the image's: a
# riscv64 kernel gets the riscv64 loader, which has no libfdt and no libgcc
# (Debian has neither for its lp64 ABI) and is linked where OpenSBI starts it
# (see the link step).
arch=${PACK_ARCH:-}
if [ -z "$arch" ]; then
    arch=aarch64
    if [ -z "$payload_cpio" ] && [ "$linux" = 0 ]; then
        arch=$("$PACK_CHECK" --arch "$kernel") || die "cannot read the architecture of kernel '$kernel'"
    fi
fi
case $arch in
aarch64) as_flags=(-EL -mabi=lp64) ;;
riscv64)
    CROSS=$RISCV_CROSS LOADER_LIB=$RISCV_LOADER_LIB LOADER_LDS=$RISCV_LOADER_LDS
    LOADER_LINK_ADDR=$RISCV_LOADER_LINK_ADDR
    as_flags=(-mabi=lp64 -march=rv64imac_zicsr_zifencei) ;;
*) die "no loader for architecture '$arch' (aarch64 or riscv64)" ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/bootcheck-pack.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The archive is written by pack-check (loader/host/cpio_write.h) straight
# from the member files, under their archive names, byte for byte what cpio
# made of copies of them with their times set to 0. It prints the kernel's
# core count and the DTB's size, which the link needs.
nodes=0 dtb_size=0 sizes=
if [ -n "$payload_cpio" ]; then
    cp "$payload_cpio" "$work/payload.cpio"
    members_listed=$(cpio -it --quiet < "$work/payload.cpio" 2>/dev/null || true)
elif [ "$linux" = 1 ]; then
    "$PACK_CHECK" --linux-image "$kernel"
    members=("linux.Image=$kernel")
    if [ -n "${INITRD:-}" ]; then members+=("linux.initrd=$INITRD"); fi
    if [ -n "${BOOTARGS:-}" ]; then
        printf '%s' "$BOOTARGS" > "$work/linux.bootargs"
        members+=("linux.bootargs=$work/linux.bootargs")
    fi
    if [ -n "$dtb" ]; then members+=("kernel.dtb=$dtb"); fi
    sizes=$("$PACK_CHECK" --payload "$work/payload.cpio" --object "$work/payload.o" "$arch" "${members[@]}")
else
    # riscv64: the loader copies a member fastest when its bytes are 8-byte
    # aligned in memory (RISC-V has no cheap misaligned load; see
    # loader/arch/riscv64/libc.c). loader.ld starts the archive 4 bytes past
    # an 8-byte boundary, which aligns kernel.elf's bytes (at offset 124);
    # with --align8 a later member PAD/NAME whose bytes would sit 4 bytes off
    # gets an empty member PAD before it (pad.r, pad.d: header and name take
    # 116 bytes, moving it by 4). The loader looks members up by name and
    # never reads these.
    members=("kernel.elf=$kernel" "pad.r/roottask.elf=$roottask")
    if [ -n "$dtb" ]; then members+=("pad.d/kernel.dtb=$dtb"); fi
    if [ -n "${OVERRIDE:-}" ]; then members+=("handoff.override=$OVERRIDE"); fi
    if [ -n "${HANDOFF_RECORD:-}" ]; then
        "$PACK_CHECK" --handoff-record "$kernel" "$HANDOFF_RECORD" "$work/handoff.record"
        members+=("handoff.record=$work/handoff.record")
    fi
    align=()
    if [ "$arch" = riscv64 ]; then align=(--align8); fi
    # The pre-check's checks of the inputs on their own (ELF, DTB blob) run
    # here, before the archive is written: a broken input is refused, with
    # the same line the full pre-check prints, before the assembler and
    # linker run. The plan, which needs the linked loader's extent, is
    # checked after the link.
    check=()
    if [ "${PACK_UNCHECKED:-0}" != 1 ]; then check=(--check "$kernel" "$roottask" "${dtb:--}"); fi
    sizes=$("$PACK_CHECK" --payload "$work/payload.cpio" "${align[@]}" --nodes "$kernel" "${check[@]}" \
            --object "$work/payload.o" "$arch" "${members[@]}")
fi
if [ -z "$payload_cpio" ]; then
    read -r nodes dtb_size <<< "$sizes"
    names=("${members[@]%%=*}")
    printf -v members_listed '%s\n' "${names[@]#*/}"
fi

# The payload object: the archive in section .payload, and absolute symbols
# the loader reads: payload_has_handoff_record when the archive holds
# handoff.record (loader/arch/aarch64/handoff_record.h: a boot without the
# protocol does not pay for a search of the archive), payload_kernel_nodes
# for an SMP kernel (seL4's MAX_NUM_NODES > 1, read from the kernel ELF by
# the loader's shared code; loader/arch/aarch64/smp.h: a single-core kernel
# gets none and pays nothing for SMP; a kernel pack-check cannot read gets
# none either, and the pre-check or the loader refuses it), payload_is_linux
# for the Linux payload kind (loader/arch/aarch64/linux_boot.h).
# pack-check --payload --object wrote it beside the archive (no assembler
# process). A test archive (PAYLOAD_CPIO; no kernel, so neither of the last
# two) is assembled here, from a here-string (no file, no preprocessor).
if [ -n "$payload_cpio" ]; then
    printf -v payload_s '\t.section .payload, "a"\n\t.incbin "%s"' "$work/payload.cpio"
    if [[ $'\n'"$members_listed"$'\n' == *$'\n'handoff.record$'\n'* ]]; then
        payload_s+=$'\n\t.globl payload_has_handoff_record\n\t.set payload_has_handoff_record, 1'
    fi
    "${CROSS}as" "${as_flags[@]}" -o "$work/payload.o" <<< "$payload_s"
fi

# The loader copies a payload DTB to an 8-byte aligned scratch area before
# reading it: sized here for this DTB (any size the placement allows), none
# without one. (A test archive: its whole size bounds every member.)
scratch=$dtb_size
if [ -n "$payload_cpio" ]; then scratch=$(stat -c %s "$work/payload.cpio"); fi
scratch=$(( (scratch + 4095) / 4096 * 4096 ))

# ld itself, with what the gcc driver would give it for this static,
# freestanding link (-X, the Cortex-A53 erratum 843419 fix, libgcc) and the
# linker script last, as the driver puts it: the script's
# DEFINED(DTB_SCRATCH_SIZE) sees only the symbols defined before it.
if [ "$arch" = aarch64 ]; then
    libgcc=${LIBGCC:-$("${CROSS}gcc" -print-libgcc-file-name)}
    link_flags=(--fix-cortex-a53-843419) link_libs=("$LIBFDT_ARM64" "$libgcc")
else
    link_flags=() link_libs=()
fi
link() {
    "${CROSS}ld" -static -X "${link_flags[@]}" --build-id=none -z max-page-size=4096 \
        --no-warn-rwx-segments --defsym=LOADER_LINK_ADDR="$LOADER_LINK_ADDR" \
        --defsym=DTB_SCRATCH_SIZE="$scratch" \
        --whole-archive "$LOADER_LIB" --no-whole-archive "$work/payload.o" \
        "${link_libs[@]}" -T "$LOADER_LDS" -o "$work/image.elf"
}
# __loader_end from the image's symbol table (readelf -sW: Num: Value Size
# Type Bind Vis Ndx Name).
loader_end() {
    local symbols loader_end_line=$'\n *[0-9]+: ([0-9a-f]+) [^\n]* __loader_end(\n|$)'
    symbols=$("${CROSS}readelf" -sW "$work/image.elf")
    end=
    if [[ $symbols =~ $loader_end_line ]]; then end=0x${BASH_REMATCH[1]}; fi
}
link
# riscv64: linked at OpenSBI's next-stage address unless the plan puts
# something there (seL4 16.0.0's kernel is linked at 0x80200000 itself);
# then at the first 2 MiB boundary above all it places, where QEMU's OpenSBI
# (-bios default) starts it all the same.
if [ "$arch" = riscv64 ] && [ "${PACK_UNCHECKED:-0}" != 1 ]; then
    loader_end
    at=$("$PACK_CHECK" --link-addr "$kernel" "$roottask" "${dtb:--}" "${PACK_RAM_MIB:-1024}" 0 \
         $(( end - LOADER_LINK_ADDR )))
    if (( at != LOADER_LINK_ADDR )); then
        echo "pack: the plan places the kernel at $LOADER_LINK_ADDR; the riscv64 loader is linked at $at"
        # A firmware with a fixed jump address (Debian's fw_jump.bin) still
        # enters at the old address: 8 bytes there branch to the loader (a0,
        # a1 kept). Only the entry runs them; the kernel is loaded over them.
        "${CROSS}as" "${as_flags[@]}" -o "$work/jump.o" <<< $'\t.section .fw_jump, "ax"\n1:\tauipc t0, %pcrel_hi(_start)\n\tjalr zero, %pcrel_lo(1b)(t0)'
        link_libs+=("$work/jump.o" --section-start=.fw_jump="$LOADER_LINK_ADDR")
        LOADER_LINK_ADDR=$at
        link
    fi
fi

if [ "${PACK_UNCHECKED:-0}" != 1 ] && [ "$linux" = 0 ]; then
    # @image: pack-check reads __loader_end from the image itself.
    "$PACK_CHECK" "$kernel" "$roottask" "${dtb:--}" "${PACK_RAM_MIB:-1024}" "$LOADER_LINK_ADDR" "@$work/image.elf"
fi
case $out in */*) outdir=${out%/*}; [ -d "${outdir:-/}" ] || mkdir -p "$outdir" ;; esac
mv "$work/image.elf" "$out"
echo "pack: wrote $out"
