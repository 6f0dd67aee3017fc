"""invoicing: price rules, customer invoices and lines, credit notes, invoice numbering, PDF
(billing run; issue; credit; statement).

Reserved so that the import contracts in pyproject.toml hold for it from its first line;
not an installed app until its issue lands (see ../shared/DESIGN.md).
"""
