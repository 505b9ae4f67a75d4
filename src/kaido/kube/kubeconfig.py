"""Reading a kubeconfig: the selected context, or lightkube's in-cluster / $KUBECONFIG / ~/.kube/config rules.

A file that cannot be used is one `KubeConfigError` naming the file and the fix.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from lightkube.config.kubeconfig import KubeConfig, SingleConfig
from lightkube.config.models import User
from lightkube.core.exceptions import ConfigError as LightkubeConfigError

from kaido.kube.errors import KubeConfigError

__all__ = ["load_config"]


def load_config(*, kubeconfig: Path | None, context: str | None) -> SingleConfig:
    """The selected context of a kubeconfig file, or in-cluster / $KUBECONFIG / ~/.kube/config (lightkube's rules)."""
    source = (
        f"kubeconfig {kubeconfig}" if kubeconfig else "the in-cluster service account or $KUBECONFIG/~/.kube/config"
    )
    try:
        config = KubeConfig.from_file(kubeconfig) if kubeconfig is not None else KubeConfig.from_env()
        if config.fname is not None:
            source = f"kubeconfig {config.fname}"
        single = config.get(context)
    except (LightkubeConfigError, OSError, yaml.YAMLError, ValueError, KeyError, TypeError, AttributeError) as error:
        detail = f"missing entry {error}" if isinstance(error, KeyError) else str(error) or type(error).__name__
        raise KubeConfigError(
            f"cannot use {source}: {detail}; fix the file (kubectl config view) or pass --kubeconfig PATH"
            + (f" and check that context {context!r} exists" if context else ""),
            target=source,
        ) from error
    assert single is not None  # get() without a default raises instead of returning None
    # a context without a user is anonymous access; lightkube's adapter insists on a user entry
    return single._replace(user=single.user or User())
