"""Demo playbooks, crisis roster and exercise for ``manage.py seed_demo`` (issue 4); every write goes through services.

``seed_playbooks(users=...)`` is idempotent: what exists (looked up by name or title) is
left as it is, so running the command again adds nothing. It creates:

- a roster drawn from customer service, PR and marketing (plus Legal), each person with
  phone, backup, languages, written responsibilities and the incident roles they can hold;
- four playbooks (viral customer complaint, product recall, data breach, executive
  misconduct — the last in French), approved by a team lead who did not write them, with
  ordered steps, channels, escalation contacts and linked demo key messages; one is past
  its review date and one has a new version waiting in the team leads' review queue;
- a tabletop exercise, completed, with findings and follow-up actions;
- the viral-complaint playbook activated on the demo's "washing machine" incident seven
  hours ago: the first tasks are done, one is overdue.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from unittest import mock

from django.db import transaction
from django.utils import timezone, translation

from crisisdesk.review import services as review
from crisisdesk.review.models import ReviewStatus
from incidents.checklist.models import IncidentTask, PlaybookActivation, TaskStatus
from incidents.models import IncidentRole, Status
from playbooks import services
from playbooks.models import Exercise, ExerciseStatus, KeyMessage, Playbook
from playbooks.roster import services as roster_services
from playbooks.roster.models import Department, Person

# --- roster -----------------------------------------------------------------------------------------------------

DEPARTMENTS = {
    "Customer service": "Phone, chat, e-mail and social care for customers; first to hear about a complaint.",
    "Public relations": "Press office and corporate communications; owns statements and the spokesperson.",
    "Marketing": "Brand, campaigns and social media channels; runs the accounts the crisis plays out on.",
    "Legal": "In-house counsel; reviews every public word and advises on liability and regulators.",
}


@dataclass(frozen=True)
class DemoPerson:
    full_name: str
    department: str
    job_title: str
    phone: str
    responsibilities: str
    roles: tuple[tuple[str, int], ...]
    languages: tuple[str, ...] = ("en",)
    username: str | None = None  # the demo login this person uses
    backup: str | None = None


PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "Marc Dubois",
        "Public relations",
        "Head of Communications",
        "+33 1 84 88 10 01",
        "Leads the crisis team: sets severity, calls the team together, decides what we say and when.",
        (("lead", 1), ("spokesperson", 2)),
        ("en", "fr"),
        username="lead",
        backup="Claire Fontaine",
    ),
    DemoPerson(
        "Claire Fontaine",
        "Public relations",
        "Press Officer",
        "+33 1 84 88 10 02",
        "Our public voice: gives interviews, fronts statements, keeps the journalist log.",
        (("spokesperson", 1), ("lead", 2)),
        ("fr", "en"),
        backup="Marc Dubois",
    ),
    DemoPerson(
        "Sophie Laurent",
        "Public relations",
        "Communications Manager",
        "+33 1 84 88 10 03",
        "Drafts statements and Q&A, keeps the facts register and the timeline up to date.",
        (("communications", 1), ("scribe", 2)),
        ("en", "fr"),
        username="comms",
        backup="Léa Martin",
    ),
    DemoPerson(
        "Daniel Okafor",
        "Customer service",
        "Customer Care Team Lead",
        "+44 20 3807 2201",
        "Answers the customer at the centre of the crisis within the hour; briefs advisers with the line to take.",
        (("customer_care", 1), ("communications", 2)),
        ("en",),
        username="comms2",
        backup="Inès Haddad",
    ),
    DemoPerson(
        "Inès Haddad",
        "Customer service",
        "Senior Customer Care Adviser",
        "+33 1 84 88 20 14",
        "Takes sensitive conversations to private channels; escalates claims of injury or damage at once.",
        (("customer_care", 2), ("scribe", 1)),
        ("fr", "en"),
        backup="Daniel Okafor",
    ),
    DemoPerson(
        "Hannah Becker",
        "Marketing",
        "Head of Brand Marketing",
        "+49 30 5683 4410",
        "Pauses scheduled campaigns and ads the moment a crisis opens; owns the business decision on gestures.",
        (("executive_sponsor", 1), ("lead", 3)),
        ("en", "fr"),
        username="lead2",
        backup="Marc Dubois",
    ),
    DemoPerson(
        "Tom Reyes",
        "Marketing",
        "Social Media Manager",
        "+44 20 3807 2230",
        "Watches mentions, posts approved text only, records every live URL in CrisisDesk.",
        (("social_media", 1),),
        ("en",),
        backup="Léa Martin",
    ),
    DemoPerson(
        "Léa Martin",
        "Marketing",
        "Community Manager",
        "+33 1 84 88 30 07",
        "Moderates our pages and French-speaking communities; backs up the social media manager.",
        (("social_media", 2), ("communications", 3)),
        ("fr", "en"),
        backup="Tom Reyes",
    ),
    DemoPerson(
        "Priya Natarajan",
        "Legal",
        "Senior Legal Counsel",
        "+44 20 3807 2290",
        "Reviews every statement before it goes out; decides what must be notified to regulators and when.",
        (("legal", 1),),
        ("en",),
        username="legal",
    ),
)


def seed_roster(*, users: dict) -> dict[str, Person]:
    """Departments and people (with backups and roles); existing ones are kept as they are."""
    actor = users["lead"]
    departments = {}
    for name, description in DEPARTMENTS.items():
        departments[name] = Department.objects.filter(name=name).first() or roster_services.department_create(
            actor=actor, name=name, description=description
        )
    roles = {role.code: role for role in IncidentRole.objects.all()}
    people = {}
    for spec in PEOPLE:
        person = Person.objects.filter(full_name=spec.full_name).first()
        if person is None:
            user = users.get(spec.username) if spec.username else None
            if user is not None and Person.objects.filter(user=user).exists():
                user = None  # someone else's roster entry already uses this login
            person = roster_services.person_create(
                actor=actor,
                full_name=spec.full_name,
                department=departments[spec.department],
                job_title=spec.job_title,
                phone=spec.phone,
                email=f"{spec.full_name.lower().replace(' ', '.')}@example.org".replace("é", "e").replace("è", "e"),
                languages=list(spec.languages),
                responsibilities=spec.responsibilities,
                user=user,
                roles=[(roles[code], priority) for code, priority in spec.roles],
            )
        people[spec.full_name] = person
    for spec in PEOPLE:
        person = people[spec.full_name]
        if spec.backup and person.backup_id is None:
            roster_services.person_update(actor=actor, person=person, backup=people[spec.backup])
    return people


# --- playbooks --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPlaybook:
    title: str
    scenario: str
    language: str
    trigger_criteria: str
    severity_guide: str
    channels: tuple[str, ...]
    escalation_contacts: str
    steps: tuple[tuple[str, str, int, str], ...]  # (what, role code, within minutes, instructions)
    key_messages: tuple[str, ...] = ()  # topics of demo key messages
    review_in_days: int = 120  # negative: the review is overdue
    owner: str = "lead"
    summary: str = "First approved version."
    next_version: dict = field(default_factory=dict)  # a v2 waiting for review, if given


PLAYBOOKS: tuple[DemoPlaybook, ...] = (
    DemoPlaybook(
        title="Viral customer complaint",
        scenario="viral_complaint",
        language="en",
        trigger_criteria=(
            "A customer's complaint about us passes 1,000 reposts or 100,000 views, an account with more than "
            "20,000 followers shares it, or a journalist asks about it."
        ),
        severity_guide=(
            "Severity 3: one complaint spreading, facts on our side unclear.\n"
            "Severity 2: national press or a celebrity involved, or several similar complaints.\n"
            "Severity 1: safety, discrimination or legal exposure alleged."
        ),
        channels=("x", "facebook", "instagram", "customer_email"),
        escalation_contacts=(
            "Customer care duty manager: +44 20 3807 2201 (24/7)\n"
            "Head of Communications: +33 1 84 88 10 01\n"
            "Store operations director (refund decisions): +33 1 84 88 40 00"
        ),
        steps=(
            ("Capture the original post and top replies", "social_media", 15, "Screenshots with URL and time."),
            ("Contact the customer privately and offer a call", "customer_care", 30, "DM, never argue in public."),
            ("Establish the facts with the store and order history", "communications", 60, "Log them as facts."),
            ("Post the approved public reply", "social_media", 120, "Only approved text; record the live URL."),
            ("Brief customer care and store managers", "customer_care", 240, "Send the line to take and the Q&A."),
            ("Decide a goodwill gesture and close the loop publicly", "lead", 1440, "Executive sponsor signs off."),
        ),
        key_messages=("Deliveries",),
    ),
    DemoPlaybook(
        title="Product defect and recall",
        scenario="product_defect",
        language="en",
        trigger_criteria=(
            "A credible report that one of our products injured someone or could, a regulator's enquiry, "
            "or a cluster of three or more similar defect reports in a week."
        ),
        severity_guide=("Severity 2 until injury is ruled out; severity 1 if anyone was hurt or a recall is likely."),
        channels=("website", "press_release", "customer_email", "x", "facebook"),
        escalation_contacts=(
            "Quality & product safety on call: +33 1 84 88 50 50\n"
            "Senior Legal Counsel: +44 20 3807 2290\n"
            "Supplier liaison (Nova appliances): +49 30 5683 4400"
        ),
        steps=(
            ("Secure the product and the customer's account of events", "customer_care", 30, ""),
            ("Ask quality to assess the safety risk", "communications", 60, "Batch numbers, sales, other reports."),
            ("Publish the product-safety holding statement", "spokesperson", 90, "Reuse the approved key message."),
            ("Pause marketing for the product line", "executive_sponsor", 120, "Ads, newsletters, influencer posts."),
            ("Legal review of recall and regulator notification", "legal", 240, "Product safety authority deadlines."),
            ("Prepare recall notice, FAQ and customer e-mail", "communications", 480, ""),
        ),
        key_messages=("Product safety",),
        summary="First approved version, after the 2026 kettle drill.",
        next_version={
            "summary": "Add the supplier call to step 2 after the blender case.",
            "severity_guide": (
                "Severity 2 until injury is ruled out; severity 1 if anyone was hurt, a recall is likely, "
                "or the supplier cannot confirm the batch within four hours."
            ),
        },
    ),
    DemoPlaybook(
        title="Personal data breach",
        scenario="data_breach",
        language="en",
        trigger_criteria=(
            "Any sign that customer or staff personal data left our systems: a claim online, a ransom note, "
            "an alert from IT security or a partner."
        ),
        severity_guide="Always severity 1 until the scope is known: the 72-hour regulator clock may be running.",
        channels=("website", "customer_email", "press_release", "internal_memo"),
        escalation_contacts=(
            "IT security incident line: +33 1 84 88 66 66\n"
            "Data protection officer: dpo@example.org, +44 20 3807 2295\n"
            "Outside counsel (Marlow & Finch): +44 20 7946 0000"
        ),
        steps=(
            ("Open a call with IT security, the DPO and legal", "lead", 30, ""),
            ("Record what is claimed and what is verified", "communications", 60, "Nothing unverified goes public."),
            ("Decide on regulator notification (72-hour clock)", "legal", 240, "Note the decision and its time."),
            ("Publish the data-protection line and customer FAQ", "spokesperson", 360, ""),
            ("Brief customer care with the Q&A and a call script", "customer_care", 480, ""),
        ),
        key_messages=("Data protection",),
        review_in_days=-12,  # overdue: the owner gets a reminder
        owner="lead2",
    ),
    DemoPlaybook(
        title="Comportement inapproprié d'un dirigeant",
        scenario="executive_conduct",
        language="fr",
        trigger_criteria=(
            "Propos ou comportement d'un membre de la direction repris en ligne ou dans la presse, "
            "ou une plainte interne susceptible de devenir publique."
        ),
        severity_guide=(
            "Gravité 2 par défaut ; gravité 1 en cas de harcèlement, de discrimination ou de procédure judiciaire."
        ),
        channels=("linkedin", "x", "press_release", "internal_memo"),
        escalation_contacts=(
            "Directrice des ressources humaines : +33 1 84 88 70 01\n"
            "Directeur de la communication : +33 1 84 88 10 01\n"
            "Président du conseil d'administration (via son assistante) : +33 1 84 88 00 01"
        ),
        steps=(
            ("Archiver la publication et les réactions", "social_media", 15, "Captures avec URL et heure."),
            ("Informer la DRH et le sponsor exécutif", "lead", 30, ""),
            ("Vérifier les faits auprès de la personne concernée", "legal", 120, "En présence des RH."),
            ("Publier la déclaration d'attente validée", "spokesperson", 180, "Texte approuvé uniquement."),
            ("Note interne aux équipes", "communications", 240, "Avant que la presse ne la cite."),
        ),
        key_messages=("Publication virale",),
        owner="lead2",
        summary="Première version validée.",
    ),
)


def _approved_playbook(spec: DemoPlaybook, users: dict) -> Playbook:
    author, approver = users["lead2"], users["lead"]
    roles = {role.code: role for role in IncidentRole.objects.all()}
    key_messages = list(KeyMessage.objects.filter(topic__in=spec.key_messages, status=ReviewStatus.APPROVED))
    playbook = services.playbook_create(
        actor=author,
        title=spec.title,
        scenario=spec.scenario,
        language=spec.language,
        owner=users[spec.owner],
        review_due=timezone.localdate() + timedelta(days=spec.review_in_days),
        summary=spec.summary,
        trigger_criteria=spec.trigger_criteria,
        severity_guide=spec.severity_guide,
        channels=list(spec.channels),
        escalation_contacts=spec.escalation_contacts,
        key_messages=key_messages,
        steps=[
            {"title": what, "role": roles[code], "within_minutes": minutes, "instructions": instructions}
            for what, code, minutes, instructions in spec.steps
        ],
    )
    # Four eyes: lead2 wrote it, lead approves the revision he read.
    version = playbook.versions.get()
    review.review_submit(actor=author, item=version)
    version.refresh_from_db()
    review.review_approve(actor=approver, item=version, revision=version.current_revision)
    if spec.next_version:
        draft = services.playbook_version_create(actor=users["comms"], playbook=playbook)
        services.playbook_version_update(actor=users["comms"], version=draft, **spec.next_version)
        review.review_submit(actor=users["comms"], item=draft, comment="Lessons from the blender case.")
    playbook.refresh_from_db()
    return playbook


def seed_playbook_list(*, users: dict) -> dict[str, Playbook]:
    playbooks = {}
    for spec in PLAYBOOKS:
        playbook = Playbook.objects.filter(title=spec.title).first()
        if playbook is None:
            with translation.override(spec.language):
                playbook = _approved_playbook(spec, users)
        playbooks[spec.title] = playbook
    return playbooks


# --- exercise and activation ------------------------------------------------------------------------------------

EXERCISE_TITLE = "Tabletop drill: loyalty-card data for sale"


def seed_exercise(*, users: dict, playbook: Playbook, people: dict[str, Person]) -> Exercise:
    """A drill held five weeks ago, completed, with what it showed and what must follow."""
    exercise = Exercise.objects.filter(title=EXERCISE_TITLE).first()
    if exercise is not None:
        return exercise
    actor = users["lead"]
    exercise = services.exercise_schedule(
        actor=actor,
        playbook=playbook,
        title=EXERCISE_TITLE,
        scheduled_for=timezone.now() - timedelta(days=35),
        participants=[people[name] for name in ("Marc Dubois", "Sophie Laurent", "Priya Natarajan", "Daniel Okafor")],
    )
    exercise = services.exercise_update(
        actor=actor,
        exercise=exercise,
        findings=(
            "The DPO was reached only after 50 minutes: the escalation list had an old number.\n"
            "The customer FAQ took four hours because nobody owned it.\n"
            "Legal's notification decision was made in time (2h10)."
        ),
        follow_up_actions=(
            "Update the DPO's number in the playbook (owner: Hannah Becker).\n"
            "Give the customer FAQ to customer care in step 5.\n"
            "Re-run the drill with the night shift next quarter."
        ),
    )
    return services.exercise_change_status(actor=actor, exercise=exercise, to_status=ExerciseStatus.COMPLETED)


ACTIVATED_INCIDENT_TITLE = "Viral thread: refund refused for a washing machine that flooded a flat"


def seed_activation(*, users: dict, playbook: Playbook):
    """Activate the viral-complaint playbook on the demo's washing-machine incident, an hour after detection.

    The clock is moved back so deadlines are real: the first four tasks were done, the
    briefing of customer care is overdue, the last task is still ahead.
    """
    from incidents.checklist.services import playbook_activate, task_complete
    from incidents.demo_data import demo_incidents

    incident = demo_incidents().filter(title=ACTIVATED_INCIDENT_TITLE).exclude(status=Status.CLOSED).first()
    if incident is None or PlaybookActivation.objects.filter(incident=incident, playbook=playbook).exists():
        return None
    activated_at = max(incident.detected_at + timedelta(hours=1), timezone.now() - timedelta(hours=7))
    clock = {"now": activated_at}
    with mock.patch("django.utils.timezone.now", new=lambda: clock["now"]):
        activation, _created = playbook_activate(actor=users["lead2"], incident=incident, playbook=playbook)
        tasks = list(IncidentTask.objects.filter(activation=activation).order_by("position"))
        notes = [
            "Screenshots saved to the incident.",
            "Amelia accepted a call at 14:30.",
            "Store confirms the box-opened refusal; policy says 30 days regardless.",
            "",
        ]
        for task, note in zip(tasks[:4], notes, strict=False):
            # Each one done a little before its deadline.
            clock["now"] = task.due_at - timedelta(minutes=5)
            task_complete(actor=users["comms2"], task=task, note=note)
    return activation


@transaction.atomic
def seed_playbooks(*, users: dict) -> dict[str, int]:
    """Roster, playbooks, a completed exercise and one activation; safe to run again. Returns counts."""
    people = seed_roster(users=users)
    playbooks = seed_playbook_list(users=users)
    seed_exercise(users=users, playbook=playbooks["Personal data breach"], people=people)
    seed_activation(users=users, playbook=playbooks["Viral customer complaint"])
    return {
        "people": len(people),
        "playbooks": len(playbooks),
        "open_tasks": IncidentTask.objects.filter(status=TaskStatus.OPEN, activation__playbook__in=playbooks.values())
        .distinct()
        .count(),
    }
