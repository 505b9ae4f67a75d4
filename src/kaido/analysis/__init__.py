"""Pure decisions: health and diagnosis, HPA math, forecasting, rightsizing, log templates.

Functions of data and an explicit `now`; no I/O library is imported here (no sockets, files,
HTTP or database clients, no asyncio).
May import: core.
"""

from kaido.analysis import hpa

__all__ = ["hpa"]
