"""factory_boy factories shared by every app's tests."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents.models import Fact, Incident, IncidentRole, Membership, TimelineEntry, TimelineKind

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A user; pass ``role="Legal"`` (a group name) to put them in a global role."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.groups.add(Group.objects.get(name=extracted))


class IncidentFactory(factory.django.DjangoModelFactory):
    """An incident written straight to the table (no timeline); use services to test behaviour."""

    class Meta:
        model = Incident

    reference = factory.Sequence(lambda n: f"CD-T-{n:05d}")
    title = factory.Faker("sentence", nb_words=6)
    summary = factory.Faker("paragraph")
    category = "viral_complaint"
    severity = 3
    source = "https://x.example/post/1"
    affected_channels = factory.LazyFunction(lambda: ["x", "facebook"])
    detected_at = factory.LazyFunction(timezone.now)


def role(code: str) -> IncidentRole:
    return IncidentRole.objects.get(code=code)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    incident = factory.SubFactory(IncidentFactory)
    user = factory.SubFactory(UserFactory, role="Communicator")
    role = factory.LazyFunction(lambda: role("communications"))


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEntry

    incident = factory.SubFactory(IncidentFactory)
    kind = TimelineKind.NOTE
    body = factory.Faker("sentence")


class FactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fact

    incident = factory.SubFactory(IncidentFactory)
    claim = factory.Faker("sentence")
    source = "internal report"
