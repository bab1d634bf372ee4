"""Server benchmark: kali against the stdlib servers, waitress, gunicorn and a raw-socket loop.

Run from the repository root (Linux: it reads ``/proc`` and needs ``ab`` and ``wrk``)::

    python benchmarks/bench_server.py            # full run, a few minutes
    python benchmarks/bench_server.py --quick    # smoke run
    python benchmarks/bench_server.py --servers kali,waitress --skip-browser

Every server runs in its own process (``python -m benchmarks.servers.NAME PORT``)
and serves the same pages. For each of them, side by side in one run:

* requests per second for ``/`` and ``/10k`` under ``ab -c 1``, ``ab -c 8``
  (HTTP/1.0, a connection per request) and ``wrk -t2 -c8`` (keep-alive), with
  the server's CPU time per request read from ``/proc/PID/stat``, and the ratio
  to the raw-socket loop (``benchmarks/servers/raw_server.py``);
* the time to answer a GET sent after three idle preconnects;
* the load time of a page with ten stylesheets in headless Chromium (kali,
  the raw-socket loop and http.server only, loaded in turn, round after round).

The results are printed as tables and written to ``benchmarks/results/server-*.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
CLOCK_TICK = 1 / os.sysconf("SC_CLK_TCK")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BASELINE = "raw"
PAGES = ("/", "/10k")
BROWSER_SERVERS = ("kali", BASELINE, "httpserver")


# -- configuration -------------------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    name: str
    module: str  # under benchmarks.servers
    description: str
    requires: str | None = None  # an importable module the server needs


SERVERS: dict[str, ServerSpec] = {
    spec.name: spec
    for spec in (
        ServerSpec(BASELINE, "raw_server", "raw-socket loop: accept, read head, sendall, close"),
        ServerSpec("kali", "kali_server", "kali.serve_http, handler = dict lookup on path"),
        ServerSpec("httpserver", "httpserver_server", "http.server.HTTPServer, HTTP/1.0"),
        ServerSpec("wsgiref", "wsgiref_server", "wsgiref.simple_server, HTTP/1.0"),
        ServerSpec("waitress", "waitress_server", "waitress, threads=1", "waitress"),
        ServerSpec("gunicorn", "gunicorn_server", "gunicorn, 1 sync worker", "gunicorn"),
        ServerSpec("asyncio", "asyncio_server", "bare asyncio.Protocol, keep-alive"),
    )
}


@dataclass(frozen=True)
class Load:
    """One load generator setting: ab with a concurrency, or wrk for a duration."""

    tool: str  # "ab" or "wrk"
    concurrency: int
    requests: int = 0  # ab
    seconds: int = 0  # wrk
    headers: tuple[str, ...] = ()  # extra request header lines, "Name: value"

    @property
    def label(self) -> str:
        return f"ab -c{self.concurrency}" if self.tool == "ab" else f"wrk -c{self.concurrency}"

    def command(self, url: str) -> list[str]:
        extra = [arg for header in self.headers for arg in ("-H", header)]
        if self.tool == "ab":
            # -q: no progress lines; -r: count receive errors instead of aborting.
            ab = ["ab", "-q", "-r", "-n", str(self.requests), "-c", str(self.concurrency)]
            return [*ab, *extra, url]
        return ["wrk", "-t2", f"-c{self.concurrency}", f"-d{self.seconds}s", *extra, url]

    @property
    def time_limit(self) -> float:
        return 120.0 if self.tool == "ab" else self.seconds + 20.0


@dataclass(frozen=True)
class Settings:
    loads: tuple[Load, ...]
    preconnect_tries: int
    browser_loads: int
    warmup_requests: int


FULL = Settings(
    loads=(Load("ab", 1, requests=3000), Load("ab", 8, requests=3000), Load("wrk", 8, seconds=5)),
    preconnect_tries=20,
    browser_loads=11,
    warmup_requests=200,
)
QUICK = Settings(
    loads=(Load("ab", 1, requests=600), Load("ab", 8, requests=600), Load("wrk", 8, seconds=2)),
    preconnect_tries=5,
    browser_loads=3,
    warmup_requests=50,
)


# -- results -------------------------------------------------------------------


@dataclass
class LoadResult:
    server: str
    load: str
    page: str
    command: str
    rps: float | None = None
    requests: int = 0
    failed: int = 0  # ab's "Failed requests" + non-2xx; wrk's socket errors + non-2xx/3xx
    cpu_seconds: float = 0.0
    us_per_request: float | None = None
    error: str | None = None


@dataclass
class ServerResult:
    name: str
    description: str
    command: str
    loads: list[LoadResult] = field(default_factory=list)
    preconnect_ms: list[float] = field(default_factory=list)
    preconnect_timeout: bool = False
    browser_ms: list[float] = field(default_factory=list)  # wall time of page.goto
    browser_load_event_ms: list[float] = field(default_factory=list)  # navigation timing
    browser_error: str | None = None
    #: What the server printed, summarized: "COUNTx line", tracebacks reduced to their last line.
    log_summary: list[str] = field(default_factory=list)
    error: str | None = None


# -- running a server ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:  # the process or thread is gone
        return None


def _exec_ns(pid: int) -> int | None:
    """Nanoseconds on CPU of all live threads of ``pid`` (``/proc/PID/task/*/schedstat``)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    total = 0
    for task in tasks:
        text = _read(f"/proc/{pid}/task/{task}/schedstat")
        if text is None:
            continue
        total += int(text.split()[0])
    return total


#: Where CPU time comes from: schedstat (ns, exact) where the kernel has it, else
#: utime + stime (+ reaped children's) in clock ticks, 10 ms each.
USE_SCHEDSTAT = _exec_ns(os.getpid()) is not None and os.path.exists("/proc/self/schedstat")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and every descendant, e.g. gunicorn's worker."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        text = _read(f"/proc/{entry}/stat")
        if text is None:
            continue
        fields = text[text.rindex(b")") + 2 :].split()
        # fields[0] is field 3 (state) of proc(5): ppid is 4, utime..cstime are 14..17.
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = sum(int(value) for value in fields[11:15])
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        ns = _exec_ns(current) if USE_SCHEDSTAT else None
        if ns is not None:
            total += ns / 1e9
        elif current in ticks:
            total += ticks[current] * CLOCK_TICK
        todo.extend(children.get(current, ()))
    return total


class ServerProcess:
    """A server under test in its own process, on a free port of 127.0.0.1."""

    def __init__(self, spec: ServerSpec, log_dir: Path, env: dict[str, str]) -> None:
        self.spec = spec
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.argv = [sys.executable, "-m", f"benchmarks.servers.{spec.module}", str(self.port)]
        self.log_path = log_dir / f"{spec.name}.log"
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    @property
    def command(self) -> str:
        return " ".join(["python", *self.argv[1:]])

    def wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with status {self.proc.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1.0),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError(f"not accepting on port {self.port} after {timeout:.0f} s")

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


# -- raw HTTP client for warm-up and the preconnect test -------------------------------


def http_get(port: int, path: str, timeout: float) -> int:
    """Send one GET on a new connection and read the whole response; return the status."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        return read_response(sock)


def read_response(sock: socket.socket) -> int:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before the end of the head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    if match is None:  # delimited by the close
        while sock.recv(65536):
            pass
    else:
        remaining = int(match.group(1)) - len(body)
        while remaining > 0:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed before the end of the body")
            remaining -= len(chunk)
    return int(head.split(b" ", 2)[1])


def warm_up(port: int, requests: int) -> None:
    for i in range(requests):
        status = http_get(port, PAGES[i % len(PAGES)], timeout=10.0)
        if status != 200:
            raise RuntimeError(f"warm-up GET answered {status}")


def preconnect_latency(port: int, tries: int, timeout: float = 2.0) -> tuple[list[float], bool]:
    """Median-worthy samples (ms) of a GET sent after 3 idle connections; True on a timeout.

    Stops at the first timeout: a server that waits for the idle connections
    would stall every try.
    """
    samples: list[float] = []
    for _ in range(tries):
        idle = [socket.create_connection(("127.0.0.1", port), timeout=timeout) for _ in range(3)]
        try:
            time.sleep(0.02)  # let the server accept them
            start = time.perf_counter()
            http_get(port, "/", timeout=timeout)
            samples.append((time.perf_counter() - start) * 1000)
        except TimeoutError:
            return samples, True
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.01)
    return samples, False


# -- load generators -------------------------------------------------------------------


def _number(pattern: str, text: str) -> float | None:
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else None


def parse_ab(output: str) -> tuple[float | None, int, int]:
    """(requests per second, completed requests, failed + non-2xx) from ab's report."""
    rps = _number(r"^Requests per second:\s+([\d.]+)", output)
    complete = int(_number(r"^Complete requests:\s+(\d+)", output) or 0)
    failed = int(_number(r"^Failed requests:\s+(\d+)", output) or 0)
    failed += int(_number(r"^Non-2xx responses:\s+(\d+)", output) or 0)
    return rps, complete, failed


def parse_wrk(output: str) -> tuple[float | None, int, int]:
    """(requests per second, completed requests, socket errors + non-2xx/3xx) from wrk."""
    rps = _number(r"^Requests/sec:\s+([\d.]+)", output)
    complete = int(_number(r"^\s*(\d+) requests in", output) or 0)
    errors = 0
    match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if match:
        errors += sum(int(value) for value in match.groups())
    errors += int(_number(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", output) or 0)
    return rps, complete, errors


def run_load(server: ServerProcess, load: Load, page: str) -> LoadResult:
    argv = load.command(server.url + page)
    result = LoadResult(server.spec.name, load.label, page, " ".join(argv))
    before = server.cpu_seconds()
    try:
        completed = subprocess.run(
            argv, capture_output=True, text=True, timeout=load.time_limit, check=False
        )
    except subprocess.TimeoutExpired:
        result.error = f"timed out after {load.time_limit:.0f} s"
        return result
    result.cpu_seconds = server.cpu_seconds() - before
    parse = parse_ab if load.tool == "ab" else parse_wrk
    result.rps, result.requests, result.failed = parse(completed.stdout)
    if result.rps is None or completed.returncode != 0:
        message = (completed.stderr or completed.stdout).strip().splitlines()
        result.error = f"exit {completed.returncode}: {message[-1] if message else 'no output'}"
    if result.requests:
        result.us_per_request = result.cpu_seconds / result.requests * 1e6
    return result


# -- browser -----------------------------------------------------------------------------


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium through Playwright, or None when either is missing."""
    if importlib.util.find_spec("playwright") is None or not os.path.exists(CHROMIUM):
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def browser_load(browser: Any, url: str) -> tuple[float, float]:
    """Load ``url`` once in a fresh context: the wall time of ``page.goto(...,
    wait_until="load")`` and the navigation timing's ``loadEventEnd``, in ms.
    Raises if a stylesheet is missing."""
    context = browser.new_context()
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url, wait_until="load", timeout=20_000)
        wall = (time.perf_counter() - start) * 1000
        sheets = page.evaluate("document.styleSheets.length")
        load_end = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    finally:
        context.close()
    if sheets != 10:
        raise RuntimeError(f"{sheets} stylesheets applied instead of 10")
    return wall, float(load_end)


def browser_rounds(
    results: list[ServerResult],
    specs: Sequence[ServerSpec],
    settings: Settings,
    log_dir: Path,
    env: dict[str, str],
    browser: Any,
) -> None:
    """Load the ten-stylesheet page in Chromium from each browser server in turn,
    round after round, the order alternating, with every one of them up at once: a
    slow spell of the machine falls on all of them alike, and each round gives a
    ratio to the raw loop. The first round warms each server and is not counted."""
    by_name = {result.name: result for result in results}
    chosen = [s for s in specs if s.name in BROWSER_SERVERS and not by_name[s.name].error]
    if not chosen:
        return
    print(f"\n== Chromium, in turn: {', '.join(spec.name for spec in chosen)}", flush=True)
    folder = log_dir / "browser"
    folder.mkdir(exist_ok=True)
    servers: list[ServerProcess] = []
    try:
        for spec in chosen:
            servers.append(ServerProcess(spec, folder, env))
        for server in servers:
            server.wait_ready()
        for round_ in range(settings.browser_loads + 1):
            for server in servers if round_ % 2 == 0 else servers[::-1]:
                result = by_name[server.spec.name]
                if result.browser_error:
                    continue
                try:
                    wall, load_end = browser_load(browser, f"{server.url}/page")
                except Exception as exc:  # a timeout or a missing stylesheet
                    result.browser_error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
                    continue
                if round_:
                    result.browser_ms.append(wall)
                    result.browser_load_event_ms.append(load_end)
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        result = by_name[server.spec.name]
        shown = result.browser_error or f"{_median_cell(result.browser_ms)} ms"
        print(f"   {result.name:12}chromium: {shown}", flush=True)


# -- the run --------------------------------------------------------------------------------


def bench_server(
    spec: ServerSpec, settings: Settings, log_dir: Path, env: dict[str, str]
) -> ServerResult:
    server = ServerProcess(spec, log_dir, env)
    result = ServerResult(spec.name, spec.description, server.command)
    print(f"\n== {spec.name}: {server.command}", flush=True)
    try:
        server.wait_ready()
        warm_up(server.port, settings.warmup_requests)
        for load in settings.loads:
            for page in PAGES:
                outcome = run_load(server, load, page)
                result.loads.append(outcome)
                print(f"   {_describe(outcome)}", flush=True)
        result.preconnect_ms, result.preconnect_timeout = preconnect_latency(
            server.port, settings.preconnect_tries
        )
        print(f"   preconnect: {_preconnect_cell(result)}", flush=True)
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        print(f"   failed: {result.error}", flush=True)
    finally:
        server.stop()
        result.log_summary = summarize_log(server.log_text())
    return result


def summarize_log(text: str, limit: int = 8) -> list[str]:
    """The distinct lines a server printed, with counts (digits folded into N).

    Tracebacks count as their last line; kali's start and stop lines are left out.
    """
    skip = ("kali: serving on", "kali: SIGTERM", "kali: stopped", "Traceback", "----")
    counts: dict[str, int] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith((" ", "\t", *skip)):
            continue
        if line.startswith("Exception occurred during processing of request from"):
            continue  # socketserver's banner before a traceback
        key = re.sub(r"\d+", "N", line.strip())[:160]
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    return [f"{count}x {line}" for line, count in ranked[:limit]]


def _describe(outcome: LoadResult) -> str:
    text = f"{outcome.load:9} {outcome.page:5} "
    if outcome.rps is not None:
        text += f"{outcome.rps:8.0f} req/s"
    if outcome.us_per_request is not None:
        text += f" {outcome.us_per_request:6.1f} µs/req ({outcome.requests} requests)"
    if outcome.failed:
        text += f"  {outcome.failed} failed"
    if outcome.error:
        text += f"  ERROR {outcome.error}"
    return text


def _median_cell(samples: Sequence[float]) -> str:
    return f"{statistics.median(samples):.1f}" if samples else "-"


def _preconnect_cell(result: ServerResult) -> str:
    if result.preconnect_timeout:
        done = f" (after {len(result.preconnect_ms)} ok)" if result.preconnect_ms else ""
        return f"timeout (> 2 s){done}"
    if not result.preconnect_ms:
        return "-"
    return f"{statistics.median(result.preconnect_ms):.2f} ms median"


# -- report ------------------------------------------------------------------------------------


def print_report(results: list[ServerResult], settings: Settings) -> list[str]:
    """Print the tables; return the notes (failures, errors, server output)."""
    columns = [(load.label, page) for load in settings.loads for page in PAGES]
    index = {(r.name, o.load, o.page): o for r in results for o in r.loads}
    cell_width = 22
    print("\nRequests per second, ratio to the raw-socket loop, server CPU µs per request")
    print(f"{'':12}" + "".join(f"{label + ' ' + page:>{cell_width}}" for label, page in columns))
    subhead = f"{'rps':>8} {'x raw':>6}{'µs/req':>7}"
    print(f"{'server':12}" + f"{subhead:>{cell_width}}" * len(columns))
    notes: list[str] = []
    for result in results:
        row = f"{result.name:12}"
        for label, page in columns:
            outcome = index.get((result.name, label, page))
            row += f"{_table_cell(outcome, index.get((BASELINE, label, page))):>{cell_width}}"
            if outcome is not None and (outcome.failed or outcome.error):
                notes.append(
                    f"{result.name} {label} {page}: {outcome.failed} failed"
                    + (f", {outcome.error}" if outcome.error else "")
                )
        print(row)
    print("\nLatency of a GET sent after 3 idle preconnects (median; 2 s timeout)")
    for result in results:
        print(f"  {result.name:12}{_preconnect_cell(result)}")
    browsed = [r for r in results if r.browser_ms or r.browser_error]
    if browsed:
        print("\nHeadless Chromium, a page with 10 stylesheets, fresh context per load (median)")
        for result in browsed:
            if result.browser_error:
                print(f"  {result.name:12}{result.browser_error}")
            else:
                print(
                    f"  {result.name:12}{_median_cell(result.browser_ms):>7} ms page.goto"
                    f"   {_median_cell(result.browser_load_event_ms):>7} ms loadEventEnd"
                )
    for result in results:
        if result.error:
            notes.append(f"{result.name}: {result.error}")
        if result.log_summary:
            notes.append(f"{result.name} printed:\n    " + "\n    ".join(result.log_summary))
    return notes


def _table_cell(outcome: LoadResult | None, baseline: LoadResult | None) -> str:
    if outcome is None or outcome.rps is None:
        return "error" if outcome is not None else "-"
    ratio = "-"
    if baseline is not None and baseline.rps:
        ratio = f"{outcome.rps / baseline.rps:.2f}"
    cpu = f"{outcome.us_per_request:.0f}" if outcome.us_per_request is not None else "-"
    flag = "!" if outcome.failed or outcome.error else " "
    return f"{outcome.rps:8.0f}{flag}{ratio:>6}{cpu:>7}"


def print_targets(results: list[ServerResult]) -> list[dict[str, Any]]:
    """Check kali against the targets of the issue; print and return the checks."""
    by_name = {r.name: r for r in results}
    kali, raw = by_name.get("kali"), by_name.get(BASELINE)
    if kali is None:
        return []
    checks: list[dict[str, Any]] = []

    def check(what: str, value: float | None, target: float, higher_is_better: bool) -> None:
        ok = value is not None and (value >= target if higher_is_better else value <= target)
        checks.append({"what": what, "value": value, "target": target, "ok": ok})

    def outcome(name: ServerResult | None, label_prefix: str, page: str) -> LoadResult | None:
        if name is None:
            return None
        for o in name.loads:
            if o.load.startswith(label_prefix) and o.page == page:
                return o
        return None

    for page in PAGES:
        for prefix, ratio_target, cpu_target in (("ab -c1", 0.65, 90.0), ("wrk", 2.0, 25.0)):
            mine, base = outcome(kali, prefix, page), outcome(raw, prefix, page)
            ratio = None
            if mine and base and mine.rps and base.rps:
                ratio = mine.rps / base.rps
            check(f"{prefix} {page}: x raw", ratio, ratio_target, True)
            check(
                f"{prefix} {page}: µs/req", mine.us_per_request if mine else None, cpu_target, False
            )
    pre = (
        None
        if kali.preconnect_timeout or not kali.preconnect_ms
        else statistics.median(kali.preconnect_ms)
    )
    check("GET after 3 idle preconnects: ms", pre, 10.0, False)
    if kali.browser_ms and raw is not None and len(raw.browser_ms) == len(kali.browser_ms):
        # "As fast as the raw-socket loop": allow 10 % of noise. The median of each
        # round's ratio (the two were loaded one after the other).
        rounds = zip(kali.browser_ms, raw.browser_ms, strict=True)
        ratio = statistics.median(k / r for k, r in rounds)
        check("chromium 10 stylesheets: kali / raw time", ratio, 1.1, False)
    print("\nkali against the targets")
    for item in checks:
        value = "n/a" if item["value"] is None else f"{item['value']:.2f}"
        verdict = "ok" if item["ok"] else "MISSED"
        sign = ">=" if "x raw" in item["what"] else "<="
        print(f"  {item['what']:42}{value:>9}  (target {sign} {item['target']:g})  {verdict}")
    return checks


def cpu_source() -> str:
    """Where the server CPU figures come from, for the report."""
    if USE_SCHEDSTAT:
        return "/proc/PID/task/*/schedstat (ns)"
    return f"/proc/PID/stat utime+stime ({CLOCK_TICK * 1000:g} ms ticks)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller loads: a smoke run")
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated, from {','.join(SERVERS)} (the raw loop is always added)",
    )
    parser.add_argument("--skip-browser", action="store_true", help="no Chromium test")
    args = parser.parse_args(argv)

    names = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in names if name not in SERVERS]
    if unknown:
        parser.error(f"unknown server(s): {', '.join(unknown)}")
    if BASELINE not in names:
        names.insert(0, BASELINE)
    for tool in ("ab", "wrk"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (Debian: apache2-utils, wrk)", file=sys.stderr)
            return 2
    specs = []
    for name in names:
        spec = SERVERS[name]
        if spec.requires and importlib.util.find_spec(spec.requires) is None:
            print(f"note: skipping {name}: {spec.requires} is not installed")
            continue
        specs.append(spec)
    settings = QUICK if args.quick else FULL

    python_path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(python_path))
    started = datetime.datetime.now()
    load_before = os.getloadavg()
    print(
        f"python {platform.python_version()} {sys.executable}; {os.cpu_count()} CPUs; "
        f"load average {load_before[0]:.2f}; server CPU from {cpu_source()}"
    )
    print("load commands: " + "; ".join(" ".join(load.command("URL")) for load in settings.loads))

    results: list[ServerResult] = []
    with (
        tempfile.TemporaryDirectory(prefix="kali-bench-") as log_dir,
        contextlib.ExitStack() as stack,
    ):
        browser = None
        if not args.skip_browser and any(s.name in BROWSER_SERVERS for s in specs):
            try:
                browser = stack.enter_context(chromium())
            except Exception as exc:
                print(f"note: Chromium did not start ({exc}); skipping the browser test")
            if browser is None:
                print("note: playwright or /usr/bin/chromium missing; skipping the browser test")
        for spec in specs:
            results.append(bench_server(spec, settings, Path(log_dir), env))
        if browser is not None:
            browser_rounds(results, specs, settings, Path(log_dir), env, browser)

    notes = print_report(results, settings)
    checks = print_targets(results)
    elapsed = (datetime.datetime.now() - started).total_seconds()
    print("\nCommands: " + "; ".join(" ".join(load.command("URL")) for load in settings.loads))
    for result in results:
        print(f"  {result.name:12}{result.command}")
    if notes:
        print("\nNotes")
        for note in notes:
            print(f"  {note}")

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"server-{started:%Y%m%d-%H%M%S}.json"
    report = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(elapsed, 1),
        "quick": args.quick,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "cpu_source": cpu_source(),
        "load_commands": [" ".join(load.command("URL")) for load in settings.loads],
        "results": [asdict(result) for result in results],
        "targets": checks,
    }
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{elapsed:.0f} s; results written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
