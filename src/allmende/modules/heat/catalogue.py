"""Fixed vocabularies of the heat module: the UTCI classes with their colours, the indices it
derives and the kinds it reads, warning levels, layer kinds and device kinds. Labels are
English source strings, translated where they are shown (``N_`` only marks them)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from allmende.sdk import vocabulary

SCOPE = "heat"
#: Times are stored in UTC and shown, and days are counted, in the region's time zone.
LOCAL_ZONE = ZoneInfo("Europe/Berlin")
#: The origin of the action plan's Tasks (``sdk.actuation``).
ORIGIN = "heat.action-plan"
UCUM = "http://unitsofmeasure.org/ucum.html"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


@dataclass(frozen=True)
class UtciClass:
    """A class of the UTCI assessment scale; ``code`` as the vocabulary's stress category
    (−5 extreme cold … 0 no thermal stress … 4 extreme heat)."""

    code: int
    label: str
    low: float | None  # °C, excluded
    high: float | None  # °C, included
    colour: str  # fill of the map and the legend
    text: str  # text colour on that fill (contrast ≥ 4.5:1)

    @property
    def css_class(self) -> str:
        """The class of ``static/heat.css`` with these colours (pages may not carry style
        attributes: the content security policy allows styles from files only)."""
        return f"utci-class-{'m' if self.code < 0 else ''}{abs(self.code)}"


UTCI_CLASSES: tuple[UtciClass, ...] = (
    UtciClass(-5, N_("extreme cold stress"), None, -40.0, "#08306b", "#ffffff"),
    UtciClass(-4, N_("very strong cold stress"), -40.0, -27.0, "#08519c", "#ffffff"),
    UtciClass(-3, N_("strong cold stress"), -27.0, -13.0, "#2171b5", "#ffffff"),
    UtciClass(-2, N_("moderate cold stress"), -13.0, 0.0, "#6baed6", "#000000"),
    UtciClass(-1, N_("slight cold stress"), 0.0, 9.0, "#c6dbef", "#000000"),
    UtciClass(0, N_("no thermal stress"), 9.0, 26.0, "#a1d99b", "#000000"),
    UtciClass(1, N_("moderate heat stress"), 26.0, 32.0, "#fed976", "#000000"),
    UtciClass(2, N_("strong heat stress"), 32.0, 38.0, "#fd8d3c", "#000000"),
    UtciClass(3, N_("very strong heat stress"), 38.0, 46.0, "#e31a1c", "#ffffff"),
    UtciClass(4, N_("extreme heat stress"), 46.0, None, "#800026", "#ffffff"),
)
CLASS_BY_CODE = {c.code: c for c in UTCI_CLASSES}


# --- what the module reads and derives ------------------------------------------------------


@dataclass(frozen=True)
class Derived:
    """A Datastream the module adds to a station Thing."""

    key: str
    name: str
    definition: str
    observed_property: str
    unit_name: str
    unit_symbol: str
    description: str
    decimals: int = 1


NOT_DWD = (
    "It is not the German weather service's perceived temperature (Gefühlte Temperatur), "
    "which is a different model."
)
DERIVED: dict[str, Derived] = {
    "mrt": Derived(
        "mrt",
        "Mean radiant temperature",
        vocabulary.MEAN_RADIANT_TEMPERATURE,
        "Mean radiant temperature",
        "degree Celsius",
        "Cel",
        "Mean radiant temperature of a standing person, derived by Allmende: from the globe "
        "temperature per ISO 7726 where one is measured, else estimated from global radiation "
        "and the position of the sun (six-directional method after Thorsson et al. 2007); "
        "the method of each value is in its parameters.",
    ),
    "utci": Derived(
        "utci",
        "UTCI",
        vocabulary.UTCI,
        "Universal Thermal Climate Index",
        "degree Celsius",
        "Cel",
        "Universal Thermal Climate Index (Bröde et al. 2012) from air temperature, mean radiant "
        "temperature, wind 10 m above ground and humidity, derived by Allmende. " + NOT_DWD,
    ),
    "utci-category": Derived(
        "utci-category",
        "UTCI stress category",
        vocabulary.UTCI_STRESS_CATEGORY,
        "UTCI stress category",
        "dimensionless",
        "1",
        "Class of the UTCI assessment scale: −5 extreme cold stress … 0 no thermal stress … "
        "4 extreme heat stress, derived by Allmende.",
        0,
    ),
    "heat-index": Derived(
        "heat-index",
        "Heat index",
        vocabulary.HEAT_INDEX,
        "Heat index",
        "degree Celsius",
        "Cel",
        "Heat index of the US National Weather Service (Rothfusz regression with the NWS's "
        "adjustments) from air temperature and humidity, from 27 °C on, derived by Allmende.",
    ),
    "apparent-temperature": Derived(
        "apparent-temperature",
        "Apparent temperature",
        vocabulary.APPARENT_TEMPERATURE,
        "Apparent temperature",
        "degree Celsius",
        "Cel",
        "Apparent temperature after Steadman (1994) from air temperature, humidity and wind "
        "10 m above ground, derived by Allmende.",
    ),
}

#: The kinds a station's Datastreams are recognised by (their ObservedProperty definition).
INPUTS: dict[str, str] = {
    "ta": vocabulary.AIR_TEMPERATURE,
    "rh": vocabulary.RELATIVE_HUMIDITY,
    "wind": vocabulary.WIND_SPEED,
    "ghi": vocabulary.GLOBAL_RADIATION,
    "globe": vocabulary.GLOBE_TEMPERATURE,
    "mrt": vocabulary.MEAN_RADIANT_TEMPERATURE,
}
#: Which inputs give which index (``mrt`` is measured, from a globe, or estimated).
RECIPES: dict[str, tuple[tuple[str, ...], ...]] = {
    "heat-index": (("ta", "rh"),),
    "apparent-temperature": (("ta", "rh", "wind"),),
    "mrt": (("ta", "globe", "wind"), ("ta", "rh", "ghi")),
    "utci": (
        ("ta", "rh", "wind", "mrt"),
        ("ta", "rh", "wind", "globe"),
        ("ta", "rh", "wind", "ghi"),
    ),
}


# --- warnings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    key: str
    label: str
    rank: int
    severity: str  # CAP 1.2 severity
    headline_de: str
    headline_en: str
    advice_de: str
    advice_en: str


LEVELS: dict[str, Level] = {
    "strong": Level(
        "strong",
        N_("Strong heat stress"),
        1,
        "Severe",
        "Starke Wärmebelastung",
        "Strong heat stress",
        "Trinken Sie regelmäßig Wasser, auch ohne Durst. Meiden Sie Anstrengung in der Mittags- "
        "und Nachmittagshitze, bleiben Sie im Schatten und lüften Sie nachts und früh am Morgen. "
        "Achten Sie auf ältere und kranke Menschen, Kleinkinder und Schwangere in Ihrer Nähe; "
        "lassen Sie niemanden im geparkten Auto. Kühle Orte und Trinkbrunnen zeigt die Karte.",
        "Drink water regularly, even when you are not thirsty. Avoid exertion in the midday and "
        "afternoon heat, stay in the shade and air your home at night and early in the morning. "
        "Look after older and ill people, small children and pregnant women near you; never "
        "leave anyone in a parked car. The map shows cool places and drinking fountains.",
    ),
    "extreme": Level(
        "extreme",
        N_("Extreme heat stress"),
        2,
        "Extreme",
        "Extreme Wärmebelastung",
        "Extreme heat stress",
        "Gefahr für die Gesundheit aller. Bleiben Sie von 11 bis 18 Uhr möglichst in kühlen "
        "Räumen, trinken Sie reichlich und verschieben Sie körperliche Arbeit und Sport. "
        "Besuchen oder rufen Sie täglich Menschen an, die allein leben. Bei Verwirrtheit, "
        "Bewusstseinstrübung oder hohem Fieber: Notruf 112. Kühle Orte und Trinkbrunnen zeigt "
        "die Karte.",
        "A danger to everyone's health. Stay in cool rooms from 11 am to 6 pm if you can, drink "
        "plenty and put off physical work and sport. Visit or phone people who live alone every "
        "day. In case of confusion, drowsiness or a high fever, call 112. The map shows cool "
        "places and drinking fountains.",
    ),
}
#: The durable events (``sdk.publish``) of warnings.
WARNING_STARTED = "heat.warning.started"
WARNING_CHANGED = "heat.warning.changed"
WARNING_ENDED = "heat.warning.ended"
#: Shares of a district that must exceed a threshold (the district's quantile 1 − share).
AREA_SHARES = (0.5, 0.25, 0.1, 0.05)


# --- land cover ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerKind:
    key: str
    label: str
    form: str  # "raster" or "vector"
    hint: str


LAYER_KINDS: dict[str, LayerKind] = {
    k.key: k
    for k in (
        LayerKind(
            "impervious",
            N_("Imperviousness (sealed share)"),
            "raster",
            N_(
                "GeoTIFF, the sealed share of each cell in percent (0–100) or as a fraction "
                "(0–1), e.g. Copernicus' imperviousness density."
            ),
        ),
        LayerKind(
            "canopy",
            N_("Tree canopy"),
            "raster",
            N_("GeoTIFF, crown cover of each cell in percent (0–100) or as a fraction (0–1)."),
        ),
        LayerKind(
            "building-height",
            N_("Building heights"),
            "raster",
            N_("GeoTIFF, height above ground in metres (0 where there is no building)."),
        ),
        LayerKind(
            "elevation",
            N_("Terrain"),
            "raster",
            N_("GeoTIFF, terrain height in metres (a digital terrain model)."),
        ),
        LayerKind(
            "buildings",
            N_("Buildings"),
            "vector",
            N_(
                "GeoPackage or GeoJSON, polygons; height from an attribute height_m, height, "
                "hoehe, or storeys/geschosse (×3 m)."
            ),
        ),
        LayerKind(
            "trees",
            N_("Trees"),
            "vector",
            N_("GeoPackage or GeoJSON, points; crown_diameter_m and height_m if known."),
        ),
        LayerKind("water", N_("Water bodies"), "vector", N_("GeoPackage or GeoJSON, polygons.")),
        LayerKind(
            "green", N_("Parks and green spaces"), "vector", N_("GeoPackage or GeoJSON, polygons.")
        ),
        LayerKind(
            "paved",
            N_("Sealed squares and roads"),
            "vector",
            N_("GeoPackage or GeoJSON, polygons."),
        ),
    )
}
#: Object types of the object register (collection keywords) and what they give the map.
OBJECT_LAND_COVER = {
    "tree": "trees",
    "building": "buildings",
    "water_body": "water",
    "green_space": "green",
    "playground": "green",
    "public_space": "paved",
}
#: Object types shown on the map of cool places.
COOL_PLACE_TYPES = {
    "cool_place": N_("Cool place"),
    "drinking_fountain": N_("Drinking fountain"),
    "shade": N_("Shade"),
}


# --- action plan ---------------------------------------------------------------------------

DEVICE_KINDS = {
    "misting": N_("Misting system"),
    "fountain": N_("Fountain"),
    "shading": N_("Shading"),
    "cooling-room": N_("Cooling room"),
    "other": N_("Other device"),
}
SWITCH_ACTIONS = {"on": N_("switched on"), "off": N_("switched back")}
