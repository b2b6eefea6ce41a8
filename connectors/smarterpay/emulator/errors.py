"""Errors in one JSON shape (the provider's REST error body is not documented; INFERRED):
`{"error": {"code": 400, "message": "Bad Request", "description": "what was wrong"}}`."""

from __future__ import annotations

from http import HTTPStatus

import orjson
from aiohttp import web

MESSAGES = {498: "Invalid Token", 403: "TLS_Required"}


class ApiError(Exception):
    """Raised by handlers; the app answers it in the provider's error shape."""

    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}


def message_for(status: int) -> str:
    if status in MESSAGES:
        return MESSAGES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int, description: str, message: str | None = None) -> bytes:
    return orjson.dumps(
        {
            "error": {
                "code": status,
                "message": message or message_for(status),
                "description": description,
            }
        }
    )


def error_response(
    status: int, description: str, headers: dict[str, str] | None = None, message: str | None = None
) -> web.Response:
    return web.Response(
        status=status,
        reason=message or message_for(status),
        body=error_body(status, description, message),
        content_type="application/json",
        headers=headers,
    )


async def tls_required(request: web.BaseRequest) -> web.StreamResponse:
    """Plain HTTP on the HTTPS port (IIS answers such requests with 403.4 "SSL required")."""
    return error_response(
        403, "The SmarterPay Cloud API is only available over HTTPS.", message="TLS_Required"
    )
