"""Small HTML tables for notebooks (escaped; no styling beyond pandas')."""

from html import escape


def table(title, frame):
    """A titled table of a DataFrame, as Jupyter shows it."""
    body = frame.to_html(notebook=True, border=0) if len(frame) else "<p><i>none</i></p>"
    return f"<h4>{escape(title)}</h4>{body}"
