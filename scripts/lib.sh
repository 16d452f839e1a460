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

# A private apt state (no root, the system's apt untouched) for downloading
# Debian packages from the mirror the system already uses, with sources the
# system may not list. Usage: apt_private_setup DIR ARCH "SUITE COMPONENTS..."
# then apt_private_extract DIR PACKAGE DEST. Sets apt_private_opts.
apt_private_setup() {
    local dir=$1 arch=$2 sources=$3 mirror suite
    mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
    apt_private_opts=(-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache"
                      -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
                      -o APT::Architecture="$arch" -o APT::Architectures="$arch"
                      -o Debug::NoLocking=1 -qq)
    mirror=$( (grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}';
               grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}') |
              grep -v -e security -e '^https\?://[^/]*\(google\|nodesource\)' | head -n 1 || true)
    [ -n "$mirror" ] || die "no Debian mirror in the apt sources"
    suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror ${sources//SUITE/$suite}" \
        >"$dir/sources.list"
    echo "fetching package lists (${sources//SUITE/$suite}, $arch)..." >&2
    apt-get "${apt_private_opts[@]}" update >&2
}
apt_private_extract() { # dir package dest [version-suite]
    local dir=$1 package=$2 dest=$3 deb
    (cd "$dir" && apt-get "${apt_private_opts[@]}" download "$package${4:+/$4}" 2>&1 |
        grep -v unsandboxed >&2 || true)
    deb=$(ls "$dir/${package}"_*.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || die "could not download $package"
    mkdir -p "$dest"
    dpkg-deb -x "$deb" "$dest"
}

# QEMU 10 beside the system's QEMU 7.2: Debian's bookworm-backports
# packages, downloaded with a private apt state and unpacked (dpkg-deb -x)
# into build/qemu-10, never installed over the system's. A wrapper runs the
# binary with its own module directory (QEMU_MODULE_DIR: 7.2's modules in
# /usr/lib/x86_64-linux-gnu/qemu make 10 abort at start-up) and its own data
# directory (-L), and with no display or audio, whose modules it would
# otherwise probe for at start-up. Prints the wrapper's path.
QEMU10_VERSION=10.0.2
ensure_qemu10() {
    local dir=${GRANULE_QEMU10_DIR:-$PWD/build/qemu-10} arch
    local wrapper=$dir/qemu-system-aarch64
    if [ -x "$wrapper" ] && "$wrapper" --version 2>/dev/null | grep -q "version $QEMU10_VERSION"; then
        echo "$wrapper"; return
    fi
    command -v dpkg-deb >/dev/null && command -v apt-get >/dev/null ||
        die "QEMU 10 needs apt-get and dpkg-deb (Debian) to be installed in $dir"
    arch=$(dpkg --print-architecture)
    echo "installing QEMU $QEMU10_VERSION (bookworm-backports, $arch) into $dir..." >&2
    rm -rf "$dir/root" && mkdir -p "$dir"
    apt_private_setup "$dir/apt" "$arch" "SUITE-backports main"
    local p
    for p in qemu-system-arm qemu-system-common qemu-system-data; do
        rm -f "$dir/apt/${p}"_*.deb
        apt_private_extract "$dir/apt" "$p" "$dir/root" "$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")-backports"
    done
    local bin=$dir/root/usr/bin/qemu-system-aarch64
    local modules
    modules=$(dirname "$(find "$dir/root/usr/lib" -name 'audio-*.so' | head -n 1)")
    [ -x "$bin" ] && [ -d "$modules" ] || die "QEMU 10 packages unpacked without qemu-system-aarch64 or modules"
    if ldd "$bin" | grep 'not found' >&2; then
        die "QEMU 10's libraries do not resolve on this system (above)"
    fi
    cat >"$wrapper" <<WRAPPER
#!/bin/sh
# QEMU $QEMU10_VERSION from bookworm-backports, with only its own modules and data.
QEMU_MODULE_DIR='$modules' exec '$bin' -L '$dir/root/usr/share/qemu' -display none -audio none "\$@"
WRAPPER
    chmod +x "$wrapper"
    "$wrapper" --version | grep -q "version $QEMU10_VERSION" || die "QEMU 10 in $dir does not run"
    rm -rf "$dir/apt"
    echo "$wrapper"
}

# The Raspberry Pi device trees (bcm2*-rpi-*.dtb) from Debian's arm64
# Linux image, cached in build/dtbs. Prints the directory.
ensure_pi_dtbs() {
    local dir=$PWD/build/dtbs work=$PWD/build/dtbs.apt kernel deb
    if ls "$dir"/bcm2711-rpi-4-b.dtb >/dev/null 2>&1; then echo "$dir"; return; fi
    command -v dpkg-deb >/dev/null && command -v apt-get >/dev/null ||
        die "the Raspberry Pi device trees need apt-get and dpkg-deb (Debian)"
    apt_private_setup "$work" arm64 "SUITE main"
    kernel=$(apt-cache "${apt_private_opts[@]}" depends linux-image-arm64 |
             awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    [ -n "$kernel" ] || die "no arm64 Linux image in the package lists"
    echo "fetching the Raspberry Pi device trees from $kernel..." >&2
    (cd "$work" && apt-get "${apt_private_opts[@]}" download "$kernel" 2>&1 | grep -v unsandboxed >&2 || true)
    deb=$(ls "$work/${kernel}"_*.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || die "could not download $kernel"
    mkdir -p "$dir.tmp"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir.tmp" --wildcards '*/broadcom/bcm2*-rpi-*.dtb'
    rm -rf "$dir" && mkdir -p "$dir"
    find "$dir.tmp" -name '*.dtb' -exec mv {} "$dir/" \;
    rm -rf "$dir.tmp" "$work"
    [ -f "$dir/bcm2711-rpi-4-b.dtb" ] || die "$kernel has no bcm2711-rpi-4-b.dtb"
    echo "$dir"
}
