"""`{% reconsent_prompts %}`: on 家庭共济, the signed-in young person's open re-consent requests, each
with a link to answer it (one query)."""

from typing import Any

from django import template

from accounts.models import User
from family_sharing.reconsent.selectors import reconsent_open_list

register = template.Library()


@register.inclusion_tag("family/_reconsent_prompts.html", takes_context=True)
def reconsent_prompts(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    prompts = list(reconsent_open_list(viewer=user)) if isinstance(user, User) else []
    return {"prompts": prompts}
