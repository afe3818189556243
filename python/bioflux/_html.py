"""Small HTML tables for notebooks (escaped; no styling beyond pandas')."""

from html import escape


def table(title, frame, max_rows=60):
    """A titled table of a DataFrame, as Jupyter shows it (long ones
    shortened in the middle, as pandas does)."""
    body = frame.to_html(notebook=True, border=0, max_rows=max_rows) if len(frame) else "<p><i>none</i></p>"
    return f"<h4>{escape(title)}</h4>{body}"
