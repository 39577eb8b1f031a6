"""Entities, value objects and the error vocabulary. Standard library only."""
