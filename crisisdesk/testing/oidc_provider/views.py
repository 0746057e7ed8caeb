"""The provider's JWKS (with the ``jwks=other-key`` knob) and the control endpoints the test harness calls."""

import hmac
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_application_model
from oauth2_provider.utils import jwk_from_pem
from oauth2_provider.views import JwksInfoView

from crisisdesk.testing.oidc_provider.validators import knobs


def jwks(request):
    """DOT's JWKS; with the knob set, another public key under the signing key's id."""
    response = JwksInfoView.as_view()(request)
    if knobs().get("jwks") != "other-key":
        return response
    document = json.loads(response.content)
    other = json.loads(jwk_from_pem(settings.OTHER_RSA_PRIVATE_KEY).export_public())
    for key in document["keys"]:
        key.update({name: other[name] for name in ("n", "e")})
    return JsonResponse(document)


def control(view):
    """A harness-only endpoint: POST with the control token, JSON in and out."""

    @csrf_exempt
    @require_POST
    def wrapper(request):
        token = request.headers.get("X-Control-Token", "")
        if not hmac.compare_digest(token, settings.CONTROL_TOKEN):
            return HttpResponseForbidden()
        with transaction.atomic():
            return JsonResponse(view(json.loads(request.body or b"{}")))

    return wrapper


@control
def reset(data):
    get_user_model().objects.all().delete()
    Group.objects.all().delete()
    settings.KNOBS_FILE.unlink(missing_ok=True)
    return {}


@control
def application(data):
    """Register (or re-register) the relying party."""
    model = get_application_model()
    model.objects.filter(client_id=data["client_id"]).delete()
    app = model.objects.create(
        name=data.get("name", "CrisisDesk"),
        client_id=data["client_id"],
        client_secret=data["client_secret"],
        client_type=model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=model.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(data["redirect_uris"]),
        algorithm=model.RS256_ALGORITHM,
        skip_authorization=data.get("skip_authorization", False),
    )
    return {"id": app.pk}


@control
def user(data):
    """Create or update a person; ``groups`` becomes exactly their Django groups."""
    person, _ = get_user_model().objects.get_or_create(username=data["username"])
    person.email = data.get("email", "")
    person.first_name = data.get("first_name", "")
    person.last_name = data.get("last_name", "")
    person.set_password(data["password"])
    person.save()
    person.groups.set([Group.objects.get_or_create(name=name)[0] for name in data.get("groups", [])])
    return {"sub": str(person.pk)}


@control
def misbehave(data):
    settings.KNOBS_FILE.write_text(json.dumps(data))
    return {}
