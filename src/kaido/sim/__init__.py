"""The simulated Kubernetes cluster behind `kaido sim`, the demo and the tests.

May import: core and analysis (pure) only. Nothing imports sim except cli and tests.
"""
