import pytest
from django.core.exceptions import ValidationError

from library.isbn import normalize_isbn


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9780141439518", "9780141439518"),
        ("978-0-14-143951-8", "9780141439518"),
        ("0141439513", "9780141439518"),  # the same book as an ISBN-10
        ("0-8044-2957-X", "9780804429573"),  # ISBN-10 with an X check digit
        (" 979 10 90636 07 1 ", "9791090636071"),
    ],
)
def test_valid_isbns_are_stored_as_isbn13(raw, expected):
    assert normalize_isbn(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "9780141439519",  # wrong ISBN-13 check digit
        "0141439512",  # wrong ISBN-10 check digit
        "1234567890123",  # not a 978/979 prefix
        "97801414395",  # wrong length
        "X141439513",  # X only allowed as the last ISBN-10 character
        "",
        "abcdefghij",
    ],
)
def test_invalid_isbns_are_refused_with_a_reason(raw):
    with pytest.raises(ValidationError) as error:
        normalize_isbn(raw)
    assert error.value.code == "invalid_isbn"
