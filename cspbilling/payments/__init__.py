"""payments: money received from customers, what it pays (allocations), customer credit,
refunds and reversals, and the append-only ledger every balance is derived from."""
