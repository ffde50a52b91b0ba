"""What a browser posts for a rendered form: its fields as shown, with what the user typed.

Tests that post a dict of their own choosing miss what the page itself puts in the form
(a pre-filled value, a maxlength that cuts a typed value short). This reads the form from
the page the way a browser would build its submission.
"""

from html.parser import HTMLParser

UNPOSTED_INPUT_TYPES = {"submit", "button", "reset", "image", "file"}


class _FormFields(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.depth = 0  # >0 while inside <form id=form_id>
        self.fields: dict[str, dict] = {}
        self._select = None
        self._option = None
        self._textarea = None

    def _owned(self, attrs: dict) -> bool:
        return attrs.get("form") == self.form_id or (self.depth > 0 and "form" not in attrs)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if self.depth:
                self.depth += 1
            elif attrs.get("id") == self.form_id:
                self.depth = 1
            return
        if not attrs.get("name") and tag != "option":
            return
        if tag == "input" and self._owned(attrs) and "disabled" not in attrs:
            kind = (attrs.get("type") or "text").lower()
            if kind in UNPOSTED_INPUT_TYPES:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.fields[attrs["name"]] = {"value": attrs.get("value") or "", **attrs}
        elif tag == "select" and self._owned(attrs):
            self._select = {"options": [], "selected": None, **attrs}
            self.fields[attrs["name"]] = self._select
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "text": ""}
            if "selected" in attrs:
                self._select["selected"] = self._option
            self._select["options"].append(self._option)
        elif tag == "textarea" and self._owned(attrs):
            self._textarea = {"value": "", **attrs}
            self.fields[attrs["name"]] = self._textarea

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth -= 1
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["value"] += data


def form_fields(html: str, form_id: str) -> dict[str, dict]:
    """The named controls of ``<form id=form_id>``, with their attributes as rendered."""
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.fields


def browser_submission(html: str, form_id: str, typed: dict, button: str) -> dict:
    """The body a browser posts when the user types ``typed`` and clicks ``button``.

    Each typed value goes into a control the page has (a KeyError otherwise), cut to the
    control's maxlength as a browser cuts it; a select takes the typed option value (an
    autocomplete adds the option the user picks). Every other control posts its value as
    rendered.
    """
    fields = form_fields(html, form_id)
    data = {}
    for name, control in fields.items():
        if "options" in control:
            chosen = control["selected"] or (control["options"] or [None])[0]
            if chosen is not None:
                data[name] = chosen["value"] if chosen["value"] is not None else chosen["text"]
        else:
            data[name] = control["value"]
    for name, value in typed.items():
        control = fields[name]
        value = str(value)
        if control.get("maxlength"):
            value = value[: int(control["maxlength"])]
        data[name] = value
    data[button] = ""
    return data
