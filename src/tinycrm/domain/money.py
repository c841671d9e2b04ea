"""Money as integer minor units plus an ISO 4217 code; parsing what people type."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from tinycrm.errors import ValidationError

# Currencies whose minor unit is not a hundredth.
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
_AMOUNT = re.compile(
    r"^(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?P<suffix>[km]?)$"
)
_EXAMPLES = "5000, 5,000, 5000.50, 5k or 1.2m"
# The largest amount, in whole units of any currency: a trillion keeps every sum of amounts
# (reports add thousands of them) far inside the 64 bits a database integer holds.
LARGEST = 10**12


def exponent(currency: str) -> int:
    """Return how many decimal places the currency's minor unit has."""
    return _EXPONENTS.get(currency, 2)


def check_currency(code: str) -> str:
    """Return an upper-case three-letter currency code, or raise ValidationError."""
    code = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValidationError(
            f"not a currency code: {code!r}", hint="use an ISO 4217 code such as USD, EUR, GBP"
        )
    return code


def parse_money(text: str, currency: str) -> int:
    """Read an amount such as '5k' into minor units of `currency`; refuse anything inexact."""
    raw = text.strip().lower().replace(" ", "").replace("_", "")
    match = _AMOUNT.match(raw)
    if not match:
        raise ValidationError(f"not an amount: {text!r}", hint=f"write it like {_EXAMPLES}")
    try:
        amount = Decimal(match["num"].replace(",", ""))
    except InvalidOperation:
        raise ValidationError(
            f"not an amount: {text!r}", hint=f"write it like {_EXAMPLES}"
        ) from None
    amount *= {"": 1, "k": 1_000, "m": 1_000_000}[match["suffix"]]
    if amount > LARGEST:
        raise ValidationError(
            f"the amount {text!r} is too large", hint=f"amounts go up to {LARGEST:,}"
        )
    minor = amount * (10 ** exponent(currency))
    if minor != minor.to_integral_value():
        raise ValidationError(
            f"{text!r} has more decimals than {currency} allows",
            hint=f"{currency} has {exponent(currency)} decimal places",
        )
    return int(minor)


def format_money(minor: int | None, currency: str, symbol: bool = True) -> str:
    """Render minor units for people: '$5,000.00', '12,000 JPY'."""
    if minor is None:
        return ""
    exp = exponent(currency)
    value = Decimal(minor) / (10**exp) if exp else Decimal(minor)
    number = f"{value:,.{exp}f}"
    sign = _SYMBOLS.get(currency) if symbol else None
    return f"{sign}{number}" if sign else f"{number} {currency}"


def to_decimal_text(minor: int | None, currency: str) -> str | None:
    """Render minor units as a plain decimal string ('5000.00') for JSON and CSV."""
    if minor is None:
        return None
    exp = exponent(currency)
    if not exp:
        return str(minor)
    whole, part = divmod(abs(minor), 10**exp)
    return f"{'-' if minor < 0 else ''}{whole}.{part:0{exp}d}"


_UNITS = ((10**3, "k"), (10**6, "M"), (10**9, "B"), (10**12, "T"))


def short_money(minor: int, currency: str) -> str:
    """Render money in at most three or four figures, where room is short: "$750", "$7.5k",
    "$68.5k", "$681k", "€5.2M", "$30.5M", "68.5k CHF". Amounts are rounded to whole units,
    then to a tenth of a thousand, million… (half up); nothing is ever cut off."""
    scale = 10 ** exponent(currency)
    whole = (abs(minor) * 2 + scale) // (2 * scale)
    number = str(whole)
    if whole >= 1000:
        for unit, suffix in _UNITS:
            tenths = (whole * 20 + unit) // (2 * unit)
            if tenths < 1000:
                number = f"{tenths // 10}.{tenths % 10}".removesuffix(".0") + suffix
                break
            units = (whole * 2 + unit) // (2 * unit)
            if units < 1000 or suffix == "T":
                number = f"{units}{suffix}"
                break
    minus = "-" if minor < 0 and whole else ""
    sign = _SYMBOLS.get(currency)
    return f"{minus}{sign}{number}" if sign else f"{minus}{number} {currency}"
