"""Template helpers shared by the console and the portal."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

from cspbilling.web.navigation import navigation_for

register = template.Library()


@register.inclusion_tag("console/_nav.html", takes_context=True)
def console_nav(context) -> dict:
    request = context["request"]
    items = navigation_for(request.user, request.path)
    for item in items:
        item["label"] = gettext(item["label"])
    return {"items": items}


@register.inclusion_tag("console/_badge.html")
def status_badge(value: str, label: str = "") -> dict:
    """A coloured pill for a status value (its CSS class is badge-<value>)."""
    return {"value": value or "none", "label": label or value or "—"}
