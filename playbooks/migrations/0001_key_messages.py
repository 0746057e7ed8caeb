"""Key messages: pre-approved lines reviewed by the review engine."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("review", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="KeyMessage",
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
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("holding_statement", "Holding statement"),
                            ("line_to_take", "Line to take"),
                            ("qa", "Q&A"),
                        ],
                        default="holding_statement",
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                (
                    "topic",
                    models.CharField(
                        help_text="What situation it is for, e.g. product recall.", max_length=200, verbose_name="topic"
                    ),
                ),
                (
                    "title",
                    models.CharField(
                        help_text="The headline when used as a statement.", max_length=200, verbose_name="title"
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        choices=[("en", "English"), ("fr", "French")],
                        default="en",
                        max_length=5,
                        verbose_name="language",
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
                    "valid_until",
                    models.DateField(
                        blank=True, help_text="Not usable after this day.", null=True, verbose_name="valid until"
                    ),
                ),
                ("review_due", models.DateField(blank=True, null=True, verbose_name="review due")),
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
                "verbose_name": "key message",
                "verbose_name_plural": "key messages",
                "ordering": ["topic", "kind", "id"],
                "permissions": [
                    ("submit_keymessage", "Can submit a key message for review"),
                    ("approve_keymessage", "Can approve or reject a key message (Legal)"),
                    ("withdraw_keymessage", "Can retire a key message"),
                ],
                "abstract": False,
            },
        ),
        migrations.AddField(
            model_name="keymessage",
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
            model_name="keymessage",
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
            model_name="keymessage",
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
            model_name="keymessage",
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
        migrations.AddConstraint(
            model_name="keymessage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["draft", "in_review", "approved", "published", "withdrawn", "rejected"])
                ),
                name="playbooks_keymessage_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="keymessage",
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
                name="playbooks_keymessage_published_has_revision",
            ),
        ),
        migrations.AddConstraint(
            model_name="keymessage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["published", "withdrawn"]), ("published_revision__isnull", True), _connector="OR"
                ),
                name="playbooks_keymessage_published_revision_only_when_public",
            ),
        ),
        migrations.AddConstraint(
            model_name="keymessage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "withdrawn"), _negated=True),
                    models.Q(("withdrawn_at__isnull", False), ("withdrawn_by__isnull", False)),
                    _connector="OR",
                ),
                name="playbooks_keymessage_withdrawn_has_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="keymessage",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "draft"), ("current_revision__isnull", False), _connector="OR"),
                name="playbooks_keymessage_reviewed_has_revision",
            ),
        ),
        migrations.AddConstraint(
            model_name="keymessage",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["holding_statement", "line_to_take", "qa"])),
                name="keymessage_kind_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="keymessage",
            constraint=models.CheckConstraint(
                condition=models.Q(("language__in", ["en", "fr"])), name="keymessage_language_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="keymessage",
            constraint=models.CheckConstraint(
                condition=models.Q(("body_format__in", ["plain", "markdown"])), name="keymessage_format_valid"
            ),
        ),
    ]
