"""Maker-checker (四眼原则, DESIGN.md section 6): a staff change to a registry edge, a person's identity
fields or phone on file, or an approval of binding evidence is filed as a change request and takes
effect only when a second bureau officer of the same region approves it. The generic part lives
here; each app registers its kinds of change (`registry.py`), so accounts imports no other app."""
