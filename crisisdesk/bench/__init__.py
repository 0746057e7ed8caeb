"""The benchmark behind ``manage.py bench`` / ``make bench`` (issue 15); see docs/bench.md.

* ``data`` — the data set (users, incidents with timelines and teams, mentions), written with COPY;
* ``http`` — gunicorn as deployed, requests on new connections, SQL counted from PostgreSQL's log;
* ``targets`` — the pages and personas measured, interleaved rounds, concurrency, worker memory;
* ``report`` — percentiles and the printed tables;
* ``settings`` / ``urls`` — the deployment's settings and URLs plus the bare view (the yardstick).
"""
