"""The default image catalog: well-known images and the demo's own, with the presets scenarios build on.

- `nginx`, `httpd`, `caddy`, `traefik`: HTTP on 80 (traefik also 8080), `/` is 200, other paths
  404; nginx prints its entrypoint's startup lines and access logs (probes included).
  `nginxinc/nginx-unprivileged`, `bitnami/nginx`: the same on 8080.
- `redis`, `valkey/valkey`, `memcached`, `mongo`, `rabbitmq`: TCP listeners (6379, 11211, 27017, 5672).
- `postgres`, `mysql`, `mariadb`: TCP on 5432/3306; they exit 1 at once, with the image's own
  message, without POSTGRES_PASSWORD / MYSQL_ROOT_PASSWORD.
- `busybox`, `alpine`, `ubuntu`, `debian`, `bash`, ...: the command runs in the tiny shell (the
  default `sh` exits 0 at once); `python`, `node`, `ruby`: the interpreter exits 0 without a script
  and serves the declared ports with one; `registry.k8s.io/pause` sleeps forever.
- `kaido/web`, `web`, `api`, and `frontend`, `backend`, `agent`, `mcp`, `mcp-server` under any
  registry or prefix (`acme/backend`, `chatbot-backend`): a web service on the declared ports
  (8080 without any), every path 200 (`/health`, `/ready` too), access logs, 10 ms CPU a request.
- `kaido/crasher`: that web service, but it exits 1 with "DEPLOY_ENV is not set" unless it is set.
- `kaido/cert-expired`: exits 1 after 1.5 s with "x509: certificate has expired or is not yet valid".
- `kaido/db-client`: exits 1 after 5 s with "dial tcp 10.96.112.7:5432: connect: connection refused".
- `kaido/leak`: a web service whose working set grows 1 MiB/s from 48 MiB until its limit kills it.
- `kaido/slow`: a web service that listens after 10 s and answers `/ready` with 200 only after 30 s.

Any image with a tag ending in `-bad` crashes with a Go panic 4 s after its start (see `catalog`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final

from kaido.sim.behaviour.catalog import ImageCatalog, ImageEntry
from kaido.sim.behaviour.services import MI, Crash, Service

__all__ = ["PRESETS", "default_catalog", "default_entries"]

_NGINX_LINES: Final = (
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
    '{nginx_time} [notice] 1#1: using the "epoll" event method',
    "{nginx_time} [notice] 1#1: nginx/{version}",
    "{nginx_time} [notice] 1#1: OS: Linux 6.8.0-60-generic",
    "{nginx_time} [notice] 1#1: start worker processes",
    "{nginx_time} [notice] 1#1: start worker process 29",
)
_REDIS_LINES: Final = (
    "1:C {redis_time} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
    "1:C {redis_time} * Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, just started",
    "1:C {redis_time} # Warning: no config file specified, using the default config.",
    "1:M {redis_time} * Running mode=standalone, port=6379.",
    "1:M {redis_time} * Server initialized",
    "1:M {redis_time} * Ready to accept connections tcp",
)
_POSTGRES_MISSING: Final = (
    "Error: Database is uninitialized and superuser password is not specified.",
    "       You must specify POSTGRES_PASSWORD to a non-empty value for the",
    '       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".',
)
_MYSQL_MISSING: Final = (
    "{time} 0 [ERROR] [Entrypoint]: Database is uninitialized and password option is not specified",
    "    You need to specify one of the following as an environment variable:",
    "    - MYSQL_ROOT_PASSWORD",
    "    - MYSQL_ALLOW_EMPTY_PASSWORD",
    "    - MYSQL_RANDOM_ROOT_PASSWORD",
)
_WEB_LINES: Final = ("{time} INFO starting {image_name} version={tag}", "{time} INFO listening on :{port}")

NGINX: Final = Service(
    name="nginx",
    ports=(80,),
    paths={"/": 200, "/index.html": 200},
    startup=_NGINX_LINES,
    memory=8 * MI,
    cpu=0.001,
    cpu_per_request=0.0005,
    access_log="nginx",
    termination_code=0,
    programs={"curl": "<!DOCTYPE html>", "wget": "<!DOCTYPE html>"},
)
WEB: Final = Service(name="web", startup=_WEB_LINES, memory=96 * MI, cpu=0.005, cpu_per_request=0.01)
REDIS: Final = Service(
    name="redis",
    ports=(6379,),
    http=False,
    startup=_REDIS_LINES,
    memory=4 * MI,
    cpu=0.002,
    cpu_per_request=0.0002,
    access_log="",
    termination_code=0,
    programs={"redis-cli": "PONG"},
)
POSTGRES: Final = Service(
    name="postgres",
    ports=(5432,),
    http=False,
    listen_after=2.0,
    startup=("{pg_time} [1] LOG:  starting PostgreSQL {version} on x86_64-pc-linux-gnu",),
    ready_line='{pg_time} [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432',
    requires_env=("POSTGRES_PASSWORD",),
    missing_env=_POSTGRES_MISSING,
    memory=40 * MI,
    access_log="",
    termination_code=0,
    programs={"pg_isready": "/var/run/postgresql:5432 - accepting connections"},
)


def _tcp(name: str, port: int, memory: int) -> Service:
    return Service(name=name, ports=(port,), http=False, memory=memory * MI, access_log="", termination_code=0)


def _web(name: str, **changes: Any) -> Service:
    return replace(WEB, name=name, **changes)


CRASHER: Final = _web(
    "crasher",
    requires_env=("DEPLOY_ENV",),
    missing_env=("{time} INFO starting {image_name} version={tag}", "{time} FATAL {var} is not set"),
)
LEAK: Final = _web("leak", memory=48 * MI, leak_per_second=float(MI))
SLOW: Final = _web(
    "slow",
    listen_after=10.0,
    ready_after=30.0,
    startup=("{time} INFO starting {image_name} version={tag}", "{time} INFO loading model weights"),
    ready_line="{time} INFO ready to serve on :{port}",
)
CERT_EXPIRED: Final = _web(
    "cert-expired",
    crash=Crash(
        after=1.5,
        code=1,
        lines=(
            "{time} INFO loading TLS certificate from /etc/tls/tls.crt",
            "{time} FATAL x509: certificate has expired or is not yet valid: current time {time} is after "
            "2026-01-31T23:59:59Z",
        ),
    ),
)
DB_CLIENT: Final = _web(
    "db-client",
    crash=Crash(
        after=5.0,
        code=1,
        lines=(
            "{time} INFO connecting to database at postgres:5432",
            "{time} ERROR dial tcp 10.96.112.7:5432: connect: connection refused",
            "{time} FATAL could not connect to the database after 5 attempts: connection refused",
        ),
    ),
)


def _shell(*patterns: str, size: int, command: tuple[str, ...] = ("sh",)) -> ImageEntry:
    return ImageEntry(patterns=patterns, command=command, size=size)


def _service(*patterns: str, service: Service, size: int, programs: tuple[str, ...] = ()) -> ImageEntry:
    return ImageEntry(patterns=patterns, service=service, size=size, programs=programs)


def _demo(pattern: str, service: Service) -> ImageEntry:
    return ImageEntry(patterns=(pattern,), service=service, any_tag=True, size=120_000_000)


def default_entries() -> list[ImageEntry]:
    """The catalog's entries, oldest first (a later entry wins a match)."""
    return [
        _service("nginx", service=NGINX, size=72_223_946, programs=("nginx", "/docker-entrypoint.sh")),
        _service(
            "nginxinc/nginx-unprivileged", "bitnami/nginx", service=replace(NGINX, ports=(8080,)), size=75_000_000
        ),
        _service(
            "httpd", service=replace(NGINX, name="httpd", startup=()), size=58_000_000, programs=("httpd-foreground",)
        ),
        _service("caddy", service=replace(NGINX, name="caddy", startup=(), access_log=""), size=48_000_000),
        _service("traefik", service=replace(NGINX, name="traefik", ports=(80, 8080), startup=()), size=60_000_000),
        _service("redis", "valkey/valkey", service=REDIS, size=45_000_000, programs=("redis-server",)),
        _service("memcached", service=_tcp("memcached", 11211, 3), size=30_000_000),
        _service("mongo", service=_tcp("mongo", 27017, 80), size=250_000_000, programs=("mongod",)),
        _service("rabbitmq", service=replace(_tcp("rabbitmq", 5672, 120), ports=(5672, 15672)), size=90_000_000),
        _service("postgres", service=POSTGRES, size=160_000_000, programs=("postgres", "docker-entrypoint.sh")),
        _service(
            "mysql",
            "mariadb",
            service=replace(
                _tcp("mysql", 3306, 350), requires_env=("MYSQL_ROOT_PASSWORD",), missing_env=_MYSQL_MISSING
            ),
            size=170_000_000,
            programs=("mysqld", "mariadbd"),
        ),
        _shell("busybox", size=2_160_000),
        _shell("alpine", size=3_640_000),
        _shell("ubuntu", "debian", "fedora", "rockylinux", "bash", size=29_000_000, command=("bash",)),
        _shell("python", size=410_000_000, command=("python3",)),
        _shell("node", size=390_000_000, command=("node",)),
        _shell("ruby", size=300_000_000, command=("irb",)),
        _shell("registry.k8s.io/pause", size=320_000, command=("sleep", "infinity")),
        ImageEntry(
            patterns=(
                *("kaido/web", "web", "api", "*/api", "*/web", "*-api"),
                *(p for n in ("frontend", "backend", "agent", "mcp", "mcp-server") for p in (n, f"*/{n}", f"*-{n}")),
            ),
            service=WEB,
            any_tag=True,
            size=120_000_000,
        ),
        _demo("kaido/crasher", CRASHER),
        _demo("kaido/cert-expired", CERT_EXPIRED),
        _demo("kaido/db-client", DB_CLIENT),
        _demo("kaido/leak", LEAK),
        _demo("kaido/slow", SLOW),
    ]


PRESETS: Final[dict[str, ImageEntry]] = {
    "web": _demo("", WEB),
    "nginx": _service("", service=NGINX, size=72_223_946),
    "redis": _service("", service=REDIS, size=45_000_000),
    "postgres": _service("", service=POSTGRES, size=160_000_000),
    "shell": _shell("", size=2_160_000),
    "crasher": _demo("", CRASHER),
    "cert-expired": _demo("", CERT_EXPIRED),
    "db-client": _demo("", DB_CLIENT),
    "leak": _demo("", LEAK),
    "slow": _demo("", SLOW),
}


def default_catalog() -> ImageCatalog:
    """A fresh catalog with the default entries and presets; register scenario images on it."""
    return ImageCatalog(default_entries(), presets=PRESETS)
