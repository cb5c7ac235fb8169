"""Renderers: each module turns a Result into one output format."""

ARRAY_ITEMS = 12  # arrays with more elements are shown shortened


def number(value, digits: int = 6) -> str:
    """A number for people: `digits` significant digits, -0.0 as 0, None as empty.

    An array is shown as nested lists when small, else as its first elements and its shape.
    """
    if value is None:
        return ""
    if not hasattr(value, "ravel"):  # a number, not a NumPy array
        if type(value) is not float and hasattr(value, "denominator"):
            return str(value)  # an exact fraction (--exact) in full, 7/12; or a whole number
        return "0" if value == 0 else format(value, f".{digits}g")
    items = [number(float(v), digits) for v in value.ravel()[:ARRAY_ITEMS]]
    if value.size > ARRAY_ITEMS:
        return f"[{', '.join(items[:4])}, …] ({'×'.join(map(str, value.shape))})"
    rows = [items]
    for size in reversed(value.shape[1:]):  # regroup the flat items, innermost axis first
        rows = [[rows[0][k:k + size] for k in range(0, len(rows[0]), size)]]
        rows = [[f"[{', '.join(row)}]" for row in rows[0]]]
    return f"[{', '.join(rows[0])}]"
