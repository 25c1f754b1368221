"""`igtk agent run|start|stop|status|unlock|lock`: the per-user agent that owns executions.

`run` serves in the foreground (for systemd and other service managers);
`start` starts it detached when none runs; `stop` refuses while executions run
unless `--cancel-running`; `status` shows pid, uptime, socket, the vault's state and
running executions; `unlock` hands the agent the vault passphrase (as ssh-add does to
ssh-agent: it holds the unlocked vault in memory), `lock` makes it forget it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from igtk_tui.errors import EXIT_OK, EXIT_UNAVAILABLE
from igtk_tui.timefmt import duration

STOP_WAIT = 40.0  # seconds `stop` waits for the agent to release its lock


def add_parser(sub: Any) -> None:
    p = sub.add_parser("agent", help="the background agent that owns executions", description=__doc__.splitlines()[0])
    verbs = p.add_subparsers(dest="agent_command", metavar="VERB", required=True)
    verbs.add_parser("run", help="serve in the foreground (service managers)").set_defaults(func=run_agent)
    verbs.add_parser("start", help="start the agent detached when none runs").set_defaults(func=start_agent)
    stop = verbs.add_parser("stop", help="stop the agent (refused while executions run)")
    stop.add_argument("--cancel-running", action="store_true", help="cancel running executions and stop")
    stop.set_defaults(func=stop_agent)
    status = verbs.add_parser("status", help="pid, uptime, socket and running executions")
    status.add_argument("--json", action="store_true", help="print one JSON document")
    status.set_defaults(func=agent_status)
    verbs.add_parser("unlock", help="unlock the agent's vault (passphrase from IGTK_VAULT_PASSPHRASE[_FILE], "
                     "stdin, or a hidden prompt)").set_defaults(func=unlock_vault)
    verbs.add_parser("lock", help="lock the agent's vault (it forgets the key)").set_defaults(func=lock_vault)


def read_passphrase(env: dict[str, str]) -> str:
    """IGTK_VAULT_PASSPHRASE, then IGTK_VAULT_PASSPHRASE_FILE, then stdin when it is not a
    terminal (a pipe from a secret store), else a hidden prompt. Exit 2 when empty."""
    from igtk_tui.errors import InvalidInput
    from igtk_tui.vault.passphrase import resolve_passphrase, strip_one_newline

    given = resolve_passphrase(None, env)
    if given is not None:
        return given.value
    if not sys.stdin.isatty():
        text = strip_one_newline(sys.stdin.read())
    else:
        import getpass

        text = getpass.getpass("igtk vault passphrase: ")
    if not text:
        raise InvalidInput("no passphrase given (set IGTK_VAULT_PASSPHRASE or IGTK_VAULT_PASSPHRASE_FILE, "
                           "pipe it on stdin, or type it at the prompt)")
    return text


def unlock_vault(args: argparse.Namespace) -> int:
    from igtk_tui import redact
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.runtime import Runtime

    runtime = Runtime()
    with AgentClient.connect(runtime.paths, start=True) as client:
        vault = client.status().get("vault") or {}
        if vault.get("state") == "unlocked":
            print(f"igtk: the agent's vault is already unlocked ({vault.get('backend')})")
            return EXIT_OK
        passphrase = read_passphrase(runtime.env)
        redact.register(passphrase)
        vault = client.unlock_vault(passphrase)
    print(f"igtk: the agent's vault is unlocked ({vault.get('backend')})")
    return EXIT_OK


def lock_vault(args: argparse.Namespace) -> int:
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.runtime import Runtime

    paths = Runtime().paths
    if not AgentLocation.of(paths).alive():
        print(f"igtk: no agent is running for {paths.state_dir}: nothing to lock", file=sys.stderr)
        return EXIT_OK
    with AgentClient.connect(paths) as client:
        client.lock_vault()
    print("igtk: the agent's vault is locked")
    return EXIT_OK


def run_agent(args: argparse.Namespace) -> int:
    from igtk_tui.agent.server import run_foreground
    from igtk_tui.runtime import Runtime

    return run_foreground(Runtime())


def start_agent(args: argparse.Namespace) -> int:
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.runtime import Runtime

    with AgentClient.connect(Runtime().paths, start=True) as client:
        status = client.status()
    print(f"igtk: agent running, pid {status['pid']}, socket {status['socket']}")
    return EXIT_OK


def stop_agent(args: argparse.Namespace) -> int:
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.runtime import Runtime

    paths = Runtime().paths
    location = AgentLocation.of(paths)
    if not location.alive():
        print(f"igtk: no agent is running for {paths.state_dir}", file=sys.stderr)
        return EXIT_OK
    with AgentClient.connect(paths) as client:
        answer = client.stop(cancel_running=args.cancel_running)
    deadline = time.monotonic() + STOP_WAIT
    while location.alive():  # the agent lets go of its lock as its very last act
        if time.monotonic() > deadline:
            print(f"igtk: the agent did not stop within {STOP_WAIT:g} s", file=sys.stderr)
            return EXIT_UNAVAILABLE
        time.sleep(0.02)
    cancelled = answer.get("cancelled") or []
    extra = f" ({len(cancelled)} execution(s) cancelled)" if cancelled else ""
    print(f"igtk: agent stopped{extra}")
    return EXIT_OK


def agent_status(args: argparse.Namespace) -> int:
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.runtime import Runtime

    paths = Runtime().paths
    if not AgentLocation.of(paths).alive():
        if args.json:
            print(json.dumps({"running": False}))
        print(f"igtk: no agent is running for {paths.state_dir}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    with AgentClient.connect(paths) as client:
        status = client.status()
    if args.json:
        print(json.dumps({"running": True, **status}, default=str))
        return EXIT_OK
    print(f"agent:   running, igtk {status['version']} (API v{status['api']})")
    print(f"pid:     {status['pid']}")
    print(f"uptime:  {duration(status['uptime'])}")
    print(f"socket:  {status['socket']}")
    vault = status.get("vault") or {}
    why = f" ({vault['detail']})" if vault.get("detail") and vault.get("state") != "unlocked" else ""
    backend = f" ({vault['backend']})" if vault.get("backend") else ""
    print(f"vault:   {vault.get('state', 'unknown')}{backend}{why}")
    worker = status.get("worker")
    if worker:  # a PostgreSQL history: this agent's worker of the shared execution queue
        takes = f"takes up to {worker['concurrency']} job(s) at once" if worker["concurrency"] else "takes no jobs"
        print(f"worker:  {takes}, {worker['taken']} taken since start (queue {worker['queue']!r})")
    running = status["running"]
    print(f"running: {len(running)} execution(s)")
    for item in running:
        print(f"  {item['id'][:8]}  {item['status']:<8} {item['playbook']}")
    return EXIT_OK


