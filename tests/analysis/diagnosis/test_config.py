"""Missing ConfigMaps, Secrets and keys (env and volumes), mount failures, and images that cannot be pulled."""

from __future__ import annotations

import pytest

from kaido.analysis.diagnosis import IMAGE_PULL, MISSING_CONFIG, MOUNT_FAILURE, UNKNOWN
from kaido.analysis.diagnosis.config import Missing, parse_missing
from kaido.core.refs import ObjectRef
from tests.analysis.diagnosis.builders import (
    NS,
    container,
    deployment,
    event,
    only,
    owned_by,
    pod,
    replicaset,
    run,
    status,
    waiting,
)


def config_error(message: str, name: str = "web") -> dict:
    return pod(
        name, phase="Pending", statuses=[status(state=waiting("CreateContainerConfigError", message), ready=False)]
    )


@pytest.mark.parametrize(
    ("message", "missing"),
    [
        ('configmap "app-config" not found', Missing("ConfigMap", "app-config")),
        ('secret "db-password" not found', Missing("Secret", "db-password")),
        ("couldn't find key mode in ConfigMap shop/app-config", Missing("ConfigMap", "app-config", "mode")),
        ("couldn't find key password in Secret shop/db", Missing("Secret", "db", "password")),
        (
            'MountVolume.SetUp failed for volume "cfg" : configmap references non-existent config key: mode',
            Missing("ConfigMap", "", "mode"),
        ),
        ("container has runAsNonRoot and image will run as root", None),
    ],
)
def test_kubelet_messages_name_what_is_missing(message: str, missing: Missing | None) -> None:
    assert parse_missing(message) == missing


def test_a_missing_configmap_offers_the_nearest_existing_name() -> None:
    web = config_error('configmap "app-config" not found')
    found = only(run(pods=[web], configmaps={NS: frozenset({"app-configuration", "nginx-conf"})}))
    assert found.cause == MISSING_CONFIG
    assert found.summary == (
        "pod shop/web: ConfigMap app-config not found (a ConfigMap app-configuration exists): "
        "container app cannot start (CreateContainerConfigError)"
    )
    assert found.suggestion == (
        "create ConfigMap app-config in namespace shop or fix the name in pod/web (did you mean app-configuration?)"
    )
    assert ObjectRef(kind="ConfigMap", name="app-config", namespace=NS) in found.related


def test_without_configmap_names_the_message_alone_still_diagnoses() -> None:
    found = only(run(pods=[config_error('configmap "app-config" not found')]))
    assert found.summary.startswith("pod shop/web: ConfigMap app-config not found: container app cannot start")
    assert "did you mean" not in found.suggestion


def test_no_unrelated_name_is_offered() -> None:
    found = only(
        run(pods=[config_error('configmap "app-config" not found')], configmaps={NS: frozenset({"kube-root-ca.crt"})})
    )
    assert "exists" not in found.summary


def test_missing_secret_and_missing_key() -> None:
    secret = only(run(pods=[config_error('secret "db-password" not found')]))
    assert secret.summary.startswith("pod shop/web: Secret db-password not found:")
    assert secret.suggestion.startswith("create Secret db-password in namespace shop")
    key = only(run(pods=[config_error("couldn't find key mode in ConfigMap shop/app-config")]))
    assert key.summary.startswith("pod shop/web: key mode not found in ConfigMap app-config:")
    assert key.suggestion == "add key mode to ConfigMap app-config or fix the key in pod/web"


def test_an_unrecognised_config_error_is_unknown_with_the_raw_message() -> None:
    web = config_error("container has runAsNonRoot and image will run as root")
    found = only(run(pods=[web]))
    assert found.cause == UNKNOWN
    assert any("runAsNonRoot" in line for line in found.evidence)


def creating(name: str = "web") -> dict:
    return pod(
        name,
        phase="Pending",
        statuses=[status(state=waiting("ContainerCreating"), ready=False)],
        conditions=[],
        volumes=[{"name": "config", "configMap": {"name": "app-settings"}}],
    )


def test_a_configmap_volume_that_cannot_be_mounted_is_missing_config() -> None:
    web = creating()
    failed = event(
        web, "FailedMount", 'MountVolume.SetUp failed for volume "config" : configmap "app-settings" not found'
    )
    found = only(run(pods=[web], events=[failed], configmaps={NS: frozenset({"app-setting"})}))
    assert found.cause == MISSING_CONFIG
    assert found.summary == (
        "pod shop/web: ConfigMap app-settings not found (a ConfigMap app-setting exists): "
        "volume config cannot be mounted, so the pod stays ContainerCreating"
    )


def test_other_mount_failures() -> None:
    web = creating()
    failed = event(web, "FailedMount", 'MountVolume.SetUp failed for volume "nfs" : mount failed: exit status 32')
    found = only(run(pods=[web], events=[failed]))
    assert found.cause == MOUNT_FAILURE
    assert found.summary == (
        "pod shop/web: a volume cannot be mounted: "
        'MountVolume.SetUp failed for volume "nfs" : mount failed: exit status 32'
    )


def pulling(image: str, reason: str, message: str = "") -> dict:
    return pod(
        "web",
        phase="Pending",
        containers=[container("web", image)],
        statuses=[status("web", state=waiting(reason, message), ready=False)],
    )


@pytest.mark.parametrize(
    ("image", "reason", "said", "why"),
    [
        (
            "nginx:1.27-no-such-tag",
            "ErrImagePull",
            'failed to resolve reference "docker.io/library/nginx:1.27-no-such-tag": '
            "docker.io/library/nginx:1.27-no-such-tag: not found",
            "tag 1.27-no-such-tag in repository nginx does not exist",
        ),
        (
            "nginxx:1.27",
            "ImagePullBackOff",
            "pull access denied, repository does not exist or may require authorization",
            "the repository does not exist or needs credentials",
        ),
        (
            "registry.internal:5000/api:1",
            "ErrImagePull",
            "dial tcp: lookup registry.internal: no such host",
            "the registry cannot be reached from the node",
        ),
        (
            "Nginx:Latest",
            "InvalidImageName",
            'invalid reference format: "Nginx:Latest"',
            "the reference is not a valid",
        ),
    ],
)
def test_image_pull_failures_say_what_is_wrong(image: str, reason: str, said: str, why: str) -> None:
    web = pulling(image, reason)
    failed = event(web, "Failed", f'Failed to pull image "{image}": {said}', container_name="web")
    found = only(run(pods=[web], events=[failed]))
    assert found.cause == IMAGE_PULL
    assert found.summary.startswith(f"pod shop/web: container web cannot pull image {image}: {why}")
    assert found.summary.endswith(f"({reason})")


def test_a_bad_tag_in_a_new_revision_offers_the_rollback_too() -> None:
    web = deployment("web", replicas=2, available=2)
    old = replicaset("web-old", web, revision=3, image="acme/api:1.0", ready=2)
    new = replicaset("web-new", web, revision=4, image="acme/api:1.1-typo", ready=0, replicas=1)
    stuck = pulling("acme/api:1.1-typo", "ImagePullBackOff", "Back-off pulling image: not found")
    stuck["metadata"]["ownerReferences"] = owned_by(new)
    found = only(run(pods=[stuck], deployments=[web], replicasets=[old, new]))
    assert found.cause == IMAGE_PULL
    assert found.target == ObjectRef(kind="Deployment", name="web", namespace=NS)
    assert found.suggestion.endswith(
        "or roll back: kubectl rollout undo deployment/web -n shop (back to revision 3, image acme/api:1.0)"
    )
    assert found.revision is not None and found.revision.number == 4
