"""The in-process queue of SQLite writers: re-entrant for one task, exclusive across tasks."""

from __future__ import annotations

import asyncio

from botfolio.db.database import _TaskReentrantLock


def test_lock_when_same_task_enters_twice_does_not_wait_on_itself() -> None:
    async def nested() -> str:
        lock = _TaskReentrantLock()
        async with asyncio.timeout(1), lock, lock:
            return "entered twice"

    assert asyncio.run(nested()) == "entered twice"


def test_lock_when_two_tasks_want_it_second_waits_until_first_leaves() -> None:
    async def two_tasks() -> list[str]:
        lock, events = _TaskReentrantLock(), []
        inside = asyncio.Event()

        async def first() -> None:
            async with lock:
                events.append("first in")
                inside.set()
                await asyncio.sleep(0.01)
                events.append("first out")

        async def second() -> None:
            await inside.wait()
            async with lock:
                events.append("second in")

        await asyncio.gather(first(), second())
        return events

    assert asyncio.run(two_tasks()) == ["first in", "first out", "second in"]


def test_lock_when_reused_under_a_new_event_loop_still_works() -> None:
    lock = _TaskReentrantLock()

    async def use() -> bool:
        async with lock:
            return True

    assert asyncio.run(use()) and asyncio.run(use())
