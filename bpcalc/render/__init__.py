"""Renderers: each module turns a Result into one output format."""


def number(value: float | None, digits: int = 6) -> str:
    """A number for people: `digits` significant digits, -0.0 as 0, None as empty."""
    if value is None:
        return ""
    if value == 0:
        return "0"
    return format(value, f".{digits}g")
