"""Statements and their per-channel live URLs."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_roles_and_append_only"),
        ("playbooks", "0001_key_messages"),
        ("review", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StatementPublication",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("x", "X"),
                            ("facebook", "Facebook"),
                            ("instagram", "Instagram"),
                            ("linkedin", "LinkedIn"),
                            ("tiktok", "TikTok"),
                            ("website", "Website"),
                            ("press_release", "Press release"),
                            ("customer_email", "Customer email"),
                            ("internal_memo", "Internal memo"),
                        ],
                        max_length=20,
                        verbose_name="channel",
                    ),
                ),
                ("url", models.URLField(max_length=500, verbose_name="live URL")),
                ("recorded_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name": "statement publication",
                "verbose_name_plural": "statement publications",
                "ordering": ["channel", "recorded_at"],
            },
        ),
        migrations.CreateModel(
            name="Statement",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("in_review", "In review"),
                            ("approved", "Approved"),
                            ("published", "Published"),
                            ("withdrawn", "Withdrawn"),
                            ("rejected", "Rejected"),
                        ],
                        default="draft",
                        editable=False,
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "published_at",
                    models.DateTimeField(blank=True, editable=False, null=True, verbose_name="published at"),
                ),
                (
                    "withdrawn_at",
                    models.DateTimeField(blank=True, editable=False, null=True, verbose_name="withdrawn at"),
                ),
                ("withdrawal_reason", models.TextField(blank=True, editable=False, verbose_name="withdrawal reason")),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                ("channels", models.JSONField(default=list, verbose_name="channels")),
                (
                    "language",
                    models.CharField(
                        choices=[("en", "English"), ("fr", "French")],
                        default="en",
                        max_length=5,
                        verbose_name="language",
                    ),
                ),
                (
                    "audience",
                    models.CharField(
                        blank=True,
                        help_text="Who it speaks to: customers, press, staff…",
                        max_length=200,
                        verbose_name="audience",
                    ),
                ),
                ("body", models.TextField(verbose_name="body")),
                (
                    "body_format",
                    models.CharField(
                        choices=[("plain", "Plain text"), ("markdown", "Markdown")],
                        default="plain",
                        max_length=10,
                        verbose_name="format",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="author",
                    ),
                ),
            ],
            options={
                "verbose_name": "statement",
                "verbose_name_plural": "statements",
                "ordering": ["-created_at", "-id"],
                "permissions": [
                    ("submit_statement", "Can submit a statement for review"),
                    ("approve_statement", "Can approve or reject a statement (Legal)"),
                    ("publish_statement", "Can publish an approved statement and record its live URLs"),
                    ("withdraw_statement", "Can withdraw a statement"),
                ],
                "abstract": False,
            },
        ),
        migrations.AddField(
            model_name="statement",
            name="current_revision",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="review.revision",
            ),
        ),
        migrations.AddField(
            model_name="statement",
            name="facts",
            field=models.ManyToManyField(
                blank=True, related_name="statements", to="incidents.fact", verbose_name="cited facts"
            ),
        ),
        migrations.AddField(
            model_name="statement",
            name="from_key_message",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="statements",
                to="playbooks.keymessage",
                verbose_name="started from key message",
            ),
        ),
        migrations.AddField(
            model_name="statement",
            name="incident",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="statements", to="incidents.incident"
            ),
        ),
        migrations.AddField(
            model_name="statement",
            name="published_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="statement",
            name="published_revision",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="review.revision",
            ),
        ),
        migrations.AddField(
            model_name="statement",
            name="withdrawn_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="statementpublication",
            name="recorded_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="statementpublication",
            name="statement",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="publications", to="incidents.statement"
            ),
        ),
        migrations.AddIndex(
            model_name="statement",
            index=models.Index(fields=["incident", "status"], name="incidents_s_inciden_f3643b_idx"),
        ),
        migrations.AddIndex(
            model_name="statement",
            index=models.Index(fields=["status", "-published_at"], name="incidents_s_status_c97fe9_idx"),
        ),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["draft", "in_review", "approved", "published", "withdrawn", "rejected"])
                ),
                name="incidents_statement_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "published"), _negated=True),
                    models.Q(
                        ("published_at__isnull", False),
                        ("published_by__isnull", False),
                        ("published_revision__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="incidents_statement_published_has_revision",
            ),
        ),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["published", "withdrawn"]), ("published_revision__isnull", True), _connector="OR"
                ),
                name="incidents_statement_published_revision_only_when_public",
            ),
        ),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "withdrawn"), _negated=True),
                    models.Q(("withdrawn_at__isnull", False), ("withdrawn_by__isnull", False)),
                    _connector="OR",
                ),
                name="incidents_statement_withdrawn_has_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "draft"), ("current_revision__isnull", False), _connector="OR"),
                name="incidents_statement_reviewed_has_revision",
            ),
        ),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.CheckConstraint(
                condition=models.Q(("language__in", ["en", "fr"])), name="statement_language_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.CheckConstraint(
                condition=models.Q(("body_format__in", ["plain", "markdown"])), name="statement_format_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="statementpublication",
            constraint=models.UniqueConstraint(
                fields=("statement", "channel", "url"), name="statement_publication_unique_url"
            ),
        ),
        migrations.AddConstraint(
            model_name="statementpublication",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "channel__in",
                        [
                            "x",
                            "facebook",
                            "instagram",
                            "linkedin",
                            "tiktok",
                            "website",
                            "press_release",
                            "customer_email",
                            "internal_memo",
                        ],
                    )
                ),
                name="statement_publication_channel_valid",
            ),
        ),
    ]
