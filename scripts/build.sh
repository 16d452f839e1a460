#!/usr/bin/env bash
# Builds the kernel for one board: build/BOARD/granule.elf and the raw image
# the loader takes (build/virt/Image, build/raspi3b/kernel8.img).
# Usage: scripts/build.sh [virt|raspi3b|raspi4b|raspi]   (one image for every
#        Raspberry Pi; raspi4b and raspi name its QEMU board and SD card copies)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

board=${1:-virt}
case "$board" in
    virt)          load=0x40200000 ram=0x40000000 image=Image ;;
    raspi3b|raspi4b|raspi) load=0x80000    ram=0x0        image=kernel8.img ;;
    *) die "unknown board '$board' (expected virt, raspi3b or raspi4b)" ;;
esac

ensure_rust_target
out=build/$board
mkdir -p "$out"
# Only the final link differs between boards: the library is built once.
cargo rustc -q -p kernel --bin granule --release --target aarch64-unknown-none -- \
    -C link-arg=-T"$PWD/linker.ld" \
    -C link-arg=--defsym=__load_address="$load" \
    -C link-arg=--defsym=__ram_base="$ram"
cp target/aarch64-unknown-none/release/granule "$out/granule.elf"
"$(llvm_tool objcopy)" -O binary "$out/granule.elf" "$out/$image"
echo "$out/$image"
