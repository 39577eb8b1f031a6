"""Password hashing with argon2id (argon2-cffi), at OWASP's minimum parameters or stronger."""

from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher as Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP Password Storage Cheat Sheet, argon2id minimum: m = 19 MiB, t = 2, p = 1.
MEMORY_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1


class Argon2Hasher:
    """The PasswordHasher port on argon2id; hashes made with other parameters are reported for rehash."""

    def __init__(self, *, memory_kib: int = MEMORY_KIB, time_cost: int = TIME_COST, parallelism: int = PARALLELISM):
        self._argon2 = Argon2(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, hash_len=32, salt_len=16, type=Type.ID
        )

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        try:
            return self._argon2.verify(encoded, password)
        except (VerifyMismatchError, VerificationError):
            return False
        except InvalidHashError:
            # No password (an account an admin opened has none yet): it costs what a real check costs, so the
            # time of a refused login does not tell such an account from the others.
            self.verify_nothing(password)
            return False

    def needs_rehash(self, encoded: str) -> bool:
        try:
            return self._argon2.check_needs_rehash(encoded)
        except InvalidHashError:
            return True

    def verify_nothing(self, password: str) -> None:
        self.verify(self._dummy, password)

    @cached_property
    def _dummy(self) -> str:
        """A hash with the current parameters that no password matches in practice (made once per container)."""
        return self._argon2.hash("storefront: no account has this password")
