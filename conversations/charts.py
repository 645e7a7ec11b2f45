"""Small bar charts as inline SVG, for the admin's operations page."""

from __future__ import annotations

from collections.abc import Sequence

from . import svg

INK = "currentColor"
BAR = "#2f7fc1"
FONT = 10.0


def column_chart(
    bars: Sequence[tuple[str, int]],
    *,
    caption: str,
    colour: str = BAR,
    width: float = 640,
    height: float = 150,
    label_every: int = 1,
) -> str:
    """Vertical bars, one per (label, value); every `label_every`-th label shown."""
    left, bottom_pad, top_pad = 34.0, 22.0, 12.0
    plot_w = width - left - 6
    plot_h = height - bottom_pad - top_pad
    peak = max((value for _, value in bars), default=0)
    scale = plot_h / peak if peak else 0.0
    slot = plot_w / max(len(bars), 1)
    base = top_pad + plot_h
    parts = [
        svg.title(caption),
        _line(left, base, left + plot_w, base),
        svg.text(left - 4, top_pad + 4, str(peak), text_anchor="end", fill=INK),
        svg.text(left - 4, base, "0", text_anchor="end", fill=INK),
    ]
    for index, (label, value) in enumerate(bars):
        x = left + index * slot
        h = value * scale
        parts.append(
            svg.element(
                "rect",
                svg.title(f"{label}: {value}"),
                x=x + slot * 0.12,
                y=base - h,
                width=max(slot * 0.76, 1.0),
                height=max(h, 0.0),
                fill=colour,
                class_="bar",
                data_value=value,
            )
        )
        if index % max(label_every, 1) == 0:
            parts.append(
                svg.text(x + slot / 2, base + 14, label, text_anchor="middle", fill=INK)
            )
    return _document(width, height, caption, parts)


def bar_chart(
    rows: Sequence[tuple[str, int]],
    *,
    caption: str,
    colour: str = BAR,
    width: float = 420,
) -> str:
    """Horizontal bars, one row per (label, value), the value written after it."""
    row_h, left = 20.0, 70.0
    height = max(len(rows), 1) * row_h + 8
    peak = max((value for _, value in rows), default=0)
    room = width - left - 50
    parts = [svg.title(caption)]
    if not rows:
        parts.append(svg.text(4, 18, "None in this range", fill=INK))
    for index, (label, value) in enumerate(rows):
        y = 4 + index * row_h
        w = room * value / peak if peak else 0.0
        parts += [
            svg.text(left - 6, y + 13, label, text_anchor="end", fill=INK),
            svg.element(
                "rect",
                svg.title(f"{label}: {value}"),
                x=left,
                y=y + 3,
                width=max(w, 1.0),
                height=row_h - 6,
                fill=colour,
                class_="bar",
                data_value=value,
            ),
            svg.text(left + w + 6, y + 13, str(value), fill=INK),
        ]
    return _document(width, height, caption, parts)


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return svg.element(
        "line", x1=x1, y1=y1, x2=x2, y2=y2, stroke=INK, stroke_opacity="0.4"
    )


def _document(width: float, height: float, caption: str, parts: list[str]) -> str:
    return svg.document(
        width,
        height,
        *parts,
        role="img",
        aria_label=caption,
        class_="chart",
        font_size=FONT,
        font_family="system-ui, -apple-system, 'Segoe UI', sans-serif",
    )
