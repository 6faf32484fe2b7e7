"""The real Codex CLI (`@openai/codex` from npm, installed into tools/agents/ by make test) against the gateway,
configured only through its documented provider settings (`base_url`, `env_key`, `wire_api =
"responses"`), on a Claude channel whose fake Anthropic upstream answers with one tool call, then
text. Codex runs the tool itself and sends its output back; both turns are billed exactly.

No network: the CLI's update check and analytics are off, and a dead proxy catches anything else.
Skipped when the CLI is not installed (`npm install --prefix tools`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from backend.models.usage import Usage
from tests.fakes import openai_wire as ow
from tests.relay.relay_seed import (
    consume_logs,
    expected_quota,
    flush,
    make_channel,
    make_key,
    relay_env,
    user_row,
)

CODEX = Path(__file__).resolve().parents[2] / "tools" / "agents" / "node_modules" / ".bin" / "codex"
MODEL = "claude-sonnet-4-20250514"

pytestmark = pytest.mark.skipif(not CODEX.exists(), reason="Codex CLI not installed (npm install --prefix tools)")


def _config(gateway: str) -> str:
    return f'''model = "{MODEL}"
model_provider = "newapi"
check_for_update_on_startup = false

[model_providers.newapi]
name = "newapi gateway"
base_url = "{gateway}/v1"
env_key = "NEWAPI_API_KEY"
wire_api = "responses"

[analytics]
enabled = false
'''


def test_codex_cli_completes_a_tool_call_through_a_claude_channel(sqlite_storage, tmp_path: Path) -> None:
    with relay_env() as env:
        make_channel(env.fake.url, MODEL, type_=14)
        user, _, key = make_key()
        home, work = tmp_path / "codex-home", tmp_path / "work"
        home.mkdir()
        work.mkdir()
        (home / "config.toml").write_text(_config(env.url))
        dead_proxy = "http://127.0.0.1:9"
        child_env = {**os.environ, "CODEX_HOME": str(home), "HOME": str(tmp_path), "NEWAPI_API_KEY": key,
                     "HTTPS_PROXY": dead_proxy, "HTTP_PROXY": dead_proxy, "NO_PROXY": "127.0.0.1,localhost"}
        run = subprocess.run(
            [str(CODEX), "exec", "--skip-git-repo-check", "-C", str(work), "Run a shell command that says hi."],
            env=child_env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL, check=False)
        assert run.returncode == 0, run.stderr[-3000:]
        assert ow.REPLY_TEXT in run.stdout
        assert "fake-tool-ran" in run.stderr  # Codex ran the call it was given

        first, second = env.fake.requests
        assert first.path == second.path == "/v1/messages"
        assert first.headers["x-api-key"] == "sk-upstream"  # the channel's key, never the caller's
        [tool_use] = second.json["messages"][1]["content"]
        [result] = second.json["messages"][2]["content"]
        assert tool_use["name"] == "exec_command" and result["tool_use_id"] == tool_use["id"]
        assert "fake-tool-ran" in str(result["content"])
        flush()
        q = expected_quota(user_row(user.id), MODEL, Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
        assert [(r.model_name, r.quota) for r in consume_logs(user.id)] == [(MODEL, q), (MODEL, q)]
