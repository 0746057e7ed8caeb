"""A real OpenID Connect provider for the tests: a second Django project running django-oauth-toolkit.

``settings.py``/``urls.py``/``manage.py`` are that project (its own SQLite database in a temporary
directory, an RS256 key generated at start); ``server.py`` starts it in a subprocess on a free port
and drives it. Nothing here is imported by CrisisDesk itself.
"""
