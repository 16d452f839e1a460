//! cargo-fuzz target `cpu`: the check is emu::fuzzing::cpu::check, which
//! `cargo test` also replays on the checked-in corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| emu::fuzzing::cpu::check(data));
