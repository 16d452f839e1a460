//! The kernel command line: `key=value` words. Granule reads its own keys
//! and ignores the rest (the Raspberry Pi firmware adds its own). `cmds=`
//! takes the rest of the line, so commands may contain spaces.

use core::fmt;
use emu::granule::Granule;

/// Which host granule(s) to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostGranule {
    /// One granule.
    One(Granule),
    /// Every granule the CPU supports, in turn.
    All,
}

impl fmt::Display for HostGranule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostGranule::One(g) => write!(f, "{g}"),
            HostGranule::All => f.write_str("all"),
        }
    }
}

/// What answers the `AT` instructions, named on the kernel command line
/// (`oracle=qemu7.2|qemu10|hardware`): each QEMU version has its own known
/// departures from the ARM ARM, and real hardware has none that the test
/// excuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Oracle {
    /// QEMU 7.2 (Debian 12's).
    Qemu72,
    /// QEMU 10 (Debian 12's bookworm-backports).
    Qemu10,
    /// A real CPU: no deviation is excused.
    Hardware,
    /// Not said: every known deviation of every QEMU is excused, and the
    /// `AT` that aborts QEMU 10 is not asked.
    Unknown,
}

impl Oracle {
    /// The oracle a command-line value names.
    pub fn from_name(name: &str) -> Option<Oracle> {
        match name {
            "qemu7.2" => Some(Oracle::Qemu72),
            "qemu10" => Some(Oracle::Qemu10),
            "hardware" => Some(Oracle::Hardware),
            _ => None,
        }
    }

    /// Its name, as in the summary.
    pub fn name(self) -> &'static str {
        match self {
            Oracle::Qemu72 => "QEMU 7.2",
            Oracle::Qemu10 => "QEMU 10",
            Oracle::Hardware => "the hardware",
            Oracle::Unknown => "an unnamed oracle",
        }
    }
}

/// A command-line value Granule could not use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadOption<'a> {
    /// The key.
    pub key: &'a str,
    /// The value given.
    pub value: &'a str,
    /// What was expected.
    pub expected: &'static str,
}

impl fmt::Display for BadOption<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad boot option {}={:?}: expected {}",
            self.key, self.value, self.expected
        )
    }
}

/// Granule's options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options<'a> {
    /// `host-granule=4k|16k|64k|all`.
    pub host_granule: Option<HostGranule>,
    /// `cmds=...`: shell commands to run in batch mode, `;`-separated.
    pub commands: Option<&'a str>,
    /// `then=shell`: after the commands, open the shell instead of
    /// powering off.
    pub then_shell: bool,
    /// `initrd=ADDR,SIZE` (Linux's syntax): where the loader put the
    /// initrd when no device tree says so (QEMU's raspi3b without `-dtb`).
    pub initrd: Option<(u64, u64)>,
    /// `oracle=qemu7.2|qemu10|hardware`: what answers the differential
    /// tests' `AT` instructions.
    pub oracle: Option<Oracle>,
}

/// A number in decimal or `0x` hexadecimal.
fn number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Parses `line`, returning the options and the first bad value, if any
/// (bad values are skipped, not fatal).
pub fn parse(line: &str) -> (Options<'_>, Option<BadOption<'_>>) {
    let mut options = Options::default();
    let mut problem = None;
    let mut rest = line.trim();
    while !rest.is_empty() {
        if let Some(commands) = rest.strip_prefix("cmds=") {
            options.commands = Some(commands.trim());
            break;
        }
        let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        rest = tail.trim_start();
        let Some((key, value)) = word.split_once('=') else {
            continue;
        };
        if key == "oracle" {
            match Oracle::from_name(value) {
                Some(o) => options.oracle = Some(o),
                None => {
                    problem.get_or_insert(BadOption {
                        key,
                        value,
                        expected: "qemu7.2, qemu10 or hardware",
                    });
                }
            }
        }
        if key == "initrd" {
            let parsed = value
                .split_once(',')
                .and_then(|(a, n)| Some((number(a)?, number(n)?)))
                .filter(|(a, n)| *n > 0 && a.checked_add(*n).is_some());
            match parsed {
                Some(range) => options.initrd = Some(range),
                None => {
                    problem.get_or_insert(BadOption {
                        key,
                        value,
                        expected: "ADDRESS,SIZE",
                    });
                }
            }
        }
        if key == "then" {
            if value == "shell" {
                options.then_shell = true;
            } else {
                problem.get_or_insert(BadOption {
                    key,
                    value,
                    expected: "shell",
                });
            }
        }
        if key == "host-granule" {
            match value {
                "all" => options.host_granule = Some(HostGranule::All),
                v => match v.parse::<Granule>() {
                    Ok(g) => options.host_granule = Some(HostGranule::One(g)),
                    Err(_) => {
                        problem.get_or_insert(BadOption {
                            key,
                            value,
                            expected: "4k, 16k, 64k or all",
                        });
                    }
                },
            }
        }
    }
    (options, problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_granule_and_commands_among_firmware_words() {
        let (o, bad) = parse(
            "coherent_pool=1M 8250.nr_uarts=1 host-granule=16k cmds=info; granule 64k; poweroff",
        );
        assert_eq!(bad, None);
        assert_eq!(o.host_granule, Some(HostGranule::One(Granule::K16)));
        assert_eq!(o.commands, Some("info; granule 64k; poweroff"));
    }

    #[test]
    fn all_granules() {
        assert_eq!(
            parse("host-granule=all").0.host_granule,
            Some(HostGranule::All)
        );
    }

    #[test]
    fn a_bad_granule_is_reported_and_skipped() {
        let (o, bad) = parse("host-granule=8k cmds=info");
        assert_eq!(o.host_granule, None);
        assert_eq!(o.commands, Some("info"));
        assert_eq!(bad.map(|b| b.value), Some("8k"));
    }

    #[test]
    fn then_shell() {
        let (o, bad) = parse("then=shell cmds=run all");
        assert!(o.then_shell && bad.is_none());
        assert_eq!(o.commands, Some("run all"));
        assert_eq!(parse("then=x").1.map(|b| b.key), Some("then"));
    }

    #[test]
    fn initrd_address_and_size() {
        assert_eq!(
            parse("initrd=0x8000000,4096").0.initrd,
            Some((0x800_0000, 4096))
        );
        for bad in [
            "initrd=0x8000000",
            "initrd=x,1",
            "initrd=1,0",
            "initrd=0xffffffffffffffff,2",
        ] {
            let (o, problem) = parse(bad);
            assert_eq!(o.initrd, None, "{bad}");
            assert_eq!(problem.map(|b| b.key), Some("initrd"), "{bad}");
        }
    }

    #[test]
    fn oracle_names_and_a_bad_one() {
        assert_eq!(parse("oracle=qemu10").0.oracle, Some(Oracle::Qemu10));
        assert_eq!(parse("oracle=qemu7.2").0.oracle, Some(Oracle::Qemu72));
        let (o, bad) = parse("oracle=qemu9 cmds=test");
        assert_eq!(o.oracle, None);
        assert_eq!(bad.map(|b| b.expected), Some("qemu7.2, qemu10 or hardware"));
    }

    #[test]
    fn empty_line() {
        assert_eq!(parse("   "), (Options::default(), None));
    }
}
