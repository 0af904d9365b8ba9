"""Optional passphrase encryption of backups (docs/security.md): AES-256-GCM with a scrypt-derived key.

One key per backup destination: ``DEST/xueji-backup-key.json`` holds the scrypt parameters, a random
salt and a check value (an AES-GCM encryption of a fixed text), never the key or the passphrase; each
manifest carries a copy, so a backup folder moved elsewhere still opens with the passphrase. A wrong
passphrase is told apart from a damaged file by the check value.

An encrypted file: ``MAGIC`` then records ``flag(1) len(4) nonce(12) ciphertext+tag(len)`` of at most
1 MiB of plaintext each; the additional data binds each record to its file (``file_id``: the part's
name, for store files the plaintext's SHA-256), its position and whether it is the last, so records
cannot be swapped, reordered, dropped or cut off without the tag failing. Nonces are random 96-bit.

Needs the ``cryptography`` package (AES-GCM); without it :func:`available` is False and asking for
encryption is refused with a clear message. The KDF is the standard library's hashlib.scrypt.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from app.core.errors import Finding, Refused
from app.core.fsutil import discard_on_error, temp_beside, write_json_durably
from app.core.i18n import tr

KEYFILE = "xueji-backup-key.json"
MAGIC = b"XJENC1\n\x00"
SUFFIX = ".xjenc"
CHUNK = 1 << 20
SCRYPT = {"n": 2 ** 15, "r": 8, "p": 1}  # 32 MiB, about 0.1–0.4 s per derivation
_CHECK_TEXT = b"xueji-backup-key-check"


def available() -> bool:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: F401
    except ImportError:
        return False
    return True


def _refuse(code: str, message: str) -> Refused:
    return Refused([Finding(code, message, field=tr("backup.field"))])


def _aes(key: bytes):
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise _refuse("no_crypto", tr("backup.no_crypto")) from None
    return AESGCM(key)


def _invalid_tag():
    try:
        from cryptography.exceptions import InvalidTag
    except ImportError:
        raise _refuse("no_crypto", tr("backup.no_crypto")) from None
    return InvalidTag


def _derive(passphrase: str, meta: dict) -> bytes:
    if not passphrase:
        raise _refuse("passphrase_needed", tr("backup.passphrase_needed"))
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=bytes.fromhex(meta["salt"]), n=int(meta["n"]),
                          r=int(meta["r"]), p=int(meta["p"]), maxmem=256 * 1024 * 1024, dklen=32)


def key_from_meta(meta: dict, passphrase: str) -> bytes:
    """The key for ``meta`` (a key file's or manifest's ``encryption``); Refused on a wrong passphrase."""
    InvalidTag = _invalid_tag()
    key = _derive(passphrase, meta)
    check = bytes.fromhex(meta["check"])
    try:
        _aes(key).decrypt(check[:12], check[12:], _CHECK_TEXT)
    except InvalidTag:
        raise _refuse("wrong_passphrase", tr("backup.wrong_passphrase")) from None
    return key


def dest_key(dest: Path, passphrase: str) -> tuple[bytes, dict]:
    """The destination's key (made with a new salt on first use) and its public parameters."""
    kf = Path(dest) / KEYFILE
    if kf.is_file():
        try:
            meta = json.loads(kf.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise _refuse("bad_keyfile", tr("backup.bad_keyfile", file=kf, error=e)) from None
        return key_from_meta(meta, passphrase), meta
    meta = dict(SCRYPT, kdf="scrypt", cipher="AES-256-GCM", salt=os.urandom(16).hex())
    key = _derive(passphrase, meta)
    nonce = os.urandom(12)
    meta["check"] = (nonce + _aes(key).encrypt(nonce, _CHECK_TEXT, _CHECK_TEXT)).hex()
    write_json_durably(kf, meta, indent=1)
    return key, meta


def _aad(file_id: str, index: int, final: bool) -> bytes:
    return file_id.encode("utf-8") + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def encrypt_file(src: Path, dst: Path, key: bytes, file_id: str) -> tuple[str, int]:
    """Encrypt ``src`` into ``dst`` (through a temporary file, fsynced); returns (plaintext SHA-256, bytes)."""
    aes = _aes(key)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_beside(dst)
    h = hashlib.sha256()
    n = 0
    with discard_on_error(tmp):
        with open(src, "rb") as fi, open(tmp, "wb") as fo:
            fo.write(MAGIC)
            data = fi.read(CHUNK)
            index = 0
            while True:
                nxt = fi.read(CHUNK)
                final = not nxt
                h.update(data)
                n += len(data)
                nonce = os.urandom(12)
                ct = aes.encrypt(nonce, data, _aad(file_id, index, final))
                fo.write((b"\x01" if final else b"\x00") + len(ct).to_bytes(4, "big") + nonce + ct)
                if final:
                    break
                data, index = nxt, index + 1
            fo.flush()
            os.fsync(fo.fileno())
        os.replace(tmp, dst)
    return h.hexdigest(), n


def decrypt_file(src: Path, key: bytes, file_id: str, dst: Path | None = None) -> str:
    """Decrypt ``src`` (into ``dst`` if given, else only hashed); returns the plaintext's SHA-256.
    Refused naming the file when it is truncated, altered, not ours or for another key."""
    InvalidTag = _invalid_tag()
    aes = _aes(key)
    h = hashlib.sha256()
    out = open(dst, "wb") if dst is not None else None
    try:
        with open(src, "rb") as fi:
            if fi.read(len(MAGIC)) != MAGIC:
                raise _refuse("foreign_file", tr("backup.not_encrypted_file", file=src))
            index = 0
            while True:
                head = fi.read(17)
                if len(head) < 17:
                    raise _refuse("truncated", tr("backup.enc_truncated", file=src))
                final = head[0] == 1
                size = int.from_bytes(head[1:5], "big")
                nonce = head[5:17]
                ct = fi.read(size)
                if len(ct) < size:
                    raise _refuse("truncated", tr("backup.enc_truncated", file=src))
                try:
                    data = aes.decrypt(nonce, ct, _aad(file_id, index, final))
                except InvalidTag:
                    raise _refuse("decrypt_failed", tr("backup.decrypt_failed", file=src)) from None
                h.update(data)
                if out is not None:
                    out.write(data)
                if final:
                    break
                index += 1
            if fi.read(1):
                raise _refuse("decrypt_failed", tr("backup.decrypt_failed", file=src))
        if out is not None:
            out.flush()
            os.fsync(out.fileno())
    finally:
        if out is not None:
            out.close()
    return h.hexdigest()
