"""The snippets on which the plugin must stay silent are valid at runtime too.

``ok_routes.py`` registers its routes when imported; ``ok_unseen.py`` holds
routes whose converters the plugin cannot see, valid once the code paths that
add them have run. If the runtime refused one of them, the plugin's silence
would be wrong in the other direction (a missed error is allowed; this test
keeps the snippets honest about what the runtime accepts).
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from kali import App
from kali.testing import TestClient

from .conftest import SNIPPETS


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"snippet_{name}", SNIPPETS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_ok_routes_register_and_answer() -> None:
    module = load("ok_routes")
    client = TestClient(module.app)
    assert client.get("/").text == "/item/3/search?q=x&page=2&tags=a&tags=b"
    assert client.get("/item/3").text == "/item/3?full=true"
    assert client.get("/item/3/abc?full=yes").text == "/item/3/abc"
    # url_for takes the first route registered: the inner decorator's.
    assert client.post("/day/2024-01-02").headers["location"] == "/iso/2024-01-02"
    assert TestClient(module.make_app()).get("/").text == "/day/2024-01-01"


def test_what_the_plugin_cannot_see_is_valid_at_runtime() -> None:
    module = load("ok_unseen")
    module.late.add_converter("date", module.DateConverter)
    module.register_routes()
    module.make(True)
    module.make(False)
    module.make_later()
    module.make_with_helper()
    module.make_in_loop()
    module.make_run_now()
    replaced = App()
    replaced.add_converter("int", module.HexInt)
    module.open_app(replaced)
    assert TestClient(module.app).get("/b").text == "/b"
