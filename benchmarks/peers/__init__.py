"""Peers that `make bench` compares cold starts with; each runs in its own virtualenv (see the Makefile)."""
