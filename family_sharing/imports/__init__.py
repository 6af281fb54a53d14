"""Bulk imports of family sharing (API.md section 5): the civil-registry kinship edges."""
