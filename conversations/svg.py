"""Write SVG markup as text, every attribute value and text node escaped.

Used by the admin's inspector and operations charts, which are drawn on the
server: no script, no library, nothing fetched by the browser.
"""

from __future__ import annotations

from html import escape

AttrValue = str | int | float | None


def num(value: float) -> str:
    """A coordinate with at most one decimal, without a trailing `.0`."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _attrs(attributes: dict[str, AttrValue]) -> str:
    parts = []
    for name, value in attributes.items():
        if value is None:
            continue
        # Python names: `class_` is `class`, `font_size` is `font-size`.
        key = name.rstrip("_").replace("_", "-")
        shown = num(value) if isinstance(value, float) else str(value)
        parts.append(f' {key}="{escape(shown, quote=True)}"')
    return "".join(parts)


def element(tag: str, *children: str, **attributes: AttrValue) -> str:
    """`<tag attrs>children</tag>`; children are markup (already escaped)."""
    if not children:
        return f"<{tag}{_attrs(attributes)}/>"
    return f"<{tag}{_attrs(attributes)}>{''.join(children)}</{tag}>"


def text(x: float, y: float, content: str, **attributes: AttrValue) -> str:
    """A `<text>` whose content is plain text."""
    return element(
        "text", escape(content, quote=False), x=float(x), y=float(y), **attributes
    )


def title(content: str, **attributes: AttrValue) -> str:
    """A `<title>`: what a browser shows on hover."""
    return element("title", escape(content, quote=False), **attributes)


def text_width(content: str, font_size: float = 11) -> float:
    """A rough width of `content` in pixels, enough to keep labels apart."""
    return len(content) * font_size * 0.58


def document(
    width: float, height: float, *children: str, **attributes: AttrValue
) -> str:
    """An inline `<svg>` that scales down with its container."""
    return element(
        "svg",
        *children,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {num(width)} {num(height)}",
        width=float(width),
        height=float(height),
        **attributes,
    )
