"""Storefront first-party code: shipped to Lambda as the SharedLayer (/opt/python/storefront)."""
