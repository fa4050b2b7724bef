"""Every permission has the words a refusal uses (a new permission without them would make
every refusal of it fail)."""

from cordon.domain.roles import WORDS, Permission


def test_every_permission_has_words() -> None:
    assert set(WORDS) == set(Permission)
    assert all(w and "_" not in w for w in WORDS.values())
