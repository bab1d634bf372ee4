"""Router benchmark: kali's compiled matcher against werkzeug, starlette, falcon and bottle.

Run from the repository root::

    python benchmarks/bench_routing.py                # every set, every router
    python benchmarks/bench_routing.py --duration 0.1 --sets github --no-scaling
    python benchmarks/bench_routing.py --quick        # a smoke run: 0.05 s, 3 rounds

It reports nanoseconds per lookup (the best of several timed rounds) for each
standard route set (see ``shared/bench/routes/README.md``) and workload:

* ``all``: every route once, with realistic parameter values;
* ``static``: the routes without parameters;
* ``deep``: the routes with five segments or more;
* ``miss``: paths no route matches (wrong prefix, extra segment, unknown leaf).

It checks every answer on each set (``wrong`` counts the lookups that found
another route than the one the path was made from), then measures lookup cost
and build time for synthetic tables of 10 to 10 000 routes. Peers that are not
installed are skipped with a note. This is a benchmark, not a test: it is
never collected by pytest. The tables are printed and written to
``benchmarks/results/routing-*.json``.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SHARED_ROUTES = Path(__file__).resolve().parents[2] / "shared/bench/routes"
# The team's shared data when the clone sits beside shared/, else the copy the tests use.
DEFAULT_ROUTES = SHARED_ROUTES if SHARED_ROUTES.is_dir() else REPO / "tests/routing/data"
SETS = ("github", "github-full", "gplus", "parse", "static")
WORKLOADS = ("all", "static", "deep", "miss")
RESULTS = REPO / "benchmarks" / "results"
_PARAM = re.compile(r"\{(\w+)(?::path)?\}")

#: Realistic values for the parameter names used by the route sets.
VALUES = {
    "owner": "julienschmidt",
    "repo": "httprouter",
    "id": "1347",
    "user": "gordon",
    "number": "42",
    "org": "golang",
    "sha": "7638417db6d59f3c431d3e1f261cc637155684cd",
    "name": "bug",
    "client_id": "0f3c2b1a",
    "keyword": "router",
    "ref": "master",
    "collection": "public",
    "access_token": "a1b2c3d4",
    "target_user": "rsc",
    "state": "open",
    "repository": "go",
    "email": "gordon@example.com",
    "branch": "develop",
    "assignee": "bradfitz",
    "archive_format": "zipball",
    "userId": "118051310819094153327",
    "activityId": "z12gtjhq3qn2xxl2o224exwiqruvtda0i",
    "className": "Player",
    "objectId": "Ed1nuqPvcm",
    "appId": "47a3c",
    "installationId": "f41d2",
    "userId_": "u7",
}
PATH_VALUES = {"ref": "heads/feature/fast-router", "path": "src/router/tree.go"}


# -- route data ------------------------------------------------------------------


class Case:
    """One lookup: method, concrete path, and the index of the route it should find."""

    __slots__ = ("expected", "method", "path")

    def __init__(self, method: str, path: str, expected: int | None) -> None:
        self.method = method
        self.path = path
        self.expected = expected


def load(path: Path) -> list[tuple[str, str]]:
    routes = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            method, template = line.split()
            routes.append((method, template))
    return routes


def concrete(template: str) -> str:
    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if found.group(0).endswith(":path}"):
            return PATH_VALUES.get(name, "a/b/c")
        return VALUES.get(name, f"{name}-value")

    return _PARAM.sub(value, template)


def workloads(
    routes: list[tuple[str, str]], miss_filter: Callable[[str, str], bool]
) -> dict[str, list[Case]]:
    cases = [Case(m, concrete(t), i) for i, (m, t) in enumerate(routes)]
    static = [c for c in cases if "{" not in routes[c.expected or 0][1]]
    deep = [c for c in cases if c.path.count("/") >= 5]
    misses: list[Case] = []
    rng = random.Random(7)
    for case in cases:
        for path in (
            "/zz-unknown" + case.path,
            case.path + "/zz-unknown/deeper",
            case.path.rsplit("/", 1)[0] + "/zz-leaf",
        ):
            if miss_filter(case.method, path):
                misses.append(Case(case.method, path, None))
    rng.shuffle(misses)
    misses = misses[: max(len(cases), 1)]
    return {"all": cases, "static": static, "deep": deep, "miss": misses}


# -- routers ---------------------------------------------------------------------


class Router:
    """A router under test: ``build(routes)`` then ``lookup(method, path) -> index | None``."""

    name = "?"

    def build(self, routes: Sequence[tuple[str, str]]) -> None:
        raise NotImplementedError

    def lookup_fn(self) -> Callable[[str, str], Any]:
        """The raw call that is timed (its result need not be an index)."""
        raise NotImplementedError

    def answer(self, method: str, path: str) -> int | None:
        """The index of the route found (for the correctness check)."""
        raise NotImplementedError


class KaliRouter(Router):
    name = "kali"

    def build(self, routes: Sequence[tuple[str, str]]) -> None:
        from kali.app import App
        from kali.routing import Route

        table = []
        for index, (method, template) in enumerate(routes):
            pattern = re.sub(r"\{(\w+):path\}", r"<path:\1>", template)
            pattern = re.sub(r"\{(\w+)\}", r"<\1>", pattern)
            table.append(Route(pattern, _kali_handler(index), [method], name=f"r{index}"))
        app = App(table)
        app.compile()
        self.app = app

    def lookup_fn(self) -> Callable[[str, str], Any]:
        # The generated matcher, as the App's dispatch calls it per request
        # (app.match adds the lookup of the router: an API for people, not the path).
        return self.app.router.compile()

    def answer(self, method: str, path: str) -> int | None:
        found = self.app.match(method, path)
        return None if found is None else found.handler.index  # type: ignore[attr-defined]


def _kali_handler(index: int) -> Callable[..., str]:
    def handler(request: object, **params: str) -> str:
        return ""

    handler.index = index  # type: ignore[attr-defined]
    return handler


class FalconRouter(Router):
    name = "falcon"

    def build(self, routes: Sequence[tuple[str, str]]) -> None:
        from falcon.routing import CompiledRouter

        router = CompiledRouter()
        by_template: dict[str, dict[str, int]] = {}
        for index, (method, template) in enumerate(routes):
            by_template.setdefault(template, {})[method] = index
        self.indexes: dict[int, dict[str, int]] = {}
        for template, methods in by_template.items():
            responders = {f"on_{m.lower()}": _noop for m in methods}
            resource = type("R", (), responders)()
            self.indexes[id(resource)] = methods
            router.add_route(template, resource)
        router.find("/")  # falcon compiles lazily, on the first find
        self.router = router

    def lookup_fn(self) -> Callable[[str, str], Any]:
        find = self.router.find

        def lookup(method: str, path: str) -> Any:
            return find(path)

        return lookup

    def answer(self, method: str, path: str) -> int | None:
        found = self.router.find(path)
        if found is None:
            return None
        return self.indexes[id(found[0])].get(method)


def _noop(*args: Any) -> None:
    return None


class WerkzeugRouter(Router):
    name = "werkzeug"

    def build(self, routes: Sequence[tuple[str, str]]) -> None:
        from werkzeug.exceptions import HTTPException
        from werkzeug.routing import Map, Rule

        rules = []
        for index, (method, template) in enumerate(routes):
            pattern = re.sub(r"\{(\w+):path\}", r"<path:\1>", template)
            pattern = re.sub(r"\{(\w+)\}", r"<\1>", pattern)
            rules.append(Rule(pattern, endpoint=index, methods=[method]))
        self.adapter = Map(rules, strict_slashes=False).bind("localhost")
        self.error = HTTPException

    def lookup_fn(self) -> Callable[[str, str], Any]:
        match, error = self.adapter.match, self.error

        def lookup(method: str, path: str) -> Any:
            try:
                return match(path, method)
            except error:
                return None

        return lookup

    def answer(self, method: str, path: str) -> int | None:
        found = self.lookup_fn()(method, path)
        return None if found is None else found[0]


class StarletteRouter(Router):
    name = "starlette"

    def build(self, routes: Sequence[tuple[str, str]]) -> None:
        from starlette.routing import Match, Route

        self.routes = []
        for index, (method, template) in enumerate(routes):
            endpoint = _starlette_endpoint(index)
            self.routes.append(Route(template, endpoint, methods=[method]))
        self.full = Match.FULL

    def lookup_fn(self) -> Callable[[str, str], Any]:
        routes, full = self.routes, self.full

        def lookup(method: str, path: str) -> Any:
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            for route in routes:
                found, child = route.matches(scope)
                if found is full:
                    return route, child
            return None

        return lookup

    def answer(self, method: str, path: str) -> int | None:
        found = self.lookup_fn()(method, path)
        return None if found is None else found[0].endpoint.index  # type: ignore[no-any-return]


def _starlette_endpoint(index: int) -> Callable[..., None]:
    def endpoint(request: Any) -> None:
        return None

    endpoint.index = index  # type: ignore[attr-defined]
    return endpoint


class BottleRouter(Router):
    name = "bottle"

    def build(self, routes: Sequence[tuple[str, str]]) -> None:
        import bottle

        router = bottle.Router()
        for index, (method, template) in enumerate(routes):
            pattern = re.sub(r"\{(\w+):path\}", r"<\1:path>", template)
            pattern = re.sub(r"\{(\w+)\}", r"<\1>", pattern)
            router.add(pattern, method, index)
        self.router = router
        self.error = bottle.HTTPError

    def lookup_fn(self) -> Callable[[str, str], Any]:
        match, error = self.router.match, self.error

        def lookup(method: str, path: str) -> Any:
            try:
                return match({"PATH_INFO": path, "REQUEST_METHOD": method})
            except error:
                return None

        return lookup

    def answer(self, method: str, path: str) -> int | None:
        found = self.lookup_fn()(method, path)
        return None if found is None else found[0]  # type: ignore[no-any-return]


PEERS: dict[str, tuple[str, type[Router]]] = {
    "kali": ("kali", KaliRouter),
    "falcon": ("falcon", FalconRouter),
    "werkzeug": ("werkzeug", WerkzeugRouter),
    "starlette": ("starlette", StarletteRouter),
    "bottle": ("bottle", BottleRouter),
}


# -- timing ----------------------------------------------------------------------


class Timed:
    """One router on one workload: calibrated once, then timed in rounds."""

    def __init__(self, fn: Callable[[str, str], Any], cases: list[Case], budget: float) -> None:
        self.fn = fn
        self.pairs = [(c.method, c.path) for c in cases]
        self.best = math.nan
        if self.pairs:
            once = self.run(1)
            self.loops = max(1, int(budget / max(once * len(self.pairs) / 1e9, 1e-9)))
            self.best = once

    def run(self, loops: int) -> float:
        fn, pairs = self.fn, self.pairs
        start = time.perf_counter_ns()
        for _ in range(loops):
            for method, path in pairs:
                fn(method, path)
        return (time.perf_counter_ns() - start) / (loops * len(pairs))

    def round(self) -> None:
        if self.pairs:
            self.best = min(self.best, self.run(self.loops))


def time_interleaved(timed: list[Timed], rounds: int) -> None:
    """Best ns per lookup for each, in rounds that take every router in turn, so
    that a burst of load on a shared machine does not favour one of them."""
    gc.disable()
    try:
        for _ in range(rounds):
            for item in timed:
                item.round()
    finally:
        gc.enable()


def available(names: Sequence[str]) -> list[type[Router]]:
    found = []
    for name in names:
        module, cls = PEERS[name]
        try:
            __import__(module)
        except ImportError:
            print(f"note: {name} is not installed; skipped")
            continue
        found.append(cls)
    return found


# -- reports ---------------------------------------------------------------------


def fmt(ns: float) -> str:
    if math.isnan(ns):
        return "-"
    return f"{ns:,.0f}" if ns >= 100 else f"{ns:.1f}"


def table(header: Sequence[str], rows: list[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    for row in rows:
        lines.append(
            " | ".join(
                str(c).rjust(w) if i else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)


def _number(value: float) -> float | None:
    """``value`` for the JSON report, with NaN (nothing timed) as ``None``."""
    return None if math.isnan(value) else value


def bench_sets(args: argparse.Namespace, routers: list[type[Router]]) -> list[dict[str, Any]]:
    """Time every router on every route set; print a table a set and return the figures."""
    report: list[dict[str, Any]] = []
    for set_name in args.sets:
        routes = load(args.routes / f"{set_name}.txt")
        reference = KaliRouter()
        reference.build(routes)

        loads = workloads(routes, lambda m, p, app=reference.app: not app.allowed_methods(p))
        print(
            f"\n## {set_name}: {len(routes)} routes "
            f"({', '.join(f'{w} {len(loads[w])}' for w in WORKLOADS)} lookups); ns per lookup"
        )
        rows = []
        results: dict[str, dict[str, float]] = {}
        entry: dict[str, Any] = {
            "set": set_name,
            "routes": len(routes),
            "lookups": {w: len(loads[w]) for w in WORKLOADS},
            "routers": [],
        }
        report.append(entry)
        built_routers: list[tuple[Router, float, int]] = []
        for cls in routers:
            router = cls()
            start = time.perf_counter()
            try:
                router.build(routes)
            except Exception as exc:  # a peer that refuses the table
                print(f"note: {cls.name} cannot build {set_name}: {type(exc).__name__}: {exc}")
                continue
            built = time.perf_counter() - start
            wrong = 0
            for case in loads["all"] + loads["miss"]:
                got = router.answer(case.method, case.path)
                if got != case.expected:
                    wrong += 1
                    if args.verbose:
                        print(
                            f"  {cls.name} wrong: {case.method} {case.path} -> {got}, "
                            f"expected {case.expected}"
                        )
            built_routers.append((router, built, wrong))
        budget = args.duration / args.rounds
        timed = {
            (router.name, w): Timed(router.lookup_fn(), loads[w], budget)
            for router, _, _ in built_routers
            for w in WORKLOADS
        }
        for w in WORKLOADS:
            time_interleaved([t for (_, work), t in timed.items() if work == w], args.rounds)
        for router, built, wrong in built_routers:
            timings = {w: timed[(router.name, w)].best for w in WORKLOADS}
            results[router.name] = timings
            finite = [v for v in timings.values() if not math.isnan(v)]
            geo = math.exp(sum(map(math.log, finite)) / len(finite)) if finite else math.nan
            timings["geomean"] = geo
            entry["routers"].append(
                {
                    "name": router.name,
                    "ns": {w: _number(v) for w, v in timings.items()},
                    "wrong": wrong,
                    "build_ms": built * 1000,
                }
            )
            rows.append(
                [
                    router.name,
                    *(fmt(timings[w]) for w in (*WORKLOADS, "geomean")),
                    str(wrong),
                    f"{built * 1000:.1f}",
                ]
            )
        falcon = results.get("falcon")
        if falcon and "kali" in results:
            kali = results["kali"]
            rows.append(
                [
                    "kali/falcon",
                    *(
                        f"{kali[w] / falcon[w]:.2f}x" if not math.isnan(kali[w]) else "-"
                        for w in (*WORKLOADS, "geomean")
                    ),
                    "",
                    "",
                ]
            )
        print(table(["router", *WORKLOADS, "geomean", "wrong", "build ms"], rows))
    return report


def synthetic(count: int) -> list[tuple[str, str]]:
    """``count`` routes in four shapes: static, typed leaf, string + static, two levels."""
    routes = []
    for i in range(count):
        shape = i % 4
        if shape == 0:
            routes.append(("GET", f"/static{i}/about/page"))
        elif shape == 1:
            routes.append(("GET", f"/items{i}/{{id}}"))
        elif shape == 2:
            routes.append(("POST", f"/users{i}/{{user}}/settings"))
        else:
            routes.append(("GET", f"/repos{i}/{{owner}}/{{repo}}/issues"))
    return routes


def bench_scaling(args: argparse.Namespace, routers: list[type[Router]]) -> dict[str, Any]:
    """Time every router on synthetic tables of 10 to 10 000 routes; print and return them."""
    sizes = (10, 100, 1000, 10000)
    report: dict[str, Any] = {"sizes": list(sizes), "routers": []}
    print(
        "\n## synthetic tables: ns per lookup (the same 40 paths from the start of each "
        "table, plus 10 misses); build time in ms"
    )
    rows = []
    for cls in routers:
        row = [cls.name]
        entry: dict[str, Any] = {"name": cls.name, "ns": [], "build_ms": []}
        report["routers"].append(entry)
        first = math.nan
        for size in sizes:
            routes = synthetic(size)
            sample = [Case(m, concrete(t), i) for i, (m, t) in enumerate(routes[:40])]
            sample += [Case("GET", f"/zz{i}/none", None) for i in range(10)]
            router = cls()
            start = time.perf_counter()
            router.build(routes)
            built = time.perf_counter() - start
            entry["build_ms"].append(built * 1000)
            if cls.name == "starlette" and size >= 10000 and not args.slow:
                row.append(f"skipped ({built * 1000:.0f} ms)")
                entry["ns"].append(None)
                continue
            timed = Timed(router.lookup_fn(), sample, args.duration / args.rounds)
            time_interleaved([timed], args.rounds)
            ns = timed.best
            entry["ns"].append(_number(ns))
            first = ns if size == sizes[0] else first
            row.append(f"{fmt(ns)} ({built * 1000:.0f} ms)")
        last = (
            float(row[-1].split(" ")[0].replace(",", "")) if "skipped" not in row[-1] else math.nan
        )
        row.append(f"{last / first:.2f}x" if not math.isnan(last) else "-")
        rows.append(row)
    print(table(["router", *(f"{s:,} routes" for s in sizes), "10k/10"], rows))
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--routes",
        type=Path,
        default=DEFAULT_ROUTES,
        help="folder of route sets (default: %(default)s)",
    )
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--routers", nargs="+", default=list(PEERS), choices=list(PEERS))
    parser.add_argument(
        "--duration",
        type=float,
        help="seconds of timing per router and workload (default: 0.3)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="timed rounds per workload, routers taken in turn (default: 7)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: --duration 0.05 --rounds 3 unless given",
    )
    parser.add_argument("--no-scaling", action="store_true", help="skip the synthetic tables")
    parser.add_argument("--slow", action="store_true", help="time starlette on 10 000 routes")
    parser.add_argument("--verbose", action="store_true", help="print every wrong answer")
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 0.05 if args.quick else 0.3
    if args.rounds is None:
        args.rounds = 3 if args.quick else 7
    command = "python " + " ".join([sys.argv[0], *(argv if argv is not None else sys.argv[1:])])
    started = datetime.datetime.now()
    load_before = os.getloadavg()
    print(f"# {command}")
    print(f"# Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    if not args.routes.is_dir():
        parser.error(f"no route data in {args.routes}; pass --routes DIR")
    routers = available(args.routers)
    sets = bench_sets(args, routers)
    scaling = None if args.no_scaling else bench_scaling(args, routers)
    elapsed = (datetime.datetime.now() - started).total_seconds()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"routing-{started:%Y%m%d-%H%M%S}.json"
    report = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(elapsed, 1),
        "argv": list(sys.argv[1:] if argv is None else argv),
        "quick": args.quick,
        "duration": args.duration,
        "rounds": args.rounds,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "routers": [cls.name for cls in routers],
        "sets": sets,
        "scaling": scaling,
    }
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\n# {elapsed:.0f} s; results written to {os.path.relpath(out, REPO)}")


if __name__ == "__main__":
    main()
