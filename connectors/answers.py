"""Answers that are neither data nor a transfer fault: how ``http.py`` recognises and names them.

A .NET service (SmarterPay, Smart2Pay) may answer 200 with ASP.NET Web API's error object
instead of the list, and a load balancer or maintenance window with an HTML page, 5xx or even
200 (docs/inferred.md #160, #161). Neither may be read as a list; messages name them by the
provider's own words (the error's ``Message``/``ExceptionMessage``, the page's title).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The keys of ASP.NET Web API's HttpError: a 200 body made only of these is an error, not data.
HTTP_ERROR_KEYS = frozenset(
    {"Message", "MessageDetail", "ExceptionMessage", "ExceptionType", "StackTrace",
     "InnerException", "ModelState"}
)  # fmt: skip


def html_title(headers: Mapping[str, str], body: bytes) -> str | None:
    """How an HTML body is named in a message (its title), or None when it is not HTML."""
    kind = headers.get("Content-Type", "").split(";")[0].strip().lower()
    start = body[:512].lstrip().lower()
    if kind != "text/html" and not start.startswith((b"<!doctype html", b"<html")):
        return None
    text = body[:4096].decode("utf-8", "replace")
    low = text.lower()
    opened, closed = low.find("<title>"), low.find("</title>")
    title = text[opened + 7 : closed].strip() if 0 <= opened < closed else ""
    return f"(text/html, titled {title[:80]!r})" if title else "(text/html)"


def is_error_object(body: Mapping[str, Any]) -> bool:
    return bool(body) and body.keys() <= HTTP_ERROR_KEYS and "Message" in body


def error_text(body: Mapping[str, Any], limit: int = 300) -> str:
    said = [str(body[k]) for k in ("Message", "ExceptionMessage", "MessageDetail") if body.get(k)]
    text = " / ".join(said).replace("\n", " ")
    return repr(text[:limit] + ("…" if len(text) > limit else ""))
