from django import template

from cspbilling.cases.texts import STATUS_NAMES

register = template.Library()


@register.filter
def customer_status(status: str) -> str:
    """A case status as the customer reads it, in the active language."""
    return str(STATUS_NAMES.get(status, status))
