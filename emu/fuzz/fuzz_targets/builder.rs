//! cargo-fuzz target `builder`: the check is emu::fuzzing::builder::check, which
//! `cargo test` also replays on the checked-in corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| emu::fuzzing::builder::check(data));
