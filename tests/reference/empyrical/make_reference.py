"""Reference values for performance-analytics' risk statistics, computed by empyrical.

Run from the repository root, in a virtual environment made with requirements.txt:

    python3 -m venv /tmp/emp && /tmp/emp/bin/pip install -r tests/reference/empyrical/requirements.txt
    /tmp/emp/bin/python tests/reference/empyrical/make_reference.py

It writes tests/reference/empyrical/reference.json: each case's daily returns (and benchmark
returns), the risk-free rate per session, and what empyrical computes on them. Floats are
written with repr(), which reads back as the same float64. NaN and infinities are null.
"""

import csv
import json
import math
import random
from decimal import Decimal
from pathlib import Path

import empyrical as ep
import numpy as np

HERE = Path(__file__).parent
ROOT = HERE.parent.parent.parent
RISK_FREE = 0.065 / 252  # [jobs.performance-analytics] risk_free_rate's default, per session


def number(x):
    x = float(x)
    return x if math.isfinite(x) else None


def expected(returns, factor, risk_free):
    r = np.asarray(returns, dtype="float64")
    out = {
        "cumulative_return": number(ep.cum_returns_final(r)) if len(r) else None,
        "annual_return": number(ep.annual_return(r)),
        "annual_volatility": number(ep.annual_volatility(r)),
        "sharpe": number(ep.sharpe_ratio(r, risk_free=risk_free)),
        "sortino": number(ep.sortino_ratio(r, required_return=risk_free)),
        "max_drawdown": number(ep.max_drawdown(r)),
        "calmar": number(ep.calmar_ratio(r)),
        "alpha": None,
        "beta": None,
    }
    if factor is not None and len(r):
        f = np.asarray(factor, dtype="float64")
        alpha, beta = ep.alpha_beta_aligned(r, f, risk_free=risk_free)
        out["alpha"], out["beta"] = number(alpha), number(beta)
    return out


def synthetic_factor(returns, seed):
    """A benchmark correlated with `returns`: 0.6 of it plus noise from a fixed seed."""
    rng = random.Random(seed)
    return [0.6 * x + rng.gauss(0.0, 0.008) for x in returns]


def hdfclife_returns():
    """Close-to-close returns of the real HDFCLIFE series in tests/fixtures/talib."""
    with open(ROOT / "tests/fixtures/talib/hdfclife.csv", newline="") as f:
        closes = [float(row["close"]) for row in csv.DictReader(f)]
    return [b / a - 1.0 for a, b in zip(closes, closes[1:])]


def trade_list():
    """A synthetic trade list over 30 sessions in two symbols, two strategies: longs, a short,
    partial closes, charges on each fill. Marked FIFO here, independently of the Rust code,
    to the portfolio's daily returns."""
    rng = random.Random(16)
    days = []
    # 30 weekdays from Monday 2026-10-05 (no holiday needed: the test gives the days).
    import datetime as dt

    day = dt.date(2026, 10, 5)
    while len(days) < 30:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    closes = {}
    for symbol, start in (("INFY", Decimal("1500.00")), ("TCS", Decimal("3400.00"))):
        price = start
        for day in days:
            price = (price * Decimal(1 + rng.gauss(0.0005, 0.015))).quantize(Decimal("0.05"))
            closes[(symbol, day)] = price
    trades = []
    n = 0
    plan = [
        (0, "INFY", "BUY", 40, "momentum"),
        (2, "INFY", "BUY", 20, "momentum"),
        (3, "TCS", "SELL", 10, "swing"),
        (6, "INFY", "SELL", 30, "momentum"),
        (8, "TCS", "BUY", 4, "swing"),
        (10, "TCS", "BUY", 6, "swing"),
        (11, "INFY", "SELL", 30, "momentum"),
        (13, "TCS", "BUY", 15, "swing"),
        (15, "INFY", "BUY", 25, "momentum"),
        (18, "TCS", "SELL", 15, "swing"),
        (21, "INFY", "SELL", 10, "momentum"),
        (24, "INFY", "SELL", 15, "momentum"),
        (26, "TCS", "SELL", 5, "swing"),
        (29, "TCS", "BUY", 5, "swing"),
    ]
    for i, symbol, side, qty, strategy in plan:
        n += 1
        close = closes[(symbol, days[i])]
        price = (close * Decimal(1 + rng.uniform(-0.004, 0.004))).quantize(Decimal("0.05"))
        charges = (price * qty * Decimal("0.0012")).quantize(Decimal("0.01"))
        trades.append(
            {
                "trade_id": str(1000 + n),
                "date": days[i].isoformat(),
                "symbol": symbol,
                "side": side,
                "quantity": qty,
                "price": str(price),
                "charges": str(charges),
                "strategy": strategy,
            }
        )
    capital = Decimal("1000000")
    # Equity = capital + cash + Σ position × close; the return of a day is its P&L over the
    # previous day's equity (no cash flows here).
    cash = Decimal(0)
    position = {"INFY": 0, "TCS": 0}
    prev = capital
    returns = []
    for day in days:
        for t in trades:
            if t["date"] != day.isoformat():
                continue
            signed = t["quantity"] if t["side"] == "BUY" else -t["quantity"]
            cash -= Decimal(t["price"]) * signed + Decimal(t["charges"])
            position[t["symbol"]] += signed
        value = sum(Decimal(q) * closes[(s, day)] for s, q in position.items())
        equity = capital + cash + value
        returns.append(float((equity - prev) / prev))
        prev = equity
    return {
        "days": [d.isoformat() for d in days],
        "capital": str(capital),
        "closes": [[s, d.isoformat(), str(c)] for (s, d), c in closes.items()],
        "trades": trades,
        "returns": returns,
    }


def main():
    real = hdfclife_returns()
    cases = [
        {
            "name": "hdfclife",
            "source": "close-to-close returns of tests/fixtures/talib/hdfclife.csv (real NSE closes, see its README); benchmark synthetic (0.6 x returns + N(0, 0.008), seed 50)",
            "returns": real,
            "factor": synthetic_factor(real, 50),
        },
        {"name": "no trades", "returns": [], "factor": []},
        {"name": "one day", "returns": [0.0123], "factor": [0.004]},
        {"name": "all wins", "returns": [0.01, 0.002, 0.015, 0.004, 0.007], "factor": [0.004, -0.002, 0.01, 0.0, 0.003]},
        {"name": "all losses", "returns": [-0.01, -0.002, -0.015, -0.004, -0.007], "factor": [-0.004, 0.002, -0.01, 0.001, -0.003]},
        {"name": "zero volatility", "returns": [0.001] * 10, "factor": [0.002, -0.001] * 5},
    ]
    trades = trade_list()
    cases.append(
        {
            "name": "trade list",
            "source": "synthetic trades marked FIFO by this script",
            "returns": trades["returns"],
            "factor": synthetic_factor(trades["returns"], 51),
        }
    )
    for case in cases:
        case["risk_free"] = RISK_FREE
        case["expected"] = expected(case["returns"], case["factor"], RISK_FREE)
    out = {
        "generator": "tests/reference/empyrical/make_reference.py",
        "empyrical": ep.__version__,
        "numpy": np.__version__,
        "cases": cases,
        "trade_list": trades,
    }
    (HERE / "reference.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
