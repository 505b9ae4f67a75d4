"""The optional LLM port, its OpenAI-compatible adapter, redaction, explain/ask loops, MCP tools.

An LLM only explains and proposes typed actions; no decision waits on it.
May import: analysis, store, kube, config, core.
"""
