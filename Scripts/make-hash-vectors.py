#!/usr/bin/env python3
"""Generate Fixtures/hash-vectors.json from an implementation of Docs/HASHING.md written independently of
the Swift one, so the Swift tests check two implementations against each other rather than one against itself.

Usage: python3 Scripts/make-hash-vectors.py > Fixtures/hash-vectors.json
"""
import hashlib
import json
import math
import unicodedata

HORIZONTAL = {0x09, 0x0B, 0x0C, 0x20, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000}
LINE_BREAKS = {0x0A, 0x0D, 0x85, 0x2028, 0x2029}
DEFAULTS = {"model_id": "eleven_multilingual_v2", "output_format": "mp3_44100_128",
            "stability": 0.5, "similarity_boost": 0.75, "style": 0.0, "use_speaker_boost": True, "speed": 1.0}


def canonical_text(text):
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n")
    out, newlines, in_run = [], 0, False
    for ch in text:
        cp = ord(ch)
        if cp in LINE_BREAKS:
            in_run, newlines = True, newlines + 1
        elif cp in HORIZONTAL:
            in_run = True
        else:
            if in_run and out:
                out.append(" " if newlines == 0 else "\n" if newlines == 1 else "\n\n")
            in_run, newlines = False, 0
            out.append(ch)
    return "".join(out)


def quantize(value):
    scaled = value * 10000
    return int(math.copysign(math.floor(abs(scaled) + 0.5), scaled)) + 0


def decimal4(e4):
    return "%d.%04d" % (e4 // 10000, e4 % 10000)


def encode(spec):
    text = canonical_text(spec["text"])
    assert text, "empty text"
    prev = canonical_text(spec["previous_text"]) if spec.get("previous_text") is not None else None
    nxt = canonical_text(spec["next_text"]) if spec.get("next_text") is not None else None
    lang = spec.get("language_code")
    fields = [
        ("text", text),
        ("voice_id", spec["voice_id"]),
        ("model_id", spec.get("model_id") or DEFAULTS["model_id"]),
        ("output_format", spec.get("output_format") or DEFAULTS["output_format"]),
        ("language_code", lang.lower() if lang is not None else None),
        ("seed", str(spec["seed"]) if spec.get("seed") is not None else None),
        ("stability", decimal4(quantize(spec.get("stability", DEFAULTS["stability"])))),
        ("similarity_boost", decimal4(quantize(spec.get("similarity_boost", DEFAULTS["similarity_boost"])))),
        ("style", decimal4(quantize(spec.get("style", DEFAULTS["style"])))),
        ("use_speaker_boost", "true" if spec.get("use_speaker_boost", True) else "false"),
        ("speed", decimal4(quantize(spec.get("speed", DEFAULTS["speed"])))),
        ("previous_text", prev or None),
        ("next_text", nxt or None),
    ]
    # VVCH2: the fields the ElevenLabs SDKs can send beyond these. At their defaults the encoding stays VVCH1,
    # so every hash made before they existed still names its audio.
    dictionaries = spec.get("pronunciation_dictionary_locators") or []
    extensions = [
        ("text_normalization", spec.get("apply_text_normalization") or "auto"),
        ("language_text_normalization", "true" if spec.get("apply_language_text_normalization") else "false"),
        ("use_pvc_as_ivc", "true" if spec.get("use_pvc_as_ivc") else "false"),
        ("pronunciation_dictionaries",
         ";".join(d["pronunciation_dictionary_id"] + "@" + d["version_id"] for d in dictionaries) or None),
        ("clone_strength", decimal4(quantize(spec["clone_strength"])) if spec.get("clone_strength") is not None else None),
        ("optimize_streaming_latency", str(spec.get("optimize_streaming_latency") or 0)),
    ]
    defaults = [("text_normalization", "auto"), ("language_text_normalization", "false"), ("use_pvc_as_ivc", "false"),
                ("pronunciation_dictionaries", None), ("clone_strength", None), ("optimize_streaming_latency", "0")]
    # VVCH3: a request stitched to stored generations, named by their content hashes (previous_request_ids /
    # next_request_ids resolved to the assets VoiceVault gave those ids for).
    previous_assets = spec.get("previous_assets") or []
    next_assets = spec.get("next_assets") or []
    if previous_assets or next_assets:
        magic = b"VVCH3"
        fields += extensions
        fields += [("previous_assets", ",".join(h.lower() for h in previous_assets) or None),
                   ("next_assets", ",".join(h.lower() for h in next_assets) or None)]
    elif extensions == defaults:
        magic = b"VVCH1"
    else:
        magic = b"VVCH2"
        fields += extensions
    return text, write_fields(magic, fields)


def write_fields(magic, fields):
    """The magic line, then each field as name=<utf-8 length>:<value> or name! when absent."""
    out = bytearray(magic + b"\n")
    for name, value in fields:
        if value is None:
            out += name.encode() + b"!\n"
        else:
            raw = value.encode("utf-8")
            out += name.encode() + b"=" + str(len(raw)).encode() + b":" + raw + b"\n"
    return bytes(out)


def encode_dialogue(spec):
    """VVCD1: a dialogue's fields, then its lines (Docs/HASHING.md)."""
    lines = [(canonical_text(line["text"]), line["voice_id"]) for line in spec["inputs"]]
    assert lines and all(text for text, _ in lines), "empty line"
    prev = canonical_text(spec["previous_text"]) if spec.get("previous_text") is not None else None
    nxt = canonical_text(spec["future_text"]) if spec.get("future_text") is not None else None
    lang = spec.get("language_code")
    settings = spec.get("settings") or {}
    dictionaries = spec.get("pronunciation_dictionary_locators") or []
    fields = [
        ("model_id", spec.get("model_id") or "eleven_v3"),
        ("output_format", spec.get("output_format") or DEFAULTS["output_format"]),
        ("language_code", lang.lower() if lang is not None else None),
        ("seed", str(spec["seed"]) if spec.get("seed") is not None else None),
        ("stability", decimal4(quantize(settings["stability"])) if settings.get("stability") is not None else None),
        ("similarity", decimal4(quantize(settings["similarity"])) if settings.get("similarity") is not None else None),
        ("clone_strength", decimal4(quantize(settings["clone_strength"])) if settings.get("clone_strength") is not None else None),
        ("text_normalization", spec.get("apply_text_normalization") or "auto"),
        ("use_pvc_as_ivc", "true" if spec.get("use_pvc_as_ivc") else "false"),
        ("pronunciation_dictionaries",
         ";".join(d["pronunciation_dictionary_id"] + "@" + d["version_id"] for d in dictionaries) or None),
        ("previous_text", prev or None),
        ("next_text", nxt or None),
        ("previous_assets", ",".join(spec.get("previous_assets") or []) or None),
        ("next_assets", ",".join(spec.get("next_assets") or []) or None),
        ("lines", str(len(lines))),
    ]
    for text, voice in lines:
        fields += [("voice_id", voice), ("text", text)]
    return "\n".join(text for text, _ in lines), write_fields(b"VVCD1", fields)


def js_number(x):
    return str(int(x)) if float(x).is_integer() else repr(float(x))


VOICE = "21m00Tcm4TlvDq8ikWAM"
# Content hashes of stored assets that stitched requests name (any 64 lower-case hex digits).
OTHER = "pNInz6obpgDQGcFmaJgB"
ASSET_A = hashlib.sha256(b"asset a").hexdigest()
ASSET_B = hashlib.sha256(b"asset b").hexdigest()
ASSET_C = hashlib.sha256(b"asset c").hexdigest()
LONG = ("The quick brown fox jumps over the lazy dog. " * 250)[:10000]
CASES = [
    ("basic", {"text": "Hello, world.", "voice_id": VOICE}),
    ("defaults-explicit", {"text": "Hello, world.", "voice_id": VOICE, "model_id": "eleven_multilingual_v2",
                           "output_format": "mp3_44100_128", "stability": 0.5, "similarity_boost": 0.75,
                           "style": 0.0, "use_speaker_boost": True, "speed": 1.0}),
    ("whitespace-trimmed-and-folded", {"text": "  Hello,\t \u00a0world.\n ", "voice_id": VOICE}),
    ("setting-below-quantum", {"text": "Hello, world.", "voice_id": VOICE, "stability": 0.50004}),
    ("blank-stitching-context", {"text": "Hello, world.", "voice_id": VOICE, "previous_text": " \n ",
                                 "next_text": ""}),
    ("nfc-input", {"text": "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e", "voice_id": VOICE}),
    ("nfd-input", {"text": "Cafe\u0301 cre\u0300me bru\u0302le\u0301e", "voice_id": VOICE}),
    ("emoji", {"text": "Read me a story \U0001F4DA\U0001F98A \U0001F468\u200D\U0001F469\u200D\U0001F467", "voice_id": VOICE}),
    ("rtl-arabic", {"text": "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645", "voice_id": VOICE, "language_code": "ar"}),
    ("rtl-hebrew-mixed", {"text": "\u05e9\u05dc\u05d5\u05dd world 123", "voice_id": VOICE}),
    ("cjk", {"text": "\u4eca\u65e5\u306f\u3001\u4e16\u754c\u3002", "voice_id": VOICE, "language_code": "ja"}),
    ("long-10000", {"text": LONG, "voice_id": VOICE}),
    ("paragraphs-crlf", {"text": "One.\r\n\r\n\r\nTwo.", "voice_id": VOICE}),
    ("paragraphs-lf", {"text": "One.\n\nTwo.", "voice_id": VOICE}),
    ("single-line-break", {"text": "One.\nTwo.", "voice_id": VOICE}),
    ("unicode-line-separators", {"text": "One.\u2028Two.\u2029\u2029Three.\u0085Four.", "voice_id": VOICE}),
    ("voice-varied", {"text": "Hello, world.", "voice_id": "pNInz6obpgDQGcFmaJgB"}),
    ("model-varied", {"text": "Hello, world.", "voice_id": VOICE, "model_id": "eleven_flash_v2_5"}),
    ("format-varied", {"text": "Hello, world.", "voice_id": VOICE, "output_format": "mp3_44100_192"}),
    ("language-varied", {"text": "Hello, world.", "voice_id": VOICE, "language_code": "en"}),
    ("language-uppercase", {"text": "Hello, world.", "voice_id": VOICE, "language_code": "EN"}),
    ("seed-varied", {"text": "Hello, world.", "voice_id": VOICE, "seed": 42}),
    ("seed-zero", {"text": "Hello, world.", "voice_id": VOICE, "seed": 0}),
    ("seed-max", {"text": "Hello, world.", "voice_id": VOICE, "seed": 4294967295}),
    ("stability-varied", {"text": "Hello, world.", "voice_id": VOICE, "stability": 0.3}),
    ("similarity-varied", {"text": "Hello, world.", "voice_id": VOICE, "similarity_boost": 0.9}),
    ("style-varied", {"text": "Hello, world.", "voice_id": VOICE, "style": 0.2}),
    ("speaker-boost-varied", {"text": "Hello, world.", "voice_id": VOICE, "use_speaker_boost": False}),
    ("speed-varied", {"text": "Hello, world.", "voice_id": VOICE, "speed": 1.1}),
    ("speed-min", {"text": "Hello, world.", "voice_id": VOICE, "speed": 0.7}),
    ("previous-text", {"text": "Hello, world.", "voice_id": VOICE, "previous_text": "Before this."}),
    ("next-text", {"text": "Hello, world.", "voice_id": VOICE, "next_text": "Before this."}),
    ("ambiguity-a", {"text": "Hello a", "voice_id": "bc"}),
    ("ambiguity-b", {"text": "Hello ab", "voice_id": "c"}),
    ("extensions-default-explicit", {"text": "Hello, world.", "voice_id": VOICE, "apply_text_normalization": "auto",
                                     "apply_language_text_normalization": False, "use_pvc_as_ivc": False,
                                     "pronunciation_dictionary_locators": [], "optimize_streaming_latency": 0}),
    ("text-normalization-off", {"text": "Hello, world.", "voice_id": VOICE, "apply_text_normalization": "off"}),
    ("language-normalization", {"text": "Hello, world.", "voice_id": VOICE, "apply_language_text_normalization": True}),
    ("pvc-as-ivc", {"text": "Hello, world.", "voice_id": VOICE, "use_pvc_as_ivc": True}),
    ("dictionaries", {"text": "Hello, world.", "voice_id": VOICE, "pronunciation_dictionary_locators": [
        {"pronunciation_dictionary_id": "dictA", "version_id": "v1"},
        {"pronunciation_dictionary_id": "dictB", "version_id": "v7"}]}),
    ("dictionaries-reordered", {"text": "Hello, world.", "voice_id": VOICE, "pronunciation_dictionary_locators": [
        {"pronunciation_dictionary_id": "dictB", "version_id": "v7"},
        {"pronunciation_dictionary_id": "dictA", "version_id": "v1"}]}),
    ("clone-strength", {"text": "Hello, world.", "voice_id": VOICE, "clone_strength": 0.35}),
    ("clone-strength-zero", {"text": "Hello, world.", "voice_id": VOICE, "clone_strength": 0.0}),
    ("streaming-latency", {"text": "Hello, world.", "voice_id": VOICE, "optimize_streaming_latency": 3}),
    ("stitched-previous", {"text": "Hello, world.", "voice_id": VOICE, "previous_assets": [ASSET_A]}),
    ("stitched-next", {"text": "Hello, world.", "voice_id": VOICE, "next_assets": [ASSET_A]}),
    ("stitched-both", {"text": "Hello, world.", "voice_id": VOICE, "previous_assets": [ASSET_A, ASSET_B],
                       "next_assets": [ASSET_C]}),
    ("stitched-previous-reordered", {"text": "Hello, world.", "voice_id": VOICE, "previous_assets": [ASSET_B, ASSET_A],
                                     "next_assets": [ASSET_C]}),
    ("stitched-three-each", {"text": "Hello, world.", "voice_id": VOICE, "previous_assets": [ASSET_A, ASSET_B, ASSET_C],
                             "next_assets": [ASSET_C, ASSET_B, ASSET_A]}),
    ("stitched-with-extensions", {"text": "Hello, world.", "voice_id": VOICE, "apply_text_normalization": "off",
                                  "previous_assets": [ASSET_A]}),
    ("dialogue-basic", {"inputs": [{"text": "Where are you going?", "voice_id": VOICE},
                                   {"text": "Home, at last.", "voice_id": OTHER}]}),
    ("dialogue-voices-swapped", {"inputs": [{"text": "Where are you going?", "voice_id": OTHER},
                                            {"text": "Home, at last.", "voice_id": VOICE}]}),
    ("dialogue-lines-swapped", {"inputs": [{"text": "Home, at last.", "voice_id": OTHER},
                                           {"text": "Where are you going?", "voice_id": VOICE}]}),
    ("dialogue-split-differently", {"inputs": [{"text": "Where are you", "voice_id": VOICE},
                                               {"text": "going? Home, at last.", "voice_id": OTHER}]}),
    ("dialogue-one-line", {"inputs": [{"text": "Hello, world.", "voice_id": VOICE}]}),
    ("dialogue-defaults-explicit", {"inputs": [{"text": "Hello, world.", "voice_id": VOICE}], "model_id": "eleven_v3",
                                    "output_format": "mp3_44100_128", "apply_text_normalization": "auto",
                                    "use_pvc_as_ivc": False, "pronunciation_dictionary_locators": []}),
    ("dialogue-whitespace", {"inputs": [{"text": "  Hello,\n world. ", "voice_id": VOICE}]}),
    ("dialogue-settings", {"inputs": [{"text": "Hello, world.", "voice_id": VOICE}],
                           "settings": {"stability": 0.3, "similarity": 0.8}}),
    ("dialogue-seed-language", {"inputs": [{"text": "Hello, world.", "voice_id": VOICE}], "seed": 7,
                                "language_code": "EN"}),
    ("dialogue-context", {"inputs": [{"text": "Hello, world.", "voice_id": VOICE}], "previous_text": "Before.",
                          "future_text": "After."}),
    ("dialogue-stitched", {"inputs": [{"text": "Hello, world.", "voice_id": VOICE}], "previous_assets": [ASSET_A],
                           "next_assets": [ASSET_B]}),
    ("stitched-and-previous-text", {"text": "Hello, world.", "voice_id": VOICE, "previous_text": "Before this.",
                                    "previous_assets": [ASSET_A]}),
]
# Vectors that must hash alike (the rule that makes them equal is in the name).
SAME = [["basic", "defaults-explicit", "whitespace-trimmed-and-folded", "setting-below-quantum",
         "blank-stitching-context", "extensions-default-explicit"],
        ["nfc-input", "nfd-input"], ["paragraphs-crlf", "paragraphs-lf"], ["language-varied", "language-uppercase"],
        ["dialogue-one-line", "dialogue-defaults-explicit"]]

LEGACY = [
    {"text": "Hello, world.", "voiceId": VOICE, "model": "eleven_multilingual_v2", "speakingRate": 1.0,
     "format": "mp3_44100_128"},
    {"text": "Chapter one. It was a dark night.", "voiceId": VOICE, "model": "eleven_multilingual_v2",
     "speakingRate": 0.9, "format": "mp3_44100_128"},
]


def main():
    vectors = []
    for name, spec in CASES:
        text, encoding = encode_dialogue(spec) if "inputs" in spec else encode(spec)
        entry = {"name": name, "input": spec, "canonicalText": text,
                 "contentHash": hashlib.sha256(encoding).hexdigest()}
        if len(encoding) <= 600:
            entry["canonicalEncoding"] = encoding.decode("utf-8")
        vectors.append(entry)
    legacy = []
    for row in LEGACY:
        old = hashlib.sha256((row["text"] + row["voiceId"] + row["model"] + js_number(row["speakingRate"])
                              + row["format"]).encode("utf-8")).hexdigest()
        _, encoding = encode({"text": row["text"], "voice_id": row["voiceId"], "model_id": row["model"],
                              "output_format": row["format"], "speed": row["speakingRate"]})
        legacy.append({"input": row, "legacyHash": old, "contentHash": hashlib.sha256(encoding).hexdigest()})
    doc = {"version": "VVCH3", "generator": "Scripts/make-hash-vectors.py", "vectors": vectors,
           "sameHash": SAME, "legacy": legacy}
    print(json.dumps(doc, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
