"""The agent's HTTP surface: /healthz, /readyz, /metrics, REST, dashboard and the /mcp mount.

May import: agent and every layer below it.
"""
