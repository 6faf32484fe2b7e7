"""The real Claude Code and Gemini CLI (from npm, installed into tools/agents/ by make test) against
the gateway, each configured only through its documented base-URL and key settings, each on an
OpenAI channel, a kind it does not speak: the fake OpenAI upstream answers the first turn with a
call of the CLI's own shell tool (`Bash`, `run_shell_command`), the CLI runs it and sends the
output back, and the fake answers the second turn with text. Every call is billed exactly.

No network: telemetry, error reporting and update checks are off, HOME is a temporary directory,
and a dead proxy catches anything else. Skipped when a CLI is not installed (`npm ci --prefix tools`)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

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

BIN = Path(__file__).resolve().parents[2] / "tools" / "agents" / "node_modules" / ".bin"
CLAUDE, GEMINI = BIN / "claude", BIN / "gemini"
MODEL = "gpt-4o-mini"
PROMPT = "Run a shell command that says hi."
MARKER = "fake-tool-ran"
DEAD_PROXY = "http://127.0.0.1:9"


def _offline_env(home: Path, **extra: str) -> dict[str, str]:
    """The CLI's environment: our HOME, a dead proxy for anything not bound for loopback."""
    return {**os.environ, "HOME": str(home), "HTTPS_PROXY": DEAD_PROXY, "HTTP_PROXY": DEAD_PROXY,
            "https_proxy": DEAD_PROXY, "http_proxy": DEAD_PROXY, "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost", **extra}


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=240,
                          stdin=subprocess.DEVNULL, check=False)


def _tool_turns(requests: list[Any]) -> tuple[Any, Any]:
    """The chat call the fake answered with a tool call, and the one that carried its result."""
    chats = [r for r in requests if r.path == "/v1/chat/completions"]
    calls = [r for r in chats if ow.wants_tool_call(r.json)]
    results = [r for r in chats if any(m.get("role") == "tool" for m in r.json["messages"])]
    assert calls and results, [r.path for r in requests]
    return calls[0], results[-1]


def _assert_billed(user_id: int, n_calls: int) -> None:
    """One consume row per upstream call, each the fake's usage at the model's price."""
    flush()
    q = expected_quota(user_row(user_id), MODEL, Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert [(r.model_name, r.quota) for r in consume_logs(user_id)] == [(MODEL, q)] * n_calls


@pytest.mark.skipif(not CLAUDE.exists(), reason="Claude Code not installed (npm ci --prefix tools)")
def test_claude_code_completes_a_tool_call_through_an_openai_channel(sqlite_storage, tmp_path: Path) -> None:
    with relay_env() as env:
        make_channel(env.fake.url, MODEL, type_=1)
        user, _, key = make_key()
        work = tmp_path / "work"
        work.mkdir()
        child_env = _offline_env(
            tmp_path, ANTHROPIC_BASE_URL=env.url, ANTHROPIC_API_KEY=key, ANTHROPIC_MODEL=MODEL,
            ANTHROPIC_SMALL_FAST_MODEL=MODEL, ANTHROPIC_DEFAULT_HAIKU_MODEL=MODEL,
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", DISABLE_AUTOUPDATER="1", DISABLE_TELEMETRY="1",
            DISABLE_ERROR_REPORTING="1", CLAUDE_CONFIG_DIR=str(tmp_path / ".claude"))
        run = _run([str(CLAUDE), "-p", PROMPT, "--allowedTools", "Bash", "--output-format", "text"],
                   child_env, work)
        assert run.returncode == 0, (run.stdout[-2000:], run.stderr[-3000:])
        assert ow.REPLY_TEXT in run.stdout

        assert all(r.headers["authorization"] == "Bearer sk-upstream" for r in env.fake.requests)
        call, result = _tool_turns(env.fake.requests)
        [tool_msg] = [m for m in result.json["messages"] if m.get("role") == "tool"]
        [assistant] = [m for m in result.json["messages"] if m.get("tool_calls")]
        assert assistant["tool_calls"][0]["function"]["name"] == "Bash"
        assert tool_msg["tool_call_id"] == assistant["tool_calls"][0]["id"]
        assert MARKER in json.dumps(tool_msg["content"])  # Claude Code ran the command it was given
        _assert_billed(user.id, len(env.fake.requests))


def _gemini_settings(home: Path) -> None:
    settings = {
        "security": {"auth": {"selectedType": "gemini-api-key"}},
        "general": {"disableAutoUpdate": True, "disableUpdateNag": True},
        "privacy": {"usageStatisticsEnabled": False},
        "telemetry": {"enabled": False},
    }
    (home / ".gemini").mkdir()
    (home / ".gemini" / "settings.json").write_text(json.dumps(settings))


@pytest.mark.skipif(not GEMINI.exists(), reason="Gemini CLI not installed (npm ci --prefix tools)")
def test_gemini_cli_completes_a_tool_call_through_an_openai_channel(sqlite_storage, tmp_path: Path) -> None:
    with relay_env() as env:
        make_channel(env.fake.url, MODEL, type_=1)
        user, _, key = make_key()
        work = tmp_path / "work"
        work.mkdir()
        _gemini_settings(tmp_path)
        child_env = _offline_env(tmp_path, GOOGLE_GEMINI_BASE_URL=env.url, GEMINI_API_KEY=key,
                                 GEMINI_CLI_NO_RELAUNCH="true", GEMINI_CLI_TRUST_WORKSPACE="true")
        run = _run([str(GEMINI), "-m", MODEL, "-p", PROMPT, "--yolo"], child_env, work)
        assert run.returncode == 0, (run.stdout[-2000:], run.stderr[-3000:])
        assert ow.REPLY_TEXT in run.stdout

        assert all(r.headers["authorization"] == "Bearer sk-upstream" for r in env.fake.requests)
        call, result = _tool_turns(env.fake.requests)
        [tool_msg] = [m for m in result.json["messages"] if m.get("role") == "tool"]
        [assistant] = [m for m in result.json["messages"] if m.get("tool_calls")]
        assert assistant["tool_calls"][0]["function"]["name"] == "run_shell_command"
        assert MARKER in json.dumps(tool_msg["content"])  # Gemini CLI ran the command it was given
        _assert_billed(user.id, len(env.fake.requests))
