"""Runtime configuration, read once from `ADMIRAL_*` environment variables.

Every setting is documented in the README's configuration table; `Settings.describe()` is the
source that table is checked against.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADMIRAL_", extra="ignore")

    # Storage
    database_url: str = Field(
        "sqlite+aiosqlite:///admiral.db",
        description="Primary database (SQLite file by default; postgresql+asyncpg://… at scale).",
    )
    database_read_url: str | None = Field(
        None, description="Optional read replica used by read-only queries."
    )
    database_pool_size: int = Field(10, description="Connections kept per process (PostgreSQL).")
    database_pool_timeout: float = Field(
        5.0, description="Seconds to wait for a pooled connection before SERVICE_UNAVAILABLE."
    )
    database_pool_pre_ping: bool = Field(
        True,
        description="Test each pooled connection before use (PostgreSQL); off, a connection "
        "found dead fails its request with SERVICE_UNAVAILABLE and leaves the pool.",
    )
    database_statement_timeout_ms: int = Field(
        30000,
        description="Longest a statement may run before it is cancelled and the request answers "
        "SERVICE_UNAVAILABLE (PostgreSQL; 0: no limit).",
    )
    database_lock_timeout_ms: int = Field(
        10000,
        description="Longest a statement waits for a lock before it is cancelled the same way "
        "(PostgreSQL; 0: no limit).",
    )
    sqlite_busy_timeout_ms: int = Field(5000, description="SQLite busy timeout in milliseconds.")
    redis_url: str | None = Field(
        None, description="Optional Redis shared by processes (counters, pub/sub); see /health."
    )
    ratelimit_key_prefix: str = Field(
        "admiral-ratelimit", description="Prefix of the rate-limit counters' keys in Redis."
    )

    # Identity and secrets
    staff_emails: CommaList = Field(
        default_factory=list,
        description="Comma-separated emails whose staff sessions get MASTER scope.",
    )
    secret_key: str | None = Field(
        None,
        description="Key encrypting secrets at rest; generated into ADMIRAL_SECRET_FILE if unset.",
    )
    secret_file: str = Field(
        ".admiral-secret", description="Where the generated secret key is kept (git-ignored)."
    )
    app_url: str | None = Field(
        None,
        description="Public base URL used in links sent to people (default: http://HOST:PORT).",
    )
    cors_origins: CommaList = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS."
    )
    trust_proxy_headers: bool = Field(
        False, description="Take the client address from X-Forwarded-For (behind a proxy only)."
    )

    # Sessions and logins
    session_ttl_hours: float = Field(12.0, description="Absolute lifetime of a login session.")
    session_idle_minutes: float = Field(60.0, description="A session unused this long expires.")
    login_max_failures: int = Field(
        5, description="Failed logins allowed per email and per client address in the window."
    )
    login_window_minutes: float = Field(15.0, description="Window for counting failed logins.")
    argon2_time_cost: int = Field(3, description="argon2id iterations for password hashes.")
    argon2_memory_cost: int = Field(65536, description="argon2id memory in KiB.")
    idempotency_ttl_hours: float = Field(24.0, description="How long idempotency keys are kept.")

    # GraphQL protection
    max_query_depth: int = Field(10, description="Deepest selection allowed.")
    max_aliases: int = Field(30, description="Aliases allowed in one operation.")
    max_tokens: int = Field(2000, description="Lexical tokens allowed in one document.")
    max_query_cost: int = Field(
        50000, description="Cost limit; a connection multiplies its selection by `first`."
    )
    max_body_bytes: int = Field(1_048_576, description="Largest request body accepted (413).")
    max_json_depth: int = Field(
        64, description="Deepest nesting of lists and objects in a JSON body or `variables` (400)."
    )

    # Serving
    host: str = Field("127.0.0.1", description="Address `admiral serve` binds.")
    port: int = Field(8000, description="Port `admiral serve` binds.")
    seed: bool = Field(
        False,
        description="Seed the demo data set at `admiral setup` when the database has no users "
        "(`scripts/serve` turns it on).",
    )
    log_level: str = Field("INFO", description="Log level of the JSON logs on stdout.")
    # Stored logs and metrics (app/logs, /metrics)
    log_retention_days: int = Field(
        30, ge=1, le=36_500, description="Stored log entries older than this are pruned (`logs`)."
    )
    log_sample_rate: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="Share of INFO entries stored (0 to 1; WARNING and above are always kept).",
    )
    log_queue_size: int = Field(
        10_000,
        ge=1,
        description="Entries waiting for the log writer; past it new ones are dropped and counted.",
    )
    metrics_public: bool = Field(
        False,
        description="Serve /metrics without credentials (else a master key as bearer token).",
    )
    usage_retention_days: int = Field(
        400, description="Raw usage events older than this are pruned (rollups are kept)."
    )
    usage_flush_interval_ms: int = Field(
        1000, description="How often the usage aggregator rolls stored events up."
    )
    background_loops: bool = Field(
        True, description="Run the background loops (renewals, deliveries, …) in this process."
    )
    shutdown_grace_seconds: int = Field(
        30,
        ge=0,
        description="On SIGTERM: how long requests in flight may take to finish, and then the "
        "background loops, before the buffers are flushed and the process exits.",
    )

    # Payment provider (Stripe); without an API key the local ledger gateway is used
    stripe_api_key: SecretStr | None = Field(
        None, description="Stripe secret API key; set, billing charges through Stripe."
    )
    stripe_api_base: str = Field(
        "https://api.stripe.com", description="Base URL of the Stripe API (a test server in tests)."
    )
    stripe_webhook_secret: SecretStr | None = Field(
        None, description="Signing secret of the Stripe webhook endpoint (`whsec_…`)."
    )

    # Webhooks and mail
    webhooks_allow_http: bool = Field(
        False, description="Let webhook endpoints use plain http:// (development only)."
    )
    webhooks_allow_private: bool = Field(
        False,
        description="Let webhook endpoints resolve to loopback, private or link-local addresses "
        "(development only).",
    )
    webhooks_connect_timeout: float = Field(
        5.0, description="Seconds to connect to a webhook endpoint (or SMTP server)."
    )
    webhooks_read_timeout: float = Field(
        15.0, description="Seconds to wait for a webhook endpoint's answer."
    )
    webhooks_concurrency: int = Field(
        20, description="Webhook deliveries one process sends at once."
    )
    dispatcher_interval_seconds: float = Field(
        1.0, description="How often the outbox dispatcher looks for work."
    )
    smtp_url: str | None = Field(
        None,
        description="SMTP server for mails (smtp://user:pass@host:587, smtps://… for TLS); "
        "unset: mails are only listed in `emails`.",
    )
    mail_from: str = Field("Admiral <no-reply@localhost>", description="From address of mails.")
    mail_reply_to: str | None = Field(None, description="Reply-To address of mails.")
    mail_show_links: bool = Field(
        False,
        description="Show the secret links of unsent mails in `emails` (development only).",
    )

    # Billing: renewals and test clocks
    billing_retry_days: list[int] = Field(
        [3, 5, 7],
        description="Days after a renewal's first failed payment on which it is retried "
        "(comma-separated; after the last, see ADMIRAL_BILLING_CANCEL_AFTER_RETRIES).",
    )
    billing_cancel_after_retries: bool = Field(
        True,
        description="Cancel a subscription whose renewal payment failed its last retry "
        "(false: it stays PAST_DUE).",
    )
    billing_test_clocks: bool = Field(
        False,
        description="Allow `billingClockAdvance` (per-customer test clocks) and test payment "
        "methods; never on in production.",
    )

    # Licenses (app/licenses)
    license_heartbeat_window_minutes: float = Field(
        10.0, description="A machine silent longer than this stops counting against its seats."
    )
    license_past_due_grace_days: float = Field(
        7.0, description="How long a subscription may stay past due before its licenses suspend."
    )
    license_revocations_ttl_minutes: float = Field(
        60.0, description="How long a signed revocation list stays valid (and cacheable)."
    )
    license_file_ttl_days: float = Field(
        30.0, description="Default lifetime of a signed license file for air-gapped machines."
    )

    # Metrics (app/metrics)
    cash_balance: int = Field(
        0, description="Cash at hand in minor units of the reporting currency (runway)."
    )
    reporting_currency: str = Field(
        "USD", description="The currency metrics report in; amounts in others are left out."
    )

    # The operator console
    console_dir: str = Field(
        "console/dist", description="The console's build, served at /console when it exists."
    )
    persisted_queries_file: str | None = Field(
        None,
        description="Manifest of documents accepted by hash (default: the console build's "
        "persisted-documents.json).",
    )
    persisted_queries_only_for_sessions: bool = Field(
        False,
        description="Session callers (and callers without credentials) may send only "
        "persisted documents; a master may still send any.",
    )

    @field_validator("billing_retry_days")
    @classmethod
    def _increasing_days(cls, value: list[int]) -> list[int]:
        # Counted from the first failure: each retry after the one before it.
        if any(day <= 0 for day in value) or value != sorted(set(value)):
            raise ValueError("retry days are positive and increasing, e.g. 3,5,7")
        return value

    @field_validator("staff_emails", "cors_origins", "billing_retry_days", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("staff_emails")
    @classmethod
    def _normalize_emails(cls, value: list[str]) -> list[str]:
        return [email.lower() for email in value]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def public_url(self) -> str:
        """The base of links sent to people: `app_url`, else where `admiral serve` listens."""
        if self.app_url:
            return self.app_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once into `secret_file`."""
        if self.secret_key:
            return self.secret_key
        path = Path(self.secret_file)
        if path.exists():
            return path.read_text().strip()
        key = secrets.token_urlsafe(32)
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """(environment variable, default, meaning) for every setting."""
        rows = []
        for name, field in cls.model_fields.items():
            default = field.get_default(call_default_factory=True)
            if isinstance(default, list):
                default = ",".join(str(item) for item in default)
            rows.append((f"ADMIRAL_{name.upper()}", str(default), field.description or ""))
        return rows
