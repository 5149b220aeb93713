"""Signing keys as actors.yaml lists them: an SSH public key line or a GPG fingerprint.

Each key is reduced to the identity git reports for a signature made with it — `SHA256:…` for
an SSH key (what `ssh-keygen -l` prints and git's `%GK` gives), the upper-case hexadecimal
fingerprint for a GPG key (git's `%GF`, or `%GP` for the primary key of a signing subkey) — so
that a commit's signature can be matched to the actor it claims to be by. Pure Python: parsing
actors.yaml happens before every write and must not start processes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass

from jiesu.i18n import _

SSH_TYPES = ("ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
             "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")
_HEX = re.compile(r"(?:0x)?([0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})")


@dataclass(frozen=True)
class Key:
    id: str          # SHA256:… (SSH) or the hexadecimal fingerprint (GPG)
    kind: str        # ssh or gpg
    public: str = ""  # the SSH public key line without its comment (for an allowed-signers file)


def parse(text) -> Key:
    """The key a `keys:` entry names; ValueError saying what is allowed when it names none."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(_('a key is an SSH public key line (ssh-ed25519 AAAA…) or a 40-digit GPG fingerprint'))
    words = text.split()
    if words[0] in SSH_TYPES or words[0].startswith(("ssh-", "ecdsa-", "sk-")):
        return _ssh(words)
    compact = "".join(words)
    if _HEX.fullmatch(compact):
        return Key(_HEX.fullmatch(compact).group(1).upper(), "gpg")
    if re.fullmatch(r"(?:0x)?[0-9A-Fa-f]{8,16}", compact):
        raise ValueError(_('{key!r} is a short GPG key id; give the full 40-digit fingerprint (gpg --fingerprint)').format(key=text.strip()))
    raise ValueError(_('{key!r} is not a key: give an SSH public key line (ssh-ed25519 AAAA…, as in ~/.ssh/id_ed25519.pub) or a GPG fingerprint (40 hexadecimal digits)').format(key=_clip(text)))


def _ssh(words: list[str]) -> Key:
    kind = words[0]
    if kind not in SSH_TYPES:
        raise ValueError(_('unknown SSH key type {kind!r}; allowed: {items}').format(kind=kind, items=', '.join(SSH_TYPES)))
    if len(words) < 2:
        raise ValueError(_('{kind} key without its base64 part (copy the whole line of the .pub file)').format(kind=kind))
    try:
        blob = base64.b64decode(words[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        inner = blob[4:4 + length].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError, ValueError):
        raise ValueError(_('{kind} key {key!r} is not valid base64 key data (copy the whole line of the .pub file)').format(kind=kind, key=_clip(words[1]))) from None
    if inner != kind or len(blob) <= 4 + length:
        raise ValueError(_('{kind} key {key!r} holds a {inner} key, not {kind}').format(kind=kind, key=_clip(words[1]), inner=inner or 'damaged'))
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return Key(f"SHA256:{digest}", "ssh", f"{kind} {words[1]}")


def _clip(text: str, n: int = 24) -> str:
    text = str(text).strip()
    return text if len(text) <= n else text[:n] + "…"


def normalise(reported: str) -> str:
    """A key identity as git reports it (`%GK`, `%GF`, `%GP`), comparable with `Key.id`."""
    reported = (reported or "").strip()
    return reported if reported.startswith("SHA256:") else reported.replace(" ", "").upper()
