"""Postmortems' part of ``manage.py seed_demo``: the demo crises' post-crisis reviews, filled in and reviewed.

``steps`` registers it in ``crisisdesk.demo``; ``loader`` reads ``en/reviews.yaml``; ``seed``
writes it through the services.
"""
