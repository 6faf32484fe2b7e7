"""The console's log queries on 10 million `logs` rows (and 10 million `quota_data` rows), on
PostgreSQL, without and then with the indexes the models declare.

    .venv/bin/python -m bench.log_indexes --dsn postgresql://postgres@127.0.0.1:5432/test_e [--rows N]

Everything happens in a schema of its own (`bench_log_indexes`, dropped at the end, also after a
failure), so the database's own tables are untouched. The rows are made by PostgreSQL itself
(`INSERT … SELECT … FROM generate_series`, `setseed` for repeatable data), not through the ORM:
users drawn with a skew (a few heavy users, a long tail), four keys per user, thirty models, ids
and timestamps rising together over 180 days, 92 % consume rows. `quota_data` holds one row per
(user, model, hour) like the real hourly aggregate.

The statements are the ones the services send, built by their own code (`LogFilter.conditions`,
`page_of`'s count and page, `stat`'s sums, `dashboard_data.query`'s filters) and compiled for
PostgreSQL; each is run under `EXPLAIN (ANALYZE, BUFFERS)` twice and the second (warm) run is
kept. The table is printed as Markdown and written to `bench/results/log-indexes.json`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import orjson
import psycopg
from sqlalchemy import func
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import col, select

from backend.models import Log
from backend.models.enums import LogType
from backend.models.quota_data import QuotaData
from backend.services.log_queries import LogFilter
from backend.services.paging import offset_of
from bench.common import RESULTS

SCHEMA = "bench_log_indexes"
USERS = 10_000
MODELS = [f"model-{i:02d}" for i in range(28)] + ["gpt-4o", "gpt-4o-mini"]
DAY = 86_400
SPAN_DAYS = 180
START = 1_760_000_000  # the first row's created_at; the last is START + SPAN_DAYS days
PAGE_SIZE = 10  # the console's default page

FILL_LOGS = f"""
INSERT INTO logs (id, user_id, created_at, type, content, username, token_name, model_name, quota,
                  prompt_tokens, completion_tokens, use_time, is_stream, channel_id, token_id, "group", ip, other)
SELECT i, u, %(start)s::bigint + (i::bigint * %(span)s::bigint) / %(rows)s::bigint,
       CASE WHEN r < 0.92 THEN {int(LogType.CONSUME)} WHEN r < 0.97 THEN {int(LogType.ERROR)}
            ELSE {int(LogType.TOPUP)} END,
       'model ratio 1.25, completion ratio 4.00', 'user' || u, 'key-' || (u * 4 + k),
       (%(models)s::text[])[1 + floor(power(random(), 2) * {len(MODELS)})::int],
       floor(random() * 50000)::int, floor(random() * 4000)::int, floor(random() * 1000)::int,
       floor(random() * 30)::int, random() < 0.5, 1 + floor(random() * 50)::int, u * 4 + k,
       CASE WHEN random() < 0.8 THEN 'default' ELSE 'vip' END,
       '10.0.' || (u %% 250) || '.' || k, '{{"model_ratio":1.25,"group_ratio":1}}'
FROM (SELECT i, 1 + floor(power(random(), 3) * {USERS})::int AS u, floor(random() * 4)::int AS k,
             random() AS r
      FROM generate_series(1, %(rows)s::bigint) AS i) AS g
"""

# one row per (user, model, hour): users x models x hours = rows
FILL_QUOTA = """
INSERT INTO quota_data (id, user_id, username, model_name, created_at, token_used, count, quota)
SELECT i + 1, u, 'user' || u, (%(models)s::text[])[1 + m], %(start)s::bigint + h * 3600,
       floor(random() * 100000)::int, 1 + floor(random() * 100)::int, floor(random() * 500000)::int
FROM (SELECT i, 1 + (i %% %(users)s::bigint) AS u, (i / %(users)s::bigint) %% %(nmodels)s::bigint AS m,
             i / (%(users)s::bigint * %(nmodels)s::bigint) AS h
      FROM generate_series(0, %(rows)s::bigint - 1) AS i) AS g
"""


def compiled(stmt: Any) -> str:
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def page_statements(f: LogFilter) -> list[str]:
    """`log_queries.page`: `page_of`'s count and its first page, newest first."""
    conds = f.conditions()
    count = select(func.count()).select_from(Log).where(*conds)
    rows = select(Log).where(*conds).order_by(col(Log.id).desc()).offset(offset_of(1, PAGE_SIZE)).limit(PAGE_SIZE)
    return [compiled(count), compiled(rows)]


def stat_statements(f: LogFilter, now: int) -> list[str]:
    """`log_queries.stat`: consume quota over the filter, requests and tokens in the last minute."""
    conds = LogFilter(**{**f.__dict__, "type": int(LogType.CONSUME)}).conditions()
    quota = select(func.coalesce(func.sum(Log.quota), 0)).where(*conds)
    recent = select(func.count(), func.coalesce(func.sum(Log.prompt_tokens + Log.completion_tokens), 0)).where(
        *conds, Log.created_at >= now - 60
    )
    return [compiled(quota), compiled(recent)]


def quota_statement(start: int, end: int, user_id: int | None) -> list[str]:
    """`dashboard_data.query`: a user's hourly buckets (at most 30 days), or everyone's."""
    conds = [QuotaData.created_at >= start, QuotaData.created_at <= end]
    if user_id is not None:
        conds.insert(0, QuotaData.user_id == user_id)
    stmt = select(QuotaData).where(*conds).order_by(QuotaData.created_at, QuotaData.id)
    return [compiled(stmt)]


def queries(rows: int, quota_hours: int) -> dict[str, list[str]]:
    end = START + SPAN_DAYS * DAY
    day_start = START + (SPAN_DAYS // 2) * DAY
    user = USERS // 2  # a tail user (the skew puts heavy users near 1)
    return {
        "user's own logs, page 1 (count + page)": page_statements(LogFilter(user_id=user)),
        "admin, by key name, page 1": page_statements(LogFilter(token_name=f"key-{user * 4 + 1}")),
        "admin, by model (contains), page 1": page_statements(LogFilter(model_name="model-07")),
        "admin, one day, page 1": page_statements(LogFilter(start_timestamp=day_start, end_timestamp=day_start + DAY)),
        "admin stat, one day (sum + last minute)": stat_statements(
            LogFilter(start_timestamp=day_start, end_timestamp=day_start + DAY), day_start + DAY
        ),
        "user stat, whole history": stat_statements(LogFilter(user_id=user), end),
        "quota_data, one user, 7 days": quota_statement(START, START + min(quota_hours, 7 * 24) * 3600, user),
        "quota_data, everyone, one hour": quota_statement(START + 3600, START + 2 * 3600 - 1, None),
    }


def explain(cur: psycopg.Cursor, sql: str) -> dict[str, Any]:
    """EXPLAIN ANALYZE twice; the warm run's time and its plan's top node."""
    for _ in range(2):
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        plan = cur.fetchone()[0][0]
    top = plan["Plan"]
    node = top
    while node.get("Plans") and node["Node Type"] in {"Limit", "Aggregate", "Sort", "Gather", "Gather Merge"}:
        node = node["Plans"][0]
    scan = node["Node Type"] + (f" using {node['Index Name']}" if node.get("Index Name") else "")
    return {"ms": round(plan["Planning Time"] + plan["Execution Time"], 2), "plan": scan, "rows": top["Actual Rows"]}


def timed(label: str, work: Callable[[], None]) -> float:
    began = time.perf_counter()
    work()
    seconds = time.perf_counter() - began
    print(f"  {label}: {seconds:.1f} s", flush=True)
    return round(seconds, 1)


def run(dsn: str, rows: int) -> dict[str, Any]:
    quota_hours = max(1, rows // (USERS * len(MODELS)))
    report: dict[str, Any] = {"rows": rows, "quota_rows": USERS * len(MODELS) * quota_hours, "timings_s": {}}
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        cur.execute(f"CREATE SCHEMA {SCHEMA}")
        cur.execute(f"SET search_path TO {SCHEMA}")
        cur.execute("SET max_parallel_workers_per_gather = 0")  # one core per query: shared machine
        try:
            for table in (Log.__table__, QuotaData.__table__):
                cur.execute(compiled(CreateTable(table)))
            params = {"rows": rows, "start": START, "span": SPAN_DAYS * DAY, "models": MODELS}
            print(f"filling {rows:,} logs and {report['quota_rows']:,} quota_data rows (no index but the keys):")
            cur.execute("SELECT setseed(0.42)")
            t = report["timings_s"]
            t["fill_logs"] = timed("logs", lambda: cur.execute(FILL_LOGS, params))
            qparams = {"rows": report["quota_rows"], "users": USERS, "nmodels": len(MODELS), "start": START,
                       "models": MODELS}
            t["fill_quota_data"] = timed("quota_data", lambda: cur.execute(FILL_QUOTA, qparams))
            t["analyze_before"] = timed("ANALYZE", lambda: cur.execute("ANALYZE logs; ANALYZE quota_data"))
            cur.execute("SELECT pg_total_relation_size('logs'), pg_total_relation_size('quota_data')")
            report["bytes_before"] = dict(zip(("logs", "quota_data"), cur.fetchone(), strict=True))
            plan = queries(rows, quota_hours)
            report["before"] = {name: [explain(cur, sql) for sql in sqls] for name, sqls in plan.items()}
            print("creating the models' indexes:")
            created = {}
            for table in (Log.__table__, QuotaData.__table__):
                for index in sorted(table.indexes, key=lambda i: i.name):
                    created[str(index.name)] = timed(str(index.name), lambda i=index: cur.execute(compiled(CreateIndex(i))))
            t["indexes"] = created
            t["analyze_after"] = timed("ANALYZE", lambda: cur.execute("ANALYZE logs; ANALYZE quota_data"))
            cur.execute("SELECT pg_total_relation_size('logs'), pg_total_relation_size('quota_data')")
            report["bytes_after"] = dict(zip(("logs", "quota_data"), cur.fetchone(), strict=True))
            report["after"] = {name: [explain(cur, sql) for sql in sqls] for name, sqls in plan.items()}
            report["sql"] = plan
        finally:
            cur.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "| query (statements) | without indexes: ms | plan | with indexes: ms | plan |",
        "|---|---|---|---|---|",
    ]
    for name, before in report["before"].items():
        after = report["after"][name]
        ms_b = " + ".join(f"{s['ms']:.1f}" for s in before)
        ms_a = " + ".join(f"{s['ms']:.1f}" for s in after)
        plan_b = "; ".join(s["plan"] for s in before)
        plan_a = "; ".join(s["plan"] for s in after)
        lines.append(f"| {name} | {ms_b} | {plan_b} | {ms_a} | {plan_a} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="console log queries on 10M rows, before and after the indexes")
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test_e")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", default=str(RESULTS / "log-indexes.json"))
    args = parser.parse_args(argv)
    report = run(args.dsn, args.rows)
    report["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(args.out, "wb") as out:
        out.write(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
