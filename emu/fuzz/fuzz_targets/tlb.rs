//! cargo-fuzz target `tlb`: the check is emu::fuzzing::tlb::check, which
//! `cargo test` also replays on the checked-in corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| emu::fuzzing::tlb::check(data));
