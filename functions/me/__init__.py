"""The caller's own profile and settings (routes `profile` and `profile/settings`; not named `profile`, which
would shadow the standard library's module of that name)."""
