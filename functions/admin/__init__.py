"""Admin functions: the tenant's users as an admin manages them (lists, details, edits, deletes, bans)."""
