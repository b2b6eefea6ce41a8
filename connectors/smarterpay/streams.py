"""SmarterPay Cloud list endpoints as data (docs/providers/smarterpay.md, "Resources").

Every list pages with ``limit`` (max 500) and ``page_no`` and ends with a short page (no
totals). Windows use ``created_from``/``created_to`` (``YYYY-MM-DD HH:MM:SS``, UTC INFERRED);
whether the bounds are inclusive is not documented, so requests are widened by one second.
Ids are never typed columns: the table's ``id`` comes from ``id_key`` (or ``detail_id_key``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.models import model_for
from connectors.streams import Column, PageTotals, StreamSpec, Window, col

MAX_LIMIT = 500


@dataclass(frozen=True)
class PageNumbers:
    """``limit`` + ``page_no`` from 1; a page shorter than the limit is the last (the pager
    confirms that while it does not know the server's real page size). No totals."""

    fallback: None = None
    counter: str = "page_no"

    def first(self, page_size: int) -> dict[str, str]:
        return {"limit": str(page_size), "page_no": "1"}

    def next(
        self, params: dict[str, str], items: int, body: Mapping[str, Any]
    ) -> dict[str, str] | None:
        if items < int(params["limit"]):
            return None
        return {**params, "page_no": str(int(params["page_no"]) + 1)}

    def asked(self, params: Mapping[str, str]) -> int | None:
        return int(params["limit"])

    def at(self, position: int, page_size: int) -> dict[str, str] | None:
        # page_no can only start at a multiple of the page size: shrink the page to fit.
        size = math.gcd(position, page_size) if position else page_size
        return {"limit": str(size), "page_no": str(position // size + 1)}

    def totals(self, body: Mapping[str, Any]) -> PageTotals | None:
        return None


def _sp_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


CREATED = Window("created_from", "created_to", _sp_time, widen_s=1)

# fmt: off
BANK_ACCOUNT = (
    col("created_at", "ts"), col("account_number"), col("sort_code", "sortcode"),
    col("account_name"), col("bank_name"), col("customer_account"), col("enabled", "bool"),
    col("custom_reference"), col("metadata"), col("credits_allowed", "bool"),
    col("debits_allowed", "bool"),
)
CUSTOMER_ACCOUNT = (
    col("created_at", "ts"), col("email"), col("title"), col("first_name"), col("last_name"),
    col("company_name"), col("address_line1"), col("address_line2"), col("city"),
    col("postal_code"), col("country_code"), col("state_code"), col("custom_reference"),
    col("metadata"), col("external_id"),
)
MANDATE = (
    col("created_at", "ts"), col("dd_status"), col("auddis"), col("customer_account"),
    col("customer_bank_account"), col("client_bank_account_id"),
    col("i_am_the_only_account_holder", "bool", "I_am_the_only_account_holder"),
    col("sun_name", key="Sun_Name"), col("sun_number", key="Sun_Number"), col("account_name"),
    col("account_number"), col("sort_code"), col("bank_name"), col("originator_account_number"),
    col("originator_sort_code"), col("account_validation_url"), col("account_validation_id"),
    col("bacs_code"), col("bacs_description"), col("metadata"),
)
PAYMENT = (
    col("created_at", "ts"), col("status"), col("amount", "int"), col("collection_date", "date"),
    col("mandate"), col("auddis"), col("payment_type"), col("record_type"),
    col("related_payment"), col("custom_reference"), col("default_narrative"),
    col("description"), col("paying_bank_reference"), col("users_reference"), col("metadata"),
)
CREDIT = (
    col("created_at", "ts"), col("status"), col("amount", "int"), col("credit_date", "date"),
    col("bank_account"), col("auddis"), col("client_bank_account_id"),
    col("sun_name", key="Sun_Name"), col("sun_number", key="Sun_Number"),
    col("default_narrative"), col("description"), col("reference"), col("rti"),
    col("submission_reference"), col("metadata"),
)
RECURRENCE_SCHEDULE = (
    col("created_at", "ts"), col("status"), col("type"), col("payment_type"), col("mandate"),
    col("auddis"), col("card_id"), col("amount", "int"), col("first_collection_amount", "int"),
    col("first_collection_date", "date"), col("next_collection_date", "date"),
    col("start_date", "date"), col("end_date", "date"), col("collection_day"),
    col("collection_period"), col("collection_stretch", "int"),
    col("first_collection_in_same_month_as_next_collection", "bool",
        "firstCollectionInSameMonthAsNextCollection"),
    col("installments", "int"), col("upcoming_payments", "json"), col("custom_reference"),
    col("description"), col("metadata"),
)
PAYMENT_LINK = (
    col("created_at", "ts"), col("status"), col("url"), col("amount", "int"), col("description"),
    col("expiry", "ts"), col("visited_at", "ts"), col("completed_at", "ts"), col("return_url"),
    col("customer_account"), col("bank_account"), col("mandate"), col("recurrence_schedule"),
    col("ecommerce_page"), col("auddis"), col("bank_account_custom_reference"),
    col("recurrence_schedule_custom_reference"), col("card_payment_custom_reference"),
    col("account_validation_callback", "bool"), col("start_date", "date"),
    col("end_date", "date"), col("first_collection_amount", "int"),
    col("first_collection_date", "date"), col("metadata"), col("metadata_account_validation"),
    col("metadata_bank_account"), col("metadata_card"), col("metadata_customer_account"),
    col("metadata_mandate"), col("metadata_recurrence_schedule"),
)
SUBMISSION = (
    col("created_at", "ts"), col("status"), col("serial_number"), col("sun_name"),
    col("sun_number"), col("payment_total_count", "int"), col("payment_total_value", "int"),
    col("credit_total_count", "int"), col("credit_total_value", "int"),
    col("mandate_new_instruction_count", "int"), col("mandate_cancellation_count", "int"),
    col("mandate_convert_count", "int"),
)
SUBMISSION_LINE = (
    col("submission_id"), col("record_id"), col("type"), col("transaction_code"),
    col("status"), col("amount", "int"), col("collection_date", "date"),
)
OUTBOUND_MESSAGE = (
    col("created_at", "ts"), col("sent_at", "ts"), col("status"), col("record_type"),
    col("idempotency_key"), col("subscription_id"), col("webhook", "json"),
)
CARD = (
    col("created_at", "ts"), col("status"), col("card_type"), col("card_number_ending"),
    col("expiry_date", "date"), col("name_on_card"), col("customer_id"),
    col("custom_reference", key="custom_referance"), col("payment_gateway"),
    col("transaction_type"), col("gateway_payment_description"),
    col("internal_payment_description"), col("metadata"),
)
CLIENT_BANK_ACCOUNT = (
    col("account_number", key="Account_Number"), col("sort_code", key="Sort_Code"),
    col("bank_name", key="Bank_Name"), col("friendly_name", key="Friendly_Name"),
    col("default_account", "bool", "Default_Account"), col("sun", key="Sun"),
    col("sun_friendly_name", key="Sun_Friendly_Name"),
)
ACCOUNT_VALIDATION = (
    col("mandate_id"), col("successful_validation", "bool"), col("account_name"),
    col("account_number"), col("sort_code"), col("client_bank_account_id"), col("reference"),
    col("message"), col("error_message"), col("report"), col("account_validation_url"),
    col("return_url"), col("metadata"), col("metadata_bank_account"), col("metadata_mandate"),
)
SERVICE_USER_NUMBER = (
    col("sun_friendly_name", key="Sun_Friendly_Name"), col("default_sun", "bool", "Default_Sun"),
    col("active", "bool"),
)
# fmt: on


def _stream(
    name: str,
    path: str,
    envelope: str,
    id_key: str,
    columns: tuple[Column, ...],
    detail: str | None,
    detail_envelope: str | None = None,
    *,
    windowed: bool = True,
    **options: Any,
) -> StreamSpec:
    return StreamSpec(
        name=name, path=f"service.svc/{path}", envelope=envelope, id_key=id_key,
        model=model_for(f"smarterpay_{name}", columns), columns=columns,
        paginator=PageNumbers(), page_size=MAX_LIMIT,
        window=CREATED if windowed else None,
        cursor_column=options.pop("cursor_column", "created_at" if windowed else None),
        cursor_order=True,  # the default sort_field, created_at (INFERRED #126)
        # every dated list documents sort_field=id (INFERRED #130): unique, so no ties
        unique_order={"sort_field": "id"} if windowed else {},
        detail_path=f"service.svc/{detail}/{{id}}" if detail else None,
        detail_envelope=detail_envelope, **options,
    )  # fmt: skip


# fmt: off
STREAMS: dict[str, StreamSpec] = {
    s.name: s
    for s in (
        _stream("bank_accounts", "bankaccounts", "bank_accounts", "Id", BANK_ACCOUNT,
                "bankaccount", "bank_account", detail_id_key="id"),
        _stream("customer_accounts", "customeraccounts", "customer_accounts", "id",
                CUSTOMER_ACCOUNT, "customeraccount", "Customer_Account"),
        _stream("mandates", "mandates", "mandates", "id", MANDATE, "mandate", "Mandate",
                status_column="dd_status",
                open_statuses=frozenset({"new instruction", "await validation", "on hold"})),
        _stream("payments", "payments", "payments", "id", PAYMENT, "payment", "payment",
                status_column="status",
                open_statuses=frozenset({"pending_submission", "submitted"})),
        _stream("credits", "credits", "credits", "ID", CREDIT, "credit", "credit",
                status_column="status",
                open_statuses=frozenset({"pending_submission", "submitted"})),
        # next_collection_date moves on as collections happen, with no event to say so:
        # an active schedule never settles, so its window is re-read every run.
        _stream("recurrence_schedules", "recurrenceschedules", "recurrence_schedules", "id",
                RECURRENCE_SCHEDULE, "recurrenceschedule", "recurrence_schedule",
                status_column="status", open_statuses=frozenset({"active"})),
        # No date filter, so a tie in the default created_at order (one-second resolution)
        # cannot be re-read alone: ask for the documented unique order instead (INFERRED #126).
        _stream("payment_links", "paymentlinks", "payment_links", "id", PAYMENT_LINK,
                "paymentlink", "payment_link", windowed=False,
                extra_params={"sort_field": "id"}),
        _stream("submissions", "submissions", "submissions", "Id", SUBMISSION,
                "submission", "submission"),
        # Lines have no created_at of their own, but the list takes the date filters (INFERRED):
        # windowed reads, no cursor column (so no delete-marking by window).
        _stream("submission_lines", "submissionlines", "submissionLines", "Id",
                SUBMISSION_LINE, "submissionline", "submissionLine", cursor_column=None),
        _stream("outbound_messages", "outboundmessages", "OutboundMessages", "id",
                OUTBOUND_MESSAGE, "outboundmessage", "OutboundMessage"),
        _stream("cards", "cards", "cards", "ID", CARD, None),
        _stream("client_bank_accounts", "clientbankaccount", "Client_Bank_Accounts", "ID",
                CLIENT_BANK_ACCOUNT, "clientbankaccount", "Client_Bank_Accounts",
                windowed=False),
        _stream("service_user_numbers", "serviceusernumber", "Service_User_Number", "SUN",
                SERVICE_USER_NUMBER, "serviceusernumber", "Service_User_Number",
                windowed=False),
        # No list is documented: each validation is fetched by the id its mandate names, the
        # first time one names it (and on every full refresh). INFERRED #129.
        _stream("account_validations", "accountvalidation", "account_validation", "id",
                ACCOUNT_VALIDATION, "accountvalidation", "account_validation",
                windowed=False, parent="mandates",
                child_path="service.svc/accountvalidation/{id}",
                child_parent_column="mandate_id", parent_ref="account_validation_id"),
    )
}
# fmt: on
