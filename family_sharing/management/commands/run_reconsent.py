import datetime as dt

from family_sharing.reconsent.run import reconsent_run
from portal.core.commands import AsOfCommand, PassResult


class Command(AsOfCommand):
    help = (
        "Runs the daily re-consent pass now (the code the Celery beat task runs): asks every "
        "beneficiary of 16 or older of an active binding a guardian consented to (in-app message and "
        "SMS, once per binding), and suspends with reconsent_required the bindings still unanswered "
        "after 30 days. Prints a one-line summary; running it again changes nothing."
    )

    def run_pass(self, *, as_of: dt.date | None) -> PassResult:
        return reconsent_run(as_of=as_of)
