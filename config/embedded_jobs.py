"""The embedded run's stand-in for Celery beat.

`make run` has no broker, no worker and no beat: tasks run in-process (CELERY_TASK_ALWAYS_EAGER).
The daily and five-minute jobs of CELERY_BEAT_SCHEDULE (closing items after the evaluation
window, reminders, the pending e-mail and letter sweeps, purges …) would then never run, and old
demo items would stay 已答复 for ever. So the embedded server (`manage.py runserver`, see
proposals/management/commands/runserver.py) starts one background thread that runs every job of
that schedule once at start-up and then each at its own interval, in the server's own process.

Never with a broker (settings.EMBEDDED_JOBS is false there): production runs the one
`celery beat` of the deployment. Never twice at once: one thread per process, the jobs one
after another, and a file lock around each round so that two embedded servers on one machine
take turns (the sweeps claim their rows anyway, so a second round finds nothing to do).
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from celery import Celery
from celery.schedules import BaseSchedule, maybe_schedule
from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

# a beat schedule is checked at least this often (Celery beat's own default is 300 s)
MAX_SLEEP_SECONDS = 300.0


@dataclass
class Job:
    """One entry of the beat schedule and when it last ran (None: not yet)."""

    name: str
    task: str
    schedule: BaseSchedule
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    last_run_at: datetime | None = None

    def seconds_until_due(self) -> float:
        """0 when the job should run now; otherwise how long until it should."""
        if self.last_run_at is None:
            return 0.0
        due, next_check = self.schedule.is_due(self.last_run_at)
        return 0.0 if due else max(float(next_check), 0.0)


def jobs_of(schedule: Mapping[str, Mapping[str, Any]], app: Celery) -> list[Job]:
    """The jobs of a Celery beat schedule (CELERY_BEAT_SCHEDULE's shape: a task name and a
    schedule in seconds, a timedelta or a crontab, optional args and kwargs)."""
    return [
        Job(
            name=name,
            task=str(entry["task"]),
            schedule=maybe_schedule(entry["schedule"], app=app),  # type: ignore[arg-type]
            args=tuple(entry.get("args") or ()),
            kwargs=dict(entry.get("kwargs") or {}),
        )
        for name, entry in schedule.items()
    ]


class EmbeddedJobs:
    """Runs the jobs of a beat schedule in this process, each when it is due."""

    def __init__(self, app: Celery, schedule: Mapping[str, Mapping[str, Any]], lock_path: Path):
        # the apps' tasks.py, as a worker imports them at start (Celery's autodiscovery is lazy)
        app.autodiscover_tasks(force=True)
        self.app = app
        self.jobs = jobs_of(schedule, app)
        self.lock_path = lock_path
        self.round_lock = threading.Lock()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One round at a time in this process, and across processes on this machine."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with self.round_lock, self.lock_path.open("a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def run_due(self) -> list[str]:
        """Run every job that is due (all of them the first time), one after another; return
        the names of the jobs run. A failing job is logged and the others still run."""
        ran: list[str] = []
        with self._exclusive():
            for job in self.jobs:
                if job.seconds_until_due() > 0:
                    continue
                job.last_run_at = job.schedule.now()
                try:
                    self.app.tasks[job.task].apply(args=job.args, kwargs=job.kwargs, throw=True)
                except Exception:
                    logger.exception("embedded job %s (%s) failed", job.name, job.task)
                ran.append(job.name)
        return ran

    def seconds_until_next(self) -> float:
        waits = [job.seconds_until_due() for job in self.jobs]
        return min([MAX_SLEEP_SECONDS, *waits])

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            ran = self.run_due()
            if ran:
                logger.info("embedded jobs run: %s", ", ".join(ran))
            # this thread's database connections are nobody's request: none kept while asleep
            connections.close_all()
            stop.wait(max(self.seconds_until_next(), 1.0))


class EmbeddedJobsThread(threading.Thread):
    """The background thread of the embedded server; ends with it (daemon) or on stop()."""

    def __init__(self, jobs: EmbeddedJobs) -> None:
        super().__init__(name="embedded-jobs", daemon=True)
        self.jobs = jobs
        self.stopping = threading.Event()

    def run(self) -> None:
        self.jobs.run_forever(self.stopping)

    def stop(self, timeout: float | None = None) -> None:
        """Stop once the round running now, if any, is done."""
        self.stopping.set()
        self.join(timeout)


_thread: EmbeddedJobsThread | None = None
_start_lock = threading.Lock()


def start() -> EmbeddedJobsThread | None:
    """Start the thread that runs CELERY_BEAT_SCHEDULE in this process, once per process.
    None, and nothing started, when a broker is configured: Celery beat runs the schedule."""
    global _thread
    if not settings.EMBEDDED_JOBS:
        return None
    from config.celery import app

    with _start_lock:
        if _thread is None or not _thread.is_alive():
            lock_path = Path(settings.BASE_DIR) / "var" / "embedded-jobs.lock"
            _thread = EmbeddedJobsThread(EmbeddedJobs(app, app.conf.beat_schedule, lock_path))
            _thread.start()
        return _thread
