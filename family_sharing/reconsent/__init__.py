"""Re-consent at 16 (DESIGN.md section 6): a binding that a guardian consented to for a child asks the
child, from their 16th birthday, to confirm it within 30 days; unanswered after that, it is
suspended with `reconsent_required` until they confirm, and declining revokes it.

- `models.py`: `ReconsentRequest`, one per binding asked, with the answer;
- `run.py`: the daily set-based pass (ask, then suspend the overdue), run by the beat task and by
  `manage.py run_reconsent`;
- `services.py`: the young person's answer; `selectors.py`: what they are asked;
- `views.py`, `apis.py`, `admin.py`, `tasks.py`, `tests/`."""
