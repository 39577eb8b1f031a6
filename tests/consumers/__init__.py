"""Test-only consumer functions: they exercise the SQS entry and the local pollers before the product's
consumers exist (never in template.yaml)."""
