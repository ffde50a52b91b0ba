"""CSV import and export of the catalogue and loans (django-import-export).

Resources only parse and render rows: every catalogue write goes through
``library.services`` with the importing user as the actor, so an import obeys the same
rules as the API and the admin forms and its history names who imported. A file imports
all or nothing: rows run in one transaction that is rolled back when any row is invalid.
"""

from .catalogue import PREVIEW_ROWS, AuthorResource, BookResource  # noqa: F401
from .circulation import BorrowResource  # noqa: F401
