"""Channel param_override: the simple merge and new-api's operations form."""

from __future__ import annotations

import copy

import pytest

from backend.relay.convert.param_override import ParamOverrideError, apply_param_override

BODY = {
    "model": "gpt-4o-mini",
    "temperature": 0.7,
    "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "write code please"}],
    "metadata": {"user": {"name": "ann"}},
}


def run(override):
    return apply_param_override(copy.deepcopy(BODY), override)


def ops(*operations):
    return {"operations": list(operations)}


def test_simple_form_overwrites_top_level():
    out = run({"temperature": 0.1, "max_tokens": 5})
    assert (out["temperature"], out["max_tokens"], out["model"]) == (0.1, 5, "gpt-4o-mini")


def test_empty_or_non_object_override_is_a_no_op():
    assert run({}) == BODY
    assert run(None) == BODY
    assert run([1]) == BODY


@pytest.mark.parametrize(
    ("operation", "check"),
    [
        ({"path": "temperature", "mode": "set", "value": 0.2}, lambda b: b["temperature"] == 0.2),
        ({"path": "temperature", "mode": "set", "value": 0.2, "keep_origin": True}, lambda b: b["temperature"] == 0.7),
        ({"path": "top_p", "mode": "set", "value": 0.5, "keep_origin": True}, lambda b: b["top_p"] == 0.5),
        ({"path": "a.b.c", "value": 1}, lambda b: b["a"] == {"b": {"c": 1}}),
        ({"path": "messages.0", "mode": "delete"}, lambda b: [m["role"] for m in b["messages"]] == ["user"]),
        ({"path": "nope.deeper", "mode": "delete"}, lambda b: b == BODY),
        ({"path": "messages.-1.content", "mode": "append", "value": "!"}, lambda b: b["messages"][1]["content"] == "write code please!"),
        ({"path": "messages.0.content", "mode": "prepend", "value": "NB: "}, lambda b: b["messages"][0]["content"] == "NB: sys"),
        ({"path": "messages", "mode": "prepend", "value": [{"role": "system", "content": "first"}]},
         lambda b: [m["content"] for m in b["messages"]] == ["first", "sys", "write code please"]),
        ({"path": "messages", "mode": "append", "value": {"role": "user", "content": "x"}}, lambda b: len(b["messages"]) == 3),
        ({"path": "metadata.user", "mode": "append", "value": {"id": 1}}, lambda b: b["metadata"]["user"] == {"name": "ann", "id": 1}),
        ({"path": "stop", "mode": "append", "value": ["END"]}, lambda b: b["stop"] == ["END"]),
        ({"mode": "move", "from": "messages.0.content", "to": "system"},
         lambda b: b["system"] == "sys" and "content" not in b["messages"][0]),
        ({"mode": "move", "from": "missing", "to": "system"}, lambda b: "system" not in b),
    ],
)  # fmt: skip
def test_operations(operation, check):
    assert check(run(ops(operation)))


@pytest.mark.parametrize(
    ("conditions", "logic", "applied"),
    [
        ([{"path": "model", "mode": "prefix", "value": "gpt-4"}], None, True),
        ([{"path": "model", "mode": "suffix", "value": "mini"}], None, True),
        ([{"path": "model", "value": "gpt-4o-mini"}], None, True),
        ([{"path": "model", "value": "gpt-4o"}], None, False),
        ([{"path": "messages.1.content", "mode": "contains", "value": "code"}], None, True),
        (
            [{"path": "model", "mode": "contains", "value": "claude"}, {"path": "temperature", "value": 0.7}],
            None,
            True,
        ),
        (
            [{"path": "model", "mode": "contains", "value": "claude"}, {"path": "temperature", "value": 0.7}],
            "AND",
            False,
        ),
        (
            [{"path": "model", "mode": "prefix", "value": "gpt"}, {"path": "temperature", "value": 0.7}],
            "and",
            True,
        ),
        ([{"path": "absent", "value": ""}], None, False),
    ],
)
def test_conditions(conditions, logic, applied):
    op = {"path": "flag", "mode": "set", "value": True, "conditions": conditions}
    if logic:
        op["logic"] = logic
    assert ("flag" in run(ops(op))) is applied


def test_operations_run_in_order_on_the_current_state():
    out = run(
        ops(
            {"path": "model", "value": "claude-x"},
            {"path": "n", "value": 1, "conditions": [{"path": "model", "mode": "prefix", "value": "claude"}]},
        )
    )
    assert out["n"] == 1


@pytest.mark.parametrize(
    "operation",
    [
        {"path": "temperature", "mode": "append", "value": "x"},
        {"path": "temperature.x", "value": 1},
        {"path": "messages.9.content", "value": "x"},
        {"path": "", "value": 1},
        {"path": "x", "mode": "explode"},
    ],
)
def test_broken_operations_raise(operation):
    with pytest.raises(ParamOverrideError):
        run(ops(operation))


def test_malformed_operations_fall_back_to_simple():
    out = run({"operations": "not a list", "temperature": 0})
    assert out["temperature"] == 0
    assert out["operations"] == "not a list"


def test_override_values_are_copied():
    value = {"k": [1]}
    out = run(ops({"path": "extra", "value": value}))
    out["extra"]["k"].append(2)
    assert value == {"k": [1]}


@pytest.mark.parametrize(
    ("operation", "path", "expected"),
    [
        ({"mode": "trim_prefix", "value": "gpt-"}, "model", "4o-mini"),
        ({"mode": "trim_suffix", "value": "-mini"}, "model", "gpt-4o"),
        ({"mode": "ensure_prefix", "value": "openai/"}, "model", "openai/gpt-4o-mini"),
        ({"mode": "ensure_prefix", "value": "gpt"}, "model", "gpt-4o-mini"),
        ({"mode": "ensure_suffix", "value": "-mini"}, "model", "gpt-4o-mini"),
        ({"mode": "to_upper"}, "model", "GPT-4O-MINI"),
        ({"mode": "replace", "from": "4o", "to": "4.1"}, "model", "gpt-4.1-mini"),
        ({"mode": "regex_replace", "from": r"^gpt-(\w+)-mini$", "to": "${1}-small"}, "model", "4o-small"),
        ({"mode": "regex_replace", "from": r"(\d)o", "to": "$1x"}, "model", "gpt-4x-mini"),
    ],
)
def test_string_modes(operation, path, expected):
    assert run(ops({"path": path, **operation}))[path] == expected


def test_trim_space_lower_and_copy():
    body = {"a": "  Hi  ", "b": {"c": [1]}}
    out = apply_param_override(body, ops({"path": "a", "mode": "trim_space"}, {"path": "a", "mode": "to_lower"},
                                          {"mode": "copy", "from": "b", "to": "d"}))  # fmt: skip
    assert out["a"] == "hi"
    out["d"]["c"].append(2)
    assert out["b"] == {"c": [1]}  # a copy, not the same object


def test_string_mode_on_missing_path_is_a_no_op_and_on_number_fails():
    assert run(ops({"path": "absent", "mode": "to_lower"})) == BODY
    with pytest.raises(ParamOverrideError):
        run(ops({"path": "temperature", "mode": "to_lower"}))
    with pytest.raises(ParamOverrideError):
        run(ops({"path": "model", "mode": "regex_replace", "from": "(", "to": "x"}))
