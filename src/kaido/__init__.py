"""kaido: Kubernetes AI-Driven Operations.

An operations agent that watches a Kubernetes cluster, heals crash loops, scales ahead of load,
mines logs, routes alerts and explains every decision. The layers and what each may import are
drawn in docs/architecture.md and enforced by the import-linter contracts in pyproject.toml.
"""

__version__ = "0.1.0"
