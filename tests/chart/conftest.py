from __future__ import annotations

import pytest

from tests.chart.helm import HELM, Helm, Manifest


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    if not HELM.exists():
        pytest.fail("helm is not in .cache/tools/bin: run the tests through `make test`, which fetches it")
    return Helm(binary=HELM, home=tmp_path_factory.mktemp("helm"))


@pytest.fixture(scope="session")
def cluster_mode(helm: Helm) -> list[Manifest]:
    return helm.template()


@pytest.fixture(scope="session")
def namespace_mode(helm: Helm) -> list[Manifest]:
    return helm.template({"watchNamespace": "apps"})
