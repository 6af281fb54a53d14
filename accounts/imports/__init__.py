"""Bulk imports of the accounts app (API.md section 5): regions, institutions, persons, and the
reference data that `load_reference_data` loads. The CSV conventions are portal.core.csvimport's;
each module here is one service, called by a thin management command."""
