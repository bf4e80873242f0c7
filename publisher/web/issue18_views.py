"""Issue 18's view modules, imported together by :func:`publisher.web.init_app` (one line there)."""
from publisher.web import guide_views, invitation_views, notification_views, request_views  # noqa: F401
from publisher.web.blueprint import bp


@bp.app_context_processor
def _issue18_nav():
    """What the navigation shows of issue 18: invitations (admins, group owners), requests (staff)."""
    from publisher.web.security import current_user

    def may_invite() -> bool:
        user = current_user()
        if user is None:
            return False
        if user.role == "admin":
            return True
        from sqlalchemy import select

        from publisher.models_directory import GroupOwner
        from publisher.web.blueprint import ctx

        return ctx().session.execute(select(GroupOwner.group_id).where(GroupOwner.user_id == user.id)
                                     ).first() is not None

    return {"may_invite": may_invite}


@bp.app_context_processor
def _request_labels():
    from publisher.i18n import N_, gettext

    labels = {"open": N_("offen"), "delivered": N_("beantwortet"), "closed": N_("abgeschlossen")}
    return {"request_state_label": lambda s: gettext(labels[s]) if s in labels else s}
