#!/usr/bin/env bash
# Builds build/sdcard.img: a bootable SD card image for Raspberry Pi 3 and 4,
# without root. One FAT32 partition with Debian's raspi-firmware boot files,
# the device trees, boot/config.txt, boot/cmdline.txt and kernel8.img.
# Write it with: dd if=build/sdcard.img of=/dev/sdX bs=4M conv=fsync
# Usage: scripts/sdcard.sh [--firmware DIR]   (DIR: a local copy of the
#        firmware files, e.g. /usr/lib/raspi-firmware, instead of the package)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

firmware=""
while [ $# -gt 0 ]; do
    case "$1" in
        --firmware) firmware=${2:?--firmware needs a directory}; shift ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) die "unknown option '$1'" ;;
    esac
    shift
done

ensure_command mkfs.vfat dosfstools
ensure_command fsck.vfat dosfstools
ensure_command mcopy mtools
ensure_command dpkg-deb dpkg

work=build/sdcard
rm -rf "$work" && mkdir -p "$work"

# Debian's raspi-firmware lives in the non-free-firmware component, which
# the system's apt sources may not list, and the Pi device trees come with
# Debian's arm64 Linux image. Both are fetched with a private apt state (no
# root needed) from the mirror the system already uses (scripts/lib.sh).
apt_dir=$work/apt
apt_extract() { apt_private_extract "$apt_dir" "$1" "$work/extract"; }
dtbs=""
if [ -z "$firmware" ]; then
    apt_private_setup "$apt_dir" arm64 "SUITE main non-free-firmware"
    echo "fetching raspi-firmware..." >&2
    apt_extract raspi-firmware
    firmware=$work/extract/usr/lib/raspi-firmware
    dtbs=$(ensure_pi_dtbs)
fi
[ -n "$dtbs" ] || dtbs=$firmware
for f in bootcode.bin start.elf fixup.dat start4.elf fixup4.dat; do
    [ -f "$firmware/$f" ] || die "firmware file $f missing from $firmware"
done

kernel=$(scripts/build.sh raspi)

# The FAT32 partition: 64 MiB (FAT32 needs at least 65525 clusters).
part=$work/boot.vfat
part_mib=64
rm -f "$part"
mkfs.vfat -C -F 32 -n GRANULE -S 512 -s 1 "$part" $((part_mib * 1024)) >/dev/null
files=("$firmware"/bootcode.bin "$firmware"/start*.elf "$firmware"/fixup*.dat
       boot/config.txt boot/cmdline.txt "$kernel")
mcopy -i "$part" "${files[@]}" ::/
# The firmware asks for its own file names; Linux ships upstream names.
# Without a device tree Granule still boots (board defaults, 1 GiB or less).
for pair in bcm2710-rpi-3-b:bcm2837-rpi-3-b bcm2710-rpi-3-b-plus:bcm2837-rpi-3-b-plus \
            bcm2711-rpi-4-b:bcm2711-rpi-4-b bcm2712-rpi-5-b:bcm2712-rpi-5-b; do
    want=${pair%%:*}.dtb upstream=${pair#*:}.dtb
    for source in "$dtbs/$want" "$dtbs/$upstream"; do
        if [ -f "$source" ]; then mcopy -i "$part" "$source" "::/$want"; continue 2; fi
    done
    echo "note: no device tree for $want" >&2
done
if [ -f "$firmware/overlays/disable-bt.dtbo" ]; then
    mmd -i "$part" ::/overlays
    mcopy -i "$part" "$firmware/overlays/disable-bt.dtbo" ::/overlays/
fi
# What the card runs, and how QEMU's raspi4b differs from the board.
cat >"$work/README.txt" <<'CARD'
Granule for Raspberry Pi 3 and 4: kernel8.img, the Raspberry Pi firmware,
config.txt, cmdline.txt and the device trees. The console is the PL011 on
GPIO 14 (TX, pin 8) and 15 (RX, pin 10), 115200 8N1.

This kernel8.img is the image `scripts/run.sh --board raspi4b` boots on
QEMU 10's raspi4b with this card's bcm2711-rpi-4-b.dtb: what runs there is
what a Pi 4 runs from this card. The model differs from the board: it writes
one 960 MiB RAM range into the tree (the firmware lists all RAM), passes no
tree without -dtb, leaves out PCIe, RNG200, thermal and GENET, ignores the
UART's baud rate and GPIO routing, and models no caches or TLBs.
CARD
mcopy -i "$part" "$work/README.txt" ::/README.txt
fsck.vfat -n "$part" >/dev/null || die "fsck.vfat found errors in the boot partition"

# The card: an MBR with one bootable FAT32 (LBA) partition at 1 MiB.
image=build/sdcard.img
start=2048 sectors=$((part_mib * 2048))
le32() { local h; h=$(printf '%08x' "$1"); printf "\\x${h:6:2}\\x${h:4:2}\\x${h:2:2}\\x${h:0:2}"; }
rm -f "$image"
truncate -s $(((start + sectors) * 512)) "$image"
{ printf '\x80\xfe\xff\xff\x0c\xfe\xff\xff'; le32 $start; le32 $sectors; } |
    dd of="$image" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$image" bs=1 seek=510 conv=notrunc status=none
dd if="$part" of="$image" bs=1M seek=1 conv=notrunc status=none
echo "$image: $(du -h --apparent-size "$image" | cut -f1), boot partition checked by fsck.vfat; contents:"
mdir -i "$part" -b ::/ | sed 's|^::/|  |'
