"""invoicing: price rules, customer invoices and lines, credit notes, invoice numbering, PDF
(billing run; issue; credit; statement). See ../shared/DESIGN.md.
"""
