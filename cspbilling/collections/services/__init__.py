"""Collections' write path: dispute holds, policies and acknowledgements, the daily run,
suspensions with proof of notice and approvals, reinstatement, and staff's decisions."""

from cspbilling.collections.services.holds import (
    HoldError,
    do_place_dispute_hold,
    do_release_dispute_hold,
    place_dispute_hold,
    release_dispute_hold,
)
from cspbilling.collections.services.policies import (
    PublishedVersionError,
    acknowledge_policy,
    do_acknowledge_policy,
    do_draft_policy_version,
    do_publish_policy_version,
    do_update_draft_version,
    draft_policy_version,
    publish_policy_version,
    update_draft_version,
)
from cspbilling.collections.services.reinstatement import (
    do_reinstate_if_cleared,
    reinstate_if_cleared,
)
from cspbilling.collections.services.run import RunResult, collections_run, do_collections_run
from cspbilling.collections.services.staff import (
    CollectionsError,
    close_task,
    do_close_task,
    do_grant_exemption,
    do_record_promise,
    do_set_pause,
    grant_exemption,
    record_promise,
    set_pause,
)
from cspbilling.collections.services.suspending import (
    ApprovalError,
    decide_approval,
    do_decide_approval,
)

__all__ = [
    "ApprovalError",
    "CollectionsError",
    "HoldError",
    "PublishedVersionError",
    "RunResult",
    "acknowledge_policy",
    "close_task",
    "collections_run",
    "decide_approval",
    "do_acknowledge_policy",
    "do_close_task",
    "do_collections_run",
    "do_decide_approval",
    "do_draft_policy_version",
    "do_grant_exemption",
    "do_place_dispute_hold",
    "do_publish_policy_version",
    "do_record_promise",
    "do_reinstate_if_cleared",
    "do_release_dispute_hold",
    "do_set_pause",
    "do_update_draft_version",
    "draft_policy_version",
    "grant_exemption",
    "place_dispute_hold",
    "publish_policy_version",
    "record_promise",
    "reinstate_if_cleared",
    "release_dispute_hold",
    "set_pause",
    "update_draft_version",
]
