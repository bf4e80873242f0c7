"""Issue 18's view modules, imported together by :func:`publisher.web.init_app` (one line there)."""
from publisher.web import notification_views  # noqa: F401
