"""Integrations with other frameworks, each in the extra it needs."""
