//! The built-in guests (guests/*.c, built by guests/build.sh from
//! `kernel/build.rs`): raw images for the virt-compatible machine.

include!(concat!(env!("OUT_DIR"), "/guests.rs"));

/// The built-in guest called `name`.
pub fn find(name: &str) -> Option<&'static [u8]> {
    BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, i)| *i)
}

/// The names, space-separated.
pub fn names() -> alloc::string::String {
    let mut s = alloc::string::String::new();
    for (i, (n, _)) in BUILT_IN.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(n);
    }
    s
}
