"""API serializers of the roster."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crisisdesk.api.fields import VisiblePrimaryKeyRelatedField
from crisisdesk.api.serializers import StrictInputMixin, UserBriefSerializer
from incidents.models import IncidentRole
from playbooks.roster.models import Department, Person, RoleCapability


class DepartmentSerializer(serializers.ModelSerializer):
    """A department the crisis team is drawn from."""

    class Meta:
        model = Department
        fields = ["id", "name", "description"]
        read_only_fields = fields


class CapabilitySerializer(serializers.ModelSerializer):
    """An incident role this person can hold, and their place in its call order (1 = first call)."""

    role = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RoleCapability
        fields = ["role", "priority"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    """Someone on the crisis roster: how to reach them, who backs them up, what they answer for."""

    department = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    backup = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    backup_name = serializers.CharField(source="backup.full_name", read_only=True, allow_null=True)
    user = UserBriefSerializer(read_only=True, allow_null=True)
    roles = CapabilitySerializer(source="capabilities", many=True, read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "full_name",
            "department",
            "job_title",
            "phone",
            "email",
            "backup",
            "backup_name",
            "languages",
            "responsibilities",
            "roles",
            "user",
            "active",
        ]
        read_only_fields = fields


class DepartmentInputSerializer(StrictInputMixin, serializers.Serializer):
    """A department to create (POST) or change (PATCH)."""

    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True)


class DepartmentUpdateSerializer(DepartmentInputSerializer):
    name = serializers.CharField(max_length=120, required=False)


class OptionalBooleanField(serializers.BooleanField):
    """A boolean that is left unchanged when a form body omits it (DRF would read an absent checkbox as false)."""

    default_empty_html = serializers.empty


class CapabilityInputSerializer(StrictInputMixin, serializers.Serializer):
    """An incident role the person can hold, and their place in its call order."""

    role = serializers.SlugRelatedField(slug_field="code", queryset=IncidentRole.objects.all())
    priority = serializers.IntegerField(min_value=1, default=1)


class PersonInputSerializer(StrictInputMixin, serializers.Serializer):
    """Someone to put on the roster (POST) or change (PATCH); ``roles`` replaces the roles they can hold."""

    full_name = serializers.CharField(max_length=200)
    user = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), required=False, allow_null=True)
    job_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    backup = VisiblePrimaryKeyRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    # Codes checked by the service (one message for unknown codes); a ChoiceField here would add a second enum.
    languages = serializers.ListField(
        child=serializers.CharField(max_length=8), required=False, help_text=_("Language codes, e.g. en, fr.")
    )
    responsibilities = serializers.CharField(required=False, allow_blank=True)
    active = OptionalBooleanField(required=False)
    roles = CapabilityInputSerializer(many=True, required=False)


class PersonUpdateSerializer(PersonInputSerializer):
    full_name = serializers.CharField(max_length=200, required=False)


class ContactSerializer(serializers.ModelSerializer):
    """How to reach someone on the roster, in a line."""

    department = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = Person
        fields = ["id", "full_name", "job_title", "department", "phone", "email", "languages"]
        read_only_fields = fields


class WhoToCallRoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentRole
        fields = ["code", "name", "responsibilities"]
        read_only_fields = fields


class WhoToCallSerializer(serializers.Serializer):
    """For one incident role: the first call, the backup (the first call's named backup, else the next in line),
    and everyone active who can hold it, in call order."""

    role = WhoToCallRoleSerializer()
    primary = ContactSerializer(allow_null=True, help_text=_("Null: nobody named for this role."))
    backup = ContactSerializer(allow_null=True, help_text=_("Null: no backup."))
    people = ContactSerializer(many=True)
