//! cargo-fuzz target `snapshot`: the check is emu::fuzzing::snapshot::check, which
//! `cargo test` also replays on the checked-in corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| emu::fuzzing::snapshot::check(data));
