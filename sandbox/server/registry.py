"""Who may act for whom: signer recovery, API wallets (agents), sub-accounts, nonces,
builder-fee approvals and referrers (hyperliquid-api.md §5-6).

- An L1 action is recovered with the phantom-agent source of the configured chain, or, with
  `chain="auto"`, with "b" (testnet, what clients pointed at a local server sign) and then
  "a", keeping the candidate that is a known account or agent.
- An agent signs L1 actions for its owner (and the owner's sub-accounts through
  `vaultAddress`); it can never sign user-signed (fund-moving) actions. An agent holds no
  money: a user cannot be approved as one, and an agent that receives money becomes a user,
  its approval gone (`funded`).
- Nonces are per signer: the 100 highest are kept; a new one must not be among them, must be
  above the smallest once there are 100, and must lie within (now - 2 days, now + 1 day).
"""

from __future__ import annotations

import re
from bisect import insort

from protocol import signing
from sandbox.core.exchange import Exchange

MAX_NAMED_AGENTS = 3
AGENT_VALIDITY_MS = 180 * 86_400_000  # an agent approved without valid_until: 180 days
ZERO_ADDRESS = "0x" + "0" * 40
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
NONCES_KEPT = 100


class Denied(Exception):
    """The request is refused as a whole; `text` is the venue's response."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Agent:
    __slots__ = ("address", "name", "owner", "valid_until")

    def __init__(self, address: str, owner: str, name: str, valid_until: int | None) -> None:
        self.address = address
        self.owner = owner
        self.name = name
        self.valid_until = valid_until


class Registry:
    def __init__(self, exchange: Exchange, chain: str, nonce_past_ms: int, nonce_future_ms: int):
        self.ex = exchange
        self.sources = {"testnet": ("b",), "mainnet": ("a",), "auto": ("b", "a")}[chain]
        self.mainnet = chain == "mainnet"
        self.nonce_past_ms = nonce_past_ms
        self.nonce_future_ms = nonce_future_ms
        self.agents: dict[str, Agent] = {}
        self.agents_of: dict[str, dict[str, Agent]] = {}  # owner -> name ("" unnamed) -> agent
        self.nonces: dict[str, list[int]] = {}
        self.sub_accounts: dict[str, tuple[str, str]] = {}  # sub-account -> (master, name)
        self.builder_approvals: dict[str, dict[str, int]] = {}  # user -> builder -> tenths of bp
        self.referrers: dict[str, str] = {}

    # -- who signed ------------------------------------------------------------------------

    def known(self, address: str, now: int) -> bool:
        if address in self.ex.accounts and address not in self.ex.system_accounts:
            return True
        agent = self.agents.get(address)
        return agent is not None and (agent.valid_until is None or agent.valid_until > now)

    def l1_signer(self, action, nonce: int, vault: str | None, expires: int | None,
                  signature: bytes, now: int) -> str:  # fmt: skip
        """The address that signed an L1 action (`signature`: 65 bytes r || s || v)."""
        try:
            connection = signing.action_hash(action, vault, nonce, expires)
        except (ValueError, TypeError, OverflowError) as exc:  # msgpack cannot pack it
            raise signing.SignatureError(str(exc)) from None
        first = None
        for source in self.sources:
            address = signing.recover(signing.l1_digest(connection, source), signature)
            if self.known(address, now):
                return address
            first = first or address
        return first

    def user_signer(self, action: dict, signature: bytes) -> str:
        return signing.recover(signing.user_signed_digest(action), signature)

    def acting_account(self, signer: str, vault: str | None, now: int) -> str:
        """The account an L1 action acts for; raises Denied."""
        agent = self.agents.get(signer)
        if agent is not None and (agent.valid_until is None or agent.valid_until > now):
            owner = agent.owner
        elif signer in self.ex.accounts and signer not in self.ex.system_accounts:
            owner = signer
        else:
            raise Denied(f"User or API Wallet {signer} does not exist.")
        if vault is None:
            return owner
        vault = normalize(vault)
        entry = self.sub_accounts.get(vault)
        if entry is None:
            raise Denied(f"Vault not registered: {vault}")
        if entry[0] != owner:
            raise Denied(f"User or API Wallet {signer} is not authorized to act for {vault}.")
        return vault

    def account_signer(self, signer: str) -> str:
        """A user-signed action must come from the account itself; raises Denied."""
        if signer in self.agents:
            raise Denied("API wallets cannot sign transfers, withdrawals or approvals.")
        if signer not in self.ex.accounts or signer in self.ex.system_accounts:
            raise Denied(f"Must deposit before performing actions. User: {signer}")
        return signer

    # -- nonces ----------------------------------------------------------------------------

    def check_nonce(self, signer: str, nonce: int, now: int) -> None:
        low, high = now - self.nonce_past_ms, now + self.nonce_future_ms
        if nonce <= low:
            raise Denied(f"Invalid nonce: nonce too low {nonce} < {low}")
        if nonce >= high:
            raise Denied(f"Invalid nonce: nonce too high {nonce} > {high}")
        used = self.nonces.get(signer)
        if used is None:
            return
        if nonce in used:
            raise Denied(f"Invalid nonce: duplicate nonce {nonce}")
        if len(used) >= NONCES_KEPT and nonce < used[0]:
            raise Denied(f"Invalid nonce: nonce too low {nonce} < {used[0]}")

    def use_nonce(self, signer: str, nonce: int) -> None:
        used = self.nonces.setdefault(signer, [])
        insort(used, nonce)
        if len(used) > NONCES_KEPT:
            del used[0]

    # -- agents ----------------------------------------------------------------------------

    def approve_agent(self, owner: str, address: str, name: str, now: int) -> None:
        """Approve `address` as `owner`'s agent under `name` ("" unnamed). It is valid until
        the time `name` gives (" valid_until <ms>"), else for 180 days, as the venue's agents
        are (their `validUntil` is always a time). The zero address revokes the agent of
        that name."""
        address = normalize(address)
        valid_until = now + AGENT_VALIDITY_MS
        base, _, until = name.partition(" valid_until ")
        if until:
            try:
                valid_until = int(until)
            except ValueError:
                raise Denied("Invalid agent name.") from None
            name = base
        if len(name) > 16:
            raise Denied("Agent name is too long: at most 16 characters.")
        if address == ZERO_ADDRESS:
            revoked = self.agents_of.get(owner, {}).pop(name, None)
            if revoked is not None:
                del self.agents[revoked.address]
            return
        if address in self.ex.accounts:
            raise Denied("Agent address is a user account.")
        existing = self.agents.get(address)
        if existing is not None and existing.owner != owner:
            raise Denied("Extra agent already used.")
        mine = self.agents_of.setdefault(owner, {})
        named = sum(1 for key in mine if key)
        if name and name not in mine and named >= MAX_NAMED_AGENTS:
            raise Denied(f"Too many named API wallets: at most {MAX_NAMED_AGENTS}.")
        previous = mine.get(name)
        if previous is not None:
            del self.agents[previous.address]
        if existing is not None:
            mine.pop(existing.name, None)
        agent = Agent(address, owner, name, valid_until)
        mine[name] = agent
        self.agents[address] = agent

    def funded(self, address: str) -> None:
        """`address` has received money: it is a user from now on. An approval given to it
        before lapses (whoever approved it never held its key: the approval cannot bind
        its owner), so what its key signs acts for itself."""
        agent = self.agents.pop(address, None)
        if agent is not None:
            mine = self.agents_of.get(agent.owner, {})
            if mine.get(agent.name) is agent:
                del mine[agent.name]

    def extra_agents(self, owner: str) -> list[dict]:
        return [
            {"name": a.name, "address": a.address, "validUntil": a.valid_until}
            for a in self.agents_of.get(owner, {}).values()
            if a.name
        ]

    # -- builders, sub-accounts ------------------------------------------------------------

    def approve_builder(self, user: str, builder: str, max_fee_rate: str) -> None:
        self.builder_approvals.setdefault(user, {})[normalize(builder)] = parse_fee_rate(
            max_fee_rate
        )

    def builder_allowance(self, user: str, builder: str) -> int:
        return self.builder_approvals.get(user, {}).get(normalize(builder), 0)

    def create_sub_account(self, master: str, name: str) -> str:
        if not name or len(name) > 16:
            raise Denied("Invalid sub-account name.")
        for sub, (owner, existing) in self.sub_accounts.items():
            if owner == master and existing == name:
                return sub
        address = "0x" + signing.keccak(f"sub-account:{master}:{name}".encode())[12:].hex()
        self.sub_accounts[address] = (master, name)
        self.ex.account(address)
        return address

    def subs_of(self, master: str) -> list[tuple[str, str]]:
        return [(sub, name) for sub, (owner, name) in self.sub_accounts.items() if owner == master]


def normalize(address: str) -> str:
    """Lowercase with `0x`, as the venue answers; raises Denied when not an address."""
    if not isinstance(address, str):
        raise Denied("Invalid address.")
    body = address[2:] if address[:2] in ("0x", "0X") else address
    if _HEX40.fullmatch(body) is None:
        raise Denied(f"Invalid address: {address}")
    return "0x" + body.lower()


def parse_fee_rate(text: str) -> int:
    """A builder's maximum fee rate, "0.001%", as tenths of a basis point (1 here)."""
    if not isinstance(text, str) or not text.endswith("%"):
        raise Denied("Invalid max fee rate.")
    from protocol.numbers import to_scaled

    try:
        rate = to_scaled(text[:-1], 3)  # percent with 3 decimals = tenths of a basis point
    except ValueError:
        raise Denied("Invalid max fee rate.") from None
    if not 0 <= rate <= 1_000:  # at most 1%
        raise Denied("Max fee rate is too high.")
    return rate
