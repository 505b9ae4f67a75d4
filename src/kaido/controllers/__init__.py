"""Thin wiring that turns cache events into decisions and actions.

Healer, scaler, logwatch, rollout guard, reloader, rightsizer, monitor.
May import: ai, notify, remediate, analysis, store, kube, config, core.
"""
