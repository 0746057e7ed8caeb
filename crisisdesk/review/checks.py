"""System checks of the review engine (registered in ``ReviewConfig.ready()``)."""

from django.core import checks

from . import registry, selectors


def check_reviewable_kinds(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """review.E001: every concrete ``Reviewable`` model has a registered ``ReviewableKind``.

    Without one its items would have no review page, audit trail or workflow links.
    """
    errors = []
    for model in selectors.reviewable_models():
        if app_configs is not None and model._meta.app_config not in app_configs:
            continue
        try:
            registry.kind_of(model)
        except LookupError:
            errors.append(
                checks.Error(
                    f"{model._meta.label} is reviewed by the engine but no review kind is registered for it.",
                    hint=(
                        "Describe it with a crisisdesk.review.registry.ReviewableKind and call "
                        "crisisdesk.review.registry.register() in its app's AppConfig.ready()."
                    ),
                    obj=model,
                    id="review.E001",
                )
            )
    return errors
