#!/usr/bin/env python3
"""Draws docs/performance.svg from the JSON that `lockstep bench --json FILE` writes: for each
engine and workload, a bar per variant showing its median ratio to the raw driver, with the
min-max range of the per-round ratios. Standard library only (Debian's python3)."""
import json
import sys

COLOURS = {"raw": "#888888", "capi": "#bbbbbb", "spi": "#9ecae1", "model": "#1f77b4",
           "model+insert": "#aec7e8",
           "plain": "#2ca02c", "soci": "#d62728"}


def main(source, output):
    rows = json.load(open(source))
    groups = []
    for r in rows:
        key = (r["target"], r["workload"])
        if key not in [g[0] for g in groups]:
            groups.append((key, []))
        next(g for g in groups if g[0] == key)[1].append(r)
    cap = max(3.0, max(r["ratio_max"] for r in rows) * 1.05)
    cap = min(cap, 6.0)  # a few outliers must not flatten the rest
    height, left, top, bar, gap = 360, 50, 30, 9, 10
    # Groups differ in size: MariaDB adds the C API, SQLite the backend session alone.
    width = left + sum(len(v) * bar + gap for _, v in groups) + 20
    scale = (height - top - 90) / cap
    base = height - 90
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'font-family="sans-serif" font-size="10">',
           f'<text x="{left}" y="16" font-size="13">Time per operation relative to the raw '
           'driver (median of rounds; whiskers: min-max)</text>']
    for tick in [0.5 * i for i in range(int(cap * 2) + 1)]:
        y = base - tick * scale
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{"#000" if tick == 1 else "#ddd"}" stroke-width="{1.2 if tick == 1 else 0.6}"/>')
        out.append(f'<text x="{left - 6}" y="{y + 3:.1f}" text-anchor="end">{tick:.1f}x</text>')
    x = left + gap
    for (target, workload), variants in groups:
        for i, r in enumerate(variants):
            ratio = min(r["ratio_to_raw"], cap)
            bx = x + i * bar
            out.append(f'<rect x="{bx}" y="{base - ratio * scale:.1f}" width="{bar - 1}" '
                       f'height="{ratio * scale:.1f}" fill="{COLOURS.get(r["variant"], "#555")}">'
                       f'<title>{target} {workload} {r["variant"]}: {r["ratio_to_raw"]:.2f}x, '
                       f'{r["us_per_op"]:.2f} us/op</title></rect>')
            lo, hi = min(r["ratio_min"], cap), min(r["ratio_max"], cap)
            cx = bx + (bar - 1) / 2
            out.append(f'<line x1="{cx}" x2="{cx}" y1="{base - lo * scale:.1f}" '
                       f'y2="{base - hi * scale:.1f}" stroke="#000" stroke-width="0.8"/>')
        label_x = x + len(variants) * bar / 2
        out.append(f'<text transform="translate({label_x},{base + 8}) rotate(60)">'
                   f'{target} {workload}</text>')
        x += len(variants) * bar + gap
    for i, (name, colour) in enumerate(COLOURS.items()):
        out.append(f'<rect x="{left + i * 90}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{left + i * 90 + 14}" y="{height - 5}">{name}</text>')
    out.append("</svg>")
    open(output, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: tools/perf_chart.py BENCH.json OUT.svg")
    main(sys.argv[1], sys.argv[2])
