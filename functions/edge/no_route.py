"""Any method on a path no route serves: 404 BIZ_001 in the envelope, alike behind Kong and API Gateway.

Behind Kong this is the catch-all route; behind API Gateway the greedy ``{proxy+}`` resources. Answering
from a function (not a gateway's static body) gives the 404 its request id, security and CORS headers.
"""

from storefront.http.entry import lambda_entry
from storefront.http.resolver import api_resolver

# No routes: every request is the resolver's "Route not found", whatever its query parameters.
app = api_resolver(refuse_unknown_parameters=False)

# The path decides the answer: a body or parameters the 404 never reads are not checked first. It reads no
# data and runs outside the VPC (no Redis): the gateways' own limits guard it (ARCHITECTURE.md, Rate limits).
handler = lambda_entry(app, allow=None, reads_request=False, rate_limited=False)
