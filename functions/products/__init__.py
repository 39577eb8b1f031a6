"""Product catalogue functions: one module per use case, one Lambda handler each."""
