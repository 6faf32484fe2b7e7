"""Which groups exist (GroupRatio) and which a user may pick for a token (UserUsableGroups + own)."""

from __future__ import annotations

from typing import Any

from backend.services import options

AUTO = "auto"  # the token group that tries the user's AutoGroups in order (new-api's)
AUTO_DESCRIPTION = "自动选择"  # how new-api lists `auto` when DefaultUseAutoGroup offers it


def _json_dict(key: str) -> dict[str, Any]:
    try:
        value = options.get_json(key)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def group_ratios() -> dict[str, float]:
    return {str(k): float(v) for k, v in _json_dict("GroupRatio").items() if isinstance(v, int | float)}


def all_groups() -> list[str]:
    return sorted(group_ratios())


def default_use_auto() -> bool:
    """`DefaultUseAutoGroup`: `auto` is offered to everyone and is the group of new keys (the key
    made at sign-up with GENERATE_DEFAULT_TOKEN, and the console's new-key form)."""
    return options.get_bool("DefaultUseAutoGroup")


def default_token_group() -> str:
    """The group a new key gets unless told otherwise: `auto` under DefaultUseAutoGroup, else the
    user's own ('')."""
    return AUTO if default_use_auto() else ""


def usable_groups(user_group: str) -> dict[str, str]:
    """name -> description of the groups this user may choose; their own group is always included,
    and `auto` under DefaultUseAutoGroup (new-api's GetUserUsableGroups)."""
    groups = {str(k): str(v) for k, v in _json_dict("UserUsableGroups").items()}
    if default_use_auto():
        groups.setdefault(AUTO, AUTO_DESCRIPTION)
    if user_group and user_group not in groups:
        groups[user_group] = "user group"
    return groups


def usable_groups_with_ratio(user_group: str) -> dict[str, dict[str, Any]]:
    ratios = group_ratios()
    return {name: {"ratio": ratios.get(name, 1.0), "desc": desc} for name, desc in usable_groups(user_group).items()}


def auto_groups(user_group: str) -> list[str]:
    """new-api's GetUserAutoGroup: the `AutoGroups` option's groups, in its order, that this user may
    use and that are priced (an unpriced group would bill at 1x), without repeats."""
    try:
        listed = options.get_json("AutoGroups")
    except ValueError:
        listed = []
    usable, ratios, out = usable_groups(user_group), group_ratios(), []
    for group in listed if isinstance(listed, list) else []:
        if isinstance(group, str) and group != AUTO and group in usable and group in ratios and group not in out:
            out.append(group)
    return out


def is_usable(user_group: str, group: str) -> bool:
    """'' means the user's own group. A group is usable if offered to the user and priced; `auto`
    when UserUsableGroups offers it (it has no ratio of its own: the group it lands in is billed)."""
    if group == "":
        return True
    if group == AUTO:
        return AUTO in usable_groups(user_group)
    return group in usable_groups(user_group) and (group == user_group or group in group_ratios())
