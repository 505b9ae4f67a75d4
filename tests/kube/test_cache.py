"""The cache reducer: examples, and a property over server histories with drops, expiries and relists."""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaido.kube.cache import (
    LAST_APPLIED,
    CacheState,
    Delta,
    Key,
    apply_event,
    compact,
    key_of,
    replace_all,
    rv_newer,
    strip_bulky_fields,
)


@dataclass(frozen=True)
class Ev:
    type: str
    object: dict[str, Any]


def obj(name: str, rv: int | str, *, namespace: str = "ns", uid: str = "u1", data: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "resourceVersion": str(rv), "uid": uid}
    if namespace:
        meta["namespace"] = namespace
    return {"kind": "ConfigMap", "metadata": meta, "data": {"v": data}}


def test_added_modified_deleted_produce_matching_deltas() -> None:
    state = CacheState()
    assert apply_event(state, Ev("ADDED", obj("a", 1))) == [Delta("ADDED", ("ns", "a"), obj("a", 1))]
    [modified] = apply_event(state, Ev("MODIFIED", obj("a", 2, data="x")))
    assert (modified.type, modified.old, modified.object["data"]) == ("MODIFIED", obj("a", 1), {"v": "x"})
    [deleted] = apply_event(state, Ev("DELETED", obj("a", 3, data="x")))
    assert deleted.type == "DELETED"
    assert deleted.object["metadata"]["resourceVersion"] == "3"  # the final state
    assert deleted.old == obj("a", 2, data="x")  # what the cache held
    assert state.objects == {}
    assert state.resource_version == "3"


def test_bookmark_only_moves_the_resource_version() -> None:
    state = CacheState()
    apply_event(state, Ev("ADDED", obj("a", 5)))
    bookmark = {"kind": "ConfigMap", "metadata": {"resourceVersion": "42"}}
    assert apply_event(state, Ev("BOOKMARK", bookmark)) == []
    assert state.resource_version == "42"
    assert state.objects == {("ns", "a"): obj("a", 5)}


def test_older_and_duplicate_events_never_regress_an_object() -> None:
    state = CacheState()
    apply_event(state, Ev("ADDED", obj("a", 10, data="new")))
    assert apply_event(state, Ev("MODIFIED", obj("a", 9, data="old"))) == []
    assert apply_event(state, Ev("ADDED", obj("a", 10, data="new"))) == []
    assert apply_event(state, Ev("DELETED", obj("a", 8))) == []
    assert state.objects[("ns", "a")]["data"] == {"v": "new"}
    assert state.resource_version == "10"  # a stale event does not move the resume point back


def test_resource_versions_compare_as_integers_when_they_parse() -> None:
    assert rv_newer("10", "9")
    assert not rv_newer("9", "10")
    assert not rv_newer("7", "7")
    assert rv_newer("opaque-b", "opaque-a")  # opaque: the latest event wins
    state = CacheState()
    apply_event(state, Ev("ADDED", obj("a", 9)))
    assert [d.type for d in apply_event(state, Ev("MODIFIED", obj("a", 10)))] == ["MODIFIED"]


def test_modified_for_an_unknown_key_is_added_and_a_new_uid_is_delete_then_add() -> None:
    state = CacheState()
    assert [d.type for d in apply_event(state, Ev("MODIFIED", obj("a", 3)))] == ["ADDED"]
    deltas = apply_event(state, Ev("ADDED", obj("a", 7, uid="u2")))
    assert [(d.type, d.object["metadata"]["uid"]) for d in deltas] == [("DELETED", "u1"), ("ADDED", "u2")]
    assert apply_event(state, Ev("DELETED", obj("b", 8))) == []  # never seen: nothing to report


def test_relist_synthesizes_deletions_with_the_last_known_object() -> None:
    state = CacheState()
    for event in [obj("keep", 1), obj("change", 2), obj("gone", 3), obj("swap", 4)]:
        apply_event(state, Ev("ADDED", event))
    kept = state.objects[("ns", "keep")]
    listed = [obj("keep", 1), obj("change", 9, data="x"), obj("new", 10), obj("swap", 11, uid="u2")]
    deltas = replace_all(state, copy.deepcopy(listed), "12")
    summary = sorted((d.type, d.key[1], d.object["metadata"]["resourceVersion"]) for d in deltas)
    assert summary == [
        ("ADDED", "new", "10"),
        ("ADDED", "swap", "11"),
        ("DELETED", "gone", "3"),
        ("DELETED", "swap", "4"),
        ("MODIFIED", "change", "9"),
    ]
    assert next(d for d in deltas if d.key[1] == "gone").old == obj("gone", 3)
    assert state.objects[("ns", "keep")] is kept  # unchanged objects keep their identity
    assert state.resource_version == "12"
    assert set(state.objects) == {("ns", n) for n in ("keep", "change", "new", "swap")}


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match=r"ConfigMap without metadata\.name"):
        key_of({"kind": "ConfigMap", "metadata": {}})
    with pytest.raises(ValueError, match="type 'ERROR'"):
        apply_event(CacheState(), Ev("ERROR", {"code": 410}))
    assert key_of(obj("n1", 1, namespace="")) == ("", "n1")


def test_default_transform_drops_managed_fields_and_last_applied() -> None:
    obj: dict[str, Any] = {
        "kind": "Pod",
        "metadata": {"name": "p", "managedFields": [{"manager": "kubectl"}], "annotations": {LAST_APPLIED: "{}"}},
    }
    assert strip_bulky_fields(obj) == compact(obj) == {"kind": "Pod", "metadata": {"name": "p"}}
    assert obj["metadata"]["managedFields"]  # the input is untouched
    kept = {"metadata": {"name": "p", "annotations": {LAST_APPLIED: "{}", "team": "web"}}}
    assert strip_bulky_fields(kept)["metadata"]["annotations"] == {"team": "web"}
    plain = {"metadata": {"name": "p"}}
    assert strip_bulky_fields(plain) is plain


def test_compact_shares_keys_between_objects_parsed_apart() -> None:
    text = '{"metadata": {"name": "p"}, "status": {"containerStatuses": [{"restartCount": 1}]}}'
    first, second = json.loads(text), json.loads(text)
    assert next(iter(first["status"])) is not next(iter(second["status"]))
    a, b = compact(first), compact(second)
    assert a == b == first
    key_a = next(iter(a["status"]["containerStatuses"][0]))
    key_b = next(iter(b["status"]["containerStatuses"][0]))
    assert key_a is key_b


# ----- the property -----------------------------------------------------------------------------

KEYS: list[Key] = [("a", "x"), ("b", "x"), ("", "z")]


@dataclass
class Server:
    """A model API server: one global resourceVersion, a history that can be compacted, our keys."""

    rv: int = 0
    objects: dict[Key, dict[str, Any]] = field(default_factory=dict)
    history: list[Ev] = field(default_factory=list)
    compacted: int = 0
    uids: itertools.count[int] = field(default_factory=itertools.count)

    def write(self, op: str, key: Key) -> None:
        present = key in self.objects
        if (op == "create") == present:
            return  # create needs an absent key, update and delete a present one
        self.rv += 1
        if op == "delete":
            final = copy.deepcopy(self.objects.pop(key))
            final["metadata"]["resourceVersion"] = str(self.rv)
            self.history.append(Ev("DELETED", final))
            return
        uid = f"uid-{next(self.uids)}" if op == "create" else self.objects[key]["metadata"]["uid"]
        new = obj(key[1], self.rv, namespace=key[0], uid=uid, data=str(self.rv))
        self.objects[key] = new
        self.history.append(Ev("ADDED" if op == "create" else "MODIFIED", copy.deepcopy(new)))


@dataclass
class Client:
    """An informer's life in the model: connected or not, its cache and every delta it emitted."""

    state: CacheState = field(default_factory=CacheState)
    connected: bool = False
    last: Ev | None = None
    deltas: list[Delta] = field(default_factory=list)

    def connect(self, server: Server) -> None:
        # Resume from the cache's resourceVersion; a first start or a compacted one gets 410 and relists.
        if not self.state.resource_version or int(self.state.resource_version) < server.compacted:
            self.relist(server)
        self.connected = True

    def relist(self, server: Server) -> None:
        self.deltas += replace_all(self.state, copy.deepcopy(list(server.objects.values())), str(server.rv))
        self.last = None

    def pending(self, server: Server) -> list[Ev]:
        since = int(self.state.resource_version)
        return [e for e in server.history if int(e.object["metadata"]["resourceVersion"]) > since]

    def deliver(self, server: Server, count: int) -> None:
        if not self.connected:
            self.connect(server)
        for event in self.pending(server)[:count]:
            self.deltas += apply_event(self.state, copy.deepcopy(event))
            self.last = event

    def bookmark(self, server: Server) -> None:
        if not self.connected:
            return
        pending = self.pending(server)
        # A bookmark promises every event up to its resourceVersion was sent.
        rv = int(pending[0].object["metadata"]["resourceVersion"]) - 1 if pending else server.rv
        self.deltas += apply_event(self.state, Ev("BOOKMARK", {"metadata": {"resourceVersion": str(rv)}}))


WRITES = st.lists(
    st.tuples(st.sampled_from(["create", "update", "delete"]), st.sampled_from(KEYS)), min_size=1, max_size=4
)
STEPS = st.one_of(
    st.tuples(st.just("write"), WRITES),
    st.tuples(st.sampled_from(["noise", "bookmark", "drop", "expire", "relist", "duplicate"]), st.none()),
    st.tuples(st.just("deliver"), st.integers(1, 3)),
)


def run_steps(steps: list[tuple[str, Any]]) -> tuple[Server, Client]:
    server, client = Server(), Client()
    for op, arg in steps:
        match op:
            case "write":
                for write, key in arg:
                    server.write(write, key)
            case "noise":
                server.rv += 1  # a write to another resource: the global resourceVersion moves on
            case "deliver":
                client.deliver(server, arg)
            case "bookmark":
                client.bookmark(server)
            case "drop":
                client.connected = False
            case "expire":
                server.compacted = server.rv
            case "relist":
                client.relist(server)
            case "duplicate" if client.last is not None:
                client.deltas += apply_event(client.state, copy.deepcopy(client.last))
    client.deliver(server, len(server.history))  # faults off: the watch catches up
    return server, client


def replay(deltas: list[Delta]) -> dict[Key, dict[str, Any]]:
    """What a subscriber holds after seeing `deltas`, checking each delta makes sense where it lands."""
    seen: dict[Key, dict[str, Any]] = {}
    for delta in deltas:
        held = seen.get(delta.key)
        match delta.type:
            case "ADDED":
                assert held is None, f"ADDED {delta.key} while the subscriber still holds it"
                seen[delta.key] = delta.object
            case "MODIFIED":
                assert held is not None and delta.old == held, f"MODIFIED {delta.key} from a state it never saw"
                assert held["metadata"]["uid"] == delta.object["metadata"]["uid"], f"{delta.key} changed uid"
                assert rv_newer(delta.object["metadata"]["resourceVersion"], held["metadata"]["resourceVersion"])
                seen[delta.key] = delta.object
            case "DELETED":
                assert held is not None and delta.old == held, f"DELETED {delta.key} it does not hold"
                del seen[delta.key]
    return seen


@settings(max_examples=1000, deadline=None)
@given(st.lists(STEPS, max_size=60))
def test_cache_converges_and_deltas_replay_to_the_cache(steps: list[tuple[str, Any]]) -> None:
    server, client = run_steps(steps)
    assert client.state.objects == server.objects
    assert replay(client.deltas) == client.state.objects
    for key in KEYS:
        rvs = [int(d.object["metadata"]["resourceVersion"]) for d in client.deltas if d.key == key]
        assert rvs == sorted(rvs), f"deltas for {key} went back in time: {rvs}"


def test_a_deletion_missed_while_disconnected_reaches_subscribers() -> None:
    steps: list[tuple[str, Any]] = [
        ("write", [("create", KEYS[0])]),
        ("deliver", 1),
        ("drop", None),
        ("write", [("delete", KEYS[0]), ("create", KEYS[0])]),  # same name, new uid, while the watch is down
        ("expire", None),
    ]
    server, client = run_steps(steps)
    assert [(d.type, d.object["metadata"]["uid"]) for d in client.deltas] == [
        ("ADDED", "uid-0"),
        ("DELETED", "uid-0"),
        ("ADDED", "uid-1"),
    ]
    assert client.state.objects == server.objects


def test_cached_pods_leave_out_defaulted_fields_nothing_reads() -> None:
    from kaido.kube.cache import strip_bulky_fields

    pod = {
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop", "managedFields": [{"manager": "kubectl"}]},
        "spec": {
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
            "nodeName": "node-1",
            "containers": [
                {
                    "name": "app",
                    "image": "web:1",
                    "imagePullPolicy": "IfNotPresent",
                    "terminationMessagePath": "/dev/termination-log",
                    "volumeMounts": [{"name": "kube-api-access-x7k2p"}, {"name": "config"}],
                }
            ],
            "volumes": [{"name": "kube-api-access-x7k2p", "projected": {}}, {"name": "config", "configMap": {}}],
        },
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.7",
            "qosClass": "Burstable",
            "containerStatuses": [{"name": "app", "restartCount": 2, "containerID": "sim://1", "imageID": "x"}],
        },
    }
    slim = strip_bulky_fields(pod)
    assert slim["spec"] == {
        "nodeName": "node-1",
        "containers": [{"name": "app", "image": "web:1", "volumeMounts": [{"name": "config"}]}],
        "volumes": [{"name": "config", "configMap": {}}],
    }
    assert slim["status"] == {"phase": "Running", "containerStatuses": [{"name": "app", "restartCount": 2}]}
    assert "managedFields" not in slim["metadata"]
