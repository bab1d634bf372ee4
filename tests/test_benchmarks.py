"""The overhead benchmark's WSGI part, with tiny counts, so that it cannot silently rot.

Every app must give the same answer to the hello request before anything is
timed; the numbers themselves are not checked (performance goes in benchmarks/).
The server part (wrk, ab) is not run here.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from benchmarks import bench_overhead, hello_app

KALI_ROWS = ("bare", "kali", "kali TestClient")
PEERS = ("falcon", "bottle", "flask")


def _cases(names: Iterable[str]) -> list[bench_overhead.Case]:
    cases, _notes = bench_overhead.wsgi_cases()
    wanted = set(names)
    return [case for case in cases if case.name in wanted]


def test_kali_rows_answer_and_time() -> None:
    cases = _cases(KALI_ROWS)
    answers = bench_overhead.check_answers(cases)
    assert sorted(answers) == sorted(KALI_ROWS)
    assert set(answers.values()) == {bench_overhead.EXPECTED}
    results = bench_overhead.bench_wsgi(cases, runs=2, run_seconds=0.0, requests=3)
    assert [r.name for r in results] == [case.name for case in cases]
    for result in results:
        assert len(result.us_per_request) == 2
        assert result.median_us > 0
        assert result.ratio is None  # no falcon row to compare with


def test_peers_give_the_same_answer_as_kali() -> None:
    missing = [name for name in PEERS if importlib.util.find_spec(name) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (pip install -e '.[bench]'): peers skipped"
        print(reason)
        pytest.skip(reason)
    cases = _cases((*KALI_ROWS, *PEERS))
    answers = bench_overhead.check_answers(cases)
    assert sorted(answers) == sorted((*KALI_ROWS, *PEERS))
    assert len(set(answers.values())) == 1
    results = bench_overhead.bench_wsgi(cases, runs=1, run_seconds=0.0, requests=3)
    ratios = {r.name: r.ratio for r in results}
    assert ratios["falcon"] == 1.0
    assert all(ratio is not None and ratio > 0 for ratio in ratios.values())


def _short_body_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    hello_app.SEEN["short"] = hello_app.EXPECTED
    start_response("200 OK", [("X-Test", hello_app.HEADERS["X-Test"])])
    return [hello_app.BODY[:-1]]


def test_a_wrong_answer_fails_the_benchmark() -> None:
    case = bench_overhead.wsgi_case("short", "one byte short", _short_body_app, "short")
    with pytest.raises(RuntimeError, match="wrong answer"):
        bench_overhead.check_answers([case])
    with pytest.raises(RuntimeError, match="body bytes"):
        bench_overhead.bench_wsgi([case], runs=1, run_seconds=0.0, requests=3)


def test_a_handler_that_reads_the_wrong_value_fails_the_check() -> None:
    app = hello_app.bare_app()

    def wrong_query(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return app({**environ, "QUERY_STRING": "limit=11"}, start_response)

    case = bench_overhead.wsgi_case("bare", "reads limit=11", wrong_query, "bare")
    with pytest.raises(RuntimeError, match="'11'"):
        bench_overhead.check_answers([case])


def test_the_instruction_count_client_and_child_run() -> None:
    # bench_instructions runs these under valgrind; here, without it, a few requests.
    import subprocess
    import sys
    from pathlib import Path

    from benchmarks import bench_instructions

    bench_instructions._wsgi_child("kali", 3)
    port = bench_instructions._free_port()
    root = Path(bench_instructions.__file__).resolve().parent.parent
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.servers.kali_hello_server", str(port)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        bench_instructions.drive(port, 20, bench_instructions.HELLO, connections=3, server=server)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.parametrize("path", ["wsgi", "server", "hello"])
def test_the_opcode_profile_runs(path: str, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import profile_opcodes

    assert profile_opcodes.main([path]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.endswith("opcodes in all") and int(last.split()[0]) > 100
