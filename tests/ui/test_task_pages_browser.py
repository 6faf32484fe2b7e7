"""The drawing and task log pages in a real browser (served like `make run`, fresh SQLite): rows with
status, progress, the image preview and the result link, and the task-id filter."""

from __future__ import annotations

import sqlite3
import time

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, ConsoleServer, Page


def _seed(server: ConsoleServer) -> None:
    now = int(time.time())
    with sqlite3.connect(server.db_path) as db:
        db.executemany(
            "INSERT INTO midjourneys (code, user_id, action, mj_id, prompt, prompt_en, description, state, "
            "submit_time, start_time, finish_time, image_url, video_url, video_urls, status, progress, "
            "fail_reason, channel_id, quota, token_id, billing_channel_id, buttons, properties) "
            "VALUES (1, 1, 'IMAGINE', ?, ?, '', '', '', ?, 0, 0, ?, '', '', ?, ?, ?, 3, 50000, 0, 0, '', '')",
            [("mj-ok", "a cat", now * 1000, "https://cdn.example/cat.png", "SUCCESS", "100%", ""),
             ("mj-bad", "a dog", now * 1000 - 1, "", "FAILURE", "100%", "banned prompt")])
        db.executemany(
            "INSERT INTO tasks (created_at, updated_at, task_id, platform, user_id, \"group\", channel_id, quota, "
            "action, status, fail_reason, submit_time, start_time, finish_time, progress, properties, "
            "private_data, data) VALUES (?, ?, ?, ?, 1, 'default', 3, 10, ?, ?, ?, ?, 0, 0, ?, NULL, ?, NULL)",
            [(now, now, "task_song", "suno", "MUSIC", "SUCCESS", "", now, "100%",
              '{"result_url": "https://cdn.example/song.mp3"}'),
             (now, now, "task_video", "55", "generate", "IN_PROGRESS", "", now - 1, "50%", None)])


def _rows(page: Page, table_id: str, count: int) -> list[str]:
    found: list[str] = []

    def check(d) -> bool:
        found[:] = [r.text for r in d.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")]
        return len(found) == count

    WebDriverWait(page.d, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        check, f"#{table_id} never had {count} rows")
    return found


def test_drawing_and_task_logs(server: ConsoleServer, page: Page) -> None:
    _seed(server)
    page.open("/login")
    page.wait_path("/login")
    page.fill("username", ROOT_NAME)
    page.fill("password", ROOT_PASSWORD)
    page.click("submit")
    page.wait_path("/")
    page.click("nav-midjourney")
    page.wait_path("/midjourney")
    bad, ok = _rows(page, "mj-table", 2)  # newest first
    assert "mj-ok" in ok and "Success" in ok and "100%" in ok and "$0.10" in ok
    assert "mj-bad" in bad and "Failure" in bad and "banned prompt" in bad
    assert page.d.find_elements(By.CSS_SELECTOR, "#mj-table img[alt=preview]")
    page.shot("tasks-midjourney")

    page.click("nav-task")
    page.wait_path("/task")
    video, song = _rows(page, "task-table", 2)
    assert "task_song" in song and "Success" in song and "Suno" in song and "Music" in song
    assert "task_video" in video and "In progress" in video and "50%" in video and "Sora" in video
    links = page.d.find_elements(By.CSS_SELECTOR, "#task-table a")
    assert [a.get_attribute("href") for a in links] == ["https://cdn.example/song.mp3"]
    page.fill("task-task-id", "task_video")
    page.click("task-query")
    assert "task_video" in _rows(page, "task-table", 1)[0]
    page.shot("tasks-task")
