"""Local development tools: the local gateway, tokens, invoking a function with a sample event.

Nothing here is deployed; the functions run exactly the code that Lambda runs.
"""
