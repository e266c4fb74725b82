"""kfn's catalog of KAZOO callflow modules and the JSON Schemas of their `data`.

Written from the facts of KAZOO's `callflows.<module>` schemas (docs/kazoo-compatibility.md §7): types, enums,
limits, required keys and defaults. A test checks that this catalog agrees with KAZOO's schema
files on generated valid and invalid data for every module; the runtime never reads them.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

TERMINATORS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"]
DTMF_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "#", "*"]


def s(**extra: Any) -> Schema:
    return {"type": "string", **extra}


def i(**extra: Any) -> Schema:
    return {"type": "integer", **extra}


def b(**extra: Any) -> Schema:
    return {"type": "boolean", **extra}


def obj(properties: dict[str, Schema] | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "object", **extra}
    if properties:
        schema["properties"] = properties
    return schema


def arr(items: Schema | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "array", **extra}
    if items:
        schema["items"] = items
    return schema


def enum(*values: str, **extra: Any) -> Schema:
    return s(enum=list(values), **extra)


def bool_or_string(**extra: Any) -> Schema:
    return {"oneOf": [b(), s()], **extra}


def strings(*names: str) -> dict[str, Schema]:
    return {name: s() for name in names}


def terminators() -> Schema:
    return arr(s(), default=list(TERMINATORS))


EMAILS = {"oneOf": [s(format="email"), arr(s(format="email"))]}
RECIPIENT = obj({"id": EMAILS, "type": enum("user", "email")}, required=["id", "type"])
ENDPOINT = obj(
    {
        "delay": i(default=0),
        "endpoint_type": enum("device", "user", "group"),
        "id": s(minLength=1, maxLength=128),
        "timeout": i(default=20),
        "weight": i(minimum=1, maximum=100),
    },
    required=["endpoint_type", "id"],
)
APPROVALS = strings("approved_device_id", "approved_group_id", "approved_user_id")
FAX_OPTION = obj({"fax_option": {"oneOf": [b(), enum("auto", "true", "false")]}})
OFFNET: dict[str, Schema] = {
    "bypass_e164": b(),
    "caller_id_type": s(default="external"),
    "custom_sip_headers": obj(),
    "do_not_normalize": b(),
    "dynamic_flags": arr(s()),
    "emit_account_id": b(),
    "format_from_uri": b(),
    "from_uri_realm": s(),
    "hunt_account_id": s(),
    "ignore_early_media": b(default=False),
    "outbound_flags": arr(s(), default=[]),
    "resource_type": s(),
    "ringback": s(),
    "timeout": i(),
    "to_did": s(),
    "use_local_resources": b(default=True),
}
CONFERENCE: dict[str, Schema] = {
    "config": obj(),
    "id": s(minLength=32, maxLength=32),
    "moderator": b(),
    "play_entry_tone": bool_or_string(),
    "play_exit_tone": bool_or_string(),
    "welcome_prompt": obj({"media_id": s(), "play": b(default=True)}),
}
ENDPOINT_OPTIONS: dict[str, Schema] = {
    "can_call_self": b(),
    "can_text_self": b(),
    "delay": i(default=0),
    "static_invite": s(),
    "suppress_clid": b(),
}
RECORDING: dict[str, Schema] = {
    "format": enum("mp3", "wav"),
    "method": enum("put", "post", default="put"),
    "time_limit": i(default=3600, minimum=5, maximum=10800),
    "url": s(format="uri"),
}
TTS: dict[str, Schema] = {
    "endless_playback": b(),
    "engine": enum("flite", "google", "ispeech", "voicefabric"),
    "language": s(),
    "terminators": terminators(),
    "text": s(minLength=1, maxLength=1000),
    "voice": s(default="female"),
}
PLAY: dict[str, Schema] = {
    "answer": b(),
    "endless_playback": b(default=False),
    "id": s(),
    "loop_count": i(minimum=1),
    "terminators": terminators(),
}
SAY_TYPES = (
    "number", "items", "persons", "messages", "currency", "time_measurement", "current_date",
    "current_time", "current_date_time", "telephone_number", "telephone_extension", "url",
    "ip_address", "e-mail_address", "postal_address", "account_number", "name_spelled",
    "name_phonetic", "short_date_time",
)  # fmt: skip
PROMPT: dict[str, Schema] = {"id": s(), "language": s(), "terminators": terminators()}
SAY: dict[str, Schema] = {
    "gender": enum("masculine", "feminine", "neuter"),
    "language": s(),
    "method": enum("none", "pronounced", "iterated", "counted"),
    "terminators": terminators(),
    "text": s(),
    "type": enum(*SAY_TYPES),
}
TONE: dict[str, Schema] = {
    "duration_off": i(),
    "duration_on": i(),
    "frequencies": arr(i()),
    "repeat": i(),
    "volume": i(minimum=0, maximum=100),
}


def _macro(kind: str, properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    schema = obj({**properties, "macro": enum(kind)})
    if required:
        schema["required"] = required
    return schema


MACRO_ITEM = obj(
    {"macro": enum("play", "prompt", "say", "tts", "tone")},
    required=["macro"],
    oneOf=[
        _macro("play", PLAY),
        _macro("tone", TONE),
        _macro("prompt", PROMPT),
        _macro("say", SAY),
        _macro("tts", TTS, ["text"]),
    ],
)

# module name -> (data properties, required keys, accepts skip_module)
_CATALOG: dict[str, tuple[dict[str, Schema], list[str], bool]] = {
    "acdc_agent": (
        {
            "action": enum("login", "logout", "paused", "resume"),
            "presence_id": s(),
            "presence_state": enum(
                "early", "confirmed", "terminated", "red_flash", "red_solid", "green"
            ),
            "timeout": i(),
        },
        [],
        True,
    ),
    "acdc_member": ({"id": s(), "priority": i()}, [], True),
    "acdc_queue": ({"action": enum("login", "logout"), "id": s()}, [], True),
    "acdc_wait_time": ({"id": s(), "window": i()}, [], True),
    "after_bridge": (
        {"action": enum("park", "transfer", "hangup"), "data": bool_or_string()},
        [],
        True,
    ),
    "answer": ({}, [], True),
    "audio_macro": (
        {
            "language": s(),
            "macros": arr(MACRO_ITEM, default=[], minItems=1),
            "terminators": terminators(),
        },
        [],
        True,
    ),
    "audio_macro.prompt": (PROMPT, [], False),
    "audio_macro.say": (SAY, [], False),
    "audio_macro.tone": (TONE, [], False),
    "branch_bnumber": ({"hunt": b(default=False), "hunt_allow": s(), "hunt_deny": s()}, [], True),
    "branch_variable": (
        {
            "scope": enum(
                "account",
                "custom_channel_vars",
                "device",
                "merged",
                "user",
                default="custom_channel_vars",
            ),
            "variable": s(default=""),
        },
        ["variable"],
        True,
    ),
    "call_forward": (
        {"action": enum("activate", "deactivate", "update", "toggle", "menu")},
        [],
        True,
    ),
    "call_waiting": (
        {
            "action": enum("activate", "deactivate", "toggle", default="toggle"),
            "scope": enum("device", "user", default="device"),
        },
        [],
        True,
    ),
    "callflow": ({"id": s()}, [], True),
    "camping_feature": ({}, [], True),
    "check_cid": (
        {
            "caller_id": obj({"external": obj(strings("name", "number"))}),
            "regex": s(default=".*"),
            "use_absolute_mode": b(default=False),
            "user_id": s(),
        },
        [],
        True,
    ),
    "cidlistmatch": ({"id": s()}, [], True),
    "collect_dtmf": (
        {
            "collection_name": s(),
            "interdigit_timeout": i(minimum=1),
            "max_digits": i(default=1, minimum=1),
            "terminator": enum(*DTMF_KEYS, default="#"),
            "terminators": arr(enum(*DTMF_KEYS), uniqueItems=True),
            "timeout": i(default=5000, minimum=1),
        },
        [],
        True,
    ),
    "conference": (CONFERENCE, [], True),
    "conference_feature": (CONFERENCE, [], True),
    "dead_air": ({}, [], True),
    "device": (
        {
            **ENDPOINT_OPTIONS,
            "custom_sip_headers": obj(),
            "dial_strategy": enum("simultaneous", "single", default="simultaneous"),
            "id": s(),
            "timeout": i(default=0),
        },
        [],
        True,
    ),
    "directory": ({"id": s()}, [], True),
    "disa": (
        {
            "enforce_call_restriction": b(default=False),
            "interdigit": i(),
            "max_digits": i(default=15),
            "pin": s(default=""),
            "preconnect_audio": enum("dialtone", "ringing", default="dialtone"),
            "retries": i(default=3),
            "ring_repeat_count": i(default=1),
            "use_account_caller_id": b(),
        },
        [],
        True,
    ),
    "do_not_disturb": ({"action": enum("activate", "deactivate", "toggle"), "id": s()}, [], True),
    "dynamic_cid": (
        {
            "action": enum("list", "lists", "manual", "static"),
            "caller_id": obj(strings("name", "number")),
            "enforce_call_restriction": b(default=True),
            "id": s(),
            "idx_name": s(),
            "interdigit_timeout": i(),
            "max_digits": i(),
            "media_id": s(),
            "min_digits": i(),
            "permit_custom_callflow": b(default=False),
            "whitelist_regex": s(),
        },
        [],
        True,
    ),
    "eavesdrop": ({**APPROVALS, **strings("device_id", "user_id")}, [], True),
    "eavesdrop_feature": ({**APPROVALS, "group_id": s()}, [], True),
    "edr": ({}, [], True),
    "fax_detect": ({"duration": i()}, [], True),
    "faxbox": ({"faxbox_id": s(), "id": s(), "media": FAX_OPTION}, [], True),
    "flush_dtmf": ({"collection_name": s(default="default")}, [], True),
    "function": ({"id": s()}, [], True),
    "group": (
        {
            "endpoints": arr(s(), default=[]),
            "fail_on_single_reject": b(),
            "id": s(),
            "ignore_forward": b(default=True),
            "repeats": i(default=1),
            "ringback": s(),
            "ringtones": obj(strings("external", "internal")),
            "strategy": enum("single", "simultaneous", default="simultaneous"),
            "timeout": i(default=20),
        },
        [],
        True,
    ),
    "group_pickup": ({**APPROVALS, **strings("device_id", "group_id", "user_id")}, [], True),
    "group_pickup_feature": (
        {
            **APPROVALS,
            **strings("device_id", "group_id", "user_id"),
            "type": enum("group", "user", "device", "extension", default="extension"),
        },
        ["type"],
        True,
    ),
    "hangup": ({}, [], True),
    "hotdesk": (
        {
            "action": enum("logout", "login", "toggle", "bridge"),
            "id": s(),
            "interdigit_timeout": i(),
        },
        [],
        True,
    ),
    "intercept": ({**APPROVALS, **strings("device_id", "group_id", "user_id")}, [], True),
    "intercept_feature": ({**APPROVALS, "type": enum("user", "device", "extension")}, [], True),
    "intercom": ({"barge_calls": b()}, [], True),
    "language": ({"language": s(pattern="^[A-Za-z]{2}(-[A-Za-z]{2})?$")}, ["language"], True),
    "lookupcidname": ({"lists": arr(s(), default=[])}, ["lists"], True),
    "manual_presence": (
        {"presence_id": s(), "status": enum("idle", "ringing", "busy", default="idle")},
        ["presence_id"],
        True,
    ),
    "menu": ({"id": s(), "interdigit_timeout": i()}, [], True),
    "missed_call_alert": ({"recipients": arr(RECIPIENT)}, ["recipients"], True),
    "move": ({}, [], True),
    "nomorobo": (
        {"password": s(minLength=1, maxLength=1000), "username": s(minLength=1, maxLength=1000)},
        ["username"],
        True,
    ),
    "noop": ({}, [], True),
    "notification": (
        {
            "comments": s(),
            "notification_media": arr(enum("email", "sms")),
            "recipients": arr(RECIPIENT, default=[]),
            "send_at": enum("callflow_exec", "channel_destroy", default="channel_destroy"),
            "template_id": s(),
        },
        ["recipients"],
        False,
    ),
    "offnet": (OFFNET, [], True),
    "page_group": (
        {
            "audio": enum("one-way", "two-way", default="one-way"),
            "barge_calls": b(),
            "endpoints": arr(ENDPOINT, minItems=1),
            "timeout": i(default=5),
        },
        ["audio", "endpoints"],
        True,
    ),
    "park": (
        {
            "action": enum("direct_park", "park", "retrieve", "auto", default="park"),
            "custom_presence_id": b(default=False),
            "default_callback_timeout": i(),
            "default_presence_type": enum("early", "terminated", "confirmed"),
            "default_ringback_timeout": i(),
            "max_slot_number": i(),
            "presence_id": s(),
            "slot": s(),
            "slots": obj(default={}),
        },
        [],
        True,
    ),
    "pivot": (
        {
            "cdr_url": s(pattern="^https?://"),
            "debug": b(default=False),
            "method": enum("get", "post", "GET", "POST", default="get"),
            "req_body_format": enum("form", "json", default="form"),
            "req_format": enum("kazoo", "twiml", default="kazoo"),
            "req_timeout_ms": i(maximum=5000),
            "voice_url": s(pattern="^https?://"),
        },
        ["voice_url"],
        True,
    ),
    "play": (PLAY, [], True),
    "prepend_cid": (
        {
            "action": enum("reset", "prepend", default="prepend"),
            "apply_to": enum("original", "current", default="current"),
            "caller_id_name_prefix": s(default=""),
            "caller_id_number_prefix": s(default=""),
        },
        [],
        True,
    ),
    "privacy": (
        {
            "endpoint_strategy": enum("overwrite", "merge", default="overwrite"),
            "mode": enum("full", "name", "number", "yes", default="full"),
        },
        [],
        True,
    ),
    "receive_fax": ({"media": FAX_OPTION, "owner_id": s()}, [], True),
    "record_call": (
        {
            **RECORDING,
            "action": enum("start", "stop", default="start"),
            "label": s(),
            "media_name": s(),
            "origin": s(),
            "record_min_sec": i(),
            "record_on_answer": b(default=False),
            "record_on_bridge": b(default=False),
            "record_sample_rate": i(),
            "should_follow_transfer": b(default=True),
        },
        ["action"],
        True,
    ),
    "record_caller": (RECORDING, [], True),
    "resources": (OFFNET, [], True),
    "response": (
        {"code": i(default=486), "media": s(maxLength=2048), "message": s()},
        ["code"],
        True,
    ),
    "ring_group": (
        {
            "endpoints": arr(ENDPOINT, minItems=1),
            "fail_on_single_reject": b(),
            "ignore_forward": b(default=True),
            "repeats": i(default=1, minimum=1),
            "ringback": s(),
            "ringtones": obj(strings("external", "internal")),
            "strategy": enum("simultaneous", "single", "weighted_random", default="simultaneous"),
            "timeout": i(default=20),
        },
        ["endpoints"],
        True,
    ),
    "ring_group_toggle": (
        {"action": enum("login", "logout"), "callflow_id": s()},
        ["action", "callflow_id"],
        True,
    ),
    "route_to_cid": (
        {
            **ENDPOINT_OPTIONS,
            "cid_types": arr(s(), default=["internal"], minItems=1),
            "endpoint_types": arr(s(), default=[]),
            "timeout": i(default=0),
        },
        [],
        True,
    ),
    "send_dtmf": (
        {"digits": s(), "duration_ms": {"oneOf": [i(), s()], "default": "2000"}},
        ["digits"],
        True,
    ),
    "set": ({}, [], True),
    "set_alert_info": ({"alert_info": s()}, ["alert_info"], True),
    "set_cid": ({"caller_id_name": s(default=""), "caller_id_number": s(default="")}, [], True),
    "set_variable": (
        {"channel": enum("a", "both", default="a"), "value": s(), "variable": s()},
        [],
        True,
    ),
    "set_variables": (
        {"custom_application_vars": obj(default={}), "export": b()},
        ["custom_application_vars"],
        True,
    ),
    "skel": ({}, [], True),
    "sleep": (
        {
            "duration": i(default=0, minimum=0, maximum=86_400_000),
            "unit": enum("ms", "s", "m", "h", default="s"),
        },
        [],
        True,
    ),
    "temporal_route": (
        {
            "action": enum("menu", "enable", "disable", "reset"),
            "interdigit_timeout": i(),
            "rule_set": s(),
            "rules": arr(s(), default=[]),
            "timezone": s(),
        },
        [],
        True,
    ),
    "transfer": (
        {
            "captures": arr(s(), default=["no_match"]),
            "leg": enum("self", "bleg"),
            "target": s(),
            "transfer_type": enum("attended", "blind", default="blind"),
        },
        [],
        True,
    ),
    "tts": (TTS, ["text"], True),
    "user": (
        {
            **ENDPOINT_OPTIONS,
            "custom_sip_headers": obj(),
            "fail_on_single_reject": b(),
            "id": s(),
            "strategy": enum("simultaneous", "single", default="simultaneous"),
            "timeout": i(default=20),
        },
        [],
        True,
    ),
    "voicemail": (
        {
            "action": enum("check", "compose", default="compose"),
            "callerid_match_login": b(default=False),
            "id": s(minLength=32, maxLength=32),
            "interdigit_timeout": i(default=2000),
            "max_message_length": i(default=500),
            "single_mailbox_login": b(default=False),
        },
        [],
        True,
    ),
    "wait_for_hangup": ({}, [], True),
    "webhook": (
        {"custom_data": obj(), "http_verb": enum("post", "get"), "retries": i(), "uri": s()},
        [],
        True,
    ),
}

# Fields KAZOO checks beyond the schema ("kazoo-validation"): http(s) URLs to allowed hosts.
URL_FIELDS: dict[str, tuple[str, ...]] = {
    "pivot": ("voice_url",),
    "webhook": ("uri",),
    "record_call": ("url",),
    "record_caller": ("url",),
}


def module_names() -> list[str]:
    return sorted(_CATALOG)


def data_schema(module: str) -> Schema | None:
    """The JSON Schema of `data` for a module, or None if KAZOO has no such module."""
    entry = _CATALOG.get(module)
    if entry is None:
        return None
    properties, required, skippable = entry
    schema = obj({**properties, **({"skip_module": b()} if skippable else {})})
    if required:
        schema["required"] = list(required)
    return schema
