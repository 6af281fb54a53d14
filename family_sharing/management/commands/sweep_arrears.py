import datetime as dt

from family_sharing.contributions.sweep import arrears_sweep
from portal.core.commands import AsOfCommand, PassResult


class Command(AsOfCommand):
    help = (
        "Runs the nightly arrears sweep now, region by region (the code the Celery tasks run): every "
        "employee person with a declaration is judged normal, arrears or interrupted as of the date; "
        "bindings follow; paid arrears cases close. Prints a one-line summary."
    )

    def run_pass(self, *, as_of: dt.date | None) -> PassResult:
        return arrears_sweep(as_of=as_of)
