"""Figures and tables of the benchmark results, for the documentation's Performance page.

Run from the repository root, after the benchmarks (``python3 dev.py bench`` runs it last)::

    python -m benchmarks.plots                 # the newest full run of each benchmark
    python -m benchmarks.plots --runs 3        # the median of the newest three of each
    python -m benchmarks.plots benchmarks/results/live-20261202-014700.json ...

It reads the JSON the benchmarks write to ``benchmarks/results/`` (``server-*``,
``overhead-*``, ``live-*``, ``routing-*``, ``templates-*``) and, for each benchmark
that has a result, writes

* its figures, ``docs/images/perf-*.png`` (matplotlib, from the ``bench`` extra), and
* its tables, ``docs/_generated/perf-<benchmark>.md``, with a line naming the runs
  they come from, and its rows of the summary table,
  ``docs/_generated/perf-summary-<benchmark>.md``;

``docs/performance.md`` includes those files (``--8<--``), so that the page's tables
and figures always come from the same runs. A benchmark without a result is left as
it was, with a note.

Which runs: files given on the command line (several of one benchmark are combined);
otherwise the newest ``--runs`` full runs of each benchmark, or its newest quick runs
(``--quick``) when it has no full run. One run is shown as it is, with the range of its
own samples where it has several; several runs are combined as the median of their
medians, with the range of those medians, and every ratio as the median of the runs'
ratios. Each figure says what was measured, the unit, whether lower or higher is
better, and the date, the kind of run and the load average of the machine.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import math
import os
import re
import statistics
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
IMAGES = ROOT / "docs" / "images"
GENERATED = ROOT / "docs" / "_generated"
KINDS = ("overhead", "server", "live", "routing", "templates")
_STAMP = re.compile(r"^(?P<kind>[a-z]+)-(?P<stamp>\d{8}-\d{6})\.json$")

# Colours: kali stands out, its peers are grey, baselines dark.
KALI = "#c2410c"
KALI_LIGHT = "#fdba74"
PEER = "#94a3b8"
PEER_LIGHT = "#cbd5e1"
BASE = "#334155"
TARGET = "#15803d"
SERIES = ("#1e3a8a", "#3b82f6", "#93c5fd")
WIDTH = 7.6  # inches; at DPI, about the width of the page's text column
DPI = 110


# -- runs ---------------------------------------------------------------------------


@dataclass
class Run:
    """One result file of one benchmark."""

    kind: str
    path: Path
    data: dict[str, Any]

    @property
    def started(self) -> datetime.datetime:
        text = self.data.get("started")
        if text:
            return datetime.datetime.fromisoformat(text)
        found = _STAMP.match(self.path.name)  # older live-*.json have no "started"
        if found:
            return datetime.datetime.strptime(found["stamp"], "%Y%m%d-%H%M%S")
        return datetime.datetime.fromtimestamp(self.path.stat().st_mtime)

    @property
    def quick(self) -> bool:
        if "quick" in self.data:
            return bool(self.data["quick"])
        return "--quick" in self.data.get("argv", [])

    @property
    def loads(self) -> list[float]:
        """The 1-minute load averages recorded before and after the run."""
        found = []
        for key in ("load_average_before", "load_average_after", "load_average"):
            value = self.data.get(key)
            if value:
                found.append(float(value[0]))
        return found


def kind_of(path: Path) -> str:
    """The benchmark a result file belongs to, from its name (``overhead-….json``)."""
    kind = path.name.split("-", 1)[0]
    if kind not in KINDS or path.suffix != ".json":
        raise SystemExit(
            f"{path}: not a benchmark result (expected {', '.join(k + '-*.json' for k in KINDS)})"
        )
    return kind


def read_run(path: Path) -> Run:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{path}: cannot read it: {exc}") from exc
    return Run(kind_of(path), path, data)


def choose_runs(folder: Path, runs: int, quick: bool) -> dict[str, list[Run]]:
    """The newest ``runs`` results of each benchmark in ``folder``, full runs first."""
    chosen: dict[str, list[Run]] = {}
    for kind in KINDS:
        found = sorted((read_run(p) for p in folder.glob(f"{kind}-*.json")), key=_newest_first)
        full = [r for r in found if not r.quick]
        fast = [r for r in found if r.quick]
        pick = (fast if quick else full or fast)[:runs]
        if pick:
            chosen[kind] = pick
    return chosen


def _newest_first(run: Run) -> float:
    return -run.started.timestamp()


# -- statistics ---------------------------------------------------------------------


@dataclass(frozen=True)
class Stat:
    """A figure: its median, and the range it is shown with (equal when there is none)."""

    median: float
    low: float
    high: float

    @property
    def has_range(self) -> bool:
        return self.high > self.low


#: One run's figures: its value of each, and the samples within the run, if several.
Figures = tuple[dict[str, float], dict[str, list[float]]]


def combine(per_run: Sequence[Figures]) -> dict[str, Stat]:
    """One run: its values with the range of their samples; several: the median of the
    runs' values with the range of those values."""
    if len(per_run) == 1:
        values, samples = per_run[0]
        return {
            key: Stat(value, min(samples.get(key) or [value]), max(samples.get(key) or [value]))
            for key, value in values.items()
        }
    keys = dict.fromkeys(key for values, _ in per_run for key in values)
    stats = {}
    for key in keys:
        found = [values[key] for values, _ in per_run if key in values]
        stats[key] = Stat(statistics.median(found), min(found), max(found))
    return stats


def geomean(values: Iterable[float]) -> float:
    found = [v for v in values if v and not math.isnan(v)]
    return math.exp(sum(map(math.log, found)) / len(found)) if found else math.nan


# -- what each benchmark's JSON says ----------------------------------------------------


def figures_overhead(data: dict[str, Any]) -> Figures:
    values: dict[str, float] = {}
    samples: dict[str, list[float]] = {}
    wsgi = {r["name"]: r for r in data.get("wsgi", [])}
    base = wsgi.get("falcon")
    for name, r in wsgi.items():
        values[f"wsgi|{name}|us"] = r["median_us"]
        samples[f"wsgi|{name}|us"] = r["us_per_request"]
        if r.get("ratio") is not None and base is not None:
            values[f"wsgi|{name}|ratio"] = r["ratio"]
            samples[f"wsgi|{name}|ratio"] = [
                a / b for a, b in zip(r["us_per_request"], base["us_per_request"], strict=False)
            ]
    for r in data.get("servers", []):
        key = f"srv|{r['label']}|{r['tool']}"
        for name, median, found in (
            ("rps", r.get("median_rps"), r.get("rps")),
            ("us", r.get("median_us"), r.get("us_per_request")),
            ("ratio", r.get("median_ratio"), r.get("ratios")),
        ):
            if median is not None:
                values[f"{key}|{name}"] = median
                samples[f"{key}|{name}"] = found or [median]
    for t in data.get("targets", []):
        if t.get("value") is not None:
            values[f"target|{t['what']}"] = t["value"]
    return values, samples


def figures_server(data: dict[str, Any]) -> Figures:
    values: dict[str, float] = {}
    samples: dict[str, list[float]] = {}
    raw = {
        (o["load"], o["page"]): o for r in data["results"] if r["name"] == "raw" for o in r["loads"]
    }
    for r in data["results"]:
        name = r["name"]
        for o in r["loads"]:
            if o.get("rps") is None or o.get("error"):
                continue
            key = f"{name}|{o['load']}|{o['page']}"
            values[f"{key}|rps"] = o["rps"]
            if o.get("us_per_request") is not None:
                values[f"{key}|us"] = o["us_per_request"]
            base = raw.get((o["load"], o["page"]))
            if base and base.get("rps"):
                values[f"{key}|ratio"] = o["rps"] / base["rps"]
        if r.get("preconnect_timeout"):
            values[f"{name}|preconnect_timeout"] = 1.0
        elif r.get("preconnect_ms"):
            values[f"{name}|preconnect"] = statistics.median(r["preconnect_ms"])
        if r.get("browser_ms"):
            values[f"{name}|browser"] = statistics.median(r["browser_ms"])
            samples[f"{name}|browser"] = r["browser_ms"]
    for t in data.get("targets", []):
        if t.get("value") is not None:
            values[f"target|{t['what']}"] = t["value"]
    return values, samples


LIVE_MEASURES = (
    ("get", "latency", "median_ms"),
    ("get_worst", "latency", "worst_ms"),
    ("publish", "publish", "median_ms"),
    ("publish_worst", "publish", "worst_ms"),
    ("idle_cpu", "publish", "idle_cpu_ms_per_2s"),
    ("rss", "publish", "rss_mib"),
)


def figures_live(data: dict[str, Any]) -> Figures:
    values: dict[str, float] = {}
    samples: dict[str, list[float]] = {}
    for name in data["latency"]:
        for key, part, field_name in LIVE_MEASURES:
            found = [s[field_name] for s in data[part].get(name, [])]
            if found:
                values[f"{name}|{key}"] = statistics.median(found)
                samples[f"{name}|{key}"] = found
    return values, samples


def figures_routing(data: dict[str, Any]) -> Figures:
    values: dict[str, float] = {}
    ratios = []
    for entry in data["sets"]:
        routers = {r["name"]: r for r in entry["routers"]}
        for name, r in routers.items():
            for workload, ns in r["ns"].items():
                if ns is not None:
                    values[f"{entry['set']}|{name}|{workload}"] = ns
            values[f"{entry['set']}|{name}|build_ms"] = r["build_ms"]
        kali, falcon = routers.get("kali"), routers.get("falcon")
        if kali and falcon:
            for workload, ns in kali["ns"].items():
                if ns is not None and falcon["ns"].get(workload):
                    values[f"{entry['set']}|ratio|{workload}"] = ns / falcon["ns"][workload]
            if f"{entry['set']}|ratio|geomean" in values:
                ratios.append(values[f"{entry['set']}|ratio|geomean"])
    if ratios:
        values["ratio|geomean"] = geomean(ratios)
    scaling = data.get("scaling") or {}
    for r in scaling.get("routers", []):
        for size, ns, built in zip(scaling["sizes"], r["ns"], r["build_ms"], strict=False):
            if ns is not None:
                values[f"scale|{r['name']}|{size}"] = ns
            values[f"scale|{r['name']}|{size}|build_ms"] = built
    return values, {}


TEMPLATE_COLUMNS = ("compile", "bigtable render", "bigtable +encode", "page render", "page +encode")


def figures_templates(data: dict[str, Any]) -> Figures:
    values: dict[str, float] = {}
    engines = {e["name"]: e for e in data["engines"]}
    hand = engines.get("hand", {}).get("ms", {})
    for name, engine in engines.items():
        for column, ms in engine["ms"].items():
            values[f"{name}|{column}"] = ms
            if hand.get(column):
                values[f"{name}|{column}|ratio"] = ms / hand[column]
    return values, {}


FIGURES: dict[str, Callable[[dict[str, Any]], Figures]] = {
    "overhead": figures_overhead,
    "server": figures_server,
    "live": figures_live,
    "routing": figures_routing,
    "templates": figures_templates,
}


# -- the runs, described ------------------------------------------------------------------


COMMANDS = {
    "overhead": "python -m benchmarks.bench_overhead",
    "server": "python -m benchmarks.bench_server",
    "live": "python -m benchmarks.bench_live",
    "routing": "python -m benchmarks.bench_routing",
    "templates": "python -m benchmarks.bench_templates",
}


@dataclass
class Source:
    """The runs a section's figures come from, and how to say so."""

    kind: str
    runs: list[Run]
    stats: dict[str, Stat] = field(default_factory=dict)

    @property
    def newest(self) -> Run:
        return max(self.runs, key=lambda r: r.started)

    @property
    def several(self) -> bool:
        return len(self.runs) > 1

    def _dates(self) -> str:
        starts = sorted(r.started for r in self.runs)
        first, last = starts[0], starts[-1]
        if first == last:
            return f"{first:%Y-%m-%d %H:%M}"
        if first.date() == last.date():
            return f"{first:%Y-%m-%d %H:%M}{DASH}{last:%H:%M}"
        return f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"

    def _load(self) -> str:
        loads = [x for r in self.runs for x in r.loads]
        if not loads:
            return "load average not recorded"
        low, high = min(loads), max(loads)
        span = f"{low:.1f}" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f}{DASH}{high:.1f}"
        cpus = self.newest.data.get("cpus")
        return f"load average {span}" + (f" on {cpus} CPUs" if cpus else "")

    def _kind_of_run(self) -> str:
        """``one full run``, ``3 quick runs``, ``3 runs (1 quick)``."""
        quick = sum(r.quick for r in self.runs)
        count = len(self.runs)
        runs = "run" if count == 1 else "runs"
        amount = "one" if count == 1 else str(count)
        if quick == count:
            return f"{amount} quick {runs}"
        if quick:
            return f"{amount} {runs} ({quick} quick)"
        return f"{amount} full {runs}"

    def footer(self) -> str:
        """A line for the bottom of a figure."""
        python = self.newest.data.get("python")
        return (
            f"{COMMANDS[self.kind].split()[-1]}: {self._kind_of_run()}, {self._dates()}, "
            f"{self._load()}" + (f", Python {python}" if python else "")
        )

    def markdown(self, ranges: bool = True) -> str:
        """A sentence naming the runs, for above the tables (which show ``ranges`` or not)."""
        files = ", ".join(f"`{r.path.name}`" for r in sorted(self.runs, key=lambda r: r.started))
        python = self.newest.data.get("python")
        how = ""
        if self.several:
            how = ": the median of the runs' figures (of a ratio, of each run's ratio)" + (
                ", with the range of the runs' figures in brackets" if ranges else ""
            )
        return (
            f"*From {self._kind_of_run()} of `{COMMANDS[self.kind]}`, "
            f"{self._dates()}, {self._load()}"
            + (f", Python {python}" if python else "")
            + f" ({files}){how}.*"
        )

    def get(self, key: str) -> Stat | None:
        return self.stats.get(key)


# -- formatting ---------------------------------------------------------------------------

NARROW = "\u202f"  # a narrow no-break space between thousands
DASH = "\u2013"  # an en dash, for ranges and for "nothing measured"


def num(value: float, digits: int = 1) -> str:
    if math.isnan(value):
        return DASH
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", NARROW)
    return f"{value:.{digits}f}"


def cell(stat: Stat | None, digits: int = 1, suffix: str = "", spread: bool = True) -> str:
    """``42.1 (36.3-47.5)``, with an en dash: the median and, where there is one, the range."""
    if stat is None:
        return DASH
    text = num(stat.median, digits) + suffix
    if spread and stat.has_range:
        text += f" ({num(stat.low, digits)}{DASH}{num(stat.high, digits)})"
    return text


def ratio(stat: Stat | None, spread: bool = True) -> str:
    return cell(stat, 2, "x", spread)


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> str:
    """A Markdown table; ``align`` has one letter a column: ``l`` or ``r``."""
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def verdict(value: float | None, target: float, at_least: bool) -> str:
    if value is None:
        return "not measured"
    ok = value >= target if at_least else value <= target
    return "met" if ok else "**missed**"


@dataclass(frozen=True)
class Target:
    what: str
    target: float
    at_least: bool


def targets_of(run: Run, at_least: Callable[[dict[str, Any]], bool]) -> list[Target]:
    return [Target(t["what"], float(t["target"]), at_least(t)) for t in run.data.get("targets", [])]


# -- drawing ------------------------------------------------------------------------------


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise SystemExit(
            "the plots need matplotlib: pip install -e '.[bench]' (or pip install matplotlib)"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.size": 8.5,
            "axes.titlesize": 9,
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.axisbelow": True,
            "axes.grid": True,
            "grid.color": "#e2e8f0",
            "grid.linewidth": 0.8,
            "legend.frameon": False,
        }
    )
    return plt


def _figure(plt: Any, height: float, columns: int = 1) -> tuple[Any, list[Any]]:
    fig, axes = plt.subplots(1, columns, figsize=(WIDTH, height), dpi=DPI, squeeze=False)
    return fig, list(axes[0])


def _finish(fig: Any, title: str, source: Source, path: Path, note: str = "") -> Path:
    """Title, footer (what runs, when, what load), layout; save as a small PNG."""
    fig.suptitle(title, fontsize=10, fontweight="bold", x=0.01, ha="left")
    lines = [source.footer(), *([note] if note else [])]
    footer = "\n".join(textwrap.fill(line, 135, break_on_hyphens=False) for line in lines)
    fig.text(0.01, 0.01, footer, fontsize=7, color="#64748b", ha="left", va="bottom")
    lines = footer.count("\n") + 1
    fig.tight_layout(rect=(0, 0.035 + 0.03 * lines, 1, 0.97))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    _save_small_png(buffer.getvalue(), path)
    return path


def _save_small_png(png: bytes, path: Path) -> None:
    """Write ``png`` with a palette of 256 colours: a flat chart loses nothing to the eye
    and the file is a third of the size."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        path.parent.mkdir(parents=True, exist_ok=True)
        small.save(path, format="PNG", optimize=True)


def _whiskers(stats: Sequence[Stat]) -> list[list[float]]:
    return [[s.median - s.low for s in stats], [s.high - s.median for s in stats]]


def _hbars(
    ax: Any,
    labels: Sequence[str],
    stats: Sequence[Stat],
    colours: Sequence[str],
    texts: Sequence[str],
) -> None:
    """Horizontal bars, top to bottom, with whiskers where there is a range and a label."""
    ys = list(range(len(labels)))
    ax.barh(ys, [s.median for s in stats], color=colours, height=0.62, zorder=2)
    if any(s.has_range for s in stats):
        ax.errorbar(
            [s.median for s in stats],
            ys,
            xerr=_whiskers(stats),
            fmt="none",
            ecolor="#475569",
            elinewidth=0.9,
            capsize=2.5,
            zorder=3,
        )
    ax.set_yticks(ys, labels)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    right = max(s.high for s in stats)
    ax.set_xlim(0, right * 1.42)
    for y, s, text in zip(ys, stats, texts, strict=True):
        ax.text(
            s.high + right * 0.02,
            y,
            text,
            va="center",
            fontsize=7.5,
            zorder=4,
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "linewidth": 0},
        )


def _bold_kali_ticks(ax: Any) -> None:
    for label in ax.get_yticklabels() + ax.get_xticklabels():
        if label.get_text().lower().startswith("kali"):
            label.set_fontweight("bold")
            label.set_color(KALI)


def _range_note(source: Source, within: str) -> str:
    if source.several:
        return "whiskers: the range of the runs' medians"
    return f"whiskers: the range over {within}" if within else ""


# -- the overhead benchmark -------------------------------------------------------------------

WSGI_ROWS = {
    "bare": "bare WSGI callable (the floor)",
    "falcon": "falcon",
    "bottle": "bottle",
    "kali": "kali (WSGIAdapter)",
    "kali TestClient": "kali TestClient",
    "flask": "flask",
}
OVERHEAD_ROWS = (
    ("asyncio", "wrk", "asyncio `/`", "wrk -c8", "asyncio"),
    ("kali plain", "wrk", "**kali plain** `/`", "wrk -c8", "asyncio"),
    ("kali App hello", "wrk", "**kali App hello**", "wrk -c8", "asyncio"),
    ("asyncio /10k", "wrk", "asyncio `/10k`", "wrk -c8", "asyncio"),
    ("raw", "ab", "raw `/`", "ab -c1", "raw"),
    ("kali plain", "ab", "**kali plain** `/`", "ab -c1", "raw"),
)


def section_overhead(source: Source, plt: Any, images: Path) -> tuple[str, list[str]]:
    run = source.newest
    settings = run.data.get("settings", {})
    timed = settings.get("wsgi_runs")
    parts = [source.markdown()]
    summary: list[str] = []
    names = [r["name"] for r in run.data.get("wsgi", [])]
    if names:
        rows = []
        for name in names:
            label = WSGI_ROWS.get(name, name)
            if name == "kali":
                label = f"**{label}**"
            rows.append(
                [
                    label,
                    cell(source.get(f"wsgi|{name}|us")),
                    ratio(source.get(f"wsgi|{name}|ratio")),
                ]
            )
        within = f"the {timed} timed runs" if timed and not source.several else ""
        head = "µs a request" + (f" (range over {within})" if within else "")
        parts.append(md_table(["WSGI in-process, the hello app", head, "x falcon"], rows, "lrr"))
        parts.append(_plot_wsgi(source, plt, images, names, within))
    labels = {(r["label"], r["tool"]) for r in run.data.get("servers", [])}
    if labels:
        rows = []
        for label, tool, shown, load, base in OVERHEAD_ROWS:
            if (label, tool) not in labels:
                continue
            key = f"srv|{label}|{tool}"
            rows.append(
                [
                    shown,
                    load,
                    cell(source.get(f"{key}|rps"), 0),
                    ratio(source.get(f"{key}|ratio")) + f" {base}",
                    cell(source.get(f"{key}|us")),
                ]
            )
        rounds = settings.get("rounds")
        within = f"the {rounds} rounds" if rounds and rounds > 1 and not source.several else ""
        parts.append(
            md_table(
                [
                    "native server",
                    "load",
                    "req/s",
                    "ratio" + (f" (range over {within})" if within else ""),
                    "server CPU µs a request",
                ],
                rows,
                "llrrr",
            )
        )
        parts.append(_plot_native(source, plt, images, labels, within))
    for t in targets_of(run, lambda t: bool(t.get("at_least"))):
        stat = source.get(f"target|{t.what}")
        value = stat.median if stat else None
        sign = "≥" if t.at_least else "≤"
        summary.append(
            f"| request path, {t.what} | {ratio(stat, spread=False)} "
            f"| {sign} {t.target:g}x (issue 9) | {verdict(value, t.target, t.at_least)} |"
        )
    return "\n\n".join(parts), summary


def _plot_wsgi(source: Source, plt: Any, images: Path, names: list[str], within: str) -> str:
    stats = {n: stat for n in names if (stat := source.get(f"wsgi|{n}|us")) is not None}
    order = sorted(stats, key=lambda n: stats[n].median)
    fig, (ax,) = _figure(plt, 3.0)
    texts = []
    for n in order:
        share = source.get(f"wsgi|{n}|ratio")
        texts.append(
            f"{num(stats[n].median)} µs" + (f"  ({share.median:.2f}x falcon)" if share else "")
        )
    colours = [KALI if n.startswith("kali") else BASE if n == "bare" else PEER for n in order]
    _hbars(ax, [WSGI_ROWS.get(n, n) for n in order], [stats[n] for n in order], colours, texts)
    falcon = stats.get("falcon")
    if falcon:
        ax.axvline(falcon.median, color=TARGET, linestyle="--", linewidth=1.1, zorder=1)
        ax.text(
            falcon.median,
            -0.75,
            " falcon: issue 9's target for kali",
            color=TARGET,
            fontsize=7.5,
            va="bottom",
        )
        ax.set_ylim(len(order) - 0.5, -1.1)
    ax.set_xlabel("µs per request, median; lower is better")
    _bold_kali_ticks(ax)
    path = _finish(
        fig,
        "WSGI in-process: Falcon's hello app, µs per request (lower is better)",
        source,
        images / "perf-wsgi.png",
        _range_note(source, within),
    )
    return (
        f"![WSGI in-process: µs per request of the hello app for each framework, "
        f"lower is better]({_rel(path)})"
    )


def _plot_native(
    source: Source, plt: Any, images: Path, labels: set[tuple[str, str]], within: str
) -> str:
    targets = {"kali plain|wrk": 0.8, "kali App hello|wrk": 0.6, "kali plain|ab": 0.65}
    fig, (left, right) = _figure(plt, 3.4, 2)
    rows = [r for r in OVERHEAD_ROWS if (r[0], r[1]) in labels]
    shares = [r for r in rows if r[0] != r[4]]
    share_stats = [source.get(f"srv|{r[0]}|{r[1]}|ratio") for r in shares]
    kept = [(r, s) for r, s in zip(shares, share_stats, strict=True) if s is not None]
    if kept:
        _hbars(
            left,
            [f"{r[0]}\n{r[3]}, ÷ {r[4]}" for r, _ in kept],
            [s for _, s in kept],
            [KALI if r[0].startswith("kali") else PEER for r, _ in kept],
            [f"{s.median:.2f}x" for _, s in kept],
        )
        for y, (r, _) in enumerate(kept):
            goal = targets.get(f"{r[0]}|{r[1]}")
            if goal:
                left.plot([goal, goal], [y - 0.42, y + 0.42], color=TARGET, linewidth=2.2, zorder=5)
                left.text(
                    goal,
                    y + 0.42,
                    f"target {goal:g}",
                    color=TARGET,
                    fontsize=6.5,
                    va="top",
                    ha="center",
                    zorder=6,
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "linewidth": 0},
                )
        left.set_xlim(0, max(1.0, max(s.high for _, s in kept)) * 1.3)
        left.set_xlabel("req/s ÷ the baseline's; higher is better")
        left.set_title("Requests a second, ratio to the baseline", loc="left")
        _bold_kali_ticks(left)
    cpu = [(r, source.get(f"srv|{r[0]}|{r[1]}|us")) for r in rows]
    cpu_kept = [(r, s) for r, s in cpu if s is not None]
    if cpu_kept:
        _hbars(
            right,
            [f"{r[0]}, {r[3].split()[0]}" for r, _ in cpu_kept],
            [s for _, s in cpu_kept],
            [KALI if r[0].startswith("kali") else PEER for r, _ in cpu_kept],
            [f"{num(s.median)} µs" for _, s in cpu_kept],
        )
        right.set_xlabel("µs per request, median; lower is better")
        right.set_title("Server CPU per request", loc="left")
        _bold_kali_ticks(right)
    note = "wrk -t2 -c8 keep-alive; ab -c1 a connection per request; " + (
        _range_note(source, within) or "no range: one round"
    )
    path = _finish(
        fig,
        "Native servers over loopback: kali against a bare asyncio server and a raw loop",
        source,
        images / "perf-native.png",
        note,
    )
    return (
        "![Native servers: requests a second as a ratio to the baseline, higher is better, "
        f"with issue 9's targets; and server CPU µs per request, lower is better]({_rel(path)})"
    )


# -- the server benchmark ------------------------------------------------------------------------

SERVER_LOADS = ("ab -c1", "ab -c8", "wrk -c8")


def section_server(source: Source, plt: Any, images: Path) -> tuple[str, list[str]]:
    run = source.newest
    names = [r["name"] for r in run.data["results"]]
    pages = ("/", "/10k")
    parts = [source.markdown(ranges=False)]
    for page in pages:
        rows = []
        for name in names:
            row = [f"**{name}**" if name == "kali" else name]
            for load in SERVER_LOADS:
                key = f"{name}|{load}|{page}"
                rps, share = source.get(f"{key}|rps"), source.get(f"{key}|ratio")
                shown = f"{cell(rps, 0, spread=False)} ({ratio(share, spread=False)})"
                row.append(DASH if rps is None else shown)
                row.append(cell(source.get(f"{key}|us"), 0, spread=False))
            rows.append(row)
        header = ["server"]
        for load in SERVER_LOADS:
            header += [f"{load} req/s (x raw)", "CPU µs"]
        parts.append(f"`GET {page}`" + (" (95 bytes)" if page == "/" else " (10 240 bytes)"))
        parts.append(md_table(header, rows, "l" + "rr" * len(SERVER_LOADS)))
    rows = []
    for name in names:
        pre = source.get(f"{name}|preconnect")
        timeout = source.get(f"{name}|preconnect_timeout")
        browser = source.get(f"{name}|browser")
        rows.append(
            [
                f"**{name}**" if name == "kali" else name,
                "blocked (> 2 s)" if timeout and not pre else cell(pre, 2, " ms", spread=False),
                cell(browser, 0, " ms", spread=False) if browser else "not run",
            ]
        )
    parts.append(
        md_table(
            ["server", "GET after 3 idle preconnects", "Chromium, page with 10 stylesheets"],
            rows,
            "lrr",
        )
    )
    parts.append(_plot_server(source, plt, images, names))
    summary = []
    for t in targets_of(run, lambda t: "x raw" in t["what"]):
        stat = source.get(f"target|{t.what}")
        label, unit, digits = _server_target(t.what)
        sign = "≥" if t.at_least else "≤"
        shown = DASH if stat is None else num(stat.median, digits) + unit
        summary.append(
            f"| server, {label} | {shown} | {sign} {t.target:g}{unit} (the server issue) "
            f"| {verdict(stat.median if stat else None, t.target, t.at_least)} |"
        )
    return "\n\n".join(parts), summary


def _server_target(what: str) -> tuple[str, str, int]:
    """How a target of bench_server reads in the summary: a label, a unit, the digits."""
    if what.endswith(": x raw"):
        return what.replace(": x raw", ": kali req/s x raw"), "x", 2
    if what.endswith(": µs/req"):
        return what.replace(": µs/req", ": kali CPU a request"), " µs", 1
    if what.endswith(": ms"):
        return "a GET answered after 3 idle preconnects", " ms", 2
    return what.replace("chromium", "Chromium,"), "x", 2


def _plot_server(source: Source, plt: Any, images: Path, names: list[str]) -> str:
    fig, (left, right) = _figure(plt, 3.9, 2)
    count = len(SERVER_LOADS)
    height = 0.8 / count
    for ax, measure, xlabel, title in (
        (left, "rps", "requests a second; higher is better", "Requests a second"),
        (right, "us", "server CPU µs per request; lower is better", "Server CPU per request"),
    ):
        for index, load in enumerate(SERVER_LOADS):
            ys, values = [], []
            for y, name in enumerate(names):
                stat = source.get(f"{name}|{load}|/|{measure}")
                if stat is not None:
                    ys.append(y - 0.4 + height * (index + 0.5))
                    values.append(stat.median)
            ax.barh(ys, values, height=height * 0.92, color=SERIES[index], label=load, zorder=2)
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        if "kali" in names:
            y = names.index("kali")
            ax.axhspan(y - 0.5, y + 0.5, color="#ffedd5", zorder=0)
        ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left")
        ax.xaxis.set_major_formatter(
            plt.matplotlib.ticker.FuncFormatter(
                lambda x, _: f"{x / 1000:g}k" if x >= 1000 else f"{x:g}"
            )
        )
        _bold_kali_ticks(ax)
    left.legend(loc="center right", fontsize=7.5, title="load on GET /", title_fontsize=7.5)
    path = _finish(
        fig,
        "Servers over loopback, GET / (95 bytes): kali against pure-Python servers",
        source,
        images / "perf-server.png",
        "ab: HTTP/1.0, a connection per request; wrk -t2 -c8: keep-alive where the server "
        "allows it; server CPU from /proc schedstat",
    )
    return (
        "![Servers: requests a second (higher is better) and server CPU µs per request "
        f"(lower is better) for each server under ab -c1, ab -c8 and wrk -c8]({_rel(path)})"
    )


# -- the live benchmark ---------------------------------------------------------------------------

LIVE_NAMES = {"kali": "kali", "flask": "Flask, threaded"}


def section_live(source: Source, plt: Any, images: Path) -> tuple[str, list[str]]:
    run = source.newest
    names = list(run.data["latency"])
    subscribers = run.data.get("subscribers") or next(
        (s[0]["subscribers"] for s in run.data["publish"].values() if s), 0
    )
    rounds = run.data.get("rounds") or len(next(iter(run.data["latency"].values()), []))
    rows = []
    for name in names:
        label = LIVE_NAMES.get(name, name)
        rows.append(
            [
                f"**{label}**" if name == "kali" else label,
                cell(source.get(f"{name}|get"), 1, " ms"),
                cell(source.get(f"{name}|get_worst"), 1, " ms"),
                cell(source.get(f"{name}|publish"), 1, " ms"),
                cell(source.get(f"{name}|publish_worst"), 1, " ms"),
                cell(source.get(f"{name}|idle_cpu"), 1, " ms"),
                cell(source.get(f"{name}|rss"), 1, " MiB"),
            ]
        )
    within = f"the {rounds} rounds" if rounds and rounds > 1 and not source.several else ""
    parts = [source.markdown()]
    if within:
        parts.append(f"Each figure is the median of {within}, their range in brackets.")
    parts.append(
        md_table(
            [
                "server",
                "GET during the task, median",
                "worst",
                f"publish to {subscribers}, median",
                "worst",
                "idle CPU / 2 s",
                "memory (RSS)",
            ],
            rows,
            "lrrrrrr",
        )
    )
    parts.append(_plot_live(source, plt, images, names, subscribers, within))
    summary = []
    kali, flask = source.get("kali|get"), source.get("flask|get")
    if kali and flask:
        summary.append(
            f"| live, GET during a long task, median | {num(kali.median)} ms "
            f"| Flask threaded: {num(flask.median)} ms | {_versus(kali, flask)} |"
        )
    kali, flask = source.get("kali|publish"), source.get("flask|publish")
    if kali and flask:
        summary.append(
            f"| live, one publish to {subscribers} subscribers | {num(kali.median)} ms "
            f"| Flask threaded: {num(flask.median)} ms | {_versus(kali, flask)} |"
        )
    return "\n\n".join(parts), summary


def _versus(mine: Stat, peer: Stat) -> str:
    if mine.median <= peer.median:
        return f"{peer.median / mine.median:.1f}x faster"
    return f"**{mine.median / peer.median:.1f}x slower**"


def _plot_live(
    source: Source, plt: Any, images: Path, names: list[str], subscribers: int, within: str
) -> str:
    fig, (left, right) = _figure(plt, 2.9, 2)
    for ax, measure, title in (
        (left, "get", "GET / while a long task runs"),
        (right, "publish", f"One publish to {subscribers} SSE subscribers"),
    ):
        groups = ("median", "worst")
        width = 0.8 / max(len(names), 1)
        top = 0.0
        for index, name in enumerate(names):
            stats = [source.get(f"{name}|{measure}"), source.get(f"{name}|{measure}_worst")]
            xs = [g - 0.4 + width * (index + 0.5) for g in range(len(groups))]
            kept = [(x, s) for x, s in zip(xs, stats, strict=True) if s is not None]
            colour = KALI if name == "kali" else PEER
            ax.bar(
                [x for x, _ in kept],
                [s.median for _, s in kept],
                width=width * 0.9,
                color=colour,
                label=LIVE_NAMES.get(name, name),
                zorder=2,
            )
            if any(s.has_range for _, s in kept):
                ax.errorbar(
                    [x for x, _ in kept],
                    [s.median for _, s in kept],
                    yerr=_whiskers([s for _, s in kept]),
                    fmt="none",
                    ecolor="#475569",
                    elinewidth=0.9,
                    capsize=2.5,
                    zorder=3,
                )
            for x, s in kept:
                top = max(top, s.high)
                ax.annotate(
                    num(s.median),
                    (x, s.median),
                    xytext=(0, 2.5),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=7.5,
                    zorder=4,
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "linewidth": 0},
                )
        ax.set_ylim(0, top * 1.18 or 1)
        ax.set_xticks(range(len(groups)), groups)
        ax.grid(axis="x", visible=False)
        ax.set_ylabel("ms; lower is better")
        ax.set_title(title, loc="left")
    left.legend(loc="upper left", fontsize=7)
    note = (
        "task: 100 steps of ~20 ms of CPU, a GET every 10 ms; publish: until every subscriber "
        "has the event"
        + (f"; {_range_note(source, within)}" if _range_note(source, within) else "")
    )
    path = _finish(
        fig,
        "Live pages: kali's one thread against Flask's threads, ms (lower is better)",
        source,
        images / "perf-live.png",
        note,
    )
    return (
        "![Live pages: GET answer time during a long task and the time of one publish "
        f"to {subscribers} subscribers, median and worst, kali and Flask; lower is better]"
        f"({_rel(path)})"
    )


# -- the routing benchmark -----------------------------------------------------------------------

WORKLOADS = ("all", "static", "deep", "miss", "geomean")


def section_routing(source: Source, plt: Any, images: Path) -> tuple[str, list[str]]:
    run = source.newest
    sets = [entry["set"] for entry in run.data["sets"]]
    routers = list(run.data.get("routers") or ["kali", "falcon", "werkzeug", "starlette", "bottle"])
    parts = [source.markdown(ranges=False)]
    best = f"best of {run.data.get('rounds', '?')} rounds"
    rows = []
    for set_name in sets:
        entry = next(e for e in run.data["sets"] if e["set"] == set_name)
        row = [f"{set_name} ({entry['routes']})"]
        for name in routers:
            stat = source.get(f"{set_name}|{name}|geomean")
            text = cell(stat, 0 if stat and stat.median >= 100 else 1, spread=False)
            row.append(f"**{text}**" if name == "kali" else text)
        row.append(ratio(source.get(f"{set_name}|ratio|geomean"), spread=False))
        rows.append(row)
    parts.append(
        f"Nanoseconds per lookup, the geometric mean of the workloads ({best}; a set without "
        "deep routes has three workloads):"
    )
    parts.append(
        md_table(
            ["route set (routes)", *routers, "kali / falcon"], rows, "l" + "r" * (len(routers) + 1)
        )
    )
    detail = "github" if "github" in sets else sets[0]
    rows = []
    for name in routers:
        row = [f"**{name}**" if name == "kali" else name]
        for workload in WORKLOADS:
            stat = source.get(f"{detail}|{name}|{workload}")
            row.append(cell(stat, 0 if stat and stat.median >= 100 else 1, spread=False))
        rows.append(row)
    rows.append(
        ["kali / falcon"]
        + [ratio(source.get(f"{detail}|ratio|{w}"), spread=False) for w in WORKLOADS]
    )
    parts.append(f"The `{detail}` set by workload, ns per lookup:")
    parts.append(md_table(["router", *WORKLOADS], rows, "l" + "r" * len(WORKLOADS)))
    parts.append(_plot_routing(source, plt, images, detail, routers, best))
    scaling = run.data.get("scaling")
    if scaling:
        sizes = scaling["sizes"]
        rows = []
        for name in routers:
            row = [f"**{name}**" if name == "kali" else name]
            for size in sizes:
                stat = source.get(f"scale|{name}|{size}")
                built = source.get(f"scale|{name}|{size}|build_ms")
                text = (
                    "skipped"
                    if stat is None
                    else cell(stat, 0 if stat.median >= 100 else 1, spread=False)
                )
                if built is not None:
                    text += f" ({num(built.median, 0 if built.median >= 10 else 1)} ms)"
                row.append(text)
            rows.append(row)
        parts.append("Synthetic tables: ns per lookup (build time in brackets):")
        parts.append(
            md_table(
                ["router", *(f"{s:,} routes".replace(",", NARROW) for s in sizes)],
                rows,
                "l" + "r" * len(sizes),
            )
        )
        parts.append(_plot_scaling(source, plt, images, routers, sizes, best))
    summary = []
    overall = source.get("ratio|geomean")
    if overall:
        summary.append(
            f"| routing, kali / falcon ns a lookup, geomean of {len(sets)} route sets "
            f"| {ratio(overall, spread=False)} | falcon, the fastest peer: 1x "
            f"| {_faster(overall.median)} |"
        )
    return "\n\n".join(parts), summary


def _faster(share: float) -> str:
    return f"{1 / share:.1f}x faster" if share <= 1 else f"**{share:.1f}x slower**"


def _router_style(name: str, index: int) -> tuple[str, str]:
    """A colour and a marker for a router, the same in both routing figures."""
    if name == "kali":
        return KALI, "o"
    if name == "falcon":
        return BASE, "s"
    peers = (("#64748b", "^"), ("#94a3b8", "v"), ("#475569", "D"), ("#94a3b8", "P"))
    return peers[index % len(peers)]


def _plot_routing(
    source: Source, plt: Any, images: Path, detail: str, routers: list[str], best: str
) -> str:
    fig, (ax,) = _figure(plt, 3.2)
    step = 0.8 / len(routers)
    for index, name in enumerate(routers):
        colour, marker = _router_style(name, index)
        xs, values = [], []
        for g, workload in enumerate(WORKLOADS):
            stat = source.get(f"{detail}|{name}|{workload}")
            if stat is not None:
                xs.append(g - 0.4 + step * (index + 0.5))
                values.append(stat.median)
        # Markers, not bars: on a log scale a bar's length means nothing.
        ax.scatter(
            xs, values, color=colour, marker=marker, s=30, label=name, zorder=3, linewidths=0
        )
        for x, v in zip(xs, values, strict=True):
            text = f"{v / 1000:.1f}k" if v >= 1000 else f"{v:.0f}"
            ax.annotate(
                text,
                (x, v),
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=6,
                rotation=90,
                color="#334155",
            )
    for g in range(1, len(WORKLOADS)):
        ax.axvline(g - 0.5, color="#e2e8f0", linewidth=0.8, zorder=1)
    ax.set_yscale("log")
    ax.set_ylim(ax.get_ylim()[0] / 1.5, ax.get_ylim()[1] * 6)
    ax.set_xlim(-0.5, len(WORKLOADS) - 0.5)
    ax.set_xticks(range(len(WORKLOADS)), WORKLOADS)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("ns per lookup (log scale)\nlower is better")
    ax.legend(ncols=len(routers), loc="upper left", fontsize=7)
    path = _finish(
        fig,
        f"Router lookups, the {detail} route set: ns per lookup, {best} (lower is better)",
        source,
        images / "perf-routing.png",
        "all: every route once; static: no parameters; deep: 5+ segments; miss: no route "
        "matches; geomean: of the four. Log scale: each grid step is 10x",
    )
    return (
        f"![Router lookups on the {detail} route set: ns per lookup for each router and "
        f"workload, log scale, lower is better]({_rel(path)})"
    )


def _plot_scaling(
    source: Source, plt: Any, images: Path, routers: list[str], sizes: list[int], best: str
) -> str:
    fig, (ax,) = _figure(plt, 2.9)
    for index, name in enumerate(routers):
        points = [(s, source.get(f"scale|{name}|{s}")) for s in sizes]
        kept = [(s, st.median) for s, st in points if st is not None]
        if not kept:
            continue
        colour, marker = _router_style(name, index)
        ax.plot(
            [s for s, _ in kept],
            [v for _, v in kept],
            marker=marker,
            markersize=4.5,
            color=colour,
            linewidth=2.2 if name == "kali" else 1.3,
            label=name,
            zorder=3 if name == "kali" else 2,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes, [f"{s:,}".replace(",", NARROW) for s in sizes])
    ax.set_xlabel("routes in the table (log scale)")
    ax.set_ylabel("ns per lookup (log scale)\nlower is better")
    ax.legend(ncols=len(routers), loc="upper left", fontsize=7)
    ax.set_ylim(top=ax.get_ylim()[1] * 3)
    path = _finish(
        fig,
        f"Router lookups as the table grows: ns per lookup, {best} (lower is better)",
        source,
        images / "perf-routing-scaling.png",
        "synthetic tables in four shapes; 40 paths from the start of the table and 10 misses"
        + "".join(
            f"; {name} not timed at {sizes[-1]:,} routes (--slow)".replace(",", NARROW)
            for name in routers
            if source.get(f"scale|{name}|{sizes[-1]}") is None
        ),
    )
    return (
        "![Router lookup cost against the number of routes, 10 to 10 000, log scales, "
        f"lower is better]({_rel(path)})"
    )


# -- the templates benchmark ------------------------------------------------------------------


def section_templates(source: Source, plt: Any, images: Path) -> tuple[str, list[str]]:
    run = source.newest
    engines = [e["name"] for e in run.data["engines"]]
    repeat = run.data.get("repeat")
    parts = [source.markdown(ranges=False)]
    rows = []
    for name in engines:
        row = [f"**{name}**" if name == "kali" else name]
        for column in TEMPLATE_COLUMNS:
            stat = source.get(f"{name}|{column}")
            share = source.get(f"{name}|{column}|ratio")
            text = cell(stat, 3, spread=False)
            if share is not None and column != "compile":
                text += f" ({ratio(share, spread=False)})"
            row.append(text)
        rows.append(row)
    parts.append(
        f"Milliseconds, median of {repeat} samples (ratio to the hand-written code); compile is "
        "bigtable's source, +encode is render, join and encode to UTF-8:"
    )
    parts.append(md_table(["engine", *TEMPLATE_COLUMNS], rows, "l" + "r" * len(TEMPLATE_COLUMNS)))
    notes = [f"{e['name']}: {n}" for e in run.data["engines"] for n in e.get("notes", [])]
    if notes:
        parts.append("Notes from the run: " + "; ".join(notes) + ".")
    parts.append(_plot_templates(source, plt, images, engines, repeat))
    summary = []
    for column, what in (("bigtable render", "bigtable"), ("page render", "page")):
        stat = source.get(f"kali|{column}|ratio")
        if stat:
            summary.append(
                f"| templates, kali / hand-written, {what} render | {ratio(stat, spread=False)} "
                f"| the hand-written join: 1x | {_faster(stat.median)} |"
            )
    return "\n\n".join(parts), summary


def _plot_templates(source: Source, plt: Any, images: Path, engines: list[str], repeat: Any) -> str:
    fig, axes = _figure(plt, 3.0, 2)
    for ax, column, title in (
        (axes[0], "bigtable render", "bigtable: 1 000 x 10 cells"),
        (axes[1], "page render", "page: a layout, 100 items"),
    ):
        kept = [(n, source.get(f"{n}|{column}")) for n in engines]
        ordered = sorted(((n, s) for n, s in kept if s is not None), key=lambda p: p[1].median)
        texts = []
        for n, s in ordered:
            share = source.get(f"{n}|{column}|ratio")
            texts.append(f"{s.median:.3g} ms" + (f" ({share.median:.2f}x)" if share else ""))
        colours = [
            KALI if n == "kali" else BASE if n.startswith("hand") else PEER for n, _ in ordered
        ]
        _hbars(ax, [n for n, _ in ordered], [s for _, s in ordered], colours, texts)
        hand = source.get(f"hand|{column}")
        if hand:
            ax.axvline(hand.median, color=TARGET, linestyle="--", linewidth=1.1, zorder=1)
        ax.set_title(title, loc="left")
        ax.set_xlabel("ms per render, median; lower is better")
        _bold_kali_ticks(ax)
    path = _finish(
        fig,
        f"Template rendering: ms per render, median of {repeat} samples a run (lower is better)",
        source,
        images / "perf-templates.png",
        "dashed line: hand, a list comprehension with html.escape on every value; "
        "hand-ints leaves the ints unescaped"
        + (f"; {_range_note(source, '')}" if source.several else ""),
    )
    return (
        "![Template rendering: ms per render of bigtable and of the page for each engine, "
        f"lower is better; the dashed line is the hand-written code]({_rel(path)})"
    )


SECTIONS: dict[str, Callable[[Source, Any, Path], tuple[str, list[str]]]] = {
    "overhead": section_overhead,
    "server": section_server,
    "live": section_live,
    "routing": section_routing,
    "templates": section_templates,
}


# -- writing ---------------------------------------------------------------------------------


def _rel(path: Path) -> str:
    """The image's link as docs/performance.md (in docs/) sees it."""
    return Path(os.path.relpath(path.resolve(), (ROOT / "docs").resolve())).as_posix()


def write(kind: str, runs: list[Run], images: Path, tables: Path, plt: Any) -> list[Path]:
    source = Source(kind, runs)
    source.stats = combine([FIGURES[kind](run.data) for run in runs])
    body, summary = SECTIONS[kind](source, plt, images)
    names = ", ".join(
        str(r.path.relative_to(ROOT) if r.path.is_relative_to(ROOT) else r.path) for r in runs
    )
    stamp = f"<!-- Written by `python -m benchmarks.plots` from {names}: do not edit. -->"
    tables.mkdir(parents=True, exist_ok=True)
    page = tables / f"perf-{kind}.md"
    page.write_text(f"{stamp}\n\n{body}\n", "utf-8")
    rows = tables / f"perf-summary-{kind}.rows"
    rows.write_text("\n".join(summary) + "\n", "utf-8")
    return [page, rows]


SUMMARY_HEAD = ("measure", "kali", "target, or the peer", "verdict")


def write_summary(tables: Path) -> Path:
    """``perf-summary.md``: the summary rows of every benchmark, in one table.

    Each benchmark's rows are kept in ``perf-summary-<benchmark>.rows``, written with its
    tables, so that the rows of a benchmark without a new result stay as they were.
    """
    rows = []
    names = []
    for kind in KINDS:
        part = tables / f"perf-summary-{kind}.rows"
        if part.exists():
            rows += [line for line in part.read_text("utf-8").splitlines() if line.strip()]
            names.append(part.name)
    stamp = f"<!-- Written by `python -m benchmarks.plots` from {', '.join(names)}. -->"
    table = md_table(SUMMARY_HEAD, [], "lrll")
    path = tables / "perf-summary.md"
    path.write_text(f"{stamp}\n\n{table}\n" + "\n".join(rows) + "\n", "utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("files", nargs="*", type=Path, help="result files (default: the newest)")
    parser.add_argument(
        "--runs", type=int, default=1, metavar="N", help="combine the newest N runs of each"
    )
    parser.add_argument(
        "--quick", action="store_true", help="use the quick runs (default: full runs first)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the results are")
    parser.add_argument("--images", type=Path, default=IMAGES, help="where the PNGs go")
    parser.add_argument("--tables", type=Path, default=GENERATED, help="where the tables go")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.files:
        chosen: dict[str, list[Run]] = {}
        for path in args.files:
            run = read_run(path)
            chosen.setdefault(run.kind, []).append(run)
    else:
        chosen = choose_runs(args.results, args.runs, args.quick)
    plt = _pyplot()
    for kind in KINDS:
        runs = chosen.get(kind)
        if not runs:
            print(f"note: no {kind}-*.json result: its figures and tables are left as they were")
            continue
        written = write(kind, runs, args.images, args.tables, plt)
        used = ", ".join(r.path.name for r in runs)
        print(f"{kind}: from {used} -> {', '.join(p.name for p in written)}")
    print(f"summary -> {write_summary(args.tables).name}")
    for image in sorted(args.images.glob("perf-*.png")):
        size = image.stat().st_size
        print(
            f"  {image.relative_to(ROOT) if image.is_relative_to(ROOT) else image}: "
            f"{size // 1024} KiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
