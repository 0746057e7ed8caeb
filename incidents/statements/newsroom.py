"""The public newsroom: published statements for anyone (no login), as pages and an Atom feed.

Only ``Statement.objects.public()`` is ever read here, so confidential and exercise incidents,
statements for internal channels only and anything not yet published stay out (the list, the
feed and the entry page alike). Every word shown is either fixed interface text or comes from
the revision that was approved and published (``published_revision``): its title, its body
(rendered by ``crisisdesk.review.rendering``: sanitised Markdown or escaped plain text — the only
HTML marked safe) and its optional ``public_context`` ("About: …"). Never the live incident or
statement rows, which staff may edit after publication. A withdrawn statement shows a fixed
notice with its date instead of its words; the reason typed by the lead stays internal.

Mounted at ``/newsroom/`` by ``crisisdesk/urls.py`` (``include("incidents.statements.newsroom")``).
"""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView

from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.rendering import render_html
from incidents.statements.models import Statement

FEED_SIZE = 50


def public_statements():
    """What the newsroom shows, newest first, with what its pages need loaded."""
    return Statement.objects.public().select_related("published_revision").order_by("-published_at", "-id")


def published_title(statement: Statement) -> str:
    return statement.published_revision.content.get("title", "")


def published_context(statement: Statement) -> str:
    """The reviewed "about" line of the published revision, or "" (never the incident's title)."""
    return statement.published_revision.content.get("public_context", "")


def withdrawal_notice(withdrawn_at) -> str:
    """The fixed public notice of a withdrawal: its date, never the reason."""
    return _("This statement was withdrawn on %(date)s.") % {
        "date": date_format(timezone.localtime(withdrawn_at), "DATETIME_FORMAT")
    }


def published_html(statement: Statement):
    """Sanitised HTML of the words that went out (not of any later draft)."""
    content = statement.published_revision.content
    return render_html(content.get("body", ""), content.get("body_format", "plain"))


class NewsroomEntry:
    """One statement as the public sees it: its published words, or its withdrawal notice.

    Holds only what may be shown: approved words, dates, status. No incident title, no
    withdrawal reason, so a template cannot print them by mistake.
    """

    def __init__(self, statement: Statement):
        self.statement = statement
        self.pk = statement.pk
        self.title = published_title(statement)
        self.context = published_context(statement)
        self.withdrawn = statement.status == ReviewStatus.WITHDRAWN
        self.published_at = statement.published_at
        self.withdrawn_at = statement.withdrawn_at
        self.language = statement.published_revision.content.get("language", statement.language)

    @property
    def withdrawal_notice(self) -> str:
        return withdrawal_notice(self.withdrawn_at) if self.withdrawn else ""

    @property
    def body(self):
        return published_html(self.statement)

    def get_absolute_url(self) -> str:
        return reverse("newsroom:detail", kwargs={"pk": self.pk})


class NewsroomListView(ListView):
    """Public list of published (and withdrawn) statements, newest first."""

    template_name = "newsroom/newsroom_list.html"
    paginate_by = 20

    def get_queryset(self):
        return public_statements()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entries"] = [NewsroomEntry(statement) for statement in context["object_list"]]
        return context


class NewsroomDetailView(DetailView):
    """One public statement, or its withdrawal notice."""

    template_name = "newsroom/newsroom_detail.html"

    def get_object(self, queryset=None):
        return get_object_or_404(public_statements(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(entry=NewsroomEntry(self.object), **kwargs)


class NewsroomAtomFeed(Atom1Feed):
    """Atom 1.0 with the statement's sanitised HTML as ``<content type="html">``.

    The XML writer escapes the HTML text, so a reader gets exactly the sanitised markup and
    nothing in the item can break out of the XML.
    """

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content_html") is not None:
            handler.addQuickElement("content", item["content_html"], {"type": "html"})


class NewsroomFeed(Feed):
    """Atom feed of the newsroom: the latest published statements and withdrawal notices."""

    feed_type = NewsroomAtomFeed
    title = gettext_lazy("CrisisDesk newsroom")
    subtitle = gettext_lazy("Public statements, newest first.")

    def link(self):
        return reverse("newsroom:list")

    def items(self):
        return [NewsroomEntry(statement) for statement in public_statements()[:FEED_SIZE]]

    def item_title(self, item: NewsroomEntry):
        if item.withdrawn:
            return _("Withdrawn: %s") % item.title
        return item.title

    def item_description(self, item: NewsroomEntry):
        # Atom <summary type="html">: the same sanitised HTML as <content>, or the notice.
        return self._html(item)

    def item_extra_kwargs(self, item: NewsroomEntry):
        return {"content_html": self._html(item)}

    def _html(self, item: NewsroomEntry) -> str:
        if item.withdrawn:
            return linebreaks(escape(item.withdrawal_notice))
        html = str(item.body)
        if item.context:
            about = _("About: %(context)s") % {"context": item.context}
            html = f"{linebreaks(escape(about))}{html}"
        return html

    def item_link(self, item: NewsroomEntry):
        return item.get_absolute_url()

    def item_pubdate(self, item: NewsroomEntry):
        return item.published_at

    def item_updateddate(self, item: NewsroomEntry):
        return item.withdrawn_at or item.published_at


app_name = "newsroom"

urlpatterns = [
    path("", NewsroomListView.as_view(), name="list"),
    path("feed/", NewsroomFeed(), name="feed"),
    path("<int:pk>/", NewsroomDetailView.as_view(), name="detail"),
]
