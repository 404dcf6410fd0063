"""Encryption of stored secrets with the operator's keys (``TIERLINE_SECRET_KEY``).

Keys are Fernet keys, comma-separated: the first encrypts, every one decrypts, so an operator
rotates by putting a new key first and keeping the old ones after it until ``tierline secrets
rotate`` has re-encrypted what they wrote. Without a configured key the embedded mode keeps one
in a file of its data folder (``key_file``).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

KEY_FILE_NAME = "secret.key"


class VaultKeyError(ValueError):
    """A key setting that cannot be used; the message says what to fix."""


class UnreadableSecret(ValueError):
    """A stored value that no configured key decrypts."""


def generate_key() -> str:
    return Fernet.generate_key().decode()


class Vault:
    """Encrypts with the first key, decrypts with any."""

    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise VaultKeyError("TIERLINE_SECRET_KEY holds no key")
        try:
            fernets = [Fernet(part) for part in parts]
        except ValueError as error:
            raise VaultKeyError(
                "TIERLINE_SECRET_KEY must list Fernet keys (32 url-safe base64-encoded bytes "
                "each), comma-separated; generate one with `tierline secrets generate`"
            ) from error
        self._first = fernets[0]
        self._all = MultiFernet(fernets)

    @classmethod
    def from_setting(cls, value: SecretStr | None) -> Vault:
        if value is None:
            raise VaultKeyError("no TIERLINE_SECRET_KEY; the CLI resolves it")
        return cls(value.get_secret_value())

    def encrypt(self, plain: str) -> str:
        return self._all.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode()).decode()
        except InvalidToken as error:
            raise UnreadableSecret(
                "a stored secret cannot be decrypted with any key in TIERLINE_SECRET_KEY "
                "(a key removed too early, or another installation's key?)"
            ) from error

    def under_first_key(self, token: str) -> bool:
        try:
            self._first.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def reencrypt(self, token: str) -> str:
        """``token`` encrypted with the first key, whichever key it was encrypted with."""
        return self.encrypt(self.decrypt(token))


def key_file(data_dir: Path) -> str:
    """The embedded mode's key: read from the data folder, or created there (mode 0600)."""
    path = data_dir / KEY_FILE_NAME
    data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole under another name, then linked: a process starting at the same
        # moment either wins the link or reads the winner's complete key.
        draft = path.with_name(f"{KEY_FILE_NAME}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(generate_key() + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()
