import pytest

from skillpulse.pseudonym import Pseudonymiser

SECRET = b"k" * 32


def test_user_key_is_stable_hex_and_platform_scoped() -> None:
    pseudonymiser = Pseudonymiser(SECRET)
    key = pseudonymiser.user_key("skilltech.tools", "alice")
    assert key == Pseudonymiser(SECRET).user_key("skilltech.tools", "alice")
    assert len(key) == 64 and int(key, 16) >= 0
    assert key != pseudonymiser.user_key("skilltech.tube", "alice")
    assert key != Pseudonymiser(b"j" * 32).user_key("skilltech.tools", "alice")


def test_separator_keeps_concatenations_apart() -> None:
    pseudonymiser = Pseudonymiser(SECRET)
    assert pseudonymiser.user_key("a.b", "c") != pseudonymiser.user_key("a", ".bc")


def test_short_secret_refused_and_never_printed() -> None:
    with pytest.raises(ValueError):
        Pseudonymiser(b"short")
    assert "k" * 32 not in repr(Pseudonymiser(SECRET))
