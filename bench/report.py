#!/usr/bin/env python3
"""scripts/bench.sh's report: reads the machine-readable result lines
(RESULTS, one `bench-result key=value ...` per run) and prints the table of
guest MIPS and cost per operation with the ratio to QEMU, the run-time vs
constant page-size table, and the issue's goals; writes an SVG chart.

Usage: report.py RESULTS SVG"""
import math
import sys
from collections import defaultdict

PEERS = ["granule-run", "qemu", "unicorn", "dynarmic"]
GUESTS = ["int", "mem", "tlbi", "mmio", "blocks"]
WHAT = {
    "int": "integer loop",
    "mem": "memory, TLB misses over 8192 4K pages",
    "tlbi": "remap + TLBI VAE1 + touch",
    "mmio": "PL011 flag register reads",
    "blocks": "4096 small functions",
}


def load(path):
    runs = []
    for line in open(path):
        if not line.startswith("bench-result "):
            continue
        runs.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
    return runs


def best(runs):
    """The fastest successful round of each (peer, guest, build, page)."""
    out = {}
    for r in runs:
        if r.get("status") != "ok":
            out.setdefault((r["peer"], r["guest"], r.get("build", "-"), r.get("page", "-")), r)
            continue
        key = (r["peer"], r["guest"], r.get("build", "-"), r.get("page", "-"))
        old = out.get(key)
        if old is None or old.get("status") != "ok" or float(r["mips"]) > float(old["mips"]):
            out[key] = r
    return out


def fmt(x, digits=1):
    return "-" if x is None else f"{x:.{digits}f}"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    runs = load(sys.argv[1])
    table = best(runs)
    main_runs = {(p, g): r for (p, g, b, pg), r in table.items() if b in ("-", "runtime") and pg in ("-", "4k")}

    def metric(peer, guest, key):
        r = main_runs.get((peer, guest))
        return float(r[key]) if r and r.get("status") == "ok" else None

    print("guest MIPS and cost per operation (each guest times itself with CNTVCT_EL0; best of the rounds)")
    print(f"{'guest':<7} {'peer':<12} {'variant':<9} {'MIPS':>9} {'ns/op':>9} {'MIPS/QEMU':>10}  timing")
    for g in GUESTS:
        q = metric("qemu", g, "mips")
        for p in PEERS:
            r = main_runs.get((p, g))
            if r is None:
                continue
            if r.get("status") != "ok":
                print(f"{g:<7} {p:<12} {r.get('image', g):<9} {'n/a':>9} {'':>9} {'':>10}  {r.get('status')}")
                continue
            m, ns = float(r["mips"]), float(r["ns_per_op"])
            ratio = m / q if q else None
            print(f"{g:<7} {p:<12} {r['image']:<9} {m:>9.1f} {ns:>9.1f} {fmt(ratio, 3):>10}  {r['timing']}")

    print()
    paired = defaultdict(dict)
    for r in runs:
        if r.get("peer") == "granule-run" and r.get("build") in ("runtime", "const") and r.get("status") == "ok":
            paired[(r["guest"], r["page"], r.get("round", "1"))][r["build"]] = float(r["mips"])
    if any(len(v) == 2 for v in paired.values()):
        print("page size: run-time value vs compile-time constant (granule-run MIPS; the two builds run in turn,")
        print("the ratio is the median over rounds of run-time/constant in the same round)")
        print(f"{'guest':<7} {'page':<5} {'run-time':>9} {'constant':>9} {'run-time/const':>15}")
    logs = []
    for g in GUESTS:
        for page in ("4k", "16k", "64k"):
            ratios = sorted(v["runtime"] / v["const"] for (pg, pp, _), v in paired.items()
                            if pg == g and pp == page and len(v) == 2)
            rt = table.get(("granule-run", g, "runtime", page))
            ct = table.get(("granule-run", g, "const", page))
            if not ratios or not rt or not ct:
                continue
            ratio = ratios[len(ratios) // 2] if len(ratios) % 2 else (
                ratios[len(ratios) // 2 - 1] + ratios[len(ratios) // 2]) / 2
            logs.append(math.log(ratio))
            a, b = float(rt["mips"]), float(ct["mips"])
            print(f"{g:<7} {page:<5} {a:>9.1f} {b:>9.1f} {ratio:>15.3f}")
            print(f"bench-pagesize guest={g} page={page} runtime_mips={a:.2f} const_mips={b:.2f} "
                  f"ratio={ratio:.4f} rounds={len(ratios)}")
    mean = math.exp(sum(logs) / len(logs)) if logs else None
    if mean is not None:
        print(f"geometric mean of the ratios: {mean:.3f} over {len(logs)} guest/page pairs")

    host = {}
    for line in open(sys.argv[1]):
        if line.startswith("bench-hostinsns "):
            r = dict(kv.split("=", 1) for kv in line.split()[1:])
            host[(r["guest"], r["page"], r["build"])] = float(r["per_guest_insn"])
    host_logs = []
    if host:
        print()
        print("page size: host instructions per guest instruction (cachegrind Ir; load-independent)")
        print(f"{'guest':<7} {'page':<5} {'run-time':>9} {'constant':>9} {'run-time/const':>15}")
        for g in GUESTS:
            for page in ("4k", "16k", "64k"):
                a, b = host.get((g, page, "runtime")), host.get((g, page, "const"))
                if a and b:
                    host_logs.append(math.log(a / b))
                    print(f"{g:<7} {page:<5} {a:>9.1f} {b:>9.1f} {a / b:>15.4f}")
        host_mean = math.exp(sum(host_logs) / len(host_logs))
        print(f"geometric mean: {host_mean:.4f} over {len(host_logs)} guest/page pairs")

    print()
    print("goals (issue 9), granule-run against QEMU in this run:")

    def goal(text, ok, value):
        state = "n/a" if ok is None else ("met" if ok else "NOT met")
        print(f"  {text:<52} {state:<8} {value}")
        print(f"bench-goal {text.split(':')[0].replace(' ', '-')} {state.replace(' ', '-')}")

    gi, qi = metric("granule-run", "int", "mips"), metric("qemu", "int", "mips")
    goal("int: >= 25% of QEMU's MIPS", None if not (gi and qi) else gi / qi >= 0.25,
         f"{fmt(gi)} vs {fmt(qi)} MIPS ({fmt(gi / qi * 100 if gi and qi else None)}%)")
    for g, text in (("tlbi", "tlbi: ahead of QEMU (ns per op)"), ("mmio", "mmio: ahead of QEMU (ns per op)")):
        a, b = metric("granule-run", g, "ns_per_op"), metric("qemu", g, "ns_per_op")
        goal(text, None if not (a and b) else a < b, f"{fmt(a)} vs {fmt(b)} ns per op")
    a, b = metric("granule-run", "mem", "ns_per_op"), metric("qemu", "mem", "ns_per_op")
    goal("mem: within 2x of QEMU (ns per op)", None if not (a and b) else a <= 2 * b,
         f"{fmt(a)} vs {fmt(b)} ns per op ({fmt(a / b if a and b else None, 2)}x)")
    a, b = metric("granule-run", "blocks", "mips"), metric("qemu", "blocks", "mips")
    goal("blocks: at or ahead of QEMU (MIPS)", None if not (a and b) else a >= b, f"{fmt(a)} vs {fmt(b)} MIPS")
    if host_logs:
        cost = math.exp(sum(host_logs) / len(host_logs)) - 1
        how = f"host instructions, geometric mean over {len(host_logs)} guest/page pairs; timed: "
        how += f"{fmt((1 - mean) * 100 if mean else None, 2)}%"
    else:
        cost = 1 - mean if mean is not None else None
        how = f"timed, geometric mean over {len(logs)} guest/page pairs"
    goal("page size: run-time costs <= 1% of MIPS", None if cost is None else cost <= 0.01,
         f"{fmt(cost * 100 if cost is not None else None, 2)}% ({how})")

    write_svg(sys.argv[2], main_runs)


def write_svg(path, main_runs):
    """Grouped bars: guest MIPS per guest and peer, log scale, with each
    bar's ratio to QEMU above it."""
    colours = {"granule-run": "#d95f02", "qemu": "#1b9e77", "unicorn": "#7570b3", "dynarmic": "#e7298a"}
    w, h, left, bottom, top = 900, 420, 70, 60, 40
    plot_w, plot_h = w - left - 20, h - bottom - top
    vals = [float(r["mips"]) for r in main_runs.values() if r.get("status") == "ok"]
    lo = 10 ** math.floor(math.log10(max(min(vals), 0.1))) if vals else 1
    hi = 10 ** math.ceil(math.log10(max(vals))) if vals else 10
    if hi <= lo:
        hi = lo * 10

    def y(v):
        return top + plot_h * (1 - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">Guest MIPS by benchmark guest '
           '(log scale; label: ratio to QEMU)</text>']
    d = lo
    while d <= hi * 1.0001:
        out.append(f'<line x1="{left}" x2="{w - 20}" y1="{y(d):.1f}" y2="{y(d):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 5}" y="{y(d) + 4:.1f}" text-anchor="end">{d:g}</text>')
        d *= 10
    out.append(f'<text x="15" y="{top + plot_h / 2}" transform="rotate(-90 15 {top + plot_h / 2})" '
               'text-anchor="middle">guest MIPS</text>')
    group = plot_w / len(GUESTS)
    bar = group * 0.8 / len(PEERS)
    for i, g in enumerate(GUESTS):
        x0 = left + i * group + group * 0.1
        q = main_runs.get(("qemu", g))
        qm = float(q["mips"]) if q and q.get("status") == "ok" else None
        for j, p in enumerate(PEERS):
            r = main_runs.get((p, g))
            x = x0 + j * bar
            if not r or r.get("status") != "ok":
                out.append(f'<text x="{x + bar / 2:.1f}" y="{top + plot_h - 4}" text-anchor="middle" '
                           'font-size="9">n/a</text>')
                continue
            m = float(r["mips"])
            out.append(f'<rect x="{x:.1f}" y="{y(m):.1f}" width="{bar - 2:.1f}" '
                       f'height="{top + plot_h - y(m):.1f}" fill="{colours[p]}"><title>{p} {g}: '
                       f'{m:.1f} MIPS, {float(r["ns_per_op"]):.1f} ns/op</title></rect>')
            if qm:
                out.append(f'<text x="{x + bar / 2:.1f}" y="{y(m) - 3:.1f}" text-anchor="middle" '
                           f'font-size="9">{m / qm:.2f}</text>')
        out.append(f'<text x="{left + i * group + group / 2:.1f}" y="{top + plot_h + 18}" '
                   f'text-anchor="middle">{g}</text>')
        out.append(f'<text x="{left + i * group + group / 2:.1f}" y="{top + plot_h + 32}" '
                   f'text-anchor="middle" font-size="9">{WHAT[g]}</text>')
    for j, p in enumerate(PEERS):
        out.append(f'<rect x="{left + j * 120}" y="{h - 18}" width="10" height="10" fill="{colours[p]}"/>')
        out.append(f'<text x="{left + j * 120 + 14}" y="{h - 9}">{p}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"\nchart: {path}")


main()
