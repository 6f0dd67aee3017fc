"""A local Partner Center (operated by 21Vianet) serving the same API, for tests and training.

Start it with ``cspbilling sandbox`` or ``start_sandbox(port=0, customers=50, seed=1)``; add
``cloud="global"`` to play the global cloud (the default, ``china``, has no service-request API)
and ``state_file=`` to keep the state across restarts (persist.py). API calls under ``/v1/`` need
``Authorization: Bearer <token>``. Errors have the documented shape; ``code`` is a documented
code (2055, 800091, 2011, 800012, 27009) or null where the documents give none. ``size=0`` means
"the largest page" (the documented customer filter request sends it). A PATCH of a subscription
without ``If-Match`` is unconditional. Control endpoints (no token, local only):

- ``GET /_sandbox`` counts, invoice ids, faults; ``GET /_sandbox/requests`` the request log
- ``POST /_sandbox/faults`` {latency_ms, rate_429, retry_after, rate_5xx, rate_drop, malformed,
  seed, script: [{path_prefix, method?, times, status?, retry_after?, latency_ms?, drop?,
  drop_after? (answer lost after the work is done), malformed?, body?}]};
  ``DELETE /_sandbox/faults``;
  ``POST /_sandbox/reset`` {customers?, seed?, cloud?}
- the 21Vianet side: ``POST /_sandbox/servicerequests`` {customer_id, title, ...},
  ``POST /_sandbox/servicerequests/{id}/notes`` {text, status?}, ``POST .../{id}/close``,
  ``POST .../{id}/email`` {to, smtp_host?, smtp_port, text, subject?} (21Vianet's support
  writes to the partner's mailbox, naming the ticket number),
  ``POST /_sandbox/servicerequests/api`` {enabled} (play a cloud that still offers
  ``POST /v1/servicerequests``: escalations' api mode),
  ``POST /_sandbox/invoices`` {"kind": "invoice"} or {"kind": "credit", customer_id,
  subscription_id, amount, charge_type?}, ``POST /_sandbox/customers`` {company_name?, domain?,
  culture?, subscriptions?}, ``DELETE /_sandbox/customers/{id}``,
  ``PATCH /_sandbox/customers/{cid}/subscriptions/{sid}`` {fields} (bumps the ETag)
"""

from cspbilling.partnercenter.sandbox.server import SandboxHandle, start_sandbox
from cspbilling.partnercenter.sandbox.state import SandboxState

__all__ = ["SandboxHandle", "SandboxState", "start_sandbox"]
