#!/usr/bin/env python3
"""Make Fixtures/legacy.sqlite and Fixtures/legacy/ (the old app's table and bucket, for `voicevault import`).

The table `book_audio` uses the default column names; `book_audio_v0` has odd ones that need --column
mappings. Together they cover good rows, the same audio in two books, a missing file, a file that is not an
MP3, empty text, an unusable book id and storage path, paths stored three ways (bucket-relative, with the
bucket in front, as a Storage URL), and a file no row names. `Fixtures/legacy/expected.json` holds each row's
expected outcome and hashes, computed here by Scripts/make-hash-vectors.py's independent implementation of
Docs/HASHING.md, so the Swift tests check two implementations against each other.

Usage: python3 Scripts/make-legacy-fixture.py   (rewrites the fixture; deterministic)
"""
import hashlib
import importlib.util
import json
import os
import shutil
import sqlite3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Fixtures")
spec = importlib.util.spec_from_file_location("vectors", os.path.join(ROOT, "Scripts", "make-hash-vectors.py"))
vectors = importlib.util.module_from_spec(spec)
spec.loader.exec_module(vectors)

VOICE = "21m00Tcm4TlvDq8ikWAM"
OTHER_VOICE = "pNInz6obpgDQGcFmaJgB"
MODEL = "eleven_multilingual_v2"
AUDIO = {"a": "speech-cbr128-id3.mp3", "b": "speech-vbr-xing.mp3", "c": "speech-mpeg2-mono-noxing.mp3"}


def legacy_key(text, voice, model, rate, fmt):
    return hashlib.sha256((text + voice + (model or "") + vectors.js_number(rate if rate is not None else 1)
                           + (fmt or "")).encode("utf-8")).hexdigest()


def content_hash(text, voice, model, rate, fmt):
    fmt = "mp3_44100_128" if fmt in (None, "mp3") else fmt
    _, encoding = vectors.encode({"text": text, "voice_id": voice, "model_id": model, "output_format": fmt,
                                  "speed": 1.0 if rate is None else rate})
    return hashlib.sha256(encoding).hexdigest()


def main():
    out_dir = os.path.join(FIXTURES, "legacy")
    db_path = os.path.join(FIXTURES, "legacy.sqlite")
    shutil.rmtree(out_dir, ignore_errors=True)
    if os.path.exists(db_path):
        os.remove(db_path)
    os.makedirs(out_dir)

    def put(path, source=None, raw=None):
        full = os.path.join(out_dir, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if source:
            shutil.copyfile(os.path.join(FIXTURES, source), full)
        else:
            with open(full, "wb") as f:
                f.write(raw)

    text_a = "Chapter one. It was a bright cold day in April."
    text_b = "Chapter two.\r\nThe  clocks were striking thirteen."
    text_c = "Chapter three. Nobody kept this file."
    text_d = "Chapter four. This file is a web page."
    text_e = "Chapter five. Defaults everywhere."
    text_f = "Kapitel sechs. Grüße aus der alten Tabelle."
    key = {name: legacy_key(*args) for name, args in {
        "a": (text_a, VOICE, MODEL, 1, "mp3_44100_128"),
        "b": (text_b, VOICE, MODEL, 0.9, "mp3_44100_128"),
        "c": (text_c, VOICE, MODEL, 1, "mp3_44100_128"),
        "d": (text_d, VOICE, MODEL, 1, "mp3_44100_128"),
        "e": (text_e, OTHER_VOICE, None, None, "mp3"),
        "f": (text_f, OTHER_VOICE, MODEL, 1.1, "mp3_44100_128"),
    }.items()}

    # (id, text, voice_id, model, speaking_rate, format, book_id, chapter_id, storage_path, created_at), expected
    rows = [
        ((1, text_a, VOICE, MODEL, 1, "mp3_44100_128", "book-1", "ch-1", f"book-1/{key['a']}.mp3",
          "2024-03-01 12:00:00+00"), "imported"),
        ((2, text_b, VOICE, MODEL, 0.9, "mp3_44100_128", "book-1", "ch-2",
          f"https://abc.supabase.co/storage/v1/object/public/book-audio/book-1/{key['b']}.mp3", 1709300000), "imported"),
        # The same request in another book: one asset, linked, its own copy of the file never read.
        ((3, text_a, VOICE, MODEL, 1, "mp3_44100_128", "book-2", "ch-1", f"book-audio/book-2/{key['a']}.mp3",
          "2024-03-02T08:30:00Z"), "linked"),
        ((4, text_c, VOICE, MODEL, 1, "mp3_44100_128", "book-2", "ch-2", f"book-2/{key['c']}.mp3", None), "missing_file"),
        ((5, text_d, VOICE, MODEL, 1, "mp3_44100_128", "book-3", "ch-1", f"book-3/{key['d']}.mp3", None), "not_mp3"),
        ((6, "   ", VOICE, MODEL, 1, "mp3_44100_128", "book-3", "ch-2", "book-3/empty.mp3", None), "empty_text"),
        ((7, text_e, OTHER_VOICE, None, None, "mp3", "book-3", None, f"book-3/{key['e']}.mp3", None), "imported"),
        ((8, text_e, OTHER_VOICE, None, None, "mp3", "../etc", None, f"book-3/{key['e']}.mp3", None), "invalid_book_id"),
        ((9, text_d, VOICE, MODEL, 1, "mp3_44100_128", "book-3", "ch-9", "book-3/../../secret.mp3", None),
         "invalid_storage_path"),
    ]
    odd_rows = [
        ((1, text_f, OTHER_VOICE, MODEL, 1.1, "mp3_44100_128", "book-4", "k-6",
          f"/storage/v1/object/sign/book-audio/book-4/{key['f']}.mp3?token=abc", "2023-12-24T18:00:00.250+01:00"), "imported"),
        ((2, text_b, VOICE, MODEL, 0.9, "mp3_44100_128", "book-4", "k-2", f"book-4/{key['b']}.mp3", None), "linked"),
    ]
    put(f"book-1/{key['a']}.mp3", AUDIO["a"])
    put(f"book-1/{key['b']}.mp3", AUDIO["b"])
    put(f"book-2/{key['a']}.mp3", AUDIO["a"])
    put(f"book-3/{key['d']}.mp3", raw=b"<html><body>Not audio</body></html>\n")
    put(f"book-3/{key['e']}.mp3", AUDIO["c"])
    put(f"book-4/{key['f']}.mp3", AUDIO["b"])
    put("book-9/orphan.mp3", AUDIO["c"])

    db = sqlite3.connect(db_path)
    db.execute("""CREATE TABLE book_audio (id INTEGER PRIMARY KEY, text TEXT, voice_id TEXT, model TEXT,
                  speaking_rate REAL, format TEXT, book_id TEXT, chapter_id TEXT, storage_path TEXT, created_at)""")
    db.executemany("INSERT INTO book_audio VALUES (?,?,?,?,?,?,?,?,?,?)", [r for r, _ in rows])
    db.execute("""CREATE TABLE book_audio_v0 (id INTEGER PRIMARY KEY, chapter_text TEXT, voice TEXT, tts_model TEXT,
                  rate TEXT, fmt TEXT, book TEXT, chapter TEXT, audio_url TEXT, inserted_at TEXT)""")
    db.executemany("INSERT INTO book_audio_v0 VALUES (?,?,?,?,?,?,?,?,?,?)",
                   [(r[0], r[1], r[2], r[3], str(r[4]), r[5], r[6], r[7], r[8], r[9]) for r, _ in odd_rows])
    db.commit()
    db.execute("VACUUM")
    db.close()

    def describe(row, outcome):
        rid, text, voice, model, rate, fmt, book = row[:7]
        entry = {"rowId": rid, "book": book, "outcome": outcome}
        if outcome in ("imported", "linked"):
            entry["contentHash"] = content_hash(text, voice, model, rate, fmt)
            entry["legacyKey"] = legacy_key(text, voice, model, rate, fmt)
        return entry

    expected = {
        "generator": "Scripts/make-legacy-fixture.py",
        "book_audio": [describe(r, o) for r, o in rows],
        "book_audio_v0": {
            "columns": ["text=chapter_text", "voice_id=voice", "model=tts_model", "speaking_rate=rate", "format=fmt",
                        "book_id=book", "chapter_id=chapter", "storage_path=audio_url", "created_at=inserted_at"],
            "rows": [describe(r, o) for r, o in odd_rows],
        },
        "unreferencedFiles": ["book-9/orphan.mp3"],
    }
    with open(os.path.join(FIXTURES, "legacy-expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
