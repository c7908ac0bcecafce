"""What makes a console password acceptable (OWASP ASVS 2.1): long enough, not a common one.

Pure Python: the hashing itself is argon2's, in ivr/services/users.py.
"""

from __future__ import annotations

MIN_LENGTH = 12
MAX_LENGTH = 128  # long passphrases are welcome; megabytes of "password" are not

# A small list of passwords that leak lists show over and over, at least 12 characters long or
# made so by the usual padding (shorter ones are refused by length already); compared ignoring
# case and surrounding spaces.
COMMON = frozenset({
    "123456789012", "1234567890123", "12345678901234", "123456789abc", "1q2w3e4r5t6y",
    "1qaz2wsx3edc", "aaaaaaaaaaaa", "abc123456789", "abcdefghijkl", "administrator",
    "administrador", "baseball1234", "changeme1234", "contraseña123", "contrasena123",
    "contraseña1234", "contrasena1234", "football1234", "iloveyou1234", "letmein12345",
    "p@ssw0rd1234", "passw0rd1234", "password1234", "password12345", "password123!",
    "passwordpassword", "princess1234", "q1w2e3r4t5y6", "qwerty123456", "qwertyuiop12",
    "qwertyuiopas", "qwertyuiop123", "superman1234", "sunshine1234", "trustno11234",
    "welcome12345", "welcome123456", "zaq12wsxcde3", "111111111111", "000000000000",
    "987654321098", "asdfghjkl123", "asdfghjklñ12", "venezuela123", "venezuela1234",
    "caracas12345", "caracas123456", "soporte12345", "soporte123456", "ccoapoyo1234",
    "ccoapoyo12345", "analista1234", "analista12345", "bienvenido123", "bienvenido1234",
    "teamoteamo12", "holahola1234", "abcd12345678", "passwordpass", "qazwsxedcrfv",
})


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password is refused, as one sentence; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"the password must have at most {MAX_LENGTH} characters"
    folded = password.strip().casefold()
    if folded in COMMON:
        return "that password is in the list of common passwords: choose another"
    if email and folded == email.strip().casefold():
        return "the password must not be the e-mail address"
    if len(set(folded)) < 4:
        return "the password repeats too few characters: choose another"
    return None
