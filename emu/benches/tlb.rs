//! TLB benchmark: the cost of a hit, of a miss plus fill, and of each kind
//! of invalidation, for every page size, with the page size once a
//! run-time value and once a compile-time constant (the same generic code,
//! monomorphised twice), and the ratio between the two.
//!
//! Run with `cargo bench -p emu --bench tlb`.

use std::hint::black_box;
use std::time::Instant;

use emu::addr::{PhysAddr, VirtAddr};
use emu::granule::Granule;
use emu::mem::{AccessSize, PhysMemoryMap};
use emu::pagesize::PageSize;
use emu::tlb::{
    AccessKind, AsidMatch, ConstPageSize, LevelScope, MemoryAttributes, MissHandler, MmuIdx,
    PageSizeSource, Permissions, RuntimePageSize, Rwx, Tlb, TlbFill, TlbSet,
};

const RAM: u64 = 0x4000_0000;
const RAM_SIZE: u64 = 16 << 20;
const ENTRIES: usize = 256;

/// Identity-ish walker: every VA maps to RAM, in mappings of `size_log2`.
struct Walker {
    size_log2: u8,
    granule: Granule,
}

impl Walker {
    fn new(page: PageSize) -> Self {
        let (size_log2, granule) = match page.shift() {
            10 | 12 => (12, Granule::K4),
            14 => (14, Granule::K16),
            _ => (16, Granule::K64),
        };
        Walker { size_log2, granule }
    }

    fn fill_for(&self, va: u64, size_log2: u8) -> TlbFill {
        TlbFill {
            va: VirtAddr(va),
            pa: PhysAddr(RAM + (va & (RAM_SIZE - 1))),
            ipa: None,
            size_log2,
            granule: self.granule,
            perms: Permissions::from_rights(Rwx::RW, Rwx::RW),
            asid: None,
            attrs: MemoryAttributes::default(),
            flags: Default::default(),
        }
    }
}

impl MissHandler for Walker {
    type Fault = ();
    fn handle_miss(
        &mut self,
        _: &PhysMemoryMap,
        _: MmuIdx,
        va: VirtAddr,
        _: AccessKind,
    ) -> Result<TlbFill, ()> {
        Ok(self.fill_for(va.0, self.size_log2))
    }
}

fn machine(page: PageSize) -> PhysMemoryMap {
    let mut m = PhysMemoryMap::new(page);
    m.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0).unwrap();
    m
}

/// Best of `reps` runs of `f`, which performs `n` operations; ns per op.
fn time(reps: usize, n: u64, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .fold(f64::INFINITY, f64::min)
}

struct Figures {
    hit: f64,
    miss_fill: f64,
    inval_va: f64,
    inval_va_large: f64,
    scan_alternative: f64,
    inval_asid: f64,
    inval_all: f64,
}

impl Figures {
    fn best(self, o: Figures) -> Figures {
        Figures {
            hit: self.hit.min(o.hit),
            miss_fill: self.miss_fill.min(o.miss_fill),
            inval_va: self.inval_va.min(o.inval_va),
            inval_va_large: self.inval_va_large.min(o.inval_va_large),
            scan_alternative: self.scan_alternative.min(o.scan_alternative),
            inval_asid: self.inval_asid.min(o.inval_asid),
            inval_all: self.inval_all.min(o.inval_all),
        }
    }
}

fn measure<P: PageSizeSource>(src: P, page: PageSize) -> Figures {
    let mut map = machine(page);
    let mut w = Walker::new(page);
    let mut tlbs = TlbSet::new(src, ENTRIES).unwrap();
    let ps = page.size();
    const REPS: usize = 7;

    // Hits: loads over 64 resident pages.
    let pages = 64u64;
    for i in 0..pages {
        tlbs.load(
            &mut map,
            &mut w,
            MmuIdx::El1,
            VirtAddr(i * ps),
            AccessSize::Double,
        )
        .unwrap();
    }
    let n = 2_000_000u64;
    let hit = time(REPS, n, || {
        let mut acc = 0u64;
        for i in 0..n {
            let va = ((i * 0x9e37) % pages) * ps + (i & 0x3f) * 8;
            acc = acc.wrapping_add(
                tlbs.load(
                    &mut map,
                    &mut w,
                    MmuIdx::El1,
                    VirtAddr(black_box(va)),
                    AccessSize::Double,
                )
                .unwrap_or(0),
            );
        }
        black_box(acc);
    });

    // Misses: every access lands on the slot the previous one filled.
    let stride = ENTRIES as u64 * ps;
    let n = 200_000u64;
    let miss_fill = time(REPS, n, || {
        let mut acc = 0u64;
        for i in 0..n {
            let va = (i % 1024) * stride;
            acc = acc.wrapping_add(
                tlbs.load(
                    &mut map,
                    &mut w,
                    MmuIdx::El1,
                    VirtAddr(black_box(va)),
                    AccessSize::Double,
                )
                .unwrap_or(0),
            );
        }
        black_box(acc);
    });

    let t: &mut Tlb<P> = tlbs.tlb_mut(MmuIdx::El1);
    let small = w.size_log2;
    let fill_pages = |t: &mut Tlb<P>, asids: u64| {
        for i in 0..ENTRIES as u64 {
            let mut f = w.fill_for(i * ps, small);
            f.asid = (asids > 0).then(|| (i % asids) as u16);
            let _ = t.fill(&f, &map);
        }
    };

    // Invalidation by VA of each resident page in turn.
    let inval_va = batched(
        t,
        |t| fill_pages(t, 0),
        |t| {
            for i in 0..ENTRIES as u64 {
                t.invalidate_va(black_box(i * ps), AsidMatch::Any, LevelScope::AllLevels);
            }
            ENTRIES as u64
        },
    );

    // Invalidation by VA, each hitting one of 16 live 2M blocks (8 TLB
    // pages of each filled) through a page of the block never touched.
    let blocks: Vec<u64> = (0..16u64).map(|b| (b + 1) << 30).collect();
    let inval_va_large = batched(
        t,
        |t| {
            for &b in &blocks {
                for k in 0..8 {
                    let _ = t.fill(&w.fill_for(b + k * 3 * ps, 21), &map);
                }
            }
        },
        |t| {
            for &b in &blocks {
                t.invalidate_va(
                    black_box(b + 0x10_0000),
                    AsidMatch::Any,
                    LevelScope::AllLevels,
                );
            }
            blocks.len() as u64
        },
    );

    // The alternative design, for comparison: no table of large mappings,
    // each entry records its mapping and an invalidation scans them all.
    let scan_alternative = batched(
        t,
        |t| {
            for &b in &blocks {
                for k in 0..8 {
                    let _ = t.fill(&w.fill_for(b + k * 3 * ps, 21), &map);
                }
            }
        },
        |t| {
            for &b in &blocks {
                let va = black_box(b + 0x10_0000);
                let hits = (0..t.capacity())
                    .filter(|&s| t.info(s).is_some_and(|i| i.mapping_contains(va)))
                    .count();
                black_box(hits);
            }
            blocks.len() as u64
        },
    );

    // Invalidation by ASID (4 ASIDs share a full TLB) and of everything.
    let inval_asid = batched(
        t,
        |t| fill_pages(t, 4),
        |t| {
            for a in 0..4 {
                t.invalidate_asid(black_box(a));
            }
            4
        },
    );
    let inval_all = batched(
        t,
        |t| fill_pages(t, 4),
        |t| {
            t.invalidate_all();
            1
        },
    );
    black_box(t.stats());

    Figures {
        hit,
        miss_fill,
        inval_va,
        inval_va_large,
        scan_alternative,
        inval_asid,
        inval_all,
    }
}

/// ns per operation of `op` (which returns how many it did), timed alone
/// after `setup` each time; best of 7 rounds of 400 batches.
fn batched<P: PageSizeSource>(
    t: &mut Tlb<P>,
    mut setup: impl FnMut(&mut Tlb<P>),
    mut op: impl FnMut(&mut Tlb<P>) -> u64,
) -> f64 {
    let overhead = {
        let t0 = Instant::now();
        for _ in 0..1000 {
            black_box(Instant::now().elapsed());
        }
        t0.elapsed().as_nanos() as f64 / 1000.0
    };
    (0..7)
        .map(|_| {
            let (mut ns, mut ops) = (0.0, 0u64);
            for _ in 0..400 {
                setup(t);
                let t0 = Instant::now();
                ops += op(t);
                ns += t0.elapsed().as_nanos() as f64 - overhead;
            }
            ns.max(0.0) / ops as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let start = Instant::now();
    println!(
        "TLB benchmark: {ENTRIES} entries, ns per operation (best of 7), runtime page size vs \
         compile-time constant"
    );
    println!(
        "{:<5} {:<22} {:>9} {:>9} {:>7}",
        "page", "operation", "runtime", "const", "ratio"
    );
    let mut hit_ratios = Vec::new();
    for page in PageSize::ALL {
        let run_const = || match page.shift() {
            10 => measure(ConstPageSize::<10>::new(), page),
            12 => measure(ConstPageSize::<12>::new(), page),
            14 => measure(ConstPageSize::<14>::new(), page),
            _ => measure(ConstPageSize::<16>::new(), page),
        };
        // Interleaved twice, keeping the best, so drift on a shared
        // machine hits both variants alike.
        let mut rt = measure(RuntimePageSize(black_box(page)), page);
        let mut ct = run_const();
        rt = rt.best(measure(RuntimePageSize(black_box(page)), page));
        ct = ct.best(run_const());
        hit_ratios.push(rt.hit / ct.hit);
        let rows = [
            ("hit (8-byte load)", rt.hit, ct.hit),
            ("miss + walk + fill", rt.miss_fill, ct.miss_fill),
            ("invalidate VA", rt.inval_va, ct.inval_va),
            (
                "invalidate VA, 16 large",
                rt.inval_va_large,
                ct.inval_va_large,
            ),
            (
                "  (full-scan design)",
                rt.scan_alternative,
                ct.scan_alternative,
            ),
            ("invalidate ASID", rt.inval_asid, ct.inval_asid),
            ("invalidate all", rt.inval_all, ct.inval_all),
        ];
        for (name, r, c) in rows {
            println!(
                "{:<5} {:<22} {:>9.2} {:>9.2} {:>7.3}",
                page.name(),
                name,
                r,
                c,
                r / c
            );
        }
    }
    let geo = hit_ratios
        .iter()
        .product::<f64>()
        .powf(1.0 / hit_ratios.len() as f64);
    println!("hit cost, runtime / const page size, geometric mean over page sizes: {geo:.3}");
    println!("total time {:.1} s", start.elapsed().as_secs_f64());
}
