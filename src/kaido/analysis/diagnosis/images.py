"""Images that cannot be pulled: which image, and whether the tag, the repository or the registry is wrong.

The kubelet's waiting reason says that the pull failed (ErrImagePull, then ImagePullBackOff while it
waits to retry); its `Failed` Event says why, in the container runtime's words. Those words sort the
failure into what a person fixes: a tag that does not exist, a repository that does not exist or
needs credentials, a registry that cannot be reached, or a reference that does not parse.
"""

from __future__ import annotations

from typing import Final

from kaido.analysis.diagnosis.context import PodCase
from kaido.analysis.diagnosis.evidence import clip, describe_event, message_of
from kaido.analysis.diagnosis.model import IMAGE_PULL, Problem
from kaido.analysis.status import ContainerStatus

__all__ = ["IMAGE_REASONS", "image_problem"]

IMAGE_REASONS: Final = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})
_DENIED: Final = ("pull access denied", "unauthorized", "authorization failed", "insufficient_scope", "forbidden")
_UNREACHABLE: Final = ("no such host", "i/o timeout", "connection refused", "dial tcp", "tls:", "deadline exceeded")
_NOT_FOUND: Final = ("not found", "manifest unknown", "does not exist")


def image_problem(case: PodCase, status: ContainerStatus) -> Problem | None:
    kind, waiting = status.state()
    reason = str(waiting.get("reason") or "")
    if kind != "waiting" or reason not in IMAGE_REASONS:
        return None
    image = str(case.container_spec(status).get("image") or status.body.get("image") or "?")
    events = [
        e
        for e in case.ctx.pod_events(case.pod, container=status.name)
        if e.get("reason") in ("Failed", "InspectFailed", "ErrImageNeverPull", "BackOff")
        and ("image" in message_of(e).lower() or reason in message_of(e))
    ]
    said = " ".join([str(waiting.get("message") or ""), *(message_of(e) for e in events)])
    why, fix = _classify(reason, said.lower(), image, case, status)
    summary = f"{status.label} cannot pull image {image}: {why} ({reason})"
    evidence = [status.describe()] + [describe_event(e) for e in events[-3:]]
    if waiting.get("message") and not events:
        evidence.append(f"kubelet: {clip(str(waiting['message']))}")
    return Problem(
        cause=IMAGE_PULL,
        severity="critical",
        summary=summary,
        evidence=tuple(evidence),
        suggestion=fix,
        container=status.name,
    )


def _missing_part(image: str) -> str:
    """ "tag 1.27-x in repository nginx" or "digest sha256:... in repository nginx"."""
    if "@" in image:
        repository, _, digest = image.partition("@")
        return f"digest {digest} in repository {repository}"
    last = image.rpartition("/")[2]
    if ":" in last:
        repository, _, tag = image.rpartition(":")
        return f"tag {tag} in repository {repository}"
    return f"tag latest in repository {image}"


def _classify(reason: str, said: str, image: str, case: PodCase, status: ContainerStatus) -> tuple[str, str]:
    """(why, fix) from the reason and the runtime's words."""
    set_image = f"kubectl set image {case.kubectl_ref} {status.name}=<image:tag> {case.kubectl_ns}"
    if reason == "InvalidImageName":
        return "the reference is not a valid image name", f"fix the image reference: {set_image}"
    if reason == "ErrImageNeverPull":
        return (
            "imagePullPolicy is Never and the image is not on the node",
            f"load the image onto the nodes or set imagePullPolicy of {status.label} to IfNotPresent",
        )
    if any(word in said for word in _DENIED):
        return (
            "the repository does not exist or needs credentials",
            f"check the repository name of {image}, or add an imagePullSecret with access to it",
        )
    if any(word in said for word in _UNREACHABLE):
        return (
            "the registry cannot be reached from the node",
            "check the registry's host name, the nodes' DNS and network path to it, or use a mirror",
        )
    if any(word in said for word in _NOT_FOUND):
        return f"{_missing_part(image)} does not exist", f"use a tag that exists: {set_image}"
    return "the pull failed", f"check the image name and the registry: {set_image}"
