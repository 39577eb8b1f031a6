"""Identity functions: the API Gateway authorizer (and, later, the public auth routes)."""
