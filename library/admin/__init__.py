"""The librarians' back office for the catalogue and circulation (django-unfold).

One module per feature; importing the package registers them all (``patrons`` extends the
users admin of accounts with the patron's loans).
"""

from . import blocks, catalogue, circulation, desk, holds, notices, patrons, privacy  # noqa: F401
