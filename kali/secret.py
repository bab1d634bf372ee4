"""A secret key made once per process, and what it is used for: tokens and signatures.

The key is 32 random bytes drawn with `secrets.token_bytes` when this
module is first imported. It is never written anywhere, so everything derived from it lasts as
long as the process: after the app restarts, old tokens and signatures no longer verify. For a
desktop-style app that is exactly the lifetime wanted (a form left open in the browser across a
restart is sent again; a flash cookie from the last run is ignored).

Three functions use it, all with HMAC-SHA256 and URL-safe base64 without padding, so what they
return can go in a URL, a cookie or an HTML attribute as it is:

* [`token(purpose)`][kali.secret.token]: a value that only this process can produce, the same
  for every call with the same purpose (the CSRF token of `kali.formlets`).
* [`sign(value)`][kali.secret.sign]: `value` with a signature attached, so that it can be handed
  to the browser and trusted when it comes back.
* [`unsign(signed)`][kali.secret.unsign]: the value back, or `None` if it was altered, signed by
  another process (an earlier launch) or signed for another purpose.

Every derivation is separated by kind and purpose, so a token can never pass as a signature,
and a value signed for one purpose is refused when checked for another:

```python
from kali import secret

cookie = secret.sign("Saved.", purpose="flash")
secret.unsign(cookie, purpose="flash")   # 'Saved.'
secret.unsign(cookie)                    # None: another purpose
secret.unsign(cookie[:-1] + "A")         # None: altered
```

A signature proves who made a value, not that it is secret: the value is only encoded, so do
not sign what the user must not read.

Several processes serving one app (a WSGI server with many workers) each have their own key, so
a token made by one is refused by another: run kali's own server, or a single worker.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

__all__ = ["sign", "token", "unsign"]

_KEY = secrets.token_bytes(32)


def _mac(kind: bytes, purpose: str, message: bytes) -> bytes:
    # The purpose is length-prefixed, so no two (kind, purpose, message) share an input.
    named = purpose.encode("utf-8", "surrogatepass")
    data = kind + b"\0" + len(named).to_bytes(8, "big") + named + message
    return hmac.new(_KEY, data, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token(purpose: str) -> str:
    """A token for `purpose`: the same string for every call in this process.

    Another process (another launch of the app) gives another token. The token is 43 URL-safe
    characters (256 bits).

    Args:
        purpose: what the token is for, e.g. `"kali.formlets.csrf"`; different purposes give
            unrelated tokens.

    Returns:
        The token, in URL-safe base64 without padding.
    """
    return _b64(_mac(b"token", purpose, b""))


def sign(value: str, *, purpose: str = "") -> str:
    """`value`, encoded and followed by its signature: `"<value>.<signature>"`.

    Both parts are URL-safe base64 without padding, so the result can be put in a cookie, a URL
    or an attribute whatever `value` holds. It is not encrypted: anyone can decode the value.

    Args:
        value: the text to sign.
        purpose: what the signature is for; [`unsign`][kali.secret.unsign] must be given the same.

    Returns:
        The signed string.
    """
    payload = _b64(value.encode("utf-8", "surrogatepass"))
    return payload + "." + _b64(_mac(b"sign", purpose, payload.encode("ascii")))


def unsign(signed: str, *, purpose: str = "") -> str | None:
    """The value of a string made by [`sign`][kali.secret.sign] in this process, or `None`.

    The signature is compared in constant time. `None` is returned for anything that does not
    verify: an altered value or signature, a string signed by another process (an earlier launch)
    or for another purpose, or text that is not a signed string at all. It never raises.

    Args:
        signed: the string to check, as it came back from the browser.
        purpose: the purpose it was signed for.

    Returns:
        The original value, or `None`.
    """
    payload, dot, signature = signed.rpartition(".")
    if not dot:
        return None
    if not (payload.isascii() and signature.isascii()):
        return None
    expected = _b64(_mac(b"sign", purpose, payload.encode("ascii")))
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        return _unb64(payload).decode("utf-8", "surrogatepass")
    except (ValueError, binascii.Error):  # cannot happen for a payload this module signed
        return None
