#!/usr/bin/env python3
"""Draws docs/performance.svg from the JSON that `lockstep bench --json FILE` writes: for each
engine and workload, a bar per variant showing its median ratio to the raw driver, with the
min-max range of the per-round ratios. With --table, prints the markdown table of
docs/performance.md from the same JSON instead; with --pooled and several such JSONs, the same
cells read over every run's rounds together. With --growth, draws
docs/growth-<dimension>.svg from `lockstep bench --growth ... --json FILE`. Standard library
only (Debian's python3)."""
import json
import statistics
import sys

COLOURS = {"raw": "#888888", "raw-again": "#444444", "capi": "#bbbbbb", "spi": "#9ecae1",
           "model": "#1f77b4", "model+insert": "#aec7e8", "model+counters": "#6baed6",
           "plain": "#2ca02c", "soci": "#d62728"}


def goal_for(target, workload, soci_ratio):
    """The ratio to raw the model variant is held to (issues 7 and 17), or None. `soci_ratio` is
    SOCI's ratio to raw in the same rounds (None when SOCI did not run)."""
    if "(pipeline)" in target:
        return 0.6 if workload in ("W1", "W3r") else None
    if "via soci" in target:  # held to SOCI used directly on the same engine
        return soci_ratio * 1.08 if soci_ratio else None
    return 1.05


def verdict(target, goal, model_ratio):
    """The table's "target" and "met" cells for a model ratio held to `goal` (None: no target)."""
    if goal is None:
        return "-", "-"
    goal_text = "1.08 of soci" if "via soci" in target else f"{goal:.2f}"
    return goal_text, "yes" if model_ratio <= goal else "**no**"


def model_target(target, workload, variants):
    """`goal_for` one run's rows of a target and workload."""
    soci = next((r for r in variants if r["variant"] == "soci"), None)
    return goal_for(target, workload, soci["ratio_to_raw"] if soci else None)


def grouped(rows):
    """The benchmark's rows by (target, workload), in the order the run wrote them."""
    groups = {}
    for r in rows:
        groups.setdefault((r["target"], r["workload"]), []).append(r)
    return groups


def steal_reruns(model):
    """How many rounds of a cell were run again for steal; with a star when the reruns ran out
    and some rounds were kept with more steal than the run's limit."""
    if "rounds_run_again_for_steal" not in model:
        return "-"
    limit = model.get("steal_limit_percent")
    shares = model.get("rounds_steal_share_max", [])
    over = limit is not None and any(share > limit for share in shares)
    return str(model["rounds_run_again_for_steal"]) + ("*" if over else "")


def table(source):
    """The markdown table of docs/performance.md: one line per target and workload, the model's
    ratio beside its target, what the run's A/A control (raw-again) and SOCI measured, and how
    many rounds the benchmark ran again because the hypervisor stole CPU time during them (a star:
    some rounds were kept with steal over the limit, the reruns having run out)."""
    groups = grouped(json.load(open(source)))
    print("| target | workload | raw us/op | A/A: raw again (min-max) | model (min-max) | target "
          "| met | soci | model / soci | spi | model cpu us/op | allocs/op model (soci) "
          "| run again for steal |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    last = None
    for (target, workload), variants in groups.items():
        v = {r["variant"]: r for r in variants}
        model, soci = v.get("model"), v.get("soci")
        if model is None:
            continue
        goal_text, met = verdict(target, model_target(target, workload, variants),
                                 model["ratio_to_raw"])

        def spread(r):
            if r is None:
                return "-"
            return f'{r["ratio_to_raw"]:.3f} ({r["ratio_min"]:.2f}-{r["ratio_max"]:.2f})'

        def num(r, key, digits):
            return f"{r[key]:.{digits}f}" if r else "-"

        allocs = f'{model["allocations_per_op"]:.0f}'
        allocs += f' ({soci["allocations_per_op"]:.0f})' if soci else ""
        cells = [target if target != last else "", workload, num(v.get("raw"), "us_per_op", 2),
                 spread(v.get("raw-again")), spread(model), goal_text, met,
                 num(soci, "ratio_to_raw", 3),
                 f'{model["ratio_to_raw"] / soci["ratio_to_raw"]:.3f}' if soci else "-",
                 num(v.get("spi"), "ratio_to_raw", 3), num(model, "cpu_us_per_op", 2), allocs,
                 steal_reruns(model)]
        print("| " + " | ".join(cells) + " |")
        last = target


def round_ratios(variants, name):
    """A variant's per-round ratios to raw, paired round by round as the benchmark pairs them."""
    v = {r["variant"]: r for r in variants}
    if name not in v or "raw" not in v:
        return []
    return [x / r for x, r in zip(v[name]["rounds_us_per_op"], v["raw"]["rounds_us_per_op"])]


def pooled_spread(xs):
    """Median (min-max) of a pooled list of ratios, as the table prints one variant's."""
    return f"{statistics.median(xs):.3f} ({min(xs):.2f}-{max(xs):.2f})" if xs else "-"


def pooled(sources):
    """Several runs of the same command read together: for each target and workload, the median
    (and min-max) of every run's per-round ratios to raw. One run reads one placement of each
    variant's memory and code; the rounds of several runs give a steadier median than any one."""
    runs = [grouped(json.load(open(s))) for s in sources]
    print("| target | workload | rounds | A/A: raw again (min-max) | model (min-max) | target "
          "| met | soci | model / soci | spi |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    last = None
    for key, variants in runs[0].items():
        if not any(r["variant"] == "model" for r in variants):
            continue
        ratios = {name: [x for run in runs if key in run for x in round_ratios(run[key], name)]
                  for name in ("raw-again", "model", "soci", "spi")}
        model = statistics.median(ratios["model"])
        soci = statistics.median(ratios["soci"]) if ratios["soci"] else None
        target, workload = key
        goal_text, met = verdict(target, goal_for(target, workload, soci), model)
        cells = [target if target != last else "", workload, str(len(ratios["model"])),
                 pooled_spread(ratios["raw-again"]), pooled_spread(ratios["model"]), goal_text, met,
                 f"{soci:.3f}" if soci else "-", f"{model / soci:.3f}" if soci else "-",
                 f'{statistics.median(ratios["spi"]):.3f}' if ratios["spi"] else "-"]
        print("| " + " | ".join(cells) + " |")
        last = target


def main(source, output):
    rows = json.load(open(source))
    groups = grouped(rows).items()
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
        goal = model_target(target, workload, variants)
        model = next((i for i, r in enumerate(variants) if r["variant"] == "model"), None)
        if goal is not None and model is not None:
            gy = base - min(goal, cap) * scale
            out.append(f'<line x1="{x + model * bar - 2}" x2="{x + model * bar + bar + 1}" '
                       f'y1="{gy:.1f}" y2="{gy:.1f}" stroke="#ff7f0e" stroke-width="2">'
                       f'<title>{target} {workload}: target for model {goal:.2f}x</title></line>')
        label_x = x + len(variants) * bar / 2
        out.append(f'<text transform="translate({label_x},{base + 8}) rotate(60)">'
                   f'{target} {workload}</text>')
        x += len(variants) * bar + gap
    for i, (name, colour) in enumerate(COLOURS.items()):
        out.append(f'<rect x="{left + i * 90}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{left + i * 90 + 14}" y="{height - 5}">{name}</text>')
    i = len(COLOURS)
    out.append(f'<line x1="{left + i * 90}" x2="{left + i * 90 + 10}" y1="{height - 9}" '
               f'y2="{height - 9}" stroke="#ff7f0e" stroke-width="2"/>'
               f'<text x="{left + i * 90 + 14}" y="{height - 5}">target for model</text>')
    out.append("</svg>")
    open(output, "w").write("\n".join(out) + "\n")


LINE_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
                "#7f7f7f", "#17becf", "#bcbd22"]
TITLES = {"savepoint_depth": "One insert in a savepoint block at depth d",
          "receivers": "An insert with r post_save receivers (on its table / on another)",
          "hooks": "Per on_commit hook, h hooks in one block (label: peak RSS)",
          "rows": "Per row, n rows added in one block (COMMIT included)",
          "statements": "Per query, cycling through k distinct statement texts",
          "threads": "Wall time per block, t threads through one pool"}


def growth(source, out_dir):
    """One SVG per dimension from `lockstep bench --growth ... --json FILE`: cost per op (log
    scale) against the dimension, a line per engine and series."""
    import math
    import os
    rows = json.load(open(source))
    for dimension in dict.fromkeys(r["dimension"] for r in rows):
        points = [r for r in rows if r["dimension"] == dimension]
        xs = sorted(set(r["x"] for r in points))
        lines = list(dict.fromkeys((r["target"], r["series"]) for r in points))
        lo = math.floor(math.log10(min(max(r["us_per_op"], 1e-3) for r in points)))
        hi = math.ceil(math.log10(max(r["us_per_op"] for r in points)))
        hi = max(hi, lo + 1)
        width, height, left, top, bottom = 560, 300, 60, 30, 60
        plot_w, plot_h = width - left - 170, height - top - bottom

        def px(x):
            return left + (xs.index(x) + 0.5) * plot_w / len(xs)

        def py(v):
            return top + plot_h - (math.log10(max(v, 1e-3)) - lo) / (hi - lo) * plot_h

        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
               'font-family="sans-serif" font-size="10">',
               f'<text x="{left}" y="16" font-size="12">{TITLES.get(dimension, dimension)}</text>']
        for e in range(lo, hi + 1):
            y = py(10 ** e)
            out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                       'stroke="#ddd" stroke-width="0.6"/>')
            out.append(f'<text x="{left - 6}" y="{y + 3:.1f}" text-anchor="end">'
                       f'{10 ** e:g} us</text>')
        for x in xs:
            out.append(f'<text x="{px(x):.1f}" y="{top + plot_h + 14}" text-anchor="middle">'
                       f'{x:,}</text>')
        for i, (target, series) in enumerate(lines):
            colour = LINE_COLOURS[i % len(LINE_COLOURS)]
            mine = sorted((r for r in points if r["target"] == target and r["series"] == series),
                          key=lambda r: r["x"])
            path = " ".join(f'{px(r["x"]):.1f},{py(r["us_per_op"]):.1f}' for r in mine)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                       'stroke-width="1.5"/>')
            for r in mine:
                title = f'{target} {series} {r["x"]}: {r["us_per_op"]:.3f} us'
                if r.get("peak_rss_kib"):
                    title += f', peak RSS +{r["peak_rss_kib"]} KiB'
                out.append(f'<circle cx="{px(r["x"]):.1f}" cy="{py(r["us_per_op"]):.1f}" r="2.5" '
                           f'fill="{colour}"><title>{title}</title></circle>')
            name = target if len(set(s for _, s in lines)) == 1 else f"{target}, {series}"
            out.append(f'<rect x="{left + plot_w + 12}" y="{top + i * 16}" width="10" '
                       f'height="10" fill="{colour}"/><text x="{left + plot_w + 26}" '
                       f'y="{top + i * 16 + 9}">{name}</text>')
        out.append("</svg>")
        with open(os.path.join(out_dir, f"growth-{dimension}.svg"), "w") as f:
            f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--growth":
        growth(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "--table":
        table(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "--pooled":
        pooled(sys.argv[2:])
    elif len(sys.argv) == 3:
        main(sys.argv[1], sys.argv[2])
    else:
        sys.exit("usage: tools/perf_chart.py BENCH.json OUT.svg | --table BENCH.json | "
                 "--pooled BENCH.json... | --growth GROWTH.json OUT_DIR")
