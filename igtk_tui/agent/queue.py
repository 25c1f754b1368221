"""The execution queue of agents that share a PostgreSQL history: procrastinate jobs and workers.

Why procrastinate: a queue in PostgreSQL (jobs taken with SELECT ... FOR UPDATE SKIP LOCKED,
LISTEN/NOTIFY to wake workers, a worker table with heartbeats, stalled-job detection) is what
several agents on several hosts need, and writing one by hand is how jobs get lost or run
twice. Each agent with `store_url` set opens one `WorkQueue`: it applies procrastinate's schema
once (under an advisory lock, in the same database as the history), runs one worker inside the
agent process taking up to `worker_concurrency` jobs at once (0: this agent coordinates and
queues but runs none), and defers jobs for the fleet runs it coordinates (agent/fleets.py).

A job runs through the agent's hub (agent/jobs.py). What happens when an agent dies with jobs
in hand (docs/workers.md): its worker's heartbeat stops; after `worker_stalled_after` seconds
any other agent's reaper finds its jobs stalled, marks their executions `interrupted` (steps
finished before stay finished: they were committed one by one), their fleet gateways
`interrupted`, frees their gateway locks and marks the jobs failed. Nothing is retried
automatically: a step that was half done on a gateway is the operator's call; `igtk resume ID`
(on any host) continues the execution from its first unfinished step. The host that ran it
reaches the same verdict without waiting when igtk starts there again (crash recovery).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from igtk_tui.agent.hub import Hub, LiveExecution
from igtk_tui.agent.jobs import ExecutionJob, Outcome, run_job

log = logging.getLogger(__name__)

QUEUE = "igtk"
TASK = "igtk.execute"
KEEP_ENDED_JOBS_HOURS = 7 * 24  # ended jobs kept for diagnosis (their executions are in the history)
PRUNE_EVERY = 3600.0  # seconds between removals of older ended jobs
SCHEMA_LOCK = 0x69677471  # "igtq": the advisory lock held while procrastinate's schema is applied


def ensure_schema(location: Any) -> bool:
    """Apply procrastinate's schema when the database has none yet; True when it was applied."""
    from procrastinate.schema import SchemaManager

    from igtk_tui.store.postgres import connect

    raw = connect(location)
    try:
        if raw.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0] is not None:
            return False
        raw.execute("BEGIN")
        try:
            raw.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            if raw.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0] is not None:
                raw.execute("ROLLBACK")
                return False  # another agent applied it meanwhile
            raw.execute(SchemaManager.get_schema())
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        return True
    finally:
        raw.close()


class FleetRecordReporter:
    """A queued fleet gateway reports to the fleet record (the coordinator reads it from there)."""

    def __init__(self, store: Any, job: ExecutionJob) -> None:
        self.store = store
        self.job = job

    async def started(self, live: LiveExecution) -> None:
        if self.job.fleet_run_id is not None and self.job.position is not None:
            await self.store.fleets.member_execution(self.job.fleet_run_id, self.job.position, live.id)

    async def finished(self, outcome: Outcome) -> None:
        if self.job.fleet_run_id is not None and self.job.position is not None:
            await self.store.fleets.member_finished(self.job.fleet_run_id, self.job.position, outcome.status,
                                                    error=outcome.error, reason=outcome.reason)


class WorkQueue:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        settings = hub.runtime.settings
        self.concurrency = max(0, int(settings.worker_concurrency or 0))
        self.heartbeat = float(settings.worker_heartbeat)
        # A worker is judged dead only after missing at least two heartbeats.
        self.stalled_after = max(float(settings.worker_stalled_after), 2 * self.heartbeat)
        self.app: Any = None
        self.task: Any = None
        self.worker: Any = None
        self.taken = 0  # jobs this agent's worker has taken since it started
        self._worker_task: asyncio.Task[None] | None = None
        self._reaper: asyncio.Task[None] | None = None

    async def open(self) -> None:
        import procrastinate

        from igtk_tui.store.postgres import connect_kwargs

        location = self.hub.runtime.store_location()
        if await asyncio.to_thread(ensure_schema, location):
            log.warning("the execution queue's tables were created in %s", location.display)
        # The login of the store (a vault credential's password included); procrastinate sets its own
        # autocommit and row factory.
        kwargs = {k: v for k, v in connect_kwargs(location).items() if k not in ("row_factory", "autocommit")}
        kwargs["application_name"] = "igtk-worker"
        connector = procrastinate.PsycopgConnector(conninfo=location.url, kwargs=kwargs, min_size=1, max_size=4,
                                                  name="igtk-queue")
        self.app = procrastinate.App(connector=connector)
        self.task = self.app.task(name=TASK, queue=QUEUE, pass_context=True)(self._execute)
        await self.app.open_async()
        if self.concurrency:
            from procrastinate.worker import Worker

            self.worker = Worker(self.app, queues=[QUEUE], name=_worker_name(),
                                 concurrency=self.concurrency, install_signal_handlers=False,
                                 update_heartbeat_interval=self.heartbeat, stalled_worker_timeout=self.stalled_after,
                                 delete_jobs="successful", listen_notify=True, fetch_job_polling_interval=5.0)
            self._worker_task = asyncio.create_task(self.worker.run(), name="igtk-worker")
        self._reaper = asyncio.create_task(self._reap_loop(), name="igtk-worker-reaper")

    async def enqueue(self, job: ExecutionJob) -> int:
        """Defer one job; returns its id (a todo job can still be cancelled with `cancel`)."""
        job_id: int = await self.task.defer_async(request=job.to_json())
        return job_id

    async def cancel(self, job_id: int) -> bool:
        """Cancel a job no worker has taken yet; False once one has."""
        try:
            return bool(await self.app.job_manager.cancel_job_by_id_async(job_id))
        except Exception as exc:  # noqa: BLE001 - the agent stopping must not fail on it
            log.warning("could not cancel queued job %s: %s", job_id, exc)
            return False

    def state(self) -> dict[str, Any]:
        return {"queue": QUEUE, "concurrency": self.concurrency, "worker_id": getattr(self.worker, "worker_id", None),
                "taken": self.taken, "heartbeat": self.heartbeat, "stalled_after": self.stalled_after}

    async def stop_taking(self) -> None:
        """No further job is taken (the agent is stopping); jobs in hand end with their executions."""
        if self.worker is not None:
            self.worker.stop()

    async def close(self) -> None:
        await self.stop_taking()
        for task in (self._worker_task, self._reaper):
            if task is None:
                continue
            if task is self._reaper:
                task.cancel()
            try:
                await asyncio.wait_for(asyncio.shield(task), 30)
            except (asyncio.CancelledError, TimeoutError):
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            except Exception:  # noqa: BLE001 - the worker's own failure was logged by it
                log.exception("the worker ended with an error")
        if self.app is not None:
            await self.app.close_async()

    # -- one job -----------------------------------------------------------------------------
    async def _execute(self, context: Any, request: dict[str, Any]) -> None:
        job = ExecutionJob.from_json(request)
        self.taken += 1
        store = await self.hub.runtime.open_store()
        if job.fleet_run_id is not None and job.position is not None:
            summary = await store.fleets.summary(job.fleet_run_id)
            if summary is None or summary.status != "running":
                await store.fleets.skip(job.fleet_run_id, [job.position],
                                        "not started: the fleet run had ended before a worker took it")
                return
        outcome = await run_job(self.hub, job, FleetRecordReporter(store, job))
        log.info("job %s (%s) ended %s", context.job.id, job.trigger, outcome.status)

    # -- stalled jobs of dead agents ----------------------------------------------------------------
    async def _reap_loop(self) -> None:
        pruned = 0.0
        while True:
            try:
                await self.reap()
                if time.monotonic() - pruned > PRUNE_EVERY:
                    pruned = time.monotonic()
                    await self.app.job_manager.delete_old_jobs(nb_hours=KEEP_ENDED_JOBS_HOURS, queue=QUEUE,
                                                               include_failed=True, include_cancelled=True,
                                                               include_aborted=True)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a database hiccup: try again at the next beat
                log.exception("looking for stalled jobs failed")
            await asyncio.sleep(self.heartbeat)  # the reaper's period (a product behaviour)

    async def reap(self) -> int:
        """Jobs whose worker stopped sending heartbeats: executions `interrupted`, jobs failed."""
        from procrastinate.jobs import Status

        stalled = await self.app.job_manager.get_stalled_jobs(queue=QUEUE, task_name=TASK,
                                                               seconds_since_heartbeat=self.stalled_after)
        store = await self.hub.runtime.open_store()
        done = 0
        for job in stalled:
            request = ExecutionJob.from_json(job.task_kwargs.get("request"))
            why = (f"interrupted: the worker that ran it stopped sending heartbeats for over "
                   f"{self.stalled_after:g} s (its agent died or lost the database)")
            marked = await store.fleets.interrupt_queued(request.fleet_run_id, request.position, why)
            try:
                await self.app.job_manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
            except Exception as exc:  # noqa: BLE001 - another agent's reaper got there first
                log.info("stalled job %s already finished: %s", job.id, exc)
                continue
            done += 1
            log.warning("job %s was stalled (its worker died): execution %s marked interrupted", job.id,
                        marked or "(none started)")
        return done


def _worker_name() -> str:
    from igtk_tui.store.owner import ProcessIdentity

    me = ProcessIdentity.current()
    return f"igtk-agent-{me.host}-{me.pid}"
