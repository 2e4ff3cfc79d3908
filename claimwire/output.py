"""Printing query results as a table, CSV or JSON.

Tables are drawn by `rich`, fitted to the terminal's width (`$COLUMNS`, else
80 when the output is not a terminal): long cells are cut with an ellipsis,
or wrapped with `full`. Numbers print plainly (12345.68, never 1.235e+04).
CSV and JSON stay exactly as scripts expect them.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FORMATS = ("table", "csv", "json")


def _cell(value: Any, width: int | None) -> str:
    if value is None:
        text = ""
    elif isinstance(value, datetime):
        text = value.isoformat(sep=" ", timespec="seconds")
    elif isinstance(value, float | Decimal):
        text = plain_number(value)
    else:
        text = str(value)
    text = " ".join(text.split())
    if width is not None and len(text) > width:
        text = text[: max(1, width - 1)] + "…"
    return text


def plain_number(value: float | Decimal) -> str:
    """A number as people write it: no exponent, at most 4 significant decimals."""
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return str(number)
    if number == int(number) and abs(number) < 1e18:
        return str(int(number))
    magnitude = abs(number)
    decimals = 2 if magnitude >= 1 else 4
    if magnitude < 1e-4:
        decimals = 8
    text = f"{number:.{decimals}f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def terminal_width() -> int:
    return max(20, shutil.get_terminal_size((80, 24)).columns)


# Narrowest a column may get before the table turns into records.
MIN_COLUMN = 6
# Columns this narrow are cut only when the wide ones cannot give more.
SHORT_COLUMN = 16


def render_table(
    columns: Sequence[str], cells: Sequence[Sequence[str]], *, wrap: bool = False,
    width: int | None = None,
) -> str:
    """`cells` (text already) as a rich table of the terminal's width, no colours.
    Columns shrink (cells cut with "…", or wrapped); when even that cannot fit
    every column, each row is printed as a record of "column: value" lines."""
    from rich.console import Console
    from rich.table import Table

    width = width or terminal_width()
    natural = [max([len(str(name))] + [len(row[i]) for row in cells])
               for i, name in enumerate(columns)]
    if sum(min(n, MIN_COLUMN) for n in natural) + 2 * (len(columns) - 1) > width:
        return _records(columns, cells, width, wrap)
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold",
                  padding=(0, 2, 0, 0))
    for name, size in zip(columns, fit_widths(natural, width - 2 * (len(columns) - 1)),
                          strict=True):
        table.add_column(str(name), overflow="fold" if wrap else "ellipsis",
                         no_wrap=not wrap, width=size)
    for row in cells:
        table.add_row(*row)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None,
                      force_terminal=False, no_color=True, highlight=False, emoji=False,
                      markup=False)
    console.print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip("\n").splitlines())


def fit_widths(natural: list[int], room: int) -> list[int]:
    """Column widths that fit `room`. First the other columns give way, widest
    first, down to SHORT_COLUMN (short values such as numbers stay whole);
    then any column, the first (the row's key: a URL, a batch) included,
    down to MIN_COLUMN."""
    widths = list(natural)
    excess = sum(widths) - room
    for candidates, floor in ((range(1, len(widths)), SHORT_COLUMN),
                              (range(len(widths)), MIN_COLUMN)):
        while excess > 0:
            shrinkable = [i for i in candidates if widths[i] > floor]
            if not shrinkable:
                break
            widest = max(shrinkable, key=lambda i: widths[i])
            second = max([widths[i] for i in shrinkable if i != widest] + [floor])
            cut = min(excess, max(1, widths[widest] - second))
            widths[widest] -= cut
            excess -= cut
    return widths


def _records(columns: Sequence[str], cells: Sequence[Sequence[str]], width: int,
             wrap: bool) -> str:
    import textwrap

    label = max(len(str(c)) for c in columns) + 2
    room = max(10, width - label)
    lines: list[str] = []
    for index, row in enumerate(cells):
        if index:
            lines.append("")
        for name, value in zip(columns, row, strict=True):
            head = f"{name}:".ljust(label)
            if wrap:
                parts = textwrap.wrap(value, room) or [""]
                lines.append(head + parts[0])
                lines += [" " * label + part for part in parts[1:]]
            else:
                lines.append(head + (value if len(value) <= room else value[: room - 1] + "…"))
    if not cells:
        lines.append("  ".join(str(c) for c in columns)[:width])
    return "\n".join(line.rstrip() for line in lines)


def format_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: str = "table",
    *,
    max_width: int | None = 60,
) -> str:
    if fmt == "json":
        return json.dumps(
            [dict(zip(columns, row, strict=True)) for row in rows],
            default=lambda v: v.isoformat() if isinstance(v, date | datetime) else str(v),
            ensure_ascii=False,
            indent=1,
        )
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        return buffer.getvalue().rstrip("\n")
    cells = [[_cell(v, max_width) for v in row] for row in rows]
    footer = f"({len(rows)} row{'s' if len(rows) != 1 else ''})"
    return render_table(columns, cells, wrap=max_width is None) + "\n" + footer
