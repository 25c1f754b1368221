"""Delivering a Notice to its targets, each retried with backoff a bounded number of times.

Why results and never exceptions: a notification that fails is logged, retried and
recorded on the fire; it must never fail the execution it reports on, nor the agent.
SMTP and webhook logins come from the vault by credential NAME, through the
`credential` callable the caller hands in (this package never opens the vault).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from igtk_tui import redact
from igtk_tui.errors import ServiceUnavailable
from igtk_tui.notify.message import Notice
from igtk_tui.notify.targets import Target, TargetError, parse
from igtk_tui.schedules.model import NotificationResult

log = logging.getLogger(__name__)

CredentialLookup = Callable[[str], Any]  # NAME -> a vault Credential (username, secret)
# Passed to a command hook: enough to run a program, never the agent's own secrets (vault passphrase).
HOOK_ENVIRONMENT = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ")


class DeliveryError(ServiceUnavailable):
    """One attempt failed; the message is what the record and the log say."""


async def deliver(specs: list[str] | tuple[str, ...], notice: Notice, *, credential: CredentialLookup,
                  attempts: int = 3, backoff: float = 2.0) -> list[NotificationResult]:
    """Send `notice` to every target at once; one result per target, in order."""
    return list(await asyncio.gather(*(_deliver_one(spec, notice, credential, attempts, backoff)
                                       for spec in specs)))


async def _deliver_one(spec: str, notice: Notice, credential: CredentialLookup, attempts: int,
                       backoff: float) -> NotificationResult:
    try:
        target = parse(spec)
    except TargetError as exc:
        log.warning("notification target refused: %s", redact.scrub(str(exc)))
        return NotificationResult(redact.scrub(spec), False, 0, redact.scrub(str(exc)))
    attempts = max(1, attempts)
    error = ""
    for attempt in range(1, attempts + 1):
        try:
            login = await asyncio.to_thread(credential, target.credential) if target.credential else None
            await SENDERS[target.kind](target, notice, login)
            if attempt > 1:
                log.info("notification to %s delivered at attempt %d", target.label, attempt)
            return NotificationResult(target.label, True, attempt)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of a target is recorded, never raised
            error = redact.scrub(f"{type(exc).__name__}: {exc}" if not isinstance(exc, DeliveryError) else str(exc))
            log.warning("notification to %s failed (attempt %d of %d): %s", target.label, attempt, attempts, error)
        if attempt < attempts:
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
    return NotificationResult(target.label, False, attempts, error)


# -- webhook -------------------------------------------------------------------------------------
async def send_webhook(target: Target, notice: Notice, login: Any) -> None:
    import httpx

    url = target.value
    if not url:  # the URL is the credential's secret (it carries the hook's token)
        from igtk_tui.notify.targets import check_url

        url = login.secret
        check_url(url, f"the secret of credential {target.credential}")
    body = json.dumps(notice.payload(target.options.get("format", "json")), ensure_ascii=False)
    verify: Any = True
    if target.options.get("ca"):
        import ssl

        verify = ssl.create_default_context(cafile=os.path.expanduser(target.options["ca"]))
    async with httpx.AsyncClient(timeout=target.timeout, verify=verify, follow_redirects=False) as client:
        try:
            response = await client.post(url, content=body.encode("utf-8"),
                                         headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    if response.status_code >= 300:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")


# -- e-mail --------------------------------------------------------------------------------------
async def send_email(target: Target, notice: Notice, login: Any) -> None:
    await asyncio.to_thread(_smtp_send, target, notice, login)


def _smtp_send(target: Target, notice: Notice, login: Any) -> None:
    """smtplib in a thread: STARTTLS (certificate checked) before any login or message."""
    import smtplib
    import socket
    import ssl
    from email.message import EmailMessage

    host, port = target.smtp
    message = EmailMessage()
    message["Subject"] = notice.subject()
    message["From"] = target.options.get("from") or f"igtk@{socket.gethostname()}"
    message["To"] = ", ".join(target.recipients)
    message.set_content(notice.text())
    ca = target.options.get("ca")
    context = ssl.create_default_context(cafile=os.path.expanduser(ca) if ca else None)
    try:
        with smtplib.SMTP(host, port, timeout=target.timeout) as smtp:
            smtp.ehlo()
            if target.options.get("tls", "starttls") == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if login is not None:
                smtp.login(login.username, login.secret)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {host}:{port}: {type(exc).__name__}: {exc}") from None


# -- command hook ----------------------------------------------------------------------------------
async def send_command(target: Target, notice: Notice, login: Any) -> None:
    """The program with its argv (no shell), the notice as JSON on stdin, a clean environment."""
    env = {name: os.environ[name] for name in HOOK_ENVIRONMENT if name in os.environ}
    proc = await asyncio.create_subprocess_exec(
        *target.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True)
    data = json.dumps(notice.to_json(), ensure_ascii=False).encode("utf-8")
    try:
        _, err = await asyncio.wait_for(proc.communicate(data), target.timeout)
    except BaseException as exc:  # a timeout or the agent stopping: the hook's whole group goes
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        await asyncio.shield(proc.wait())
        if isinstance(exc, TimeoutError):
            raise DeliveryError(f"{target.argv[0]} did not finish within {target.timeout:g} s") from None
        raise
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip()[-300:]
        raise DeliveryError(f"{target.argv[0]} exited {proc.returncode}" + (f": {tail}" if tail else ""))


SENDERS = {"webhook": send_webhook, "email": send_email, "command": send_command}
