#!/usr/bin/env python3
"""Compares two or more builds of `lockstep-bench` on the same workloads: runs them in turn,
several times each, so that the machine's drift during the comparison falls on every build
alike, and prints for each build the median over its runs of each run's median per-round
ratio to the raw driver (and, where a run has the SOCI variant, the model's ratio to SOCI's).
Standard library only (Debian's python3).

    tools/bench_ab.py --runs 5 --url "sqlite:///dev/shm/ab.db?journal_mode=delete" \\
        before=/tmp/before/build/prof/libexec/lockstep/lockstep-bench \\
        after=build/prof/libexec/lockstep/lockstep-bench \\
        -- --only model --workload W1,W3r,W4 --scale 0.25 --pin --rounds 201 --control

Everything after `--` goes to every run unchanged; the script adds `--url` and `--json` (and,
with `--open-orders`, `--open-order I` to run I of every build).
docs/performance.md ("Hot fields first") shows what it measured and how to read it.

Builds named SIDE@LAYOUT (`before@0 before@1024 after@0 after@1024`: each side built at the
same layouts, LOCKSTEP_BENCH_CODE_OFFSET and LOCKSTEP_LIBRARY_CODE_OFFSET) are also summed up
per side: the mean of its builds' medians, and their range, which is what the code's layout
alone moves (docs/performance.md, "Judging a change over several layouts").
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def sqlite_files(url):
    """The files a SQLite URL's database leaves, removed before each run so that every run
    starts from the same empty file; nothing for other engines."""
    for prefix in ("sqlite://", "soci+sqlite3://"):
        if url.startswith(prefix):
            path = url[len(prefix):].split("?", 1)[0]
            return [path + suffix for suffix in ("", "-journal", "-wal", "-shm")]
    return []


def run_once(binary, url, extra, json_path, open_order=0):
    for f in sqlite_files(url):
        if os.path.exists(f):
            os.remove(f)
    command = [binary, "--url", url, "--json", json_path] + extra
    if open_order:
        command += ["--open-order", str(open_order)]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"bench_ab: {' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    with open(json_path, encoding="utf-8") as f:
        return json.load(f)


def ratios(rows):
    """(variant, workload) -> the run's median ratio to raw; ("model/soci", workload) too."""
    by = {(r["variant"], r["workload"]): r["ratio_to_raw"] for r in rows}
    out = dict(by)
    for (variant, workload), ratio in by.items():
        if variant == "model" and ("soci", workload) in by:
            out[("model/soci", workload)] = ratio / by[("soci", workload)]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the engine URL every run measures")
    parser.add_argument("--runs", type=int, default=5, help="runs of each build (default 5)")
    parser.add_argument("--open-orders", action="store_true",
                        help="run i opens the variants' connections in the order seeded by i "
                             "(lockstep-bench --open-order), the same for every build, so that "
                             "no variant keeps one place on the heap over all runs")
    parser.add_argument("builds", nargs="+", help="NAME=PATH of a lockstep-bench binary")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    extra = argv[split + 1:]
    builds = []
    for b in args.builds:
        name, sep, path = b.partition("=")
        if not sep or not name or not os.access(path, os.X_OK):
            sys.exit(f"bench_ab: '{b}' is not NAME=PATH of an executable lockstep-bench")
        builds.append((name, path))
    if len(builds) < 2 or args.runs < 1:
        sys.exit("bench_ab: give at least two builds and --runs of 1 or more")
    results = {name: [] for name, _ in builds}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            for name, path in builds:
                rows = run_once(path, args.url, extra, os.path.join(tmp, f"{name}-{i}.json"),
                                i + 1 if args.open_orders else 0)
                results[name].append(ratios(rows))
                print(f"run {i + 1}/{args.runs}: {name} done", file=sys.stderr)
    keys = sorted({k for runs in results.values() for r in runs for k in r
                   if k[0] not in ("raw",)})
    medians = {}  # (build, variant, workload) -> the median over the build's runs
    print(f"{'variant':<12} {'workload':<8} " +
          " ".join(f"{name:>24}" for name, _ in builds))
    for variant, workload in keys:
        cells = []
        for name, _ in builds:
            values = [r[(variant, workload)] for r in results[name] if (variant, workload) in r]
            if not values:
                cells.append("-")
                continue
            median = medians[(name, variant, workload)] = statistics.median(values)
            cells.append(f"{median:.4f} ({min(values):.3f}-{max(values):.3f})")
        print(f"{variant:<12} {workload:<8} " + " ".join(f"{c:>24}" for c in cells))
    sides = {}  # SIDE -> its builds named SIDE@LAYOUT, in the order given
    for name, _ in builds:
        side, at, layout = name.partition("@")
        if at and side and layout:
            sides.setdefault(side, []).append(name)
    if not sides:
        return
    print("\nper side, the mean over its layouts (the range of their medians):")
    print(f"{'variant':<12} {'workload':<8} " + " ".join(f"{side:>24}" for side in sides))
    for variant, workload in keys:
        cells = []
        for names in sides.values():
            values = [medians[(n, variant, workload)] for n in names
                      if (n, variant, workload) in medians]
            cells.append(f"{statistics.fmean(values):.4f} ({min(values):.3f}-{max(values):.3f})"
                         if values else "-")
        print(f"{variant:<12} {workload:<8} " + " ".join(f"{c:>24}" for c in cells))


if __name__ == "__main__":
    main()
