"""Deciding whether a running execution's owner is still alive."""

from __future__ import annotations

import os
import subprocess
import sys

from igtk_tui.store.owner import ProcessIdentity, owner_alive, process_start


def test_current_identity_is_this_process() -> None:
    me = ProcessIdentity.current()
    assert me.pid == os.getpid() and me.host and me.user
    assert me.start == process_start(os.getpid())


def test_this_process_is_alive_and_a_finished_one_is_dead() -> None:
    me = ProcessIdentity.current()
    assert owner_alive(me.host, me.pid, me.start, me)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    start = process_start(child.pid)
    child.wait()
    assert not owner_alive(me.host, child.pid, start, me)


def test_a_zombie_is_dead() -> None:
    me = ProcessIdentity.current()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie
        assert not owner_alive(me.host, child.pid, None, me)
    finally:
        child.wait()


def test_a_reused_pid_with_another_start_time_is_dead() -> None:
    me = ProcessIdentity.current()
    parent = os.getppid()
    assert owner_alive(me.host, parent, process_start(parent), me)
    assert not owner_alive(me.host, parent, "1", me)


def test_other_hosts_are_never_judged_and_missing_pids_are_dead() -> None:
    me = ProcessIdentity.current()
    assert owner_alive("another-host.example", 1, None, me)
    assert not owner_alive(me.host, None, None, me)
