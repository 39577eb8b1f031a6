"""The Oracle DDL of every migration (alembic offline mode), printed: `make oracle-sql` commits it."""

from __future__ import annotations

import io
import sys

from localdev.paths import ROOT, use_lambda_paths


def oracle_upgrade_sql() -> str:
    """The SQL `alembic upgrade head --sql` writes for the oracle dialect."""
    from alembic import command
    from alembic.config import Config

    use_lambda_paths()
    buffer = io.StringIO()
    config = Config(str(ROOT / "alembic.ini"), output_buffer=buffer)
    config.attributes["url"] = "oracle+oracledb://"
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head", sql=True)
    return buffer.getvalue()


if __name__ == "__main__":
    sys.stdout.write(oracle_upgrade_sql())
