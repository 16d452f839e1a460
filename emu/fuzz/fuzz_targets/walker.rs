//! cargo-fuzz target `walker`: the check is emu::fuzzing::walker::check, which
//! `cargo test` also replays on the checked-in corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| emu::fuzzing::walker::check(data));
