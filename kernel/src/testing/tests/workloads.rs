//! The workloads (crate::workloads) natively and under emu's CPU, through
//! the translator (and, under the first host granule at 4K guest pages, the
//! interpreter too), from the
//! same inputs: X0 and the whole data buffer bit for bit, under every host
//! granule and every guest page size.

use crate::ensure;
use crate::testing::{Test, TestResult};
use crate::workloads::{self, each_config, WORKLOADS};
use alloc::format;
use emu::granule::Granule;

/// The tests of this module.
pub const TESTS: &[Test] = crate::on_target_tests![known_answers, native_equals_emulated];

/// Answers from outside the code: CRC-32 of "123456789" is 0xcbf43926
/// (the standard check value), natively and emulated; `sort` leaves what
/// Rust's sort gives; `copy` leaves the second half equal to the first.
fn known_answers() -> TestResult {
    let find = |n: &str| workloads::find(n).ok_or(format!("no workload {n}"));
    let (crc, sort, copy) = (find("crc32")?, find("sort")?, find("copy")?);
    let mut check = *b"123456789";
    // SAFETY: crc32 reads X1 = 9 bytes from X0: the 9 of `check`.
    let (native, _) = unsafe { crc.native_with(&mut check, 9) };
    ensure!(
        native == 0xcbf4_3926,
        "crc32 natively: {native:#x}, not 0xcbf43926"
    );
    let mut guest = workloads::Guest::new(Granule::K4, emu::pagesize::PageSize::K4)?;
    let e = guest.run_with(crc, b"123456789", 9)?;
    ensure!(
        e.x0 == 0xcbf4_3926,
        "crc32 emulated: {:#x}, not 0xcbf43926",
        e.x0
    );

    let input = sort.input();
    let mut words: alloc::vec::Vec<u32> = input
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    words.sort_unstable();
    let mut buf = input.clone();
    sort.native(&mut buf);
    let sorted: alloc::vec::Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    ensure!(
        buf == sorted,
        "sort natively: the buffer is not the input sorted"
    );

    let mut buf = copy.input();
    copy.native(&mut buf);
    let half = buf.len() / 2;
    ensure!(
        buf[..half] == buf[half..],
        "copy natively: the second half differs from the first"
    );
    Ok(())
}

fn native_equals_emulated() -> TestResult {
    let mut runs = 0u64;
    let mut instructions = 0u64;
    let hosts = workloads::host_granules();
    each_config(&hosts, &Granule::ALL, |host, guest, g| {
        for w in WORKLOADS {
            let input = w.input();
            let mut native = input.clone();
            let (x0, _) = w.native(&mut native);
            // Through the translator always; under the first host granule
            // at 4K guest pages also single-stepped.
            for translate in [true, false] {
                if !translate && (guest != Granule::K4 || Some(&host) != hosts.first()) {
                    continue;
                }
                g.translate = translate;
                let e = g.run(w, &input)?;
                if let Some(d) = workloads::compare(x0, &native, &e) {
                    let how = if translate {
                        "translated"
                    } else {
                        "interpreted"
                    };
                    return Err(format!("{} ({how}): {d}", w.name));
                }
                runs += 1;
                instructions += e.instructions;
            }
        }
        Ok(())
    })?;
    crate::println!(
        "  {runs} runs ({} workloads), {instructions} guest instructions, 0 differences",
        WORKLOADS.len()
    );
    Ok(())
}
