//! The CPU checked against QEMU's user-mode emulator (`qemu-aarch64`):
//! tabled edge cases per instruction class and random sequences of the
//! implemented integer, load/store and FP/SIMD-subset instructions are
//! assembled with `aarch64-linux-gnu-as` into one static Linux program
//! that sets the registers, runs each sequence and dumps X0-X29, NZCV,
//! Q0-Q7 and a 4K scratch buffer. The same sequences then run on
//! `emu::cpu` from the same state, and everything is compared.
//!
//! Skipped, with the reason printed, when `qemu-aarch64` or the cross
//! binutils are missing. `CPU_QEMU_SEED` picks the seed (printed);
//! `CPU_QEMU_SEQS` the number of random sequences. A failing sequence is
//! narrowed down to its first differing instruction, which is printed.
//!
//! Each sequence runs on `emu::cpu` twice: single-stepped by the
//! interpreter, and through the translator's blocks (`Cpu::run`); both are
//! compared with QEMU, and a third test compares the two with each other.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use emu::addr::PhysAddr;
use emu::cpu::{CallResult, Cpu, CpuConfig, Exit, GuestContext, System};
use emu::mem::PhysMemoryMap;
use emu::pagesize::PageSize;

const BUF_SIZE: usize = 8192;
/// Where X28 points in the buffer: 512 bytes before its page boundary, so
/// that accesses cross pages.
const BASE_OFFSET: u64 = 0xe00;
const DUMP_SIZE: usize = 384;
const TEXT_BASE: u64 = 0x40_0000;
const RAM_SIZE: u64 = 8 << 20;
const TABLE_PA: u64 = 0x7e_0000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len() as u64) as usize]
    }
    fn value(&mut self) -> u64 {
        const SPECIAL: [u64; 10] = [
            0,
            1,
            u64::MAX,
            i64::MIN as u64,
            i64::MAX as u64,
            0x8000_0000,
            0xffff_ffff,
            0x7fff_ffff,
            0xffff_ffff_8000_0000,
            2,
        ];
        match self.below(4) {
            0 => SPECIAL[self.below(10) as usize],
            1 => self.below(64),
            2 => self.next() & 0xffff_ffff,
            _ => self.next(),
        }
    }
}

#[derive(Clone)]
struct Case {
    insns: Vec<String>,
    x: [u64; 27],
    nzcv: u64,
    q: [u128; 8],
}

#[derive(Clone, PartialEq, Eq)]
struct Dump {
    x: [u64; 30],
    nzcv: u64,
    q: [u128; 8],
    mem: Vec<u8>,
}

impl Dump {
    fn parse(b: &[u8]) -> Dump {
        let word = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        let mut x = [0; 30];
        for (k, r) in x.iter_mut().enumerate() {
            *r = word(8 * k);
        }
        let mut q = [0u128; 8];
        for (k, r) in q.iter_mut().enumerate() {
            *r = u128::from_le_bytes(b[256 + 16 * k..272 + 16 * k].try_into().unwrap());
        }
        Dump {
            x,
            nzcv: word(240),
            q,
            mem: b[DUMP_SIZE..DUMP_SIZE + BUF_SIZE].to_vec(),
        }
    }

    fn diff(&self, other: &Dump) -> String {
        let mut s = String::new();
        for k in 0..30 {
            if self.x[k] != other.x[k] {
                let _ = write!(s, " x{k}: qemu {:#x} emu {:#x};", self.x[k], other.x[k]);
            }
        }
        if self.nzcv != other.nzcv {
            let _ = write!(s, " nzcv: qemu {:#x} emu {:#x};", self.nzcv, other.nzcv);
        }
        for k in 0..8 {
            if self.q[k] != other.q[k] {
                let _ = write!(s, " q{k}: qemu {:#x} emu {:#x};", self.q[k], other.q[k]);
            }
        }
        if let Some(o) = (0..BUF_SIZE).find(|&o| self.mem[o] != other.mem[o]) {
            let _ = write!(
                s,
                " buf[{o:#x}]: qemu {:#04x} emu {:#04x};",
                self.mem[o], other.mem[o]
            );
        }
        s
    }
}

fn tool(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A valid logical immediate for `bits`-wide registers.
fn bitmask_imm(rng: &mut Rng, bits: u32) -> u64 {
    let sizes: &[u32] = if bits == 64 {
        &[2, 4, 8, 16, 32, 64]
    } else {
        &[2, 4, 8, 16, 32]
    };
    let e = sizes[rng.below(sizes.len() as u64) as usize];
    let ones = 1 + rng.below(u64::from(e) - 1) as u32;
    let rot = rng.below(u64::from(e)) as u32;
    let emask = if e == 64 { u64::MAX } else { (1u64 << e) - 1 };
    let elem = (1u64 << ones) - 1;
    let elem = ((elem >> rot) | (elem << ((e - rot) % e))) & emask;
    let mut v = 0u64;
    let mut i = 0;
    while i < bits {
        v |= elem << i;
        i += e;
    }
    v
}

const COND: [&str; 14] = [
    "eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le",
];

/// One random instruction (or a short fixed group) of the implemented
/// set. Destinations are x0-x24; x25/x26 are small indices, x27 a
/// write-back base, x28 the scratch buffer.
fn random_insn(rng: &mut Rng, out: &mut Vec<String>) {
    let w = rng.below(2) == 0;
    let (p, bits) = if w { ("w", 32u64) } else { ("x", 64u64) };
    let d = |rng: &mut Rng| format!("{p}{}", rng.below(25));
    let s = |rng: &mut Rng| format!("{p}{}", rng.below(25));
    let sz = |rng: &mut Rng| {
        if rng.below(8) == 0 {
            format!("{p}zr")
        } else {
            format!("{p}{}", rng.below(25))
        }
    };
    let x = |rng: &mut Rng| format!("x{}", rng.below(25));
    let cond = |rng: &mut Rng| COND[rng.below(14) as usize];
    let insn = match rng.below(41) {
        0 => format!(
            "{} {}, {}, #{}{}",
            rng.pick(&["add", "adds", "sub", "subs"]),
            d(rng),
            s(rng),
            rng.below(4096),
            if rng.below(3) == 0 { ", lsl #12" } else { "" }
        ),
        1 => format!(
            "{} {}, #{}",
            rng.pick(&["cmp", "cmn"]),
            s(rng),
            rng.below(4096)
        ),
        2 => format!(
            "{} {}, {}, #{:#x}",
            rng.pick(&["and", "orr", "eor", "ands"]),
            d(rng),
            sz(rng),
            bitmask_imm(rng, bits as u32)
        ),
        3 => {
            let hw = rng.below(bits / 16) * 16;
            format!(
                "{} {}, #{:#x}, lsl #{hw}",
                rng.pick(&["movz", "movn", "movk"]),
                d(rng),
                rng.below(65536)
            )
        }
        4 => format!(
            "{} {}, {}, #{}, #{}",
            rng.pick(&["sbfm", "bfm", "ubfm"]),
            d(rng),
            sz(rng),
            rng.below(bits),
            rng.below(bits)
        ),
        5 => format!(
            "extr {}, {}, {}, #{}",
            d(rng),
            sz(rng),
            sz(rng),
            rng.below(bits)
        ),
        6 | 7 => {
            let op = rng.pick(&[
                "add", "adds", "sub", "subs", "and", "bic", "orr", "orn", "eor", "eon", "ands",
                "bics",
            ]);
            let logical = !op.starts_with("add") && !op.starts_with("sub");
            let shifts: &[&str] = if logical {
                &["lsl", "lsr", "asr", "ror"]
            } else {
                &["lsl", "lsr", "asr"]
            };
            format!(
                "{op} {}, {}, {}, {} #{}",
                d(rng),
                sz(rng),
                sz(rng),
                rng.pick(shifts),
                rng.below(bits)
            )
        }
        8 => {
            let ext = rng.pick(&[
                "uxtb", "uxth", "uxtw", "sxtb", "sxth", "sxtw", "uxtx", "sxtx",
            ]);
            let rm = if ext.ends_with('x') && !w {
                x(rng)
            } else {
                format!("w{}", rng.below(25))
            };
            format!(
                "{} {}, {}, {rm}, {ext} #{}",
                rng.pick(&["add", "adds", "sub", "subs"]),
                d(rng),
                s(rng),
                rng.below(5)
            )
        }
        9 => format!(
            "{} {}, {}, {}",
            rng.pick(&["adc", "adcs", "sbc", "sbcs"]),
            d(rng),
            sz(rng),
            sz(rng)
        ),
        10 => format!(
            "{} {}, {}, #{}, {}",
            rng.pick(&["ccmp", "ccmn"]),
            s(rng),
            sz(rng),
            rng.below(16),
            cond(rng)
        ),
        11 => format!(
            "{} {}, #{}, #{}, {}",
            rng.pick(&["ccmp", "ccmn"]),
            s(rng),
            rng.below(32),
            rng.below(16),
            cond(rng)
        ),
        12 | 13 => format!(
            "{} {}, {}, {}, {}",
            rng.pick(&["csel", "csinc", "csinv", "csneg"]),
            d(rng),
            sz(rng),
            sz(rng),
            cond(rng)
        ),
        14 => format!(
            "{} {}, {}, {}, {}",
            rng.pick(&["madd", "msub"]),
            d(rng),
            sz(rng),
            sz(rng),
            sz(rng)
        ),
        15 => format!(
            "{} {}, w{}, w{}, {}",
            rng.pick(&["smaddl", "smsubl", "umaddl", "umsubl"]),
            x(rng),
            rng.below(25),
            rng.below(25),
            x(rng)
        ),
        16 => format!(
            "{} {}, {}, {}",
            rng.pick(&["smulh", "umulh"]),
            x(rng),
            x(rng),
            x(rng)
        ),
        17 => format!(
            "{} {}, {}, {}",
            rng.pick(&["udiv", "sdiv", "lslv", "lsrv", "asrv", "rorv"]),
            d(rng),
            sz(rng),
            sz(rng)
        ),
        18 => {
            let op = if w {
                rng.pick(&["clz", "cls", "rbit", "rev", "rev16"])
            } else {
                rng.pick(&["clz", "cls", "rbit", "rev", "rev16", "rev32"])
            };
            format!("{op} {}, {}", d(rng), sz(rng))
        }
        19 => format!(
            "{} {}, .+{}",
            rng.pick(&["adr", "adrp"]),
            x(rng),
            4 * rng.below(64)
        ),
        20 | 21 => {
            // Single loads and stores, unsigned offset, unscaled, register.
            let (op, size, rt) = match rng.below(11) {
                0 => ("ldr", 8, x(rng)),
                1 => ("ldr", 4, format!("w{}", rng.below(25))),
                2 => ("ldrb", 1, format!("w{}", rng.below(25))),
                3 => ("ldrh", 2, format!("w{}", rng.below(25))),
                4 => ("ldrsb", 1, d(rng)),
                5 => ("ldrsh", 2, d(rng)),
                6 => ("ldrsw", 4, x(rng)),
                7 => ("str", 8, x(rng)),
                8 => ("str", 4, format!("w{}", rng.below(25))),
                9 => ("strb", 1, format!("w{}", rng.below(25))),
                _ => ("strh", 2, format!("w{}", rng.below(25))),
            };
            match rng.below(3) {
                0 => format!("{op} {rt}, [x28, #{}]", size * rng.below(1024 / size)),
                1 => {
                    let u = op.replacen("r", "ur", 1);
                    format!("{u} {rt}, [x28, #{}]", rng.below(256))
                }
                _ => {
                    let shift = if rng.below(2) == 0 {
                        format!(", lsl #{}", size.trailing_zeros())
                    } else {
                        String::new()
                    };
                    format!("{op} {rt}, [x28, x{}{shift}]", 25 + rng.below(2))
                }
            }
        }
        22 => {
            let (op, size, rt) = match rng.below(4) {
                0 => ("ldr", 8, x(rng)),
                1 => ("str", 8, x(rng)),
                2 => ("ldrb", 1, format!("w{}", rng.below(25))),
                _ => ("strh", 2, format!("w{}", rng.below(25))),
            };
            let off = size as i64 * (rng.below(17) as i64 - 8);
            if rng.below(2) == 0 {
                format!("{op} {rt}, [x27, #{off}]!")
            } else {
                format!("{op} {rt}, [x27], #{off}")
            }
        }
        23 | 24 => {
            let (op, size, r) = match rng.below(5) {
                0 => ("ldp", 8, "x"),
                1 => ("stp", 8, "x"),
                2 => ("ldp", 4, "w"),
                3 => ("stp", 4, "w"),
                _ => ("ldpsw", 4, "x"),
            };
            let (a, b) = (rng.below(25), rng.below(25));
            let b = if op.starts_with("ld") && a == b {
                (b + 1) % 25
            } else {
                b
            };
            match rng.below(4) {
                0 => format!(
                    "{op} {r}{a}, {r}{b}, [x27, #{}]!",
                    size as i64 * (rng.below(9) as i64 - 4)
                ),
                1 => format!(
                    "{op} {r}{a}, {r}{b}, [x27], #{}",
                    size as i64 * (rng.below(9) as i64 - 4)
                ),
                2 if op != "ldpsw" => format!(
                    "{} {r}{a}, {r}{b}, [x28, #{}]",
                    op.replace('p', "np"),
                    size * rng.below(32)
                ),
                _ => format!("{op} {r}{a}, {r}{b}, [x28, #{}]", size * rng.below(60)),
            }
        }
        25 => {
            let (a, b) = (rng.below(25), rng.below(25));
            let st = (a + 1 + rng.below(23)) % 25;
            let (ld, stx) = if rng.below(2) == 0 {
                ("ldxr", "stxr")
            } else {
                ("ldaxr", "stlxr")
            };
            let st = if st == b { (st + 1) % 25 } else { st };
            let st = if st == a { (st + 1) % 25 } else { st };
            let st = if st == b { (st + 1) % 25 } else { st };
            out.push(format!("{ld} {p}{a}, [x28]"));
            if rng.below(4) == 0 {
                out.push("clrex".into());
            }
            format!("{stx} w{st}, {p}{b}, [x28]")
        }
        26 => format!(
            "{} {}, [x28]",
            rng.pick(&["ldar", "stlr", "ldarb", "stlrb"]),
            if rng.below(2) == 0 {
                d(rng)
            } else {
                format!("w{}", rng.below(25))
            }
        )
        .replace("ldarb x", "ldarb w")
        .replace("stlrb x", "stlrb w"),
        27 => {
            let a = rng.below(23);
            let b = (a + 1 + rng.below(22)) % 23;
            out.push(format!("ldxp {p}{a}, {p}{b}, [x28]"));
            format!("stxp w24, {p}{b}, {p}{a}, [x28]")
        }
        28 => {
            let c = cond(rng);
            out.push(format!("b.{c} 1f"));
            out.push(format!("add {}, {}, #1", d(rng), s(rng)));
            "1:".into()
        }
        29 => {
            let op = rng.pick(&["cbz", "cbnz"]);
            out.push(format!("{op} {}, 1f", s(rng)));
            out.push(format!("eor {}, {}, #1", d(rng), s(rng)));
            "1:".into()
        }
        30 => {
            let op = rng.pick(&["tbz", "tbnz"]);
            out.push(format!("{op} x{}, #{}, 1f", rng.below(25), rng.below(64)));
            out.push(format!("sub {}, {}, #3", d(rng), s(rng)));
            "1:".into()
        }
        31 => {
            if rng.below(2) == 0 {
                format!("mrs {}, nzcv", x(rng))
            } else {
                format!("msr nzcv, {}", x(rng))
            }
        }
        32 => match rng.below(4) {
            0 => format!("fmov d{}, {}", rng.below(8), x(rng)),
            1 => format!("fmov {}, d{}", x(rng), rng.below(8)),
            2 => format!("fmov s{}, w{}", rng.below(8), rng.below(25)),
            _ => format!("fmov {}, v{}.d[1]", x(rng), rng.below(8)),
        },
        33 => {
            let t = rng.pick(&["b", "h", "s", "d"]);
            let n = match t {
                "b" => 16,
                "h" => 8,
                "s" => 4,
                _ => 2,
            };
            match rng.below(5) {
                0 => format!(
                    "mov v{}.{t}[{}], {}{}",
                    rng.below(8),
                    rng.below(n),
                    if t == "d" { "x" } else { "w" },
                    rng.below(25)
                ),
                1 => format!(
                    "umov {}{}, v{}.{t}[{}]",
                    if t == "d" { "x" } else { "w" },
                    rng.below(25),
                    rng.below(8),
                    rng.below(n)
                ),
                2 if t != "d" => format!(
                    "smov {}{}, v{}.{t}[{}]",
                    if t == "s" || rng.below(2) == 0 {
                        "x"
                    } else {
                        "w"
                    },
                    rng.below(25),
                    rng.below(8),
                    rng.below(n)
                ),
                3 => format!(
                    "mov v{}.{t}[{}], v{}.{t}[{}]",
                    rng.below(8),
                    rng.below(n),
                    rng.below(8),
                    rng.below(n)
                ),
                _ => {
                    let arr = match t {
                        "b" => rng.pick(&["8b", "16b"]),
                        "h" => rng.pick(&["4h", "8h"]),
                        "s" => rng.pick(&["2s", "4s"]),
                        _ => "2d",
                    };
                    if rng.below(2) == 0 {
                        format!(
                            "dup v{}.{arr}, v{}.{t}[{}]",
                            rng.below(8),
                            rng.below(8),
                            rng.below(n)
                        )
                    } else {
                        format!(
                            "dup v{}.{arr}, {}{}",
                            rng.below(8),
                            if t == "d" { "x" } else { "w" },
                            rng.below(25)
                        )
                    }
                }
            }
        }
        34 => {
            let v = rng.below(8);
            let imm = rng.below(256);
            match rng.below(7) {
                0 => format!("movi v{v}.{}, #{imm}", rng.pick(&["8b", "16b"])),
                1 => format!(
                    "{} v{v}.{}, #{imm}, lsl #{}",
                    rng.pick(&["movi", "mvni", "orr", "bic"]),
                    rng.pick(&["2s", "4s"]),
                    8 * rng.below(4)
                ),
                2 => format!(
                    "{} v{v}.{}, #{imm}, lsl #{}",
                    rng.pick(&["movi", "mvni", "orr", "bic"]),
                    rng.pick(&["4h", "8h"]),
                    8 * rng.below(2)
                ),
                3 => format!(
                    "{} v{v}.{}, #{imm}, msl #{}",
                    rng.pick(&["movi", "mvni"]),
                    rng.pick(&["2s", "4s"]),
                    8 + 8 * rng.below(2)
                ),
                4 => {
                    let bytes: u64 = (0..8).fold(0, |a, k| {
                        a | if rng.below(2) == 0 {
                            0xff << (8 * k)
                        } else {
                            0
                        }
                    });
                    if rng.below(2) == 0 {
                        format!("movi d{v}, #{bytes:#x}")
                    } else {
                        format!("movi v{v}.2d, #{bytes:#x}")
                    }
                }
                5 => format!(
                    "fmov v{v}.{}, #{}",
                    rng.pick(&["2s", "4s", "2d"]),
                    rng.pick(&["1.0", "-2.5", "0.125", "31.0", "-0.1875"])
                ),
                _ => format!("mvni v{v}.4s, #{imm}"),
            }
        }
        35 => format!(
            "{} v{}.{a}, v{}.{a}, v{}.{a}",
            rng.pick(&["and", "bic", "orr", "orn", "eor", "bsl", "bit", "bif"]),
            rng.below(8),
            rng.below(8),
            rng.below(8),
            a = rng.pick(&["8b", "16b"])
        ),
        36 => {
            let (r, size) = match rng.below(5) {
                0 => ("b", 1),
                1 => ("h", 2),
                2 => ("s", 4),
                3 => ("d", 8),
                _ => ("q", 16),
            };
            let op = rng.pick(&["ldr", "str"]);
            match rng.below(4) {
                0 => format!("{op} {r}{}, [x28, #{}]", rng.below(8), size * rng.below(64)),
                1 => format!(
                    "{}ur {r}{}, [x28, #{}]",
                    &op[..2],
                    rng.below(8),
                    rng.below(256)
                ),
                2 => format!(
                    "{op} {r}{}, [x27, #{}]!",
                    rng.below(8),
                    size as i64 * (rng.below(9) as i64 - 4)
                ),
                _ => format!("{op} {r}{}, [x28, x25]", rng.below(8)),
            }
        }
        37 => {
            let r = rng.pick(&["s", "d", "q"]);
            let size = match r {
                "s" => 4,
                "d" => 8,
                _ => 16,
            };
            let (a, b) = (rng.below(8), rng.below(8));
            let b = if a == b { (b + 1) % 8 } else { b };
            let op = rng.pick(&["ldp", "stp"]);
            match rng.below(3) {
                0 => format!("{op} {r}{a}, {r}{b}, [x28, #{}]", size * rng.below(32)),
                1 => format!(
                    "{op} {r}{a}, {r}{b}, [x27, #{}]!",
                    size as i64 * (rng.below(9) as i64 - 4)
                ),
                _ => format!(
                    "{op} {r}{a}, {r}{b}, [x27], #{}",
                    size as i64 * (rng.below(9) as i64 - 4)
                ),
            }
        }
        38 => "dc zva, x28".into(),
        39 => {
            // LSE atomics on aligned addresses of the buffer.
            let ord = rng.pick(&["", "a", "l", "al"]);
            let (sfx, r, wide) = match rng.below(4) {
                0 => ("b", "w", false),
                1 => ("h", "w", false),
                2 => ("", "w", false),
                _ => ("", "x", true),
            };
            let (a, b) = (rng.below(25), rng.below(25));
            match rng.below(4) {
                0 | 1 => format!(
                    "{}{ord}{sfx} {r}{a}, {r}{b}, [x28]",
                    rng.pick(&[
                        "ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin",
                        "swp"
                    ])
                ),
                2 => format!("cas{ord}{sfx} {r}{a}, {r}{b}, [x28]"),
                _ => {
                    let (a, b) = (2 * rng.below(12), 2 * rng.below(12));
                    let r = if wide { "x" } else { "w" };
                    format!(
                        "casp{ord} {r}{a}, {r}{}, {r}{b}, {r}{}, [x28]",
                        a + 1,
                        b + 1
                    )
                }
            }
        }
        _ => format!(
            "{} {}, {}",
            rng.pick(&["neg", "negs", "mvn", "mov"]),
            d(rng),
            sz(rng)
        ),
    };
    out.push(insn);
}

fn random_case(rng: &mut Rng, len: usize) -> Case {
    let mut insns = Vec::new();
    while insns.len() < len {
        random_insn(rng, &mut insns);
    }
    let mut x = [0u64; 27];
    for v in x.iter_mut() {
        *v = rng.value();
    }
    x[25] = rng.below(256) & !7;
    x[26] = rng.below(512);
    let mut q = [0u128; 8];
    for v in q.iter_mut() {
        *v = u128::from(rng.next()) << 64 | u128::from(rng.next());
    }
    Case {
        insns,
        x,
        nzcv: rng.below(16) << 28,
        q,
    }
}

/// Tabled edge cases, one group per instruction class, from the ARM ARM's
/// corner cases (flags, division, shifts, counts).
fn edge_cases() -> Vec<Case> {
    let base = |insns: &[&str], x0: u64, x1: u64, x2: u64, nzcv: u64| {
        let mut x = [0u64; 27];
        x[0] = x0;
        x[1] = x1;
        x[2] = x2;
        for (k, v) in x.iter_mut().enumerate().skip(3) {
            *v = k as u64;
        }
        Case {
            insns: insns.iter().map(|s| s.to_string()).collect(),
            x,
            nzcv,
            q: [0; 8],
        }
    };
    let m = u64::MAX;
    let min = i64::MIN as u64;
    vec![
        // Add/subtract: carry and overflow at both widths.
        base(
            &[
                "adds x3, x1, x2",
                "mrs x4, nzcv",
                "adds w5, w1, w2",
                "mrs x6, nzcv",
            ],
            0,
            m,
            1,
            0,
        ),
        base(
            &[
                "subs x3, x1, x2",
                "mrs x4, nzcv",
                "subs w5, w1, w2",
                "mrs x6, nzcv",
            ],
            0,
            min,
            1,
            0,
        ),
        base(
            &["adcs x3, x1, x2", "sbcs x4, x1, x2", "mrs x5, nzcv"],
            0,
            m,
            0,
            1 << 29,
        ),
        base(
            &["cmp x1, x2", "cset x3, lt", "cset x4, lo", "cset x5, vs"],
            0,
            min,
            1,
            0,
        ),
        // Division: by zero is zero, INT_MIN / -1 is INT_MIN.
        base(
            &[
                "udiv x3, x1, x0",
                "sdiv x4, x1, x0",
                "sdiv x5, x1, x2",
                "sdiv w6, w1, w2",
            ],
            0,
            min,
            m,
            0,
        ),
        base(
            &["sdiv w3, w1, w2", "udiv w4, w1, w2"],
            0,
            0x8000_0000,
            0xffff_ffff,
            0,
        ),
        // Shifts by register take the amount modulo the width.
        base(
            &[
                "lslv x3, x1, x2",
                "lsrv w4, w1, w2",
                "asrv x5, x1, x2",
                "rorv w6, w1, w2",
            ],
            0,
            0x8000_0000_0000_0001,
            65,
            0,
        ),
        // Counts of zero and all ones.
        base(
            &[
                "clz x3, x0",
                "cls x4, x0",
                "cls x5, x1",
                "clz w6, w0",
                "cls w7, w1",
                "rbit x8, x2",
                "rev x9, x2",
                "rev16 w10, w2",
                "rev32 x11, x2",
            ],
            0,
            m,
            0x0123_4567_89ab_cdef,
            0,
        ),
        // Multiply high and long.
        base(
            &[
                "smulh x3, x1, x2",
                "umulh x4, x1, x2",
                "smaddl x5, w1, w2, x0",
                "umsubl x6, w1, w2, x0",
            ],
            7,
            m,
            m,
            0,
        ),
        // Bitfields: the aliases.
        base(
            &[
                "sbfx x3, x2, #60, #4",
                "ubfx w4, w2, #28, #4",
                "bfi x5, x2, #8, #16",
                "sxtw x6, w1",
                "lsl w7, w2, #31",
                "asr x8, x1, #63",
            ],
            0,
            0x8000_0000,
            0xf123_4567_89ab_cdef,
            0,
        ),
        // Conditional compare with the flags it leaves when false.
        base(
            &[
                "cmp x0, #1",
                "ccmp x1, x2, #0b1010, eq",
                "mrs x3, nzcv",
                "ccmn x1, #31, #0b0101, ne",
                "mrs x4, nzcv",
            ],
            1,
            5,
            5,
            0,
        ),
        // Logical with flags.
        base(
            &[
                "ands x3, x1, x2",
                "mrs x4, nzcv",
                "bics w5, w1, w2",
                "mrs x6, nzcv",
                "tst x1, #0x8000000000000000",
                "mrs x7, nzcv",
            ],
            0,
            min,
            m,
            0xf << 28,
        ),
        // Loads: sign extension of every size.
        base(
            &[
                "str x1, [x28]",
                "ldrsb x3, [x28, #7]",
                "ldrsh w4, [x28, #6]",
                "ldrsw x5, [x28, #4]",
                "ldursb w6, [x28, #7]",
                "ldr w7, [x28, #4]",
            ],
            0,
            0x8081_8283_8485_8687,
            0,
            0,
        ),
        // Exclusives: a pass, a failure after CLREX.
        base(
            &[
                "ldxr x3, [x28]",
                "stxr w4, x1, [x28]",
                "ldxr x5, [x28]",
                "clrex",
                "stxr w6, x2, [x28]",
                "ldr x7, [x28]",
            ],
            0,
            11,
            22,
            0,
        ),
    ]
}

fn program(cases: &[Case]) -> String {
    let mut s = String::new();
    s.push_str(".text\n.global _start\n_start:\n");
    if cases.is_empty() {
        let _ = writeln!(s, "  mov x0, #0\n  mov x8, #93\n  svc #0");
    } else {
        let _ = writeln!(s, "  bl setup_0\n  b seq_0_start");
    }
    // Copy meminit to buf.
    s.push_str(
        "copy_mem:\n  adrp x0, meminit\n  add x0, x0, :lo12:meminit\n  adrp x1, buf\n  add x1, x1, :lo12:buf\n  mov x2, #1024\n1: ldr x3, [x0], #8\n  str x3, [x1], #8\n  subs x2, x2, #1\n  b.ne 1b\n  ret\n",
    );
    // Write the dump and the buffer to stdout.
    s.push_str(
        "dump_out:\n  mov x0, #1\n  adrp x1, dump\n  add x1, x1, :lo12:dump\n  mov x2, #384\n  mov x8, #64\n  svc #0\n  mov x0, #1\n  adrp x1, buf\n  add x1, x1, :lo12:buf\n  mov x2, #8192\n  mov x8, #64\n  svc #0\n  ret\n",
    );
    for (k, c) in cases.iter().enumerate() {
        let _ = writeln!(
            s,
            "setup_{k}:\n  mov x29, x30\n  bl copy_mem\n  mov x30, x29\n  adrp x29, init_{k}\n  add x29, x29, :lo12:init_{k}\n  ldr x0, [x29, #216]\n  msr nzcv, x0"
        );
        for q in 0..4 {
            let _ = writeln!(
                s,
                "  ldp q{}, q{}, [x29, #{}]",
                2 * q,
                2 * q + 1,
                224 + 32 * q
            );
        }
        for r in 0..13 {
            let _ = writeln!(s, "  ldp x{}, x{}, [x29, #{}]", 2 * r, 2 * r + 1, 16 * r);
        }
        let _ = writeln!(
            s,
            "  ldr x26, [x29, #208]\n  adrp x28, buf\n  add x28, x28, :lo12:buf\n  add x28, x28, #0xe00\n  add x27, x28, #2048\n  mov x29, #0\n  ret"
        );
        let _ = writeln!(s, "seq_{k}_start:");
        for i in &c.insns {
            let _ = writeln!(s, "  {i}");
        }
        let _ = writeln!(
            s,
            "seq_{k}_end:\n  adrp x30, dump\n  add x30, x30, :lo12:dump"
        );
        for r in 0..15 {
            let _ = writeln!(s, "  stp x{}, x{}, [x30, #{}]", 2 * r, 2 * r + 1, 16 * r);
        }
        let _ = writeln!(s, "  mrs x0, nzcv\n  str x0, [x30, #240]");
        for q in 0..4 {
            let _ = writeln!(
                s,
                "  stp q{}, q{}, [x30, #{}]",
                2 * q,
                2 * q + 1,
                256 + 32 * q
            );
        }
        let _ = writeln!(s, "  bl dump_out\n  b after_{k}");
    }
    // After case k: set up and run case k + 1, or exit.
    let mut chain = String::new();
    for k in 0..cases.len() {
        let _ = writeln!(chain, "after_{k}:");
        if k + 1 < cases.len() {
            let _ = writeln!(chain, "  bl setup_{}\n  b seq_{}_start", k + 1, k + 1);
        } else {
            let _ = writeln!(chain, "  mov x0, #0\n  mov x8, #93\n  svc #0");
        }
    }
    s.push_str(&chain);
    s.push_str(".data\n.balign 16\n");
    for (k, c) in cases.iter().enumerate() {
        let _ = writeln!(s, "init_{k}:");
        for v in c.x {
            let _ = writeln!(s, "  .quad {v:#x}");
        }
        let _ = writeln!(s, "  .quad {:#x}", c.nzcv);
        for q in c.q {
            let _ = writeln!(s, "  .quad {:#x}, {:#x}", q as u64, (q >> 64) as u64);
        }
    }
    s.push_str(".balign 4096\nmeminit:\n");
    for i in 0..BUF_SIZE / 8 {
        let _ = writeln!(s, "  .quad {:#x}", meminit_word(i));
    }
    s.push_str(".balign 4096\nbuf: .space 8192\n.balign 16\ndump: .space 384\n");
    s
}

fn meminit_word(i: usize) -> u64 {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1));
    r.next();
    r.next()
}

struct Built {
    text: Vec<u8>,
    symbols: std::collections::HashMap<String, u64>,
    elf: PathBuf,
}

fn build(dir: &Path, asm: &str) -> Result<Built, String> {
    let s = dir.join("seq.s");
    let o = dir.join("seq.o");
    let elf = dir.join("seq.elf");
    let bin = dir.join("seq.text");
    std::fs::write(&s, asm).map_err(|e| e.to_string())?;
    let run = |cmd: &mut Command| -> Result<Vec<u8>, String> {
        let out = cmd.output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(out.stdout)
    };
    run(Command::new("aarch64-linux-gnu-as")
        .arg("-march=armv8.1-a")
        .arg(&s)
        .arg("-o")
        .arg(&o))?;
    run(Command::new("aarch64-linux-gnu-ld")
        .args(["-static", "-nostdlib", &format!("-Ttext={TEXT_BASE:#x}")])
        .arg(&o)
        .arg("-o")
        .arg(&elf))?;
    run(Command::new("aarch64-linux-gnu-objcopy")
        .args(["-O", "binary", "--only-section=.text"])
        .arg(&elf)
        .arg(&bin))?;
    let nm = run(Command::new("aarch64-linux-gnu-nm").arg(&elf))?;
    let mut symbols = std::collections::HashMap::new();
    for line in String::from_utf8_lossy(&nm).lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() == 3 {
            if let Ok(a) = u64::from_str_radix(f[0], 16) {
                symbols.insert(f[2].to_string(), a);
            }
        }
    }
    Ok(Built {
        text: std::fs::read(&bin).map_err(|e| e.to_string())?,
        symbols,
        elf,
    })
}

fn run_qemu(b: &Built, n: usize) -> Result<Vec<Dump>, String> {
    let out = Command::new("timeout")
        .args(["60", "qemu-aarch64"])
        .arg(&b.elf)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("qemu-aarch64 failed: {:?}", out.status));
    }
    let per = DUMP_SIZE + BUF_SIZE;
    if out.stdout.len() != n * per {
        return Err(format!(
            "qemu output {} bytes, expected {}",
            out.stdout.len(),
            n * per
        ));
    }
    Ok(out.stdout.chunks(per).map(Dump::parse).collect())
}

/// `HVC #0` ends a translated run; nothing else leaves the CPU.
struct EndAtHvc;

impl System for EndAtHvc {
    fn hvc(&mut self, _: u16, _: &mut GuestContext<'_>) -> CallResult {
        CallResult::Exit(Exit::PowerOff)
    }
    fn semihosting(&mut self, _: &mut GuestContext<'_>) -> CallResult {
        CallResult::Undefined
    }
}

/// Runs case `k` on emu::cpu at EL1 with an identity map of Normal
/// memory (one 1G block, or 4K pages when `pages`) and FP enabled, as user
/// mode sees memory, with the TLB page size `page`; with `blocks`, through
/// the translator (`Cpu::run`) to an `HVC #0` written over the sequence's
/// end in emu's memory only, else single-stepped.
fn run_emu(
    b: &Built,
    k: usize,
    c: &Case,
    page: PageSize,
    pages: bool,
    blocks: bool,
) -> Result<Dump, String> {
    let start = b.symbols[&format!("seq_{k}_start")];
    let end = b.symbols[&format!("seq_{k}_end")];
    let buf = b.symbols["buf"];
    let mut mem = PhysMemoryMap::new(page);
    mem.add_ram("ram", PhysAddr(0), RAM_SIZE, 0)
        .map_err(|e| e.to_string())?;
    mem.write_bytes(PhysAddr(TEXT_BASE), &b.text)
        .map_err(|e| e.to_string())?;
    let init: Vec<u8> = (0..BUF_SIZE / 8)
        .flat_map(|i| meminit_word(i).to_le_bytes())
        .collect();
    mem.write_bytes(PhysAddr(buf), &init)
        .map_err(|e| e.to_string())?;
    // Leaf attributes: AF, Inner Shareable, EL1 RW, AttrIndx 0.
    const LEAF: u64 = 1 << 10 | 3 << 8;
    let put = |mem: &mut PhysMemoryMap, at: u64, v: u64| {
        mem.write_bytes(PhysAddr(at), &v.to_le_bytes())
            .map_err(|e| e.to_string())
    };
    if pages {
        // L1[0] -> L2, L2[0..4] -> four L3 tables of 4K pages over 8M.
        let l2 = TABLE_PA + 0x1000;
        put(&mut mem, TABLE_PA, l2 | 0b11)?;
        for t in 0..4 {
            let l3 = TABLE_PA + 0x2000 + 0x1000 * t;
            put(&mut mem, l2 + 8 * t, l3 | 0b11)?;
            for e in 0..512 {
                let pa = (t << 21) | (e << 12);
                put(&mut mem, l3 + 8 * e, pa | LEAF | 0b11)?;
            }
        }
    } else {
        put(&mut mem, TABLE_PA, LEAF | 0b01)?; // one 1G block
    }
    if blocks {
        // hvc #0
        mem.write_bytes(PhysAddr(end), &0xd400_0002u32.to_le_bytes())
            .map_err(|e| e.to_string())?;
    }
    let mut cpu = Cpu::new(CpuConfig::new(page)).map_err(|e| e.to_string())?;
    cpu.reset(start, 0);
    cpu.sys.mair = 0xff;
    cpu.sys.tcr = 25 | 3 << 12 | 1 << 23 | 0b101 << 32;
    cpu.sys.ttbr0 = TABLE_PA;
    cpu.sys.sctlr |= 1;
    cpu.sys.cpacr = 3 << 20;
    for (i, v) in c.x.iter().enumerate() {
        cpu.regs.x[i] = *v;
    }
    cpu.regs.x[27] = buf + BASE_OFFSET + 2048;
    cpu.regs.x[28] = buf + BASE_OFFSET;
    cpu.regs.x[29] = 0;
    cpu.regs.pstate.set_nzcv(c.nzcv);
    for (i, v) in c.q.iter().enumerate() {
        cpu.regs.v[i] = *v;
    }
    let mut sys = EndAtHvc;
    if blocks {
        let exit = cpu.run(&mut mem, &mut sys, 10_000);
        if cpu.stats.exceptions != 0 {
            return Err(format!(
                "exception through the translator (ESR {:#x}, ELR {:#x})",
                cpu.sys.esr, cpu.sys.elr
            ));
        }
        if exit != Exit::PowerOff || cpu.regs.pc != end + 4 {
            return Err(format!("translator run ended with {exit}"));
        }
        cpu.regs.pc = end;
    }
    for _ in 0..10_000 {
        if cpu.regs.pc == end {
            let mut mem_out = vec![0u8; BUF_SIZE];
            mem.read_bytes(PhysAddr(buf), &mut mem_out)
                .map_err(|e| e.to_string())?;
            let mut x = [0u64; 30];
            x.copy_from_slice(&cpu.regs.x[..30]);
            let mut q = [0u128; 8];
            q.copy_from_slice(&cpu.regs.v[..8]);
            return Ok(Dump {
                x,
                nzcv: cpu.regs.pstate.nzcv(),
                q,
                mem: mem_out,
            });
        }
        let step = cpu.step(&mut mem, &mut sys);
        if let Some(e) = step.exception {
            return Err(format!(
                "exception at {:#x} ({}): {e}",
                step.pc,
                step.insn.map_or("?".into(), |i| i.to_string())
            ));
        }
    }
    Err("sequence did not reach its end".into())
}

fn work_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("granule-cpu-qemu-{}-{tag}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}

/// The TLB page size and guest mapping sequence `k` runs under: every
/// TLB page size in turn, under a 1G block and under 4K pages.
fn layout(k: usize) -> (PageSize, bool) {
    let page = PageSize::ALL[k % PageSize::ALL.len()];
    (page, (k / PageSize::ALL.len()) % 2 == 1)
}

/// Compares; on a mismatch, finds the first differing instruction by
/// running every prefix of the failing sequence.
fn check(cases: &[Case], tag: &str) -> Result<(), String> {
    let dir = work_dir(tag);
    let built = build(&dir, &program(cases))?;
    let want = run_qemu(&built, cases.len())?;
    let mut failures = Vec::new();
    let runs = cases
        .iter()
        .enumerate()
        .flat_map(|(k, c)| [false, true].map(move |blocks| (k, c, blocks)));
    for (k, c, blocks) in runs {
        if failures.len() >= 3 {
            break;
        }
        // Every TLB page size in turn, under a 1G block and 4K pages.
        let (page, pages) = layout(k);
        let got = run_emu(&built, k, c, page, pages, blocks);
        let bad = match &got {
            Ok(g) => *g != want[k],
            Err(_) => true,
        };
        if !bad {
            continue;
        }
        // Narrow down: prefixes of the sequence.
        let prefixes: Vec<Case> = (1..=c.insns.len())
            .filter(|&n| c.insns[n - 1] != "1:")
            .map(|n| {
                let mut insns = c.insns[..n].to_vec();
                // Close a forward branch the prefix cuts.
                let open = insns
                    .iter()
                    .rev()
                    .take_while(|l| *l != "1:")
                    .any(|l| l.ends_with(" 1f"));
                if open {
                    insns.push("1:".into());
                }
                Case { insns, ..c.clone() }
            })
            .collect();
        let mut first = String::from("(not narrowed)");
        if let Ok(pb) = build(&dir.join(format!("p{k}")), &program(&prefixes)).or_else(|_| {
            let _ = std::fs::create_dir_all(dir.join(format!("p{k}")));
            build(&dir.join(format!("p{k}")), &program(&prefixes))
        }) {
            if let Ok(pw) = run_qemu(&pb, prefixes.len()) {
                for (j, p) in prefixes.iter().enumerate() {
                    let g = run_emu(&pb, j, p, page, pages, blocks);
                    let d = match &g {
                        Ok(g) if *g == pw[j] => continue,
                        Ok(g) => pw[j].diff(g),
                        Err(e) => e.clone(),
                    };
                    let last = p
                        .insns
                        .iter()
                        .rev()
                        .find(|l| *l != "1:")
                        .cloned()
                        .unwrap_or_default();
                    first = format!("`{last}` (instruction {}):{d}", p.insns.len());
                    break;
                }
            }
        }
        let detail = match got {
            Ok(g) => want[k].diff(&g),
            Err(e) => e,
        };
        failures.push(format!(
            "sequence {k} ({page} TLB pages, 4K guest pages: {pages}, translated: {blocks}): {detail}\n  first difference at {first}\n  sequence: {}",
            c.insns.join("; ")
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

fn tools_present() -> bool {
    let missing: Vec<&str> = [
        "qemu-aarch64",
        "aarch64-linux-gnu-as",
        "aarch64-linux-gnu-ld",
        "aarch64-linux-gnu-objcopy",
        "aarch64-linux-gnu-nm",
    ]
    .into_iter()
    .filter(|t| !tool(t))
    .collect();
    if missing.is_empty() {
        true
    } else {
        eprintln!(
            "skipped: missing {} (apt-get install qemu-user binutils-aarch64-linux-gnu)",
            missing.join(", ")
        );
        false
    }
}

#[test]
fn edge_cases_per_class_match_qemu_user_mode() {
    if !tools_present() {
        return;
    }
    if let Err(e) = check(&edge_cases(), "edge") {
        panic!("emu::cpu differs from qemu-aarch64:\n{e}");
    }
}

#[test]
fn random_sequences_match_qemu_user_mode() {
    if !tools_present() {
        return;
    }
    let seed = std::env::var("CPU_QEMU_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs())
        });
    let n: usize = std::env::var("CPU_QEMU_SEQS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    eprintln!("random sequences: seed {seed} (CPU_QEMU_SEED={seed}), {n} sequences");
    let mut rng = Rng(seed | 1);
    let cases: Vec<Case> = (0..n).map(|_| random_case(&mut rng, 12)).collect();
    if let Err(e) = check(&cases, "random") {
        panic!("seed {seed}: emu::cpu differs from qemu-aarch64:\n{e}");
    }
}

/// Block execution against single-stepping on the same random sequences
/// (only the cross binutils needed): every register, NZCV and the buffer
/// equal, at each TLB page size, under a 1G block and 4K pages.
#[test]
fn random_sequences_through_the_translator_match_single_stepping() {
    if !tool("aarch64-linux-gnu-as") || !tool("aarch64-linux-gnu-ld") {
        eprintln!("skipped: missing binutils-aarch64-linux-gnu");
        return;
    }
    let seed = std::env::var("CPU_QEMU_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs())
        });
    eprintln!("translator vs single-step: seed {seed} (CPU_QEMU_SEED={seed})");
    let mut rng = Rng(seed | 1);
    let cases: Vec<Case> = (0..80).map(|_| random_case(&mut rng, 16)).collect();
    let dir = work_dir("blocks");
    let built = build(&dir, &program(&cases)).expect("assemble");
    for (k, c) in cases.iter().enumerate() {
        let (page, pages) = layout(k);
        let want = run_emu(&built, k, c, page, pages, false);
        let got = run_emu(&built, k, c, page, pages, true);
        match (&want, &got) {
            (Ok(w), Ok(g)) if w == g => {}
            (Err(w), Err(g)) if w.starts_with("exception") && g.starts_with("exception") => {}
            _ => panic!(
                "seed {seed}, sequence {k} ({page} TLB pages, 4K guest pages: {pages}): step {} vs blocks {}\n  sequence: {}",
                want.as_ref().map_or_else(|e| e.clone(), |_| "ok".into()),
                got.as_ref().map_or_else(|e| e.clone(), |w| want.as_ref().map_or("ok".into(), |v| v.diff(w))),
                c.insns.join("; ")
            ),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
