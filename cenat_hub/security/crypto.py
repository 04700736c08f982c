"""Encryption of channel access tokens at rest."""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_HKDF_INFO = b"cenat-hub channel access tokens"


class TokenCipher:
    """Fernet (AES-128-CBC with HMAC-SHA256) keyed by HKDF from ``ENCRYPTION_KEY``."""

    def __init__(self, encryption_key: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO
        ).derive(encryption_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt a stored token; raise ValueError when the key does not match."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except InvalidToken as exc:
            raise ValueError(
                "Stored channel token cannot be decrypted with ENCRYPTION_KEY; "
                "restore the original key or save the channel's token again."
            ) from exc
