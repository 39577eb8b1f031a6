"""Order functions: one module per use case, one Lambda handler each (and the outbox relay on a schedule)."""
