"""Every write: one function per step, checked, in one transaction, with its event row.

items.py: drafting, co-signing, submission, withdrawal, review.
handling.py: assignment, acceptance, return and extension requests, co-handling opinions,
contact records.
"""

from .handling import (
    assignment_accept,
    co_opinion_decide,
    co_opinion_save,
    contact_record_create,
    contact_record_respond,
    extension_request_create,
    extension_request_leader_decide,
    extension_request_supervisor_decide,
    proposal_assign,
    return_request_create,
    return_request_leader_decide,
    return_request_supervisor_decide,
)
from .items import (
    MERGE_TARGETS,
    WITHDRAWABLE,
    attachment_remove,
    cosign_deadline,
    cosigner_cancel,
    cosigner_invite,
    cosigner_respond,
    proposal_convert,
    proposal_create,
    proposal_merge,
    proposal_register,
    proposal_reject,
    proposal_submit,
    proposal_update_draft,
    proposal_withdraw,
)

__all__ = [
    "MERGE_TARGETS",
    "WITHDRAWABLE",
    "assignment_accept",
    "attachment_remove",
    "co_opinion_decide",
    "co_opinion_save",
    "contact_record_create",
    "contact_record_respond",
    "cosign_deadline",
    "cosigner_cancel",
    "cosigner_invite",
    "cosigner_respond",
    "extension_request_create",
    "extension_request_leader_decide",
    "extension_request_supervisor_decide",
    "proposal_assign",
    "proposal_convert",
    "proposal_create",
    "proposal_merge",
    "proposal_register",
    "proposal_reject",
    "proposal_submit",
    "proposal_update_draft",
    "proposal_withdraw",
    "return_request_create",
    "return_request_leader_decide",
    "return_request_supervisor_decide",
]
