//! Builds the built-in guests (guests/*.c, with Debian's cross compiler,
//! through guests/build.sh) and writes the list the kernel embeds; and
//! tells cargo what else the kernel's link depends on.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

fn main() {
    for path in [
        "../linker.ld",
        "../boot/entry.s",
        "../boot/el2_stub.s",
        "../boot/vectors.s",
        "../guests",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let status = Command::new(root.join("guests/build.sh")).status();
    let mut list = String::from(
        "/// The built-in guests: (name, raw image).\npub const BUILT_IN: &[(&str, &[u8])] = &[\n",
    );
    match status {
        Ok(s) if s.success() => {
            let mut names: Vec<String> = std::fs::read_dir(root.join("guests"))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    name.strip_suffix(".c").map(str::to_string)
                })
                .collect();
            names.sort();
            for name in names {
                let bin = root.join("build/guests").join(format!("{name}.bin"));
                let _ = writeln!(list, "    ({name:?}, include_bytes!({:?})),", bin.display().to_string());
            }
        }
        _ => println!(
            "cargo:warning=guests/build.sh failed (is gcc-aarch64-linux-gnu installed?): the kernel has no built-in guests"
        ),
    }
    list.push_str("];\n");
    std::fs::write(Path::new(&out).join("guests.rs"), list).expect("writing OUT_DIR/guests.rs");
}
