"""Demo data for ``manage.py seed_demo``: one user per role and a dozen believable reputation crises.

Everything is written through ``incidents.services`` so the timelines, facts and
clocks are exactly what a real team would have produced. To spread the clocks
over hours and days, the seeder moves ``timezone.now`` while it calls the
services (``unittest.mock`` rather than time-machine, which is only a dev
dependency and ``make demo`` installs only requirements.txt).

The incident texts are data, not interface strings: they are written in the
language of the crisis (English or French) and are deliberately not translated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from unittest import mock

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from crisisdesk.review import services as review
from crisisdesk.review.models import AuditEvent, BodyFormat, Reviewable, ReviewDecision, ReviewRequest, Revision
from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD
from incidents import services
from incidents.models import (
    Category,
    Fact,
    FactStatus,
    Incident,
    IncidentRole,
    ReferenceCounter,
    Severity,
    Status,
    TimelineKind,
)
from incidents.statements import services as statement_services
from incidents.statements.models import Statement, StatementPublication
from playbooks.models import KeyMessage, KeyMessageKind
from playbooks.services import keymessage_create

# --- people ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    """One demo login: a memorable username, a realistic person and a global role (``None``: superuser)."""

    username: str
    first_name: str
    last_name: str
    role: str | None
    can_do: str

    @property
    def password(self) -> str:
        # Not trivial, easy to type, and printed by the command: this is a demo, not a secret.
        return f"crisis-{self.username}"

    @property
    def email(self) -> str:
        return f"{self.first_name}.{self.last_name}@example.org".lower()

    @property
    def role_label(self) -> str:
        return str(self.role or _("Superuser"))


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "comms",
        "Sophie",
        "Laurent",
        COMMUNICATOR,
        _("Open and edit incidents, move them along the workflow, write notes, add and verify facts"),
    ),
    DemoUser(
        "comms2", "Daniel", "Okafor", COMMUNICATOR, _("Same as comms: a second communicator for four-eyes reviews")
    ),
    DemoUser("legal", "Priya", "Natarajan", LEGAL, _("Read incidents, write notes, add and verify facts")),
    DemoUser(
        "lead",
        "Marc",
        "Dubois",
        TEAM_LEAD,
        _("Everything a communicator can, plus severity, lead, crisis team and closing"),
    ),
    DemoUser("lead2", "Hannah", "Becker", TEAM_LEAD, _("Same as lead: a second team lead")),
    DemoUser(
        "observer",
        "Olivia",
        "Grant",
        OBSERVER,
        _("Read-only: sees non-confidential incidents and those whose team they are on"),
    ),
    DemoUser(
        "admin", "Alex", "Morgan", None, _("Superuser: the Django admin and every incident, confidential ones too")
    ),
)

DEMO_USERNAMES = tuple(u.username for u in DEMO_USERS)


def ensure_users() -> dict[str, object]:
    """Create or refresh the demo users so the printed logins always work; returns them by username.

    A password is only re-set when it no longer matches, because setting it
    rotates the hash and would log out browsers already signed in to the demo.
    """
    User = get_user_model()
    users = {}
    for spec in DEMO_USERS:
        user, _created = User.objects.get_or_create(username=spec.username)
        user.first_name, user.last_name, user.email = spec.first_name, spec.last_name, spec.email
        user.is_active = True
        user.is_staff = user.is_superuser = spec.role is None
        if not user.check_password(spec.password):
            user.set_password(spec.password)
        user.save()
        user.groups.set([Group.objects.get(name=spec.role)] if spec.role else [])
        users[spec.username] = user
    return users


# --- incidents ------------------------------------------------------------------------------------------------------


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def days(n: float) -> timedelta:
    return timedelta(days=n)


@dataclass(frozen=True)
class Step:
    """One thing a person did on an incident, ``at`` a time after its detection."""

    at: timedelta
    actor: str
    action: str
    args: dict


def note(at, actor, body) -> Step:
    return Step(at, actor, "note", {"body": body, "kind": TimelineKind.NOTE})


def decision(at, actor, body) -> Step:
    return Step(at, actor, "note", {"body": body, "kind": TimelineKind.DECISION})


def escalation(at, actor, body) -> Step:
    return Step(at, actor, "note", {"body": body, "kind": TimelineKind.ESCALATION})


def status(at, actor, to, comment="") -> Step:
    return Step(at, actor, "status", {"to_status": to, "comment": comment})


def severity(at, actor, level, comment="") -> Step:
    return Step(at, actor, "severity", {"severity": level, "comment": comment})


def set_lead(at, actor, lead) -> Step:
    return Step(at, actor, "lead", {"lead": lead})


def member(at, actor, user, role) -> Step:
    return Step(at, actor, "member", {"user": user, "role": role})


def fact(at, actor, key, claim, source="") -> Step:
    return Step(at, actor, "fact", {"key": key, "claim": claim, "source": source})


def verify(at, actor, key, verdict, note="") -> Step:
    return Step(at, actor, "verify", {"key": key, "status": verdict, "note": note})


# Statements: every change goes through the statement services and the review engine, like the
# browser's buttons. ``key`` names the statement within its incident, as facts are named.


def draft(at, actor, key, *, channels, title=None, body=None, from_key_message=None, cites=(), **fields) -> Step:
    """Write a statement, from scratch or from a key message (``from_key_message`` is its demo key).

    ``cites`` names facts of the incident by their script key; ``fields`` are the optional
    language, audience and body_format.
    """
    args = {"key": key, "channels": channels, "title": title, "body": body, "cites": list(cites), **fields}
    return Step(at, actor, "draft", {**args, "from_key_message": from_key_message})


def edit(at, actor, key, comment="", **changes) -> Step:
    return Step(at, actor, "edit", {"key": key, "comment": comment, "changes": changes})


def submit(at, actor, key, comment="") -> Step:
    return Step(at, actor, "submit", {"key": key, "comment": comment})


def approve(at, actor, key, comment="") -> Step:
    return Step(at, actor, "approve", {"key": key, "comment": comment})


def request_changes(at, actor, key, comment) -> Step:
    return Step(at, actor, "request_changes", {"key": key, "comment": comment})


def reject(at, actor, key, comment) -> Step:
    return Step(at, actor, "reject", {"key": key, "comment": comment})


def publish(at, actor, key) -> Step:
    return Step(at, actor, "publish", {"key": key})


def live_url(at, actor, key, channel, url) -> Step:
    return Step(at, actor, "live_url", {"key": key, "channel": channel, "url": url})


def withdraw(at, actor, key, reason) -> Step:
    return Step(at, actor, "withdraw", {"key": key, "reason": reason})


@dataclass(frozen=True)
class DemoIncident:
    """One scripted crisis: how it was opened, and what the team did afterwards."""

    title: str
    summary: str
    category: str
    severity: int
    source: str
    channels: list[str]
    detected_ago: timedelta
    opened_after: timedelta
    opened_by: str
    lead: str | None = None
    confidential: bool = False
    is_exercise: bool = False
    language: str = "en"
    steps: list[Step] = field(default_factory=list)
    # What was said in public, and how it got through review: played in time order with ``steps``.
    statements: list[Step] = field(default_factory=list)


CONFIRMED, REFUTED = FactStatus.CONFIRMED, FactStatus.REFUTED

DEMO_INCIDENTS: tuple[DemoIncident, ...] = (
    DemoIncident(
        title="EXERCISE — Deepfake video of our CEO announcing a recall of all kettles",
        summary=(
            "Quarterly crisis drill. Scenario injected by the facilitator: a 40-second video, apparently of our CEO, "
            "announces that every kettle sold since 2024 is recalled for fire risk. It spreads on X and TikTok and a "
            "consumer-rights account asks customers to return their kettles."
        ),
        category=Category.MISINFORMATION,
        severity=Severity.HIGH,
        source="Drill scenario card #3, injected by the facilitator at 10:00",
        channels=["x", "tiktok", "website", "press_release"],
        detected_ago=days(30),
        opened_after=minutes(6),
        opened_by="lead2",
        lead="lead2",
        is_exercise=True,
        steps=[
            member(minutes(8), "lead2", "comms", "communications"),
            member(minutes(8), "lead2", "legal", "legal"),
            member(minutes(9), "lead2", "observer", "executive_sponsor"),
            status(minutes(10), "lead2", Status.INVESTIGATING, "Drill clock started."),
            fact(minutes(15), "comms", "voice", "The CEO's voice in the video is synthetic.", "Drill inject #2"),
            fact(minutes(18), "legal", "alibi", "The CEO was on stage in Lyon at the time the video claims.", "Agenda"),
            verify(minutes(30), "lead2", "voice", CONFIRMED, "Audio analysis by our monitoring vendor (drill inject)."),
            verify(minutes(32), "legal", "alibi", CONFIRMED, "Conference livestream timestamp."),
            decision(
                minutes(35),
                "lead2",
                "Publish a debunk with the original footage within 60 minutes; ask the platforms to label the video.",
            ),
            status(minutes(36), "lead2", Status.RESPONDING),
            note(minutes(52), "comms", "Debunk statement approved and ready: 52 minutes after the inject (target 60)."),
            status(hours(2), "lead2", Status.MONITORING),
            status(hours(3), "lead2", Status.RESOLVED, "Drill over."),
            note(
                hours(3) + minutes(10),
                "lead2",
                "Findings: legal review took 14 minutes, the press contact list was out of date, "
                "nobody owned the TikTok account. Actions go to the post-crisis review.",
            ),
            status(days(1), "lead2", Status.CLOSED, "Exercise report filed."),
        ],
        statements=[
            draft(
                minutes(40),
                "comms",
                "debunk",
                channels=["x", "tiktok", "website"],
                title="The video of our CEO announcing a kettle recall is fake",
                body=(
                    "A video on X and TikTok shows our CEO announcing a recall of all our kettles. It is fake: the "
                    "voice is synthetic, and our CEO was on stage in Lyon at that time. There is no recall: your "
                    "kettle is safe to use."
                ),
                cites=["voice", "alibi"],
            ),
            submit(minutes(41), "comms", "debunk"),
            approve(minutes(50), "legal", "debunk", "Both facts confirmed; fine to go."),
            publish(minutes(55), "lead2", "debunk"),
        ],
    ),
    DemoIncident(
        title="Checkout outage during the autumn flash sale; customers furious on X",
        summary=(
            "Card payments failed for about 38 % of checkouts during the first two hours of the flash sale. Customers "
            "posted 'payment failed' screenshots, some were charged twice, and #LumiereFail trended in the UK."
        ),
        category=Category.SERVICE_OUTAGE,
        severity=Severity.CRITICAL,
        source="Social listening alert: 'checkout' mentions x10 in 15 minutes",
        channels=["x", "facebook", "website"],
        detected_ago=days(20),
        opened_after=minutes(8),
        opened_by="comms2",
        lead="lead2",
        steps=[
            note(
                minutes(10),
                "comms2",
                "Customers post 'payment failed' screenshots; a dozen say they were charged twice.",
            ),
            status(minutes(12), "lead2", Status.INVESTIGATING, "Payments and e-commerce on-call engaged."),
            member(minutes(15), "lead2", "comms", "social_media"),
            fact(minutes(20), "comms2", "all", "Checkout fails for every card payment.", "Customer posts on X"),
            verify(
                minutes(35), "lead2", "all", REFUTED, "Only Visa payments through one gateway fail (38 % of attempts)."
            ),
            fact(minutes(40), "comms", "twice", "Some customers were charged twice.", "14 screenshots posted on X"),
            verify(
                minutes(55),
                "lead2",
                "twice",
                CONFIRMED,
                "Payments team: 1,284 duplicate authorisations, released automatically within 5 days.",
            ),
            decision(
                hours(1),
                "lead2",
                "Extend the flash sale by 24 hours and tell customers that duplicate charges will be released.",
            ),
            status(hours(1), "lead2", Status.RESPONDING, "Holding post on X and a banner on the website."),
            status(hours(2.5), "lead2", Status.MONITORING, "Gateway fixed; checkout success rate back to 98 %."),
            status(hours(5), "lead2", Status.RESOLVED),
            escalation(
                days(1) + hours(2),
                "comms2",
                "New wave on X: the extended-sale prices are not applied at checkout.",
            ),
            status(days(1) + hours(2) + minutes(5), "lead2", Status.RESPONDING, "Flare-up: extended-sale prices."),
            status(days(1) + hours(4), "lead2", Status.MONITORING, "Prices fixed; apology reply pinned on X."),
            severity(days(1) + hours(8), "lead2", Severity.MEDIUM, "Volume down 90 %, individual complaints only."),
            status(days(2), "lead2", Status.RESOLVED),
            note(days(6), "lead2", "All duplicate authorisations released; 212 customers received a £10 voucher."),
            status(days(7), "lead2", Status.CLOSED, "Post-crisis review scheduled."),
        ],
        statements=[
            # The sale's holding line, reused word for word: Legal's approval carries over, the lead adds theirs.
            draft(minutes(56), "comms2", "holding", channels=["x", "website"], from_key_message="flash_sale"),
            submit(minutes(57), "comms2", "holding"),
            approve(minutes(59), "lead2", "holding", "Matches what payments told us."),
            publish(hours(1), "comms2", "holding"),
            live_url(hours(1) + minutes(2), "comms2", "holding", "x", "https://x.com/maisonlumiere/status/1850011136"),
            draft(
                hours(1) + minutes(5),
                "comms2",
                "extension",
                channels=["x", "facebook", "website"],
                title="Flash sale extended by 24 hours",
                body=(
                    "Sorry for this morning's payment problems: they are fixed. To make up for it, the flash sale "
                    "is extended by 24 hours. If you were charged twice, the duplicate amount is released "
                    "automatically within 5 days."
                ),
                cites=["twice"],
            ),
            submit(hours(1) + minutes(6), "comms2", "extension"),
            approve(hours(1) + minutes(20), "legal", "extension", "“Within 5 days” is what payments confirmed: OK."),
            approve(hours(1) + minutes(25), "lead2", "extension"),
            publish(hours(1) + minutes(30), "comms", "extension"),
            live_url(
                hours(1) + minutes(32),
                "comms",
                "extension",
                "facebook",
                "https://www.facebook.com/maisonlumiere/posts/flash-sale-extended",
            ),
            withdraw(
                days(1) + hours(2) + minutes(3),
                "lead2",
                "extension",
                "The extended-sale prices are not applied at checkout: we must not send customers to the "
                "extension until it is fixed.",
            ),
            draft(
                days(1) + hours(2) + minutes(30),
                "comms2",
                "apology",
                channels=["x", "website"],
                title="Extended-sale prices: fixed, and we are sorry",
                body=(
                    "Since this morning the extended-sale prices were not applied at checkout. It is fixed. If you "
                    "paid the full price, the difference is refunded automatically by Friday. Sorry for a second "
                    "bad experience in two days."
                ),
            ),
            submit(days(1) + hours(2) + minutes(35), "comms2", "apology"),
            approve(days(1) + hours(3), "legal", "apology"),
            approve(days(1) + hours(3) + minutes(10), "lead2", "apology"),
            publish(days(1) + hours(3) + minutes(15), "comms2", "apology"),
            live_url(
                days(1) + hours(3) + minutes(20),
                "comms2",
                "apology",
                "x",
                "https://x.com/maisonlumiere/status/1850402277",
            ),
        ],
    ),
    DemoIncident(
        title="'Beach body loading… skip the cake' billboard called fat-shaming",
        summary=(
            "A photo of our summer-range billboard went viral on Instagram with accusations of fat-shaming. "
            "Body-positive creators called for a boycott; two newspapers asked for comment."
        ),
        category=Category.OFFENSIVE_CONTENT,
        severity=Severity.MEDIUM,
        source="Instagram post by @body.neutral.club with a photo of the billboard (12k likes)",
        channels=["instagram", "x", "facebook"],
        detected_ago=days(15),
        opened_after=hours(2),
        opened_by="comms",
        steps=[
            status(hours(2) + minutes(5), "comms", Status.INVESTIGATING),
            set_lead(hours(2) + minutes(20), "lead", "lead"),
            member(hours(2) + minutes(25), "lead", "legal", "legal"),
            fact(
                hours(2) + minutes(30),
                "comms",
                "slogan",
                "The billboard reads 'Beach body loading… skip the cake'.",
                "Photo on Instagram",
            ),
            fact(hours(3), "comms", "approved", "The slogan went through our brand review.", "Agency account manager"),
            verify(hours(3) + minutes(10), "legal", "slogan", CONFIRMED, "Same artwork in the agency's print files."),
            verify(
                hours(3) + minutes(20),
                "lead",
                "approved",
                REFUTED,
                "The approved version said 'Summer loading'; the line was changed after sign-off.",
            ),
            decision(
                hours(3) + minutes(30),
                "lead",
                "Pull all 140 billboards and the Instagram ads today; apologise without blaming the agency.",
            ),
            status(hours(3) + minutes(40), "lead", Status.RESPONDING),
            status(days(1), "lead", Status.MONITORING, "Apology post well received; billboards down in 31 cities."),
            status(days(4), "lead", Status.RESOLVED),
        ],
        statements=[
            draft(
                hours(3) + minutes(22),
                "comms",
                "first",
                channels=["instagram", "x"],
                title="About our summer billboard",
                body=(
                    "We're sorry if our summer billboard offended anyone. The slogan was changed by our agency after "
                    "our approval and does not reflect our values."
                ),
                cites=["slogan"],
            ),
            submit(hours(3) + minutes(23), "comms", "first"),
            reject(
                hours(3) + minutes(28),
                "legal",
                "first",
                "“Sorry if” is not an apology, and blaming the agency in public exposes us: we approved the "
                "campaign. This text must not go out.",
            ),
            draft(
                hours(3) + minutes(33),
                "comms",
                "apology",
                channels=["instagram", "x", "facebook"],
                title="Our summer billboard was wrong",
                body=(
                    "Our billboard told people to “skip the cake” to get a “beach body”. That is body-shaming, and "
                    "it should never have gone up. We are taking down all 140 billboards and the related ads today. "
                    "We are sorry."
                ),
                cites=["slogan"],
            ),
            submit(hours(3) + minutes(34), "comms", "apology"),
            approve(hours(3) + minutes(38), "legal", "apology", "A real apology, no blame. Approved."),
            publish(hours(3) + minutes(45), "lead", "apology"),
            live_url(
                hours(3) + minutes(47),
                "lead",
                "apology",
                "instagram",
                "https://www.instagram.com/p/maisonlumiere-summer-billboard/",
            ),
        ],
    ),
    DemoIncident(
        title="CEO at RetailTech Summit: 'people who complain online aren't our customers anyway'",
        summary=(
            "A 20-second clip of our CEO's panel answer circulates on LinkedIn and X. Commentators read it as contempt "
            "for customers; a consumer association asks for an apology."
        ),
        category=Category.EXECUTIVE_CONDUCT,
        severity=Severity.HIGH,
        source="Clip from the RetailTech Summit livestream, shared on LinkedIn and X",
        channels=["linkedin", "x"],
        detected_ago=days(9),
        opened_after=hours(1),
        opened_by="comms",
        steps=[
            set_lead(hours(1) + minutes(5), "lead", "lead"),
            status(hours(1) + minutes(10), "lead", Status.INVESTIGATING),
            member(hours(1) + minutes(20), "lead", "observer", "executive_sponsor"),
            member(hours(1) + minutes(25), "lead", "legal", "legal"),
            fact(
                hours(1) + minutes(40),
                "comms",
                "quote",
                "The CEO said: 'People who complain online aren't really our customers anyway.'",
                "Full livestream recording, 41:12",
            ),
            verify(hours(2), "lead", "quote", CONFIRMED, "Full recording checked: the clip is not out of context."),
            fact(hours(2.5), "comms", "deleted", "The CEO has deleted his LinkedIn account.", "Post by @retailwatch"),
            verify(hours(2.75), "comms", "deleted", REFUTED, "The account is live; he only turned off comments."),
            decision(hours(3), "observer", "The CEO will apologise in person, in a short video, today."),
            status(hours(3) + minutes(10), "lead", Status.RESPONDING),
            note(hours(6), "comms", "Apology video live on LinkedIn and X; 70 % of new replies neutral or positive."),
            status(days(1), "lead", Status.MONITORING),
            severity(days(3), "lead", Severity.MEDIUM, "Mentions back to baseline."),
            status(days(6), "lead", Status.RESOLVED, "Baseline for three days in a row."),
        ],
        statements=[
            draft(
                hours(2) + minutes(10),
                "comms",
                "written",
                channels=["linkedin", "x", "press_release"],
                title="Statement on our CEO's remarks at RetailTech Summit",
                body=(
                    "Our CEO's remark at the RetailTech Summit was taken out of context. Every customer who takes "
                    "the time to tell us what went wrong matters to us."
                ),
                cites=["quote"],
            ),
            submit(hours(2) + minutes(15), "comms", "written"),
            # Back to draft, and left there: the CEO apologised himself, on video.
            request_changes(
                hours(2) + minutes(40),
                "legal",
                "written",
                "The full recording shows the clip is not out of context (fact checked at 2 h): we cannot say it "
                "is. An apology, or nothing.",
            ),
        ],
    ),
    DemoIncident(
        title="Rumeur : les biscuits Petit Bonheur contiendraient du dioxyde de titane (E171)",
        summary=(
            "Une publication Facebook partagée 15 000 fois affirme que nos biscuits Petit Bonheur contiennent du E171, "
            "additif interdit en France depuis 2020, et appelle au boycott. Des comptes Instagram de parents relaient "
            "la capture d'écran d'une ancienne étiquette."
        ),
        category=Category.MISINFORMATION,
        severity=Severity.MEDIUM,
        source="Publication Facebook du groupe « Parents vigilants » (15 000 partages)",
        channels=["facebook", "instagram", "website"],
        detected_ago=days(4),
        opened_after=hours(1),
        opened_by="comms",
        lead="lead2",
        language="fr",
        steps=[
            status(hours(1) + minutes(10), "lead2", Status.INVESTIGATING, "Le service qualité vérifie les fiches."),
            member(hours(1) + minutes(20), "lead2", "legal", "legal"),
            fact(
                hours(1) + minutes(30),
                "comms",
                "e171",
                "Les biscuits Petit Bonheur vendus aujourd'hui contiennent du E171.",
                "Publication Facebook",
            ),
            verify(
                hours(2.5),
                "lead2",
                "e171",
                REFUTED,
                "Fiche technique et analyse du laboratoire : aucune trace de E171 depuis la reformulation de 2019.",
            ),
            fact(
                hours(2) + minutes(40),
                "comms",
                "label",
                "L'étiquette de la capture d'écran est une version d'avant 2019.",
                "Service qualité — comparaison des emballages",
            ),
            verify(hours(3), "lead2", "label", CONFIRMED, "Code-barres et mentions légales de l'emballage de 2018."),
            decision(
                hours(3) + minutes(15),
                "lead2",
                "Publier un démenti factuel avec la liste des ingrédients et le rapport du laboratoire ; "
                "pas de réponse individuelle aux comptes qui propagent la rumeur.",
            ),
            status(hours(3) + minutes(30), "lead2", Status.RESPONDING),
            note(
                days(1),
                "comms",
                "Le démenti a été repris par deux médias de vérification des faits ; "
                "la publication d'origine est désormais signalée comme trompeuse.",
            ),
            status(days(1) + hours(2), "lead2", Status.MONITORING, "Veille renforcée pendant une semaine."),
            note(days(2), "legal", "Le groupe Facebook a retiré la publication après notre signalement."),
        ],
        statements=[
            draft(
                hours(3) + minutes(35),
                "comms",
                "dementi",
                channels=["facebook", "website"],
                language="fr",
                body_format=BodyFormat.MARKDOWN,
                title="Non, nos biscuits Petit Bonheur ne contiennent pas de E171",
                body=(
                    "Le groupe « Parents vigilants » affirme que nos biscuits Petit Bonheur contiennent du dioxyde "
                    "de titane (E171). **C'est faux.** L'étiquette qui circule est celle d'un emballage de 2018 ; "
                    "la recette a été reformulée en 2019."
                ),
                cites=["label"],
            ),
            submit(hours(3) + minutes(36), "comms", "dementi"),
            request_changes(
                hours(3) + minutes(50),
                "legal",
                "dementi",
                "Ne nommez pas le groupe : la décision de 3 h 15 est de ne pas répondre aux comptes qui propagent "
                "la rumeur. Le reste est exact.",
            ),
            edit(
                hours(4),
                "comms",
                "dementi",
                "Sans le nom du groupe, avec le lien vers la liste des ingrédients.",
                body=(
                    "Une publication affirme que nos biscuits Petit Bonheur contiennent du dioxyde de titane (E171). "
                    "**C'est faux.** L'étiquette qui circule est celle d'un emballage de 2018 ; la recette a été "
                    "reformulée en 2019 et notre laboratoire ne trouve aucune trace de E171.\n\n"
                    "[La liste complète des ingrédients](https://www.maisonlumiere.example/petit-bonheur)"
                ),
            ),
            submit(hours(4) + minutes(1), "comms", "dementi"),
            approve(hours(4) + minutes(10), "legal", "dementi"),
            publish(hours(4) + minutes(15), "lead2", "dementi"),
            live_url(
                hours(4) + minutes(20),
                "lead2",
                "dementi",
                "facebook",
                "https://www.facebook.com/maisonlumiere/posts/petit-bonheur-e171",
            ),
            live_url(
                hours(4) + minutes(21),
                "lead2",
                "dementi",
                "website",
                "https://www.maisonlumiere.example/actualites/petit-bonheur-e171",
            ),
        ],
    ),
    DemoIncident(
        title="Leaked memo: 40 store closures planned before staff consultation",
        summary=(
            "A union account posted a photo of an internal HR memo listing 40 stores 'under review'. Trade press "
            "picked it up within the hour. Staff representatives have not yet been consulted."
        ),
        category=Category.LEGAL_REGULATORY,
        severity=Severity.HIGH,
        source="Photo of the memo posted on X by a union account; picked up by a retail trade title",
        channels=["x", "linkedin", "internal_memo"],
        detected_ago=days(2),
        opened_after=minutes(30),
        opened_by="lead2",
        lead="lead2",
        confidential=True,
        steps=[
            member(minutes(35), "lead2", "legal", "legal"),
            member(minutes(36), "lead2", "comms2", "communications"),
            status(minutes(40), "lead2", Status.INVESTIGATING),
            fact(hours(1), "comms2", "authentic", "The memo in the photo is authentic.", "HR director"),
            verify(hours(1.5), "lead2", "authentic", CONFIRMED, "A draft sent to regional directors on 3 October."),
            fact(
                hours(1) + minutes(45),
                "legal",
                "consulted",
                "Staff representatives were consulted before the memo was written.",
                "HR",
            ),
            verify(hours(2), "legal", "consulted", REFUTED, "Consultation is only scheduled for next week."),
            fact(
                hours(2) + minutes(10), "comms2", "forty", "40 stores will close before Christmas.", "Union post on X"
            ),
            verify(hours(2.5), "lead2", "forty", REFUTED, "The draft lists 40 stores 'under review'; nothing decided."),
            decision(
                hours(3),
                "lead2",
                "Staff hear it first: a CEO memo to all employees today, then a short media line. No store list.",
            ),
            status(hours(3) + minutes(15), "lead2", Status.RESPONDING),
            note(
                days(1),
                "comms2",
                "Memo sent; the union welcomed the consultation date. Coverage limited to trade press.",
            ),
            severity(days(1) + hours(2), "lead2", Severity.MEDIUM, "Not spreading beyond the trade press."),
            status(days(1) + hours(3), "lead2", Status.MONITORING, "Watching union channels until the consultation."),
        ],
        statements=[
            draft(
                hours(3) + minutes(20),
                "comms2",
                "memo",
                channels=["internal_memo"],
                audience="All employees",
                title="A message from our CEO about our stores",
                body=(
                    "Dear colleagues,\n\nYou may have seen a photo of an internal document listing stores "
                    "“under review”. You should have heard about it from us first, and I am sorry you did not.\n\n"
                    "No decision has been taken about any store. Your representatives will be consulted next week, "
                    "as the law requires and as we always do, and you will hear the outcome from your managers "
                    "before anyone else."
                ),
                cites=["authentic"],
            ),
            submit(hours(3) + minutes(25), "comms2", "memo"),
            approve(hours(3) + minutes(50), "legal", "memo", "Consistent with the consultation timetable."),
            publish(hours(4), "lead2", "memo"),
        ],
    ),
    DemoIncident(
        title=(
            "Colis jetés par-dessus un portail : la vidéo TikTok d'un livreur Maison Lumière dépasse 2 millions de vues"
        ),
        summary=(
            "Une cliente de Nantes a publié la vidéo de sa caméra de sonnette : un livreur de notre prestataire "
            "ColiRapide lance trois colis Maison Lumière par-dessus le portail, dont un carton « fragile ». Le hashtag "
            "#MaisonLumièreLivraison rassemble des centaines de témoignages de retards et de colis abîmés depuis le "
            "début des soldes."
        ),
        category=Category.VIRAL_COMPLAINT,
        severity=Severity.MEDIUM,
        source="TikTok @chloe.nts — vidéo publiée à 19 h 42, 2,1 M de vues",
        channels=["tiktok", "instagram", "x", "customer_email"],
        detected_ago=hours(26),
        opened_after=minutes(25),
        opened_by="comms",
        language="fr",
        steps=[
            note(
                minutes(30),
                "comms",
                "La vidéo est reprise par deux comptes d'info conso ; 800 commentaires, "
                "beaucoup de clients évoquent des colis en retard depuis deux semaines.",
            ),
            set_lead(minutes(40), "lead", "lead"),
            status(minutes(45), "lead", Status.INVESTIGATING, "La logistique contacte ColiRapide."),
            member(minutes(50), "lead", "comms2", "social_media"),
            member(minutes(50), "lead", "legal", "legal"),
            fact(
                hours(1),
                "comms",
                "driver",
                "Le livreur de la vidéo travaille pour ColiRapide, notre prestataire à Nantes.",
                "Logistique — numéro de tournée visible sur le colis",
            ),
            verify(
                hours(1.5),
                "lead",
                "driver",
                CONFIRMED,
                "ColiRapide confirme la tournée et a suspendu le livreur le temps de l'enquête.",
            ),
            severity(
                hours(2), "lead", Severity.HIGH, "Reprise par deux médias nationaux ; 3 000 mentions en deux heures."
            ),
            fact(
                hours(2) + minutes(10),
                "comms2",
                "late",
                "Plus de 10 000 commandes sont en retard depuis le début des soldes.",
                "Commentaires TikTok et avis en ligne",
            ),
            verify(hours(3), "lead", "late", REFUTED, "3 200 commandes ont plus de 48 h de retard, pas 10 000."),
            fact(
                hours(3) + minutes(20),
                "legal",
                "broken",
                "Le carton « fragile » contenait un service en porcelaine arrivé cassé.",
                "Message privé de la cliente",
            ),
            note(
                hours(3) + minutes(30),
                "legal",
                "Ne pas mettre en cause publiquement le livreur : l'enquête de ColiRapide est en cours. "
                "Proposer un échange en message privé à la cliente.",
            ),
            decision(
                hours(4),
                "lead",
                "Excuses publiques sous la vidéo, remboursement ou renvoi gratuit pour la cliente, "
                "et e-mail aux clients en retard avec un bon de 10 €.",
            ),
            status(hours(4) + minutes(10), "lead", Status.RESPONDING),
            note(
                hours(20),
                "comms2",
                "La cliente a publié une seconde vidéo saluant notre réponse ; "
                "les nouveaux commentaires sont plus calmes.",
            ),
        ],
        statements=[
            # The French holding line, word for word: pre-approved by Legal, out two minutes after drafting.
            draft(minutes(55), "comms2", "holding", channels=["tiktok", "instagram", "x"], from_key_message="viral_fr"),
            publish(minutes(57), "comms2", "holding"),
            live_url(
                minutes(58),
                "comms2",
                "holding",
                "tiktok",
                "https://www.tiktok.com/@maisonlumiere/video/7431000000000000001",
            ),
            draft(
                hours(20) + minutes(10),
                "comms2",
                "email",
                channels=["customer_email"],
                language="fr",
                audience="Clients dont la commande a plus de 48 h de retard",
                title="Votre commande a du retard : nos excuses et un bon de 10 €",
                body=(
                    "Bonjour,\n\nVotre commande Maison Lumière a plus de 48 heures de retard, et nous en sommes "
                    "désolés. Notre partenaire de livraison rattrape son retard ; vous pouvez suivre votre colis "
                    "depuis votre e-mail de confirmation.\n\nPour nous excuser, voici un bon de 10 € valable sur "
                    "votre prochaine commande.\n\nL'équipe Maison Lumière"
                ),
            ),
            submit(hours(20) + minutes(15), "comms2", "email", "Pour un envoi ce soir aux 3 200 clients concernés."),
        ],
    ),
    DemoIncident(
        title="Viral thread: refund refused for a washing machine that flooded a flat",
        summary=(
            "A customer's washing machine, bought 29 days ago, leaked and flooded her flat. The store refused a refund "
            "because the box had been opened. Her thread with photos and the receipt has 3,400 reposts."
        ),
        category=Category.VIRAL_COMPLAINT,
        severity=Severity.MEDIUM,
        source="Thread on X by @amelia_writes (48k followers)",
        channels=["x"],
        detected_ago=hours(8),
        opened_after=minutes(30),
        opened_by="comms2",
        steps=[
            note(minutes(35), "comms2", "Thread includes photos of the damage and the receipt; replies are hostile."),
            status(minutes(40), "comms2", Status.INVESTIGATING),
            set_lead(minutes(50), "lead2", "lead2"),
            member(minutes(55), "lead2", "comms2", "customer_care"),
            fact(
                hours(1),
                "comms2",
                "policy",
                "The store refused the refund because the packaging was opened.",
                "Customer thread; store manager",
            ),
            verify(
                hours(1) + minutes(40),
                "lead2",
                "policy",
                CONFIRMED,
                "Store manager confirms; the policy was applied wrongly: faulty goods are always refundable.",
            ),
            decision(hours(2), "lead2", "Move to DM: apologise, refund in full and cover the flooring repair."),
            status(hours(2) + minutes(10), "lead2", Status.RESPONDING, "Public reply under the thread; details by DM."),
            note(hours(5), "comms2", "Customer accepted and thanked us publicly; reposts slowing down."),
        ],
        statements=[
            draft(
                hours(2) + minutes(1),
                "comms2",
                "reply",
                channels=["x"],
                title="Reply to @amelia_writes",
                body=(
                    "@amelia_writes We're so sorry, Amelia. A faulty machine is always refundable, opened box or not: "
                    "our store got this wrong. We'll refund you in full and cover the flooring repair. We've sent "
                    "you a DM to sort it out today."
                ),
                cites=["policy"],
            ),
            submit(hours(2) + minutes(2), "comms2", "reply"),
            approve(hours(2) + minutes(6), "legal", "reply"),
            publish(hours(2) + minutes(8), "lead2", "reply"),
            live_url(hours(2) + minutes(12), "lead2", "reply", "x", "https://x.com/maisonlumiere/status/1851120554"),
        ],
    ),
    DemoIncident(
        title="Video of a Nova 1200 blender jar shattering mid-use goes viral",
        summary=(
            "A TikTok video shows the glass jar of our own-brand Nova 1200 blender splitting while crushing ice; the "
            "user's hand is cut. Two kitchen influencers duetted it and other customers post similar cracks."
        ),
        category=Category.PRODUCT_DEFECT,
        severity=Severity.HIGH,
        source="TikTok video by @kitchenwithjo (1.2 M views in 3 hours)",
        channels=["tiktok", "instagram", "x"],
        detected_ago=hours(5) + minutes(10),
        opened_after=minutes(12),
        opened_by="comms",
        steps=[
            note(minutes(15), "comms", "1.2 M views, duetted by two kitchen influencers; comments ask about a recall."),
            fact(minutes(18), "comms", "ours", "The jar in the video is a Nova 1200 sold by us.", "Video frames"),
            set_lead(minutes(25), "lead", "lead"),
            status(minutes(26), "lead", Status.INVESTIGATING, "Product safety and quality pull the batch data."),
            member(minutes(30), "lead", "legal", "legal"),
            member(minutes(30), "lead", "comms2", "social_media"),
            severity(
                minutes(40), "lead", Severity.CRITICAL, "Two more videos of cracked jars, one with a child nearby."
            ),
            escalation(
                minutes(45), "lead", "Escalated to the COO and the head of product safety; recall on the table."
            ),
            fact(
                hours(1) + minutes(10),
                "comms",
                "batch",
                "The cracked jars come from batch 2291 (new glass supplier since August).",
                "Quality report QR-5512",
            ),
            verify(hours(1.5), "lead", "ours", CONFIRMED, "Serial number visible at 0:07 is in our range."),
            fact(
                hours(2),
                "legal",
                "manual",
                "The user was using the jar as the manual instructs (ice with liquid).",
                "Video; manual p. 6",
            ),
            note(
                hours(2) + minutes(20),
                "legal",
                "No admission of liability until the lab result; empathy and a direct contact offer are fine.",
            ),
            fact(
                hours(2) + minutes(40),
                "comms2",
                "hospital",
                "Three customers were hospitalised.",
                "Comments under the original video",
            ),
            verify(
                hours(3), "lead", "batch", CONFIRMED, "Procurement confirms; lab test of 20 returned jars under way."
            ),
            verify(
                hours(3.5),
                "comms2",
                "hospital",
                REFUTED,
                "All three contacted by DM: one minor cut, no hospital visit.",
            ),
            decision(
                hours(4),
                "lead",
                "Pause Nova 1200 sales online and in stores until the lab result; draft a holding statement.",
            ),
        ],
        statements=[
            # Verbatim holding statement: Legal's approval is inherited; severity 1 still needs the incident lead.
            draft(
                hours(4) + minutes(5),
                "comms",
                "holding",
                channels=["x", "tiktok", "instagram", "website"],
                from_key_message="product_safety",
            ),
            submit(hours(4) + minutes(6), "comms", "holding", "Our product-safety holding line, unchanged."),
            approve(hours(4) + minutes(15), "lead", "holding"),
            publish(hours(4) + minutes(20), "comms2", "holding"),
            live_url(hours(4) + minutes(25), "comms2", "holding", "x", "https://x.com/maisonlumiere/status/1851377201"),
            live_url(
                hours(4) + minutes(26),
                "comms2",
                "holding",
                "tiktok",
                "https://www.tiktok.com/@maisonlumiere/video/7431000000000000002",
            ),
        ],
    ),
    DemoIncident(
        title="Hacker forum post claims 2.1 million loyalty-card records for sale",
        summary=(
            "A seller on a hacker forum offers 2.1 million 'Lumière Club' records with a 1,000-row sample. A security "
            "researcher tweeted about it. Nothing is confirmed; the GDPR 72-hour clock may be running."
        ),
        category=Category.DATA_BREACH,
        severity=Severity.CRITICAL,
        source="Forum post flagged by our threat-intelligence vendor; tweet by a security researcher",
        channels=["x", "website", "customer_email"],
        detected_ago=hours(3),
        opened_after=minutes(20),
        opened_by="lead",
        lead="lead",
        confidential=True,
        steps=[
            member(minutes(22), "lead", "legal", "legal"),
            member(minutes(22), "lead", "comms", "communications"),
            status(minutes(25), "lead", Status.INVESTIGATING, "Security team analyses the sample."),
            fact(
                minutes(30),
                "comms",
                "emails",
                "The sample contains real customer e-mail addresses.",
                "Sample file, analysed by the security team",
            ),
            escalation(minutes(35), "lead", "Escalated to the CISO and the DPO: the 72-hour notification clock."),
            note(
                hours(1),
                "legal",
                "If personal data is confirmed, the DPO decides on notifying the regulator within 72 hours. "
                "Keep this incident confidential until then.",
            ),
            verify(
                hours(1) + minutes(20), "lead", "emails", CONFIRMED, "42 of 50 sampled addresses are active members."
            ),
            fact(hours(1.5), "comms", "passwords", "The dump contains plain-text passwords.", "Seller's forum post"),
            verify(hours(1) + minutes(50), "lead", "passwords", REFUTED, "No password field at all in the sample."),
            fact(
                hours(2),
                "legal",
                "vendor",
                "The data came from the loyalty-app vendor's export server.",
                "Vendor's incident contact, by phone",
            ),
            decision(
                hours(2) + minutes(15),
                "lead",
                "No public statement yet. Prepare a holding statement and a customer e-mail in case it is confirmed.",
            ),
        ],
        statements=[
            # Ready for the moment the breach is confirmed: approved by Legal and the lead, not published.
            draft(
                hours(2) + minutes(20),
                "comms",
                "holding",
                channels=["website", "x"],
                title="Claims about Lumière Club data",
                body=(
                    "We are aware of claims that data about members of our Lumière Club is being offered for sale. "
                    "We are investigating them with our security team. If personal data has been exposed, we will "
                    "inform the members concerned and the regulator without delay."
                ),
            ),
            submit(hours(2) + minutes(22), "comms", "holding"),
            approve(hours(2) + minutes(35), "legal", "holding", "Good to go if confirmed. Do not add numbers."),
            approve(hours(2) + minutes(40), "lead", "holding", "Approved; it goes out only on my call."),
            draft(
                hours(2) + minutes(45),
                "comms",
                "email",
                channels=["customer_email"],
                audience="Lumière Club members",
                title="Important information about your Lumière Club account",
                body=(
                    "Dear member,\n\nWe are writing to tell you that some of your Lumière Club details may have "
                    "been exposed: [which data, confirmed by security]. Your password and payment details are not "
                    "involved.\n\n[What we are doing; what you can do; whom to contact.]"
                ),
            ),
        ],
    ),
    DemoIncident(
        title="Un directeur régional vante sur LinkedIn ses « stagiaires qui ne coûtent rien »",
        summary=(
            "Dans une publication LinkedIn, le directeur régional Sud-Ouest se félicite d'avoir « une équipe de "
            "stagiaires motivés qui ne coûtent rien ». Quelques commentaires indignés, dont celui d'un syndicat "
            "étudiant ; environ 8 000 vues."
        ),
        category=Category.EXECUTIVE_CONDUCT,
        severity=Severity.LOW,
        source="LinkedIn — publication du directeur régional Sud-Ouest",
        channels=["linkedin"],
        detected_ago=minutes(25),
        opened_after=minutes(10),
        opened_by="comms",
        language="fr",
        steps=[
            fact(
                minutes(12),
                "comms",
                "unpaid",
                "Les stagiaires de la région Sud-Ouest ne perçoivent pas de gratification.",
                "Commentaire d'un syndicat étudiant",
            ),
            note(
                minutes(15),
                "comms",
                "Volume faible (40 commentaires) ; à surveiller : le syndicat étudiant compte 60 000 abonnés.",
            ),
        ],
        statements=[
            draft(
                minutes(17),
                "comms",
                "reply",
                channels=["linkedin"],
                language="fr",
                title="Réponse sous la publication LinkedIn",
                body=(
                    "Merci pour vos réactions. Chez Maison Lumière, tous les stages de plus de deux mois sont "
                    "gratifiés, comme la loi le prévoit. Nous vérifions la situation de l'équipe Sud-Ouest et "
                    "reviendrons vers vous ici."
                ),
            ),
            submit(minutes(20), "comms", "reply"),
        ],
    ),
)


# --- key messages ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoKeyMessage:
    """A prepared line, written ``created_ago``; reviewed by ``reviewer`` unless it still waits (``approved_after`` None).

    ``valid_for`` and ``review_in`` are counted from today (negative: in the past), so the
    expired and overdue ones stay expired and overdue whenever the demo is seeded.
    """

    key: str
    kind: str
    topic: str
    title: str
    body: str
    author: str
    created_ago: timedelta
    submitted_after: timedelta | None = minutes(30)
    reviewer: str = "legal"
    approved_after: timedelta | None = hours(4)
    language: str = "en"
    body_format: str = BodyFormat.PLAIN
    valid_for: timedelta | None = days(365)
    review_in: timedelta | None = days(90)


HOLDING, LINE, QA = KeyMessageKind.HOLDING_STATEMENT, KeyMessageKind.LINE_TO_TAKE, KeyMessageKind.QA

DEMO_KEY_MESSAGES: tuple[DemoKeyMessage, ...] = (
    DemoKeyMessage(
        key="product_safety",
        kind=HOLDING,
        topic="Product safety",
        title="We are looking into reports about one of our products",
        body=(
            "We are aware of reports about one of our products and are investigating them as a priority with our "
            "quality team. Your safety comes first: if you are concerned, stop using the product and contact us at "
            "care@maisonlumiere.example."
        ),
        author="comms",
        created_ago=days(120),
    ),
    DemoKeyMessage(
        key="viral_fr",
        kind=HOLDING,
        topic="Publication virale",
        title="Nous avons vu vos messages",
        body=(
            "Nous avons vu la vidéo et vos nombreux messages. Ce que montre cette vidéo n'est pas acceptable. "
            "Nous cherchons à comprendre ce qui s'est passé avec nos partenaires et revenons vers vous très vite. "
            "Les clients concernés peuvent nous écrire en message privé."
        ),
        author="comms2",
        created_ago=days(95),
        language="fr",
    ),
    DemoKeyMessage(
        key="data_line",
        kind=LINE,
        topic="Data protection",
        title="Line to take: reports of a data leak",
        body=(
            "- We take the protection of our customers' data very seriously.\n"
            "- We are aware of the claims and are investigating them with our security team and partners.\n"
            "- We will inform affected customers and the regulator as the law requires, without delay.\n"
            "- Do not confirm numbers, suppliers or causes before the investigation has established them."
        ),
        author="lead",
        created_ago=days(200),
        body_format=BodyFormat.MARKDOWN,
        # Approved long ago and due for its yearly check: shown as overdue in the library.
        review_in=-days(10),
    ),
    DemoKeyMessage(
        key="delivery_qa",
        kind=QA,
        topic="Deliveries",
        title="Q&A: late or damaged deliveries",
        body=(
            "**Where is my order?** Track it from the link in your confirmation e-mail; "
            "we reply to every message about a late parcel within one working day.\n\n"
            "**My parcel arrived damaged.** Send us a photo: we refund or replace it at no cost, "
            "without asking you to return the damaged item.\n\n"
            "**Who delivers my parcel?** Our delivery partners; we remain responsible for your order."
        ),
        author="comms",
        created_ago=days(60),
        body_format=BodyFormat.MARKDOWN,
    ),
    DemoKeyMessage(
        key="flash_sale",
        kind=HOLDING,
        topic="Checkout problems",
        title="Checkout problems during the sale",
        body=(
            "Some of you cannot complete a payment right now. Our teams are on it. If you were charged twice, "
            "the duplicate amount is released automatically: you do not need to do anything."
        ),
        author="comms2",
        created_ago=days(80),
        # Written for the autumn sale only: expired since.
        valid_for=-days(12),
    ),
    DemoKeyMessage(
        key="delivery_qa_fr",
        kind=QA,
        topic="Livraisons",
        title="Questions-réponses : retards et colis abîmés",
        body=(
            "**Où est ma commande ?** Suivez-la depuis le lien de votre e-mail de confirmation ; "
            "nous répondons à chaque message sous un jour ouvré.\n\n"
            "**Mon colis est arrivé abîmé.** Envoyez-nous une photo : nous vous remboursons ou renvoyons "
            "l'article sans frais, sans retour du colis abîmé."
        ),
        author="comms2",
        created_ago=days(2) + hours(3),
        submitted_after=hours(1),
        language="fr",
        body_format=BodyFormat.MARKDOWN,
        approved_after=None,  # waits in Legal's queue for two days
    ),
)


# --- seeding ----------------------------------------------------------------------------------------------------------


class _Clock:
    """A stand-in for ``timezone.now`` that the seeder moves forward step by step."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def demo_incidents() -> QuerySet[Incident]:
    """Incidents that belong to the demo: every seeded one was opened by a demo user."""
    return Incident.objects.filter(created_by__username__in=DEMO_USERNAMES)


def is_seeded() -> bool:
    return demo_incidents().exists()


def demo_key_messages() -> QuerySet[KeyMessage]:
    """Key messages that belong to the demo: written by demo users."""
    return KeyMessage.objects.filter(created_by__username__in=DEMO_USERNAMES)


def _delete_reviewed(model, ids: list[int]) -> None:
    """Delete reviewed items and their review rows, in the order their PROTECT links allow.

    Revisions, decisions and audit events only refuse UPDATE (the append-only trigger),
    so deleting them with the demo they belong to is allowed.
    """
    content_type = ContentType.objects.get_for_model(model)
    rows = {"content_type": content_type, "object_id__in": ids}
    AuditEvent.objects.filter(**rows).delete()
    # Inherited approvals point at the key message approval they copy: those go first.
    ReviewDecision.objects.filter(based_on__content_type=content_type, based_on__object_id__in=ids).delete()
    ReviewDecision.objects.filter(**rows).delete()
    ReviewRequest.objects.filter(**rows).delete()
    if model is Statement:
        StatementPublication.objects.filter(statement__in=ids).delete()
    model.objects.filter(pk__in=ids).delete()
    Revision.objects.filter(**rows).delete()


def reset() -> int:
    """Delete the demo incidents (timeline, team, facts, statements and other reviewed items go with them).

    Demo key messages go too. Returns how many incidents were deleted.
    """
    count = demo_incidents().count()
    # Items reviewed per incident (statements, post-crisis reviews…): their review rows protect the incident.
    # Statements first: they point at the key messages they were drafted from.
    per_incident = sorted(
        (
            model
            for model in apps.get_models()
            if issubclass(model, Reviewable) and any(f.name == "incident" for f in model._meta.get_fields())
        ),
        key=lambda model: model is not Statement,
    )
    for model in per_incident:
        _delete_reviewed(model, list(model.objects.filter(incident__in=demo_incidents()).values_list("pk", flat=True)))
    _delete_reviewed(KeyMessage, list(demo_key_messages().values_list("pk", flat=True)))
    demo_incidents().delete()
    if not Incident.objects.exists():
        # Nothing left to refer to, so numbering may start again at 0001 rather than after the wiped ones.
        ReferenceCounter.objects.all().delete()
    return count


def _check_in_order(title: str, steps: list[Step], start: timedelta, end: timedelta) -> None:
    previous = start
    for step in steps:
        if step.at < previous or step.at > end:
            raise ValueError(f"{title!r}: step {step.action} at {step.at} is out of order or in the future.")
        previous = step.at


def _check_script(spec: DemoIncident) -> None:
    """A script out of order would write a timeline that runs backwards, or into the future."""
    if spec.opened_after > spec.detected_ago:
        raise ValueError(f"{spec.title!r}: opened in the future.")
    _check_in_order(spec.title, spec.steps, spec.opened_after, spec.detected_ago)
    _check_in_order(spec.title, spec.statements, spec.opened_after, spec.detected_ago)


def _seed_incident(
    spec: DemoIncident, users: dict, roles: dict, clock: _Clock, now: datetime, key_messages: dict | None = None
) -> Incident:
    _check_script(spec)
    detected_at = now - spec.detected_ago
    clock.at = detected_at + spec.opened_after
    incident = services.incident_open(
        actor=users[spec.opened_by],
        title=spec.title,
        summary=spec.summary,
        category=spec.category,
        severity=spec.severity,
        source=spec.source,
        affected_channels=spec.channels,
        confidential=spec.confidential,
        is_exercise=spec.is_exercise,
        detected_at=detected_at,
        lead=users[spec.lead] if spec.lead else None,
    )
    facts: dict[str, Fact] = {}
    statements: dict[str, Statement] = {}
    # One story in time order; on a tie the incident's own step comes first (sorted() is stable).
    for step in sorted([*spec.steps, *spec.statements], key=lambda step: step.at):
        clock.at = detected_at + step.at
        _ACTIONS[step.action](
            incident=incident,
            actor=users[step.actor],
            users=users,
            roles=roles,
            facts=facts,
            statements=statements,
            key_messages=key_messages or {},
            **step.args,
        )
    incident.refresh_from_db()
    return incident


def _note(*, incident, actor, body, kind, **_):
    services.timeline_add_note(actor=actor, incident=incident, body=body, kind=kind)


def _status(*, incident, actor, to_status, comment, **_):
    services.incident_change_status(actor=actor, incident=incident, to_status=to_status, comment=comment)


def _severity(*, incident, actor, severity, comment, **_):
    services.incident_set_severity(actor=actor, incident=incident, severity=severity, comment=comment)


def _lead(*, incident, actor, users, lead, **_):
    services.incident_set_lead(actor=actor, incident=incident, lead=users[lead])


def _member(*, incident, actor, users, roles, user, role, **_):
    services.membership_add(actor=actor, incident=incident, user=users[user], role=roles[role])


def _fact(*, incident, actor, facts, key, claim, source, **_):
    facts[key] = services.fact_add(actor=actor, incident=incident, claim=claim, source=source)


def _verify(*, actor, facts, key, status, note, **_):
    facts[key] = services.fact_verify(actor=actor, fact=facts[key], status=status, note=note)


def _draft(*, incident, actor, facts, statements, key_messages, key, cites, from_key_message, users, roles, **fields):
    # ``fields``: channels, title, body and the optional language, audience, body_format of the script.
    statements[key] = statement_services.statement_create(
        actor=actor,
        incident=incident,
        facts=[facts[fact] for fact in cites],
        from_key_message=key_messages[from_key_message] if from_key_message else None,
        **fields,
    )


def _current(statements: dict, key: str) -> Statement:
    # Re-read: the engine locks and re-reads rows, and the previous step changed this one.
    return Statement.objects.select_related("current_revision").get(pk=statements[key].pk)


def _edit(*, actor, statements, key, comment, changes, **_):
    statement_services.statement_update(actor=actor, statement=_current(statements, key), comment=comment, **changes)


def _submit(*, actor, statements, key, comment, **_):
    review.review_submit(actor=actor, item=_current(statements, key), comment=comment)


def _approve(*, actor, statements, key, comment, **_):
    statement = _current(statements, key)
    review.review_approve(actor=actor, item=statement, revision=statement.current_revision, comment=comment)


def _request_changes(*, actor, statements, key, comment, **_):
    review.review_request_changes(actor=actor, item=_current(statements, key), comment=comment)


def _reject(*, actor, statements, key, comment, **_):
    review.review_reject(actor=actor, item=_current(statements, key), comment=comment)


def _publish(*, actor, statements, key, **_):
    review.review_publish(actor=actor, item=_current(statements, key))


def _live_url(*, actor, statements, key, channel, url, **_):
    statement_services.statement_record_url(actor=actor, statement=_current(statements, key), channel=channel, url=url)


def _withdraw(*, actor, statements, key, reason, **_):
    review.review_withdraw(actor=actor, item=_current(statements, key), reason=reason)


_ACTIONS: dict[str, Callable] = {
    "note": _note,
    "status": _status,
    "severity": _severity,
    "lead": _lead,
    "member": _member,
    "fact": _fact,
    "verify": _verify,
    "draft": _draft,
    "edit": _edit,
    "submit": _submit,
    "approve": _approve,
    "request_changes": _request_changes,
    "reject": _reject,
    "publish": _publish,
    "live_url": _live_url,
    "withdraw": _withdraw,
}


def _seed_key_message(spec: DemoKeyMessage, users: dict, clock: _Clock, now: datetime) -> KeyMessage:
    if spec.approved_after is not None and (spec.submitted_after is None or spec.approved_after < spec.submitted_after):
        raise ValueError(f"{spec.key}: approved before it was submitted.")
    if max(spec.submitted_after or timedelta(0), spec.approved_after or timedelta(0)) > spec.created_ago:
        raise ValueError(f"{spec.key}: reviewed in the future.")
    today = timezone.localdate(now)
    written_at = now - spec.created_ago
    clock.at = written_at
    author = users[spec.author]
    key_message = keymessage_create(
        actor=author,
        kind=spec.kind,
        topic=spec.topic,
        title=spec.title,
        body=spec.body,
        language=spec.language,
        body_format=spec.body_format,
        valid_until=today + spec.valid_for if spec.valid_for is not None else None,
        review_due=today + spec.review_in if spec.review_in is not None else None,
    )
    if spec.submitted_after is not None:
        clock.at = written_at + spec.submitted_after
        review.review_submit(actor=author, item=key_message)
    if spec.approved_after is not None:
        clock.at = written_at + spec.approved_after
        key_message = KeyMessage.objects.select_related("current_revision").get(pk=key_message.pk)
        review.review_approve(actor=users[spec.reviewer], item=key_message, revision=key_message.current_revision)
    key_message.refresh_from_db()
    return key_message


@transaction.atomic
def seed_incidents(*, users: dict, now: datetime | None = None) -> list[Incident]:
    """Play the key messages, then every scripted crisis, through the services, with the clock moved to each step.

    Key messages come first (statements are drafted from them); incidents oldest
    first, so references are handed out in order of detection, as they would have
    been in real life.
    """
    # Whole minutes read better on the war room clocks than the seconds the command happened to start at.
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    roles = {role.code: role for role in IncidentRole.objects.all()}
    clock = _Clock(now)
    created = []
    with mock.patch("django.utils.timezone.now", new=clock):
        key_messages = {}
        for spec in DEMO_KEY_MESSAGES:
            with translation.override(spec.language):
                key_messages[spec.key] = _seed_key_message(spec, users, clock, now)
        for spec in sorted(DEMO_INCIDENTS, key=lambda s: s.detected_ago, reverse=True):
            # System lines (status changes, facts…) are written in the crisis's own language.
            with translation.override(spec.language):
                created.append(_seed_incident(spec, users, roles, clock, now, key_messages))
    return created


# --- social listening (issue 7) -------------------------------------------------------------------------------------

DEMO_MENTION_PLATFORM = "demo"
DEMO_KEY_NAME = "Demo monitoring tool"


def fresh_integration_key() -> str:
    """A new integration key for the demo's monitoring tool (acting as the team lead); the previous one is revoked.

    The raw key is only known when it is created, so each run makes one to print.
    """
    from crisisdesk.apikeys.models import APIKey
    from crisisdesk.apikeys.services import apikey_create, apikey_revoke

    User = get_user_model()
    lead = User.objects.get(username="lead")
    for key in APIKey.objects.active().filter(name=DEMO_KEY_NAME, created_by=lead):
        apikey_revoke(actor=lead, key=key)
    _, raw_key = apikey_create(actor=lead, name=DEMO_KEY_NAME, scopes=["ingest", "read", "write"])
    return raw_key


def seed_mentions(*, users: dict[str, object], seed: int = 7) -> int:
    """Watch terms, a spike rule and a week of mentions with a negative burst linked to an active incident.

    Idempotent: mentions are keyed on the ``demo`` platform, so a second run updates them.
    Returns how many mentions were stored.
    """
    import random

    from incidents.listening import services as mention_services
    from incidents.models import SpikeRule, WatchTerm

    rng = random.Random(seed)
    lead = next((u for u in users.values() if u.groups.filter(name=TEAM_LEAD).exists()), None)
    for term, kind in (("Acme", "brand"), ("#AcmeFail", "hashtag"), ("blender", "product")):
        if not WatchTerm.objects.filter(term__iexact=term).exists():
            WatchTerm.objects.create(term=term, kind=kind, created_by=lead)
    acme = WatchTerm.objects.get(term__iexact="Acme")
    SpikeRule.objects.get_or_create(
        name="Acme: negative spike", defaults={"watch_term": acme, "min_count": 30, "created_by": lead}
    )
    now = timezone.now()
    quiet = [
        "Picked up an Acme blender today",
        "Acme support was quick, thanks",
        "Is the Acme blender worth it?",
        "Nouveau blender Acme, super rapide",
        "Acme: great smoothies this morning",
    ]
    angry = [
        "My Acme blender jar cracked with hot soup, dangerous! #AcmeFail",
        "Acme jar exploded in my kitchen, unacceptable",
        "Honte à Acme, le bol a explosé, c'est dangereux #AcmeFail",
        "Worst brand ever, Acme lied about the jar",
    ]
    items = []
    for n in range(300):
        items.append(
            {
                "platform": DEMO_MENTION_PLATFORM,
                "external_id": f"quiet-{n}",
                "text": rng.choice(quiet),
                "posted_at": (now - timedelta(hours=rng.uniform(2, 8 * 24))).isoformat(),
                "author": f"@fan{rng.randrange(500)}",
                "audience": rng.randrange(20, 5000),
            }
        )
    for n in range(60):
        items.append(
            {
                "platform": DEMO_MENTION_PLATFORM,
                "external_id": f"burst-{n}",
                "text": rng.choice(angry),
                "posted_at": (now - timedelta(minutes=rng.uniform(1, 55))).isoformat(),
                "author": f"@upset{rng.randrange(200)}",
                "audience": rng.randrange(100, 250_000),
                "url": f"https://example.org/demo/{n}",
            }
        )
    mentions, errors = mention_services.parse_batch(items)
    if errors:
        raise ValueError(errors)
    result = mention_services.mentions_ingest(mentions=mentions, source="demo")
    active = demo_incidents().active().filter(confidential=False).order_by("-detected_at").first()
    admin = next((u for u in users.values() if u.is_superuser), None)
    if active is not None and admin is not None:
        from incidents.models import Mention

        burst = list(Mention.objects.filter(platform=DEMO_MENTION_PLATFORM, external_id__startswith="burst-")[:20])
        mention_services.mentions_link_incident(actor=admin, mentions=burst, incident=active)
    return result.stored
