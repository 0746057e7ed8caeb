"""crisisdesk.testing.pgcluster: a fresh cluster per use, reachable as its superuser, always removed."""

import psycopg
import pytest

from crisisdesk.testing.pgcluster import find_pg_bin, pg_cluster, server_binaries_installed
from crisisdesk.testing.system import require


@pytest.fixture(autouse=True)
def _server_binaries():
    require(server_binaries_installed(), "PostgreSQL server binaries (initdb, pg_ctl) are not installed")


def test_a_fresh_cluster_answers_as_its_superuser_on_its_socket_and_goes_away():
    with pg_cluster(user="restorer") as cluster:
        with psycopg.connect(cluster.conninfo()) as conn:
            user, superuser, databases, listen = conn.execute(
                "SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
                "(SELECT count(*) FROM pg_database WHERE NOT datistemplate), current_setting('listen_addresses')"
            ).fetchone()
        assert cluster.url("x") == f"postgres://restorer@{str(cluster.socket_dir).replace('/', '%2F')}:5432/x"
        assert cluster.tool("pg_dump") == str(find_pg_bin() / "pg_dump")
        socket_dir = cluster.socket_dir
        assert socket_dir.is_dir()
    # Only the default database, reachable over the socket only (no TCP with trust authentication).
    assert (user, superuser, databases, listen) == ("restorer", True, 1, "")
    assert not socket_dir.exists()


def test_two_clusters_at_once_do_not_meet_and_an_error_still_removes_them():
    with pytest.raises(RuntimeError, match="boom"), pg_cluster() as first, pg_cluster() as second:
        dirs = (first.socket_dir, second.socket_dir)
        with psycopg.connect(first.conninfo(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE only_in_first")
        with psycopg.connect(second.conninfo()) as conn:
            names = {name for (name,) in conn.execute("SELECT datname FROM pg_database")}
        assert "only_in_first" not in names
        raise RuntimeError("boom")
    assert dirs[0] != dirs[1]
    assert not any(path.exists() for path in dirs)
