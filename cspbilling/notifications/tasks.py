"""The delivery task. The outbox row is the truth; the task only says "look at message N now"."""

from __future__ import annotations

from django.tasks import TaskContext, task


@task(takes_context=True)
def deliver_message(context: TaskContext, message_id: int) -> str:
    from cspbilling.notifications.services import do_deliver_message

    worker_ids = context.task_result.worker_ids
    worker_id = worker_ids[-1] if worker_ids else "inline"
    return do_deliver_message(message_id=message_id, worker_id=worker_id)
