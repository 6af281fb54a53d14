"""Pages of family sharing: the resident's 家庭共济 (bindings.py) and the counter (counter.py)."""

from family_sharing.views.bindings import (
    binding_consent_view,
    binding_evidence_view,
    binding_leave_view,
    binding_limit_view,
    binding_new,
    binding_new_check,
    binding_revoke_view,
    binding_submitted,
    bindings,
)
from family_sharing.views.counter import (
    counter_bind,
    counter_bind_done,
    counter_home,
    counter_login,
    counter_staff_required,
)

__all__ = [
    "binding_consent_view",
    "binding_evidence_view",
    "binding_leave_view",
    "binding_limit_view",
    "binding_new",
    "binding_new_check",
    "binding_revoke_view",
    "binding_submitted",
    "bindings",
    "counter_bind",
    "counter_bind_done",
    "counter_home",
    "counter_login",
    "counter_staff_required",
]
