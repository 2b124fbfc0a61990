"""One typed settings object for every role, read from BOTFOLIO_* env vars and an optional TOML file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "BOTFOLIO_"


class Section(BaseModel):
    """A settings section: an unknown key is an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(Section):
    url: SecretStr = SecretStr("sqlite+aiosqlite:///./var/botfolio.db")
    echo: bool = False
    pool_size: int = 10
    migrate_on_start: bool = Field(
        default=False, description="Run `db upgrade` when a role starts."
    )


class ApiSettings(Section):
    host: str = "127.0.0.1"
    port: int = 8000
    allow_insecure_http: bool = Field(
        default=False, description="Serve plain HTTP on a non-loopback address."
    )
    tls_cert: Path | None = None
    tls_key: Path | None = None
    max_body_bytes: int = 64 * 1024
    hsts_max_age_seconds: int = 31_536_000


class SecuritySettings(Section):
    field_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Key ring for field encryption: key id -> base64 of 32 random bytes.",
    )
    active_key_id: str | None = None
    blind_index_key: SecretStr | None = None
    keyring_file: Path = Path("./var/secrets/keyring.json")


class AuthSettings(Section):
    totp_issuer: str = "BotFolio"
    staff_roles_require_2fa: tuple[str, ...] = ("admin", "operator", "support")
    login_max_failures: int = 5
    login_failure_window_seconds: int = 900
    lockout_seconds: int = 900
    session_ttl_seconds: int = 8 * 3600
    token_default_ttl_days: int = 90
    recovery_code_count: int = 10


class JobSettings(Section):
    poll_interval_seconds: float = 0.5
    lease_seconds: float = 30.0
    max_attempts: int = 5
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 300.0
    concurrency: int = 4


class SchedulerSettings(Section):
    lease_ttl_seconds: float = Field(
        default=5.0, description="A standby takes over once the holder misses renewals this long."
    )
    renew_interval_seconds: float = 1.0


class VenueSettings(Section):
    """One venue reachable through CCXT. `base_url` points CCXT elsewhere (our simulator)."""

    ccxt_id: str
    base_url: str | None = None
    timeout_ms: int = 10_000
    requests_per_second: float = 10.0
    alternate: str | None = Field(
        default=None,
        description="HotSwap target for market data while this venue's breaker is open.",
    )
    symbol_map: dict[str, str] = Field(
        default_factory=dict, description="Our symbol -> this venue's symbol, where they differ."
    )


class ExchangeSettings(Section):
    venues: dict[str, VenueSettings] = Field(
        default_factory=lambda: {
            "binance": VenueSettings(ccxt_id="binance"),
            "upbit": VenueSettings(ccxt_id="upbit"),
        }
    )
    unknown_order_grace_seconds: float = 5.0
    breaker_failure_threshold: int = 5
    breaker_reset_seconds: float = 30.0
    read_retry_attempts: int = 3
    read_retry_max_wait_seconds: float = 2.0
    redis_url: str | None = Field(
        default=None,
        description="Shared rate limits across workers (production); in-memory if unset.",
    )
    reconcile_interval_seconds: float = 30.0


class PredictionSettings(Section):
    predictor_url: str | None = Field(
        default=None,
        description="The predictor role's base URL; unset = the engine runs inside each worker.",
    )
    request_timeout_seconds: float = 2.0


class NotificationSettings(Section):
    attempts_per_channel: int = Field(default=3, ge=1, le=20)
    backoff_base_seconds: float = Field(default=5.0, ge=0)
    backoff_max_seconds: float = Field(default=600.0, ge=0)
    send_timeout_seconds: float = Field(default=10.0, gt=0)
    rate_per_second: dict[str, float] = Field(
        default_factory=lambda: {
            "email": 5.0,
            "slack": 1.0,
            "telegram": 20.0,
            "sms": 1.0,
            "webhook": 1000.0,
        },
        description="Per-channel-kind send rate (token bucket per worker process).",
    )
    rate_limit_max_wait_seconds: float = Field(
        default=5.0, description="Wait this long for a token, then hand the job back to retry."
    )
    smtp_url: str = Field(
        default="mailto://127.0.0.1:8025?from=botfolio@localhost&mode=insecure",
        description="apprise mailto:// URL of the SMTP relay, without `to=` (added per user).",
    )
    batch_size: int = Field(default=200, ge=1, le=1000, description="Rows one dispatcher leases.")
    lease_seconds: float = Field(
        default=60.0, gt=0, description="A dispatcher that dies loses its rows after this long."
    )
    dispatch_budget_seconds: float = Field(
        default=20.0, gt=0, description="One dispatch job works this long, then hands over."
    )
    max_in_flight: int = Field(default=3, ge=1, description="Send lanes per batch.")
    dispatch_interval_seconds: float = Field(
        default=1.0, gt=0, description="Scheduler safety net: a dispatch job at least this often."
    )


class SeverityRoute(Section):
    """How one severity reaches the on-call responder.

    `channels`: channel kinds paged at once (each through the responder's own consented
    channels). `repeat_seconds`: page again until acknowledged (None: page once).
    `escalate_after_seconds`: unacknowledged this long at one level -> the next responder.
    `digest`: not paged; collected into the daily digest instead.
    """

    channels: list[str] = Field(default_factory=list)
    repeat_seconds: float | None = None
    escalate_after_seconds: float | None = None
    digest: bool = False


class AlertSettings(Section):
    routes: dict[str, SeverityRoute] = Field(
        default_factory=lambda: {
            "critical": SeverityRoute(
                channels=["sms", "slack", "email"],
                repeat_seconds=300.0,
                escalate_after_seconds=900.0,
            ),
            "warning": SeverityRoute(channels=["slack"]),
            "info": SeverityRoute(digest=True),
        }
    )
    evaluate_interval_seconds: float = 30.0
    digest_interval_seconds: float = 86_400.0
    job_backlog_warning_seconds: float = 300.0
    job_backlog_critical_seconds: float = 1800.0


class RetentionSettings(Section):
    audit_days: int = Field(default=3 * 365 + 1, ge=3 * 365 + 1)
    access_log_days: int = Field(default=3 * 365 + 1, ge=3 * 365 + 1)


class LogSettings(Section):
    level: str = "INFO"
    json_output: bool = True


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    environment: str = "development"
    data_dir: Path = Path("./var")
    database: DatabaseSettings = DatabaseSettings()
    api: ApiSettings = ApiSettings()
    security: SecuritySettings = SecuritySettings()
    auth: AuthSettings = AuthSettings()
    jobs: JobSettings = JobSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    exchanges: ExchangeSettings = ExchangeSettings()
    predictions: PredictionSettings = PredictionSettings()
    notifications: NotificationSettings = NotificationSettings()
    alerts: AlertSettings = AlertSettings()
    retention: RetentionSettings = RetentionSettings()
    log: LogSettings = LogSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            FileVariantSettingsSource(settings_cls),
            EnvWithoutFileVariants(settings_cls),
        ]
        config_file = os.environ.get(f"{ENV_PREFIX}CONFIG_FILE")
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise FileNotFoundError(
                    f"{ENV_PREFIX}CONFIG_FILE points at {path}, which is missing"
                )
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


class EnvWithoutFileVariants(EnvSettingsSource):
    """The environment, minus `*_FILE` variables that name a secret file (handled above)."""

    def __call__(self) -> dict[str, Any]:
        return _drop_file_variants(self.settings_cls, super().__call__())


def _drop_file_variants(model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in values.items():
        if key.endswith("_file") and key not in model.model_fields:
            continue
        field = model.model_fields.get(key)
        annotation = field.annotation if field else None
        if (
            isinstance(value, dict)
            and isinstance(annotation, type)
            and issubclass(annotation, BaseModel)
        ):
            value = _drop_file_variants(annotation, value)
        kept[key] = value
    return kept


class FileVariantSettingsSource(PydanticBaseSettingsSource):
    """`BOTFOLIO_X__Y_FILE=/run/secrets/y` sets `x.y` to the file's content (Docker/K8s secrets)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, path in os.environ.items():
            if not (name.startswith(ENV_PREFIX) and name.endswith("_FILE")):
                continue
            if name == f"{ENV_PREFIX}CONFIG_FILE":
                continue
            if _is_field(self.settings_cls, name[len(ENV_PREFIX) :].lower().split("__")):
                continue  # a setting that is itself a path, e.g. SECURITY__KEYRING_FILE
            dotted = name[len(ENV_PREFIX) : -len("_FILE")].lower().split("__")
            content = Path(path).read_text(encoding="utf-8").strip()
            _set_nested(values, dotted, content)
        return values


def _is_field(model: type[BaseModel], keys: list[str]) -> bool:
    """True when `keys` names a field of `model` (walking nested settings models)."""
    for key in keys:
        field = model.model_fields.get(key)
        if field is None:
            return False
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        elif key != keys[-1]:
            return False
    return True


def _set_nested(target: dict[str, Any], keys: list[str], value: str) -> None:
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def redacted(settings: Settings) -> dict[str, Any]:
    """The settings as plain data with every secret replaced by '**********'."""
    return settings.model_dump(mode="json")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
