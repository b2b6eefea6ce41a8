"""Provider behaviours at the HTTP level that issue 14 did not name (``quirks_http``): each test
starts an emulator with one such ``--quirks`` behaviour, runs the real ``paysync sync`` command
against it and shows that the database equals the emulator's truth, or that the command exits
non-zero with one line naming the source, what was seen and what to do, with nothing already
committed lost. The expected side is the emulator's truth (or what an earlier, documented run
committed), never paysync's output.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web

from connectors.emulator_kit.quirks import QuirkPlan, QuirkSpecError
from connectors.emulator_kit.testing import start_emulator
from connectors.errors import ProviderRedirectError, ProviderRequestError, ProviderUnavailableError
from connectors.http import HttpClient, RetryPolicy
from connectors.smarterpay.streams import STREAMS as SP_STREAMS
from pipelines.sync.refused import once, smaller_page
from tests.test_unnamed_behaviours import (
    EMULATORS,
    equals_truth,
    loud,
    paysync_sync,
    snapshot,
)

SOURCES = {"smarterpay": "'bacs'", "smart2pay": "'cards'"}


sync = paysync_sync  # a real `paysync` command, as a user runs it


def loses_nothing(
    provider: str, quirk: str, db_url: str, tmp_path: Path, seed: int, records: int = 700,
    reconcile: bool = False,
) -> None:  # fmt: skip
    options = {**EMULATORS[provider], "records": records}
    with start_emulator(provider, seed=seed, quirks=quirk, **options) as emu:
        emu.clock_freeze(True)
        result = sync(tmp_path, emu, db_url, provider)
        assert result.returncode == 0, result.stderr[-3000:]
        equals_truth(db_url, emu, provider)
        if reconcile:  # the census reads through the same client: it must not be fooled
            check = sync(tmp_path, emu, db_url, provider, "--repair", command="reconcile")
            assert check.returncode == 0, (check.stdout[-3000:], check.stderr[-3000:])
            equals_truth(db_url, emu, provider)


def stops_keeping_what_was_committed(
    provider: str, quirk: str, db_url: str, tmp_path: Path, *needles: str, budget: int = 60
) -> tuple[subprocess.CompletedProcess[str], float]:
    """A documented emulator's data committed first; then the same data behind ``quirk``: the
    command fails naming ``needles`` and the committed rows stay as they were."""
    options = dict(seed=72, **EMULATORS[provider])
    with start_emulator(provider, **options) as good:
        good.clock_freeze(True)
        at = good.clock_now()
        assert sync(tmp_path, good, db_url, provider).returncode == 0
        before = snapshot(db_url, provider)  # each schema is named after its provider
    with start_emulator(provider, quirks=quirk, **options) as bad:
        bad.clock_freeze(True)
        bad.clock_set(at)
        started = time.monotonic()
        result = sync(tmp_path, bad, db_url, provider, "--full-refresh", budget=budget)
        took = time.monotonic() - started
        loud(result, SOURCES[provider], *needles)
        assert snapshot(db_url, provider) == before  # nothing committed lost
    return result, took


# A list answered 200 with an ASP.NET error object instead of the list -------------------------
@pytest.mark.parametrize("provider", ["smarterpay", "smart2pay"])
def test_occasional_error_objects_answered_200_lose_nothing(
    provider: str, fresh_db_url: str, tmp_path: Path
) -> None:
    loses_nothing(provider, "error_body=0.1", fresh_db_url, tmp_path, seed=71, reconcile=True)


def test_error_objects_on_every_list_stop_naming_the_providers_message(
    fresh_db_url: str, tmp_path: Path
) -> None:
    result, took = stops_keeping_what_was_committed(
        "smarterpay", "error_body=1", fresh_db_url, tmp_path,
        "stream ", "window ", "created_from=", "HTTP 200", "An error has occurred.",
        "Timeout expired", "Rerun later",
    )  # fmt: skip
    assert result.returncode == 3, result.stderr[-2000:]
    assert took < 40, f"{took:.0f}s: the error object was retried for the whole budget"


# A maintenance or proxy page: text/html with 503, or with 200 --------------------------------
@pytest.mark.parametrize(("provider", "status"), [("smarterpay", 503), ("smart2pay", 200)])
def test_occasional_html_pages_lose_nothing(
    provider: str, status: int, fresh_db_url: str, tmp_path: Path
) -> None:
    loses_nothing(provider, f"html={status},html_rate=0.1", fresh_db_url, tmp_path, seed=73)


def test_html_503_until_the_budget_ends_stops_naming_status_and_html(
    fresh_db_url: str, tmp_path: Path
) -> None:
    result, _ = stops_keeping_what_was_committed(
        "smarterpay", "html=503", fresh_db_url, tmp_path,
        "stream ", "window ", "HTTP 503", "HTML page", "Service Unavailable", "rerun later",
        budget=3,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr[-2000:]


def test_html_200_is_never_an_empty_list_and_stops_soon(fresh_db_url: str, tmp_path: Path) -> None:
    result, took = stops_keeping_what_was_committed(
        "smart2pay", "html=200", fresh_db_url, tmp_path,
        "HTTP 200", "HTML page", "text/html", "base_url",
    )  # fmt: skip
    assert result.returncode == 3, result.stderr[-2000:]
    assert took < 40, f"{took:.0f}s: the HTML page was retried for the whole budget"


# A page size above the provider's limit refused with 400 --------------------------------------
@pytest.mark.parametrize("provider", ["smarterpay", "smart2pay"])
def test_page_size_refused_with_400_is_learned(
    provider: str, fresh_db_url: str, tmp_path: Path
) -> None:
    loses_nothing(provider, "page_size_error=50", fresh_db_url, tmp_path, seed=74)
    asks = asyncio.run(page_size_asks(fresh_db_url))
    assert asks.get("payments") == 50, asks  # kept for the next run: the largest served


async def page_size_asks(db_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch("SELECT stream, ask FROM paysync.page_sizes")
        return {r["stream"]: r["ask"] for r in rows}
    finally:
        await conn.close()


def test_page_size_refused_at_every_size_stops_naming_the_parameter(
    fresh_db_url: str, tmp_path: Path
) -> None:
    result, took = stops_keeping_what_was_committed(
        "smarterpay", "page_size_error=5", fresh_db_url, tmp_path,
        "stream ", "window ", "HTTP 400", "PageSize must be between 1 and 5", "limit down to",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr[-2000:]
    assert took < 40, f"{took:.0f}s"


# Redirects: followed on the same origin, refused off it ---------------------------------------
@pytest.mark.parametrize("provider", ["smarterpay", "smart2pay"])
def test_redirects_on_the_same_origin_lose_nothing(
    provider: str, fresh_db_url: str, tmp_path: Path
) -> None:
    loses_nothing(provider, "redirect=1", fresh_db_url, tmp_path, seed=75)


def test_redirect_to_plain_http_is_refused_before_credentials_go(
    fresh_db_url: str, tmp_path: Path
) -> None:
    result, took = stops_keeping_what_was_committed(
        "smarterpay", "redirect=http", fresh_db_url, tmp_path,
        "redirected to another origin", "http://", "base_url",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-2000:]
    assert took < 40, f"{took:.0f}s: a refused redirect was retried"


# A page listing one of its records twice ------------------------------------------------------
@pytest.mark.parametrize("provider", ["smarterpay", "smart2pay"])
def test_a_record_listed_twice_on_a_page_loads_once(
    provider: str, fresh_db_url: str, tmp_path: Path
) -> None:
    # enough records for full pages: a page of the size asked plus the repeated record
    loses_nothing(provider, "dupes=1", fresh_db_url, tmp_path, seed=76, records=2000)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("error_body=0", "share"), ("error_body=x", "share"), ("html=abc", "HTTP status"),
     ("html_rate=2", "share"), ("page_size_error=0", "largest"), ("redirect=https", "1 or http"),
     ("dupes=2", "use 1")],
)  # fmt: skip
def test_bad_http_quirk_specs_are_refused(spec: str, message: str) -> None:
    with pytest.raises(QuirkSpecError, match=message):
        QuirkPlan.parse(spec)


def test_http_quirks_parse_and_stay_off_by_default() -> None:
    assert not QuirkPlan.parse(None).http.active
    plan = QuirkPlan.parse("error_body=0.05,html=503,html_rate=0.5,redirect=1").http
    assert (plan.error_body, plan.html, plan.html_rate, plan.redirect) == (0.05, 503, 0.5, "1")


# The pure pieces, against hand-written answers ------------------------------------------------
def refusal(said: str) -> ProviderRequestError:
    return ProviderRequestError(f"source 's': GET v1/payments answered HTTP 400: {said}", 400)


@pytest.mark.parametrize(
    ("said", "asked", "expected"),
    [('{"Message": "PageSize must be between 1 and 50."}', 500, 50),
     ('{"Message": "limit too large (max 200, asked 500)"}', 500, 200),
     ('{"Message": "Bad Request"}', 500, 250), ('{"Message": "Bad Request"}', 31, 15),
     ('{"Message": "Bad Request"}', 15, None), ('{"Message": "between 1 and 5"}', 500, 250)],
)  # fmt: skip
def test_smaller_page_after_a_400(said: str, asked: int, expected: int | None) -> None:
    assert smaller_page(refusal(said), asked, 10) == expected


def test_a_record_repeated_identically_is_kept_once_and_other_content_stays() -> None:
    spec = SP_STREAMS["payments"]
    one, other = {spec.id_key: 1, "amount": 5}, {spec.id_key: 2, "amount": 6}
    changed = {spec.id_key: 1, "amount": 7}
    assert once(spec, [one, other, dict(one)]) == [one, other]
    assert once(spec, [one, changed]) == [one, changed]
    plain = [one, other]
    assert once(spec, plain) is plain


# The HTTP client against a real loopback server scripted answer by answer ---------------------
ERROR_OBJECT = {"Message": "An error has occurred.", "ExceptionMessage": "Timeout expired"}


@contextlib.asynccontextmanager
async def scripted(
    routes: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]],
) -> AsyncIterator[str]:
    """A plain-HTTP loopback server with these GET routes; yields its base URL."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def client(base: str) -> HttpClient:
    policy = RetryPolicy(base_s=0.01, cap_s=0.02, budget_s=5.0)
    return HttpClient("probe", base, {"Authorization": "Bearer t0ken"}, policy=policy, seed=1)


async def test_error_objects_not_in_a_row_do_not_stop_the_call() -> None:
    """Three error objects, a 503, a fourth error object, then the list: never 4 in a row."""
    answers = [ERROR_OBJECT] * 3 + [None, ERROR_OBJECT, {"payments": [{"id": 1}]}]

    async def listing(request: web.Request) -> web.Response:
        answer = answers.pop(0)
        return web.Response(status=503) if answer is None else web.json_response(answer)

    async with scripted({"/payments": listing}) as base, client(base) as http:
        assert await http.get_json("payments") == {"payments": [{"id": 1}]}
        assert http.stats.retries == 5


async def test_four_error_objects_in_a_row_stop_naming_the_message() -> None:
    async def listing(request: web.Request) -> web.Response:
        return web.json_response(ERROR_OBJECT)

    async with scripted({"/payments": listing}) as base, client(base) as http:
        with pytest.raises(ProviderUnavailableError, match="4 times in a row") as stop:
            await http.get_json("payments", {"created_from": "2024-01-01"})
    assert "Timeout expired" in str(stop.value) and "created_from=2024-01-01" in str(stop.value)


async def test_same_origin_redirect_keeps_the_credentials_another_host_is_refused() -> None:
    seen: list[str | None] = []

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPPermanentRedirect(location="/payments/?page=2")

    async def listing(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"payments": [], "page": request.query["page"]})

    async def elsewhere(request: web.Request) -> web.Response:
        host = request.url.with_host("localhost")  # same server, another origin
        raise web.HTTPMovedPermanently(location=str(host.with_path("/payments/")))

    routes = {"/payments": moved, "/payments/": listing, "/away": elsewhere}
    async with scripted(routes) as base, client(base) as http:
        assert await http.get_json("payments") == {"payments": [], "page": "2"}
        assert seen == ["Bearer t0ken"]
        with pytest.raises(ProviderRedirectError, match="another origin") as refused:
            await http.get_json("away")
    assert seen == ["Bearer t0ken"]  # nothing was sent to the other origin
    assert "localhost" in str(refused.value) and "t0ken" not in str(refused.value)
