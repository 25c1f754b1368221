"""redact.py: registered secret values are masked wherever they appear, in their common encodings."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

from igtk_tui import redact
from igtk_tui.redact import MASK, Redactor

SECRET = 'p@ss w/"quote"&more'


def test_a_registered_value_is_masked_in_text() -> None:
    r = Redactor()
    assert r.scrub(f"login with {SECRET} now") == f"login with {SECRET} now"  # nothing registered yet
    r.register(SECRET)
    assert r.scrub(f"login with {SECRET} now") == f"login with {MASK} now"
    assert r.scrub(f"{SECRET}{SECRET}") == MASK + MASK


def test_json_escaped_url_encoded_and_repr_forms_are_masked() -> None:
    r = Redactor()
    r.register(SECRET)
    as_json = json.dumps({"password": SECRET})
    assert SECRET not in as_json and json.dumps(SECRET)[1:-1] in as_json  # the escaped form differs
    assert r.scrub(as_json) == '{"password": "' + MASK + '"}'
    assert r.scrub(f"https://gw/login?p={quote(SECRET, safe='')}") == f"https://gw/login?p={MASK}"
    assert r.scrub(f"form: p={quote_plus(SECRET)}&x=1") == f"form: p={MASK}&x=1"
    windows = "C:\\it's\\here"
    r.register(windows)
    assert repr(windows)[1:-1] != windows
    assert r.scrub(f"repr: {windows!r}") == f'repr: "{MASK}"'


def test_nested_structures_are_scrubbed_keys_and_values() -> None:
    r = Redactor()
    r.register(SECRET)
    r.register(98765)
    data = {
        "outer": [{"inner": f"x {SECRET} y"}, (SECRET, 1)],
        SECRET: "as a key",
        "number": 98765,
        "flag": True,
        "none": None,
        "bytes": b"raw",
    }
    out = r.scrub_obj(data)
    assert out == {
        "outer": [{"inner": f"x {MASK} y"}, (MASK, 1)],
        MASK: "as a key",
        "number": MASK,
        "flag": True,
        "none": None,
        "bytes": b"raw",
    }
    assert isinstance(out["outer"][1], tuple)
    assert SECRET not in json.dumps(out, default=str)
    assert data["outer"][0]["inner"] == f"x {SECRET} y"  # the input is not modified


def test_other_objects_are_scrubbed_through_their_text() -> None:
    class Thing:
        def __str__(self) -> str:
            return f"thing({SECRET})"

    r = Redactor()
    r.register(SECRET)
    assert r.scrub_obj(Thing()) == f"thing({MASK})"


def test_short_values_are_not_registered_and_longest_match_wins() -> None:
    r = Redactor()
    r.register("ab")
    r.register(None)
    assert not r.active
    assert r.scrub("ab cd") == "ab cd"
    r.register("secret")
    r.register("secret-long")
    assert r.scrub("secret-long secret") == f"{MASK} {MASK}"


def test_nothing_registered_returns_the_same_objects() -> None:
    r = Redactor()
    data = {"a": [1, "x"]}
    assert r.scrub_obj(data) is data
    r.register("zzz")
    r.clear()
    assert r.scrub("zzz") == "zzz"


def test_module_level_functions_share_one_registry() -> None:
    redact.register("module-level-secret")
    assert redact.scrub("a module-level-secret b") == f"a {MASK} b"
    assert redact.scrub_obj({"k": ["module-level-secret"]}) == {"k": [MASK]}


CANARY = "PWcanary+9d41f0e2c7b3a5 &é/"


def test_every_encoded_form_is_masked_inside_larger_text() -> None:
    import base64
    import html

    import httpx

    r = Redactor()
    r.register(CANARY)
    url = str(httpx.URL("https://gw/x", params={"q": CANARY}))  # httpx's own query encoding
    forms = {
        "url-quoted": quote(CANARY, safe=""), "url-quoted (path)": quote(CANARY), "quote_plus": quote_plus(CANARY),
        "httpx query": url.split("q=", 1)[1], "json": json.dumps(CANARY)[1:-1],
        "json (utf-8)": json.dumps(CANARY, ensure_ascii=False)[1:-1], "xml": html.escape(CANARY),
        "repr": repr(CANARY)[1:-1],
    }
    for offset in range(3):  # base64 of a text holding the secret at each alignment, e.g. user:password
        prefix = "admin:"[: 4 + offset]
        forms[f"base64 at {offset}"] = base64.b64encode(f"{prefix}{CANARY}".encode()).decode()
        forms[f"base64url at {offset}"] = base64.urlsafe_b64encode(f"{prefix}{CANARY}!".encode()).decode()
    for name, form in forms.items():
        scrubbed = r.scrub(f"before {form} after")
        assert MASK in scrubbed and scrubbed.startswith("before ") and scrubbed.endswith(" after"), name
        middle = form[len(form) // 3: 2 * len(form) // 3]
        assert "9d41f0e2" not in scrubbed and middle not in scrubbed, (name, scrubbed)


def test_fragments_an_error_cuts_from_a_secret_are_masked_whole() -> None:
    r = Redactor()
    r.register(CANARY)
    # httpx on a password inside a URL: the part after the first ':' read as a port
    assert r.scrub(f"Invalid port: '{CANARY[2:16]}'") == f"Invalid port: '{MASK}'"
    assert r.scrub(f"prefix {CANARY[:11]}@host") == f"prefix {MASK}@host"
    assert r.scrub(f"suffix {CANARY[-12:]}.") == f"suffix {MASK}."
    assert r.scrub(f"a {CANARY[5:17]} b {CANARY[9:21]} c") == f"a {MASK} b {MASK} c"
    assert r.scrub("PWcana is short and harmless") == "PWcana is short and harmless"


def test_fragment_search_never_masks_ordinary_text() -> None:
    r = Redactor()
    r.register("correct-horse-battery-staple")
    line = "the horse and the battery are correct; staple it"
    assert r.scrub(line) == line
