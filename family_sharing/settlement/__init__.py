"""Family settlement (共济支付) at the counter and its reversal (DESIGN.md section 8, API.md section 3).

The models are imported by family_sharing/models.py and the admin by family_sharing/admin.py, so
Django finds them as part of the family_sharing app."""
