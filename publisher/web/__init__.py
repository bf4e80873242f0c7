"""Web UI blueprints (thin views over publisher.services)."""


def init_app(app):  # replaced by the web layer
    pass
