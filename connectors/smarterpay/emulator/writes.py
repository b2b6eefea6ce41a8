"""POST/PUT/DELETE: create, update, disable, re-present, modulus check, account validation.

Every write goes through the Content-Type check and idempotency (POST/PUT only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import web

from connectors.smarterpay.emulator.errors import ApiError
from connectors.smarterpay.emulator.resources import RESOURCES, Resource
from connectors.smarterpay.emulator.state import Emulator
from connectors.smarterpay.emulator.timefmt import next_banking_day, parse_day

JSON_TYPES = ("application/json", "application/vnd.api+json")
WRITE_ONLY = ("moduluscheck", "accountvalidation")
BY_DETAIL = {r.detail: r for r in RESOURCES.values() if r.detail}
MANDATORY = {
    "bankaccounts": ("account_number", "sort_code", "account_name"),
    "customeraccounts": (
        "email",
        "first_name",
        "last_name",
        "address_line1",
        "city",
        "postal_code",
    ),
    "mandates": ("customer_bank_account",),
    "payments": ("amount", "collection_date", "description"),
    "credits": ("amount", "description", "credit_date"),
    "recurrenceschedules": (
        "amount",
        "auddis",
        "collection_day",
        "collection_period",
        "collection_stretch",
        "description",
        "first_collection_amount",
    ),
    "paymentlinks": ("ecommerce_page",),
}
UPDATABLE = {
    "bankaccounts": ("enabled", "metadata", "credits_allowed", "debits_allowed"),
    "paymentlinks": (
        "metadata",
        "metadata_account_validation",
        "metadata_bank_account",
        "metadata_card",
        "metadata_customer_account",
        "metadata_mandate",
        "metadata_recurrence_schedule",
        "status",
    ),
    "customeraccounts": MANDATORY["customeraccounts"]
    + (
        "title",
        "company_name",
        "address_line2",
        "country_code",
        "state_code",
        "custom_reference",
        "metadata",
        "external_id",
    ),
    "mandates": ("dd_status", "metadata"),
    "payments": ("amount", "collection_date", "description", "custom_reference", "metadata"),
    "credits": ("amount", "description", "credit_date", "reference", "metadata"),
    "recurrenceschedules": ("amount", "description", "end_date", "metadata", "status"),
}
AMOUNT_KEYS = ("amount", "first_collection_amount")


async def handle(emu: Emulator, request: web.Request, method: str, segs: list[str]) -> web.Response:
    if method in ("POST", "PUT"):
        ctype = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype not in JSON_TYPES:
            raise ApiError(400, "Content-Type must be application/json or application/vnd.api+json")
    key = request.headers.get("Idempotency-Key")
    endpoint = f"{method} /{'/'.join(segs)}"
    if key is not None and method in ("POST", "PUT"):
        if not key or len(key) > 255:
            raise ApiError(400, "Idempotency-Key must be 1 to 255 characters")
        hit = emu.replay(key, endpoint)
        if hit is not None:
            return web.Response(
                status=hit[0],
                body=hit[1],
                content_type="application/json",
                headers={"idempotency-replay": "true"},
            )
    try:
        status, body = 200, orjson.dumps(await _route(emu, request, method, segs))
    except ApiError as exc:
        if exc.status >= 500 or key is None:
            raise
        from connectors.smarterpay.emulator.errors import error_body

        status, body = exc.status, error_body(exc.status, exc.description)
    if key is not None and method in ("POST", "PUT"):
        emu.remember(key, endpoint, status, body)
    return web.Response(status=status, body=body, content_type="application/json")


async def _route(emu: Emulator, request: web.Request, method: str, segs: list[str]) -> dict:
    head = segs[0]
    if method == "POST" and len(segs) == 1 and head == "moduluscheck":
        return modulus_check(await _fields(request))
    if method == "POST" and len(segs) == 1 and head in BY_DETAIL:
        return create(emu, BY_DETAIL[head], await _fields(request))
    if method == "POST" and len(segs) == 3 and head == "payment" and segs[2].lower() == "represent":
        return represent(emu, segs[1], await _fields(request))
    if (
        method == "PUT"
        and len(segs) == 2
        and head in BY_DETAIL
        and BY_DETAIL[head].name in UPDATABLE
    ):
        return update(emu, BY_DETAIL[head], segs[1], await _fields(request))
    if method == "DELETE" and len(segs) == 2 and head in ("bankaccount", "recurrenceschedule"):
        return disable(emu, BY_DETAIL[head], segs[1])
    raise ApiError(405, f"{method} is not supported on {'/'.join(segs)}")


async def _fields(request: web.Request) -> dict[str, Any]:
    """The request object, unwrapped from its envelope (`{"payment": {...}}`) if it has one."""
    try:
        data = orjson.loads(await request.read())
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc}") from None
    if isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), dict):
        data = next(iter(data.values()))
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object")
    for name, value in data.items():
        if name.startswith("metadata") and isinstance(value, str) and len(value) > 1000:
            raise ApiError(400, f"{name} is longer than 1000 characters")
    return data


def _clean(
    res: Resource, fields: dict[str, Any], allowed: tuple[str, ...] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if allowed is not None and name not in allowed:
            continue
        if name in AMOUNT_KEYS:
            if isinstance(value, bool) or not str(value).isdigit():
                raise ApiError(400, f"{name} must be a whole number of pence")
            value = str(int(value))
        elif name.endswith("_date") and value:
            value = _banking_date(name, str(value))
        elif name in ("enabled", "credits_allowed", "debits_allowed"):
            value = str(value).lower() == "true"
        out[name] = value
    return out


def _banking_date(name: str, text: str) -> str:
    try:
        d = parse_day(text)
    except ValueError:
        raise ApiError(400, f"{name} must be YYYY-MM-DD") from None
    if name in ("collection_date", "credit_date"):
        earliest = datetime.now(UTC).date()
        if d < earliest:
            raise ApiError(400, f"{name} is before today")
        d = next_banking_day(max(d, earliest + timedelta(days=3)))
    return d.isoformat()


def create(emu: Emulator, res: Resource, fields: dict[str, Any]) -> dict:
    missing = [f for f in MANDATORY[res.name] if fields.get(f) in (None, "")]
    if missing:
        raise ApiError(400, f"missing mandatory field(s): {', '.join(missing)}")
    if res.name == "bankaccounts":
        if not (
            str(fields["account_number"]).isdigit() and len(str(fields["account_number"])) == 8
        ):
            raise ApiError(400, "account_number must be 8 digits")
        if not (str(fields["sort_code"]).isdigit() and len(str(fields["sort_code"])) == 6):
            raise ApiError(400, "sort_code must be 6 digits")
    overrides = _clean(res, fields, None)
    if res.name == "mandates":
        _check_bank_account(emu, str(fields["customer_bank_account"]))
    if res.name == "payments" and fields.get("mandate"):
        mandate = _existing(emu, RESOURCES["mandates"], str(fields["mandate"]))
        if mandate["dd_status"].startswith("cancelled"):
            overrides.update(status="cancelled", amount="0")
    known = res.render(emu.ds, 0, emu.ds.created(res.name, 0), 0, True)
    overrides = {k: v for k, v in overrides.items() if k in known}
    rid = emu.spawn(res, emu.clock.timestamp(), overrides)
    return _detail(emu, res, rid)


def represent(emu: Emulator, payment_id: str, fields: dict[str, Any]) -> dict:
    res = RESOURCES["payments"]
    original = _existing(emu, res, payment_id)
    if original["status"] != "failed":
        raise ApiError(400, "only a failed payment can be re-presented")
    fields = {"mandate": original["mandate"], **fields}
    for name in ("amount", "collection_date", "description"):
        if fields.get(name) in (None, ""):
            raise ApiError(400, f"missing mandatory field: {name}")
    overrides = _clean(
        res, fields, ("amount", "collection_date", "description", "custom_reference", "metadata")
    )
    overrides.update(
        payment_type="represent",
        related_payment=payment_id,
        mandate=original["mandate"],
        auddis=original["auddis"],
    )
    return _detail(emu, res, emu.spawn(res, emu.clock.timestamp(), overrides))


def update(emu: Emulator, res: Resource, record_id: str, fields: dict[str, Any]) -> dict:
    item = emu.store.find(res, record_id, emu.clock.timestamp())
    if item is None:
        raise ApiError(404, f"{res.detail} {record_id!r} not found")
    overrides = _clean(res, fields, UPDATABLE[res.name])
    if res.name == "paymentlinks" and overrides.get("status", "expired") != "expired":
        raise ApiError(400, "status can only be set to expired")
    for key, value in overrides.items():
        emu.change(res, item, key, value, f"{res.detail_key.lower()}.update")
    return _detail(emu, res, record_id)


def disable(emu: Emulator, res: Resource, record_id: str) -> dict:
    item = emu.store.find(res, record_id, emu.clock.timestamp())
    if item is None:
        raise ApiError(404, f"{res.detail} {record_id!r} not found")
    key, value = ("enabled", False) if res.name == "bankaccounts" else ("status", "inactive")
    emu.change(res, item, key, value, f"{res.detail_key.lower()}.update")
    body = _detail(emu, res, record_id)
    if res.name == "bankaccounts":  # the documented DELETE response omits the overrides
        for name in ("credits_allowed", "debits_allowed"):
            body[res.detail_key].pop(name, None)
    return body


def _existing(emu: Emulator, res: Resource, record_id: str) -> dict[str, Any]:
    t = emu.clock.timestamp()
    item = emu.store.find(res, record_id, t)
    if item is None:
        raise ApiError(400, f"{res.detail} {record_id!r} does not exist")
    return emu.store.render_item(res, item, t, True)


def _check_bank_account(emu: Emulator, record_id: str) -> None:
    if not _existing(emu, RESOURCES["bankaccounts"], record_id)["enabled"]:
        raise ApiError(400, "a mandate cannot be created on a disabled bank account")


def _detail(emu: Emulator, res: Resource, record_id: str) -> dict:
    t = emu.clock.timestamp()
    item = emu.store.find(res, record_id, t)
    assert item is not None, f"{res.detail} {record_id!r} was just written"
    return {res.detail_key: emu.store.render_item(res, item, t, True)}


def modulus_check(fields: dict[str, Any]) -> dict:
    number, sort_code = str(fields.get("account_number", "")), str(fields.get("sort_code", ""))
    if not (number.isdigit() and len(number) == 8 and sort_code.isdigit() and len(sort_code) == 6):
        raise ApiError(400, "account_number must be 8 digits and sort_code 6 digits")
    ok = not (set(number) == {"0"} or sort_code.startswith("00"))
    return {
        "Modulus_Check": {
            "AccountCodeOK": ok,
            "account_number": number,
            "sort_code": sort_code,
            "bank_name": "BARCLAYS BANK PLC" if ok else "",
            "bank_address1": "1 Churchill Place",
            "bank_address2": "London",
            "bank_address3": "",
            "bank_address4": "",
            "bank_addressPostCode": "E14 5HP",
            "credits_allowed": ok,
            "direct_debit_instruction_ok": ok,
            "direct_debits": ok,
        }
    }
