"""OGC SensorThings API 1.1 at ``/v1.1`` (OGC 18-088), with the data array, batch, GeoJSON and
CSV extensions, Tasking, and Allmende's latest-Observation and aggregation extensions.

``router`` serves it; ``Api`` (kept in the app context as ``services["sensorthings"]``) does the
work; ``render_error`` answers errors under ``PREFIX``. See docs/sensorthings.md.
"""

from allmende.standards.sensorthings.api import PREFIX, SERVICE, router
from allmende.standards.sensorthings.errors import render_error
from allmende.standards.sensorthings.handlers import Api

__all__ = ["PREFIX", "SERVICE", "Api", "render_error", "router"]
