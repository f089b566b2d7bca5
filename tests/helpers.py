"""Small helpers shared by the test modules (importable as `tests.helpers`)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

DEMO_PASSWORD = "sisumaker-demo"
# For apps whose test logs in many officials from one address.
RELAXED_LIMITS = dict(LOGIN_LIMIT_PER_ADDRESS="1000 per minute", LOGIN_LIMIT_PER_ACCOUNT="1000 per minute")
_CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
_VALUE = re.compile(r"\bvalue=\"([^\"]+)\"")


def csrf_token(client, path: str = "/masuk", **request_kwargs) -> str:
    """GET `path` and return the CSRF token of its first form (fails the test when there is none)."""
    response = client.get(path, **request_kwargs)
    html = response.get_data(as_text=True)
    tag = _CSRF_INPUT.search(html)
    assert tag, f"no csrf_token input on {path} (status {response.status_code})"
    value = _VALUE.search(tag.group(0))
    assert value, f"csrf_token input without a value on {path}"
    return value.group(1)


def login(client, username: str, password: str = DEMO_PASSWORD, next: str | None = None, **request_kwargs):
    """Log in through the real form: fetch /masuk for its CSRF token, then post it. Returns the POST response.

    `request_kwargs` (e.g. environ_base={"REMOTE_ADDR": ...}, base_url="https://localhost") go to both requests.
    """
    url = "/masuk" if next is None else "/masuk?" + urlencode({"next": next})
    token = csrf_token(client, url, **request_kwargs)
    return client.post(url, data={"csrf_token": token, "username": username, "password": password},
                       **request_kwargs)


def location(response) -> tuple[str, str, dict[str, list[str]]]:
    """(netloc, path, query) of a redirect's Location header."""
    parts = urlsplit(response.headers["Location"])
    return parts.netloc, parts.path, parse_qs(parts.query)


def text(response) -> str:
    return response.get_data(as_text=True)


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


# In `make_app(db_url, KEY=DEFAULT)`: leave KEY out of the test config, so the production default applies.
DEFAULT = _Default()


def test_config(db_url: str, **overrides) -> dict:
    """The config every test app starts from; CSRF and the rate limits stay on."""
    config = dict(
        TESTING=True, SECRET_KEY="test-secret-key-" + "x" * 32, DATABASE_URL=db_url,
        SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False, ENV_NAME="development",
        RATELIMIT_STORAGE_URI="memory://", REDIS_URL=None, DEMO_PASSWORD=DEMO_PASSWORD,
    )
    config.update(overrides)
    return {key: value for key, value in config.items() if value is not DEFAULT}


test_config.__test__ = False  # not a test, despite the name
