"""Helpers of the fault tests (tests/test_faults.py): private servers a test may stop, and real
Celery worker processes it may kill.

Nothing here touches the PostgreSQL and Redis that tests/services.sh started for the whole
suite; every server is the test's own, on a spare loopback port, in a temporary directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from .test_jobs_integration import RedisServer, use_broker, wait_for

__all__ = [
    "CeleryWorker",
    "PrivatePostgres",
    "RedisServer",
    "need_binary",
    "spare_port",
    "use_broker",
    "wait_for",
]

ROOT = Path(__file__).resolve().parent.parent


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def unavailable(reason: str) -> None:
    """Skip on a developer machine; fail under CI so that a broken CI image never passes."""
    if _in_ci():
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def need_binary(name: str) -> str:
    path = shutil.which(name)
    if not path:
        unavailable(f"fault tests need {name}; run 'make system-deps'")
    return path or ""


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin() -> Path:
    """The directory of initdb/pg_ctl, found as tests/services.sh finds it."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if bindir and (Path(bindir) / "initdb").exists():
            return Path(bindir)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parent.name.split(".")],
    )
    for directory in reversed(candidates):
        if (directory / "initdb").exists():
            return directory
    unavailable("fault tests need the PostgreSQL server binaries (initdb); run 'make system-deps'")
    raise AssertionError  # unreachable


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, which it may restart. initdb and pg_ctl refuse to
    run as root, so as root they run as the `postgres` system user (as tests/services.sh does)."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        # not under pytest's tmp_path: that is private to root, and the server runs as postgres
        self.workdir = Path(tempfile.mkdtemp(prefix="jianyi-faults-pg."))
        self.data = self.workdir / "pg"
        self.log = self.workdir / "postgres.log"
        self.port = spare_port()
        self.as_root = os.geteuid() == 0
        self.started = False

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)

    def start(self) -> None:
        if self.as_root:
            shutil.chown(self.workdir, "postgres", "postgres")
        done = self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.data}'\n"
                "fsync = off\nfull_page_writes = off\n"
            )
        self.started = True
        done = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", f"-p {self.port}",
            "-w", "-t", "30", "start",
        )  # fmt: skip
        assert done.returncode == 0, self.log.read_text() if self.log.exists() else done.stderr

    def restart(self) -> float:
        """`pg_ctl restart -m fast`: open sessions are cut off. Returns the seconds it took."""
        began = time.monotonic()
        done = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", f"-p {self.port}",
            "-m", "fast", "-w", "-t", "30", "restart",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return time.monotonic() - began

    def stop(self) -> None:
        """Stop the server and delete its data."""
        if self.started:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.started = False
        shutil.rmtree(self.workdir, ignore_errors=True)

    def copy_database(self, source: dict[str, object], name: str) -> None:
        """Create database `name` here as a copy (schema and rows) of the `source` database
        (a Django settings_dict): faster than running every migration again."""
        client_env = {**os.environ, "PGPASSWORD": str(source.get("PASSWORD") or "")}
        created = subprocess.run(
            [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
             "postgres", name],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        dump = subprocess.Popen(
            [str(self.bin / "pg_dump"), "--no-owner", "--no-privileges",
             "-h", str(source["HOST"]), "-p", str(source["PORT"]), "-U", str(source["USER"]),
             str(source["NAME"])],
            stdout=subprocess.PIPE, env=client_env,
        )  # fmt: skip
        restore = subprocess.run(
            [str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.port), "-U", "postgres", "-d", name],
            stdin=dump.stdout, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert dump.stdout is not None
        dump.stdout.close()
        assert dump.wait(timeout=60) == 0 and restore.returncode == 0, restore.stderr


class CeleryWorker:
    """`celery worker` in a process group of its own (prefork, one pool process, as in
    production but smaller), run through tests/fault_worker.py."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fault_worker", "worker", "-l", "warning", "-c", "1",
             "-P", "prefork", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.process.pid

    def pool_children(self) -> list[int]:
        """Pids of the pool processes (children of the main worker process)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                children.append(int(stat.parent.name))
        return children

    def kill_all(self) -> None:
        """SIGKILL the main process and its pool at once, as an OOM kill of the container or a
        power cut would: nothing gets to reject or acknowledge anything."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""
