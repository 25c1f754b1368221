"""A real PostgreSQL server for the tests and benchmarks, started from Debian's binaries.

Why this shape: the store must be proven on the server it will meet, not a double.
initdb refuses to run as root (we run as root here and in CI), so the server runs as
an unprivileged user (`postgres`, which the Debian package creates, else `nobody`)
in a temporary folder it owns, listening on a Unix socket in that folder and on a
free localhost port with password authentication (the tests connect like a
jump host would). Every test gets a fresh database (`fresh_database`).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROLE = "igtk"


class PostgresUnavailable(RuntimeError):
    pass


def find_binaries() -> Path:
    """The folder holding initdb, pg_ctl and postgres (the newest Debian version first)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    for folder in candidates:
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    initdb = shutil.which("initdb")
    if initdb:
        folder = Path(os.path.realpath(initdb)).parent
        if (folder / "pg_ctl").is_file():
            return folder
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH: "
        "install the Debian package `postgresql` (apt-get install postgresql; .ci/run does it)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    def __init__(self, *, fsync: bool = False) -> None:
        self.bin = find_binaries()
        self.fsync = fsync
        self.password = "pg-" + secrets.token_hex(12)
        self.root = Path(tempfile.mkdtemp(prefix="igtk-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self._user: str | None = None
        self._counter = 0

    # -- running as the server's user -----------------------------------------------------------
    def _as_server_user(self, args: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return args
        assert self._user is not None
        runner = shutil.which("runuser")
        if runner:
            return [runner, "-u", self._user, "--", *args]
        account = pwd.getpwnam(self._user)
        return ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--init-groups", *args]

    def _run(self, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self._as_server_user(args), capture_output=True, text=True, cwd=self.root,
                              timeout=120, **kwargs)  # type: ignore[call-overload]
        if proc.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(args[:2])} failed ({proc.returncode}): {proc.stderr or proc.stdout}")
        return proc

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    account = pwd.getpwnam(name)
                except KeyError:
                    continue
                self._user = name
                os.chown(self.root, account.pw_uid, account.pw_gid)
                break
            else:
                raise PostgresUnavailable("running as root and neither user `postgres` nor `nobody` exists")
        self.root.chmod(0o700)
        pwfile = self.root / "superuser.pw"
        pwfile.write_text(self.password + "\n")
        if self._user:
            account = pwd.getpwnam(self._user)
            os.chown(pwfile, account.pw_uid, account.pw_gid)
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--pwfile", str(pwfile),
                   "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                   "--no-sync", "--no-instructions"])
        pwfile.unlink()
        for attempt in range(5):
            self.port = _free_port()
            options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=300 "
                       f"-c shared_buffers=32MB -c fsync={'on' if self.fsync else 'off'} "
                       f"-c full_page_writes={'on' if self.fsync else 'off'}")
            try:
                self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                           "-o", options, "-w", "-t", "60", "start"])
                break
            except PostgresUnavailable:
                if attempt == 4:
                    log = (self.root / "server.log")
                    raise PostgresUnavailable("the test PostgreSQL server did not start: "
                                              + (log.read_text()[-2000:] if log.exists() else "no log")) from None
                time.sleep(0.2)  # the free port was taken meanwhile: pick another
        self.admin_sql(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{self.password}'")
        return self

    def stop(self) -> None:
        if self.data.exists():
            try:
                self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
            except (PostgresUnavailable, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases ------------------------------------------------------------------------------
    def url(self, database: str, *, password: bool = True) -> str:
        secret = f":{self.password}" if password else ""
        return f"postgresql://{ROLE}{secret}@127.0.0.1:{self.port}/{database}"

    def admin_sql(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(host=str(self.root), port=self.port, user="postgres", dbname=database,
                             autocommit=True) as conn:
            conn.execute(sql)

    def fresh_database(self, prefix: str = "t") -> str:
        self._counter += 1
        name = f"{prefix}_{os.getpid()}_{self._counter}"
        self.admin_sql(f"CREATE DATABASE {name} OWNER {ROLE} TEMPLATE template0")
        return name

    def drop_database(self, name: str) -> None:
        self.admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
