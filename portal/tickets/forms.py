"""The report form: what the resident typed, checked, with one message per field."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from portal.contact import normalize_mobile
from portal.directory.models import Category
from portal.i18n import N_, Translator
from portal.numbers import decimal_number
from portal.places.models import Community
from portal.places.service import GridLocator, GridMatch

DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 2000
ADDRESS_MAX = 200
NAME_MAX = 40
# Roughly Xiamen's mainland districts: a point outside cannot be in Jimei, whatever the grid says.
LAT_RANGE = (24.3, 24.95)
LNG_RANGE = (117.7, 118.4)


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Trimmed text without control characters (newlines kept where the field allows them)."""
    if not value:
        return ""
    keep = {"\n"} if multiline else set()
    text = "".join(
        ch for ch in value.replace("\r\n", "\n") if ch in keep or unicodedata.category(ch)[0] != "C"
    )
    return text.strip()


@dataclass
class ReportInput:
    """The raw text fields of the form, exactly as typed, for re-display."""

    form_key: str = ""
    category: str = ""
    description: str = ""
    lat: str = ""
    lng: str = ""
    community: str = ""
    address: str = ""
    name: str = ""
    phone: str = ""
    visibility: str = "public"
    kept_photos: str = ""


@dataclass
class CleanReport:
    category: Category
    description: str
    is_public: bool
    address: str
    name: str
    phone: str
    lat: float | None = None
    lng: float | None = None
    grid: GridMatch | None = None
    community: Community | None = None


@dataclass
class FormErrors:
    """Field id to message id (the first found), in the order the fields appear on the page, with
    the values its placeholders take."""

    messages: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, field_id: str, message: str, **values: Any) -> None:
        if field_id not in self.messages:
            self.messages[field_id] = message
            self.values[field_id] = values

    def __bool__(self) -> bool:
        return bool(self.messages)

    def translated(self, t: Translator) -> dict[str, str]:
        return {k: t.gettext(m, **self.values.get(k, {})) for k, m in self.messages.items()}


def parse_coordinate(text: str, bounds: tuple[float, float]) -> float | None:
    return decimal_number(text, *bounds)


def check_description(text: str) -> str | None:
    length = len(clean_text(text, multiline=True))
    if length == 0:
        return N_("Describe the problem.")
    if length < DESCRIPTION_MIN:
        return N_("Write at least 10 characters, so the department knows what to look for.")
    if length > DESCRIPTION_MAX:
        return N_("Keep the description under 2,000 characters.")
    return None


def check_phone(text: str) -> str | None:
    if clean_text(text) and normalize_mobile(clean_text(text)) is None:
        return N_("Enter an 11-digit mainland mobile number, like 13812345678, or leave it empty.")
    return None


def validate_report(
    raw: ReportInput,
    *,
    categories: dict[str, Category],
    communities: dict[str, Community],
    locator: GridLocator,
    errors: FormErrors,
) -> CleanReport | None:
    category = categories.get(raw.category)
    if category is None:
        errors.add("category", N_("Choose what kind of problem it is."))

    if (problem := check_description(raw.description)) is not None:
        errors.add("description", problem)

    location = check_location(raw, communities, locator, errors)

    address = clean_text(raw.address)
    if len(address) > ADDRESS_MAX:
        errors.add("address", N_("Keep the address under 200 characters."))

    name = clean_text(raw.name)
    if len(name) > NAME_MAX:
        errors.add("name", N_("Keep the name under 40 characters."))

    if (problem := check_phone(raw.phone)) is not None:
        errors.add("phone", problem)

    if raw.visibility not in {"public", "private"}:
        errors.add("visibility", N_("Choose whether other residents may see this report."))

    if location is None and not address and "location" not in errors.messages:
        errors.add(
            "location",
            N_("Tell us where the problem is: use your location, choose a community, or type an address."),
        )

    if errors or category is None:
        return None
    lat, lng, grid, community = location or (None, None, None, None)
    return CleanReport(
        category=category,
        description=clean_text(raw.description, multiline=True),
        is_public=raw.visibility == "public",
        address=address,
        name=name,
        phone=normalize_mobile(clean_text(raw.phone)) or "" if clean_text(raw.phone) else "",
        lat=lat,
        lng=lng,
        grid=grid,
        community=community,
    )


def check_location(
    raw: ReportInput,
    communities: dict[str, Community],
    locator: GridLocator,
    errors: FormErrors,
) -> tuple[float | None, float | None, GridMatch | None, Community | None] | None:
    if raw.lat.strip() or raw.lng.strip():
        lat = parse_coordinate(raw.lat.strip(), LAT_RANGE)
        lng = parse_coordinate(raw.lng.strip(), LNG_RANGE)
        grid = locator.locate(lat, lng) if lat is not None and lng is not None else None
        if grid is None:
            errors.add(
                "location",
                N_("That location is outside Jimei District. Choose your community from the list instead."),
            )
            return None
        community = next((c for c in communities.values() if c.id == grid.community_id), None)
        return lat, lng, grid, community
    if raw.community:
        community = communities.get(raw.community)
        if community is None:
            errors.add("location", N_("Choose a community from the list."))
            return None
        return None, None, None, community
    return None
