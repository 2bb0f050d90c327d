"""ListPhoneNumbersV2: the numbers callers dial (``tb.add_number``) as claimed numbers.

Each number added with ``add_number`` in E.164 form is one claimed number of
the instance: id ``id_of("phone-number", number)``, an ARN of the account
(``arn:aws:connect:REGION:ACCOUNT:phone-number/ID``), TargetArn the
instance.  Its country is read from its calling code (longest match in the
table below; +1 counts as US, since the North American plan shares it); its
type is TOLL_FREE for the toll-free codes of that plan (800, 833, 844, 855,
866, 877, 888) and the UK's 0800 / 0808, DID otherwise.  Numbers added in
another form (not E.164) are not shown: Connect has none such.
"""

from __future__ import annotations

import re
from typing import Any

from testbed.server.connect_api.dispatch import Api, operation, page
from testbed.server.connect_api.errors import ApiError

__all__ = ["country_of", "number_type"]

_E164 = re.compile(r"\+[1-9]\d{1,14}")
_TOLL_FREE = ("+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888",
              "+44800", "+44808")
#: Calling code -> ISO country, for the countries Connect claims numbers in and more.
_COUNTRIES = {
    "1": "US", "7": "RU", "20": "EG", "27": "ZA", "30": "GR", "31": "NL", "32": "BE",
    "33": "FR", "34": "ES", "36": "HU", "39": "IT", "40": "RO", "41": "CH", "43": "AT",
    "44": "GB", "45": "DK", "46": "SE", "47": "NO", "48": "PL", "49": "DE", "51": "PE",
    "52": "MX", "54": "AR", "55": "BR", "56": "CL", "57": "CO", "60": "MY", "61": "AU",
    "62": "ID", "63": "PH", "64": "NZ", "65": "SG", "66": "TH", "81": "JP", "82": "KR",
    "84": "VN", "86": "CN", "90": "TR", "91": "IN", "92": "PK", "234": "NG", "254": "KE",
    "351": "PT", "352": "LU", "353": "IE", "354": "IS", "356": "MT", "357": "CY",
    "358": "FI", "359": "BG", "370": "LT", "371": "LV", "372": "EE", "385": "HR",
    "386": "SI", "420": "CZ", "421": "SK", "852": "HK", "886": "TW", "971": "AE",
    "972": "IL", "966": "SA", "974": "QA",
}


def country_of(number: str) -> str | None:
    """The ISO country of an E.164 ``number`` by its calling code (None if unknown)."""
    digits = number[1:]
    for size in (3, 2, 1):
        country = _COUNTRIES.get(digits[:size])
        if country is not None:
            return country
    return None


def number_type(number: str) -> str:
    """TOLL_FREE or DID (see the module docstring)."""
    return "TOLL_FREE" if number.startswith(_TOLL_FREE) else "DID"


@operation("ListPhoneNumbersV2")
def list_phone_numbers(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    target = params.get("TargetArn")
    if target is not None and target != api.instance.arn:
        raise api.not_found("instance or traffic distribution group", target)
    prefix = params.get("PhoneNumberPrefix")
    if prefix is not None and not prefix.startswith("+"):
        raise ApiError("InvalidParameterException",
                       f"PhoneNumberPrefix {prefix!r} must start with + and the country code")
    countries = params.get("PhoneNumberCountryCodes")
    types = params.get("PhoneNumberTypes")
    found = []
    for number in sorted(api.tb.switchboard.numbers):
        if not _E164.fullmatch(number):
            continue
        country = country_of(number)
        kind = number_type(number)
        if (prefix is not None and not number.startswith(prefix)) \
                or (countries is not None and country not in countries) \
                or (types is not None and kind not in types):
            continue
        summary = {"PhoneNumberId": api.instance.id_of("phone-number", number),
                   "PhoneNumberArn": api.instance.arn_of("phone-number", number),
                   "PhoneNumber": number, "PhoneNumberType": kind,
                   "TargetArn": api.instance.arn, "InstanceId": api.instance.instance_id}
        if country is not None:
            summary["PhoneNumberCountryCode"] = country
        found.append(summary)
    return page(api, params, found, "ListPhoneNumbersSummaryList")
