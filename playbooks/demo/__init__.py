"""Playbooks' part of ``manage.py seed_demo``: key messages, roster, playbooks, an exercise and an activation.

``steps`` registers it in ``crisisdesk.demo``; ``loader`` reads the YAML files (their layout is
described there); ``seed`` writes them through the services.
"""
