//! Tells cargo what the kernel's link depends on besides Rust sources: the
//! link script (passed by scripts/build.sh) and the assembly that
//! `global_asm!(include_str!(...))` pulls in, so editing either relinks.

fn main() {
    for path in [
        "../linker.ld",
        "../boot/entry.s",
        "../boot/el2_stub.s",
        "../boot/vectors.s",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
}
