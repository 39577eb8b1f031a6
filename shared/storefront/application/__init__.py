"""Use cases as plain functions over ports."""
