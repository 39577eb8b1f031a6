"""The edge of SQS-triggered functions: what http/ is to API routes, this is to queue consumers."""
