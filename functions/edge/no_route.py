"""Any method on a path no route serves: 404 BIZ_001 in the envelope, alike behind Kong and API Gateway.

Behind Kong this is the catch-all route; behind API Gateway the greedy ``{proxy+}`` resources. Answering
from a function (not a gateway's static body) gives the 404 its request id, security and CORS headers.
"""

from storefront.http.entry import lambda_entry
from storefront.http.resolver import api_resolver

app = api_resolver()  # no routes: every request is the resolver's "Route not found"

# The path decides the answer: a body or parameters the 404 never reads are not checked first.
handler = lambda_entry(app, allow=None, reads_request=False)
