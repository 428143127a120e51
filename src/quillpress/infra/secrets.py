"""Where the JWT signing key comes from.

Production requires an explicit strong key and refuses to start otherwise. Development
generates one on first use and keeps it in a local file (mode 0600, created exclusively,
so two workers starting together agree on one key) and says so in a warning."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from quillpress.config import MASK, ConfigurationError, Settings

MIN_SECRET_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 12  # "x" * 40 is long but not random
HOW_TO_GENERATE = """python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"""

log = logging.getLogger("quillpress.secrets")


class InsecureSecretError(ConfigurationError):
    """Production without a strong signing key: a configuration error (exit status 2)."""


def is_weak(secret: str) -> bool:
    """Too short or too repetitive to sign tokens with: production refuses it."""
    return len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < MIN_DISTINCT_CHARACTERS


def weak_key_warning(settings: Settings) -> str | None:
    """Development accepts a weak ``QUILLPRESS_SECRET_KEY`` (a trial need not generate
    one) but says so: anyone who guesses it signs tokens as any user, and production
    would refuse it."""
    if settings.is_production or settings.secret_key is None:
        return None
    if not is_weak(settings.secret_key.get_secret_value()):
        return None
    return (
        f"QUILLPRESS_SECRET_KEY={MASK!r} is weak: anyone who guesses it can sign tokens, and "
        f"QUILLPRESS_ENV=production refuses it (at least {MIN_SECRET_LENGTH} random "
        f"characters, e.g. from {HOW_TO_GENERATE})"
    )


def resolve_secret(settings: Settings) -> str:
    if settings.secret_key is not None:
        secret = settings.secret_key.get_secret_value()
        if settings.is_production and is_weak(secret):
            raise InsecureSecretError(
                f"QUILLPRESS_SECRET_KEY={MASK!r} is too weak for QUILLPRESS_ENV=production "
                f"(accepted: at least {MIN_SECRET_LENGTH} random characters, "
                f"e.g. from {HOW_TO_GENERATE})"
            )
        return secret
    if settings.is_production:
        raise InsecureSecretError(
            "QUILLPRESS_SECRET_KEY is not set and QUILLPRESS_ENV=production requires it "
            f"(at least {MIN_SECRET_LENGTH} random characters, e.g. from {HOW_TO_GENERATE})"
        )
    return _development_secret(Path(settings.secret_file))


def _development_secret(path: Path) -> str:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    log.warning(
        "generated a development signing key in %s; set QUILLPRESS_SECRET_KEY in production",
        path.resolve(),
    )
    return secret
