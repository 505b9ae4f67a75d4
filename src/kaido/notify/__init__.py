"""Alerts: the alert model, rules, grouping, dedup, silences and delivery channels.

May import: analysis, store, kube, config, core.
"""
