//! The shell's argument rules, one set for every command: keywords match
//! without regard to case (`EL0`, `W`, `ALL`, `16K`), an argument a command
//! does not take is refused, and two choices from one group (`r w`,
//! `el0 el1`) are a conflict, never "the last one wins". Pure parsing, so it
//! runs under `cargo test` on the host.

use core::fmt;
use emu::granule::Granule;
use emu::mmu::fault::{AccessKind, El};
use emu::pagesize::PageSize;

/// Why a command's arguments were refused. The shell prints it with the
/// command's usage line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgError<'a> {
    /// A word the command does not take.
    Unexpected(&'a str),
    /// Two words that choose differently in one group (or the same one twice).
    Conflict(&'a str, &'a str),
    /// A keyword that needs a value got none.
    Missing {
        /// The keyword.
        after: &'a str,
        /// What should follow it.
        expected: &'static str,
    },
    /// A word that is not what its place wants.
    Bad {
        /// The word.
        word: &'a str,
        /// What was expected.
        expected: &'static str,
    },
    /// A required argument is absent.
    Absent(&'static str),
}

impl fmt::Display for ArgError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::Unexpected(word) => write!(f, "unexpected argument {word:?}"),
            ArgError::Conflict(a, b) if a.eq_ignore_ascii_case(b) => {
                write!(f, "{a:?} given twice")
            }
            ArgError::Conflict(a, b) => write!(f, "{a:?} and {b:?} conflict: give one"),
            ArgError::Missing { after, expected } => {
                write!(f, "{after:?} needs {expected}")
            }
            ArgError::Bad { word, expected } => write!(f, "{word:?} is not {expected}"),
            ArgError::Absent(what) => write!(f, "missing {what}"),
        }
    }
}

/// The one case rule: keywords match whatever their case.
pub fn is_keyword(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}

/// Refuses any argument: for commands that take none.
pub fn none<'a>(args: &[&'a str]) -> Result<(), ArgError<'a>> {
    match args.first() {
        Some(word) => Err(ArgError::Unexpected(word)),
        None => Ok(()),
    }
}

/// At most one argument.
pub fn at_most_one<'a>(args: &[&'a str]) -> Result<Option<&'a str>, ArgError<'a>> {
    match args {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        [_, extra, ..] => Err(ArgError::Unexpected(extra)),
    }
}

/// A granule name (`4k`, `16K`...).
pub fn granule(word: &str) -> Result<Granule, ArgError<'_>> {
    word.to_ascii_lowercase()
        .parse()
        .map_err(|_| ArgError::Bad {
            word,
            expected: "a granule: use 4k, 16k or 64k",
        })
}

/// A number in hex (`0x...`) or decimal; `_` may group digits.
pub fn number(text: &str) -> Option<u64> {
    let mut digits = [0u8; 24];
    let mut len = 0;
    for &b in text.as_bytes().iter().filter(|&&b| b != b'_') {
        *digits.get_mut(len)? = b;
        len += 1;
    }
    let clean = core::str::from_utf8(&digits[..len]).ok()?;
    match clean
        .strip_prefix("0x")
        .or_else(|| clean.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => clean.parse().ok(),
    }
}

/// `seed=N` if `word` is one (the key in any case), with N parsed.
fn seed(word: &str) -> Option<Result<u64, ArgError<'_>>> {
    let (key, value) = word.split_once('=')?;
    if !is_keyword(key, "seed") {
        return None;
    }
    Some(number(value).ok_or(ArgError::Bad {
        word,
        expected: "a seed: use seed=N (hex 0x... or decimal)",
    }))
}

/// One group of mutually exclusive choices, remembering the word that
/// chose, so a second choice can name both.
struct Choice<'a, T> {
    chosen: Option<(&'a str, T)>,
}

impl<'a, T: Copy> Choice<'a, T> {
    const fn new() -> Self {
        Choice { chosen: None }
    }

    /// Takes `word` if it is one of `options`; `Ok(false)` if it is not.
    fn offer(&mut self, word: &'a str, options: &[(&str, T)]) -> Result<bool, ArgError<'a>> {
        match options.iter().find(|(k, _)| is_keyword(word, k)) {
            Some(&(_, value)) => self.set(word, value).map(|()| true),
            None => Ok(false),
        }
    }

    /// Records that `word` chose `value`: a conflict if a word did before.
    fn set(&mut self, word: &'a str, value: T) -> Result<(), ArgError<'a>> {
        if let Some((previous, _)) = self.chosen {
            return Err(ArgError::Conflict(previous, word));
        }
        self.chosen = Some((word, value));
        Ok(())
    }

    fn value(&self) -> Option<T> {
        self.chosen.map(|(_, v)| v)
    }
}

/// What `walk` was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkArgs {
    /// The address.
    pub va: u64,
    /// The Exception level of the access (default EL1).
    pub el: El,
    /// Read, write or fetch (default read).
    pub kind: AccessKind,
    /// `test G`: a test table set of this granule instead of the kernel's.
    pub test: Option<Granule>,
    /// `seed=N`: the seed of the test table set.
    pub seed: Option<u64>,
}

/// Parses `walk VA [el0|el1] [r|w|x] [test G [seed=N]]`.
pub fn walk<'a>(args: &[&'a str]) -> Result<WalkArgs, ArgError<'a>> {
    let Some((&first, rest)) = args.split_first() else {
        return Err(ArgError::Absent("the address VA"));
    };
    let va = number(first).ok_or(ArgError::Bad {
        word: first,
        expected: "an address (hex 0x... or decimal)",
    })?;
    let mut el = Choice::new();
    let mut kind = Choice::new();
    let mut test: Choice<'a, Granule> = Choice::new();
    let mut seed_word: Choice<'a, u64> = Choice::new();
    let mut words = rest.iter();
    while let Some(&word) = words.next() {
        if el.offer(word, &[("el0", El::El0), ("el1", El::El1)])?
            || kind.offer(
                word,
                &[
                    ("r", AccessKind::Read),
                    ("w", AccessKind::Write),
                    ("x", AccessKind::Execute),
                ],
            )?
        {
            continue;
        }
        if is_keyword(word, "test") {
            let g = words.next().ok_or(ArgError::Missing {
                after: word,
                expected: "a granule (4k, 16k or 64k)",
            })?;
            test.set(word, granule(g)?)?;
            continue;
        }
        if let Some(value) = seed(word) {
            seed_word.set(word, value?)?;
            continue;
        }
        return Err(ArgError::Unexpected(word));
    }
    if let (Some((word, _)), None) = (seed_word.chosen, test.chosen) {
        return Err(ArgError::Missing {
            after: word,
            expected: "`test G` (a seed chooses a test table set)",
        });
    }
    Ok(WalkArgs {
        va,
        el: el.value().unwrap_or(El::El1),
        kind: kind.value().unwrap_or(AccessKind::Read),
        test: test.value(),
        seed: seed_word.value(),
    })
}

/// What `test` was asked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TestArgs<'a> {
    /// `--list`: print the names, run nothing.
    pub list: bool,
    /// The filter: a path prefix (`walker::stage1`) or an exact name.
    pub filter: Option<&'a str>,
    /// `seed=N`: the seed for the randomised tests.
    pub seed: Option<u64>,
}

/// Parses `test [--list] [FILTER] [seed=N]`.
pub fn test<'a>(args: &[&'a str]) -> Result<TestArgs<'a>, ArgError<'a>> {
    let mut list: Choice<'a, ()> = Choice::new();
    let mut filter: Choice<'a, &'a str> = Choice::new();
    let mut seed_word: Choice<'a, u64> = Choice::new();
    for &word in args {
        if list.offer(word, &[("--list", ())])? {
            continue;
        }
        if let Some(value) = seed(word) {
            seed_word.set(word, value?)?;
        } else if word.starts_with('-') || filter.chosen.is_some() {
            return Err(ArgError::Unexpected(word));
        } else {
            filter.set(word, word)?;
        }
    }
    Ok(TestArgs {
        list: list.value().is_some(),
        filter: filter.value(),
        seed: seed_word.value(),
    })
}

/// `[1k|4k|16k|64k|all]` of `tlb` and `tb`: the page sizes to run with
/// (4K when none is given).
pub fn page_sizes<'a>(args: &[&'a str]) -> Result<&'static [PageSize], ArgError<'a>> {
    static ALL: [PageSize; 4] = PageSize::ALL;
    let Some(word) = at_most_one(args)? else {
        return Ok(core::slice::from_ref(&PageSize::K4));
    };
    if is_keyword(word, "all") {
        return Ok(&ALL);
    }
    let size: PageSize = word
        .to_ascii_lowercase()
        .parse()
        .map_err(|_| ArgError::Bad {
            word,
            expected: "a page size: use 1k, 4k, 16k, 64k or all",
        })?;
    Ok(ALL
        .iter()
        .find(|&&p| p == size)
        .map_or(&ALL[..], core::slice::from_ref))
}

/// `host-granule=` of `run`: one granule, or each one the CPU has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostGranules {
    /// `host-granule=4k|16k|64k`.
    One(Granule),
    /// `host-granule=all`.
    All,
}

/// What `run` was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunArgs<'a> {
    /// A built-in guest's name, `all`, or none (the initrd).
    pub name: Option<&'a str>,
    /// `host-granule=G|all`.
    pub host_granules: Option<HostGranules>,
    /// `page-size=P`.
    pub page_size: Option<PageSize>,
    /// `native`: also time the benchmark loop natively.
    pub native: bool,
}

/// `KEY=VALUE` if `word` is one with this key (in any case).
fn keyed<'a>(word: &'a str, key: &str) -> Option<&'a str> {
    let (k, value) = word.split_once('=')?;
    is_keyword(k, key).then_some(value)
}

/// Parses `run [NAME|all] [host-granule=G|all] [page-size=P] [native]`.
/// Guest names are names, not keywords: they keep their case (but `all`).
pub fn run<'a>(args: &[&'a str]) -> Result<RunArgs<'a>, ArgError<'a>> {
    let mut name: Choice<'a, &'a str> = Choice::new();
    let mut granules: Choice<'a, HostGranules> = Choice::new();
    let mut page: Choice<'a, PageSize> = Choice::new();
    let mut native: Choice<'a, ()> = Choice::new();
    for &word in args {
        if native.offer(word, &[("native", ())])? {
            continue;
        }
        if let Some(value) = keyed(word, "host-granule") {
            granules.set(word, host_granules(word, value)?)?;
        } else if let Some(value) = keyed(word, "page-size") {
            let size = value
                .to_ascii_lowercase()
                .parse()
                .map_err(|_| ArgError::Bad {
                    word,
                    expected: "a page size: use page-size=1k, 4k, 16k or 64k",
                })?;
            page.set(word, size)?;
        } else if word.contains('=') || word.starts_with('-') {
            return Err(ArgError::Unexpected(word));
        } else {
            let word_or_all = if is_keyword(word, "all") { "all" } else { word };
            name.set(word, word_or_all)?;
        }
    }
    Ok(RunArgs {
        name: name.value(),
        host_granules: granules.value(),
        page_size: page.value(),
        native: native.value().is_some(),
    })
}

/// The value of `host-granule=`: one granule or `all`.
fn host_granules<'a>(word: &'a str, value: &str) -> Result<HostGranules, ArgError<'a>> {
    if is_keyword(value, "all") {
        return Ok(HostGranules::All);
    }
    granule(value)
        .map(HostGranules::One)
        .map_err(|_| ArgError::Bad {
            word,
            expected: "a host granule: use host-granule=4k, 16k, 64k or all",
        })
}

/// What `bench` was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BenchArgs<'a> {
    /// A workload's name, or none (`all`): every workload.
    pub name: Option<&'a str>,
    /// `host-granule=G|all` (none: all).
    pub host_granules: Option<HostGranules>,
    /// `page-size=G`: one guest page size (none or `all`: 4K, 16K, 64K).
    pub page_size: Option<Granule>,
}

/// Parses `bench [NAME|all] [host-granule=G|all] [page-size=4k|16k|64k|all]`.
/// Workload names are names: they keep their case (but `all`).
pub fn bench<'a>(args: &[&'a str]) -> Result<BenchArgs<'a>, ArgError<'a>> {
    let mut name: Choice<'a, Option<&'a str>> = Choice::new();
    let mut granules: Choice<'a, HostGranules> = Choice::new();
    let mut page: Choice<'a, Option<Granule>> = Choice::new();
    for &word in args {
        if let Some(value) = keyed(word, "host-granule") {
            granules.set(word, host_granules(word, value)?)?;
        } else if let Some(value) = keyed(word, "page-size") {
            let size = if is_keyword(value, "all") {
                None
            } else {
                Some(granule(value).map_err(|_| ArgError::Bad {
                    word,
                    expected: "a guest page size: use page-size=4k, 16k, 64k or all",
                })?)
            };
            page.set(word, size)?;
        } else if word.contains('=') || word.starts_with('-') {
            return Err(ArgError::Unexpected(word));
        } else {
            name.set(word, (!is_keyword(word, "all")).then_some(word))?;
        }
    }
    Ok(BenchArgs {
        name: name.value().flatten(),
        host_granules: granules.value(),
        page_size: page.value().flatten(),
    })
}

/// Whether the test `name` runs for `filter`: the filter is the whole name
/// or a prefix of it that ends at a `::`, so `walker::stage1` runs
/// `walker::stage1::vs_at_4k` but not `walker::stage12::vs_at_4k`. Names are
/// paths, not keywords: they match in their own case.
pub fn filter_matches(filter: &str, name: &str) -> bool {
    let filter = filter.trim_end_matches(':');
    match name.strip_prefix(filter) {
        Some(rest) => filter.is_empty() || rest.is_empty() || rest.starts_with("::"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_without_arguments_refuse_one() {
        assert_eq!(none(&["now"]), Err(ArgError::Unexpected("now")));
        assert_eq!(none(&[]), Ok(()));
        assert_eq!(at_most_one(&["a", "b"]), Err(ArgError::Unexpected("b")));
    }

    #[test]
    fn walk_defaults_and_choices() {
        let w = walk(&["0x4000_0000"]).unwrap();
        assert_eq!(
            (w.va, w.el, w.kind, w.test),
            (0x4000_0000, El::El1, AccessKind::Read, None)
        );
        let w = walk(&["4096", "EL0", "W", "TEST", "16K", "seed=0x10"]).unwrap();
        assert_eq!(
            (w.va, w.el, w.kind, w.test, w.seed),
            (
                4096,
                El::El0,
                AccessKind::Write,
                Some(Granule::K16),
                Some(16)
            )
        );
    }

    #[test]
    fn walk_conflicting_options_are_an_error() {
        assert_eq!(walk(&["0", "r", "w"]), Err(ArgError::Conflict("r", "w")));
        assert_eq!(
            walk(&["0", "el0", "el1"]),
            Err(ArgError::Conflict("el0", "el1"))
        );
        assert_eq!(walk(&["0", "x", "X"]), Err(ArgError::Conflict("x", "X")));
        assert!(matches!(
            walk(&["0", "test", "4k", "test", "64k"]),
            Err(ArgError::Conflict(..))
        ));
        assert_eq!(
            walk(&["0", "test", "8k"]),
            Err(ArgError::Bad {
                word: "8k",
                expected: "a granule: use 4k, 16k or 64k"
            })
        );
        assert!(matches!(
            walk(&["0", "test"]),
            Err(ArgError::Missing { .. })
        ));
        assert!(matches!(
            walk(&["0", "seed=1"]),
            Err(ArgError::Missing { .. })
        ));
        assert!(matches!(walk(&["0", "seed=zz"]), Err(ArgError::Bad { .. })));
        assert_eq!(walk(&["0", "rw"]), Err(ArgError::Unexpected("rw")));
        assert_eq!(walk(&[]), Err(ArgError::Absent("the address VA")));
        assert!(matches!(walk(&["0xg"]), Err(ArgError::Bad { .. })));
    }

    #[test]
    fn numbers() {
        assert_eq!(number("0xffff_0000"), Some(0xffff_0000));
        assert_eq!(number("0X10"), Some(16));
        assert_eq!(number("42"), Some(42));
        assert_eq!(number("0x1_0000_0000_0000_0000"), None);
        assert_eq!(number("0x0000000000000000000000001"), None);
        assert_eq!(number(""), None);
    }

    #[test]
    fn test_arguments() {
        assert_eq!(
            test(&["--list"]).unwrap(),
            TestArgs {
                list: true,
                ..TestArgs::default()
            }
        );
        let t = test(&["walker::stage1", "SEED=7"]).unwrap();
        assert_eq!((t.filter, t.seed), (Some("walker::stage1"), Some(7)));
        assert_eq!(test(&["a", "b"]), Err(ArgError::Unexpected("b")));
        assert_eq!(test(&["--lst"]), Err(ArgError::Unexpected("--lst")));
        assert!(matches!(
            test(&["seed=1", "seed=2"]),
            Err(ArgError::Conflict(..))
        ));
    }

    #[test]
    fn filters_match_whole_path_components() {
        assert!(filter_matches("walker::stage1", "walker::stage1::vs_at_4k"));
        assert!(!filter_matches(
            "walker::stage1",
            "walker::stage12::vs_at_4k"
        ));
        assert!(filter_matches("walker", "walker::stage12::vs_at_4k"));
        assert!(filter_matches("walker::", "walker::stage12::vs_at_4k"));
        assert!(filter_matches("mmu::switch_4k", "mmu::switch_4k"));
        assert!(!filter_matches("mmu::switch", "mmu::switch_4k"));
        assert!(!filter_matches("walk", "walker::stage1::vs_at_4k"));
        assert!(filter_matches("", "anything"));
    }

    #[test]
    fn messages() {
        use std::string::ToString;
        assert_eq!(
            ArgError::Conflict("r", "w").to_string(),
            "\"r\" and \"w\" conflict: give one"
        );
        assert_eq!(
            ArgError::Conflict("r", "R").to_string(),
            "\"r\" given twice"
        );
        assert_eq!(
            ArgError::Unexpected("now").to_string(),
            "unexpected argument \"now\""
        );
    }

    #[test]
    fn bench_arguments_follow_the_same_rules() {
        let b = bench(&["crc32", "HOST-GRANULE=16k", "page-size=64K"]).unwrap();
        assert_eq!(
            (b.name, b.host_granules, b.page_size),
            (
                Some("crc32"),
                Some(HostGranules::One(Granule::K16)),
                Some(Granule::K64)
            )
        );
        let all = bench(&["ALL", "page-size=all"]).unwrap();
        assert_eq!((all.name, all.page_size), (None, None));
        assert_eq!(bench(&[]).unwrap().host_granules, None);
        assert!(matches!(
            bench(&["page-size=1k"]),
            Err(ArgError::Bad {
                word: "page-size=1k",
                ..
            })
        ));
        assert_eq!(
            bench(&["sort", "fsm"]),
            Err(ArgError::Conflict("sort", "fsm"))
        );
        assert_eq!(bench(&["x=1"]), Err(ArgError::Unexpected("x=1")));
    }

    #[test]
    fn run_arguments_follow_the_same_rules() {
        let r = run(&["mmu", "HOST-GRANULE=ALL", "Page-Size=16K"]).unwrap();
        assert_eq!(
            (r.name, r.host_granules, r.page_size, r.native),
            (
                Some("mmu"),
                Some(HostGranules::All),
                Some(PageSize::K16),
                false
            )
        );
        assert_eq!(run(&["ALL"]).unwrap().name, Some("all"));
        assert!(run(&["bench-int", "native"]).unwrap().native);
        assert_eq!(
            run(&["host-granule=4k", "host-granule=64k"]),
            Err(ArgError::Conflict("host-granule=4k", "host-granule=64k"))
        );
        assert_eq!(run(&["a", "b"]), Err(ArgError::Conflict("a", "b")));
        assert_eq!(run(&["seed=1"]), Err(ArgError::Unexpected("seed=1")));
        assert!(matches!(run(&["page-size=2k"]), Err(ArgError::Bad { .. })));
        assert!(matches!(
            run(&["host-granule=8k"]),
            Err(ArgError::Bad { .. })
        ));
    }

    #[test]
    fn page_size_arguments_of_tlb_and_tb() {
        assert_eq!(page_sizes(&[]), Ok(&[PageSize::K4][..]));
        assert_eq!(page_sizes(&["64K"]), Ok(&[PageSize::K64][..]));
        assert_eq!(page_sizes(&["All"]), Ok(&PageSize::ALL[..]));
        assert!(matches!(page_sizes(&["2k"]), Err(ArgError::Bad { .. })));
        assert_eq!(page_sizes(&["4k", "x"]), Err(ArgError::Unexpected("x")));
    }
}
