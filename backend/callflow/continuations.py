"""What each KAZOO callflow module does next, as data: one row per catalogued module.

A row says how the module continues (its `Kind`, which the executor in `execute.py` turns into
cf_exe's primitives) and which child keys it can ever take, with the KAZOO file it comes from
(`applications/callflow/src/module/<file>` unless the path says otherwise). The kinds:

- NEXT: always `continue()` to `_` (`stop` when there is no `_`).
- STOP: `stop`: the call's flow is over, but a flow kept on the branch stack resumes.
- HARD_STOP: ends the executor; the branch stack is ignored (`hangup`).
- HANDED_OFF: `control_usurped` or `transfer`: another application has the call.
- BRIDGE: `user`, `device`, `group`: answered → `stop`; a failure takes the child named by the
  hangup cause, else by the hangup code, else `_` (cf_util:handle_bridge_failure/3).
- RING_GROUP: as BRIDGE, but a failure with no such child rings again, up to `repeats`.
- PAGE_GROUP: answered → `stop`, else `_`.
- RESOURCES: `resources`, `offnet`: answered → `stop`; a failure takes the cause or code child,
  else the call ends with that cause: never `_`.
- The rest have a kind of their own: the executor has one decision function for each.

`keys` are the child keys a module can take; `open_keys` names the kind of key that is not a
fixed word (a hangup cause, a digit string, a rule id, ...). A child whose key the module can
never take is a dead branch (see `dead_branches`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    NEXT = "next"
    STOP = "stop"
    HARD_STOP = "hard_stop"
    HANDED_OFF = "handed_off"
    BRIDGE = "bridge"
    RING_GROUP = "ring_group"
    PAGE_GROUP = "page_group"
    RESOURCES = "resources"
    QUEUE = "queue"
    FUNCTION = "function"
    CALLFLOW = "callflow"
    MENU = "menu"
    TEMPORAL_ROUTE = "temporal_route"
    CHECK_CID = "check_cid"
    CIDLISTMATCH = "cidlistmatch"
    BRANCH_BNUMBER = "branch_bnumber"
    BRANCH_VARIABLE = "branch_variable"
    FAX_DETECT = "fax_detect"
    PARK = "park"
    NOMOROBO = "nomorobo"
    VOICEMAIL = "voicemail"
    PIVOT = "pivot"
    COLLECT_DTMF = "collect_dtmf"
    SET_VARIABLES = "set_variables"


class OpenKeys(StrEnum):
    """Child keys that are not fixed words."""

    HANGUP = "a hangup cause or code (NO_ANSWER, sip:486, ...)"
    DIGITS = "digits the caller presses"
    RULE = "a temporal rule id"
    CALLER_ID = "a caller id number"
    CAPTURE = "the digits a callflow pattern captured"
    VALUE = "the variable's value"
    SLOT = "a parking slot number"
    SCORE = "a nomorobo score"


@dataclass(frozen=True)
class Row:
    kind: Kind
    keys: tuple[str, ...] = ()
    open_keys: OpenKeys | None = None
    source: str = ""


_NEXT = ("_",)

# Modules that only act on the call (or on kfn's simulated variables) and continue to `_`.
_ALWAYS_NEXT = {
    "after_bridge": "cf_after_bridge.erl:handle",
    "answer": "cf_answer.erl:handle:26",
    "audio_macro": "cf_audio_macro.erl:handle_macros:34-44",
    "audio_macro.prompt": "cf_audio_macro.erl (a macro item, run by audio_macro)",
    "audio_macro.say": "cf_audio_macro.erl (a macro item, run by audio_macro)",
    "audio_macro.tone": "cf_audio_macro.erl (a macro item, run by audio_macro)",
    "call_forward": "cf_call_forward.erl:handle (feature code, then continue)",
    "call_waiting": "cf_call_waiting.erl:handle (feature code, then continue)",
    "do_not_disturb": "cf_do_not_disturb.erl:handle (feature code, then continue)",
    "dynamic_cid": "cf_dynamic_cid.erl:handle",
    "edr": "cf_edr.erl:handle",
    "flush_dtmf": "cf_flush_dtmf.erl:handle:33",
    "hotdesk": "cf_hotdesk.erl:handle",
    "language": "cf_language.erl:handle:41",
    "lookupcidname": "cf_lookupcidname.erl:handle:46,49",
    "manual_presence": "cf_manual_presence.erl:handle",
    "missed_call_alert": "cf_missed_call_alert.erl:handle:44",
    "noop": "cf_noop.erl:handle:29",
    "notification": "cf_notification.erl:handle:54",
    "play": "cf_play.erl:handle:40",
    "prepend_cid": "cf_prepend_cid.erl:handle:34,58",
    "privacy": "cf_privacy.erl:handle",
    "record_call": "cf_record_call.erl:handle:31",
    "record_caller": "cf_record_caller.erl:handle",
    "ring_group_toggle": "cf_ring_group_toggle.erl:handle",
    "route_to_cid": "cf_route_to_cid.erl:handle",
    "send_dtmf": "cf_send_dtmf.erl:handle",
    "set": "cf_set.erl:handle",
    "set_alert_info": "cf_set_alert_info.erl:handle",
    "set_cid": "cf_set_cid.erl:handle",
    "skel": "cf_skel.erl:handle (the template module)",
    "sleep": "cf_sleep.erl:handle:42",
    "tts": "cf_tts.erl:send_command:72",
    "webhook": "cf_webhook.erl:handle:28",
    "acdc_agent": "applications/acdc/src/cf_acdc_agent.erl:handle (agent feature code)",
    "acdc_queue": "applications/acdc/src/cf_acdc_queue.erl:handle (queue login feature code)",
    # These branch on a number the caller dials or picks; without it, they continue.
    "directory": "cf_directory.erl:handle (a picked user is branched into)",
    "disa": "cf_disa.erl:handle (a dialled number is branched into)",
    "intercom": "cf_intercom.erl:handle:29-39 (a looked-up number is branched into)",
}

_STOPS = {
    "dead_air": "cf_dead_air.erl:handle:28",
    "wait_for_hangup": "cf_wait_for_hangup.erl:handle:26",
    "move": "cf_move.erl:handle",
    "intercept": "cf_intercept.erl:handle",
    "intercept_feature": "cf_intercept_feature.erl:handle",
    "eavesdrop": "cf_eavesdrop.erl:handle",
    "eavesdrop_feature": "cf_eavesdrop_feature.erl:handle",
    "group_pickup": "cf_group_pickup.erl:handle",
    "group_pickup_feature": "cf_group_pickup_feature.erl:handle",
    "response": "cf_response.erl:handle:35 (then stop: a stacked flow resumes)",
    "camping_feature": "cf_camping_feature.erl:161,165 (stop, or a branch to the target)",
}

MODULES: dict[str, Row] = {
    **{name: Row(Kind.NEXT, _NEXT, source=src) for name, src in _ALWAYS_NEXT.items()},
    **{name: Row(Kind.STOP, source=src) for name, src in _STOPS.items()},
    "hangup": Row(Kind.HARD_STOP, source="cf_hangup.erl:handle:22"),
    "conference": Row(Kind.HANDED_OFF, source="cf_conference.erl:handle:41 (control_usurped)"),
    "conference_feature": Row(
        Kind.HANDED_OFF, source="cf_conference_feature.erl:handle:13 (runs cf_conference)"
    ),
    "acdc_wait_time": Row(
        Kind.NEXT,
        _NEXT,
        OpenKeys.SCORE,
        "applications/acdc/src/cf_acdc_wait_time.erl:54-81 (a threshold key from the queue)",
    ),
    "faxbox": Row(Kind.HANDED_OFF, source="cf_faxbox.erl:handle:43 (control_usurped)"),
    "receive_fax": Row(Kind.HANDED_OFF, source="cf_receive_fax.erl:handle:40 (control_usurped)"),
    "transfer": Row(Kind.HANDED_OFF, source="cf_transfer.erl:handle (no cf_exe call at all)"),
    "user": Row(Kind.BRIDGE, _NEXT, OpenKeys.HANGUP, "cf_user.erl:bridge:66,70"),
    "device": Row(Kind.BRIDGE, _NEXT, OpenKeys.HANGUP, "cf_device.erl:handle:31,35,40"),
    "group": Row(Kind.BRIDGE, _NEXT, OpenKeys.HANGUP, "cf_group.erl:attempt_endpoints:67-77"),
    "ring_group": Row(Kind.RING_GROUP, _NEXT, OpenKeys.HANGUP, "cf_ring_group.erl:repeat:80,93,97"),
    "page_group": Row(Kind.PAGE_GROUP, _NEXT, source="cf_page_group.erl:attempt_page:43,46"),
    "resources": Row(Kind.RESOURCES, (), OpenKeys.HANGUP, "cf_resources.erl:handle:86-95, :106"),
    "offnet": Row(Kind.RESOURCES, (), OpenKeys.HANGUP, "cf_offnet.erl:handle:75"),
    "acdc_member": Row(
        Kind.QUEUE, _NEXT, source="applications/acdc/src/cf_acdc_member.erl:87,127,135-171"
    ),
    "function": Row(Kind.FUNCTION, _NEXT, source="cf_function.erl:handle:55, maybe_branch:82,85"),
    "callflow": Row(Kind.CALLFLOW, _NEXT, source="cf_callflow.erl:handle:37,41"),
    "menu": Row(
        Kind.MENU, ("timeout", "max_retries", "_"), OpenKeys.DIGITS, "cf_menu.erl:menu_loop:78-100"
    ),
    "temporal_route": Row(
        Kind.TEMPORAL_ROUTE, _NEXT, OpenKeys.RULE, "cf_temporal_route.erl:handle:51-70"
    ),
    "check_cid": Row(
        Kind.CHECK_CID,
        ("match", "nomatch", "_"),
        OpenKeys.CALLER_ID,
        "cf_check_cid.erl:handle, maybe_branch_on_regex:109, handle_no_match:120",
    ),
    "cidlistmatch": Row(
        Kind.CIDLISTMATCH, ("match", "nomatch", "_"), source="cf_cidlistmatch.erl:104,115"
    ),
    "branch_bnumber": Row(
        Kind.BRANCH_BNUMBER, _NEXT, OpenKeys.CAPTURE, "cf_branch_bnumber.erl:handle:27-36"
    ),
    "branch_variable": Row(
        Kind.BRANCH_VARIABLE,
        _NEXT,
        OpenKeys.VALUE,
        "cf_branch_variable.erl:maybe_branch_to_named_child:53,56",
    ),
    "fax_detect": Row(
        Kind.FAX_DETECT, ("ON_FAX", "ON_VOICE", "_"), source="cf_fax_detect.erl:handle:36,39"
    ),
    "park": Row(
        Kind.PARK,
        ("MAX_SLOT_EXCEEDED", "_"),
        OpenKeys.SLOT,
        "cf_park.erl:unanswered_action:740-745, direct_park:132,135",
    ),
    "nomorobo": Row(
        Kind.NOMOROBO, ("0", "_"), OpenKeys.SCORE, "cf_nomorobo.erl:continue_to_score:140,161"
    ),
    "voicemail": Row(Kind.VOICEMAIL, _NEXT, source="cf_voicemail.erl:handle:220-235"),
    "pivot": Row(Kind.PIVOT, _NEXT, source="cf_pivot.erl:wait_for_pivot:60-72"),
    "collect_dtmf": Row(Kind.COLLECT_DTMF, _NEXT, source="cf_collect_dtmf.erl:handle:68"),
    "set_variable": Row(Kind.SET_VARIABLES, _NEXT, source="cf_set_variable.erl:handle"),
    "set_variables": Row(Kind.SET_VARIABLES, _NEXT, source="cf_set_variables.erl:handle:39"),
}


def row(module: str) -> Row | None:
    return MODULES.get(module)


def can_take(module: str, key: str) -> bool:
    """Whether a `module` node could ever continue to its child `key`."""
    found = MODULES.get(module)
    if found is None:
        return key == "_"  # an unknown module continues to `_` (cf_exe:find_cf_module/1)
    if key in found.keys:
        return True
    if found.open_keys is OpenKeys.HANGUP:
        return key.isupper() or key.startswith("sip:")
    if found.open_keys in (OpenKeys.DIGITS, OpenKeys.SLOT, OpenKeys.SCORE):
        return key.isdigit() or (found.open_keys is OpenKeys.DIGITS and key in ("*", "#"))
    return found.open_keys is not None  # rule ids, caller ids, captures, values: any key


def dead_branches(module: str, children: dict[str, object]) -> list[str]:
    """The keys of `children` a `module` node can never take."""
    return [key for key in children if not can_take(module, key)]
