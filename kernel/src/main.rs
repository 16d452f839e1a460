//! Granule's entry: `boot/entry.s` calls `kernel_entry` at EL1 with the
//! device tree, the entry exception level and the boot timestamp.

#![cfg_attr(target_os = "none", no_std, no_main)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

#[cfg(target_os = "none")]
#[no_mangle]
extern "C" fn kernel_entry(dtb: u64, entry_el: u64, boot_counter: u64) -> ! {
    // SAFETY: called once, by the boot code, on the boot core, at EL1.
    unsafe { granule::kernel_init(dtb, entry_el, boot_counter) }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("the Granule kernel runs on aarch64-unknown-none: use scripts/run.sh");
    std::process::exit(2);
}
