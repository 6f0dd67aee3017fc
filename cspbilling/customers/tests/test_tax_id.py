import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from cspbilling.customers.validators import (
    USCC_ALPHABET,
    uscc_check_character,
    validate_unified_social_credit_code,
)

# Published codes of real companies (China's national enterprise credit register).
REAL_CODES = [
    "91350100M000100Y43",
    "91110000802100433B",
    "911100001000128855",
    "91440300708461136T",
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_accepted(code):
    validate_unified_social_credit_code(code)
    validate_unified_social_credit_code(code.lower())


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9135010", "18 characters"),
        ("91350100M000100Y4O", "cannot appear"),
        ("91350100M000100Y44", "check character is wrong (expected 3)"),
    ],
)
def test_bad_codes_say_what_is_wrong(code, reason):
    with pytest.raises(ValidationError) as excinfo:
        validate_unified_social_credit_code(code)
    assert reason in str(excinfo.value)


prefixes = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


@given(prefix=prefixes, position=st.integers(0, 16), replacement=st.sampled_from(USCC_ALPHABET))
def test_any_single_typing_mistake_is_caught(prefix, position, replacement):
    code = prefix + uscc_check_character(prefix)
    validate_unified_social_credit_code(code)
    typo = code[:position] + replacement + code[position + 1 :]
    if typo != code:
        with pytest.raises(ValidationError):
            validate_unified_social_credit_code(typo)
