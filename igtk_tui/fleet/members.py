"""The gateways of a fleet run, checked before the first one starts (the CLI and the agent alike).

Everything an operator can get wrong is refused at once, naming each gateway: parameters
bound for every gateway through the one gateway rule, each gateway's credential; a locked
vault or a missing browser is exit 3. The fleet record keeps the given parameters with
secrets masked.
"""

from __future__ import annotations

from typing import Any

from igtk_tui.errors import InvalidInput


def prepare_members(runtime: Any, playbook: Any, gateways: list[Any],
                    given: dict[str, Any]) -> tuple[list[Any], Any, list[str]]:
    """One checked run request per gateway, the credentials source and the warnings to show;
    every problem at once (exit 2)."""
    from igtk_tui.engine.launch import build_request, check_credentials
    from igtk_tui.errors import IgtkError
    from igtk_tui.fleet.runner import Member

    vault = runtime.vault()  # locked: exit 3 before anything runs
    members: list[Member] = []
    problems: list[str] = []
    for position, gateway in enumerate(gateways):
        try:
            credential = vault.get(gateway.credential)
            request = build_request(playbook, given, credential=credential, gateway_url=gateway.url)
        except IgtkError as exc:
            if exc.exit_code != InvalidInput.exit_code:
                raise
            problems.append(f"gateway {gateway.name!r}: {exc}")
            continue
        members.append(Member(position, gateway, 0, request=request))
    if problems:
        raise InvalidInput("\n".join(problems))
    credentials = runtime.preflight(members[0].request, probe_gateway=False)  # disabled, nesting, browser
    warnings: list[str] = []
    for member in members:
        if member is not members[0]:
            check_credentials(member.request, credentials)
        warnings += [w for w in member.request.warnings if w not in warnings]
    return members, credentials, warnings


def masked(playbook: Any, given: dict[str, Any]) -> dict[str, Any]:
    """The parameters given on the command line, as the fleet record keeps them: secrets masked."""
    from igtk_tui import redact
    from igtk_tui.playbook.params import SECRET_NAME_RE, secret_parameter_names

    secret = set(secret_parameter_names(playbook))
    return {k: redact.MASK if (k in secret or SECRET_NAME_RE.search(k)) and v not in (None, "")
            else redact.scrub_obj(v) for k, v in given.items()}
