"""Coloured message boxes (errors, successes, notes), the one look every tab uses for what it has to say."""

from __future__ import annotations

import html


def message_html(title: str, lines: list[str] = (), kind: str = "error") -> str:
    """A coloured message box (kind: error | ok | info)."""
    colour = {"error": ("#fdecea", "#b71c1c"), "ok": ("#e8f5e9", "#1b5e20"), "info": ("#e3f2fd", "#0d47a1")}[kind]
    items = "".join(f"<li>{html.escape(str(line))}</li>" for line in lines)
    body = f"<ul style='margin:4px 0 0 0'>{items}</ul>" if items else ""
    return (f"<div class='planner-message planner-{kind}' style='background:{colour[0]};color:{colour[1]};"
            f"padding:8px 12px;border-radius:4px;margin:4px 0'><b>{html.escape(title)}</b>{body}</div>")
