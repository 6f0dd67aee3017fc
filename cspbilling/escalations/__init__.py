"""escalations: requests to 21Vianet on behalf of a customer, upstream ticket numbers, notes,
outcome (prepare; file; track; outcome back to money and to the case). The top domain layer:
it may import cases, collections, invoicing and upstream; none of them imports it (they offer
registries that `EscalationsConfig.ready()` fills: see hooks.py)."""
