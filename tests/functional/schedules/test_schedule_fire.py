"""Schedules firing in a real agent process as the scheduler's clock (a file) is moved: on time,
once, through Hub.start (history and `igtk ps` show `schedule: NAME`), with the overlap and
catch-up policies, across a DST night and a clock set back."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.agent import LONG, AgentHandle
from tests.support.playbooks import write_playbook
from tests.support.schedules import (
    QUICK,
    START,
    TestClock,
    add,
    at,
    execution,
    fires,
    scheduler_state,
    settle,
    wait_fire,
    wait_observed,
)
from tests.support.waiting import poll_until

MINUTE = 60.0


def test_a_schedule_every_minute_fires_on_time_once_per_minute(agent: AgentHandle, clock: TestClock,
                                                               tmp_path: Path) -> None:
    add(agent.home, "minutely", "--cron", "* * * * *", str(write_playbook(tmp_path, QUICK)), "--tz", "UTC")
    state = wait_observed(agent, START, schedules=1)
    first = START + 30  # 12:01:00
    assert state["schedules"][0]["next_due"] == first
    clock.set(first - 1)
    settle(agent, first - 1)
    assert fires(agent.home, "minutely") == []  # not a second early
    clock.set(first)
    fire = wait_fire(agent.home, "minutely", lambda f: f["outcome"] == "completed", what="the 12:01 fire")
    assert fire["due_at"] == first and fire["kind"] == "cron" and fire["execution_id"]
    ran = execution(agent.home, fire["execution_id"])
    assert ran["status"] == "completed" and ran["trigger"] == "schedule: minutely"
    clock.set(first + 40)
    settle(agent, first + 40)
    assert len(fires(agent.home, "minutely")) == 1  # 40 s later: still one fire
    clock.set(first + MINUTE)
    wait_fire(agent.home, "minutely", lambda f: f["due_at"] == first + MINUTE and f["outcome"] == "completed",
              what="the 12:02 fire")
    history = json.loads(agent.cli("history", "--json").stdout)
    assert [h["trigger"] for h in history] == ["schedule: minutely"] * 2
    assert [f["due_at"] for f in fires(agent.home, "minutely")] == [first, first + MINUTE]


def test_overlap_skip_queue_and_allow(agent: AgentHandle, clock: TestClock, tmp_path: Path) -> None:
    long = str(write_playbook(tmp_path, LONG, "long.yaml"))  # a 120 s nap: still running at the next minute
    for policy in ("skip", "queue", "allow"):
        add(agent.home, f"o-{policy}", "--cron", "* * * * *", long, "--tz", "UTC", "--overlap", policy)
    wait_observed(agent, START, schedules=3)
    first, second, third = START + 30, START + 90, START + 150
    clock.set(first)
    for policy in ("skip", "queue", "allow"):
        wait_fire(agent.home, f"o-{policy}", lambda f: f["outcome"] == "running", what=f"{policy}: first run")
    clock.set(second)
    skipped = wait_fire(agent.home, "o-skip", lambda f: f["due_at"] == second and f["outcome"] == "skipped",
                        what="skip: the second fire skipped")
    assert "still running (overlap: skip)" in skipped["message"]
    queued = wait_fire(agent.home, "o-queue", lambda f: f["due_at"] == second and f["outcome"] == "queued",
                       what="queue: the second fire waits")
    assert "overlap: queue" in queued["message"]
    both = wait_fire(agent.home, "o-allow", lambda f: f["due_at"] == second and f["outcome"] == "running",
                     what="allow: a second run at once")
    allow_runs = [f["execution_id"] for f in fires(agent.home, "o-allow")]
    running = {item["id"] for item in json.loads(agent.cli("ps", "--json").stdout)}
    assert set(allow_runs) <= running and both["execution_id"] in running
    clock.set(third)  # a third fire while one already waits: queue holds one
    held = wait_fire(agent.home, "o-queue", lambda f: f["due_at"] == third, what="queue: the third fire")
    poll_until(lambda: fires(agent.home, "o-queue")[2]["outcome"] == "skipped", what="queue: the third skipped")
    assert "already waits" in fires(agent.home, "o-queue")[2]["message"], held
    first_queue_run = fires(agent.home, "o-queue")[0]["execution_id"]
    assert agent.cli("cancel", first_queue_run).code == 0
    started = wait_fire(agent.home, "o-queue", lambda f: f["due_at"] == second and f["outcome"] == "running",
                        what="queue: the waiting fire starts once the first run ended")
    assert started["execution_id"] != first_queue_run and started["message"] is None
    assert execution(agent.home, started["execution_id"])["trigger"] == "schedule: o-queue"


def test_catch_up_skip_and_once_after_the_agent_was_down(agent: AgentHandle, clock: TestClock,
                                                         tmp_path: Path) -> None:
    quick = str(write_playbook(tmp_path, QUICK))
    add(agent.home, "hourly-skip", "--cron", "0 * * * *", quick, "--tz", "UTC", "--catch-up", "skip")
    add(agent.home, "hourly-once", "--cron", "0 * * * *", quick, "--tz", "UTC", "--catch-up", "once")
    wait_observed(agent, START, schedules=2)
    assert agent.cli("agent", "stop").code == 0
    back = clock.set(at("UTC", 2026, 6, 1, 15, 10))  # down over 13:00, 14:00 and 15:00
    agent = AgentHandle.start(agent.home)
    try:
        settle(agent, back)
        skip = fires(agent.home, "hourly-skip")
        assert [f["outcome"] for f in skip] == ["missed"]
        assert skip[0]["message"].startswith("missed 3 fire time(s)") and "catch-up: skip" in skip[0]["message"]
        once = fires(agent.home, "hourly-once")
        assert sorted(f["outcome"] for f in once) == ["completed", "missed"]
        (ran,) = [f for f in once if f["outcome"] == "completed"]
        assert ran["kind"] == "catch-up" and ran["due_at"] == at("UTC", 2026, 6, 1, 15, 0)
        assert "missed 2 fire time(s)" in next(f for f in once if f["outcome"] == "missed")["message"]
        later = clock.set(at("UTC", 2026, 6, 1, 15, 59))
        settle(agent, later)  # nothing more before 16:00
        assert len(fires(agent.home, "hourly-skip")) == 1 and len(fires(agent.home, "hourly-once")) == 2
    finally:
        from tests.support.agent import stop_agent

        stop_agent(agent)


def test_a_dst_night_and_a_clock_set_back_neither_double_fire_nor_skip(agent: AgentHandle, clock: TestClock,
                                                                       tmp_path: Path) -> None:
    quick = str(write_playbook(tmp_path, QUICK))
    night = clock.set(at("Europe/Berlin", 2026, 10, 25, 1, 50))  # CEST; at 03:00 CEST it is 02:00 CET again
    add(agent.home, "quarter", "--cron", "*/15 * * * *", quick, "--tz", "Europe/Berlin")
    add(agent.home, "nightly", "--cron", "30 2 * * *", quick, "--tz", "Europe/Berlin")
    wait_observed(agent, night, schedules=2)
    now, jumped = night, False
    end = at("Europe/Berlin", 2026, 10, 25, 3, 20)  # CET: two and a half real hours later
    while now < end:
        now = clock.set(now + 5 * MINUTE)
        settle(agent, now)
        if not jumped and now == night + 70 * MINUTE:  # 02:00 CET (second pass): set the clock back 40 minutes
            jumped = True
            now = clock.set(now - 40 * MINUTE)
            settle(agent, now)
    quarters = [f["due_at"] for f in fires(agent.home, "quarter")]
    expected = [at("Europe/Berlin", 2026, 10, 25, h, m, fold=fold) for h, m, fold in (
        (2, 0, 0), (2, 15, 0), (2, 30, 0), (2, 45, 0), (2, 0, 1), (2, 15, 1), (2, 30, 1), (2, 45, 1), (3, 0, 0),
        (3, 15, 0))]
    assert quarters == expected  # every real quarter hour once, the repeated hour included, none twice
    assert [f["due_at"] for f in fires(agent.home, "nightly")] == [at("Europe/Berlin", 2026, 10, 25, 2, 30)]
    assert {f["outcome"] for f in fires(agent.home, "quarter") + fires(agent.home, "nightly")} == {"completed"}
    assert scheduler_state(agent)["fires_in_flight"] == 0


def test_the_gateway_lock_waits_or_skips_while_another_run_targets_the_gateway(
        agent: AgentHandle, clock: TestClock, tmp_path: Path) -> None:
    gateway = "http://gw-lock.example:8088"
    long, quick = str(write_playbook(tmp_path, LONG, "long.yaml")), str(write_playbook(tmp_path, QUICK, name="quick.yaml"))
    busy = agent.detach(Path(long), "--gateway", gateway + "/")  # the same gateway, written another way
    add(agent.home, "lock-skip", "--cron", "* * * * *", quick, "--tz", "UTC", "--gateway", gateway,
        "--gateway-lock", "--overlap", "skip")
    add(agent.home, "lock-wait", "--cron", "* * * * *", quick, "--tz", "UTC", "--gateway", gateway,
        "--gateway-lock", "--overlap", "queue")
    add(agent.home, "no-lock", "--cron", "* * * * *", quick, "--tz", "UTC", "--gateway", gateway)
    wait_observed(agent, START, schedules=3)
    clock.set(START + 30)
    skipped = wait_fire(agent.home, "lock-skip", lambda f: f["outcome"] == "skipped", what="lock-skip skipped")
    assert f"execution {busy[:8]}" in skipped["message"] and "gateway lock" in skipped["message"]
    waiting = wait_fire(agent.home, "lock-wait", lambda f: f["outcome"] == "queued", what="lock-wait waits")
    assert "is busy" in waiting["message"]
    wait_fire(agent.home, "no-lock", lambda f: f["outcome"] == "completed", what="no-lock runs at once")
    assert fires(agent.home, "lock-wait")[0]["outcome"] == "queued"
    assert agent.cli("cancel", busy).code == 0
    ran = wait_fire(agent.home, "lock-wait", lambda f: f["outcome"] == "completed",
                    what="lock-wait runs once the gateway is free")
    assert execution(agent.home, ran["execution_id"])["trigger"] == "schedule: lock-wait"
