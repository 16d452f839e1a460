//! cargo-fuzz target `memmap`: the check is emu::fuzzing::memmap::check, which
//! `cargo test` also replays on the checked-in corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| emu::fuzzing::memmap::check(data));
