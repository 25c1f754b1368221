"""The vault's done-when, on a host like the plant servers: no D-Bus session bus, so no OS
keyring; the encrypted file unlocked by IGTK_VAULT_PASSPHRASE.

- `IGTK_VAULT_PASSPHRASE=… igtk cred add gw --username admin < secret.txt` (a real file on
  stdin), then a playbook using `{{ credential.gw.password }}` and `{{ credential.gw.username }}`
  logs in to a simulated gateway with gateway.login: exit 0, status logged_in. Without the
  passphrase the same run exits 3 before any step, and stderr names both fixes (and the
  file form, IGTK_VAULT_PASSPHRASE_FILE, indeed works).
- `igtk run PLAYBOOK -c gw` fills the gateway_url, username and password parameters: no -p.
- An api-token credential (`--type api-token --username igtk`, secret on stdin) logs in to an
  8.3 gateway as `{{ credential.tok.token }}` and as `credential: "{{ credential.tok }}"`.

Every command runs as a subprocess (`python -m igtk_tui`), with the real keyring probe
(the session bus hidden, keyring's config folders private), the real KDF and real gateways.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from igtk_tui.simulator import SimulatedGateway
from tests.support.cli import Igtk
from tests.support.playbooks import write_playbook
from tests.support.secrets import MASK, encoded_forms, leaks_in
from tests.support.simulator import running_gateway

PASSWORD = f"gw-pass-{secrets.token_hex(12)}-&é"  # the 8.1 gateway's admin password
TOKEN_SECRET = secrets.token_hex(16)  # the secret half of the 8.3 API token igtk:<secret>
SECRET_FORMS = {**encoded_forms(PASSWORD), **{f"token {k}": v for k, v in encoded_forms(TOKEN_SECRET, "igtk").items()}}
PASSPHRASE = f"done-when-{secrets.token_hex(8)}"


@pytest.fixture(scope="module")
def sim81() -> Iterator[SimulatedGateway]:
    with running_gateway(version="8.1", admin_username="admin", admin_password=PASSWORD) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def sim83() -> Iterator[SimulatedGateway]:
    with running_gateway(version="8.3", api_tokens={"igtk": TOKEN_SECRET}) as gateway:
        yield gateway


@pytest.fixture
def igtk(tmp_path: Path) -> Igtk:
    return Igtk(tmp_path / "home", passphrase=PASSPHRASE, keyring_fail=False)


def add_gw_from_file(igtk: Igtk, tmp_path: Path, url: str) -> None:
    """`igtk cred add gw --username admin --gateway-url URL < secret.txt`"""
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(PASSWORD + "\n", encoding="utf-8")  # as `echo` writes it
    with secret_file.open("rb") as stdin:
        added = igtk("cred", "add", "gw", "--username", "admin", "--gateway-url", url, stdin=stdin)
    assert added.code == 0, added.describe()
    vault_file = igtk.home / "data" / "vault" / "vault.bin"
    assert f"to the encrypted file: {vault_file}" in added.stdout  # no D-Bus: the file, not a keyring
    assert vault_file.is_file() and not leaks_in(vault_file.read_bytes(), SECRET_FORMS)
    listed = igtk("cred", "list", "--json")
    assert listed.code == 0, listed.describe()
    rows = [(r["name"], r["type"], r["username"], r["gateway_url"]) for r in json.loads(listed.stdout)]
    assert rows == [("gw", "basic", "admin", url)] and not leaks_in(listed.stdout, SECRET_FORMS)


LOGIN = """\
name: Log in with the vault credential
version: '1'
steps:
  - id: login
    name: web-session login
    type: gateway.login
    parameters:
      gateway_url: "{{ credential.gw.gateway_url }}"
      username: "{{ credential.gw.username }}"
      password: "{{ credential.gw.password }}"
  - id: info
    name: an authenticated call on the session
    type: gateway.get_info
"""


def test_cred_add_from_file_then_login_and_locked_without_passphrase(igtk: Igtk, tmp_path: Path,
                                                                     sim81: SimulatedGateway) -> None:
    add_gw_from_file(igtk, tmp_path, sim81.url)
    playbook = write_playbook(tmp_path, LOGIN, "login.yaml")

    run = igtk("run", str(playbook), "--json")
    assert run.code == 0, run.describe()
    login = run.finished("login")["output"]
    assert login == {"status": "logged_in", "gateway_url": sim81.url, "version": login["version"], "auth": "session"}
    assert login["version"].startswith("8.1")
    assert run.finished("info")["status"] == "completed"
    assert not leaks_in(run.stdout + run.stderr, SECRET_FORMS)

    locked = igtk("run", str(playbook), "--json", unset=("IGTK_VAULT_PASSPHRASE",))
    assert locked.code == 3, locked.describe()
    assert locked.stdout == ""  # refused before the first step: nothing ran, nothing was recorded
    assert "vault unavailable" in locked.stderr
    assert "IGTK_VAULT_PASSPHRASE " in locked.stderr and "IGTK_VAULT_PASSPHRASE_FILE" in locked.stderr
    history = igtk("history", "--json")
    assert history.code == 0 and len(json.loads(history.stdout)) == 1, history.describe()

    passphrase_file = tmp_path / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    via_file = igtk("run", str(playbook), "--json", unset=("IGTK_VAULT_PASSPHRASE",),
                    env={"IGTK_VAULT_PASSPHRASE_FILE": str(passphrase_file)})
    assert via_file.code == 0, via_file.describe()
    assert via_file.finished("login")["output"]["status"] == "logged_in"


AUTOFILL = """\
name: Log in with parameters
version: '1'
parameters:
  - {name: gateway_url, type: string, required: true}
  - {name: username, type: string, required: true}
  - {name: password, type: string, required: true}
steps:
  - id: login
    name: web-session login
    type: gateway.login
    parameters:
      gateway_url: "{{ parameter.gateway_url }}"
      username: "{{ parameter.username }}"
      password: "{{ parameter.password }}"
"""


def test_credential_option_fills_the_parameters(igtk: Igtk, tmp_path: Path, sim81: SimulatedGateway) -> None:
    add_gw_from_file(igtk, tmp_path, sim81.url)
    playbook = write_playbook(tmp_path, AUTOFILL, "autofill.yaml")

    run = igtk("run", str(playbook), "-c", "gw", "--json")
    assert run.code == 0, run.describe()
    evts = run.events
    assert evts[0]["parameters"] == {"gateway_url": sim81.url, "username": "admin", "password": MASK}
    assert evts[0]["credentials"] == ["gw"] and evts[0]["gateway_url"] == sim81.url
    assert run.finished("login")["output"]["status"] == "logged_in"
    assert not leaks_in(run.stdout + run.stderr, SECRET_FORMS)

    # An explicit value is never overridden, and the gateway really checks the password.
    wrong = igtk("run", str(playbook), "-c", "gw", "-p", "password=not-the-password", "--json")
    assert wrong.code == 1, wrong.describe()
    assert wrong.finished("login")["status"] == "failed"


TOKEN = """\
name: Log in with an API token
version: '1'
steps:
  - id: by_token
    name: the token field
    type: gateway.login
    parameters:
      gateway_url: "{{ credential.tok.gateway_url }}"
      api_token: "{{ credential.tok.token }}"
  - id: by_credential
    name: the whole credential (its URL too)
    type: gateway.login
    parameters:
      credential: "{{ credential.tok }}"
  - id: info
    name: an authenticated 8.3 call
    type: gateway.get_info
"""


def test_api_token_credential_on_83(igtk: Igtk, tmp_path: Path, sim83: SimulatedGateway) -> None:
    added = igtk("cred", "add", "tok", "--type", "api-token", "--username", "igtk", "--gateway-url", sim83.url,
                 stdin=TOKEN_SECRET)
    assert added.code == 0, added.describe()
    playbook = write_playbook(tmp_path, TOKEN, "token.yaml")

    run = igtk("run", str(playbook), "--json")
    assert run.code == 0, run.describe()
    for step_id in ("by_token", "by_credential"):
        output = run.finished(step_id)["output"]
        assert (output["status"], output["auth"], output["gateway_url"]) == ("logged_in", "api-token", sim83.url)
    info = run.finished("info")["output"]["info"]
    assert info["line"] == "8.3"
    assert not leaks_in(run.stdout + run.stderr, SECRET_FORMS)
