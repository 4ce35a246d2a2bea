"""A password hasher that counts its uses, to prove which steps run it."""

from django.contrib.auth.hashers import MD5PasswordHasher

_calls = [0]


def reset() -> None:
    _calls[0] = 0


def calls() -> int:
    return _calls[0]


class CountingMD5Hasher(MD5PasswordHasher):
    """MD5 (the test suite's fast hasher) under the same algorithm name, counted."""

    def encode(self, password, salt, iterations=None):
        _calls[0] += 1
        return super().encode(password, salt)
