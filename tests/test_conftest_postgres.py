"""The PostgreSQL fixture starts a real server we can write to and read back."""
import sqlalchemy as sa


def test_postgres_server_is_real_and_writable(postgres_db):
    engine = sa.create_engine(postgres_db)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x int)"))
        conn.execute(sa.text("INSERT INTO t VALUES (41), (1)"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT sum(x) FROM t")).scalar() == 42
        assert "PostgreSQL" in conn.execute(sa.text("SELECT version()")).scalar()
    engine.dispose()
