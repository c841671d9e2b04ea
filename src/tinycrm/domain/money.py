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
# The ISO 4217 codes in use (with the funds and metals codes the standard lists); kept here,
# not taken from a package, so that checking a code costs nothing to import.
_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP
    DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR
    IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD
    MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB
    PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS
    VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA
    XXX YER ZAR ZMW ZWG ZWL
"""
CURRENCIES = tuple(_CODES.split())
# The most used currencies, offered first when a mistyped code is near several.
_COMMON = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "INR", "SEK", "NOK", "DKK")
# Where people see the codes: the hint of every refused code names it.
LIST_HINT = "crm list currencies shows them all"
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
    """Return an ISO 4217 currency code in upper case, or raise ValidationError (with the
    nearest codes for a near miss). Only what people type is checked: a stored code outside
    the list still loads and shows."""
    code = code.strip().upper()
    if code in CURRENCIES:
        return code
    near = near_currencies(code)
    guess = f"did you mean {' or '.join(near)}? " if near else ""
    raise ValidationError(
        f"not a currency code: {code!r}",
        hint=f"{guess}use an ISO 4217 code such as USD, EUR, GBP ({LIST_HINT})",
    )


def near_currencies(code: str) -> list[str]:
    """Return at most three codes a mistyped one is near: its letters swapped first ('UDS'
    for USD), then one letter wrong ('EUD' for EUR), the most used currencies first."""
    code = code.upper()
    if len(code) != 3:
        return []
    swapped = [c for c in CURRENCIES if c != code and sorted(c) == sorted(code)]
    one_off = [c for c in CURRENCIES if sum(a != b for a, b in zip(c, code, strict=True)) == 1]
    rank = {c: i for i, c in enumerate(_COMMON)}
    ordered = swapped + sorted(one_off, key=lambda c: (rank.get(c, len(rank)), c))
    return list(dict.fromkeys(ordered))[:3]


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
