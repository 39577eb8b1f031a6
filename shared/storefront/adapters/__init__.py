"""Adapters: concrete implementations of the application ports."""
