from __future__ import annotations

import pytest

from igtk_tui.errors import InvalidInput
from igtk_tui.vault import Credential, autofill

BASIC = Credential("gw1", "basic", "admin", "hunter2-secret", "http://gw1:8088", "plant A")
TOKEN = Credential("ci", "api-token", "ci-token", "tok-secret-123", "http://gw2:8088")


def test_repr_and_str_never_show_the_secret() -> None:
    for cred in (BASIC, TOKEN):
        for text in (repr(cred), str(cred), f"{cred}", repr([cred])):
            assert cred.secret not in text
            assert cred.name in text


def test_fields_of_a_basic_credential() -> None:
    assert BASIC.field("username") == "admin"
    assert BASIC.field("password") == "hunter2-secret"
    assert BASIC.field("secret") == "hunter2-secret"
    assert BASIC.field("gateway_url") == "http://gw1:8088"
    assert BASIC.field("description") == "plant A"
    assert BASIC.field("type") == "basic"


def test_token_field_is_the_header_value() -> None:
    assert TOKEN.field("token") == "ci-token:tok-secret-123"
    assert TOKEN.field("username") == "ci-token"
    assert TOKEN.field("secret") == "tok-secret-123"


def test_unknown_field_lists_valid_fields() -> None:
    with pytest.raises(KeyError) as info:
        BASIC.field("pasword")
    message = str(info.value)
    assert "pasword" in message and "password" in message and "gateway_url" in message
    with pytest.raises(KeyError, match="token"):
        TOKEN.field("password")


def test_info_has_no_secret() -> None:
    info = BASIC.info()
    assert not hasattr(info, "secret")
    assert "hunter2-secret" not in repr(info.as_dict())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "has space"}, "invalid credential name"),
        ({"name": "a.b"}, "invalid credential name"),
        ({"name": ""}, "invalid credential name"),
        ({"type": "ssh"}, "invalid credential type"),
        ({"secret": ""}, "non-empty secret"),
        ({"username": ""}, "needs a username"),
    ],
)
def test_validation(kwargs: dict[str, str], message: str) -> None:
    base = {"name": "ok", "type": "basic", "username": "u", "secret": "s"}
    with pytest.raises(InvalidInput, match=message):
        Credential(**{**base, **kwargs})


DECL = [
    ("username", "string"),
    ("Password", "string"),
    ("gateway_url", "string"),
    ("gw_cred", "credential"),
    ("user", "string"),
    ("url", "string"),
    ("other", "string"),
    ("gateway_password", "string"),
]


def test_autofill_fills_known_names_and_credential_params() -> None:
    out = autofill(DECL, {}, BASIC)
    assert out == {
        "username": "admin",
        "user": "admin",
        "Password": "hunter2-secret",
        "gateway_password": "hunter2-secret",
        "gateway_url": "http://gw1:8088",
        "url": "http://gw1:8088",
        "gw_cred": "gw1",
    }


def test_autofill_never_overrides_explicit_values() -> None:
    given = {"username": "someone", "url": "http://other", "gw_cred": "other", "user": ""}
    out = autofill(DECL, given, BASIC)
    assert out["username"] == "someone"
    assert out["url"] == "http://other"
    assert out["gw_cred"] == "other"
    assert out["user"] == "admin"  # empty counts as not given
    assert given["user"] == ""  # input unchanged


def test_autofill_token_credential() -> None:
    out = autofill([("password", "string"), ("api_token", "string"), ("username", "string")], {}, TOKEN)
    assert "password" not in out
    assert out["api_token"] == "ci-token:tok-secret-123"
    assert out["username"] == "ci-token"


def test_autofill_skips_url_when_credential_has_none() -> None:
    cred = Credential("x", "basic", "u", "secret-value")
    assert "gateway_url" not in autofill([("gateway_url", "string")], {}, cred)
