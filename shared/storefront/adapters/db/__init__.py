"""Relational storage through SQLAlchemy Core: Oracle in production, SQLite and PostgreSQL elsewhere."""
