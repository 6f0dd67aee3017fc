"""The delivery task. The outbox row is the truth; the task only says "look at message N now"."""

from __future__ import annotations

from django.tasks import TaskContext, task


@task(takes_context=True)
def deliver_message(context: TaskContext, message_id: int) -> str:
    from cspbilling.notifications.services import do_deliver_message

    worker_ids = context.task_result.worker_ids
    worker_id = worker_ids[-1] if worker_ids else "inline"
    return do_deliver_message(message_id=message_id, worker_id=worker_id)


@task(takes_context=True)
def deliver_messages(context: TaskContext, message_ids: list[int]) -> str:
    """One attempt at each message of a batch queued at once; each failure schedules its own
    retry (the outbox row is the truth, as for a single message)."""
    from cspbilling.notifications.services import do_deliver_message

    worker_ids = context.task_result.worker_ids
    worker_id = worker_ids[-1] if worker_ids else "inline"
    outcomes: dict[str, int] = {}
    for message_id in message_ids:
        outcome = do_deliver_message(message_id=message_id, worker_id=worker_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
