"""Account validation records (``GET accountvalidation/{ID}``; no list is documented).

A mandate set up through account validation names its validation in ``account_validation_id``
(INFERRED: one mandate in four here). The validation's fields follow the documented response
(docs/providers/smarterpay.md, "Account validation"); the record never changes once the
mandate exists, since a successful validation is what creates the mandate.
"""

from __future__ import annotations

from typing import Any

import orjson

from connectors.emulator_kit.lazy import record_rng
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.ids import index_of, make_id

NAME = "accountvalidation"  # the detail path segment and the admin resource name
ENVELOPE = "account_validation"
PREFIX = "AV01"
SHARE = 4  # one mandate in SHARE was set up through account validation
URL = "https://validate.smarterpaycloud.com/av/"  # + the validation id


def has_validation(ds: Dataset, i: int) -> bool:
    return record_rng(ds.seed, "mandates#validation", i).randint(1, SHARE) == 1


def validation_id(ds: Dataset, i: int) -> str:
    return make_id(ds.seed, PREFIX, "accountvalidations", i)


def validation_url(ds: Dataset, i: int) -> str:
    return URL + validation_id(ds, i)


def mandate_index(ds: Dataset, record_id: str, t: float) -> int | None:
    """The mandate a validation id belongs to, when that validation exists at ``t``."""
    i = index_of(record_id, PREFIX)
    if i is None or not 0 <= i < ds.count("mandates") or ds.created("mandates", i) > t:
        return None
    if not has_validation(ds, i) or validation_id(ds, i) != record_id:
        return None
    return i


def render(ds: Dataset, i: int, mandate: dict[str, Any]) -> dict[str, Any]:
    """The validation of mandate ``i`` (rendered by the caller, whose account it checked)."""
    rng = record_rng(ds.seed, "accountvalidations", i)
    report = {"name_match": "Full", "account_type": "personal", "score": rng.randint(80, 100)}
    return {
        "id": validation_id(ds, i),
        "account_name": mandate["account_name"],
        "account_number": mandate["account_number"],
        "sort_code": mandate["sort_code"],
        "account_validation_url": validation_url(ds, i),
        "client_bank_account_id": mandate["client_bank_account_id"],
        "error_message": "",
        "mandate_id": mandate["id"],
        "message": "Account validated",
        "metadata": "",
        "metadata_bank_account": "",
        "metadata_mandate": "",
        "report": orjson.dumps(report).decode(),  # documented as a JSON string
        "reference": mandate["auddis"],
        "return_url": "https://merchant.example/validated",
        "successful_validation": "True",
    }
