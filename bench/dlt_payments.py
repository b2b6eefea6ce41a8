"""dlt's REST API source over the SmarterPay emulator's payments, merged on ``id`` into
PostgreSQL. Runs inside ``bench/.dlt-venv`` (dlt is not a paysync dependency).

python bench/dlt_payments.py BASE_URL DATABASE_URL WORKDIR   (token in $BENCH_SP_TOKEN,
the emulator's CA in $REQUESTS_CA_BUNDLE). Prints {"records": N, "seconds": S}: rows in the loaded table, seconds of
``pipeline.run`` (extract, normalize, load; interpreter start and imports excluded).
"""

from __future__ import annotations

import json
import os
import sys
import time
from urllib.parse import parse_qs, urlsplit

import dlt
import psycopg2
from dlt.sources.rest_api import rest_api_source


def source(base_url: str, token: str) -> object:
    return rest_api_source(
        {
            "client": {
                "base_url": base_url.rstrip("/") + "/service.svc/",
                "auth": {"type": "bearer", "token": token},
                "paginator": {
                    "type": "page_number",
                    "page_param": "page_no",
                    "base_page": 1,
                    "total_path": None,
                },
            },
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
            "resources": [
                {
                    "name": "payments",
                    "endpoint": {
                        "path": "payments",
                        "params": {"limit": 500},
                        "data_selector": "payments",
                    },
                }
            ],
        },
        parallelized=True,  # the performance guide's advice for extraction
    )


def credentials(database_url: str) -> dict[str, object]:
    """The URL's parts; a Unix-socket URL (``?host=/dir``) is not one dlt parses itself."""
    url = urlsplit(database_url)
    host = parse_qs(url.query).get("host", [url.hostname or "localhost"])[0]
    return {
        "database": url.path.lstrip("/"), "username": url.username or "postgres",
        "password": url.password or "", "host": host, "port": url.port or 5432,
    }  # fmt: skip


def main(base_url: str, database_url: str, workdir: str) -> None:
    parts = credentials(database_url)
    pipeline = dlt.pipeline(
        pipeline_name="bench_payments",
        # A socket directory is kept in the query, where libpq reads it (it overrides the host).
        destination=dlt.destinations.postgres(
            credentials=f"postgresql://{parts['username']}:{parts['password'] or 'x'}@localhost:"
            f"{parts['port']}/{parts['database']}?host={parts['host']}"
        ),
        dataset_name="dlt_bench",
        pipelines_dir=workdir,
    )
    started = time.perf_counter()
    pipeline.run(source(base_url, os.environ["BENCH_SP_TOKEN"]))
    seconds = time.perf_counter() - started
    connect = {("user" if k == "username" else "dbname" if k == "database" else k): v
               for k, v in parts.items()}  # fmt: skip
    with psycopg2.connect(**connect) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM dlt_bench.payments")
        (records,) = cur.fetchone()
    print(json.dumps({"records": records, "seconds": seconds}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
