"""Behaviour models without a cluster: the image catalog's rule, scenario images, the tiny shell, services."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from kaido.sim.behaviour import (
    PRESETS,
    Image,
    Launch,
    PullFailure,
    Service,
    ShellProcess,
    default_catalog,
    overload,
    parse_image,
)
from kaido.sim.behaviour.catalog import entry_from_dict
from kaido.sim.behaviour.overload import TIMEOUT_MS
from kaido.sim.controllers.kubelet_config import expand
from kaido.sim.controllers.kubelet_container import Backoff, go_duration

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def launch(image: str = "busybox:1.36", **fields: Any) -> Launch:
    return Launch(image=image, started_at=START, pod="demo", **fields)


def run(script: str, until: float = 100.0) -> tuple[list[tuple[float, str]], tuple[float, int] | None]:
    output = ShellProcess(["sh", "-c", script], launch()).between(-1, until, 0)
    return list(output.lines), (output.exit.at, output.exit.code) if output.exit else None


@pytest.mark.parametrize(
    ("image", "full"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("acme/api:v2", "docker.io/acme/api:v2"),
        ("ghcr.io/acme/api:1.0", "ghcr.io/acme/api:1.0"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
    ],
)
def test_references_normalize_like_containerd(image: str, full: str) -> None:
    assert parse_image(image).full == full


@pytest.mark.parametrize(
    "image",
    [
        "nginx:1.27",
        "nginx",
        "nginx:1.27.3-alpine",
        "nginx:stable-alpine",
        "redis:7.4",
        "busybox:1.36",
        "postgres:16-bookworm",
    ],
)
def test_known_images_resolve(image: str) -> None:
    assert isinstance(default_catalog().resolve(image), Image)


@pytest.mark.parametrize(
    ("image", "tail"),
    [
        ("nginxx:1.27", "pull access denied, repository does not exist or may require authorization: "),
        ("nginx:no-such-tag", "docker.io/library/nginx:no-such-tag: not found"),
        ("nginx:1.99.99-doesnotexist", "docker.io/library/nginx:1.99.99-doesnotexist: not found"),
        ("acme/api:missing", "docker.io/acme/api:missing: not found"),
    ],
)
def test_unknown_images_fail_to_pull(image: str, tail: str) -> None:
    failure = default_catalog().resolve(image)
    assert isinstance(failure, PullFailure)
    assert failure.reason == "ErrImagePull"
    assert tail in failure.message


def test_other_repositories_run_a_generic_service_and_bad_tags_crash() -> None:
    catalog = default_catalog()
    generic = catalog.resolve("ghcr.io/acme/checkout:3.1")
    assert isinstance(generic, Image)
    assert generic.entry.any_tag
    process = generic.start(launch("ghcr.io/acme/checkout:3.1", ports=(9000,)))
    assert process.listening(9000, 0.0)
    assert process.http_get(9000, "/anything", 1.0, source="10.244.1.1").status == 200
    bad = catalog.resolve("acme/backend:2.0-bad")
    assert isinstance(bad, Image)
    assert bad.bad
    output = bad.start(launch("acme/backend:2.0-bad")).between(-1, 10, 0)
    assert output.exit is not None
    assert (output.exit.at, output.exit.code) == (4.0, 2)


def test_scenario_images_are_registered_from_data() -> None:
    catalog = default_catalog()
    catalog.register_dict(
        {
            "images": {
                "shop/cart": {"kind": "web", "tags": ["1.0", "1.1"], "badTags": ["1.2"], "memory": "128Mi"},
                "shop/worker": {"kind": "crasher", "requiresEnv": ["QUEUE_URL"]},
            }
        }
    )
    assert isinstance(catalog.resolve("shop/cart:1.1"), Image)
    assert isinstance(catalog.resolve("shop/cart:2.0"), PullFailure)
    cart = catalog.resolve("shop/cart:1.2")
    assert isinstance(cart, Image)
    assert cart.bad
    assert cart.entry.service is not None
    assert cart.entry.service.memory == 128 * 2**20
    worker = catalog.resolve("shop/worker:1")
    assert isinstance(worker, Image)
    lines = worker.start(launch("shop/worker:1")).between(-1, 1, 0).lines
    assert lines[-1][1].endswith("FATAL QUEUE_URL is not set")
    with pytest.raises(ValueError, match="unknown field"):
        catalog.register_dict({"x/y": {"colour": "red"}})
    with pytest.raises(ValueError, match="unknown kind"):
        catalog.register_dict({"x/y": {"kind": "quantum"}})


def test_shell_sleep_and_exit() -> None:
    assert run("sleep 5 && exit 1") == ([], (5.0, 1))
    assert run("echo a; false || echo b; true && exit 3") == ([(0.0, "a"), (0.0, "b")], (0.0, 3))
    assert run("sh -c 'exit 7'; echo after $?") == ([(0.0, "after 7")], (0.0, 0))


def test_shell_loops_variables_and_arithmetic() -> None:
    lines, finished = run('i=0; while [ "$i" -lt 3 ]; do i=$((i + 1)); echo "tick $i"; sleep 2; done')
    assert lines == [(0.0, "tick 1"), (2.0, "tick 2"), (4.0, "tick 3")]
    assert finished == (6.0, 0)
    assert run("for n in $(seq 1 3); do echo $n; done; echo ${UNSET:-fallback}")[0] == [
        (0.0, "1"),
        (0.0, "2"),
        (0.0, "3"),
        (0.0, "fallback"),
    ]
    assert run("if [ -f /tmp/x ]; then echo yes; else echo no; fi")[0] == [(0.0, "no")]


def test_shell_endless_loop_is_read_lazily() -> None:
    process = ShellProcess(["sh", "-c", "while true; do echo alive; sleep 10; done"], launch())
    first = process.between(-1, 25, 0)
    later = process.between(86_400, 86_425, 0)
    assert [line for _, line in first.lines] == ["alive"] * 3
    assert [at for at, _ in later.lines] == [86_410.0, 86_420.0]
    assert first.exit is None


def test_shell_errors_are_busybox_messages() -> None:
    assert run("nosuchcmd") == ([(0.0, "sh: nosuchcmd: not found")], (0.0, 127))
    assert run("echo 'open") == ([(0.0, "sh: syntax error: unterminated quoted string")], (0.0, 2))
    assert run("set -e; false; echo never") == ([], (0.0, 1))


def test_exec_probes_see_the_files_at_their_time() -> None:
    process = ShellProcess(["sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"], launch())
    assert process.exec(["cat", "/tmp/healthy"], 10) == (0, "")
    assert process.exec(["cat", "/tmp/healthy"], 31) == (1, "cat: can't open '/tmp/healthy': No such file or directory")


def test_default_command_and_args_combine_like_docker() -> None:
    busybox = default_catalog().resolve("busybox:1.36")
    assert isinstance(busybox, Image)
    assert busybox.start(launch()).between(-1, 1, 0).exit is not None  # `sh` without stdin exits 0
    sleeper = busybox.start(launch(args=("sleep", "3600"))).between(-1, 4000, 0)
    assert sleeper.exit is not None
    assert sleeper.exit.at == 3600.0
    python = default_catalog().resolve("python:3.12")
    assert isinstance(python, Image)
    server = python.start(launch("python:3.12", command=("python", "-m", "http.server"), ports=(8000,)))
    assert server.listening(8000, 1.0)


def test_services_listen_on_their_own_ports_and_need_their_env() -> None:
    catalog = default_catalog()
    nginx = catalog.resolve("nginx:1.27")
    assert isinstance(nginx, Image)
    process = nginx.start(launch("nginx:1.27", ports=(8080,)))
    assert (process.listening(80, 0.0), process.listening(8080, 0.0)) == (True, False)
    assert process.http_get(80, "/", 1.0, source="10.244.1.1").status == 200
    assert process.http_get(80, "/missing", 1.0, source="10.244.1.1").status == 404
    redis = catalog.resolve("redis:7.4")
    assert isinstance(redis, Image)
    tcp = redis.start(launch("redis:7.4"))
    assert tcp.http_get(6379, "/", 1.0, source="10.244.1.1").error == "EOF"
    assert tcp.exec(["redis-cli", "ping"], 1.0) == (0, "PONG")
    postgres = catalog.resolve("postgres:16")
    assert isinstance(postgres, Image)
    refused = postgres.start(launch("postgres:16")).between(-1, 5, 0)
    assert refused.exit is not None
    assert refused.exit.code == 1
    assert refused.lines[0][1] == "Error: Database is uninitialized and superuser password is not specified."
    ready = postgres.start(launch("postgres:16", env={"POSTGRES_PASSWORD": "secret"})).between(-1, 5, 0)
    assert ready.exit is None


def test_memory_leak_grows_and_usage_follows_load() -> None:
    leak = default_catalog().resolve("kaido/leak:1")
    assert isinstance(leak, Image)
    process = leak.start(launch("kaido/leak:1"))
    assert process.usage(60, 0).memory - process.usage(0, 0).memory > 55 * 2**20
    web = default_catalog().resolve("kaido/web:1")
    assert isinstance(web, Image)
    busy = web.start(launch("kaido/web:1"))
    assert busy.usage(10, 100).cpu > 10 * busy.usage(10, 0).cpu
    capped = web.start(launch("kaido/web:1", cpu_limit=0.25))
    assert capped.usage(10, 100).cpu == 0.25


def test_go_durations_and_back_off() -> None:
    assert [go_duration(s) for s in (0.454, 2.206, 10, 80, 300)] == ["454ms", "2.206s", "10s", "1m20s", "5m0s"]
    backoff = Backoff()
    delays = []
    for minute in range(8):
        moment = START.replace(minute=minute)
        backoff.next(moment, moment)
        delays.append(backoff.delay)
    assert delays == [10, 20, 40, 80, 160, 300, 300, 300]
    later = START.replace(hour=13)
    assert not backoff.in_backoff_since(later, later)  # ten quiet minutes forget the back-off
    backoff.next(later, later)
    assert backoff.delay == 10


def test_dollar_references_expand_like_the_kubelet() -> None:
    env = {"NAME": "web"}
    assert expand("--name=$(NAME) $(MISSING) $$(NAME)", env) == "--name=web $(MISSING) $(NAME)"


def test_below_capacity_a_service_answers_without_extra_errors() -> None:
    state = overload(10, 100, latency_ms=20)
    assert state.utilisation == pytest.approx(0.1)
    assert state.served == 10
    assert state.shed == 0
    assert state.error_share == 0
    assert 20 <= state.latency_ms < 25
    assert overload(10, math.inf, error_rate=0.1).error_share == pytest.approx(0.1)


def test_at_twice_capacity_half_the_requests_are_shed() -> None:
    state = overload(200, 100, latency_ms=20, error_rate=0.1)
    assert state.served == 100
    assert state.shed == pytest.approx(0.5)
    assert state.error_share == pytest.approx(0.55)
    assert state.latency_ms == pytest.approx(400)  # utilisation held at 0.95
    assert overload(10, 100, latency_ms=9_000).latency_ms == TIMEOUT_MS
    assert overload(5, 0).shed == 1


def test_capacity_follows_the_cpu_limit_and_cpu_saturates_there() -> None:
    process = Service(cpu=0.005, cpu_per_request=0.01).launch(launch("acme/api:v1", cpu_limit=0.5))
    assert process.capacity == pytest.approx(49.5)
    assert process.usage(10, 99).cpu == 0.5
    assert process.usage(10, 200).cpu == 0.5
    assert process.usage(10, 10).cpu < 0.2
    assert Service().launch(launch("acme/api:v1")).capacity == math.inf
    assert Service(capacity=7).launch(launch("acme/api:v1", cpu_limit=0.5)).capacity == 7


def test_requests_are_counted_by_status() -> None:
    process = Service(capacity=50).launch(launch("acme/api:v1"))
    quiet = {r.status: r for r in process.requests(0, 60, 25)}
    assert set(quiet) == {200}
    assert quiet[200].count == 25 * 60
    busy = {r.status: r for r in process.requests(0, 60, 100)}
    assert set(busy) == {200, 503, 504}
    total = sum(r.count for r in busy.values())
    assert total == 100 * 60
    assert (busy[503].count + busy[504].count) / total == pytest.approx(0.5, abs=0.01)
    assert busy[504].seconds == TIMEOUT_MS / 1000
    assert busy[200].seconds > quiet[200].seconds
    assert process.requests(0, 60, 0) == ()


def test_an_overloaded_web_pod_logs_503_and_504_with_longer_durations() -> None:
    def statuses_and_durations(load: float) -> list[tuple[int, int]]:
        process = Service(capacity=50, startup=()).launch(launch("acme/api:v1", seed=3))
        out = []
        for _, line in process.between(0, 120, load).lines:
            fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
            out.append((int(fields["status"]), int(fields["duration_ms"])))
        return out

    quiet = statuses_and_durations(10)
    assert {status for status, _ in quiet} == {200}
    busy = statuses_and_durations(200)
    statuses = {status for status, _ in busy}
    assert {503, 504} <= statuses
    assert max(d for s, d in busy if s == 504) == TIMEOUT_MS
    assert min(d for s, d in busy if s == 200) > max(d for _, d in quiet)


def test_scenario_images_take_capacity_and_latency() -> None:
    entry = entry_from_dict("acme/api", {"capacity": 40, "latencyMs": 35}, PRESETS)
    assert entry.service is not None
    assert (entry.service.capacity, entry.service.latency_ms) == (40, 35)
    for bad in ({"capacity": -1}, {"latencyMs": 0}, {"capacity": "many"}, {"latencyMs": True}):
        with pytest.raises(ValueError, match="image 'acme/api'"):
            entry_from_dict("acme/api", bad, PRESETS)
