"""What the chaos run starts and breaks: a PostgreSQL cluster and a Redis of its own (so restarting them never
disturbs anyone else's), the app's processes as deployed (gunicorn, two `qcluster`, two `run_sweeper`), and
the provider sandbox, whose emulators live in this process so it can be stopped and started with its state.

Every child runs in a process group of its own and is ended by its own id, whatever happened.
"""

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.common import ROOT, free_port, wait_for_http


def run(args, **kwargs) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60, **kwargs)


def pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl") or shutil.which("initdb")
    if pg_ctl:
        return Path(pg_ctl).parent
    raise RuntimeError("The chaos run needs PostgreSQL's initdb and pg_ctl (apt-get install postgresql).")


class PrivatePostgres:
    """A throwaway cluster on a free loopback port, trust auth, in the run's scratch folder."""

    def __init__(self, scratch: Path):
        self.bin = pg_bindir()
        self.dir = scratch / "pg"
        self.port = free_port()
        self.log = scratch / "postgres.log"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/chaos"

    def pg_ctl(self, *args: str) -> None:
        run([*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.dir), "-w", "-t", "60", *args])

    def start(self) -> None:
        if not self.dir.exists():
            self.dir.mkdir()
            self.log.touch()
            if self.as_postgres:  # initdb refuses to run as root
                shutil.chown(self.dir, "postgres")
                shutil.chown(self.log, "postgres")
            run([*self.as_postgres, str(self.bin / "initdb"), "-D", str(self.dir), "-U", "postgres", "-A", "trust"])
            with open(self.dir / "postgresql.conf", "a") as conf:
                conf.write(
                    f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                    # fsync off loses nothing when only PostgreSQL crashes (the OS keeps what was written);
                    # synchronous_commit stays on: off, a crash loses commits the app has already answered for.
                    "fsync = off\nmax_connections = 200\n"
                )
        self.pg_ctl("-l", str(self.log), "start")
        run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "chaos"])

    def restart(self, mode: str = "fast") -> None:
        """`fast` ends every session cleanly; `immediate` is a crash (recovery from the WAL on start)."""
        self.pg_ctl("-m", mode, "-l", str(self.log), "restart")

    def stop(self) -> None:
        if (self.dir / "postmaster.pid").exists():
            try:
                self.pg_ctl("-m", "immediate", "stop")
            except (subprocess.SubprocessError, OSError) as exc:
                print(f"  (could not stop the private PostgreSQL: {exc})", file=sys.stderr)


class PrivateRedis:
    """A redis-server of the run's own, without persistence: a restart loses the queue and the cache."""

    def __init__(self, scratch: Path):
        self.port = free_port()
        self.log = scratch / "redis.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if not server:
            raise RuntimeError("The chaos run needs redis-server (apt-get install redis-server).")
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        cli = shutil.which("redis-cli") or "redis-cli"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            probe = subprocess.run([cli, "-p", str(self.port), "ping"], capture_output=True, text=True, check=False)
            if "PONG" in probe.stdout:
                return
            time.sleep(0.1)
        raise RuntimeError("The private redis-server did not answer.")

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


class AppProcesses:
    """gunicorn, the workers and the sweepers, by name, each startable, killable and restartable."""

    def __init__(self, scratch: Path, env: dict, web_port: int):
        self.scratch, self.env, self.web_port = scratch, env, web_port
        manage = [sys.executable, "manage.py"]
        self.commands = {
            "web": [
                sys.executable,
                "-m",
                "gunicorn",
                "mlconnector.wsgi",
                "--bind",
                f"127.0.0.1:{web_port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
                "--timeout",
                "60",
            ],
            "qcluster-a": [*manage, "qcluster"],
            "qcluster-b": [*manage, "qcluster"],
            "sweeper-a": [*manage, "run_sweeper"],
            "sweeper-b": [*manage, "run_sweeper"],
        }
        self.children: dict[str, subprocess.Popen] = {}
        self.exits: list[tuple[str, int]] = []  # children found ended without being killed by the run

    def start(self, name: str) -> None:
        with open(self.scratch / f"{name}.log", "a") as log:
            self.children[name] = subprocess.Popen(
                self.commands[name],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if name == "web":
            wait_for_http(f"http://127.0.0.1:{self.web_port}/bench/bare/", timeout=60)

    def start_all(self) -> None:
        for name in self.commands:
            self.start(name)

    def kill(self, name: str) -> None:
        """SIGKILL to the whole process group, as a machine that dies takes the cluster's forked workers too."""
        child = self.children.get(name)
        if child is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(10)

    def check(self) -> None:
        """Restart any child that ended by itself (and remember it: a process that dies is a finding)."""
        for name, child in list(self.children.items()):
            code = child.poll()
            if code is not None:
                self.exits.append((name, code))
                self.start(name)

    def stop_all(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in self.children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(max(0.1, deadline - time.monotonic()))
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait(5)
        self.children.clear()

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.scratch / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Sandbox:
    """Every emulator on one loopback port; `stop()` closes the port (calls are refused), `start()` opens it
    again on the same port with the emulators' state as it was, since the emulators live here."""

    def __init__(self, port: int):
        from connections.sandbox.base import Journal
        from connections.sandbox.registry import build_emulators

        self.port = port
        self.emulators = build_emulators()
        for emulator in self.emulators.values():
            emulator.journal = Journal(emulator.clock, maxlen=1_000_000)
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        from connections.sandbox.server import SandboxServer

        self.server = SandboxServer(self.emulators, port=self.port).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __getitem__(self, slug: str):
        return self.emulators[slug]
