"""Suggested relatives (DESIGN.md section 6, issue 17): the near relatives the registry records for a
signed-in resident, each listing logged, and one-tap binding by an opaque `suggestion_id` instead of
a typed identity number."""
