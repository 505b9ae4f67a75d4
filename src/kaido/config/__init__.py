"""The policy schema (pydantic) and its one loader: file, environment, ConfigMap.

Nothing outside this package reads os.environ.
May import: core.
"""
