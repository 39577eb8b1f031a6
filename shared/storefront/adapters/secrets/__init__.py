"""Secrets: read through the AWS Parameters and Secrets Lambda Extension (no AWS SDK at cold start)."""
