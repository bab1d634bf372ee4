"""Overhead benchmark: the cost of everything between the socket and the handler, against peers.

Run from the repository root (Linux: the server part reads ``/proc`` and needs
``wrk`` and ``ab``)::

    python -m benchmarks.bench_overhead                 # full run, about 80 s
    python -m benchmarks.bench_overhead --quick         # smoke run, about 10 s
    python -m benchmarks.bench_overhead --only wsgi --runs 11

Two parts, side by side in one run:

* **WSGI in-process**: Falcon's benchmark "hello" app (``benchmarks/hello_app.py``)
  written for kali, Falcon, Bottle and Flask, each called through WSGI in a loop
  with a fresh PEP 3333 environ a request; kali through ``kali.wsgi.WSGIAdapter``,
  and through ``kali.testing.TestClient`` as an extra row. µs a request, the
  median of several runs, and the ratio to Falcon.
* **Native servers over loopback**: ``wrk -t2 -c8`` keep-alive against
  ``kali.serve_http`` with a plain handler, the kali App hello route over the same
  server, and the bare asyncio Protocol server; ``ab -n 3000 -c 1`` against kali
  and the raw-socket loop. Requests a second, the ratio to asyncio (to raw for
  ab) and the server's CPU µs a request, median of alternating rounds.

The results are printed as tables and written to ``benchmarks/results/overhead-*.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import http.client
import io
import json
import operator
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import hello_app
from benchmarks.bench_server import (
    ROOT,
    SERVERS,
    Load,
    LoadResult,
    ServerProcess,
    ServerSpec,
    cpu_source,
    http_get,
    run_load,
    summarize_log,
)
from benchmarks.servers.pages import PAGES
from kali.testing import TestClient
from kali.wsgi import WSGIAdapter

RESULTS = ROOT / "benchmarks" / "results"
BODY_LENGTH = len(hello_app.BODY)
WSGI_BASELINE = "falcon"


# -- settings ---------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    wsgi_runs: int  # timed runs of each WSGI app; the median is reported
    wsgi_run_seconds: float  # the requests a run makes are chosen to take about this long
    rounds: int  # rounds over the servers, each server loaded once a round, order alternating
    wrk_seconds: int
    ab_requests: int
    warmup_requests: int


FULL = Settings(
    wsgi_runs=7,
    wsgi_run_seconds=0.3,
    rounds=5,
    wrk_seconds=3,
    ab_requests=3000,
    warmup_requests=200,
)
QUICK = Settings(
    wsgi_runs=3,
    wsgi_run_seconds=0.05,
    rounds=1,
    wrk_seconds=1,
    ab_requests=500,
    warmup_requests=50,
)


# -- WSGI in-process -----------------------------------------------------------------


def make_environ() -> dict[str, Any]:
    """A fresh PEP 3333 environ for the hello request, with what a real server puts in it."""
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": hello_app.PATH,
        "QUERY_STRING": hello_app.QUERY,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "51234",
        "HTTP_HOST": "127.0.0.1:8080",
        "HTTP_USER_AGENT": hello_app.USER_AGENT,
        "HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
        "HTTP_CONNECTION": "keep-alive",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


@dataclass(frozen=True)
class Answer:
    """What an app answered to the hello request, and what its handler read from it."""

    status: str
    body_length: int
    body_ok: bool  # the body is hello_app.BODY, byte for byte
    x_test: str | None
    seen: tuple[str, str | None, str] | None


EXPECTED = Answer("200 OK", BODY_LENGTH, True, hello_app.HEADERS["X-Test"], hello_app.EXPECTED)


@dataclass
class Case:
    """One row of the WSGI table: how to ask once (checked) and how to loop (timed)."""

    name: str
    description: str
    ask: Callable[[], Answer]
    #: Make n requests; return the bytes of body received and the last status.
    loop: Callable[[int], tuple[int, str]]


def _noop_write(data: bytes) -> None:
    raise AssertionError("the hello apps do not use write()")


def wsgi_case(name: str, description: str, app: hello_app.WSGIApp, seen_key: str) -> Case:
    """A row calling ``app(environ, start_response)`` and consuming and closing the body."""

    def ask() -> Answer:
        captured: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            captured[:] = [status, headers]
            return _noop_write

        hello_app.SEEN.pop(seen_key, None)
        body = app(make_environ(), start_response)
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        status, headers = captured
        x_test = [value for key, value in headers if key.lower() == "x-test"]
        return Answer(
            status,
            len(data),
            data == hello_app.BODY,
            x_test[0] if len(x_test) == 1 else None,
            hello_app.SEEN.get(seen_key),
        )

    def loop(n: int) -> tuple[int, str]:
        last = [""]

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            last[0] = status
            return _noop_write

        received = 0
        for _ in range(n):
            body = app(make_environ(), start_response)
            for chunk in body:
                received += len(chunk)
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return received, last[0]

    return Case(name, description, ask, loop)


def client_case() -> Case:
    """A row sending the hello request through kali's in-process TestClient."""
    client = TestClient(hello_app.kali_app())
    headers = {"User-Agent": hello_app.USER_AGENT}

    def ask() -> Answer:
        hello_app.SEEN.pop("kali", None)
        response = client.get(hello_app.TARGET, headers=headers)
        return Answer(
            f"{response.status} {response.reason}",
            len(response.body),
            response.body == hello_app.BODY,
            response.headers.get("x-test"),
            hello_app.SEEN.get("kali"),
        )

    def loop(n: int) -> tuple[int, str]:
        received, status = 0, ""
        for _ in range(n):
            response = client.get(hello_app.TARGET, headers=headers)
            received += len(response.body)
            status = f"{response.status} {response.reason}"
        return received, status

    return Case("kali TestClient", "kali.testing.TestClient(App), no WSGI", ask, loop)


#: name → (description, builder of a WSGI app, key in hello_app.SEEN)
WSGI_APPS: dict[str, tuple[str, Callable[[], hello_app.WSGIApp], str]] = {
    "bare": ("hand-written WSGI callable, no framework (the floor)", hello_app.bare_app, "bare"),
    "kali": (
        "kali.wsgi.WSGIAdapter(kali.App)",
        lambda: WSGIAdapter(hello_app.kali_app()),
        "kali",
    ),
    "falcon": ("falcon.App, a resource with on_get", hello_app.falcon_app, "falcon"),
    "bottle": ("bottle.Bottle, a route function", hello_app.bottle_app, "bottle"),
    "flask": ("flask.Flask, a view returning flask.Response", hello_app.flask_app, "flask"),
}


def wsgi_cases() -> tuple[list[Case], list[str]]:
    """Every WSGI row whose framework is installed, and a note for each one skipped."""
    cases: list[Case] = []
    notes: list[str] = []
    for name, (description, build, seen_key) in WSGI_APPS.items():
        try:
            app = build()
        except ImportError as exc:
            notes.append(f"skipping {name}: {exc} (pip install -e '.[bench]')")
            continue
        cases.append(wsgi_case(name, description, app, seen_key))
    cases.append(client_case())
    return cases, notes


def check_answers(cases: Iterable[Case]) -> dict[str, Answer]:
    """Ask each case once; raise if any answer differs from the expected one."""
    answers = {case.name: case.ask() for case in cases}
    wrong = {name: answer for name, answer in answers.items() if answer != EXPECTED}
    if wrong:
        lines = [f"  {name}: {answer}" for name, answer in wrong.items()]
        raise RuntimeError(
            f"wrong answer to GET {hello_app.TARGET}; expected {EXPECTED}\n" + "\n".join(lines)
        )
    return answers


@dataclass
class WSGIResult:
    name: str
    description: str
    requests_per_run: int
    us_per_request: list[float] = field(default_factory=list)  # one sample a run
    median_us: float = 0.0
    ratio: float | None = None  # median over the runs of (this run's time / the baseline's)


def _timed(case: Case, n: int) -> float:
    """Seconds for n requests of ``case``; raises if any request got less than the full body."""
    gc.collect()
    start = time.perf_counter()
    received, status = case.loop(n)
    elapsed = time.perf_counter() - start
    if received != n * BODY_LENGTH or status != EXPECTED.status:
        raise RuntimeError(
            f"{case.name}: {n} requests gave {received} body bytes (expected "
            f"{n * BODY_LENGTH}), last status {status!r}"
        )
    return elapsed


def requests_for(case: Case, seconds: float) -> int:
    """How many requests of ``case`` take about ``seconds`` (after a warm-up)."""
    _timed(case, 20)
    probe = 50
    elapsed = _timed(case, probe)
    while elapsed < 0.02 and probe < 100_000:
        probe *= 4
        elapsed = _timed(case, probe)
    return max(10, round(seconds * probe / elapsed))


def bench_wsgi(
    cases: Sequence[Case], runs: int, run_seconds: float, requests: int | None = None
) -> list[WSGIResult]:
    """Time every case ``runs`` times (rotating the order each run); medians and ratios.

    ``requests`` fixes the requests a run makes; by default it is chosen for
    each case so that a run takes about ``run_seconds``.
    """
    results = []
    for case in cases:
        n = requests if requests is not None else requests_for(case, run_seconds)
        results.append(WSGIResult(case.name, case.description, n))
    for run in range(runs):
        order = list(range(len(cases)))
        shift = run % len(order)
        for index in order[shift:] + order[:shift]:
            n = results[index].requests_per_run
            elapsed = _timed(cases[index], n)
            results[index].us_per_request.append(elapsed / n * 1e6)
    for result in results:
        result.median_us = statistics.median(result.us_per_request)
    baseline = next((r for r in results if r.name == WSGI_BASELINE), None)
    if baseline is not None:
        for result in results:
            # Each run times every case once, in turn: a run's ratio compares
            # neighbours in time, so a slow spell on the shared machine cancels out.
            ratios = map(operator.truediv, result.us_per_request, baseline.us_per_request)
            result.ratio = statistics.median(ratios)
    return results


def print_wsgi(results: Sequence[WSGIResult], runs: int) -> None:
    print(
        f"\nWSGI in-process, GET {hello_app.TARGET} -> 10 KiB + X-Test: µs a request,"
        f"\nmedian of {runs} runs (min-max); the ratio to {WSGI_BASELINE} is the median of"
        " each run's ratio"
    )
    print(f"  {'app':17}{'µs/req':>8}{'min-max':>15}{'x ' + WSGI_BASELINE:>10}{'req/run':>9}  what")
    for r in results:
        spread = f"{min(r.us_per_request):.1f}-{max(r.us_per_request):.1f}"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        print(
            f"  {r.name:17}{r.median_us:8.1f}{spread:>15}{ratio:>10}"
            f"{r.requests_per_run:>9}  {r.description}"
        )


def run_wsgi_part(settings: Settings) -> tuple[list[WSGIResult], list[str]]:
    cases, notes = wsgi_cases()
    for note in notes:
        print(f"note: {note}")
    check_answers(cases)
    print(f"WSGI: all {len(cases)} apps gave the same answer; timing {settings.wsgi_runs} runs")
    results = bench_wsgi(cases, settings.wsgi_runs, settings.wsgi_run_seconds)
    print_wsgi(results, settings.wsgi_runs)
    return results, notes


# -- native servers over loopback -------------------------------------------------------

KALI_APP = ServerSpec("kali-app", "kali_hello_server", "kali App hello route over serve_http")
SERVER_SPECS = {
    spec.name: spec for spec in (SERVERS["asyncio"], SERVERS["kali"], KALI_APP, SERVERS["raw"])
}


@dataclass(frozen=True)
class Row:
    """One line of the server table: a server, a page and a load generator."""

    label: str
    server: str  # a key of SERVER_SPECS
    page: str
    tool: str  # "wrk" or "ab"
    baseline: str  # the label of the row the ratio is to
    what: str


ROWS = (
    Row("asyncio", "asyncio", "/", "wrk", "asyncio", "bare asyncio.Protocol, prebuilt reply"),
    Row("kali plain", "kali", "/", "wrk", "asyncio", "serve_http, dict lookup on path"),
    Row("kali App hello", "kali-app", hello_app.TARGET, "wrk", "asyncio", "App route, 10 KiB"),
    Row("asyncio /10k", "asyncio", "/10k", "wrk", "asyncio", "reference: a 10 KiB reply"),
    Row("raw", "raw", "/", "ab", "raw", "blocking accept/recv/sendall/close"),
    Row("kali plain", "kali", "/", "ab", "raw", "serve_http, dict lookup on path"),
)
#: Every load sends the same header as the WSGI part (the hello app reads it).
REQUEST_HEADERS = (f"User-Agent: {hello_app.USER_AGENT}",)


def load_for(row: Row, settings: Settings) -> Load:
    if row.tool == "wrk":
        return Load("wrk", 8, seconds=settings.wrk_seconds, headers=REQUEST_HEADERS)
    return Load("ab", 1, requests=settings.ab_requests, headers=REQUEST_HEADERS)


@dataclass
class RowResult:
    label: str
    tool: str
    server: str
    page: str
    command: str
    what: str
    rps: list[float] = field(default_factory=list)  # one sample a round
    us_per_request: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # to the baseline row, same round
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    median_rps: float | None = None
    median_us: float | None = None
    median_ratio: float | None = None


def check_server(row: Row, port: int) -> None:
    """Fetch the row's page once; raise unless the answer is the one the page should give."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", row.page, headers={"User-Agent": hello_app.USER_AGENT})
        response = conn.getresponse()
        body = response.read()
        x_test = response.getheader("X-Test")
    finally:
        conn.close()
    if row.page == hello_app.TARGET:
        ok = body == hello_app.BODY and x_test == hello_app.HEADERS["X-Test"]
    else:
        ok = body == PAGES[row.page][0]
    if response.status != 200 or not ok:
        raise RuntimeError(
            f"{row.label}: GET {row.page} answered {response.status} with {len(body)} bytes"
            f" (X-Test {x_test!r}), not the expected page"
        )


def _key(row: Row) -> tuple[str, str]:
    return (row.label, row.tool)


def run_servers_part(settings: Settings) -> tuple[list[RowResult], list[str]]:
    notes: list[str] = []
    missing = [tool for tool in ("wrk", "ab") if shutil.which(tool) is None]
    if missing:
        notes.append(
            f"skipping the servers: {', '.join(missing)} not installed (apt: wrk, apache2-utils)"
        )
        print(f"note: {notes[-1]}")
        return [], notes
    python_path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(python_path))
    results = {
        _key(row): RowResult(row.label, row.tool, row.server, row.page, "", row.what)
        for row in ROWS
    }
    with (
        tempfile.TemporaryDirectory(prefix="kali-overhead-") as log_dir,
        contextlib.ExitStack() as stack,
    ):
        servers: dict[str, ServerProcess] = {}
        for name, spec in SERVER_SPECS.items():
            server = ServerProcess(spec, Path(log_dir), env)
            stack.callback(server.stop)
            servers[name] = server
            print(f"  started {name}: {server.command}", flush=True)
        live: list[Row] = []
        for row in ROWS:
            server = servers[row.server]
            try:
                server.wait_ready()
                check_server(row, server.port)
                for _ in range(settings.warmup_requests):
                    status = http_get(server.port, row.page, timeout=10.0)
                    if status != 200:
                        raise RuntimeError(f"warm-up GET {row.page} answered {status}")
            except Exception as exc:
                message = f"{row.label} ({row.tool}): {type(exc).__name__}: {exc}"
                results[_key(row)].errors.append(message)
                notes.append(message)
                print(f"  failed: {message}", flush=True)
                continue
            live.append(row)
        for round_index in range(settings.rounds):
            print(f"  round {round_index + 1} of {settings.rounds}", flush=True)
            order = live if round_index % 2 == 0 else live[::-1]
            this_round: dict[str, float] = {}
            for row in order:
                outcome = run_load(servers[row.server], load_for(row, settings), row.page)
                record(results[_key(row)], outcome)
                if outcome.rps is not None and not outcome.error:
                    this_round[row.label + row.tool] = outcome.rps
                print(f"    {row.tool} {row.label:15} {_describe(outcome)}", flush=True)
            for row in live:
                mine = this_round.get(row.label + row.tool)
                base = this_round.get(row.baseline + row.tool)
                if mine is not None and base:
                    results[_key(row)].ratios.append(mine / base)
        for name, server in servers.items():
            server.stop()
            summary = summarize_log(server.log_text())
            if summary:
                notes.append(f"{name} printed:\n    " + "\n    ".join(summary))
    for row in ROWS:
        result = results[_key(row)]
        result.command = shlex.join(
            load_for(row, settings).command(f"http://127.0.0.1:PORT{row.page}")
        )
        if result.rps:
            result.median_rps = statistics.median(result.rps)
        if result.us_per_request:
            result.median_us = statistics.median(result.us_per_request)
        if result.ratios:
            result.median_ratio = statistics.median(result.ratios)
        if result.failed:
            notes.append(f"{row.tool} {row.label}: {result.failed} failed or non-2xx requests")
    ordered = [results[_key(row)] for row in ROWS]
    print_servers(ordered, settings)
    return ordered, notes


def record(result: RowResult, outcome: LoadResult) -> None:
    """Add one load's figures to its row."""
    result.failed += outcome.failed
    if outcome.error:
        result.errors.append(outcome.error)
        return
    if outcome.rps is not None:
        result.rps.append(outcome.rps)
    if outcome.us_per_request is not None:
        result.us_per_request.append(outcome.us_per_request)


def _describe(outcome: LoadResult) -> str:
    text = f"{outcome.rps:8.0f} req/s" if outcome.rps is not None else "no result"
    if outcome.us_per_request is not None:
        text += f" {outcome.us_per_request:6.1f} µs/req"
    if outcome.failed:
        text += f"  {outcome.failed} failed"
    if outcome.error:
        text += f"  ERROR {outcome.error}"
    return text


def print_servers(results: Sequence[RowResult], settings: Settings) -> None:
    rounds = f"{settings.rounds} round" + ("s" if settings.rounds != 1 else "")
    print(
        f"\nNative servers over loopback, median of {rounds}: requests a second, the ratio"
        "\nto the baseline (median of each round's ratio) and the server's CPU µs a request"
    )
    print(f"  {'load':14}{'server':16}{'req/s':>8} {'ratio':>14}{'CPU µs/req':>12}  page")
    for row, r in zip(ROWS, results, strict=True):
        tool = f"wrk -c8 {settings.wrk_seconds}s" if row.tool == "wrk" else "ab -c1"
        if r.median_rps is None:
            print(f"  {tool:14}{r.label:16}{'error':>8}")
            continue
        ratio = f"{r.median_ratio:.2f}x {row.baseline}" if r.median_ratio is not None else "-"
        cpu = f"{r.median_us:.1f}" if r.median_us is not None else "-"
        flag = "!" if r.failed or r.errors else " "
        print(f"  {tool:14}{r.label:16}{r.median_rps:8.0f}{flag}{ratio:>14}{cpu:>12}  {r.page}")
    print("  (! = failed or non-2xx requests or a load error: see Notes)")
    print("  commands:")
    for command in dict.fromkeys(r.command for r in results):
        print(f"    {command}")


# -- targets and the run --------------------------------------------------------------------


def targets(wsgi: Sequence[WSGIResult], servers: Sequence[RowResult]) -> list[dict[str, Any]]:
    """Issue 9's targets, with the values measured in this run."""
    by_wsgi = {r.name: r for r in wsgi}
    by_row = {(r.label, r.tool): r for r in servers}
    checks: list[dict[str, Any]] = []

    def check(what: str, value: float | None, target: float, at_least: bool) -> None:
        ok = value is not None and (value >= target if at_least else value <= target)
        checks.append(
            {"what": what, "value": value, "target": target, "at_least": at_least, "ok": ok}
        )

    if wsgi:
        kali = by_wsgi.get("kali")
        check("WSGI hello: kali / falcon time", kali.ratio if kali else None, 1.0, False)
    if servers:
        for label, tool, target in (
            ("kali plain", "wrk", 0.8),
            ("kali App hello", "wrk", 0.6),
            ("kali plain", "ab", 0.65),
        ):
            result = by_row.get((label, tool))
            base = "raw" if tool == "ab" else "asyncio"
            value = result.median_ratio if result else None
            check(f"{tool}: {label} x {base} req/s", value, target, True)
    return checks


def print_targets(checks: Sequence[dict[str, Any]]) -> None:
    if not checks:
        return
    print("\nIssue 9's targets")
    for item in checks:
        value = "n/a" if item["value"] is None else f"{item['value']:.2f}"
        sign = ">=" if item["at_least"] else "<="
        verdict = "ok" if item["ok"] else "MISSED"
        print(f"  {item['what']:36}{value:>7}  (target {sign} {item['target']:g})  {verdict}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs: a smoke run")
    parser.add_argument("--only", choices=("wsgi", "servers"), help="run one part only")
    parser.add_argument(
        "--runs",
        type=int,
        metavar="N",
        help=f"WSGI runs and server rounds (default {FULL.wsgi_runs} and {FULL.rounds})",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.runs is not None:
        if args.runs < 1:
            parser.error("--runs must be at least 1")
        settings = Settings(**{**asdict(settings), "wsgi_runs": args.runs, "rounds": args.runs})

    started = datetime.datetime.now()
    load_before = os.getloadavg()
    print(
        f"python {platform.python_version()} {sys.executable}; {os.cpu_count()} CPUs; "
        f"load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}; "
        f"server CPU from {cpu_source()}"
    )
    wsgi: list[WSGIResult] = []
    servers: list[RowResult] = []
    notes: list[str] = []
    if args.only in (None, "wsgi"):
        wsgi, wsgi_notes = run_wsgi_part(settings)
        notes += wsgi_notes
    if args.only in (None, "servers"):
        print("\nServers: each in its own process on a free port of 127.0.0.1", flush=True)
        servers, server_notes = run_servers_part(settings)
        notes += server_notes
    checks = targets(wsgi, servers)
    print_targets(checks)
    load_after = os.getloadavg()
    elapsed = (datetime.datetime.now() - started).total_seconds()
    if notes:
        print("\nNotes")
        for note in notes:
            print(f"  {note}")

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"overhead-{started:%Y%m%d-%H%M%S}.json"
    report = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(elapsed, 1),
        "argv": list(sys.argv[1:] if argv is None else argv),
        "settings": asdict(settings),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "cpu_source": cpu_source(),
        "request": f"GET {hello_app.TARGET}",
        "wsgi": [asdict(result) for result in wsgi],
        "servers": [asdict(result) for result in servers],
        "targets": checks,
        "notes": notes,
    }
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(
        f"\n{elapsed:.0f} s; load average now {load_after[0]:.2f}; "
        f"results written to {out.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
