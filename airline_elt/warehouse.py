"""The local warehouse: a private PostgreSQL cluster in the state folder.

Created and started on demand from the PostgreSQL server binaries, listening on
127.0.0.1 only, password-protected (a random password made at creation, kept
in the state folder with mode 0600). The server binaries refuse to run as
root: when this process is root they run as an unprivileged system user.
Durability settings are PostgreSQL's safe defaults (fsync, full page writes,
synchronous commit all on).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

from airline_elt.state import state_home
from airline_elt.warehouse_users import LANDING, USERS, ensure_users, migrate_ownership

DATABASE = "airlines"
SUPERUSER = "airline_elt"
BINDIR_ENV = "AIRLINE_ELT_PG_BINDIR"
UNPRIVILEGED_USERS = ("postgres", "nobody")
# The owner (a superuser) connects only to start the warehouse, under this application name:
# the pipeline's steps connect as the users by job (warehouse_users.py), never as the owner.
START_APPLICATION = "airline-elt warehouse start"


class WarehouseError(RuntimeError):
    """The local warehouse could not be created, started or stopped."""


@dataclass(frozen=True)
class Connection:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    def url(self) -> str:
        """A libpq connection URL, for psql, BI tools and psycopg."""
        return (
            f"postgresql://{quote(self.user)}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{quote(self.dbname)}"
        )

    def dbt_env(self) -> dict[str, str]:
        """The environment the generated dbt profile reads with env_var()."""
        return {
            "AIRLINE_ELT_PG_HOST": self.host,
            "AIRLINE_ELT_PG_PORT": str(self.port),
            "AIRLINE_ELT_PG_USER": self.user,
            "DBT_ENV_SECRET_PG_PASSWORD": self.password,
            "AIRLINE_ELT_PG_DBNAME": self.dbname,
        }


@dataclass
class _Settings:
    data_dir: str
    port: int
    password: str
    os_user: str | None
    # The users by job (airline_elt/warehouse_users.sql): their passwords, made on first start.
    user_passwords: dict[str, str] = field(default_factory=dict)


def _server_bindir() -> Path:
    configured = os.environ.get(BINDIR_ENV)
    if configured:
        candidates = [Path(configured)]
    else:
        versions = sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
            reverse=True,
        )
        candidates = versions
        on_path = shutil.which("postgres")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
    for bindir in candidates:
        if (bindir / "postgres").is_file() and (bindir / "initdb").is_file():
            return bindir
    raise WarehouseError(
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH). "
        "Install them with `sudo apt-get install postgresql` (or `make setup`), "
        f"or point {BINDIR_ENV} at the folder holding `postgres` and `initdb`."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _unprivileged_user() -> pwd.struct_passwd:
    for name in UNPRIVILEGED_USERS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise WarehouseError(
        "running as root, and no unprivileged user (postgres or nobody) exists to run "
        "the PostgreSQL server as"
    )


def _can_reach(user: pwd.struct_passwd, path: Path) -> bool:
    """Whether `user` can traverse every folder down to `path` (by permission bits)."""
    for folder in [*reversed(path.parents), path]:
        if not folder.exists():
            break
        st = folder.stat()
        if st.st_uid == user.pw_uid:
            ok = st.st_mode & 0o100
        elif st.st_gid == user.pw_gid:
            ok = st.st_mode & 0o010
        else:
            ok = st.st_mode & 0o001
        if not ok:
            return False
    return True


def _log_file(settings: _Settings) -> Path:
    """The server log, beside the data folder (where the server user can write)."""
    return Path(settings.data_dir).parent / "log" / "postgresql.log"


class Warehouse:
    """One private PostgreSQL cluster, in `<home>/warehouse/`."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home or state_home()
        self.folder = self.home / "warehouse"
        self.settings_file = self.folder / "warehouse.json"

    # -- public API ---------------------------------------------------------

    def start(self) -> Connection:
        """Create the cluster if needed and start it; a running one is left as it is."""
        with self._lock():
            settings = self._settings() or self._create()
            if not self._running(settings):
                self._clear_stale_pid(settings)
                if _port_in_use(settings.port):
                    settings.port = _free_port()
                    self._save(settings)
                self._pg_ctl(
                    settings,
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-l",
                    str(_log_file(settings)),
                    "-o",
                    f"-p {settings.port}",
                )
            self._ensure_database(settings)
            self._ensure_users(settings)
            return self._connection(settings)

    def start_as(self, user: str) -> Connection:
        """`start`, then the connection of one of the users by job (warehouse_users.USERS):
        what every command but `warehouse` connects as."""
        self.start()
        return self.connection(user)

    def stop(self) -> bool:
        """Stop the server cleanly (fast shutdown). Returns whether it was running."""
        with self._lock():
            settings = self._settings()
            if settings is None or not self._running(settings):
                return False
            self._pg_ctl(settings, "stop", "-w", "-t", "60", "-m", "fast")
            return True

    def is_running(self) -> bool:
        settings = self._settings()
        return settings is not None and self._running(settings)

    def exists(self) -> bool:
        return self._settings() is not None

    def connection(self, user: str | None = None) -> Connection:
        """Connection details of the cluster (it need not be running): as its owner, or as
        one of the users by job (warehouse_users.USERS), which `start` creates."""
        settings = self._settings()
        if settings is None:
            raise WarehouseError(
                f"no local warehouse in {self.folder} yet: run `airline-elt warehouse start`"
            )
        if user is not None and user not in settings.user_passwords:
            raise WarehouseError(
                f"no user {user} in this warehouse yet: run `airline-elt warehouse start`"
            )
        return self._connection(settings, user=user)

    def status(self) -> dict[str, object]:
        settings = self._settings()
        if settings is None:
            return {"exists": False, "running": False, "folder": str(self.folder)}
        return {
            "exists": True,
            "running": self._running(settings),
            "folder": str(self.folder),
            "data_dir": settings.data_dir,
            "port": settings.port,
            "log": str(_log_file(settings)),
        }

    # -- creation -----------------------------------------------------------

    def _create(self) -> _Settings:
        bindir = _server_bindir()
        self.folder.mkdir(parents=True, exist_ok=True)
        os_user = _unprivileged_user() if os.geteuid() == 0 else None
        data_dir = self.folder / "pgdata"
        if os_user is not None and not _can_reach(os_user, self.folder):
            # The server user cannot traverse down to the state folder (e.g. it is
            # under /root): keep the cluster in a folder of its own that it can reach.
            digest = hashlib.sha256(str(self.folder).encode()).hexdigest()[:16]
            data_dir = Path("/var/tmp/airline-elt") / digest / "pgdata"
        settings = _Settings(
            data_dir=str(data_dir),
            port=_free_port(),
            password=secrets.token_urlsafe(24),
            os_user=os_user.pw_name if os_user else None,
        )
        if data_dir.exists():
            shutil.rmtree(data_dir)
        data_dir.mkdir(parents=True, mode=0o700)
        _log_file(settings).parent.mkdir(parents=True, exist_ok=True)
        if os_user is not None:
            for path in (data_dir, data_dir.parent, _log_file(settings).parent):
                os.chown(path, os_user.pw_uid, os_user.pw_gid)
        with tempfile.NamedTemporaryFile("w", delete=False, dir=data_dir.parent) as pwfile:
            pwfile.write(settings.password + "\n")
        try:
            if os_user is not None:
                os.chown(pwfile.name, os_user.pw_uid, os_user.pw_gid)
            self._run_as_server_user(
                settings,
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data_dir),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile.name}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
            )
        finally:
            os.unlink(pwfile.name)
        with open(data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                "\n# airline-elt: a private cluster, reachable from this machine only.\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "max_connections = 50\n"
                "logging_collector = off\n"
            )
        self._save(settings)
        return settings

    def _ensure_database(self, settings: _Settings) -> None:
        import psycopg

        admin = self._connection(settings, dbname="postgres")
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(admin.url(), autocommit=True, connect_timeout=5,
                                     application_name=START_APPLICATION) as conn:
                    exists = conn.execute(
                        "select 1 from pg_database where datname = %s", (DATABASE,)
                    ).fetchone()
                    if not exists:
                        conn.execute(f'create database "{DATABASE}"')
                    return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise WarehouseError(
                        f"the warehouse started but refuses connections: {error}"
                    ) from error
                time.sleep(0.3)

    def _ensure_users(self, settings: _Settings) -> None:
        """The users by job and their grants (warehouse_users.sql), on every start: a warehouse
        made before them gets them, and the grants cover tables made since. What the owner made
        in raw and in dbt's schemas (a warehouse of an earlier version) goes to the user whose
        job it is; then the raw tables are made (or completed) as the landing user, so that a
        build before the first landing finds them (the dbt user may not create them)."""
        import psycopg

        from airline_landing.ddl import RAW_SCHEMA_EXISTS_SQL, raw_tables_ddl

        if set(settings.user_passwords) != set(USERS):
            settings.user_passwords = {
                user: settings.user_passwords.get(user) or secrets.token_urlsafe(24)
                for user in USERS
            }
            self._save(settings)
        with psycopg.connect(self._connection(settings).url(), autocommit=True,
                             application_name=START_APPLICATION) as conn:
            ensure_users(conn, DATABASE, settings.user_passwords)
            migrate_ownership(conn)
        landing = self._connection(settings, user=LANDING)
        with psycopg.connect(landing.url(), application_name=START_APPLICATION) as conn:
            [(schema_exists,)] = conn.execute(RAW_SCHEMA_EXISTS_SQL).fetchall()
            for statement in raw_tables_ddl("postgres", schema_exists=bool(schema_exists)):
                conn.execute(statement)

    # -- process control ----------------------------------------------------

    def _running(self, settings: _Settings) -> bool:
        data_dir = Path(settings.data_dir)
        pid = self._pid_in_lock_file(data_dir)
        return pid is not None and self._is_our_postmaster(pid, data_dir)

    @staticmethod
    def _pid_in_lock_file(data_dir: Path) -> int | None:
        try:
            first_line = (data_dir / "postmaster.pid").read_text().splitlines()[0]
            return int(first_line.strip())
        except (FileNotFoundError, IndexError, ValueError, PermissionError):
            return None

    @staticmethod
    def _is_our_postmaster(pid: int, data_dir: Path) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            return False
        return bool(cmdline) and cmdline[0].endswith(b"postgres") and (
            str(data_dir).encode() in cmdline
        )

    def _clear_stale_pid(self, settings: _Settings) -> None:
        """A crash leaves postmaster.pid behind; its pid may since belong to another process."""
        lock_file = Path(settings.data_dir) / "postmaster.pid"
        if lock_file.exists():
            lock_file.unlink()

    def _pg_ctl(self, settings: _Settings, *args: str) -> None:
        pg_ctl = _server_bindir() / "pg_ctl"
        self._run_as_server_user(settings, [str(pg_ctl), "-D", settings.data_dir, *args])

    def _run_as_server_user(self, settings: _Settings, command: list[str]) -> None:
        if settings.os_user is not None and os.geteuid() == 0:
            command = ["runuser", "-u", settings.os_user, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
        )
        if result.returncode != 0:
            log_tail = ""
            if _log_file(settings).exists():
                log_lines = _log_file(settings).read_text(errors="replace").splitlines()
                log_tail = "\n".join(log_lines[-15:])
            raise WarehouseError(
                f"`{' '.join(command)}` failed (exit {result.returncode}):\n"
                f"{result.stdout}{result.stderr}{log_tail}".rstrip()
            )

    # -- settings -----------------------------------------------------------

    def _settings(self) -> _Settings | None:
        try:
            raw = json.loads(self.settings_file.read_text())
        except FileNotFoundError:
            return None
        settings = _Settings(**raw)
        if not (Path(settings.data_dir) / "PG_VERSION").exists():
            return None
        return settings

    def _save(self, settings: _Settings) -> None:
        tmp = self.settings_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(asdict(settings), out, indent=2)
        os.replace(tmp, self.settings_file)

    def _connection(self, settings: _Settings, dbname: str = DATABASE,
                    user: str | None = None) -> Connection:
        """As the owner, or as one of the users by job (`user`)."""
        return Connection(
            host="127.0.0.1",
            port=settings.port,
            user=user or SUPERUSER,
            password=settings.user_passwords[user] if user else settings.password,
            dbname=dbname,
        )

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
