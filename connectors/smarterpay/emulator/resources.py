"""The table of SmarterPay resources: paths, envelopes, id keys, sorts and filters.

Documented entries follow docs/providers/smarterpay.md ("Resources"); INFERRED ones are listed
in the connector README."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.smarterpay.emulator import gen_accounts as acc
from connectors.smarterpay.emulator import gen_dd as dd
from connectors.smarterpay.emulator import gen_other as other
from connectors.smarterpay.emulator.dataset import Dataset

Renderer = Callable[[Dataset, int, int, float, bool], dict[str, Any]]
EventsFn = Callable[[Dataset, int, int], list[dd.Event]]
CONTAINS, EXACT, ONE_OF = "contains", "exact", "one_of"


@dataclass(frozen=True)
class Resource:
    name: str  # list path, lower case; also the admin resource name
    detail: str | None  # detail path segment (singular)
    list_key: str
    detail_key: str
    id_key: str  # id key in the detail record
    prefix: str | None  # id prefix whose next 7 chars encode the index
    render: Renderer
    events: EventsFn | None = None
    sort_fields: dict[str, str] = field(default_factory=lambda: {"id": "", "created_at": ""})
    filters: dict[str, tuple[str, str]] = field(default_factory=dict)
    date_filter: bool = True
    list_id_key: str = ""  # when the list spells the id key differently

    @property
    def item_id_key(self) -> str:
        return self.list_id_key or self.id_key


def _f(**pairs: tuple[str, str]) -> dict[str, tuple[str, str]]:
    return pairs


RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource(
            "bankaccounts",
            "bankaccount",
            "bank_accounts",
            "bank_account",
            "id",
            "BA01",
            acc.bank_account,
            list_id_key="Id",
            sort_fields={
                "custom_reference": "custom_reference",
                "sort_code": "sort_code",
                "account_number": "account_number",
                "id": "",
                "account_name": "account_name",
                "created_at": "",
                "customer_id": "customer_account",
            },
            filters=_f(
                account_name=("account_name", CONTAINS),
                account_number=("account_number", CONTAINS),
                customer_id=("customer_account", EXACT),
                custom_reference=("custom_reference", CONTAINS),
                id=("Id", EXACT),
                sort_code=("sort_code", CONTAINS),
                enabled=("enabled", ONE_OF),
            ),
        ),
        Resource(
            "customeraccounts",
            "customeraccount",
            "customer_accounts",
            "Customer_Account",
            "id",
            "CA01",
            acc.customer_account,
            sort_fields={"id": "", "created_at": "", "email": "email", "last_name": "last_name"},
            filters=_f(
                email=("email", CONTAINS),
                custom_reference=("custom_reference", CONTAINS),
                id=("id", EXACT),
            ),
        ),
        Resource(
            "mandates",
            "mandate",
            "mandates",
            "Mandate",
            "id",
            "M01",
            dd.mandate,
            dd.mandate_events,
            sort_fields={"id": "", "created_at": "", "auddis": "auddis"},
            filters=_f(
                id=("id", EXACT),
                auddis=("auddis", CONTAINS),
                customer_id=("customer_account", EXACT),
                bank_account_id=("customer_bank_account", EXACT),
                dd_status=("dd_status", ONE_OF),
            ),
        ),
        Resource(
            "payments",
            "payment",
            "payments",
            "payment",
            "id",
            "P01",
            dd.payment,
            dd.payment_events,
            sort_fields={"id": "", "created_at": "", "collection_date": "collection_date"},
            filters=_f(
                id=("id", EXACT),
                mandate_id=("mandate", EXACT),
                status=("status", ONE_OF),
                custom_reference=("custom_reference", CONTAINS),
                payment_type=("payment_type", EXACT),
                record_type=("record_type", EXACT),
            ),
        ),
        Resource(
            "credits",
            "credit",
            "credits",
            "credit",
            "ID",
            "CR01",
            dd.credit,
            dd.credit_events,
            filters=_f(
                id=("ID", EXACT),
                bank_account_id=("bank_account", EXACT),
                status=("status", ONE_OF),
                reference=("reference", CONTAINS),
            ),
        ),
        Resource(
            "recurrenceschedules",
            "recurrenceschedule",
            "recurrence_schedules",
            "recurrence_schedule",
            "id",
            "RS01",
            other.recurrence_schedule,
            other.schedule_events,
            filters=_f(
                id=("id", EXACT),
                mandate_id=("mandate", EXACT),
                status=("status", ONE_OF),
                custom_reference=("custom_reference", CONTAINS),
            ),
        ),
        Resource(
            "paymentlinks",
            "paymentlink",
            "payment_links",
            "payment_link",
            "id",
            "PL01",
            other.payment_link,
            other.link_events,
            date_filter=False,
            sort_fields={"id": "", "type": "type", "created_at": ""},
            filters=_f(
                auddis=("auddis", CONTAINS),
                bank_account_custom_reference=("bank_account_custom_reference", CONTAINS),
                bank_account_id=("bank_account", EXACT),
                card_payment_custom_reference=("card_payment_custom_reference", CONTAINS),
                customer_account_id=("customer_account", EXACT),
                customer_custom_reference=("customer_custom_reference", CONTAINS),
                ecommerce_page_id=("ecommerce_page", EXACT),
                id=("id", EXACT),
                mandate_id=("mandate", EXACT),
                recurrence_schedule_custom_reference=(
                    "recurrence_schedule_custom_reference",
                    CONTAINS,
                ),
                recurrence_schedule_id=("recurrence_schedule", EXACT),
            ),
        ),
        Resource(
            "submissions",
            "submission",
            "submissions",
            "submission",
            "Id",
            "FS01",
            other.submission,
            filters=_f(
                id=("Id", EXACT),
                serial_number=("serial_number", CONTAINS),
                status=("status", EXACT),
            ),
        ),
        Resource(
            "submissionlines",
            "submissionline",
            "submissionLines",
            "submissionLine",
            "Id",
            "FL01",
            other.submission_line,
            filters=_f(
                id=("Id", EXACT),
                submission_id=("submission_id", EXACT),
                record_id=("record_id", EXACT),
                transaction_code=("transaction_code", ONE_OF),
                type=("type", ONE_OF),
            ),
        ),
        Resource(
            "cards",
            None,
            "cards",
            "cards",
            "ID",
            None,
            acc.card,
            filters=_f(
                id=("ID", EXACT), customer_id=("customer_id", EXACT), status=("status", ONE_OF)
            ),
        ),
        Resource(
            "clientbankaccount",
            "clientbankaccount",
            "Client_Bank_Accounts",
            "Client_Bank_Accounts",
            "ID",
            None,
            acc.client_bank_account,
            sort_fields={},
            date_filter=False,
        ),
        Resource(
            "serviceusernumber",
            "serviceusernumber",
            "Service_User_Number",
            "Service_User_Number",
            "SUN",
            None,
            acc.service_user_number,
            sort_fields={},
            date_filter=False,
        ),
    )
}

# outboundmessages has its own engine (outbound.py) but shares the list grammar.
OUTBOUND = Resource(
    "outboundmessages",
    "outboundmessage",
    "OutboundMessages",
    "OutboundMessage",
    "id",
    "OM01",
    acc.service_user_number,  # placeholder, never called: outbound.py renders messages
    sort_fields={"id": "", "sun": "", "created_at": ""},
    filters=_f(id=("id", EXACT), record_type=("record_type", ONE_OF), status=("status", ONE_OF)),
)
DETAIL_PATHS = {r.detail: r for r in (*RESOURCES.values(), OUTBOUND) if r.detail}
LIST_PATHS = {**RESOURCES, OUTBOUND.name: OUTBOUND}
CREATABLE = (
    "bankaccounts",
    "customeraccounts",
    "mandates",
    "payments",
    "credits",
    "recurrenceschedules",
    "paymentlinks",
)
