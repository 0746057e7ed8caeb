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

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD

from . import services
from .models import Category, Fact, FactStatus, Incident, IncidentRole, ReferenceCounter, Severity, Status, TimelineKind

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


def reset() -> int:
    """Delete the demo incidents (timeline, team and facts go with them); returns how many."""
    count = demo_incidents().count()
    # Deleting rows is allowed: the append-only trigger only refuses UPDATE.
    demo_incidents().delete()
    if not Incident.objects.exists():
        # Nothing left to refer to, so numbering may start again at 0001 rather than after the wiped ones.
        ReferenceCounter.objects.all().delete()
    return count


def _check_script(spec: DemoIncident) -> None:
    """A script out of order would write a timeline that runs backwards, or into the future."""
    previous = spec.opened_after
    if previous > spec.detected_ago:
        raise ValueError(f"{spec.title!r}: opened in the future.")
    for step in spec.steps:
        if step.at < previous or step.at > spec.detected_ago:
            raise ValueError(f"{spec.title!r}: step {step.action} at {step.at} is out of order or in the future.")
        previous = step.at


def _seed_incident(spec: DemoIncident, users: dict, roles: dict, clock: _Clock, now: datetime) -> Incident:
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
    for step in spec.steps:
        clock.at = detected_at + step.at
        _ACTIONS[step.action](
            incident=incident, actor=users[step.actor], users=users, roles=roles, facts=facts, **step.args
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


_ACTIONS: dict[str, Callable] = {
    "note": _note,
    "status": _status,
    "severity": _severity,
    "lead": _lead,
    "member": _member,
    "fact": _fact,
    "verify": _verify,
}


@transaction.atomic
def seed_incidents(*, users: dict, now: datetime | None = None) -> list[Incident]:
    """Play every scripted crisis through the services, oldest first, with the clock moved to each step.

    Oldest first so references are handed out in order of detection, as they
    would have been in real life.
    """
    # Whole minutes read better on the war room clocks than the seconds the command happened to start at.
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    roles = {role.code: role for role in IncidentRole.objects.all()}
    clock = _Clock(now)
    created = []
    with mock.patch("django.utils.timezone.now", new=clock):
        for spec in sorted(DEMO_INCIDENTS, key=lambda s: s.detected_ago, reverse=True):
            # System lines (status changes, facts…) are written in the crisis's own language.
            with translation.override(spec.language):
                created.append(_seed_incident(spec, users, roles, clock, now))
    return created
