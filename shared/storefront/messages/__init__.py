"""The messages the asynchronous steps exchange through SQS: one versioned envelope, one model per type."""
