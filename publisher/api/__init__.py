"""JSON API under /api/v1 (thin views over publisher.services)."""


def init_app(app):  # replaced by the API layer
    pass
