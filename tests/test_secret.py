"""kali.secret: per-process tokens and signatures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kali import secret

ROOT = Path(__file__).resolve().parents[1]
URL_SAFE = re.compile(r"[A-Za-z0-9_-]*")


def test_token_is_stable_url_safe_and_separated_by_purpose() -> None:
    token = secret.token("csrf")
    assert token == secret.token("csrf")
    assert len(token) == 43 and URL_SAFE.fullmatch(token)
    assert secret.token("flash") != token
    assert secret.token("") != secret.token("\0")


def test_another_process_has_another_key() -> None:
    code = "from kali import secret; print(secret.token('csrf')); print(secret.sign('x'))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] != secret.token("csrf")
    assert secret.unsign(out[1]) is None  # signed by an earlier launch
    assert secret.sign("x") != out[1]


@given(st.text())
def test_sign_round_trips_and_is_url_safe(value: str) -> None:
    signed = secret.sign(value)
    payload, dot, signature = signed.partition(".")
    assert dot and URL_SAFE.fullmatch(payload) and URL_SAFE.fullmatch(signature)
    assert secret.unsign(signed) == value
    assert secret.unsign(secret.sign(value, purpose="flash"), purpose="flash") == value


def test_unsign_refuses_altered_and_foreign_strings() -> None:
    signed = secret.sign("Saved.", purpose="flash")
    assert secret.unsign(signed) is None  # another purpose
    assert secret.unsign(signed, purpose="other") is None
    payload, _, signature = signed.partition(".")
    other = secret.sign("Deleted.", purpose="flash").partition(".")[0]
    assert secret.unsign(f"{other}.{signature}", purpose="flash") is None  # swapped payload
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert secret.unsign(f"{payload}.{flipped}", purpose="flash") is None
    assert secret.unsign(f"{payload}.{signature}=", purpose="flash") is None
    assert secret.unsign(secret.token("flash")) is None  # a token is not a signature
    assert secret.unsign(f"{payload}.{secret.token('flash')}", purpose="flash") is None


@given(st.text())
def test_unsign_never_raises(text: str) -> None:
    assert secret.unsign(text) is None or secret.sign(secret.unsign(text) or "") == text
