"""The tables as One API / new-api (GORM AutoMigrate) lay them out, written from the reference,
in each database's dialect. Only the older column set: what a database from before our extra
columns looks like, so the test proves an upgrade in place."""

from __future__ import annotations


def ddl(dialect: str, sqlite_autoincrement: bool = True) -> list[str]:
    """`sqlite_autoincrement=False`: SQLite ids as a plain rowid alias, which reuses the largest id
    once its row is deleted (what a database made without AUTOINCREMENT has)."""
    q = (lambda n: f'"{n}"') if dialect == "postgresql" else (lambda n: f"`{n}`")
    sqlite_pk = "integer PRIMARY KEY AUTOINCREMENT" if sqlite_autoincrement else "integer PRIMARY KEY"
    pk = {"sqlite": sqlite_pk, "postgresql": "bigserial PRIMARY KEY", "mysql": "bigint AUTO_INCREMENT PRIMARY KEY"}[dialect]
    text = "longtext" if dialect == "mysql" else "text"
    vc = "varchar(191)" if dialect == "mysql" else "text"  # GORM maps Go strings to longtext/text; keys need a length
    boolean = "boolean" if dialect != "mysql" else "tinyint(1)"
    dt = "timestamp" if dialect == "postgresql" else "datetime"
    return [
        f"""CREATE TABLE {q('users')} ({q('id')} {pk}, {q('username')} varchar(191) UNIQUE,
            {q('password')} {text} NOT NULL, {q('display_name')} {vc}, {q('role')} bigint DEFAULT 1,
            {q('status')} bigint DEFAULT 1, {q('email')} {vc}, {q('github_id')} {vc}, {q('wechat_id')} {vc},
            {q('telegram_id')} {vc}, {q('access_token')} char(32) UNIQUE, {q('quota')} bigint DEFAULT 0,
            {q('used_quota')} bigint DEFAULT 0, {q('request_count')} bigint DEFAULT 0,
            {q('group')} varchar(32) DEFAULT 'default', {q('aff_code')} varchar(32) UNIQUE,
            {q('aff_count')} bigint DEFAULT 0, {q('aff_quota')} bigint DEFAULT 0, {q('aff_history')} bigint DEFAULT 0,
            {q('inviter_id')} bigint, {q('deleted_at')} {dt} NULL)""",
        f"""CREATE TABLE {q('tokens')} ({q('id')} {pk}, {q('user_id')} bigint, {q('key')} char(48) UNIQUE,
            {q('status')} bigint DEFAULT 1, {q('name')} {vc}, {q('created_time')} bigint,
            {q('accessed_time')} bigint, {q('expired_time')} bigint DEFAULT -1, {q('remain_quota')} bigint DEFAULT 0,
            {q('unlimited_quota')} {boolean} DEFAULT false, {q('model_limits_enabled')} {boolean} DEFAULT false,
            {q('model_limits')} varchar(1024) DEFAULT '', {q('allow_ips')} varchar(1024) DEFAULT '',
            {q('used_quota')} bigint DEFAULT 0, {q('group')} varchar(64) DEFAULT '', {q('deleted_at')} {dt} NULL)""",
        f"""CREATE TABLE {q('channels')} ({q('id')} {pk}, {q('type')} bigint DEFAULT 0, {q('key')} {text} NOT NULL,
            {q('open_ai_organization')} {text}, {q('test_model')} {text}, {q('status')} bigint DEFAULT 1,
            {q('name')} {vc}, {q('weight')} bigint DEFAULT 0, {q('created_time')} bigint, {q('test_time')} bigint,
            {q('response_time')} bigint, {q('base_url')} varchar(255) DEFAULT '', {q('other')} {text},
            {q('balance')} double precision, {q('balance_updated_time')} bigint, {q('models')} {text},
            {q('group')} varchar(64) DEFAULT 'default', {q('used_quota')} bigint DEFAULT 0,
            {q('model_mapping')} {text}, {q('status_code_mapping')} varchar(1024) DEFAULT '',
            {q('priority')} bigint DEFAULT 0, {q('auto_ban')} bigint DEFAULT 1, {q('other_info')} {text},
            {q('tag')} varchar(191), {q('setting')} {text}, {q('param_override')} {text})""",
        f"""CREATE TABLE {q('abilities')} ({q('group')} varchar(64) NOT NULL, {q('model')} varchar(191) NOT NULL,
            {q('channel_id')} bigint NOT NULL, {q('enabled')} {boolean}, {q('priority')} bigint DEFAULT 0,
            {q('weight')} bigint DEFAULT 0, {q('tag')} varchar(191),
            PRIMARY KEY ({q('group')}, {q('model')}, {q('channel_id')}))""",
        f"CREATE TABLE {q('options')} ({q('key')} varchar(191) PRIMARY KEY, {q('value')} {text})",
        f"""CREATE TABLE {q('logs')} ({q('id')} {pk}, {q('user_id')} bigint, {q('created_at')} bigint,
            {q('type')} bigint, {q('content')} {text}, {q('username')} varchar(191) DEFAULT '',
            {q('token_name')} varchar(191) DEFAULT '', {q('model_name')} varchar(191) DEFAULT '',
            {q('quota')} bigint DEFAULT 0, {q('prompt_tokens')} bigint DEFAULT 0,
            {q('completion_tokens')} bigint DEFAULT 0, {q('use_time')} bigint DEFAULT 0,
            {q('is_stream')} {boolean} DEFAULT false, {q('channel_id')} bigint, {q('token_id')} bigint DEFAULT 0,
            {q('group')} varchar(191), {q('other')} {text})""",
        f"""CREATE TABLE {q('redemptions')} ({q('id')} {pk}, {q('user_id')} bigint, {q('key')} char(32) UNIQUE,
            {q('status')} bigint DEFAULT 1, {q('name')} {vc}, {q('quota')} bigint DEFAULT 100,
            {q('created_time')} bigint, {q('redeemed_time')} bigint, {q('used_user_id')} bigint,
            {q('deleted_at')} {dt} NULL)""",
        f"""CREATE TABLE {q('top_ups')} ({q('id')} {pk}, {q('user_id')} bigint, {q('amount')} bigint,
            {q('money')} double precision, {q('trade_no')} varchar(191), {q('create_time')} bigint,
            {q('status')} {vc})""",
        f"""CREATE TABLE {q('quota_data')} ({q('id')} {pk}, {q('user_id')} bigint, {q('username')} varchar(64) DEFAULT '',
            {q('model_name')} varchar(64) DEFAULT '', {q('created_at')} bigint, {q('token_used')} bigint DEFAULT 0,
            {q('count')} bigint DEFAULT 0, {q('quota')} bigint DEFAULT 0)""",
    ]
