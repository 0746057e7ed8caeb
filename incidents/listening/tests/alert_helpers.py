"""Shared setup of the alert-handling tests: a rule with defaults, its evidence mentions and a fired alert."""

from datetime import timedelta

from django.utils import timezone

from incidents.listening import services as mention_services
from incidents.listening.models import Alert, Mention, WatchTerm


def make_rule(team_lead, *, term="Acme", **data):
    watch_term = WatchTerm.objects.filter(term=term).first() or mention_services.watch_term_add(
        actor=team_lead, term=term, kind="brand"
    )
    settings = {
        "name": f"{term} spike",
        "watch_term": watch_term,
        "default_category": "product_defect",
        "default_severity": 2,
        **data,
    }
    return mention_services.spike_rule_save(actor=team_lead, data=settings)


def make_alert(rule, *, mentions=2, incident=None, start_offset=timedelta(hours=1)) -> Alert:
    now = timezone.now()
    sample = [
        Mention.objects.create(
            platform="x",
            external_id=f"alert-{rule.pk}-{Alert.objects.count()}-{n}",
            text=f"{rule.watch_term.term} jar cracked {n}",
            posted_at=now - timedelta(minutes=10),
            sentiment=-0.8,
        )
        for n in range(mentions)
    ]
    return Alert.objects.create(
        rule=rule,
        watch_term=rule.watch_term,
        fired_at=now,
        window_start=now - start_offset,
        window_end=now,
        count=42,
        baseline=3.0,
        negative_share=0.7,
        baseline_negative_share=0.1,
        evidence={"mention_ids": [m.pk for m in sample], "curve": []},
        incident=incident,
    )
