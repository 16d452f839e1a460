//! Replays every checked-in corpus file and crash reproducer of every fuzz
//! target through the target's check, so a plain `cargo test` keeps them
//! all passing without nightly or cargo-fuzz.

use std::fs;
use std::path::Path;
use std::string::ToString;
use std::vec::Vec;

use super::TARGETS;

fn inputs(dir: &Path) -> Vec<(std::string::String, Vec<u8>)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.display().to_string(), fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn every_corpus_file_and_reproducer_passes_its_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for (name, check) in TARGETS {
        let mut files = inputs(&root.join("corpus").join(name));
        assert!(!files.is_empty(), "no corpus seeds for {name}");
        files.extend(inputs(&root.join("artifacts").join(name)));
        for (path, data) in files {
            // A failing check panics: name the file first.
            std::eprintln!("replaying {path}");
            check(&data);
            replayed += 1;
        }
    }
    assert!(replayed >= TARGETS.len());
}
