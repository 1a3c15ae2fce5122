"""Helpers shared by the tests: a local HTTP server, archive builders, tiny models."""
