"""The composition root of `kaido run`: supervisor, lifecycle, leader gating.

May import: controllers and every layer below it.
"""
