"""Durable state in sqlite (WAL): metric series with rollups, incidents, the audit log.

Also the optional Prometheus reader for history.
May import: kube, config, core.
"""
