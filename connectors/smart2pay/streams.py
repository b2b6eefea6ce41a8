"""Smart2Pay / GlobalPay list endpoints as data.

Reference: docs/providers/smart2pay.md, sections "Endpoint catalogue" to "Methods".

Payments page with the newer ``pageSize``/``pageIndex`` (1-based, totals in the body), payouts
and preapprovals with ``limit``/``offset`` (``offset`` is a 1-based position, INFERRED from the
"limit=2&offset=3 starts with the third" sample). Windows use ``startDate``/``endDate``
(``YYYYMMDDHHMMSS``, UTC; inclusivity not documented, so widened by one second). List items
carry "a limited amount of details": payments, preapprovals and payouts are hydrated by id.
Refunds exist only per payment (no ``/v1/refunds`` list is documented).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.models import model_for
from connectors.streams import Column, PageTotals, StreamSpec, Window, col

MAX_PAGE = 500


@dataclass(frozen=True)
class LimitOffset:
    """``limit`` + 1-based ``offset``; a page shorter than the limit is the last. No totals."""

    fallback: None = None
    counter: str = "offset"

    def first(self, page_size: int) -> dict[str, str]:
        return {"limit": str(page_size), "offset": "1"}

    def next(
        self, params: dict[str, str], items: int, body: Mapping[str, Any]
    ) -> dict[str, str] | None:
        if items < int(params["limit"]):
            return None
        # The next position follows what was served, not what was asked (a clamped page).
        return {**params, "offset": str(int(params["offset"]) + items)}

    def asked(self, params: Mapping[str, str]) -> int | None:
        return int(params["limit"])

    def at(self, position: int, page_size: int) -> dict[str, str] | None:
        return {"limit": str(page_size), "offset": str(position + 1)}

    def totals(self, body: Mapping[str, Any]) -> PageTotals | None:
        return None


@dataclass(frozen=True)
class PageIndex:
    """``pageSize`` + ``pageIndex`` from 1 with totals in every body (``TotalPages``,
    ``TotalCount``, the echoed ``PageSize``); the older ``limit``/``offset`` is the fallback
    when a server answers without them (it did not understand these parameters)."""

    fallback: LimitOffset | None = LimitOffset()
    counter: str = "pageIndex"

    def first(self, page_size: int) -> dict[str, str]:
        return {"pageSize": str(page_size), "pageIndex": "1"}

    def next(
        self, params: dict[str, str], items: int, body: Mapping[str, Any]
    ) -> dict[str, str] | None:
        index = int(params["pageIndex"])
        total = body.get("TotalPages")
        echoed = body.get("PageSize")
        size = echoed if isinstance(echoed, int) and echoed > 0 else int(params["pageSize"])
        if isinstance(total, int):
            if index >= total:
                return None
        elif items < size:
            return None
        return {**params, "pageSize": str(size), "pageIndex": str(index + 1)}

    def asked(self, params: Mapping[str, str]) -> int | None:
        return int(params["pageSize"])

    def at(self, position: int, page_size: int) -> dict[str, str] | None:
        size = math.gcd(position, page_size) if position else page_size
        return {"pageSize": str(size), "pageIndex": str(position // size + 1)}

    def totals(self, body: Mapping[str, Any]) -> PageTotals | None:
        count, size = body.get("TotalCount"), body.get("PageSize")
        if not isinstance(count, int) and not isinstance(body.get("TotalPages"), int):
            return None
        return PageTotals(
            count if isinstance(count, int) else None, size if isinstance(size, int) else None
        )


@dataclass(frozen=True)
class SinglePage:
    """Endpoints without paging (methods): one request holds everything."""

    fallback: None = None
    counter: None = None

    def first(self, page_size: int) -> dict[str, str]:
        return {}

    def next(
        self, params: dict[str, str], items: int, body: Mapping[str, Any]
    ) -> dict[str, str] | None:
        return None

    def asked(self, params: Mapping[str, str]) -> int | None:
        return None

    def at(self, position: int, page_size: int) -> dict[str, str] | None:
        return None

    def totals(self, body: Mapping[str, Any]) -> PageTotals | None:
        return None


def _s2p_time(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S")


CREATED = Window("startDate", "endDate", _s2p_time, widen_s=1)


def _customer(key: str = "Customer") -> tuple[Column, ...]:
    """Customer of the "Payment object", flattened so analysts filter on typed columns."""
    return (
        col("customer_id", "int", f"{key}.ID"),
        col("customer_merchant_customer_id", key=f"{key}.MerchantCustomerID"),
        col("customer_email", key=f"{key}.Email"),
        col("customer_first_name", key=f"{key}.FirstName"),
        col("customer_last_name", key=f"{key}.LastName"),
        col("customer_gender", key=f"{key}.Gender"),
        col("customer_date_of_birth", "date", f"{key}.DateOfBirth"),
        col("customer_social_security_number", key=f"{key}.SocialSecurityNumber"),
        col("customer_phone", key=f"{key}.Phone"),
        col("customer_company", key=f"{key}.Company"),
    )


def _address(prefix: str, key: str) -> tuple[Column, ...]:
    """Address (billing, shipping, bank) of the "Payment object"."""
    return (
        col(f"{prefix}_id", "int", f"{key}.ID"),
        col(f"{prefix}_country", key=f"{key}.Country"),
        col(f"{prefix}_city", key=f"{key}.City"),
        col(f"{prefix}_zip_code", key=f"{key}.ZipCode"),
        col(f"{prefix}_state", key=f"{key}.State"),
        col(f"{prefix}_street", key=f"{key}.Street"),
        col(f"{prefix}_street_number", key=f"{key}.StreetNumber"),
        col(f"{prefix}_house_number", key=f"{key}.HouseNumber"),
        col(f"{prefix}_house_extension", key=f"{key}.HouseExtension"),
    )


STATUS = (
    col("status_id", "int", "Status.ID"),
    col("status_info", key="Status.Info"),
    col("status_reasons", "json", "Status.Reasons"),
)

PAYMENT = (
    col("created", "ts", "Created"),
    col("invalid_request_id", key="InvalidRequestID"),
    col("skin_id", "int", "SkinID"),
    col("client_ip", key="ClientIP"),
    col("merchant_transaction_id", key="MerchantTransactionID"),
    col("originator_transaction_id", key="OriginatorTransactionID"),
    col("amount", "int", "Amount"),
    col("currency", key="Currency"),
    col("captured_amount", "int", "CapturedAmount"),
    col("return_url", key="ReturnURL"),
    col("description", key="Description"),
    col("statement_descriptor", key="StatementDescriptor"),
    col("method_id", "int", "MethodID"),
    col("method_option_id", "int", "MethodOptionID"),
    col("include_method_ids", "json", "IncludeMethodIDs"),
    col("exclude_method_ids", "json", "ExcludeMethodIDs"),
    col("prioritize_method_ids", "json", "PrioritizeMethodIDs"),
    col("site_id", "int", "SiteID"),
    col("notification_date_time", "ts", "NotificationDateTime"),
    *_customer(),
    *_address("billing", "BillingAddress"),
    *_address("shipping", "ShippingAddress"),
    col("articles", "json", "Articles"),
    col("details", "json", "Details"),
    col("reference_details", "json", "ReferenceDetails"),
    col("custom_parameters", "json", "CustomParameters"),
    col("preapproval_id", "int", "PreapprovalID"),
    col("preapproval_details", "json", "PreapprovalDetails"),
    *STATUS,
    col("method_transaction_id", key="MethodTransactionID"),
    col("authorization_code", key="AuthorizationCode"),
    col("token_lifetime", "int", "TokenLifetime"),
    col("payment_token_lifetime", "int", "PaymentTokenLifetime"),
    col("capture", "bool", "Capture"),
    col("retry", "bool", "Retry"),
    col("redirect_url", key="RedirectURL"),
    col("redirect_in_iframe", "bool", "RedirectInIframe"),
    col("redirect_merchant_in_iframe", "bool", "RedirectMerchantInIframe"),
    col("card_holder_name", key="Card.HolderName"),
    col("card_number", key="Card.Number"),
    col("card_expiration_month", key="Card.ExpirationMonth"),
    col("card_expiration_year", key="Card.ExpirationYear"),
    col("credit_card_token", "json", "CreditCardToken"),
    col("three_d_secure", "bool", "3DSecure"),
    col("three_d_secure_data", "json", "3DSecureData"),
    col("device_info", "json", "DeviceInfo"),
    col("sca_exemption", "json", "ScaExemption"),
    col("card_on_file", "json", "CardOnFile"),
    col("fraud", "json", "Fraud"),
    col("moto", "json", "Moto"),
    col("installments", "json", "Installments"),
    col("splits", "json", "Splits"),
    col("split", "json", "Split"),
    col("capture_details", "json", "CaptureDetails"),
)
# What a payment list item carries in full (the same value as the detail GET); a change here
# means the payment moved on and its detail is fetched again.
PAYMENT_SUMMARY = (
    "created", "merchant_transaction_id", "amount", "currency", "captured_amount", "method_id",
    "site_id", "notification_date_time", "preapproval_id", "status_id", "status_info",
    "method_transaction_id",
)  # fmt: skip
# Non-final payment statuses ("Status and status IDs", ID as text): a window holding one is
# read again.
PAYMENT_OPEN = frozenset(
    {"1", "6", "7", "8", "9", "10", "13", "14", "15", "18", "19", "30", "33", "34", "36", "37"}
)

REFUND = (
    col("created", "ts", "Created"),
    col("payment_id", "int", "InitialPaymentID"),
    col("merchant_transaction_id", key="MerchantTransactionID"),
    col("originator_transaction_id", key="OriginatorTransactionID"),
    col("amount", "int", "Amount"),
    col("currency", key="Currency"),
    col("description", key="Description"),
    col("type_id", "int", "TypeID"),
    col("site_id", "int", "SiteID"),
    col("details", "json", "Details"),
    *_customer(),
    *_address("billing", "BillingAddress"),
    *_address("bank", "BankAddress"),
    col("articles", "json", "Articles"),
    *STATUS,
    col("split_id", "int", "SplitID"),
    col("statement_descriptor", key="StatementDescriptor"),
    col("method_transaction_id", key="MethodTransactionID"),
)

PREAPPROVAL = (
    col("created", "ts", "Created"),
    col("method_id", "int", "MethodID"),
    col("method_option_id", "int", "MethodOptionID"),
    col("site_id", "int", "SiteID"),
    col("merchant_preapproval_id", key="MerchantPreapprovalID"),
    col("recurring_period", "int", "RecurringPeriod"),
    col("preapproved_maximum_amount", "int", "PreapprovedMaximumAmount"),
    col("currency", key="Currency"),
    col("preapproved_frequency", key="PreapprovedFrequency"),
    col("return_url", key="ReturnURL"),
    col("description", key="Description"),
    col("redirect_url", key="RedirectURL"),
    col("mandate_reference", key="MandateReference"),
    *_customer(),
    *_address("billing", "BillingAddress"),
    col("details", "json", "Details"),
    *STATUS,
)
PREAPPROVAL_SUMMARY = (
    "created", "method_id", "site_id", "merchant_preapproval_id", "preapproved_maximum_amount",
    "currency", "preapproved_frequency", "description", "mandate_reference", "status_id",
    "status_info",
)  # fmt: skip

PAYOUT = (
    col("created", "ts", "Created"),
    col("invalid_request_id", key="InvalidRequestID"),
    col("site_id", "int", "SiteID"),
    col("method_id", "int", "MethodID"),
    col("merchant_transaction_id", key="MerchantTransactionID"),
    col("originator_transaction_id", key="OriginatorTransactionID"),
    col("amount", "int", "Amount"),
    col("currency", key="Currency"),
    col("description", key="Description"),
    col("statement_descriptor", key="StatementDescriptor"),
    *STATUS,
    *_customer(),
    *_address("billing", "BillingAddress"),
    col("details", "json", "Details"),
    col("method_transaction_id", key="MethodTransactionID"),
)
PAYOUT_SUMMARY = (
    "created", "site_id", "method_id", "merchant_transaction_id", "amount", "currency",
    "description", "status_id", "status_info", "method_transaction_id",
)  # fmt: skip

METHOD = (
    col("display_name", key="DisplayName"),
    col("description", key="Description"),
    col("logo_url", key="LogoURL"),
    col("guaranteed", "bool", "Guaranteed"),
    col("active", "bool", "Active"),
    col("support_iframe", "bool", "SupportIframe"),
    col("iframe_width", "int", "IframeWidth"),
    col("iframe_height", "int", "IframeHeight"),
    col("countries", "json", "Countries"),
    col("currencies", "json", "Currencies"),
    col("details_url", key="DetailsURL"),
    col("validators_payin", "json", "ValidatorsPayin"),
    col("validators_recurrent", "json", "ValidatorsRecurrent"),
    col("options", "json", "Options"),
)


def _stream(name: str, envelope: str, columns: tuple[Column, ...], **options: Any) -> StreamSpec:
    options.setdefault("paginator", LimitOffset())
    return StreamSpec(
        name=name, path=options.pop("path", f"v1/{name}"), envelope=envelope, id_key="ID",
        model=model_for(f"smart2pay_{name}", columns), columns=columns, page_size=MAX_PAGE,
        **options,
    )  # fmt: skip


STREAMS: dict[str, StreamSpec] = {
    s.name: s
    for s in (
        _stream(
            "payments", "Payments", PAYMENT, paginator=PageIndex(),
            window=CREATED, cursor_column="created",
            status_column="status_id", open_statuses=PAYMENT_OPEN,
            changed_column="notification_date_time",
            hydrate=True, detail_path="v1/payments/{id}", detail_envelope="Payment",
            list_columns=PAYMENT_SUMMARY,
        ),
        # Read per payment after the payment is new or changed; the list items leave Customer
        # and the addresses null, and the detail needs the payment id too (not expressible).
        _stream(
            "refunds", "Refunds", REFUND, path="v1/payments/{id}/refunds",
            parent="payments", child_path="v1/payments/{id}/refunds",
            child_parent_column="payment_id",
            # A refund in flight can settle or fail while its payment stays the same: the
            # engine reads the refunds of a payment again while one of them is still open.
            status_column="status_id", open_statuses=frozenset({"1", "7", "8", "18"}),
        ),
        # No date filter is documented for preapprovals: read whole (records/25 at most).
        _stream(
            "preapprovals", "Preapprovals", PREAPPROVAL,
            hydrate=True, detail_path="v1/preapprovals/{id}", detail_envelope="Preapproval",
            list_columns=PREAPPROVAL_SUMMARY,
        ),
        _stream(
            "payouts", "Payouts", PAYOUT, window=CREATED, cursor_column="created",
            status_column="status_id", open_statuses=frozenset({"1"}),
            hydrate=True, detail_path="v1/payouts/{id}", detail_envelope="Payout",
            list_columns=PAYOUT_SUMMARY,
        ),
        # additionalDetails=true makes the list carry the detail's validators and options.
        _stream(
            "methods", "Methods", METHOD, paginator=SinglePage(),
            extra_params={"additionalDetails": "true"},
        ),
    )
}  # fmt: skip
