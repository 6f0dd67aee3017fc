"""A local Partner Center (operated by 21Vianet) serving the same API, for tests and training.

Start it with ``cspbilling sandbox`` or ``start_sandbox(port=0, customers=50, seed=1)``. API calls
under ``/v1/`` need ``Authorization: Bearer <token>``. Control endpoints (no token, local only):

- ``GET /_sandbox`` counts, invoice ids, faults; ``GET /_sandbox/requests`` the request log
- ``POST /_sandbox/faults`` {latency_ms, rate_429, retry_after, rate_5xx, rate_drop, malformed,
  seed, script: [{path_prefix, method?, times, status?, retry_after?, latency_ms?, drop?,
  malformed?, body?}]}; ``DELETE /_sandbox/faults``; ``POST /_sandbox/reset`` {customers?, seed?}
- the 21Vianet side: ``POST /_sandbox/servicerequests`` {customer_id, title, ...},
  ``POST /_sandbox/servicerequests/{id}/notes`` {text}, ``POST .../{id}/close``,
  ``POST /_sandbox/invoices`` {"kind": "invoice"} or {"kind": "credit", customer_id,
  subscription_id, amount, charge_type?}, ``POST /_sandbox/customers`` {company_name?, domain?,
  culture?, subscriptions?}, ``DELETE /_sandbox/customers/{id}``,
  ``PATCH /_sandbox/customers/{cid}/subscriptions/{sid}`` {fields} (bumps the ETag)
"""

from cspbilling.partnercenter.sandbox.server import SandboxHandle, start_sandbox
from cspbilling.partnercenter.sandbox.state import SandboxState

__all__ = ["SandboxHandle", "SandboxState", "start_sandbox"]
