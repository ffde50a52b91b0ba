"""Who made a change and why, as django-simple-history records it."""


def record_actor(instance, actor, reason: str = "") -> None:
    # simple-history reads these attributes when it writes the history row: the acting
    # user (the API, tasks and imports have no request it could read) and why.
    if actor is not None and actor.is_authenticated:
        instance._history_user = actor
    if reason:
        instance._change_reason = reason
