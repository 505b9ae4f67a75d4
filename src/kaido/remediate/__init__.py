"""Typed actions, the planning of healing ladders with guards and rate limits, and the executor.

The executor is the only writer to the cluster; it applies each action once (dry-run or enforce).
May import: analysis, store, kube, config, core.
"""
