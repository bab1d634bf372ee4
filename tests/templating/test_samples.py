"""Sample templates: the benchmark's kali templates render exactly like hand-written Python."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from kali.templating import TemplateFolder, iolist_to_str

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_templates.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_kali_bench_templates", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_bigtable_matches_hand_written(bench: ModuleType) -> None:
    folder = TemplateFolder(bench.TEMPLATES / "kali")
    table = bench.TABLE[:3]
    assert iolist_to_str(folder("bigtable")(table=table)) == bench.hand_bigtable(table)


def test_page_matches_hand_written(bench: ModuleType) -> None:
    folder = TemplateFolder(bench.TEMPLATES / "kali")
    out = iolist_to_str(folder("page")(**bench.PAGE))
    assert out == bench.hand_page(**bench.PAGE)
    assert "&lt;Fish &amp; Chips&gt;" in out
    assert 'title="Item 3 &lt;Fish &amp; Chips&gt;"' in out
