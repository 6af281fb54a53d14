# The GB/T 4761 relation codes (bindings need them), as family_sharing's own tests load them.
from family_sharing.tests.conftest import relation_codes  # noqa: F401
