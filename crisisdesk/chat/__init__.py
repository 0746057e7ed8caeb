"""Chat, e-mail and SMS destinations (Slack, Teams, Mattermost, mailto, SMS gateways) sent with Apprise.

Every event written to the webhooks outbox (``crisisdesk.webhooks.services.emit``) is
fanned out, in the same transaction, to one ``ChatDelivery`` per matching destination;
a Celery task sends it after the commit, with retries, backoff and a dead letter, and
the beat sweep picks up lost messages. Messages carry only fixed interface text,
identifiers, links and reviewed words (``crisisdesk.chat.messages``).
"""
