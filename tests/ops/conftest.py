"""Fixtures for the operations tests (issue 8): the signing world of the TTE tests (PKI in the instance folder,
officials enrolled, two apps on a private demo database)."""
from tests.tte.conftest import make_tte, pki_template, tte  # noqa: F401  (fixtures reused, not copied)
