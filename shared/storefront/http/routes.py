"""The API's routes and their methods, GENERATED from template.yaml by `make kong`: do not edit.

Functions cannot read template.yaml at run time; the CORS preflight answers from this table.
"""

ROUTES: dict[str, tuple[str, ...]] = {
    "/KONGAPI/api/v1/admin/users": ("GET",),
    "/KONGAPI/api/v1/admin/users/{user_id}": ("DELETE", "GET", "PUT"),
    "/KONGAPI/api/v1/admin/users/{user_id}/ban": ("POST",),
    "/KONGAPI/api/v1/admin/users/{user_id}/unban": ("POST",),
    "/KONGAPI/api/v1/orders": ("GET", "POST"),
    "/KONGAPI/api/v1/orders/{order_id}": ("DELETE", "GET", "PATCH", "PUT"),
    "/KONGAPI/api/v1/orders/{order_id}/cancel": ("POST",),
    "/KONGAPI/api/v1/products": ("GET", "POST"),
    "/KONGAPI/api/v1/products/{product_id}": ("DELETE", "GET", "PATCH", "PUT"),
    "/KONGAPI/api/v1/profile": ("GET", "PUT"),
    "/KONGAPI/api/v1/profile/settings": ("GET", "PUT"),
    "/KONGAPI/api/v1/public/auth/forgot-password": ("POST",),
    "/KONGAPI/api/v1/public/auth/login": ("POST",),
    "/KONGAPI/api/v1/public/auth/logout": ("POST",),
    "/KONGAPI/api/v1/public/auth/refresh": ("POST",),
    "/KONGAPI/api/v1/public/auth/register": ("POST",),
    "/KONGAPI/api/v1/public/auth/reset-password": ("POST",),
    "/KONGAPI/api/v1/services/orders/batch": ("POST",),
    "/KONGAPI/api/v1/services/orders/bulk-update": ("POST",),
    "/KONGAPI/api/v1/services/orders/sync": ("GET",),
    "/KONGAPI/api/v1/services/products/batch": ("POST",),
    "/KONGAPI/api/v1/services/products/bulk-update": ("POST",),
    "/KONGAPI/api/v1/services/products/sync": ("GET",),
    "/KONGAPI/api/v1/services/users/batch": ("POST",),
    "/KONGAPI/api/v1/services/users/bulk-update": ("POST",),
    "/KONGAPI/api/v1/services/users/sync": ("GET",),
    "/KONGAPI/api/v1/users": ("GET", "POST"),
    "/KONGAPI/api/v1/users/{user_id}": ("DELETE", "GET", "PATCH", "PUT"),
    "/KONGAPI/api/v1/users/{user_id}/profile": ("GET", "PUT"),
}
