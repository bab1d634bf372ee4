"""Template engines side by side: kali.templating against its peers and hand-written Python.

Run on demand (it is not a test)::

    PYTHONPATH=. python benchmarks/bench_templates.py            # full run, about a minute
    PYTHONPATH=. python benchmarks/bench_templates.py --quick    # a few seconds

Two workloads:

* **bigtable**: the classic 1 000 rows x 10 integer columns, every value escaped;
* **page**: a layout extended by a page that loops over 100 items with escaped text in text and
  attribute positions, a 2-decimal price, an if/else and an include.

For each engine it measures the median time to compile bigtable's source, to render, and to
render and encode the result to UTF-8 bytes (for kali: join the iolist, then encode). The
"hand" row is a hand-written list comprehension that escapes every value with
:func:`html.escape`: the practical limit of a template engine written in Python, as the issue
defines it. The "hand-ints" row leaves bigtable's ints unescaped, as kali does, to show how
close kali comes to the best hand-written code. Peers that are
not installed are skipped with a note. Templates live in ``benchmarks/templates/<engine>/``.
The table is printed and written to ``benchmarks/results/templates-*.json``.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import gc
import html
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE.parent))

from kali.templating import Template as KaliTemplate  # noqa: E402
from kali.templating import TemplateFolder, iolist_to_str  # noqa: E402

# -- data ---------------------------------------------------------------------------------


class Item:
    __slots__ = ("id", "name", "price", "stock")

    def __init__(self, id: int, name: str, price: float, stock: int) -> None:
        self.id = id
        self.name = name
        self.price = price
        self.stock = stock


TABLE = [dict(a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, i=9, j=10) for _ in range(1000)]
ITEMS = [
    Item(n, f"Item {n} <{'Fish & Chips' if n % 3 == 0 else 'Widget'}>", n * 1.25, n % 4)
    for n in range(100)
]
PAGE: dict[str, Any] = {
    "title": "Catalogue & Prices",
    "shop": "Kali's <Shop>",
    "items": ITEMS,
    "count": 100,
}
BIGTABLE: dict[str, Any] = {"table": TABLE}

# -- the hand-written limit ---------------------------------------------------------------

esc = html.escape


def hand_bigtable(table: list[dict[str, int]]) -> str:
    return "".join(
        [
            "<table>\n",
            *[
                "<tr>\n" + "".join([f"<td>{esc(str(v))}</td>\n" for v in row.values()]) + "</tr>\n"
                for row in table
            ],
            "</table>\n",
        ]
    )


def hand_bigtable_typed(table: list[dict[str, int]]) -> str:
    # What a careful hand would write knowing the values are ints: no escaping at all.
    return "".join(
        [
            "<table>\n",
            *[
                "<tr>\n" + "".join([f"<td>{v}</td>\n" for v in row.values()]) + "</tr>\n"
                for row in table
            ],
            "</table>\n",
        ]
    )


def _hand_item(item: Item) -> str:
    name = esc(item.name)
    stock = (
        f'<span class="stock">{esc(str(item.stock))} in stock</span>\n'
        if item.stock
        else '<span class="sold-out">sold out</span>\n'
    )
    return (
        f'<li class="item">\n<a href="/items/{esc(str(item.id))}" title="{name}">{name}</a>\n'
        f'<span class="price">{esc(format(item.price, ".2f"))}</span>\n{stock}</li>\n'
    )


def hand_page(title: str, shop: str, items: list[Item], count: int) -> str:
    t, s = esc(title), esc(shop)
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
            f"<title>{t} - {s}</title>\n",
            '<link rel="stylesheet" href="/static/style.css">\n</head>\n<body>\n',
            f"<header><h1>{t}</h1></header>\n<main>\n",
            '<ul class="items">\n',
            *[_hand_item(item) for item in items],
            "</ul>\n</main>\n",
            f"<footer><p>{s} &middot; {esc(str(count))} items &middot; "
            '<a href="/about">About</a></p></footer>\n',
            "</body>\n</html>\n",
        ]
    )


# -- engines ------------------------------------------------------------------------------


@dataclass
class Engine:
    name: str
    #: compile bigtable's source (str) into something callable
    compile: Callable[[str], Any] | None
    bigtable_source: str
    bigtable: Callable[[], Any]
    page: Callable[[], Any]
    encode: Callable[[Any], bytes]
    notes: list[str] = field(default_factory=list)


def _text(engine: str, name: str) -> str:
    return (TEMPLATES / engine / name).read_text("utf-8")


def _encode_str(value: str) -> bytes:
    return value.encode("utf-8")


def _encode_iolist(value: Any) -> bytes:
    return iolist_to_str(value).encode("utf-8")


def make_hand() -> Engine:
    return Engine(
        "hand",
        None,
        "",
        lambda: hand_bigtable(TABLE),
        lambda: hand_page(**PAGE),
        _encode_str,
    )


def make_hand_typed() -> Engine:
    # The same page: its ints are few, so only bigtable changes.
    return Engine(
        "hand-ints",
        None,
        "",
        lambda: hand_bigtable_typed(TABLE),
        lambda: hand_page(**PAGE),
        _encode_str,
    )


def make_kali() -> Engine:
    folder = TemplateFolder(TEMPLATES / "kali")
    bigtable = folder("bigtable")
    page = folder("page")
    return Engine(
        "kali",
        KaliTemplate,
        _text("kali", "bigtable.html"),
        lambda: bigtable(**BIGTABLE),
        lambda: page(**PAGE),
        _encode_iolist,
    )


def make_bottle() -> Engine:
    import bottle  # type: ignore[import-untyped]

    lookup = [str(TEMPLATES / "bottle")]
    bigtable = bottle.SimpleTemplate(name="bigtable", lookup=lookup)
    page = bottle.SimpleTemplate(name="page", lookup=lookup)

    def compile_bottle(source: str) -> Any:
        template = bottle.SimpleTemplate(source=source)
        return template.co  # SimpleTemplate compiles lazily; force it

    return Engine(
        "bottle",
        compile_bottle,
        _text("bottle", "bigtable.tpl"),
        lambda: bigtable.render(**BIGTABLE),
        lambda: page.render(**PAGE),
        _encode_str,
    )


def make_jinja2() -> Engine:
    import jinja2

    options: dict[str, Any] = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES / "jinja2"), **options)
    bigtable = env.get_template("bigtable.html")
    page = env.get_template("page.html")
    fresh = jinja2.Environment(**options)
    return Engine(
        "jinja2",
        fresh.from_string,
        _text("jinja2", "bigtable.html"),
        lambda: bigtable.render(**BIGTABLE),
        lambda: page.render(**PAGE),
        _encode_str,
    )


def make_mako() -> Engine:
    from mako.lookup import TemplateLookup  # type: ignore[import-untyped]
    from mako.template import Template  # type: ignore[import-untyped]

    tmp = Path(tempfile.mkdtemp(prefix="kali-bench-mako-"))
    atexit.register(shutil.rmtree, tmp, True)
    base = _text("mako", "base.html").replace("${self.content()}", "${self.content() | n}")
    (tmp / "base.html").write_text(base, "utf-8")
    for name in ("bigtable.html", "page.html", "footer.html"):
        (tmp / name).write_text(_text("mako", name), "utf-8")
    lookup = TemplateLookup(directories=[str(tmp)], default_filters=["h"])
    bigtable = lookup.get_template("bigtable.html")
    page = lookup.get_template("page.html")
    return Engine(
        "mako",
        lambda source: Template(source, default_filters=["h"]),
        _text("mako", "bigtable.html"),
        lambda: bigtable.render(**BIGTABLE),
        lambda: page.render(**PAGE),
        _encode_str,
    )


def make_chameleon() -> Engine:
    from chameleon import PageTemplate, PageTemplateLoader

    loader = PageTemplateLoader(str(TEMPLATES / "chameleon"))
    bigtable = loader["bigtable.pt"]
    page = loader["page.pt"]

    def compile_chameleon(source: str) -> Any:
        template = PageTemplate(source)
        template.cook_check()  # Chameleon compiles lazily; force it
        return template

    return Engine(
        "chameleon",
        compile_chameleon,
        _text("chameleon", "bigtable.pt"),
        lambda: bigtable.render(**BIGTABLE),
        lambda: page.render(**PAGE),
        _encode_str,
    )


FACTORIES: dict[str, Callable[[], Engine]] = {
    "hand": make_hand,
    "hand-ints": make_hand_typed,
    "kali": make_kali,
    "bottle": make_bottle,
    "jinja2": make_jinja2,
    "mako": make_mako,
    "chameleon": make_chameleon,
}

# -- measuring ----------------------------------------------------------------------------


def _sample(function: Callable[[], object], number: int) -> float:
    """Seconds per call, averaged over ``number`` calls (garbage collector paused)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            function()
        return (time.perf_counter() - start) / number
    finally:
        if enabled:
            gc.enable()


def _calibrate(function: Callable[[], object], target: float) -> int:
    once = _sample(function, 1)
    return max(1, min(10_000, int(target / max(once, 1e-7))))


class Compiles:
    """Compile a fresh variant of the source each time, so no engine can serve it from a cache."""

    def __init__(self, compile: Callable[[str], Any], source: str) -> None:
        self.compile = compile
        self.source = source
        self.counter = 0

    def __call__(self) -> object:
        self.counter += 1
        return self.compile(f"{self.source}<!-- {self.counter} -->\n")


def _normalise(text: str) -> str:
    """Drop whitespace and the engines' different spellings of an escaped ``'``."""
    for quote in ("&#x27;", "&#39;", "&#039;"):
        text = text.replace(quote, "'")
    return "".join(text.split())


def check_outputs(engines: list[Engine]) -> None:
    """kali must match the hand-written output exactly; peers up to whitespace."""
    expected = {
        "bigtable": hand_bigtable(TABLE),
        "page": hand_page(**PAGE),
    }
    for engine in engines:
        for workload in ("bigtable", "page"):
            got = engine.encode(getattr(engine, workload)()).decode("utf-8")
            want = expected[workload]
            if engine.name == "kali" and got != want:
                raise SystemExit(f"kali's {workload} output differs from the hand-written one")
            if _normalise(got) != _normalise(want):
                engine.notes.append(
                    f"{workload} output differs from hand-written (whitespace aside)"
                )


COLUMNS = ("compile", "bigtable render", "bigtable +encode", "page render", "page +encode")


def run(names: list[str], repeat: int, target: float) -> list[dict[str, Any]]:
    """Time every engine, print the table, and return each engine's median milliseconds."""
    engines: list[Engine] = []
    for name in names:
        try:
            engines.append(FACTORIES[name]())
        except ImportError as exc:
            print(f"note: skipping {name}: {exc}")
    check_outputs(engines)

    cases: list[tuple[str, str, Callable[[], object]]] = []
    for engine in engines:
        if engine.compile is not None:
            cases.append((engine.name, "compile", Compiles(engine.compile, engine.bigtable_source)))
        for workload in ("bigtable", "page"):
            render = getattr(engine, workload)
            encode = engine.encode
            cases.append((engine.name, f"{workload} render", render))
            cases.append(
                (engine.name, f"{workload} +encode", lambda r=render, e=encode: e(r()))  # type: ignore[misc]
            )
    numbers = {(e, m): _calibrate(f, target) for e, m, f in cases}
    samples: dict[tuple[str, str], list[float]] = {(e, m): [] for e, m, _ in cases}
    for _ in range(repeat):  # interleaved, so drift affects every engine alike
        for engine_name, measure, function in cases:
            key = (engine_name, measure)
            samples[key].append(_sample(function, numbers[key]))
    medians = {key: statistics.median(values) for key, values in samples.items()}
    report(engines, medians, repeat)
    return [
        {
            "name": engine.name,
            "ms": {
                column: medians[(engine.name, column)] * 1e3
                for column in COLUMNS
                if (engine.name, column) in medians
            },
            "notes": engine.notes,
        }
        for engine in engines
    ]


def report(engines: list[Engine], medians: dict[tuple[str, str], float], repeat: int) -> None:
    columns = list(COLUMNS)
    print()
    print(
        f"Python {sys.version.split()[0]} on {sys.platform}, medians of {repeat} samples, "
        "milliseconds (ratio to hand-written)"
    )
    print("compile = compiling bigtable's source; +encode = render, join and encode to UTF-8")
    print()
    header = f"{'engine':<10}" + "".join(f"{c:>21}" for c in columns)
    print(header)
    print("-" * len(header))
    for engine in engines:
        cells = []
        for column in columns:
            value = medians.get((engine.name, column))
            base = medians.get(("hand", column))
            if value is None:
                cells.append(f"{'-':>21}")
            elif base:
                cells.append(f"{value * 1e3:>12.3f} ({value / base:4.2f}x)")
            else:
                cells.append(f"{value * 1e3:>21.3f}")
        print(f"{engine.name:<10}" + "".join(cells))
    for engine in engines:
        for note in engine.notes:
            print(f"note: {engine.name}: {note}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    parser.add_argument("--repeat", type=int, help="samples per measurement")
    parser.add_argument(
        "--engines",
        default=",".join(FACTORIES),
        help=f"comma-separated subset of: {', '.join(FACTORIES)}",
    )
    args = parser.parse_args(argv)
    repeat = args.repeat or (5 if args.quick else 21)
    target = 0.005 if args.quick else 0.02
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    unknown = [n for n in names if n not in FACTORIES]
    if unknown:
        parser.error(f"unknown engines: {', '.join(unknown)}")
    if "hand" not in names:
        names.insert(0, "hand")
    started = datetime.datetime.now()
    load_before = os.getloadavg()
    engines = run(names, repeat, target)
    elapsed = (datetime.datetime.now() - started).total_seconds()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"templates-{started:%Y%m%d-%H%M%S}.json"
    result = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(elapsed, 1),
        "argv": list(sys.argv[1:] if argv is None else argv),
        "quick": args.quick,
        "repeat": repeat,
        "sample_seconds": target,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "engines": engines,
    }
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{elapsed:.0f} s; results written to {os.path.relpath(out, HERE.parent)}")


if __name__ == "__main__":
    main()
