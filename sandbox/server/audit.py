"""The waterfall's audit records in JSON, for the control plane and the `sandboxWaterfall`
extension subscription (not the venue's: strict clients never see it)."""

from __future__ import annotations

from sandbox.core import events as ev
from sandbox.core.units import fmt_usdc


def step_json(venue, step: ev.WaterfallStep) -> dict:
    views = venue.views
    asset = step.asset
    out = {
        "time": step.ts,
        "lid": step.lid,
        "stage": step.stage,
        "user": step.user,
        "coin": views.coins[asset],
        "szi": views.sz(asset, step.size),
        "closed": views.sz(asset, step.closed),
        "px": views.px(asset, step.price),
        "shortfall": fmt_usdc(step.shortfall),
        "vaultBefore": fmt_usdc(step.vault_before),
        "vaultAfter": fmt_usdc(step.vault_after),
        "reason": step.reason,
    }
    if step.stage == "adl":
        out["policy"] = step.policy
        out["counterparties"] = [
            {"user": user, "closed": views.sz(asset, take)} for user, take in step.counterparties
        ]
        out["ranking"] = [
            {"user": e.user, "score": str(e.score), "szi": views.sz(asset, e.size),
             "unrealizedPnl": fmt_usdc(e.upnl), "accountValue": fmt_usdc(e.account_value)}
            for e in step.ranking
        ]  # fmt: skip
    return out
