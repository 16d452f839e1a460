//! The generator against the ARM ARM's encoding rules, and its words
//! against binutils' disassembler where one is installed.

use super::*;
use std::collections::BTreeSet;
use std::string::ToString;
use std::vec::Vec;

const DRAWS: usize = 20_000;

/// DecodeBitMasks (ARM ARM J1.1, shared/functions/integer/DecodeBitMasks)
/// for a logical immediate: the mask, or None where the encoding is
/// reserved.
fn decode_bit_masks(n: u32, imms: u32, immr: u32, datasize: u32) -> Option<u64> {
    let combined = (n << 6) | (!imms & 0x3f);
    if combined == 0 {
        return None;
    }
    let len = 31 - combined.leading_zeros();
    if len < 1 {
        return None;
    }
    let esize = 1u32 << len;
    if esize > datasize {
        return None;
    }
    let levels = esize - 1;
    let s = imms & levels;
    let r = immr & levels;
    if s == levels {
        return None;
    }
    let welem = (1u64 << (s + 1)) - 1;
    let emask = if esize == 64 {
        u64::MAX
    } else {
        (1u64 << esize) - 1
    };
    let rotated = ((welem >> r) | (welem << ((esize - r) % esize))) & emask;
    let mut mask = 0;
    let mut i = 0;
    while i < datasize {
        mask |= rotated << i;
        i += esize;
    }
    Some(mask)
}

fn field(word: u32, lsb: u32, bits: u32) -> u32 {
    (word >> lsb) & ((1 << bits) - 1)
}

/// Whether `word` (of `class`) names SP in a register field, by the ARM
/// ARM's operand descriptions of each encoding.
fn names_sp(word: u32, class: Class) -> bool {
    let rd = field(word, 0, 5) == 31;
    let rn = field(word, 5, 5) == 31;
    let s = field(word, 29, 1) == 1;
    match class {
        Class::AddSubImmediate | Class::AddSubExtended => rn || (rd && !s),
        Class::LogicalImmediate => rd && field(word, 29, 2) != 0b11,
        _ => false,
    }
}

/// Whether `word` (of `class`) is unallocated, reserved or UNPREDICTABLE
/// by the ARM ARM's decode tables and encoding pseudocode.
fn reserved(word: u32, class: Class) -> bool {
    let sf = field(word, 31, 1);
    let n = field(word, 22, 1);
    let imm6 = field(word, 10, 6);
    match class {
        Class::LogicalImmediate => {
            let datasize = if sf == 1 { 64 } else { 32 };
            (sf == 0 && n == 1) || decode_bit_masks(n, imm6, field(word, 16, 6), datasize).is_none()
        }
        Class::MoveWide => field(word, 29, 2) == 0b01 || (sf == 0 && field(word, 22, 1) == 1),
        Class::Bitfield => {
            field(word, 29, 2) == 0b11
                || n != sf
                || (sf == 0 && (field(word, 16, 6) >= 32 || imm6 >= 32))
        }
        Class::Extract => n != sf || (sf == 0 && imm6 >= 32) || field(word, 29, 2) != 0,
        Class::AddSubShifted => field(word, 22, 2) == 0b11 || (sf == 0 && imm6 >= 32),
        Class::LogicalShifted => sf == 0 && imm6 >= 32,
        Class::AddSubExtended => field(word, 10, 3) > 4,
        Class::CondCompareRegister | Class::CondCompareImmediate => {
            field(word, 29, 1) == 0 || field(word, 10, 1) == 1 || field(word, 4, 1) == 1
        }
        Class::CondSelect => field(word, 29, 1) == 1 || field(word, 11, 1) == 1,
        Class::DataProcessing2 => ![2, 3, 8, 9, 10, 11].contains(&field(word, 10, 6)),
        Class::DataProcessing1 => {
            let opcode = field(word, 10, 6);
            opcode > 5 || (sf == 0 && opcode == 3)
        }
        Class::DataProcessing3 => {
            let op31 = field(word, 21, 3);
            let o0 = field(word, 15, 1);
            let ra = field(word, 10, 5);
            match op31 {
                0b000 => false,
                0b001 | 0b101 => sf == 0,
                0b010 | 0b110 => sf == 0 || o0 == 1 || ra != 31,
                _ => true,
            }
        }
        // Bit 4 set is BC.cond (FEAT_HBC).
        Class::CondBranch => field(word, 4, 1) == 1,
        Class::AddSubImmediate | Class::AddSubCarry | Class::CompareBranch | Class::TestBranch => {
            false
        }
        // C4.1.4 "Load/store register (unsigned immediate)": size 10 opc
        // 11 is PRFM, size 11 opc 10 PRFM, size 11 opc 11 unallocated.
        Class::LoadStore => {
            let (size, opc) = (field(word, 30, 2), field(word, 22, 2));
            size == 0b10 && opc == 0b11 || size == 0b11 && opc >= 0b10
        }
        // C4.1.4 "Load/store register (immediate pre-indexed)" and
        // "(immediate post-indexed)": the same opc rows, none of them
        // PRFM; writeback with Rt == Rn (not 31) is CONSTRAINED
        // UNPREDICTABLE (the `wback && n == t && n != 31` case of the
        // LDR/STR (immediate) decode pseudocode).
        Class::LoadStoreIndexed => {
            let (size, opc) = (field(word, 30, 2), field(word, 22, 2));
            let (rt, rn) = (field(word, 0, 5), field(word, 5, 5));
            size == 0b10 && opc == 0b11 || size == 0b11 && opc >= 0b10 || (rt == rn && rt != 31)
        }
    }
}

#[test]
fn every_word_is_in_its_class_and_no_other() {
    let mut rng = Rng::new(1);
    for class in Class::ALL {
        for _ in 0..DRAWS / 4 {
            let word = instruction(&mut rng, class);
            let matching: Vec<_> = Class::ALL
                .into_iter()
                .filter(|c| word & c.pattern().0 == c.pattern().1)
                .collect();
            assert_eq!(matching, [class], "{word:#010x} generated for {class}");
        }
    }
}

#[test]
fn no_word_is_reserved_or_names_sp() {
    let mut rng = Rng::new(2);
    for class in Class::ALL {
        for _ in 0..DRAWS {
            let word = instruction(&mut rng, class);
            assert!(!reserved(word, class), "{word:#010x} ({class}) is reserved");
            assert!(!names_sp(word, class), "{word:#010x} ({class}) names SP");
            let branch = matches!(
                class,
                Class::CondBranch | Class::CompareBranch | Class::TestBranch
            );
            let memory = matches!(class, Class::LoadStore | Class::LoadStoreIndexed);
            // A branch alone goes to the next instruction, a load or store
            // where X28 points: only their place in a sequence makes them
            // safe to run.
            assert_eq!(harmless(word), !branch && !memory, "{word:#010x} ({class})");
            if class == Class::LoadStoreIndexed {
                // Based on X27, moving it by at most MAX_STEP, the data
                // register neither base.
                let step = (field(word, 12, 9) as i32) << 23 >> 23;
                assert_eq!(field(word, 5, 5), 27, "{word:#010x}");
                assert!(step.abs() <= MAX_STEP && step % 8 == 0, "{word:#010x}");
                assert!(![27, 28].contains(&field(word, 0, 5)), "{word:#010x}");
                assert!(in_buffer(word), "{word:#010x}");
            }
            if class == Class::LoadStore {
                // Based on X28, the whole access inside the buffer, and
                // the data register not X28.
                let size = field(word, 30, 2);
                let offset = field(word, 10, 12) << size;
                assert_eq!(field(word, 5, 5), 28, "{word:#010x}");
                assert!(offset + (1 << size) <= BUFFER as u32, "{word:#010x}");
                assert_ne!(field(word, 0, 5), 28, "{word:#010x}");
                assert!(in_buffer(word), "{word:#010x}");
            }
            assert_eq!(branch_skip(word), branch.then_some(0), "{word:#010x}");
        }
    }
}

#[test]
fn harmless_refuses_branches_memory_and_sp() {
    for (word, asm) in [
        (0x9100_03e0, "mov x0, sp"),
        (0x9100_041f, "add sp, x0, #1"),
        (0xb240_03ff, "orr sp, xzr, #1"),
        (0x8b20_63ff, "add sp, sp, x0"),
        (0x9ac1_101f, "irg sp, x0, x1"),
        (0x1400_0000, "b ."),
        (0xd65f_03c0, "ret"),
        (0xf940_0000, "ldr x0, [x0]"),
        (0xf900_0000, "str x0, [x0]"),
        (0xd400_0001, "svc #0"),
        (0xd51b_4200, "msr nzcv, x0"),
    ] {
        assert!(!harmless(word), "{asm} ({word:#010x}) accepted");
    }
    for (word, asm) in [
        (0x0000_0000, "udf #0"),
        (0xab02_0020, "adds x0, x1, x2"),
        (0xb100_001f, "cmn x0, #0"),
        (0xf240_1fff, "tst xzr, #0xff"),
        (0x9ac8_0ce6, "sdiv x6, x7, x8"),
    ] {
        assert!(harmless(word), "{asm} ({word:#010x}) refused");
    }
}

/// The reference predicates are not vacuous: they reject what the ARM ARM
/// rejects.
#[test]
fn reference_checks_reject_known_bad_words() {
    // ADD X0, SP, #0 (MOV X0, SP): names SP.
    assert!(names_sp(0x9100_03e0, Class::AddSubImmediate));
    // ADDS XZR, X0, #0 (CMN X0, #0): no SP.
    assert!(!names_sp(0xb100_001f, Class::AddSubImmediate));
    // AND X0, X0, #imm with imms = 111111, N = 1: all ones, reserved.
    assert!(reserved(0x9240_fc00, Class::LogicalImmediate));
    // AND X0, X0, #1: N = 1, imms = 000000, immr = 0.
    assert!(!reserved(0x9240_0000, Class::LogicalImmediate));
    assert_eq!(decode_bit_masks(1, 0, 0, 64), Some(1));
    // 0x5555555555555555: esize 2, one bit set.
    assert_eq!(
        decode_bit_masks(0, 0b111100, 0, 64),
        Some(0x5555_5555_5555_5555)
    );
    // ADD W0, W0, W0, LSL #32: reserved.
    assert!(reserved(0x0b00_8000, Class::AddSubShifted));
    // SMULH with Ra != 31.
    assert!(reserved(0x9b40_0000, Class::DataProcessing3));
}

#[test]
fn logical_immediates_cover_every_valid_element_and_ones_count() {
    let mut valid = BTreeSet::new();
    for sf in 0..2u32 {
        for n in 0..2 {
            for imms in 0..64 {
                if (sf == 1 || n == 0) && decode_bit_masks(n, imms, 0, 32 << sf).is_some() {
                    valid.insert((sf, n, imms));
                }
            }
        }
    }
    let mut seen = BTreeSet::new();
    let mut rng = Rng::new(3);
    for _ in 0..DRAWS * 5 {
        let word = instruction(&mut rng, Class::LogicalImmediate);
        seen.insert((field(word, 31, 1), field(word, 22, 1), field(word, 10, 6)));
    }
    assert_eq!(seen, valid);
}

#[test]
fn every_opcode_and_size_is_drawn() {
    // The fields that select the operation within each class.
    let selector = |word: u32, class: Class| -> u32 {
        let sf = field(word, 31, 1);
        let op = match class {
            Class::AddSubImmediate | Class::AddSubExtended | Class::AddSubShifted => {
                field(word, 29, 2)
            }
            Class::AddSubCarry | Class::LogicalShifted => {
                field(word, 29, 2) | field(word, 21, 1) << 2
            }
            Class::LogicalImmediate | Class::MoveWide | Class::Bitfield => field(word, 29, 2),
            Class::Extract => 0,
            Class::CondCompareRegister | Class::CondCompareImmediate => field(word, 30, 1),
            Class::CondSelect => field(word, 30, 1) << 1 | field(word, 10, 1),
            Class::DataProcessing2 | Class::DataProcessing1 => field(word, 10, 6),
            Class::DataProcessing3 => field(word, 21, 3) << 1 | field(word, 15, 1),
            Class::CondBranch => field(word, 0, 4),
            Class::CompareBranch | Class::TestBranch => field(word, 24, 1),
            Class::LoadStore => field(word, 30, 1) << 2 | field(word, 22, 2),
            Class::LoadStoreIndexed => {
                field(word, 30, 1) << 3 | field(word, 22, 2) << 1 | field(word, 11, 1)
            }
        };
        op << 1 | sf
    };
    let expected = |class: Class| -> usize {
        match class {
            Class::AddSubImmediate | Class::AddSubExtended | Class::AddSubShifted => 8,
            Class::AddSubCarry => 8,
            Class::LogicalShifted => 16,
            Class::LogicalImmediate => 8,
            Class::MoveWide | Class::Bitfield => 6,
            Class::Extract => 2,
            Class::CondCompareRegister | Class::CondCompareImmediate => 4,
            Class::CondSelect => 8,
            Class::DataProcessing2 => 12,
            Class::DataProcessing1 => 11,
            // MADD/MSUB at both sizes, then 6 64-bit-only forms.
            Class::DataProcessing3 => 10,
            Class::CondBranch => 16,
            Class::CompareBranch | Class::TestBranch => 4,
            // 16 size/opc pairs less PRFM twice and one unallocated.
            Class::LoadStore => 13,
            // The same, pre- and post-indexed.
            Class::LoadStoreIndexed => 26,
        }
    };
    let mut rng = Rng::new(4);
    for class in Class::ALL {
        let seen: BTreeSet<u32> = (0..DRAWS / 4)
            .map(|_| selector(instruction(&mut rng, class), class))
            .collect();
        assert_eq!(seen.len(), expected(class), "{class}: {seen:?}");
    }
}

#[test]
fn register_values_include_the_division_edge_cases() {
    let mut rng = Rng::new(5);
    let values: BTreeSet<u64> = (0..2000).map(|_| register_value(&mut rng)).collect();
    for v in [0, 1, u64::MAX, i64::MIN as u64, 0x8000_0000, 0xffff_ffff] {
        assert!(values.contains(&v), "{v:#x} never drawn");
    }
}

#[test]
fn sequences_replay_from_their_seed_and_prefixes_keep_the_state() {
    let a = Sequence::random(&mut Rng::new(6), MAX_LEN);
    let b = Sequence::random(&mut Rng::new(6), MAX_LEN);
    assert_eq!(a, b);
    assert!(!a.words().is_empty() && a.words().len() <= MAX_LEN);
    let p = a.prefix(1);
    assert_eq!(p.words()[0], a.words()[0]);
    assert!(p.words()[1..].iter().all(|&w| w == NOP));
    assert_eq!(p.words().len(), a.words().len());
    assert_eq!((p.x, p.nzcv), (a.x, a.nzcv));
    assert!(Sequence::new([0; 31], 0, &[0; MAX_LEN + 1]).is_none());
}

#[test]
fn outcome_differences_name_registers_and_flags() {
    let a = Outcome {
        x: [0; 31],
        nzcv: 0,
        buffer: [0; BUFFER],
    };
    let mut b = a;
    b.x[7] = 3;
    b.nzcv = 0x2000_0000;
    b.buffer[9] = 0xa5;
    let d = a.differences(&b);
    let d: Vec<_> = d.iter().map(|d| (d.place, d.left, d.right)).collect();
    assert_eq!(
        d,
        [
            (Place::X(7), 0, 3),
            (Place::Nzcv, 0, 0x2000_0000),
            (Place::Byte(9), 0, 0xa5)
        ]
    );
    assert!(b.differences(&b).is_empty());
}

const OBJDUMP: &str = "aarch64-linux-gnu-objdump";

/// Whether binutils' disassembler is installed (says so if not).
fn have_binutils() -> bool {
    let found = std::process::Command::new(OBJDUMP)
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        std::println!("{OBJDUMP} not installed: skipped");
    }
    found
}

/// binutils' listing of `words`: "mnemonic operands" per word.
fn disassemble(words: &[u32]) -> Vec<std::string::String> {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let dir = std::env::temp_dir().join(std::format!(
        "a64gen-{}-{}",
        std::process::id(),
        words.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("words.bin");
    std::fs::write(&file, bytes).unwrap();
    let output = std::process::Command::new(OBJDUMP)
        .args(["-D", "-b", "binary", "-m", "aarch64"])
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    // Instruction lines: "   offset:\tword \tmnemonic\toperands".
    std::string::String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.len() >= 3 && f[0].trim().ends_with(':'))
        .map(|f| f[2..].join(" "))
        .collect()
}

/// What binutils' disassembler says is wrong with `words`: unknown or
/// undefined encodings, and SP operands, one line each.
fn binutils_complaints(words: &[u32]) -> Vec<std::string::String> {
    let lines = disassemble(words);
    let mut complaints = Vec::new();
    if lines.len() != words.len() {
        complaints.push(std::format!(
            "{} lines for {} words",
            lines.len(),
            words.len()
        ));
    }
    for line in lines {
        let (mnemonic, operands) = line.split_once(' ').unwrap_or((&line, ""));
        if mnemonic.starts_with('.') || mnemonic == "udf" || line.contains("undefined") {
            complaints.push(std::format!("unknown: {line}"));
        }
        if operands
            .split([',', ' ', '[', ']'])
            .any(|o| o == "sp" || o == "wsp")
        {
            complaints.push(std::format!("names SP: {line}"));
        }
    }
    complaints
}

/// binutils' disassembler, an implementation of the ARM ARM's decode
/// tables that is not ours, knows every generated word and sees no SP in
/// it. Runs where `aarch64-linux-gnu-objdump` is installed (the project's
/// build needs binutils for aarch64); says so and passes elsewhere.
#[test]
fn binutils_disassembles_every_word_without_sp() {
    if !have_binutils() {
        return;
    }
    // MOV X0, SP; UDF #0; .inst 0xffffffff: three complaints.
    assert_eq!(binutils_complaints(&[0x9100_03e0, 0, 0xffff_ffff]).len(), 3);
    let mut rng = Rng::new(7);
    let words: Vec<u32> = (0..DRAWS).map(|_| any_instruction(&mut rng)).collect();
    let complaints = binutils_complaints(&words);
    assert!(complaints.is_empty(), "{complaints:#?}");
}

/// The known-answer table's words are the instructions its text names:
/// binutils prints each one as written.
#[test]
fn known_answers_are_the_instructions_they_name() {
    if !have_binutils() {
        return;
    }
    let words: Vec<u32> = known::KNOWN.iter().map(|k| k.word).collect();
    let listing = disassemble(&words);
    assert_eq!(listing.len(), words.len());
    for (case, line) in known::KNOWN.iter().zip(listing) {
        let printed = line.split("//").next().unwrap_or("").split_whitespace();
        let printed: Vec<&str> = printed.collect();
        let named: Vec<&str> = case.asm.split_whitespace().collect();
        assert_eq!(printed, named, "{:#010x}", case.word);
    }
}

#[test]
fn the_emulator_gives_the_known_answers() {
    let mut emulated = emulated::Emulated::new().unwrap();
    for case in known::KNOWN {
        let got = emulated
            .run(&case.sequence())
            .unwrap_or_else(|e| panic!("{}: {e}", case.asm));
        let d = case.expected().differences(&got);
        assert!(d.is_empty(), "{}: ARM ARM / emulator: {}", case.asm, d[0]);
    }
}

#[test]
fn the_emulator_runs_every_generated_sequence() {
    let mut emulated = emulated::Emulated::new().unwrap();
    let mut rng = Rng::new(8);
    for _ in 0..2000 {
        let sequence = Sequence::random(&mut rng, MAX_LEN);
        if let Err(e) = emulated.run(&sequence) {
            panic!("{e}: {:x?}", sequence.words());
        }
    }
}

/// The translated runs agree with the interpreter's on generated
/// sequences, branches among them give several blocks that chain, and a
/// sequence that faults is still named by its instruction.
#[test]
fn translated_runs_agree_with_interpreted_ones() {
    let mut translated = emulated::Emulated::new().unwrap();
    let mut interpreted = emulated::Emulated::new().unwrap();
    interpreted.set_translation(false);
    let mut rng = Rng::new(11);
    for _ in 0..2000 {
        let sequence = Sequence::random(&mut rng, MAX_LEN);
        let t = translated.run(&sequence);
        assert_eq!(t, interpreted.run(&sequence), "{:x?}", sequence.words());
    }
    let stats = translated.tb_stats();
    assert!(stats.translated > 2000, "{stats:?}");
    assert!(stats.chained > 0, "{stats:?}");
    assert_eq!(interpreted.tb_stats().translated, 0);
}

#[test]
fn compare_names_the_first_instruction_that_differs() {
    let mut emulated = emulated::Emulated::new().unwrap();
    let mut reference = emulated::Emulated::new().unwrap();
    let sequence = Sequence::random(&mut Rng::new(9), MAX_LEN).prefix(8);
    let mut rng = Rng::new(10);
    let mut long = Sequence::random(&mut rng, MAX_LEN);
    while long.words().len() < 6 {
        long = Sequence::random(&mut rng, MAX_LEN);
    }
    // The same implementation on both sides agrees.
    let run = |e: &mut emulated::Emulated, s: &Sequence| e.run(s).map_err(|e| e.to_string());
    for s in [&sequence, &long] {
        let same = compare::compare(s, |s| run(&mut emulated, s), |s| run(&mut reference, s));
        assert!(same.is_ok(), "{}", same.unwrap_err());
    }
    // A right side that goes wrong from the fourth instruction on (X5 off
    // by one) is caught there.
    let broken = |s: &Sequence| {
        let mut outcome = run(&mut reference, s)?;
        // A prefix that keeps instruction 3 (prefixes NOP the rest).
        if s.words().get(3).is_some_and(|&w| w != NOP) {
            outcome.x[5] ^= 1;
        }
        Ok(outcome)
    };
    let mismatch = compare::compare(&long, |s| run(&mut emulated, s), broken).unwrap_err();
    assert_eq!(mismatch.index, 3);
    assert_eq!(mismatch.word(), Some(long.words()[3]));
    let d = mismatch.differences();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].place, Place::X(5));
    assert!(mismatch.to_string().contains("instruction 3 of"));
    // A side that fails is a mismatch too, at the instruction that fails.
    let failing = |s: &Sequence| -> compare::Run {
        if s.words().get(1).is_some_and(|&w| w != NOP) {
            Err("refused".into())
        } else {
            run(&mut reference, s)
        }
    };
    let mismatch = compare::compare(&long, |s| run(&mut emulated, s), failing).unwrap_err();
    assert_eq!(mismatch.index, 1);
    assert!(mismatch.to_string().contains("refused"));
}

#[test]
fn an_item_replays_from_its_own_seed() {
    let a = Sequence::random(&mut Rng::for_item(100, 7), MAX_LEN);
    let b = Sequence::random(&mut Rng::for_item(107, 0), MAX_LEN);
    let c = Sequence::random(&mut Rng::for_item(100, 8), MAX_LEN);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn the_emulator_recovers_from_a_sequence_that_faults() {
    let mut emulated = emulated::Emulated::new().unwrap();
    let udf = Sequence::new([7; 31], 0, &[0x9100_0421, 0]).unwrap();
    match emulated.run(&udf) {
        Err(emulated::EmulatedError::Exception {
            index, exception, ..
        }) => {
            assert_eq!(index, 1);
            assert!(exception.is_undefined());
        }
        other => panic!("UDF #0: {other:?}"),
    }
    let case = &known::KNOWN[0];
    assert_eq!(emulated.run(&case.sequence()), Ok(case.expected()));
}

/// Divisions meet a zero divisor and INT_MIN / -1 (at both sizes) in two
/// thousand sequences: the state before each division is read from
/// the emulator running the prefix that precedes it.
#[test]
fn divisions_meet_zero_divisors_and_overflow() {
    let mut emulated = emulated::Emulated::new().unwrap();
    let mut rng = Rng::new(11);
    let (mut by_zero, mut overflow32, mut overflow64) = (0, 0, 0);
    for _ in 0..2000 {
        let sequence = Sequence::random(&mut rng, MAX_LEN);
        for (k, &word) in sequence.words().iter().enumerate() {
            let opcode = field(word, 10, 6);
            if Class::of(word) != Some(Class::DataProcessing2) || !(2..=3).contains(&opcode) {
                continue;
            }
            let before = emulated.run(&sequence.prefix(k)).unwrap();
            let reg = |r: u32| if r == 31 { 0 } else { before.x[r as usize] };
            let (n, m) = (reg(field(word, 5, 5)), reg(field(word, 16, 5)));
            if field(word, 31, 1) == 1 {
                by_zero += usize::from(m == 0);
                overflow64 += usize::from(opcode == 3 && n == i64::MIN as u64 && m == u64::MAX);
            } else {
                by_zero += usize::from(m as u32 == 0);
                overflow32 +=
                    usize::from(opcode == 3 && n as u32 == 0x8000_0000 && m as u32 == u32::MAX);
            }
        }
    }
    assert!(
        by_zero >= 20 && overflow32 >= 5 && overflow64 >= 5,
        "{by_zero} zero divisors, {overflow32} + {overflow64} overflows"
    );
}

#[test]
fn branches_go_forward_and_land_inside_the_sequence() {
    let mut rng = Rng::new(12);
    let (mut branches, mut to_end) = (0, 0);
    for _ in 0..2000 {
        let sequence = Sequence::random(&mut rng, MAX_LEN);
        assert_eq!(
            sequence.escape(DEFAULT_BUFFER),
            None,
            "{:x?}",
            sequence.words()
        );
        let len = sequence.words().len() as u64;
        for (i, &w) in sequence.words().iter().enumerate() {
            if let Some(skip) = branch_skip(w) {
                branches += 1;
                to_end += usize::from(i as u64 + 1 + skip == len);
            }
        }
    }
    assert!(
        branches > 1000 && to_end > 100,
        "{branches} branches, {to_end} to the end"
    );
    // B.EQ over the end, a backward CBZ, B to itself: refused.
    let words = [0xab02_0020, 0x5400_0060, NOP];
    let s = Sequence::new([0; 31], 0, &words).unwrap();
    assert_eq!(s.escape(DEFAULT_BUFFER), Some((1, 0x5400_0060)));
    let s = Sequence::new([0; 31], 0, &[NOP, 0xb4ff_ffe0]).unwrap();
    assert_eq!(s.escape(DEFAULT_BUFFER), Some((1, 0xb4ff_ffe0)));
    let s = Sequence::new([0; 31], 0, &[0x1400_0000]).unwrap();
    assert_eq!(s.escape(DEFAULT_BUFFER), Some((0, 0x1400_0000)));
    // B.EQ to just past the end: allowed.
    let s = Sequence::new([0; 31], 0, &[0x5400_0040, NOP]).unwrap();
    assert_eq!(s.escape(DEFAULT_BUFFER), None);
}

/// A taken branch skips what it jumps over, on the emulator: ADDS X0, X1,
/// X2 sets Z; B.EQ skips MOVZ X3, #1.
#[test]
fn the_emulator_takes_and_skips_branches() {
    let mut emulated = emulated::Emulated::new().unwrap();
    let mut x = [0; 31];
    x[3] = 9;
    let words = [0xab02_0020, 0x5400_0040, 0xd280_0023];
    let taken = emulated.run(&Sequence::new(x, 0, &words).unwrap()).unwrap();
    assert_eq!((taken.x[3], taken.nzcv), (9, 0x4000_0000));
    x[1] = 1;
    let not_taken = emulated.run(&Sequence::new(x, 0, &words).unwrap()).unwrap();
    assert_eq!((not_taken.x[0], not_taken.x[3], not_taken.nzcv), (1, 1, 0));
}

/// binutils names every generated load and store one of the nine
/// operations, addressed from X28 with an immediate offset or from X27
/// pre- or post-indexed.
#[test]
fn binutils_sees_loads_and_stores_from_x28() {
    if !have_binutils() {
        return;
    }
    let mut rng = Rng::new(12);
    let words: Vec<u32> = (0..4000)
        .map(|i| {
            let class = [Class::LoadStore, Class::LoadStoreIndexed][i % 2];
            instruction(&mut rng, class)
        })
        .collect();
    let ops = [
        "strb", "ldrb", "ldrsb", "strh", "ldrh", "ldrsh", "str", "ldr", "ldrsw",
    ];
    let mut seen = BTreeSet::new();
    for (line, w) in disassemble(&words).iter().zip(&words) {
        let (mnemonic, operands) = line.split_once(' ').unwrap_or((line, ""));
        assert!(ops.contains(&mnemonic), "{w:#010x}: {line}");
        let indexed = Class::of(*w) == Some(Class::LoadStoreIndexed);
        if indexed {
            // "[x27, #imm]!" (pre) or "[x27], #imm" (post).
            let pre = field(*w, 11, 1) == 1;
            let form = if pre {
                operands.ends_with("]!")
            } else {
                operands.contains("[x27], #")
            };
            assert!(form, "{w:#010x}: {line}");
        } else {
            assert!(operands.contains("[x28"), "{w:#010x}: {line}");
        }
        seen.insert(mnemonic.to_string());
    }
    assert_eq!(seen.len(), ops.len(), "{seen:?}");
}

/// A load or store runs natively only from X28 at the buffer, with no
/// word writing X28, and inside the buffer.
#[test]
fn escape_keeps_loads_and_stores_in_the_buffer() {
    // STR X0, [X28, #8]; ADD X28, X28, #1; LDR X0, [X27].
    let (store, add_x28, other_base) = (0xf900_0780, 0x9100_079c, 0xf940_0360);
    let at = |words: &[u32], x28: u64| {
        let mut x = [0; 31];
        x[BASE] = x28;
        x[INDEX] = DEFAULT_BUFFER + INDEX_START;
        Sequence::new(x, 0, words).unwrap().escape(DEFAULT_BUFFER)
    };
    assert_eq!(at(&[store], DEFAULT_BUFFER), None);
    assert_eq!(at(&[store], DEFAULT_BUFFER + 8), Some((0, store)));
    assert_eq!(at(&[store, add_x28], DEFAULT_BUFFER), Some((0, store)));
    assert_eq!(at(&[other_base], DEFAULT_BUFFER), Some((0, other_base)));
    // LDR X0, [X28, #512]: just past the buffer.
    assert_eq!(at(&[0xf941_0380], DEFAULT_BUFFER), Some((0, 0xf941_0380)));
    // LDR X0, [X27], #8 is accepted; #4 (unaligned steps) and #16 not.
    assert_eq!(at(&[0xf840_8760], DEFAULT_BUFFER), None);
    assert_eq!(at(&[0xf840_4760], DEFAULT_BUFFER), Some((0, 0xf840_4760)));
    assert_eq!(at(&[0xf841_0760], DEFAULT_BUFFER), Some((0, 0xf841_0760)));
}

/// STR X0, [X28, #8] writes X0's bytes little-endian at offsets 8-15,
/// LDRSB W1, [X28, #9] reads one back sign-extended to 32 bits, on the
/// emulator (ARM ARM C6.2 STR/LDRSB (immediate), little-endian data).
#[test]
fn the_emulator_stores_and_loads_in_the_buffer() {
    let mut x = [0; 31];
    x[0] = 0x0123_4567_89ab_cdef;
    x[1] = u64::MAX;
    x[BASE] = DEFAULT_BUFFER;
    let s = Sequence::new(x, 0, &[0xf900_0780, 0x39c0_2781]).unwrap();
    let got = emulated::Emulated::new().unwrap().run(&s).unwrap();
    let mut want = [0u8; BUFFER];
    want[8..16].copy_from_slice(&[0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]);
    assert_eq!(got.buffer, want);
    assert_eq!(got.x[1], 0xffff_ffcd);
}
