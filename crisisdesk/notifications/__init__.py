"""In-app notifications: what happened that a person should look at, with a bell and an unread count.

The kernel app imports no app. The apps register their *kinds* (``kinds.register``) in
``AppConfig.ready()`` and call ``services.notify`` inside the transaction of the change, so a
rolled-back change leaves no notification.
"""
