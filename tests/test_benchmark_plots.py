"""The benchmarks' result files and `benchmarks/plots.py`, which turns them into the
Performance page's tables and figures.

The routing and template benchmarks are run with tiny counts and write their JSON into a
temporary folder; the other three results are built from the benchmarks' own result
classes (their runs take minutes and need ab, wrk and Chromium). No figure is checked for
its timing: only that the tables say what the results say, and how runs are chosen and
combined.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from benchmarks import bench_overhead, bench_routing, bench_server, bench_templates, plots

ROUTES = Path(__file__).resolve().parent / "routing" / "data"


def _write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data), "utf-8")
    return path


def overhead_result(kali_ratio: float, started: str, quick: bool = False) -> dict[str, Any]:
    falcon = bench_overhead.WSGIResult("falcon", "falcon", 100, [10.0, 10.0, 10.0], 10.0, 1.0)
    kali_us = [10.0 * kali_ratio] * 3
    kali = bench_overhead.WSGIResult("kali", "kali", 100, kali_us, 10.0 * kali_ratio, kali_ratio)
    rows = [
        bench_overhead.RowResult(
            "asyncio", "wrk", "asyncio", "/", "wrk ...", "", [50_000.0], [12.0], [1.0]
        ),
        bench_overhead.RowResult(
            "kali plain", "wrk", "kali", "/", "wrk ...", "", [25_000.0], [25.0], [0.5]
        ),
    ]
    for row in rows:
        row.median_rps, row.median_us, row.median_ratio = row.rps[0], row.us_per_request[0], 0.5
    rows[0].median_ratio = 1.0
    return {
        "started": started,
        "argv": ["--quick"] if quick else [],
        "settings": asdict(bench_overhead.QUICK if quick else bench_overhead.FULL),
        "python": "3.11.7",
        "cpus": 2,
        "load_average_before": [1.5, 1.0, 1.0],
        "load_average_after": [2.5, 1.0, 1.0],
        "wsgi": [asdict(falcon), asdict(kali)],
        "servers": [asdict(row) for row in rows],
        "targets": [
            {
                "what": "WSGI hello: kali / falcon time",
                "value": kali_ratio,
                "target": 1.0,
                "at_least": False,
                "ok": kali_ratio <= 1.0,
            },
            {
                "what": "wrk: kali plain x asyncio req/s",
                "value": 0.5,
                "target": 0.8,
                "at_least": True,
                "ok": False,
            },
        ],
    }


def server_result() -> dict[str, Any]:
    results = []
    for name, rps, us in (("raw", 10_000.0, 40.0), ("kali", 8_000.0, 60.0)):
        result = bench_server.ServerResult(name, name, f"python -m {name}")
        for load in ("ab -c1", "ab -c8", "wrk -c8"):
            for page in ("/", "/10k"):
                result.loads.append(
                    bench_server.LoadResult(name, load, page, "ab ...", rps, 3000, 0, 0.1, us)
                )
        result.preconnect_ms = [0.5, 0.7, 0.6]
        results.append(result)
    return {
        "started": "2026-12-02T10:00:00",
        "quick": False,
        "python": "3.11.7",
        "cpus": 2,
        "load_average_before": [1.0, 1.0, 1.0],
        "results": [asdict(r) for r in results],
        "targets": [
            {"what": "ab -c1 /: x raw", "value": 0.8, "target": 0.65, "ok": True},
            {"what": "ab -c1 /: µs/req", "value": 60.0, "target": 90.0, "ok": True},
        ],
    }


def live_result() -> dict[str, Any]:
    def latency(median: float) -> dict[str, Any]:
        return {"gets": 100, "median_ms": median, "worst_ms": median * 2, "task_seconds": 2.0}

    def publish(median: float) -> dict[str, Any]:
        return {
            "subscribers": 1000,
            "median_ms": median,
            "worst_ms": median * 1.2,
            "idle_cpu_ms_per_2s": 1.0,
            "rss_mib": 30.0,
        }

    return {
        "started": "2026-12-02T10:05:00",
        "quick": False,
        "rounds": 1,
        "subscribers": 1000,
        "python": "3.11.7",
        "load_average": [1.0, 1.0, 1.0],
        "latency": {"kali": [latency(10.0)], "flask": [latency(40.0)]},
        "publish": {"kali": [publish(25.0)], "flask": [publish(200.0)]},
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder with one result of each benchmark; routing and templates real."""
    folder = tmp_path_factory.mktemp("results")
    patch = pytest.MonkeyPatch()
    patch.setattr(bench_routing, "RESULTS", folder)
    patch.setattr(bench_templates, "RESULTS", folder)
    try:
        bench_routing.main(
            [
                "--routes",
                str(ROUTES),
                "--sets",
                "gplus",
                "--routers",
                "kali",
                "falcon",
                "--duration",
                "0.001",
                "--rounds",
                "1",
                "--no-scaling",
            ]
        )
        bench_templates.main(["--engines", "kali", "--repeat", "1"])
    finally:
        patch.undo()
    _write(folder, "overhead-20261202-100000.json", overhead_result(1.5, "2026-12-02T10:00:00"))
    _write(folder, "server-20261202-100000.json", server_result())
    _write(folder, "live-20261202-100500.json", live_result())
    return folder


def test_routing_writes_its_tables_as_json(results: Path) -> None:
    (path,) = results.glob("routing-*.json")
    data = json.loads(path.read_text("utf-8"))
    assert [entry["set"] for entry in data["sets"]] == ["gplus"]
    (entry,) = data["sets"]
    assert entry["routes"] == 13
    kali = next(r for r in entry["routers"] if r["name"] == "kali")
    assert set(kali["ns"]) == {"all", "static", "deep", "miss", "geomean"}
    assert kali["wrong"] == 0
    assert data["scaling"] is None and data["quick"] is False
    assert data["duration"] == 0.001 and data["rounds"] == 1


def test_templates_write_their_table_as_json(results: Path) -> None:
    (path,) = results.glob("templates-*.json")
    data = json.loads(path.read_text("utf-8"))
    assert [e["name"] for e in data["engines"]] == ["hand", "kali"]
    kali = data["engines"][1]
    assert set(kali["ms"]) == set(bench_templates.COLUMNS)
    assert "compile" not in data["engines"][0]["ms"]  # the hand-written code compiles nothing
    assert data["quick"] is False and data["repeat"] == 1


def _plot(results: Path, out: Path, *args: str) -> tuple[Path, Path]:
    pytest.importorskip("matplotlib", reason="the plots need matplotlib (the bench extra)")
    images, tables = out / "images", out / "tables"
    plots.main(["--results", str(results), "--images", str(images), "--tables", str(tables), *args])
    return images, tables


def test_every_benchmark_gets_its_tables_and_small_figures(results: Path, tmp_path: Path) -> None:
    images, tables = _plot(results, tmp_path)
    names = {p.name for p in images.glob("*.png")}
    assert names == {
        "perf-wsgi.png",
        "perf-native.png",
        "perf-server.png",
        "perf-live.png",
        "perf-routing.png",
        "perf-templates.png",
    }  # no routing scaling: that run had none
    for image in images.glob("*.png"):
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert image.stat().st_size < 100_000
    overhead = (tables / "perf-overhead.md").read_text("utf-8")
    assert "| **kali (WSGIAdapter)** | 15.0 | 1.50x |" in overhead
    assert "overhead-20261202-100000.json" in overhead
    assert "perf-wsgi.png)" in overhead
    server = (tables / "perf-server.md").read_text("utf-8")
    assert "| **kali** | 8 000 (0.80x) | 60 |" in server.replace("\u202f", " ")
    summary = (tables / "perf-summary.md").read_text("utf-8")
    assert "| request path, WSGI hello: kali / falcon time | 1.50x | ≤ 1x (issue 9) |" in summary
    assert "**missed**" in summary.split("WSGI hello")[1].splitlines()[0]
    assert "| server, ab -c1 /: kali CPU a request | 60.0 µs | ≤ 90 µs" in summary
    assert "| live, GET during a long task, median | 10.0 ms | Flask threaded: 40.0 ms" in summary
    assert "4.0x faster" in summary
    assert "templates, kali / hand-written, bigtable render" in summary
    if importlib.util.find_spec("falcon") is not None:
        assert "routing, kali / falcon ns a lookup, geomean of 1 route sets" in summary


def test_several_runs_are_combined_as_the_median_of_their_medians(tmp_path: Path) -> None:
    folder = tmp_path / "results"
    for minute, share in ((1, 9.9), (2, 1.4), (3, 1.6), (4, 1.5)):
        started = f"2026-12-02T10:0{minute}:00"
        _write(folder, f"overhead-20261202-100{minute}00.json", overhead_result(share, started))
    _, tables = _plot(folder, tmp_path, "--runs", "3")  # the newest three: not the 9.9
    overhead = (tables / "perf-overhead.md").read_text("utf-8")
    shown = overhead.replace(plots.DASH, "-")
    assert "| **kali (WSGIAdapter)** | 15.0 (14.0-16.0) | 1.50x (1.40-1.60) |" in shown
    assert "3 full runs" in overhead
    assert "overhead-20261202-100100.json" not in overhead


def test_full_runs_come_before_newer_quick_ones(tmp_path: Path) -> None:
    folder = tmp_path / "results"
    _write(folder, "overhead-20261202-100000.json", overhead_result(1.4, "2026-12-02T10:00:00"))
    quick = overhead_result(2.0, "2026-12-02T11:00:00", quick=True)
    _write(folder, "overhead-20261202-110000.json", quick)
    assert [r.path.name for r in plots.choose_runs(folder, 1, quick=False)["overhead"]] == [
        "overhead-20261202-100000.json"
    ]
    assert [r.path.name for r in plots.choose_runs(folder, 1, quick=True)["overhead"]] == [
        "overhead-20261202-110000.json"
    ]
    (folder / "overhead-20261202-100000.json").unlink()
    chosen = plots.choose_runs(folder, 1, quick=False)["overhead"]  # only a quick one left
    assert chosen[0].quick
    assert "one quick run" in plots.Source("overhead", chosen).markdown()


def test_a_benchmark_without_a_result_is_left_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "results"
    _write(folder, "live-20261202-100500.json", live_result())
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "perf-routing.md").write_text("the routing tables of an earlier run\n")
    (tables / "perf-summary-routing.rows").write_text("| routing, an earlier row | 0.5x | | |\n")
    _plot(folder, tmp_path)
    assert (tables / "perf-routing.md").read_text() == "the routing tables of an earlier run\n"
    summary = (tables / "perf-summary.md").read_text("utf-8")
    assert summary.index("| live, GET during") < summary.index("| routing, an earlier row |")


def test_a_file_that_is_not_a_result_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "notes.json", {})
    with pytest.raises(SystemExit, match="not a benchmark result"):
        plots.main([str(path), "--images", str(tmp_path), "--tables", str(tmp_path)])
