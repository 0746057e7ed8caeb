"""The incidents app's part of ``manage.py seed_demo``: demo users, scripted crises (YAML) and demo mentions.

``steps`` registers it in ``crisisdesk.demo``; ``loader`` reads the files (their layout is described
there); ``seed`` plays them through the services; ``summary`` prints what was seeded.
"""
