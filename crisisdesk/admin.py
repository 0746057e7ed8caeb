"""Shared bases of every app's admin: forms whose validation ends in a service call, and read-only inlines.

This module registers nothing. Admin pages never write a status field: a ``ServiceForm`` calls the
domain service as its last validation step, so a refusal shows on the form and nothing is saved.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from crisisdesk.exceptions import DomainError

# Errors a service raises on purpose; the admin reports them instead of failing.
SERVICE_ERRORS = (DomainError, PermissionDenied, ValidationError)


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


class ServiceForm(forms.ModelForm):
    """A ModelForm whose ``clean()`` ends by calling a service instead of leaving ``save()`` to write.

    The admin has no hook between validation and saving that can still show
    errors on the form, so the service runs as the last validation step. The
    admin's change view runs inside one transaction and each call here inside a
    savepoint, so a refused change leaves nothing behind. ``save_model`` then
    only reloads what the service wrote.
    """

    actor = None  # set by ServiceAdminMixin.get_form

    def apply(self, cleaned_data: dict):
        """Call the service(s); return the saved object."""
        raise NotImplementedError

    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        try:
            with transaction.atomic():
                self.service_result = self.apply(cleaned_data)
        except ValidationError as exc:
            self._add_service_error(exc)
        except (DomainError, PermissionDenied) as exc:
            self.add_error(None, str(exc))
        return cleaned_data

    def _add_service_error(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            # Errors about fields the form does not show go on top of the form.
            self.add_error(field if field in self.fields else None, errors)

    def _post_clean(self):
        # The service validated and saved; re-validating the stale instance could
        # only report errors about fields the form does not own.
        if getattr(self, "service_result", None) is None:
            super()._post_clean()


class ServiceAdminMixin:
    """Hands the request user to the form and lets ``save_model`` reload what the service saved."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        return type(form_class.__name__, (form_class,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        saved = form.service_result
        obj.pk = saved.pk
        obj.refresh_from_db()


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
