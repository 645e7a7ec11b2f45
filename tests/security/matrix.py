"""A table of what was tried against a running instance, and whether it held."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Row:
    area: str
    tried: str
    expected: str
    seen: str = "—"
    held: bool | None = None


class Matrix:
    def __init__(self) -> None:
        self.rows: list[Row] = []

    @contextmanager
    def row(self, area: str, tried: str, expected: str) -> Iterator[Row]:
        """One attempt: set ``row.seen`` to what happened; raising means it broke."""
        row = Row(area, tried, expected)
        self.rows.append(row)
        try:
            yield row
        except BaseException:
            row.held = False
            raise
        row.held = True

    def table(self) -> str:
        header = ("area", "tried", "expected", "seen", "held")
        lines = [
            (
                row.area,
                row.tried,
                row.expected,
                row.seen,
                {True: "held", False: "BROKE", None: "?"}[row.held],
            )
            for row in self.rows
        ]
        widths = [max(len(line[i]) for line in [header, *lines]) for i in range(5)]

        def render(cells: tuple[str, ...]) -> str:
            return " | ".join(
                cell.ljust(width) for cell, width in zip(cells, widths, strict=True)
            )

        rule = "-+-".join("-" * width for width in widths)
        held = sum(1 for row in self.rows if row.held)
        return "\n".join(
            [
                render(header),
                rule,
                *map(render, lines),
                "",
                f"{held} of {len(lines)} held",
            ]
        )
