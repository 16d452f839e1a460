#!/usr/bin/env bash
# Builds Granule's built-in guests with Debian's cross compiler:
# build/guests/NAME.elf and the raw image build/guests/NAME.bin for every
# guests/NAME.c. Prints the output directory.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_command aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu

out=build/guests
mkdir -p "$out"
cflags=(-O2 -g -ffreestanding -fno-builtin -nostdlib -nostartfiles -static -fno-pic -no-pie
        -mgeneral-regs-only -mstrict-align -fno-stack-protector -fno-asynchronous-unwind-tables
        -Wl,--no-warn-rwx-segments -Wl,--build-id=none -Wall -Wextra -Werror -Wno-builtin-declaration-mismatch -Iguests/lib)
for src in guests/*.c; do
    name=$(basename "$src" .c)
    elf=$out/$name.elf
    if [ -z "${FORCE:-}" ] && [ -f "$elf" ] && [ -z "$(find guests -newer "$elf" -type f -print -quit)" ]; then
        continue
    fi
    aarch64-linux-gnu-gcc "${cflags[@]}" -T guests/lib/guest.ld -o "$elf" \
        guests/lib/start.S guests/lib/intloop.S guests/lib/guest.c "$src"
    aarch64-linux-gnu-objcopy -O binary "$elf" "$out/$name.bin"
done
echo "$out"
