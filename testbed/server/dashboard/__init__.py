"""The dashboard: a web page served at ``/`` that shows a contact centre at work.

``routes`` serves the page and its files (shipped in ``static/``: plain
JavaScript modules, web components, SVG; nothing fetched at run time),
``view`` folds the event log into what the page shows, and ``stream`` the
frames ``GET /v1/events?view=1`` adds for it.  See docs/dashboard.md.
"""

from testbed.server.dashboard.routes import add_dashboard

__all__ = ["add_dashboard"]
