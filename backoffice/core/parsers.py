"""The API's JSON parser: DRF's, with a limit on how deeply a body may nest."""

import io
import re

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32

# Strings first (their brackets are text), then everything but brackets goes.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether the JSON ``text`` nests arrays and objects more than ``limit`` deep.

    A linear scan of the brackets outside strings. Python's json module recurses once per
    level, so a body of a few thousand "[" raises RecursionError (not a ValueError, so not
    a ParseError) before any view code runs; the scan refuses it first.
    """
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    """JSON bodies nested at most MAX_JSON_DEPTH deep; deeper ones are a 400 ParseError."""

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding") or settings.DEFAULT_CHARSET
        raw = stream.read()
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth_exceeds(text, self.max_depth):
            raise ParseError(f"JSON parse error - nested more than {self.max_depth} levels deep.")
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:  # the scan's limit is far below the interpreter's
            raise ParseError("JSON parse error - nested too deeply.") from None
