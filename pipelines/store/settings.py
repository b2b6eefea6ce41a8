"""One ``Settings`` object, built once at the entry point and passed down (docs/operations.md).

Precedence: CLI flag > environment > ``paysync.toml`` (path from ``PAYSYNC_CONFIG``, default
``./paysync.toml``) > defaults. Secrets never live in the file: a source names the environment
variable that holds its token or API key (``token_env`` / ``api_key_env``), and the value is read
here, once, into a ``SecretStr``.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from pipelines.errors import ConfigError

DEFAULT_CONFIG = Path("paysync.toml")
DATABASE_URL_VARIABLES = ("PAYSYNC_DATABASE_URL", "DATABASE_URL")


class DatabaseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field("", description="empty: embedded PostgreSQL under data_dir")
    data_dir: Path = Path(".paysync/pgdata")
    pool_size: int = Field(8, ge=1, le=100)


class SourceBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    provider: str
    base_url: str
    start_date: date = date(2019, 1, 1)
    concurrency: int = Field(4, ge=1, le=64)
    requests_per_second: float | None = Field(None, gt=0)
    ca_bundle: Path | None = None
    lookback_days: float = Field(7, ge=0)
    # The zone the provider means where its documents give none (SmarterPay is a UK service):
    # how zone-less times are read and how window filters are written. INFERRED default: UTC.
    timezone: str = "UTC"
    # Names the env variable holding the shared secret webhook calls must present (providers
    # whose webhooks carry no credential of their own); None: such webhooks are refused.
    webhook_secret_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    # Filled from the environment variable the file names; never read from the file itself.
    _secret: SecretStr | None = PrivateAttr(None)
    _webhook_secret: SecretStr | None = PrivateAttr(None)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/London"
            ) from None
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http:// for a local emulator)")
        return value.rstrip("/")

    secret_field: ClassVar[str]

    @property
    def secret_env(self) -> str:
        return str(getattr(self, self.secret_field))

    def require_secret(self) -> SecretStr:
        if self._secret is None or not self._secret.get_secret_value():
            raise ConfigError(
                f"source {self.name!r}: environment variable {self.secret_env} is not set "
                f"(it is named in the source's {self.secret_field} setting); export it and retry"
            )
        return self._secret

    def set_secret(self, value: str | None) -> None:
        self._secret = SecretStr(value) if value else None

    @property
    def webhook_secret(self) -> SecretStr | None:
        return self._webhook_secret

    def set_webhook_secret(self, value: str | None) -> None:
        self._webhook_secret = SecretStr(value) if value else None


class SmarterPaySource(SourceBase):
    secret_field: ClassVar[str] = "token_env"
    provider: Literal["smarterpay"]
    token_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class Smart2PaySource(SourceBase):
    secret_field: ClassVar[str] = "api_key_env"
    provider: Literal["smart2pay"]
    site_id: int = Field(gt=0)
    api_key_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


Source = Annotated[SmarterPaySource | Smart2PaySource, Field(discriminator="provider")]


class SyncSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lag_seconds: float = Field(120, ge=0)
    max_reject_rate: float = Field(0.01, ge=0, le=1)
    retry_budget_seconds: float = Field(600, ge=0)
    # The longest date range one list request asks (None: the sizer's own maximum, 92 days).
    # For providers answering only the newest part of a longer range, or refusing it
    # (docs/inferred.md #157): windows this short are served whole and not checked.
    max_window_days: int | None = Field(None, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PAYSYNC_", env_nested_delimiter="__", extra="forbid"
    )

    database: DatabaseSettings = DatabaseSettings()
    sync: SyncSettings = SyncSettings()
    sources: list[Source] = []
    config_path: Path | None = Field(None, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = init_settings.init_kwargs.get("config_path")  # type: ignore[attr-defined]
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @model_validator(mode="after")
    def _unique_source_names(self) -> Settings:
        # Names key every row paysync writes: two sources sharing one would mix their data.
        names = [s.name for s in self.sources]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(
                f"source name {', '.join(map(repr, twice))} is used twice; "
                "give each [[sources]] entry its own name"
            )
        return self

    def source(self, name: str) -> SmarterPaySource | Smart2PaySource:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise ConfigError(
            f"unknown source {name!r} (known: {known}); see [[sources]] in {self.where}"
        )

    @property
    def where(self) -> str:
        return str(self.config_path) if self.config_path else "paysync.toml"


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Build Settings from file, environment and CLI overrides, or raise a ConfigError."""
    env = os.environ
    path = _config_path(env)
    try:
        settings = _build(path, overrides or {})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise ConfigError(
            f"cannot read {path}: {exc}; fix the file or set PAYSYNC_CONFIG"
        ) from None
    _apply_database_url(settings, env)
    _resolve_secrets(settings, env)
    return settings


def _config_path(env: Any) -> Path | None:
    explicit = env.get("PAYSYNC_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(
                f"PAYSYNC_CONFIG names {path}, which does not exist; fix the variable"
            )
        return path
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def _build(path: Path | None, overrides: dict[str, Any]) -> Settings:
    return Settings(config_path=path, **overrides)


def _apply_database_url(settings: Settings, env: Any) -> None:
    for name in DATABASE_URL_VARIABLES:
        if env.get(name):
            settings.database.url = env[name]
            return


def _resolve_secrets(settings: Settings, env: Any) -> None:
    for source in settings.sources:
        source.set_secret(env.get(source.secret_env))
        if source.webhook_secret_env:
            source.set_webhook_secret(env.get(source.webhook_secret_env))


def _describe(exc: ValidationError, path: Path | None) -> str:
    where = str(path) if path else "the environment (PAYSYNC_*)"
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        location = _location(error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = (
                "unknown setting (check the spelling; secrets belong in environment variables)"
            )
        problems.append(f"{location}: {message}")
    return f"invalid settings in {where}: " + "; ".join(problems)


def _location(loc: tuple[int | str, ...]) -> str:
    # Drop the discriminator tag pydantic inserts after a list index ("sources.0.smarterpay.x").
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] += f"[{part}]"
        elif part not in ("smarterpay", "smart2pay") or not parts or not parts[-1].endswith("]"):
            parts.append(str(part))
    return ".".join(parts)
