import datetime as dt

from certification.cycle_run import certification_cycle_run
from portal.core.commands import AsOfCommand, PassResult


class Command(AsOfCommand):
    help = (
        "Runs the certification cycle now (the same code the daily Celery task runs): reminders 30 "
        "and 7 days before each pensioner's cycle ends (in-app message and SMS, once per cycle and "
        "threshold), and suspension of overdue pensions. Prints a one-line summary."
    )
    as_of_help = "judge the cycles on this date (default today)"

    def run_pass(self, *, as_of: dt.date | None) -> PassResult:
        return certification_cycle_run(as_of=as_of)
