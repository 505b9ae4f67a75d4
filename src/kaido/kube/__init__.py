"""The only package that talks to the Kubernetes API.

lightkube client, informer cache, Lease leader election, metrics.k8s.io, log streams and the
error tree that keeps httpx2 and lightkube exceptions inside this package.
May import: config, core.
"""
