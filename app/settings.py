"""Configuration, read from the environment with the prefix ``TIERLINE_``."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

KEY_PATTERN = re.compile(r"^tl_[A-Za-z0-9_-]{29,}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIERLINE_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Unset: an embedded PostgreSQL under DATA_DIR is started.",
    )
    data_dir: Path = Field(default=Path(".tierline"), description="Where local state lives.")
    host: str = "127.0.0.1"
    port: int = 8000
    bootstrap_key: str | None = Field(
        default=None,
        description="When set, an admin+instance key with exactly this value exists after start.",
    )
    log_level: str = "INFO"
    db_pool_size: int = 10
    background_workers: bool = Field(
        default=True,
        description="Run background jobs (metric backfills, reclassification) and the review "
        "scheduler inside the server process.",
    )
    max_body_bytes: int = 1024 * 1024
    max_batch_body_bytes: int = 10 * 1024 * 1024

    @field_validator("bootstrap_key")
    @classmethod
    def _bootstrap_key_looks_like_a_key(cls, value: str | None) -> str | None:
        if value is not None and not KEY_PATTERN.match(value):
            raise ValueError(
                "TIERLINE_BOOTSTRAP_KEY must look like a Tierline key: 'tl_' followed by at "
                "least 29 letters, digits, '-' or '_' (32 characters or more in all)"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("TIERLINE_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level
