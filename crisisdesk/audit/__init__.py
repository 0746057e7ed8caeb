"""The system-wide audit trail: who changed what, when, from which value to which, and why.

``crisisdesk.audit.services.audit_record`` is called by each service inside the transaction of
the change it records. Review transitions keep their own, item-bound trail (``crisisdesk.review``
``AuditEvent``); this one covers every other state change (exercise status, mention triage, API
keys, webhook secrets, response targets, watch terms, spike rules, roles and crisis teams).

``crisisdesk.audit.purge`` holds the append-only triggers every append-only table gets and the one
maintenance switch that lets the demo reset and test teardown delete their rows.
"""
