//! `bench [NAME|all] [host-granule=G|all] [page-size=4k|16k|64k|all]`:
//! times each workload (crate::workloads) natively and under emu's CPU
//! (through the translator, in the guest's own tables at each guest page
//! size), for each host granule: native and emulated time, the slowdown
//! (emulated/native) and guest MIPS, as a table and as `bench: key=value`
//! lines. The two runs must also agree (X0 and the buffer), as in the
//! on-target test; a difference fails the command.

use super::args::{self, ArgError, HostGranules};
use super::Outcome;
use crate::println;
use crate::workloads::{self, each_config, Workload, WORKLOADS};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use emu::granule::Granule;

/// Native runs per figure (the fastest is kept: the input is rebuilt
/// before each, and the time is short against timer interrupts' noise).
const NATIVE_RUNS: usize = 3;

/// `n / 100` with two decimals.
fn centi(n: u64) -> String {
    format!("{}.{:02}", n / 100, n % 100)
}

fn one(
    w: &Workload,
    host: Granule,
    guest: Granule,
    g: &mut workloads::Guest,
) -> Result<(), String> {
    let input = w.input();
    let mut native_ns = u64::MAX;
    let mut native = Vec::new();
    let mut x0 = 0;
    for _ in 0..NATIVE_RUNS {
        native = input.clone();
        let (x, ns) = w.native(&mut native);
        x0 = x;
        native_ns = native_ns.min(ns.max(1));
    }
    let e = g.run(w, &input)?;
    if let Some(d) = workloads::compare(x0, &native, &e) {
        return Err(format!("{}: native and emulated differ: {d}", w.name));
    }
    let emulated_ns = e.ns.max(1);
    let slowdown = u128::from(emulated_ns) * 100 / u128::from(native_ns);
    let mips = u128::from(e.instructions) * 100_000 / u128::from(emulated_ns);
    let native_mips = u128::from(e.instructions) * 100_000 / u128::from(native_ns);
    println!(
        "{:<9} {:>11} {:>11} {:>10} {:>9} {:>10} {:>11}",
        w.name,
        native_ns / 1000,
        emulated_ns / 1000,
        e.instructions,
        centi(slowdown as u64),
        centi(mips as u64),
        centi(native_mips as u64)
    );
    println!(
        "bench: workload={} host-granule={host} page-size={guest} native_ns={native_ns} emulated_ns={emulated_ns} insns={} slowdown={} mips={}",
        w.name,
        e.instructions,
        centi(slowdown as u64),
        centi(mips as u64)
    );
    Ok(())
}

/// The shell command.
pub fn bench<'a>(words: &[&'a str]) -> Result<Outcome, ArgError<'a>> {
    let a = args::bench(words)?;
    let chosen: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| a.name.is_none_or(|n| n == w.name))
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
        println!(
            "bench: no workload {:?}: there are {}",
            a.name.unwrap_or(""),
            names.join(", ")
        );
        return Ok(Outcome::Failed);
    }
    let hosts = match a.host_granules {
        None | Some(HostGranules::All) => workloads::host_granules(),
        Some(HostGranules::One(g)) => alloc::vec![g],
    };
    let guests: &[Granule] = match &a.page_size {
        None => &Granule::ALL,
        Some(g) => core::slice::from_ref(g),
    };
    let result = each_config(&hosts, guests, |host, guest, g| {
        println!(
            "bench: host granule {host}, guest page size {guest}, emulated through the translator"
        );
        println!("workload   native us  emulated us     insns  slowdown guest MIPS native MIPS");
        chosen.iter().try_for_each(|w| one(w, host, guest, g))
    });
    match result {
        Ok(()) => Ok(Outcome::Done),
        Err(e) => {
            println!("bench: {e}");
            Ok(Outcome::Failed)
        }
    }
}
