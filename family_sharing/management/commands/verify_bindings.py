import datetime as dt

from family_sharing.verification import bindings_verify
from portal.core.commands import AsOfCommand, PassResult


class Command(AsOfCommand):
    help = (
        "Runs the binding-verification pass now (the same code the Celery task runs): pending "
        "bindings are checked against the registry (active, needs_evidence or rejected), and active "
        "spouse bindings whose marriage the registry shows ended are suspended. Prints a summary."
    )
    as_of_help = "judge the registry on this date (default today)"

    def run_pass(self, *, as_of: dt.date | None) -> PassResult:
        return bindings_verify(as_of=as_of)
