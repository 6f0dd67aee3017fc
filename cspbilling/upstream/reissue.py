"""What changed between the old and the new lines of a re-issued invoice (one SQL aggregate)."""

from __future__ import annotations

from django.db import connection

from cspbilling.upstream.models import UpstreamLineItem

TABLE = UpstreamLineItem._meta.db_table
KEY = (
    "COALESCE(CAST(customer_tenant_id AS TEXT), '') || '|' || subscription_id || '|' || "
    "offer_id || '|' || charge_type || '|' || COALESCE(CAST(charge_start AS TEXT), '') || '|' || "
    "COALESCE(CAST(charge_end AS TEXT), '')"
)

# A UNION ALL and one GROUP BY: no join, so neither planner can pick a quadratic plan.
SQL = f"""
SELECT
  COALESCE(SUM(CASE WHEN oc IS NULL THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN nc IS NULL THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN oc IS NOT NULL AND nc IS NOT NULL AND (ot <> nt OR oc <> nc)
                    THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(oc), 0), COALESCE(SUM(nc), 0), COALESCE(SUM(ot), 0), COALESCE(SUM(nt), 0)
FROM (
  SELECT k, SUM(CASE WHEN side = 0 THEN c END) AS oc, SUM(CASE WHEN side = 1 THEN c END) AS nc,
            SUM(CASE WHEN side = 0 THEN t END) AS ot, SUM(CASE WHEN side = 1 THEN t END) AS nt
  FROM (
    SELECT {KEY} AS k, 0 AS side, COUNT(*) AS c, SUM(total_minor) AS t FROM {TABLE}
     WHERE invoice_id = %s AND kind = %s AND batch_id = %s GROUP BY 1
    UNION ALL
    SELECT {KEY} AS k, 1 AS side, COUNT(*) AS c, SUM(total_minor) AS t FROM {TABLE}
     WHERE invoice_id = %s AND kind = %s AND batch_id = %s GROUP BY 1
  ) AS both_sides
  GROUP BY k
) AS per_key
"""  # noqa: S608 (the table name comes from the model; values are parameters)


def diff_lines(invoice_pk: int, kind: str, *, old_batch: int, new_batch: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(SQL, [invoice_pk, kind, old_batch, invoice_pk, kind, new_batch])
        added, removed, changed, old_n, new_n, old_t, new_t = cursor.fetchone()
    return {
        "line_groups_added": int(added),
        "line_groups_removed": int(removed),
        "line_groups_changed": int(changed),
        "lines_before": int(old_n),
        "lines_after": int(new_n),
        "total_before_minor": int(old_t),
        "total_after_minor": int(new_t),
    }
