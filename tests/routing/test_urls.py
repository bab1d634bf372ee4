"""Reverse routing: url_for builds what match() reads back."""

from __future__ import annotations

import enum
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kali import Request
from kali.app import App
from kali.resource import Resource
from kali.routing import BuildError
from kali.routing.converters import INT_MAX
from kali.testing import TestClient

app = App()


@app.get("/item/<int:id>")
def item(request: Request, id: int) -> str:
    return ""


@app.get("/item/<int:id>/<slug>")
def item_slug(request: Request, id: int, slug: str) -> str:
    return ""


@app.get("/user/<name>", name="user")
def user(request: Request, name: str) -> str:
    return ""


@app.get("/price/<float:amount>")
def price(request: Request, amount: float) -> str:
    return ""


@app.get("/thing/<uuid:key>")
def thing(request: Request, key: uuid.UUID) -> str:
    return ""


@app.get("/files/<path:rest>")
def files(request: Request, rest: str) -> str:
    return ""


@app.get("/asset/<int:n>.css")
def asset(request: Request, n: int) -> str:
    return ""


@app.get("/caf\u00e9")
def cafe(request: Request) -> str:
    return ""


@app.get("/list")
@app.get("/list/<int:page>")
def listing(request: Request, page: int = 1) -> str:
    return ""


@app.resource("/task/<int:id>")
class Task(Resource):
    def get(self, request: Request, id: int) -> str:
        return ""

    def get_edit(self, request: Request, id: int) -> str:
        return ""


def test_url_for_handler_and_name() -> None:
    assert app.url_for(item, id=3) == "/item/3"
    assert app.url_for("item", id=3) == "/item/3"
    assert app.url_for("user", name="ann") == "/user/ann"
    assert app.url_for(user, name="a b/c") == "/user/a%20b%2Fc"
    assert app.url_for(files, rest="a b/c.txt") == "/files/a%20b/c.txt"
    assert app.url_for(asset, n=4) == "/asset/4.css"
    assert app.url_for(cafe) == "/caf%C3%A9"
    assert app.url_for(price, amount=2.5) == "/price/2.5"
    assert app.url_for(thing, key=uuid.UUID(int=1)) == "/thing/00000000-0000-0000-0000-000000000001"


def test_url_for_extra_parameters_make_the_query() -> None:
    assert app.url_for(item, id=3, q="a b", tags=["x", "y"], skip=None) == (
        "/item/3?q=a+b&tags=x&tags=y"
    )
    assert app.url_for(item, id=3, full=True) == "/item/3?full=true"


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 2


def test_an_enum_query_value_is_written_as_the_handler_reads_it_back() -> None:
    shop = App()
    seen: list[tuple[Color, Size]] = []

    @shop.get("/list")
    def listing(request: Request, color: Color = Color.RED, size: Size = Size.SMALL) -> str:
        seen.append((color, size))
        return ""

    url = shop.url_for(listing, color=Color.BLUE, size=Size.LARGE)
    assert url == "/list?color=blue&size=2"
    assert TestClient(shop).get(url).status == 200
    assert seen == [(Color.BLUE, Size.LARGE)]


def test_url_for_chooses_the_route_by_parameters() -> None:
    assert app.url_for(listing) == "/list"
    assert app.url_for(listing, page=2) == "/list/2"


def test_url_for_resource_methods() -> None:
    assert app.url_for("Task.get", id=1) == "/task/1"
    assert app.url_for("Task.get_edit", id=1) == "/task/1/edit"
    assert app.url_for(Task.get_edit, id=2) == "/task/2/edit"


def test_url_for_errors_name_the_problem() -> None:
    with pytest.raises(BuildError, match="needs the parameter 'id'"):
        app.url_for(item)
    with pytest.raises(BuildError, match="needs the parameter 'id'"):
        app.url_for(item_slug, slug="x")
    with pytest.raises(BuildError, match="'id' is rejected by the int converter"):
        app.url_for(item, id="three")
    with pytest.raises(BuildError, match="'id' is rejected"):
        app.url_for(item, id=-1)
    with pytest.raises(BuildError, match="'name' is rejected"):
        app.url_for(user, name="..")
    with pytest.raises(BuildError, match="'rest' is rejected"):
        app.url_for(files, rest="a//b")
    with pytest.raises(BuildError, match="no route is registered for the name 'iten'"):
        app.url_for("iten", id=3)
    with pytest.raises(BuildError, match=r"did you mean 'Task\.get'"):
        app.url_for("task.get")
    with pytest.raises(BuildError, match="no route is registered for the handler"):
        app.url_for(test_url_for_errors_name_the_problem)  # type: ignore[arg-type]


def test_ambiguous_names() -> None:
    local = App()

    def make() -> object:
        def page(request: Request) -> str:
            return ""

        return page

    local.add_route("/a", make())  # type: ignore[arg-type]
    local.add_route("/b", make())  # type: ignore[arg-type]
    with pytest.raises(BuildError, match="ambiguous"):
        local.url_for("page")


def round_trip(handler: object, **params: object) -> None:
    url = app.url_for(handler, **params)  # type: ignore[arg-type]
    found = app.match("GET", url)
    assert found is not None, url
    assert found.handler is handler
    assert found.params == params


text = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1).filter(
    lambda s: s not in (".", "..")
)


@given(st.integers(min_value=0, max_value=INT_MAX), text)
def test_round_trip_int_and_str(number: int, slug: str) -> None:
    round_trip(item_slug, id=number, slug=slug)


@pytest.mark.parametrize("number", [INT_MAX + 1, 10**30, -1])
def test_an_int_beyond_what_the_route_matches_is_not_built(number: int) -> None:
    with pytest.raises(BuildError, match=f"from 0 to {INT_MAX}"):
        app.url_for(item, id=number)


@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_round_trip_float(amount: float) -> None:
    round_trip(price, amount=amount)


@given(st.uuids())
def test_round_trip_uuid(key: uuid.UUID) -> None:
    round_trip(thing, key=key)


@given(st.lists(text.filter(lambda s: "/" not in s), min_size=1, max_size=4))
def test_round_trip_path(parts: list[str]) -> None:
    round_trip(files, rest="/".join(parts))


def test_url_for_mixed_segment_must_match_back_to_the_same_values() -> None:
    mixed = App()

    @mixed.get("/<a>-<b>")
    def pair(request: Request, a: str, b: str) -> str:
        return ""

    @mixed.get("/v/<int:major>.<int:minor>")
    def version(request: Request, major: int, minor: int) -> str:
        return ""

    assert mixed.url_for(pair, a="x-y", b="z") == "/x-y-z"
    with pytest.raises(BuildError, match=r"a='x', b='y-z'.*'x-y-z'.*a='x-y'") as info:
        mixed.url_for(pair, a="x", b="y-z")
    assert "a, b" in str(info.value)
    assert mixed.url_for(version, major=1, minor=20) == "/v/1.20"


pieces = st.text(st.sampled_from("ab-./%\u00e9"), min_size=1)


@given(pieces, pieces)
def test_round_trip_mixed_segment_or_build_error(a: str, b: str) -> None:
    mixed = App()

    @mixed.get("/m/<a>-<b>")
    def pair(request: Request, a: str, b: str) -> str:
        return ""

    try:
        url = mixed.url_for(pair, a=a, b=b)
    except BuildError:
        return
    found = mixed.match("GET", url)
    assert found is not None and found.params == {"a": a, "b": b}, url


def test_url_for_suggests_a_close_name() -> None:
    with pytest.raises(BuildError, match=r"name 'iten'; did you mean 'item'\?"):
        app.url_for("iten", id=3)
    with pytest.raises(BuildError, match=r"did you mean 'user'\?"):
        app.url_for("usr", name="x")
