#!/usr/bin/env bash
# Builds Granule's built-in guests with Debian's cross compiler:
# build/guests/NAME.elf and the raw image build/guests/NAME.bin for every
# guests/NAME.c. Prints the output directory.
# guests/build.sh SRC OUT builds SRC/NAME.c into OUT instead, each linked
# with guests/lib and with SRC/lib/*.{c,S} (scripts/bench.sh's guests).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_command aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu

src_dir=${1:-guests}
out=${2:-build/guests}
mkdir -p "$out"
extra=()
if [ "$src_dir" != guests ] && [ -d "$src_dir/lib" ]; then
    extra=(-I"$src_dir/lib" $(ls "$src_dir"/lib/*.[cS] 2>/dev/null))
fi
cflags=(-O2 -g -ffreestanding -fno-builtin -nostdlib -nostartfiles -static -fno-pic -no-pie
        -mgeneral-regs-only -mstrict-align -fno-stack-protector -fno-asynchronous-unwind-tables
        -Wl,--no-warn-rwx-segments -Wl,--build-id=none -Wall -Wextra -Werror -Wno-builtin-declaration-mismatch -Iguests/lib)
for src in "$src_dir"/*.c; do
    name=$(basename "$src" .c)
    elf=$out/$name.elf
    if [ -z "${FORCE:-}" ] && [ -f "$elf" ] && [ -z "$(find guests "$src_dir" -newer "$elf" -type f -print -quit)" ]; then
        continue
    fi
    aarch64-linux-gnu-gcc "${cflags[@]}" -T guests/lib/guest.ld -o "$elf" \
        guests/lib/start.S guests/lib/intloop.S guests/lib/guest.c "${extra[@]}" "$src"
    aarch64-linux-gnu-objcopy -O binary "$elf" "$out/$name.bin"
done
echo "$out"
