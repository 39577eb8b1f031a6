"""The HTTP edge: envelope, error mapping, identity, request pipeline. Knows API Gateway and Kong events."""
