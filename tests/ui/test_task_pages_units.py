"""The drawing and task log pages' own logic, without a browser: a user's page holds only their
rows (no channel), an admin's every row with the channel filter, and MJ times in milliseconds."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from backend.db import session_scope
from backend.models import Midjourney, Task
from backend.models.enums import Role
from newapi_ui.states import tasks as task_states

TOKYO = ZoneInfo("Asia/Tokyo")


def _view(**fields) -> SimpleNamespace:
    """The fields the states' helpers read (a real state needs a browser session)."""
    base = {"task_id": "", "start_time": "", "end_time": "", "channel": "", "status": "", "time_zone": "Asia/Tokyo",
            "lang": "en", "tr": lambda m: m, "fmt_datetime": lambda ts: str(ts), "fmt_quota": lambda q: str(q)}
    view = SimpleNamespace(**{**base, **fields})
    view._bounds = lambda scale: task_states._Filters._bounds(view, scale)
    return view


def _seed() -> None:
    with session_scope() as s:
        s.add(Midjourney(user_id=1, mj_id="m1", action="IMAGINE", status="SUCCESS", progress="100%", channel_id=4,
                         submit_time=1_764_000_000_000, image_url="http://cdn.example/1.png"))
        s.add(Midjourney(user_id=2, mj_id="m2", action="IMAGINE", status="FAILURE", progress="100%", channel_id=5,
                         submit_time=1_764_000_000_000))
        s.add(Task(user_id=1, task_id="task_1", platform="suno", action="MUSIC", status="SUCCESS", progress="100%",
                   channel_id=4, submit_time=1_764_000_000, private_data={"result_url": "https://x/1.mp3"}))
        s.add(Task(user_id=2, task_id="task_2", platform="55", action="generate", status="FAILURE", progress="100%",
                   channel_id=5, submit_time=1_764_000_000, fail_reason="moderation"))


def test_users_get_their_own_rows_admins_all(sqlite_storage) -> None:
    _seed()
    user, admin = SimpleNamespace(id=1, role=Role.COMMON), SimpleNamespace(id=9, role=Role.ADMIN)
    rows, total = task_states.MjLogsState._fetch(_view(channel="5"), user, 1, 10)
    assert total == 1 and rows[0]["mj_id"] == "m1" and "channel_id" not in rows[0]
    rows, total = task_states.MjLogsState._fetch(_view(channel="5"), admin, 1, 10)
    assert total == 1 and rows[0]["mj_id"] == "m2"
    rows, total = task_states.TaskLogsState._fetch(_view(), user, 1, 10)
    assert total == 1 and rows[0]["task_id"] == "task_1" and "channel_id" not in rows[0]
    shown = task_states.TaskLogsState._format(_view(), rows[0])
    assert shown["result"] == "https://x/1.mp3" and shown["status"] == "Success"
    rows, total = task_states.TaskLogsState._fetch(_view(status="FAILURE"), admin, 1, 10)
    assert total == 1 and task_states.TaskLogsState._format(_view(), rows[0])["fail_reason"] == "moderation"


def test_drawing_filter_times_are_milliseconds_in_the_browser_zone() -> None:
    view = _view(start_time="2026-11-28T09:30")
    start, _end = view._bounds(1000)
    assert start == int(datetime.fromisoformat("2026-11-28T09:30").replace(tzinfo=TOKYO).timestamp()) * 1000


def test_video_providers_show_by_name_with_a_preview() -> None:
    """A video task's platform is its channel type's id: the page names the provider and offers
    a video preview once there is a result; a song keeps its plain link."""
    shown = task_states.TaskLogsState._format(_view(), {"platform": "51", "status": "SUCCESS",
                                                        "result_url": "https://cdn.example/v.mp4"})
    assert (shown["platform"], shown["kind"], shown["video"]) == ("Jimeng", "Video", "1")
    for platform, name in (("52", "Vidu"), ("54", "DoubaoVideo"), ("24", "Gemini"), ("41", "VertexAI"),
                           ("50", "Kling"), ("55", "Sora")):
        assert task_states.platform_label(platform) == name
    running = task_states.TaskLogsState._format(_view(), {"platform": "52", "status": "IN_PROGRESS"})
    assert running["video"] == ""
    song = task_states.TaskLogsState._format(_view(), {"platform": "suno", "result_url": "https://x/1.mp3"})
    assert (song["platform"], song["kind"], song["video"]) == ("Suno", "Music", "")
