"""The payment provider: its HTTP adapter, the retry rules and the circuit breaker shared through Redis."""
