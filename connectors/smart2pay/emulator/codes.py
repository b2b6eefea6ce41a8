"""Static provider tables: statuses, reason codes, methods (docs/providers/smart2pay.md)."""

from __future__ import annotations

from dataclasses import dataclass

# Status ID -> Info, spelled as in the documentation
# (docs/providers/smart2pay.md, "Status and status IDs").
STATUS_INFO: dict[int, str] = {
    1: "Open",
    2: "Success",
    3: "Cancelled",
    4: "Failed",
    5: "Expired",
    6: "PendingOnCustomer",
    7: "PendingOnProvider",
    8: "Submitted",
    9: "Authorized",
    10: "AuthorizeRequested",
    11: "Captured",
    12: "Rejected",
    13: "CaptureRequested",
    14: "Exception",
    15: "CancelRequested",
    16: "Reversed",
    17: "Completed",
    18: "Processing",
    19: "Disputed",
    21: "PartiallyRefunded",
    22: "Refunded",
    23: "DisputeWon",
    24: "DisputeLost",
    25: "Paid",
    26: "Chargedback",
    35: "PartiallyCaptured",
}
OPEN, SUCCESS, CANCELLED, FAILED, EXPIRED = 1, 2, 3, 4, 5
AUTHORIZED, CAPTURED, DISPUTED, PARTIALLY_REFUNDED, REFUNDED = 9, 11, 19, 21, 22
DISPUTE_WON, CHARGEDBACK, PARTIALLY_CAPTURED = 23, 26, 35

PREAPPROVAL_STATUS: dict[int, str] = {1: "Pending", 2: "Open", 3: "Closed", 4: "ClosedByCustomer"}

# Return codes used by the emulator
# (docs/providers/smart2pay.md, "HTTP status codes and errors").
MISSING_PARAMETER = 1
VALIDATION_FAILED = 2
METHOD_INVALID = 5
PAYMENT_INVALID = 17
REFUND_INVALID = 18
COUNTRY_INVALID = 19
MTID_DUPLICATED = 20
CURRENCY_INVALID = 100
PREAPPROVAL_ID_DUPLICATED = 109
AMOUNT_INVALID = 118
REFUND_AMOUNT_EXCEEDED = 2206

CARD_METHOD_ID = 6


@dataclass(frozen=True)
class Method:
    id: int
    name: str
    countries: tuple[str, ...]
    currencies: tuple[str, ...]
    # Authorized exists for cards, Klarna, Paysafecard, UnionPay (SEED-S2P capture section).
    authorizes: bool = False
    # Offline/QR methods carry ReferenceDetails in the detail GET (SEED-S2P WeChat sample).
    reference: bool = False
    recurring: bool = False


METHODS: tuple[Method, ...] = (
    Method(2, "iDEAL", ("NL",), ("EUR",)),
    Method(
        6,
        "Credit Card",
        ("DE", "FR", "GB", "NL", "RO", "SE", "US"),
        ("EUR", "GBP", "USD"),
        authorizes=True,
        recurring=True,
    ),
    Method(46, "MercadoPago", ("AR", "BR", "MX"), ("ARS", "BRL", "MXN")),
    Method(75, "Klarna Invoice", ("SE", "DE", "NL"), ("SEK", "EUR"), authorizes=True),
    Method(79, "Bosnia Bank Transfer", ("BA",), ("BAM",)),
    Method(84, "SEPA Direct Debit", ("DE", "FR", "NL"), ("EUR",), recurring=True),
    Method(94, "PayPal", ("DE", "GB", "US"), ("EUR", "GBP", "USD"), recurring=True),
    Method(1053, "Boleto", ("BR",), ("BRL",), reference=True),
    Method(1066, "WeChat Pay", ("CN",), ("CNY",), reference=True),
    Method(1069, "Paysafecard", ("AT", "DE", "RO"), ("EUR", "RON"), authorizes=True),
)
METHODS_BY_ID: dict[int, Method] = {m.id: m for m in METHODS}
# Weights for generated payments: cards dominate, as at a typical card-plus-APM merchant.
METHOD_WEIGHTS: tuple[int, ...] = (12, 40, 6, 8, 2, 6, 10, 4, 6, 6)


# ISO 3166-1 alpha-2 and ISO 4217: filters and creates refuse anything else (codes 19/120, 100).
ISO_COUNTRIES = frozenset(
    """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW""".split()
)
ISO_CURRENCIES = frozenset(
    """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES
VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL""".split()
)
