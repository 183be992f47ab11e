"""Benchmark: the real command line, as whole processes, against floors measured in the same run.

    .venv/bin/python benchmarks/run.py                  # full run (about 2 minutes), writes docs/performance.md
    .venv/bin/python benchmarks/run.py --quick          # 24 and 1,000 participants only, writes nothing
    .venv/bin/python benchmarks/run.py --sizes 24,1000,10000,100000 --keep /tmp/bench

For each size, benchmarks/generate.py writes a study folder (built-in NCT01143168 plan).
Each command runs as its own process, the way a nurse or a script runs it: the wall time
covers interpreter start, imports, reading, computing and writing. The time reported is the
best of several runs (more for small sizes); the memory is the process's peak resident set
(ru_maxrss from os.wait4, the same number `/usr/bin/time -v` prints), the highest of its runs.

Exit code 1 is expected: the generated visits files hold a few duplicate records (data
problems, listed on standard error). Exit code 2 or 3 is a failure and is reported as such.

Floors, measured in the same run on the same machine:
- benchmarks/floor.py: the check's work as fast as it can be written (pandas + numpy); its
  output file is compared byte for byte with the check's, so it is known to do the same work;
- `python -c "import click"` for `--help`, `python -c "import pandas"` for check on 24;
- benchmarks/floor_calendar.py: pandas + icalendar building and serialising the same
  number of all-day events (8 per participant) for the calendar.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import filecmp
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

# The runner imports neither numpy nor pandas (generate.py runs as a process of its own): a
# child's ru_maxrss counts the memory it was forked with, so the runner must stay smaller
# than anything it measures.

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

AS_OF = "2012-06-01"
SEED = 1143168  # benchmarks/generate.py's default
FULL_SIZES = (24, 1_000, 10_000, 100_000)
QUICK_SIZES = (24, 1_000)
CALENDAR_SIZES = (24, 1_000)
# `report` draws everyone's year: 10 s and 0.5 GB at 1,000 participants on the machine this
# was written on; at 100,000 it ran out of 24 GB. Measured where it is practical.
REPORT_SIZES = (24, 1_000)
DOC = ROOT / "docs" / "performance.md"
KEEP_MARKER = "<!-- Hand-written below this line: benchmarks/run.py keeps it when it rewrites the file. -->"

CHILD_ENV = dict(os.environ)  # what every measured process runs with (see main)

TARGETS = {  # name: (limit, what)
    "check100k": 2.0, "check100k_memory_mb": 1024, "help": 2.0, "check24": 1.5, "calendar1000": 1.5,
    "report24": 2.0,
}


def runs_for(size: int | None) -> int:
    """Best of how many: more where a run is short and noisy, fewer where it is long."""
    if size is None:  # --help and the import floors: tens of milliseconds
        return 10
    if size <= 24:
        return 5
    if size <= 10_000:
        return 3
    return 2


@dataclass
class Measurement:
    label: str
    command: list[str]
    times: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    stderr_tail: str = ""

    @property
    def best(self) -> float:
        return min(self.times, default=float("nan"))

    @property
    def peak_mb(self) -> float:
        return max(self.rss_kb, default=0) / 1024

    @property
    def failed(self) -> bool:
        return any(code not in (0, 1) for code in self.codes)


def run_once(measurement: Measurement, workdir: Path) -> None:
    """One process: wall time around fork … wait4, and that child's own peak RSS."""
    out, err = workdir / "last.stdout", workdir / "last.stderr"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(measurement.command, stdout=stdout, stderr=stderr,
                                   stdin=subprocess.DEVNULL, cwd=workdir, env=CHILD_ENV)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    measurement.times.append(elapsed)
    measurement.rss_kb.append(usage.ru_maxrss)  # kilobytes on Linux
    measurement.codes.append(process.returncode)
    if process.returncode not in (0, 1):
        measurement.stderr_tail = err.read_text("utf-8", "replace")[-2000:]


def measure(pairs: list[Measurement], runs: int, workdir: Path) -> None:
    """Interleaved runs (A, B, A, B …) so that a slow moment hurts both sides alike."""
    for _ in range(runs):
        for measurement in pairs:
            run_once(measurement, workdir)
            if measurement.failed:
                return


# --------------------------------------------------------------------------- environment


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "CPU": cpu,
        "Cores": f"{os.cpu_count()} ({usable} usable)",
        "Memory": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "pandas": version("pandas"),
        "numpy": version("numpy"),
        "click": version("click"),
        "icalendar": version("icalendar"),
        "visit-scheduler": version("visit-scheduler"),
        "Date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }


def source_state() -> str:
    """The commit measured, and whether the working tree had changes (read-only git)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--", "scheduler", "setup.cfg"],
                                 cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + (" with uncommitted changes in scheduler/" if changed else "")


def compare(cli_file: Path, floor_file: Path) -> str:
    """Byte for byte; else column by column on the floor's columns (the CLI may add some)."""
    if filecmp.cmp(cli_file, floor_file, shallow=False):
        return "identical"
    with open(cli_file, newline="", encoding="utf-8-sig") as a, \
            open(floor_file, newline="", encoding="utf-8-sig") as b:
        cli_rows, floor_rows = csv.reader(a), csv.reader(b)
        cli_header, floor_header = next(cli_rows, []), next(floor_rows, [])
        missing = [name for name in floor_header if name not in cli_header]
        if missing:
            return f"DIFFERENT (the CLI has no column {', '.join(missing)})"
        picks = [cli_header.index(name) for name in floor_header]
        for number, (left, right) in enumerate(zip(cli_rows, floor_rows), start=2):
            if [left[i] for i in picks] != right:
                return f"DIFFERENT from line {number}"
        if next(cli_rows, None) is not None or next(floor_rows, None) is not None:
            return "DIFFERENT (row counts)"
    extra = [name for name in cli_header if name not in floor_header]
    return f"identical in the floor's columns (the CLI also writes {', '.join(extra)})"


# --------------------------------------------------------------------------- formatting


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def megabytes(value: float) -> str:
    return f"{value:.0f} MB"


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**MISS**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the visit-scheduler CLI against floors.")
    parser.add_argument("--sizes", help="participants per study, comma-separated "
                                        f"(default {','.join(map(str, FULL_SIZES))})")
    parser.add_argument("--quick", action="store_true",
                        help=f"sizes {', '.join(map(str, QUICK_SIZES))} only; writes no document")
    parser.add_argument("--output", type=Path,
                        help=f"Markdown file to write (default {DOC.relative_to(ROOT)} on a full run)")
    parser.add_argument("--no-write", action="store_true", help="print the tables only")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="generate the studies and outputs in DIR and keep them")
    args = parser.parse_args(argv)
    sizes = (QUICK_SIZES if args.quick else
             tuple(int(s.replace("_", "")) for s in args.sizes.split(",")) if args.sizes else FULL_SIZES)
    output = None if args.no_write else args.output or (None if args.quick else DOC)

    bin_dir = Path(sys.executable).parent
    cli = shutil.which("visit-scheduler", path=str(bin_dir)) or shutil.which("visit-scheduler")
    if cli is None:
        sys.exit("visit-scheduler is not installed in this environment: run `make venv` first "
                 "and run this script with .venv/bin/python")
    python = sys.executable

    CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    load_at_start = " / ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1 / 5 / 15 min)"
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="visit-scheduler-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    started = time.perf_counter()
    print(f"Benchmark in {workdir} with {cli}", file=sys.stderr)

    studies: dict[int, Path] = {}
    records: dict[int, int] = {}
    for size in sizes:
        folder = workdir / f"study-{size}"
        if folder.exists():
            shutil.rmtree(folder)
        t = time.perf_counter()
        subprocess.run([python, str(HERE / "generate.py"), str(size), str(folder), "--seed", str(SEED),
                        "--data-cut", AS_OF], check=True, env=CHILD_ENV, stderr=subprocess.DEVNULL)
        with open(folder / "visits.csv", "rb") as stream:
            count = sum(1 for _ in stream) - 1
        studies[size], records[size] = folder, count
        print(f"  generated {size:>7,} participants, {count:>7,} visit records "
              f"in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    # Warm the page cache and the bytecode caches, with every program run once untimed: the
    # first process after an install compiles .pyc files, which no later run pays. The
    # bytecode goes to a folder of the benchmark's own (PYTHONPYCACHEPREFIX), also where the
    # environment sets PYTHONDONTWRITEBYTECODE, so that every run measured starts like an
    # installed tool does, and nothing is written beside the project's sources.
    first = str(studies[sizes[0]])
    for warm in ([cli, "--help"], [python, "-c", "import click, pandas, numpy, icalendar"],
                 [cli, "schedule", "--study", first, "--as-of", AS_OF, "-o", "warm.csv"],
                 [cli, "check", "--study", first, "--as-of", AS_OF, "-o", "warm.csv"],
                 [python, str(HERE / "floor.py"), "--study", first, "--as-of", AS_OF, "-o", "warm.csv"],
                 [cli, "calendar", "--study", first, "--as-of", AS_OF, "-o", "warm.ics"],
                 [python, str(HERE / "floor_calendar.py"), "--study", first, "--as-of", AS_OF, "-o", "warm.ics"],
                 [cli, "report", "--study", first, "--as-of", AS_OF, "-o", "warm.html"]):
        subprocess.run(warm, cwd=workdir, env=CHILD_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    rows: list[tuple[str, str, int | None, Measurement, Measurement | None]] = []
    results: dict[str, Measurement] = {}
    same_output: dict[int, str] = {}

    def note(name: str, measurement: Measurement) -> Measurement:
        results[name] = measurement
        status = "FAILED" if measurement.failed else "ok"
        print(f"  {measurement.label:<42} {seconds(measurement.best):>9}  "
              f"{megabytes(measurement.peak_mb):>7}  exit {sorted(set(measurement.codes))} {status}",
              file=sys.stderr)
        return measurement

    help_cli = Measurement("visit-scheduler --help", [cli, "--help"])
    help_floor = Measurement('python -c "import click"', [python, "-c", "import click"])
    measure([help_cli, help_floor], runs_for(None), workdir)
    note("help", help_cli), note("help_floor", help_floor)
    rows.append(("`--help`", "", None, help_cli, help_floor))

    pandas_floor = Measurement('python -c "import pandas"', [python, "-c", "import pandas"])

    for size in sizes:
        study = str(studies[size])
        runs = runs_for(size)
        schedule = Measurement(f"schedule @ {size:,}", [cli, "schedule", "--study", study,
                                                          "--as-of", AS_OF, "-o", f"schedule-{size}.csv"])
        measure([schedule], runs, workdir)
        rows.append(("`schedule -o out.csv`", f"{size:,}", records[size], note(f"schedule{size}", schedule), None))

        check = Measurement(f"check @ {size:,}", [cli, "check", "--study", study, "--as-of", AS_OF,
                                                   "-o", f"check-{size}.csv"])
        floor = Measurement(f"floor pipeline @ {size:,}", [python, str(HERE / "floor.py"), "--study", study,
                                                           "--as-of", AS_OF, "-o", f"floor-{size}.csv"])
        pair = [check, floor] + ([pandas_floor] if size == 24 else [])
        measure(pair, runs, workdir)
        note(f"check{size}", check), note(f"floor{size}", floor)
        if size == 24:
            note("pandas_floor", pandas_floor)
        same_output[size] = (compare(workdir / f"check-{size}.csv", workdir / f"floor-{size}.csv")
                             if not check.failed and not floor.failed else "not compared (a run failed)")
        rows.append(("`check -o out.csv`", f"{size:,}", records[size], check, floor))
        if size == 24:
            rows.append(("`check -o out.csv`", "24", records[size], check, pandas_floor))

        if size in CALENDAR_SIZES:
            calendar = Measurement(f"calendar @ {size:,}", [cli, "calendar", "--study", study,
                                                             "--as-of", AS_OF, "-o", f"site-{size}.ics"])
            ical_floor = Measurement(f"icalendar floor @ {size:,}",
                                     [python, str(HERE / "floor_calendar.py"), "--study", study,
                                      "--as-of", AS_OF, "-o", f"floor-{size}.ics"])
            # One export first, untimed: the timed ones are re-exports, which read and
            # update calendar-state.json as a site's weekly export does.
            subprocess.run(calendar.command, cwd=workdir, env=CHILD_ENV, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            measure([calendar, ical_floor], runs, workdir)
            note(f"calendar{size}", calendar), note(f"ical_floor{size}", ical_floor)
            rows.append(("`calendar -o site.ics`", f"{size:,}", records[size], calendar, ical_floor))

    report_exists = subprocess.run([cli, "report", "--help"], cwd=workdir, env=CHILD_ENV, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL).returncode == 0
    plot_floor = Measurement('python -c "import pandas, matplotlib.pyplot"',
                             [python, "-c", "import pandas, matplotlib.pyplot"])
    if report_exists:
        for size in [s for s in sizes if s in REPORT_SIZES]:
            report = Measurement(f"report @ {size:,}", [cli, "report", "--study", str(studies[size]),
                                                         "--as-of", AS_OF, "-o", f"report-{size}.html"])
            if size == 24:
                measure([report, plot_floor], 3, workdir)
                note("plot_floor", plot_floor)
            else:
                measure([report], 1, workdir)  # seconds a run at 1,000
            rows.append(("`report -o report.html`", f"{size:,}", records[size], note(f"report{size}", report),
                         plot_floor if size == 24 else None))
    total = time.perf_counter() - started

    # ------------------------------------------------------------------ tables
    def floor_name(m: Measurement) -> str:
        if m is help_floor:
            return '`python -c "import click"`'
        if m is pandas_floor:
            return '`python -c "import pandas"`'
        if m is plot_floor:
            return '`python -c "import pandas, matplotlib.pyplot"`'
        if "icalendar" in m.label:
            return "icalendar floor (`floor_calendar.py`)"
        return "floor pipeline (`floor.py`)"

    table = ["| command | participants | visit records | runs | wall time (best) | peak memory | exit code "
             "| floor | floor time | floor memory | ratio |",
             "| --- | ---: | ---: | ---: | ---: | ---: | :---: | --- | ---: | ---: | ---: |"]
    for command, size, count, cli_m, floor_m in rows:
        codes = "/".join(str(c) for c in sorted(set(cli_m.codes)))
        if cli_m.failed:
            codes += " FAILED"
        cells = [command, size or "—", f"{count:,}" if count is not None else "—", str(len(cli_m.times)),
                 seconds(cli_m.best), megabytes(cli_m.peak_mb), codes]
        if floor_m is not None:
            cells += [floor_name(floor_m), seconds(floor_m.best), megabytes(floor_m.peak_mb),
                      f"{cli_m.best / floor_m.best:.2f}×"]
        else:
            cells += ["—", "—", "—", "—"]
        table.append("| " + " | ".join(cells) + " |")
    if not report_exists:
        table.append("| `report` | — | — | — | not built yet | — | — | — | — | — | — |")
    elif any(s not in REPORT_SIZES for s in sizes):
        table.append(f"| `report -o report.html` | larger | — | — | not run above "
                     f"{max(REPORT_SIZES):,} (see the notes) | — | — | — | — | — | — |")

    targets = ["| target | measured | limit | result |", "| --- | ---: | ---: | :---: |"]
    verdicts: dict[str, bool | None] = {}

    def target(key: str, text: str, value: float | None, limit: float, unit: str) -> None:
        if value is None:
            targets.append(f"| {text} | not measured (size not in this run) | {unit.format(limit)} | — |")
            verdicts[key] = None
            return
        ok = value <= limit if unit.endswith("×") else value < limit
        verdicts[key] = ok
        targets.append(f"| {text} | {unit.format(value)} | {unit.format(limit)} | {verdict(ok)} |")

    big = 100_000
    ratio = lambda a, b: results[a].best / results[b].best if a in results and b in results else None  # noqa: E731
    target("check100k", "`check` at 100,000 vs the floor pipeline", ratio(f"check{big}", f"floor{big}"),
           TARGETS["check100k"], "{:.2f}×")
    target("check100k_memory_mb", "`check` at 100,000: peak memory",
           results[f"check{big}"].peak_mb if f"check{big}" in results else None,
           TARGETS["check100k_memory_mb"], "{:.0f} MB")
    target("help", '`--help` vs `python -c "import click"`', ratio("help", "help_floor"), TARGETS["help"], "{:.2f}×")
    target("check24", '`check` at 24 vs `python -c "import pandas"`', ratio("check24", "pandas_floor"),
           TARGETS["check24"], "{:.2f}×")
    target("calendar1000", "`calendar` at 1,000 vs the icalendar floor", ratio("calendar1000", "ical_floor1000"),
           TARGETS["calendar1000"], "{:.2f}×")
    target("report24", '`report -o report.html` at 24 vs `python -c "import pandas, matplotlib.pyplot"`',
           ratio("report24", "plot_floor"), TARGETS["report24"], "{:.2f}×")

    identical = "; ".join(f"{size:,}: {same}" for size, same in same_output.items())
    failures = [m for m in results.values() if m.failed]

    info = machine()
    info["Source measured"] = source_state()
    info["Load average at start"] = load_at_start
    runner_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = "\n".join([
        "# Performance",
        "",
        "How fast the command line is on realistic studies, measured against floors: the least",
        "the same work can cost on the same machine. Written by `benchmarks/run.py`; do not edit",
        "the measured part by hand, run the benchmark again.",
        "",
        "## How to run",
        "",
        "`make bench`, or directly `.venv/bin/python benchmarks/run.py` (a full run, about "
        f"{max(1, round(total / 60))} minute{'s' if round(total / 60) > 1 else ''} here; it rewrites this file). "
        "`.venv/bin/python benchmarks/run.py --quick` is a sanity run on 24 and 1,000 participants that "
        "writes nothing; `--sizes 24,1000,10000,100000` picks the sizes, `--keep DIR` keeps the "
        "generated studies and outputs.",
        "",
        "## What is measured",
        "",
        f"- Studies from `benchmarks/generate.py` (deterministic, seed {SEED}): the built-in "
        "NCT01143168 plan, 8 visits per participant, enrollment from 2010-08-01 over 22 months, "
        f"files as on the data cut {AS_OF}: 86 % of visits in window, 4 % early, 6 % late, 2 % recorded as not "
        "done, 2 % with nothing recorded, 3 % of participants withdrawn, 0.1 % of records entered twice.",
        f"- Every command with `--as-of {AS_OF}` and `-o` to a file, each run a whole process "
        "(interpreter start, imports, reading, computing, writing). Wall time is the best of the runs "
        "shown; peak memory is the process's maximum resident set size (`ru_maxrss` from `wait4`), "
        f"the highest of its runs (the runner itself peaked at {runner_mb:.0f} MB, below every process it "
        "measured, so these are the processes' own).",
        "- Exit code 1 is expected: the duplicate records are data problems, listed on standard "
        "error. 2 or 3 would be a failure.",
        "- Python's bytecode caches are on, as in an installed tool (the runner gives the processes "
        "a `PYTHONPYCACHEPREFIX` of their own and warms it with one untimed run of each program).",
        "- `calendar` is timed as a re-export (`calendar-state.json` already in the study folder, "
        "as in a site's weekly export).",
        "- Floors run interleaved with the command they measure, on the same study. The floor "
        "pipeline (`benchmarks/floor.py`) does the check's work with pandas and numpy and nothing "
        "else (no protocol file, no messages); its CSV is compared byte for byte with the "
        f"check's: {identical}.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        *[f"| {key} | {value} |" for key, value in info.items()],
        "",
        "## Results",
        "",
        *table,
        "",
        "## Targets",
        "",
        *targets,
        "",
        *([f"**Failed runs:** {', '.join(m.label for m in failures)}", ""] if failures else []),
    ])
    print(text)
    for m in failures:
        print(f"\n{m.label} failed (exit {m.codes[-1]}):\n{m.stderr_tail}", file=sys.stderr)
    print(f"\nTotal benchmark time {total:.0f} s", file=sys.stderr)

    if output is not None:
        kept = ""
        if output.exists():
            previous = output.read_text("utf-8")
            if KEEP_MARKER in previous:
                kept = previous[previous.index(KEEP_MARKER):]
        output.write_text(text + "\n" + (kept or KEEP_MARKER + "\n"), "utf-8")
        print(f"Wrote {output}", file=sys.stderr)
    if args.keep is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
