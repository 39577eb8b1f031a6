"""Users functions: the tenant's accounts, each readable and editable by its owner or an admin."""
