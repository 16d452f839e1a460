//! cargo-fuzz target `fdt`: the check is emu::fuzzing::fdt::check, which
//! `cargo test` also replays on the checked-in corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| emu::fuzzing::fdt::check(data));
