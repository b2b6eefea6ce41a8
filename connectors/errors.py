"""Errors a provider call can end in, typed by what the caller should do.

- ``ProviderAuthError``        fix the credentials setting named in the message (exit 2).
- ``ProviderTlsRequiredError`` the provider answers HTTPS only: use an https:// base_url (exit 2).
- ``ProviderRedirectError``    a redirect off base_url's scheme/host/port was refused (exit 2).
- ``ProviderRequestError``     the provider refused a request paysync built (400/404/405): a bug or
                               a changed API contract; the message names source, path and status.
- ``ProviderUnavailableError`` still failing after the retry budget (exit 3); rerun later.
- ``ContractChangedError``     responses no longer look as documented (reject rate too high).

Messages name the source, the path and the status; never a token, key, card or bank number.
"""

from __future__ import annotations


class ProviderError(Exception):
    exit_code = 3


class ProviderAuthError(ProviderError):
    exit_code = 2


class ProviderTlsRequiredError(ProviderAuthError):
    """403 TLS_Required: the base_url says http://; a configuration fix, not a credentials one."""


class ProviderRedirectError(ProviderAuthError):
    """A redirect off base_url's origin (another scheme, host or port): paysync does not send
    the credentials there; a configuration fix (base_url), not a credentials one."""


class ProviderRequestError(ProviderError):
    exit_code = 3

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ProviderUnavailableError(ProviderError):
    exit_code = 3


class ContractChangedError(ProviderError):
    exit_code = 1
