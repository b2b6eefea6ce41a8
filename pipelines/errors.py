"""The errors paysync raises, typed by what the caller should do.

Every message says what went wrong, where, and what to do; none carries a secret.
The CLI turns each kind into one line on stderr and an exit code (docs/operations.md):

- ``ConfigError``      (exit 2) a setting, file or argument must be fixed by the user.
- ``UnreachableError`` (exit 3) the database or a provider could not be reached after retries.
- ``MigrationError``   (exit 2) a migration failed or the applied history does not match the files;
                        the database stays at the last good version.
- ``DriftError``       (exit 1) the work finished, but found drift or rejected records.
"""

from __future__ import annotations


class PaysyncError(Exception):
    """Base of every error paysync reports to a user."""

    exit_code = 1


class ConfigError(PaysyncError):
    exit_code = 2


class MigrationError(PaysyncError):
    exit_code = 2


class UnreachableError(PaysyncError):
    exit_code = 3


class DriftError(PaysyncError):
    exit_code = 1
