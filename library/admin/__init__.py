"""The librarians' back office for the catalogue and circulation (django-unfold).

One module per feature; importing the package registers them all.
"""

from . import blocks, catalogue, circulation, holds, notices  # noqa: F401
