"""Hyperliquid's signatures: hashing actions, signing them, recovering who signed.

Two schemes (shared reference: sdk-contract.md §2.8-2.9, hyperliquid-api.md §6):

- **L1 actions** (orders, cancels, leverage, ...): the action, msgpack-encoded in the key
  order it was built (or received) in, followed by the nonce, the vault address and the
  expiry, is hashed with keccak into a `connectionId`; the signer signs the EIP-712 struct
  `Agent{source, connectionId}` in the domain `Exchange`/`1`/chain 1337, where `source` is
  "a" on mainnet and "b" on testnet (any client pointed at a local server signs "b").
- **User-signed actions** (transfers, withdrawals, agent approvals): the action's own fields,
  listed per action type below, as an EIP-712 struct in the domain
  `HyperliquidSignTransaction`/`1`/`signatureChainId`.

Everything is computed here directly: the EIP-712 type hashes and domain separators are
precomputed once, keccak is the C implementation of safe-pysha3 and recovery is
libsecp256k1's (coincurve), so a recovery costs one msgpack, four keccaks and one
elliptic-curve recovery.
"""

from __future__ import annotations

from typing import Any

import msgpack
import sha3
from coincurve import PrivateKey, PublicKey

ZERO_ADDRESS = "0x" + "00" * 20
_keccak_256 = sha3.keccak_256


def keccak(data: bytes) -> bytes:
    return _keccak_256(data).digest()


class SignatureError(ValueError):
    """A signature that cannot be parsed or from which no signer can be recovered."""


# -- EIP-712 ---------------------------------------------------------------------------------

_DOMAIN_TYPE = keccak(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def domain_separator(name: str, version: str, chain_id: int) -> bytes:
    return keccak(
        _DOMAIN_TYPE
        + keccak(name.encode())
        + keccak(version.encode())
        + _word(chain_id)
        + _word(0)  # verifyingContract: the zero address
    )


def typed_hash(domain: bytes, struct_hash: bytes) -> bytes:
    """The EIP-712 digest a wallet signs."""
    return keccak(b"\x19\x01" + domain + struct_hash)


def _type_hash(primary: str, fields: tuple[tuple[str, str], ...]) -> bytes:
    return keccak(f"{primary}({','.join(f'{t} {n}' for n, t in fields)})".encode())


def _encode_field(kind: str, value: Any) -> bytes:
    if kind == "string":
        if not isinstance(value, str):
            raise SignatureError(f"expected a string, got {value!r}")
        return keccak(value.encode())
    if kind == "address":
        if not isinstance(value, str):
            raise SignatureError(f"expected an address, got {value!r}")
        try:
            raw = bytes.fromhex(value[2:] if value[:2] in ("0x", "0X") else value)
        except ValueError:
            raise SignatureError(f"expected an address, got {value!r}") from None
        if len(raw) != 20:
            raise SignatureError(f"expected a 20-byte address, got {value!r}")
        return raw.rjust(32, b"\0")
    if kind in ("uint64", "uint256"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SignatureError(f"expected an integer, got {value!r}")
        if value < 0 or value.bit_length() > (64 if kind == "uint64" else 256):
            raise SignatureError(f"integer out of range: {value}")
        return _word(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise SignatureError(f"expected a bool, got {value!r}")
        return _word(int(value))
    if kind == "bytes32":
        try:
            raw = value if isinstance(value, bytes) else bytes.fromhex(value[2:])
        except (TypeError, ValueError):
            raise SignatureError("expected 32 bytes") from None
        if len(raw) != 32:
            raise SignatureError("expected 32 bytes")
        return raw
    raise SignatureError(f"unsupported EIP-712 type {kind}")


# -- L1 actions ------------------------------------------------------------------------------

_L1_DOMAIN = domain_separator("Exchange", "1", 1337)
_AGENT_TYPE = _type_hash("Agent", (("source", "string"), ("connectionId", "bytes32")))
_SOURCE = {"a": keccak(b"a"), "b": keccak(b"b")}  # mainnet, testnet


def action_hash(
    action: Any, vault_address: str | None, nonce: int, expires_after: int | None
) -> bytes:
    """The `connectionId` of an L1 action, as the SDK's `action_hash` computes it.

    `action` must be the decoded JSON exactly as built or received: same key order, ints as
    ints, strings as strings."""
    data = msgpack.packb(action) + nonce.to_bytes(8, "big")
    if vault_address is None:
        data += b"\x00"
    else:
        raw = bytes.fromhex(
            vault_address[2:] if vault_address[:2] in ("0x", "0X") else vault_address
        )
        if len(raw) != 20:
            raise SignatureError("vaultAddress is not a 20-byte address")
        data += b"\x01" + raw
    if expires_after is not None:
        data += b"\x00" + expires_after.to_bytes(8, "big")
    return keccak(data)


def l1_digest(connection_id: bytes, source: str) -> bytes:
    """The digest signed for an L1 action; `source` is "a" (mainnet) or "b" (testnet)."""
    return typed_hash(_L1_DOMAIN, keccak(_AGENT_TYPE + _SOURCE[source] + connection_id))


# -- user-signed actions ---------------------------------------------------------------------

USER_SIGNED_TYPES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "usdSend": (
        "HyperliquidTransaction:UsdSend",
        (("hyperliquidChain", "string"), ("destination", "string"), ("amount", "string"),
         ("time", "uint64")),
    ),
    "spotSend": (
        "HyperliquidTransaction:SpotSend",
        (("hyperliquidChain", "string"), ("destination", "string"), ("token", "string"),
         ("amount", "string"), ("time", "uint64")),
    ),
    "withdraw3": (
        "HyperliquidTransaction:Withdraw",
        (("hyperliquidChain", "string"), ("destination", "string"), ("amount", "string"),
         ("time", "uint64")),
    ),
    "usdClassTransfer": (
        "HyperliquidTransaction:UsdClassTransfer",
        (("hyperliquidChain", "string"), ("amount", "string"), ("toPerp", "bool"),
         ("nonce", "uint64")),
    ),
    "sendAsset": (
        "HyperliquidTransaction:SendAsset",
        (("hyperliquidChain", "string"), ("destination", "string"), ("sourceDex", "string"),
         ("destinationDex", "string"), ("token", "string"), ("amount", "string"),
         ("fromSubAccount", "string"), ("nonce", "uint64")),
    ),
    "approveAgent": (
        "HyperliquidTransaction:ApproveAgent",
        (("hyperliquidChain", "string"), ("agentAddress", "address"), ("agentName", "string"),
         ("nonce", "uint64")),
    ),
    "approveBuilderFee": (
        "HyperliquidTransaction:ApproveBuilderFee",
        (("hyperliquidChain", "string"), ("maxFeeRate", "string"), ("builder", "address"),
         ("nonce", "uint64")),
    ),
    "tokenDelegate": (
        "HyperliquidTransaction:TokenDelegate",
        (("hyperliquidChain", "string"), ("validator", "address"), ("wei", "uint64"),
         ("isUndelegate", "bool"), ("nonce", "uint64")),
    ),
}  # fmt: skip
_USER_TYPE_HASH = {
    kind: _type_hash(primary, fields) for kind, (primary, fields) in USER_SIGNED_TYPES.items()
}
_USER_DOMAINS: dict[int, bytes] = {}
# Fields a client may leave out of the JSON although it signed them: the SDK signs an
# unnamed approveAgent with agentName "" and then deletes the key.
_DEFAULTS = {("approveAgent", "agentName"): ""}


def user_signed_digest(action: dict[str, Any]) -> bytes:
    """The digest signed for a user-signed action (its `type` says which)."""
    kind = action.get("type")
    spec = USER_SIGNED_TYPES.get(kind)
    if spec is None:
        raise SignatureError(f"{kind!r} is not a user-signed action")
    _, fields = spec
    chain = action.get("signatureChainId")
    try:
        chain_id = int(chain, 16)
    except (TypeError, ValueError):
        raise SignatureError("signatureChainId must be a hex string") from None
    if not 0 <= chain_id < 1 << 256:
        raise SignatureError("signatureChainId out of range")
    domain = _USER_DOMAINS.get(chain_id)
    if domain is None:
        domain = domain_separator("HyperliquidSignTransaction", "1", chain_id)
        if len(_USER_DOMAINS) < 64:  # the chains seen in practice, not whatever is sent
            _USER_DOMAINS[chain_id] = domain
    parts = [_USER_TYPE_HASH[kind]]
    for name, field_type in fields:
        value = action.get(name, _DEFAULTS.get((kind, name)))
        if value is None:
            raise SignatureError(f"{kind} needs {name}")
        parts.append(_encode_field(field_type, value))
    return typed_hash(domain, keccak(b"".join(parts)))


# -- recovery and signing --------------------------------------------------------------------


def parse_signature(signature: Any) -> bytes:
    """`{"r": hex, "s": hex, "v": 27|28}` as 65 bytes r || s || recovery id. r and s may be
    shorter than 64 hex digits (the SDK drops leading zeros)."""
    if not isinstance(signature, dict):
        raise SignatureError("signature must be an object")
    try:
        r = int(signature["r"], 16)
        s = int(signature["s"], 16)
        v = signature["v"]
    except (KeyError, TypeError, ValueError):
        raise SignatureError("signature needs hex r and s and an integer v") from None
    if isinstance(v, bool) or not isinstance(v, int) or v not in (27, 28, 0, 1):
        raise SignatureError("signature v must be 27 or 28")
    if not (0 < r < 1 << 256 and 0 < s < 1 << 256):
        raise SignatureError("signature r and s out of range")
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((v - 27 if v >= 27 else v,))


def recover(digest: bytes, signature: bytes) -> str:
    """The lowercase address that signed `digest`."""
    try:
        public = PublicKey.from_signature_and_message(signature, digest, hasher=None)
    except Exception as exc:  # coincurve raises ValueError or its own errors
        raise SignatureError("Unable to recover signer.") from exc
    return "0x" + keccak(public.format(compressed=False)[1:])[12:].hex()


def address_of(private_key: bytes) -> str:
    public = PrivateKey(private_key).public_key.format(compressed=False)[1:]
    return "0x" + keccak(public)[12:].hex()


def sign_digest(private_key: bytes, digest: bytes) -> dict[str, Any]:
    """A signature in the wire shape, as the SDK makes it (minimal hex r and s)."""
    raw = PrivateKey(private_key).sign_recoverable(digest, hasher=None)
    r = int.from_bytes(raw[:32], "big")
    s = int.from_bytes(raw[32:64], "big")
    return {"r": hex(r), "s": hex(s), "v": 27 + raw[64]}


def sign_l1_action(
    private_key: bytes,
    action: Any,
    vault_address: str | None,
    nonce: int,
    expires_after: int | None,
    mainnet: bool,
) -> dict[str, Any]:
    digest = l1_digest(
        action_hash(action, vault_address, nonce, expires_after), "a" if mainnet else "b"
    )
    return sign_digest(private_key, digest)


def sign_user_signed_action(private_key: bytes, action: dict[str, Any]) -> dict[str, Any]:
    """Sign a user-signed action that already carries `signatureChainId` and
    `hyperliquidChain`."""
    return sign_digest(private_key, user_signed_digest(action))
