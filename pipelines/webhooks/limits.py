"""What keeps the public webhook endpoint safe from slow or hostile callers: read timeouts for
the request headers and body, and aiohttp's parse-error log line without the request's content
(an oversized ``Authorization`` header would otherwise be written to the log, secret and all)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

# INFERRED: Smart2Pay resends a notification not answered with 204 within 30 s; a sender that
# has not sent its headers in 10 s, or its (at most 1 MiB) body in 20 s, is not a provider.
HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Limits:
    header_s: float = HEADER_TIMEOUT_S
    body_s: float = BODY_TIMEOUT_S


LIMITS = web.AppKey("limits", Limits)


class RedactParseErrors(logging.Filter):
    """aiohttp logs a request it cannot parse with a traceback whose message quotes the
    offending header line; keep the peer and the kind of error, drop the content."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            peer = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg = "refused an unparseable request from %s (%s, HTTP %s); content not logged"
            record.args = (peer, type(error).__name__, error.code)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def install_redaction() -> None:
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, RedactParseErrors) for f in logger.filters):
        logger.addFilter(RedactParseErrors())
