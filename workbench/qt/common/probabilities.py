"""Probabilities as the pages write them: every digit shown is true, and 0 or 100% means exactly that."""

from __future__ import annotations


def format_prob(prob: float) -> str:
    """A probability as a number: three decimals, or two significant digits below 0.001 (never 0.000)."""
    return f"{prob:.3f}" if prob >= 0.001 or prob == 0 else f"{prob:.1e}"


def percent(prob: float, decimals: int = 1) -> str:
    """A probability as a percentage that reads 0% or 100% only when it is exactly that: a token the filters
    kept is not "0.0%" (which the fork popup's Final column says for a token filtered out), nor is a
    near-certain one "100.0%"."""
    if prob <= 0 or prob >= 1:
        return f"{prob:.0%}"
    shown, smallest = prob * 100, 10.0**-decimals
    if shown < smallest:
        return f"{shown:.2g}%" if shown >= 0.001 else "<0.001%"
    if round(shown, decimals) >= 100:
        return f">{100 - smallest:.{decimals}f}%"
    return f"{shown:.{decimals}f}%"
