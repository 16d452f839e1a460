//! The virt-compatible machine without a CPU: its memory map, image loader,
//! device tree, PSCI and semihosting. Expected values come from QEMU 7.2's
//! `virt` board (where it puts the device tree, its node names, HEAPINFO)
//! and from the specifications (PSCI, semihosting, ELF, the arm64 Image
//! header).

use std::boxed::Box;
use std::cell::RefCell;
use std::rc::Rc;
use std::string::String;
use std::vec;
use std::vec::Vec;

use emu::addr::PhysAddr;
use emu::fdt::Fdt;
use emu::machine::layout::{RAM_BASE, UART_BASE};
use emu::machine::psci::{self, PsciOutcome};
use emu::machine::semihosting::{op, GuestMemory, GuestMemoryError, SemihostingHost};
use emu::machine::{ImageFormat, LoadError, MachineError, SemihostingOutcome, Virt, VirtConfig};
use emu::mem::{AccessSize, BusErrorKind, ConsoleSource, RamStorage, RegionError};
use emu::pagesize::PageSize;

fn machine_with(config: VirtConfig) -> (Virt, Rc<RefCell<Vec<u8>>>) {
    let out = Rc::new(RefCell::new(Vec::new()));
    let o = out.clone();
    let sink = move |b: u8| o.borrow_mut().push(b);
    (Virt::new(config, None, Box::new(sink), None).unwrap(), out)
}

fn machine() -> (Virt, Rc<RefCell<Vec<u8>>>) {
    machine_with(VirtConfig::new(PageSize::K64))
}

#[test]
fn uart_sub_page_and_the_hole_beside_it() {
    let (mut m, out) = machine();
    for b in b"hi\n" {
        m.map
            .write(UART_BASE, AccessSize::Word, u64::from(*b))
            .unwrap();
    }
    assert_eq!(&*out.borrow(), b"hi\n");
    // UARTFR: TX FIFO empty, RX FIFO empty (PL011 TRM reset state).
    assert_eq!(
        m.map.read(UART_BASE.add(0x18), AccessSize::Word).unwrap(),
        0x90
    );
    // The rest of the UART's 64K page, and the space around it: holes.
    for pa in [0x0900_1000u64, 0x0900_fffc, 0x08ff_fffc, 0x0, 0x3fff_fff8] {
        let e = m.map.read(PhysAddr(pa), AccessSize::Word).unwrap_err();
        assert_eq!(e.kind, BusErrorKind::Unmapped, "{pa:#x}");
        let e = m.map.write(PhysAddr(pa), AccessSize::Word, 0).unwrap_err();
        assert_eq!(e.kind, BusErrorKind::Unmapped, "{pa:#x}");
    }
    assert_eq!(m.describe(0x0900_1000), "nothing (external abort)");
    assert_eq!(m.describe(0x0900_0000), "pl011");
}

#[test]
fn ram_size_and_its_end() {
    let (mut m, _) = machine();
    let last = RAM_BASE.add(128 << 20).0 - 8;
    m.map.write(PhysAddr(last), AccessSize::Double, 7).unwrap();
    assert_eq!(m.map.read(PhysAddr(last), AccessSize::Double).unwrap(), 7);
    assert!(m.map.read(PhysAddr(last + 8), AccessSize::Byte).is_err());
}

#[test]
fn bad_ram_sizes_are_refused() {
    for size in [0, 1 << 20, (128 << 20) + 4096, 256 << 30] {
        let mut c = VirtConfig::new(PageSize::K4);
        c.ram_size = size;
        let e = Virt::new(c, None, Box::new(|_b: u8| {}), None)
            .err()
            .unwrap();
        assert_eq!(e, MachineError::BadRamSize { size });
    }
}

/// A fixed block, as the kernel hands over from its frame allocator.
struct Block(Vec<u8>);
impl RamStorage for Block {
    fn bytes(&self) -> &[u8] {
        &self.0
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

#[test]
fn ram_from_fixed_storage_and_a_clear_message_when_it_is_short() {
    let mut c = VirtConfig::new(PageSize::K4);
    c.ram_size = 8 << 20;
    let m = Virt::new(
        c.clone(),
        Some(Box::new(Block(vec![0xaa; 8 << 20]))),
        Box::new(|_b: u8| {}),
        None,
    )
    .unwrap();
    // RAM is zeroed even though the block was not.
    assert_eq!(m.map.read_vec(RAM_BASE, 16).unwrap(), vec![0; 16]);
    let e = Virt::new(
        c,
        Some(Box::new(Block(vec![0; 6 << 20]))),
        Box::new(|_b: u8| {}),
        None,
    )
    .err()
    .unwrap();
    assert_eq!(
        e,
        MachineError::Map(RegionError::TooMuchMemory {
            name: "ram".into(),
            requested: 8 << 20,
            available: 6 << 20
        })
    );
    assert_eq!(
        std::format!("{e}"),
        "region ram: 8 MiB asked for, only 6 MiB free for guest memory"
    );
}

#[test]
fn uart_reads_console_input() {
    struct Typed(Vec<u8>);
    impl ConsoleSource for Typed {
        fn poll_byte(&mut self) -> Option<u8> {
            (!self.0.is_empty()).then(|| self.0.remove(0))
        }
    }
    let m = Virt::new(
        VirtConfig::new(PageSize::K4),
        None,
        Box::new(|_b: u8| {}),
        Some(Box::new(Typed(b"ok".to_vec()))),
    );
    let mut m = m.unwrap();
    let fr = UART_BASE.add(0x18);
    assert_eq!(
        m.map.read(fr, AccessSize::Word).unwrap() & 0x10,
        0,
        "RXFE clear"
    );
    assert_eq!(
        m.map.read(UART_BASE, AccessSize::Word).unwrap(),
        u64::from(b'o')
    );
    assert_eq!(
        m.map.read(UART_BASE, AccessSize::Word).unwrap(),
        u64::from(b'k')
    );
    assert_eq!(
        m.map.read(fr, AccessSize::Word).unwrap() & 0x10,
        0x10,
        "RXFE set"
    );
}

fn arm64_image(text_offset: u64, image_size: u64) -> Vec<u8> {
    let mut f = vec![0u8; 0x100];
    f[8..16].copy_from_slice(&text_offset.to_le_bytes());
    f[16..24].copy_from_slice(&image_size.to_le_bytes());
    f[0x38..0x3c].copy_from_slice(b"ARM\x64");
    f
}

#[test]
fn raw_image_at_0x40080000_with_the_dtb_where_qemu_puts_it() {
    // QEMU 7.2, -m 128M: x0 = 0x4400_0000; -m 256M: 0x4800_0000; -m 64M: 0x4200_0000.
    for (ram, dtb) in [
        (128u64 << 20, 0x4400_0000u64),
        (256 << 20, 0x4800_0000),
        (64 << 20, 0x4200_0000),
    ] {
        let mut c = VirtConfig::new(PageSize::K4);
        c.ram_size = ram;
        let (mut m, _) = machine_with(c);
        let boot = m.load(&[0x1f, 0x20, 0x03, 0xd5]).unwrap();
        assert_eq!(boot.format, ImageFormat::Raw);
        assert_eq!((boot.entry, boot.x0, boot.dtb), (0x4008_0000, dtb, dtb));
        assert_eq!(
            m.map.read_vec(PhysAddr(0x4008_0000), 4).unwrap(),
            [0x1f, 0x20, 0x03, 0xd5]
        );
        assert_eq!(
            m.map.read_vec(PhysAddr(dtb), 4).unwrap(),
            [0xd0, 0x0d, 0xfe, 0xed]
        );
    }
}

#[test]
fn arm64_image_header_text_offset() {
    let (mut m, _) = machine();
    // Linux's rule, as QEMU applies it: text_offset counts when image_size
    // is set; below 4 KiB (QEMU's boot stub) it moves up by 2 MiB.
    let cases = [
        (arm64_image(0x20_0000, 0x1000), 0x4020_0000),
        (arm64_image(0, 0x1000), 0x4020_0000),
        (arm64_image(0x8_0000, 0), 0x4008_0000),
        (arm64_image(0x40_0000, 0x1000), 0x4040_0000),
    ];
    for (file, at) in cases {
        let boot = m.load(&file).unwrap();
        assert!(matches!(boot.format, ImageFormat::Arm64Image { .. }));
        assert_eq!(boot.entry, at);
        assert_eq!(m.map.read_vec(PhysAddr(at + 0x38), 4).unwrap(), b"ARM\x64");
    }
}

/// A minimal ELF64 executable: header, `phdrs` program headers, data.
fn elf(phdrs: &[(u32, u64, u64, u64)], data: &[u8], entry: u64) -> Vec<u8> {
    let mut f = vec![0u8; 64];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    f[16..18].copy_from_slice(&2u16.to_le_bytes());
    f[18..20].copy_from_slice(&183u16.to_le_bytes());
    f[24..32].copy_from_slice(&entry.to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
    let data_at = 64 + 56 * phdrs.len() as u64;
    for &(ptype, paddr, filesz, memsz) in phdrs {
        let mut p = vec![0u8; 56];
        p[..4].copy_from_slice(&ptype.to_le_bytes());
        p[8..16].copy_from_slice(&data_at.to_le_bytes());
        p[16..24].copy_from_slice(&paddr.to_le_bytes());
        p[24..32].copy_from_slice(&paddr.to_le_bytes());
        p[32..40].copy_from_slice(&filesz.to_le_bytes());
        p[40..48].copy_from_slice(&memsz.to_le_bytes());
        f.extend(p);
    }
    f.extend_from_slice(data);
    f
}

#[test]
fn elf_by_program_headers_with_bss_zeroed_and_x0_zero() {
    let (mut m, _) = machine();
    m.map
        .write_bytes(PhysAddr(0x4010_0004), &[0xff; 12])
        .unwrap();
    let file = elf(
        &[(1, 0x4010_0000, 4, 16), (4, 0, 0, 0)],
        &[1, 2, 3, 4],
        0x4010_0000,
    );
    let boot = m.load(&file).unwrap();
    assert_eq!(boot.format, ImageFormat::Elf);
    // QEMU enters an ELF file directly: x0 is 0.
    assert_eq!((boot.entry, boot.x0), (0x4010_0000, 0));
    let mut want = vec![1, 2, 3, 4];
    want.extend([0; 12]);
    assert_eq!(m.map.read_vec(PhysAddr(0x4010_0000), 16).unwrap(), want);
}

#[test]
fn bad_images_get_clear_errors() {
    let (mut m, _) = machine();
    let load = |m: &mut Virt, f: &[u8]| match m.load(f) {
        Err(MachineError::Load(e)) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(load(&mut m, &[]), LoadError::Empty);
    let mut e32 = elf(&[(1, 0x4010_0000, 4, 4)], &[0; 4], 0);
    e32[4] = 1;
    assert!(matches!(load(&mut m, &e32), LoadError::ElfUnsupported(_)));
    let mut x86 = elf(&[(1, 0x4010_0000, 4, 4)], &[0; 4], 0);
    x86[18] = 62;
    assert!(matches!(load(&mut m, &x86), LoadError::ElfUnsupported(_)));
    assert!(matches!(
        load(&mut m, &elf(&[(1, 0x4010_0000, 8, 4)], &[0; 8], 0)),
        LoadError::ElfMalformed(_)
    ));
    assert!(matches!(
        load(&mut m, &elf(&[(1, 0x4010_0000, 64, 64)], &[0; 4], 0)),
        LoadError::ElfMalformed(_)
    ));
    let mut bad_phoff = elf(&[(1, 0x4010_0000, 4, 4)], &[0; 4], 0);
    bad_phoff[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        load(&mut m, &bad_phoff),
        LoadError::ElfMalformed(_)
    ));
    assert_eq!(
        load(&mut m, &elf(&[(4, 0, 0, 0)], &[], 0)),
        LoadError::ElfNoSegments
    );
    assert!(matches!(
        load(&mut m, &elf(&[(1, 0x0900_0000, 4, 4)], &[0; 4], 0)),
        LoadError::OutsideRam { .. }
    ));
    assert!(matches!(
        load(&mut m, &elf(&[(1, u64::MAX - 2, 4, 4)], &[0; 4], 0)),
        LoadError::ElfMalformed(_)
    ));
    assert!(matches!(
        load(&mut m, &vec![0u8; 200 << 20]),
        LoadError::OutsideRam { .. }
    ));
    // A raw image reaching the device tree's place (RAM + 64 MiB).
    let big = vec![0u8; 0x400_0000];
    assert!(matches!(
        load(&mut m, &big),
        LoadError::OverlapsDeviceTree { dtb: 0x4400_0000 }
    ));
}

#[test]
fn device_tree_reads_back_with_qemus_names() {
    let mut c = VirtConfig::new(PageSize::K4);
    c.bootargs = "console=ttyAMA0 x=1".into();
    let (mut m, _) = machine_with(c);
    let boot = m.load(&[0; 4]).unwrap();
    let blob = m
        .map
        .read_vec(PhysAddr(boot.dtb), emu::machine::dtb::DTB_SIZE)
        .unwrap();
    let fdt = Fdt::new(&blob).unwrap();
    let root = fdt.root();
    assert_eq!(root.address_cells(), Ok(2));
    let mem = fdt.find_node("/memory@40000000").unwrap();
    assert_eq!(mem.str("device_type"), Some("memory"));
    assert_eq!(
        mem.reg(&root).unwrap().collect::<Vec<_>>(),
        [(0x4000_0000, 128 << 20)]
    );
    let uart = fdt.find_node("/pl011@9000000").unwrap();
    assert!(uart.is_compatible("arm,pl011"));
    assert!(uart.is_compatible("arm,primecell"));
    assert_eq!(
        uart.reg(&root).unwrap().collect::<Vec<_>>(),
        [(0x0900_0000, 0x1000)]
    );
    let psci = fdt.find_node("/psci").unwrap();
    assert_eq!(psci.str("method"), Some("hvc"));
    assert!(psci.is_compatible("arm,psci-1.0"));
    assert!(fdt
        .find_node("/timer")
        .unwrap()
        .is_compatible("arm,armv8-timer"));
    let chosen = fdt.find_node("/chosen").unwrap();
    assert_eq!(chosen.str("bootargs"), Some("console=ttyAMA0 x=1"));
    assert_eq!(chosen.str("stdout-path"), Some("/pl011@9000000"));
    assert_eq!(
        fdt.find_node("/cpus/cpu@0").unwrap().str("enable-method"),
        Some("psci")
    );
}

#[test]
fn heap_of_an_elf_file_as_qemu_reports_it() {
    // QEMU 7.2 for an ELF file loading 0x4008_0000..0x4008_6000: the heap
    // from there to the end of RAM.
    let (mut m, _) = machine();
    m.load(&elf(&[(1, 0x4008_0000, 4, 0x6000)], &[0; 4], 0x4008_0000))
        .unwrap();
    let mut mem = Mem(vec![0; 0x1000]);
    mem.words(0x200, &[0x600]);
    m.semihosting
        .call(op::SYS_HEAPINFO, 0x200, &mut mem, &mut Host::default());
    let heap: Vec<u64> = (0..4).map(|i| mem.word(0x600 + 8 * i)).collect();
    assert_eq!(heap, [0x4008_6000, 0x4800_0000, 0x4800_0000, 0x4008_6000]);
}

#[test]
fn nul_in_bootargs_is_refused() {
    let mut c = VirtConfig::new(PageSize::K4);
    c.bootargs = "a\0b".into();
    let (mut m, _) = machine_with(c);
    assert!(matches!(m.load(&[0; 4]), Err(MachineError::Dtb(_))));
}

#[test]
fn psci_calls_per_the_specification() {
    use psci::function::*;
    let r = |v: i64| PsciOutcome::Return(v as u64);
    assert_eq!(psci::call(u64::from(VERSION), 0), r(0x1_0000));
    assert_eq!(psci::call(u64::from(FEATURES), u64::from(SYSTEM_OFF)), r(0));
    assert_eq!(
        psci::call(u64::from(FEATURES), u64::from(SYSTEM_RESET)),
        r(0)
    );
    assert_eq!(psci::call(u64::from(FEATURES), u64::from(CPU_ON_64)), r(0));
    assert_eq!(psci::call(u64::from(FEATURES), 0x8400_0012), r(-1));
    assert_eq!(psci::call(u64::from(SYSTEM_OFF), 0), PsciOutcome::SystemOff);
    assert_eq!(
        psci::call(u64::from(SYSTEM_RESET), 0),
        PsciOutcome::SystemReset
    );
    assert_eq!(psci::call(u64::from(CPU_OFF), 0), PsciOutcome::CpuOff);
    // One CPU: CPU_ON of itself is ALREADY_ON, of another INVALID_PARAMETERS.
    assert_eq!(psci::call(u64::from(CPU_ON_64), 0), r(-4));
    assert_eq!(psci::call(u64::from(CPU_ON_64), 1), r(-2));
    assert_eq!(psci::call(u64::from(CPU_ON_32), 0x1_0000_0000), r(-4));
    assert_eq!(psci::call(0xc400_0099, 0), r(-1));
    assert_eq!(psci::call(0x1_8400_0000, 0), r(-1));
}

/// Flat guest memory at VA = offset into a vector, with a hole.
struct Mem(Vec<u8>);
impl GuestMemory for Mem {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> Result<(), GuestMemoryError> {
        let a = va as usize;
        let s = self
            .0
            .get(a..a + buf.len())
            .ok_or(GuestMemoryError { va })?;
        buf.copy_from_slice(s);
        Ok(())
    }
    fn write(&mut self, va: u64, data: &[u8]) -> Result<(), GuestMemoryError> {
        let a = va as usize;
        let s = self
            .0
            .get_mut(a..a + data.len())
            .ok_or(GuestMemoryError { va })?;
        s.copy_from_slice(data);
        Ok(())
    }
}
impl Mem {
    fn words(&mut self, at: u64, words: &[u64]) {
        for (i, w) in words.iter().enumerate() {
            self.write(at + 8 * i as u64, &w.to_le_bytes()).unwrap();
        }
    }
    fn word(&mut self, at: u64) -> u64 {
        let mut b = [0u8; 8];
        self.read(at, &mut b).unwrap();
        u64::from_le_bytes(b)
    }
}

#[derive(Default)]
struct Host {
    out: Vec<u8>,
    err: Vec<u8>,
    input: Vec<u8>,
    ns: u64,
}
impl SemihostingHost for Host {
    fn write_console(&mut self, error: bool, bytes: &[u8]) {
        if error { &mut self.err } else { &mut self.out }.extend_from_slice(bytes);
    }
    fn read_console(&mut self) -> Option<u8> {
        (!self.input.is_empty()).then(|| self.input.remove(0))
    }
    fn elapsed_ns(&mut self) -> u64 {
        self.ns
    }
    fn unix_time(&mut self) -> Option<u64> {
        Some(1_700_000_000)
    }
}

#[test]
fn semihosting_console_clock_cmdline_heap_exit() {
    let mut c = VirtConfig::new(PageSize::K4);
    c.image_name = "guest.bin".into();
    c.bootargs = "a b".into();
    let (mut m, _) = machine_with(c);
    let mut mem = Mem(vec![0; 0x1000]);
    let mut host = Host {
        input: b"xy\nz".to_vec(),
        ns: 1_234_567_890,
        ..Host::default()
    };
    let mut call =
        |op, param, mem: &mut Mem, host: &mut Host| m.semihosting.call(op, param, mem, host);
    let ret = |v: u64| SemihostingOutcome::Return(v);
    mem.write(0x100, b"hello\0").unwrap();
    assert_eq!(call(op::SYS_WRITEC, 0x100, &mut mem, &mut host), ret(0));
    assert_eq!(call(op::SYS_WRITE0, 0x101, &mut mem, &mut host), ret(0));
    mem.words(0x200, &[2, 0x100, 5]);
    assert_eq!(call(op::SYS_WRITE, 0x200, &mut mem, &mut host), ret(0));
    // WRITEC and WRITE0 go to stderr, as with QEMU; SYS_WRITE to its handle.
    assert_eq!(host.out, b"");
    assert_eq!(host.err, b"hellohello");
    // A bad handle writes nothing: all 5 bytes left over.
    mem.words(0x200, &[7, 0x100, 5]);
    assert_eq!(call(op::SYS_WRITE, 0x200, &mut mem, &mut host), ret(5));
    assert_eq!(call(op::SYS_ERRNO, 0, &mut mem, &mut host), ret(9));
    assert_eq!(
        call(op::SYS_READC, 0, &mut mem, &mut host),
        ret(u64::from(b'x'))
    );
    // SYS_READ of up to 8 bytes stops at the end of the line: 6 left over.
    mem.words(0x200, &[0, 0x300, 8]);
    assert_eq!(call(op::SYS_READ, 0x200, &mut mem, &mut host), ret(6));
    assert_eq!(&mem.0[0x300..0x302], b"y\n");
    // SYS_CLOCK in centiseconds, SYS_ELAPSED in ticks of SYS_TICKFREQ.
    assert_eq!(call(op::SYS_CLOCK, 0, &mut mem, &mut host), ret(123));
    assert_eq!(call(op::SYS_ELAPSED, 0x400, &mut mem, &mut host), ret(0));
    assert_eq!(mem.word(0x400), 1_234_567_890);
    assert_eq!(
        call(op::SYS_TICKFREQ, 0, &mut mem, &mut host),
        ret(1_000_000_000)
    );
    assert_eq!(
        call(op::SYS_TIME, 0, &mut mem, &mut host),
        ret(1_700_000_000)
    );
    // GET_CMDLINE: QEMU's "IMAGE ARGS", NUL-terminated, length updated.
    mem.words(0x200, &[0x500, 64]);
    assert_eq!(
        call(op::SYS_GET_CMDLINE, 0x200, &mut mem, &mut host),
        ret(0)
    );
    assert_eq!(&mem.0[0x500..0x50e], b"guest.bin a b\0");
    assert_eq!(mem.word(0x208), 13);
    mem.words(0x200, &[0x500, 13]);
    assert_eq!(
        call(op::SYS_GET_CMDLINE, 0x200, &mut mem, &mut host),
        ret(u64::MAX)
    );
    // HEAPINFO: QEMU 7.2 gave 0x4008_2065..0x4400_0000 for a raw image
    // of 0x2065 bytes (the gap between it and the 1 MiB device tree).
    m.load(&vec![0u8; 0x2065]).unwrap();
    let mut call =
        |op, param, mem: &mut Mem, host: &mut Host| m.semihosting.call(op, param, mem, host);
    mem.words(0x200, &[0x600]);
    assert_eq!(call(op::SYS_HEAPINFO, 0x200, &mut mem, &mut host), ret(0));
    let heap: Vec<u64> = (0..4).map(|i| mem.word(0x600 + 8 * i)).collect();
    assert_eq!(heap, [0x4008_2065, 0x4400_0000, 0x4400_0000, 0x4008_2065]);
    // Only the console opens; a file is refused with an errno.
    mem.write(0x700, b":tt\0/etc/passwd\0").unwrap();
    mem.words(0x200, &[0x700, 4, 3]);
    assert_eq!(call(op::SYS_OPEN, 0x200, &mut mem, &mut host), ret(1));
    mem.words(0x200, &[0x704, 0, 11]);
    assert_eq!(
        call(op::SYS_OPEN, 0x200, &mut mem, &mut host),
        ret(u64::MAX)
    );
    assert_eq!(call(op::SYS_ERRNO, 0, &mut mem, &mut host), ret(13));
    // A parameter block outside guest memory is EFAULT, not a host error.
    assert_eq!(
        call(op::SYS_WRITE, 0xffff_0000, &mut mem, &mut host),
        ret(u64::MAX)
    );
    assert_eq!(call(op::SYS_ERRNO, 0, &mut mem, &mut host), ret(14));
    mem.write(0xfff, b"x").unwrap();
    assert_eq!(
        call(op::SYS_WRITE0, 0xfff, &mut mem, &mut host),
        ret(u64::MAX)
    );
    // Exits: the subcode of an application exit; any other reason is 1.
    mem.words(0x200, &[0x2_0026, 3]);
    assert_eq!(
        call(op::SYS_EXIT, 0x200, &mut mem, &mut host),
        SemihostingOutcome::Exit { status: 3 }
    );
    assert_eq!(
        call(op::SYS_EXIT_EXTENDED, 0x200, &mut mem, &mut host),
        SemihostingOutcome::Exit { status: 3 }
    );
    mem.words(0x200, &[0x2_0023, 0]);
    assert_eq!(
        call(op::SYS_EXIT, 0x200, &mut mem, &mut host),
        SemihostingOutcome::Exit { status: 1 }
    );
    assert_eq!(call(0x99, 0, &mut mem, &mut host), ret(u64::MAX));
    let _ = String::new();
}
