# Shared helpers for Granule's scripts (sourced, not run).

die() { echo "error: $*" >&2; exit 1; }

# The Rust target named in rust-toolchain.toml, installed when missing.
ensure_rust_target() {
    command -v cargo >/dev/null || die "cargo not found: install Rust from rustup.rs"
    if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-none; then
        echo "installing the aarch64-unknown-none Rust target..." >&2
        rustup target add aarch64-unknown-none >&2
    fi
}

# An LLVM tool from the Rust toolchain (rust-objcopy ships with it).
llvm_tool() {
    local dir
    dir="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin"
    if [ -x "$dir/llvm-$1" ]; then echo "$dir/llvm-$1"; return; fi
    command -v "llvm-$1" || command -v "aarch64-linux-gnu-$1" || die "no $1 found"
}

# Installs a Debian package when its command is missing (only as root).
ensure_command() {
    local cmd=$1 package=$2
    command -v "$cmd" >/dev/null && return
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing $package..." >&2
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >&2; then
            apt-get update -qq >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >&2
        fi
    fi
    command -v "$cmd" >/dev/null || die "$cmd not found: install the Debian package $package"
}

ensure_qemu() {
    ensure_command qemu-system-aarch64 qemu-system-arm
}
