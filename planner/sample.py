"""Sample provinces: real 2025 geography with seeded synthetic officials, equipment and buildings.

The new communes (code, name, type, area, population, polygon centroid) and their predecessor units
are real (planner/reference, derived from ../shared/data/vn_admin by `derive_reference`; see
data/README.md). Everything that is not public (where old offices stand, officials, equipment,
buildings, budgets) is drawn from a numpy Generator seeded with (seed, province code), so the same
arguments always give the same tables.
"""

from __future__ import annotations

import difflib
import unicodedata
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import vocab
from .dataset import Dataset
from .derived import equipment_demand, per_item_parameters
from .geo import haversine_km
from .norms import headcount_ceilings, resolve_staffing_norms
from .scenario import Scenario
from .schema import load_schema

REFERENCE_DIR = Path(__file__).parent / "reference"
LON_BOUNDS = (load_schema()["communes"].column("lon").min, load_schema()["communes"].column("lon").max)
LAT_BOUNDS = (load_schema()["communes"].column("lat").min, load_schema()["communes"].column("lat").max)
DEFAULT_OFFICIALS_PER_COMMUNE = 42.4  # Lào Cai: 4,195 commune-level officials for 99 communes
DISTRICT_STAFF_SHARE = 0.13  # share of non-leader officials who worked in the abolished district offices
KM_PER_DEG_LAT = 110.574

# ---------------------------------------------------------------------------------------------
# Reference data (derived once from ../shared/data/vn_admin; users only have the derived files)
# ---------------------------------------------------------------------------------------------

COMMUNE_COLUMNS = ["province_code", "province_name", "commune_code", "commune_name", "commune_type", "area_km2",
                   "area_from_polygon", "population", "population_imputed", "lon", "lat"]
PREDECESSOR_COLUMNS = ["commune_code", "seq", "old_ward_code", "old_unit_name", "old_unit_type", "partial",
                       "old_district_name", "old_province_name"]


def derive_reference(source_dir: str | Path, out_dir: str | Path = REFERENCE_DIR) -> list[Path]:
    """Write the compact communes/predecessors files the generator needs from the vn_admin folder.

    Area falls back to the boundary polygon's area (flag area_from_polygon). Missing population is
    imputed as the province's median density x area (flag population_imputed); special zones without
    a published area (their polygons include sea) get the median population of the small island
    special zones instead.
    """
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    com = pd.read_csv(source_dir / "communes_2025.csv")
    pred = pd.read_csv(source_dir / "predecessors_2025.csv")

    com["area_from_polygon"] = com["area_km2"].isna()
    com["area_km2"] = com["area_km2"].fillna(com["polygon_area_km2"])
    known = com["population"].notna() & (com["area_km2"] > 0)
    density = (com.loc[known, "population"] / com.loc[known, "area_km2"]).groupby(com.loc[known, "province_code"]).median()
    islands = known & (com["commune_type"] == "dac_khu") & (com["area_km2"] < 100)
    island_population = com.loc[islands, "population"].median()
    com["population_imputed"] = com["population"].isna()
    imputed = com["province_code"].map(density) * com["area_km2"]
    imputed = imputed.where(~(com["area_from_polygon"] & (com["commune_type"] == "dac_khu")), island_population)
    com["population"] = com["population"].fillna(imputed).round().astype(int)
    com["area_km2"] = com["area_km2"].round(2)
    com = com[COMMUNE_COLUMNS].sort_values(["province_code", "commune_code"])

    prefix = {"xa": "Xã", "phuong": "Phường", "thi_tran": "Thị trấn", "huyen": "Huyện"}
    from_text = pred["old_unit_type"].map(prefix).fillna("") + " " + pred["old_unit_name"]
    from_text = from_text.str.strip().where(pred["old_unit_type"] != "other", pred["raw_token"])
    pred["old_unit_name"] = pred["old_ward_name"].fillna(from_text)
    pred["old_ward_code"] = pred["old_ward_code"].astype("Int64")
    pred = pred[PREDECESSOR_COLUMNS].sort_values(["commune_code", "seq"])

    out_dir.mkdir(parents=True, exist_ok=True)
    gzip = {"method": "gzip", "mtime": 0}  # mtime 0: same input, same bytes
    paths = [out_dir / "communes.csv.gz", out_dir / "predecessors.csv.gz"]
    com.to_csv(paths[0], index=False, compression=gzip)
    pred.to_csv(paths[1], index=False, compression=gzip)
    return paths


@cache
def _reference() -> tuple[pd.DataFrame, pd.DataFrame]:
    communes = pd.read_csv(REFERENCE_DIR / "communes.csv.gz")
    predecessors = pd.read_csv(REFERENCE_DIR / "predecessors.csv.gz", dtype={"old_ward_code": "Int64"})
    return communes, predecessors


def province_names() -> list[str]:
    """The 34 province names, in official code order."""
    communes, _ = _reference()
    return communes.drop_duplicates("province_code").sort_values("province_code")["province_name"].tolist()


def _fold(text: str) -> str:
    """Lower case without accents or 'Tỉnh'/'Thành phố' prefixes, for forgiving name matching."""
    text = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = " ".join(text.replace(".", " ").split())
    for prefix in ("thanh pho ", "tinh ", "tp "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    for suffix in (" city", " province"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return PROVINCE_ALIASES.get(text, text)


PROVINCE_ALIASES = {"hcm": "ho chi minh", "tphcm": "ho chi minh", "hcmc": "ho chi minh", "sai gon": "ho chi minh",
                    "saigon": "ho chi minh", "hn": "ha noi", "hanoi": "ha noi", "da nang": "da nang"}


def resolve_province(province: str | int) -> tuple[int, str]:
    """(code, official name) of a province given by name (any case, with or without accents) or code."""
    communes, _ = _reference()
    provinces = communes.drop_duplicates("province_code").sort_values("province_code")
    codes = dict(zip(provinces["province_code"], provinces["province_name"]))
    text = str(province).strip()
    if text.isdigit() and int(text) in codes:
        return int(text), codes[int(text)]
    by_fold = {_fold(name): code for code, name in codes.items()}
    if _fold(text) in by_fold:
        code = by_fold[_fold(text)]
        return int(code), codes[code]
    close = difflib.get_close_matches(_fold(text), list(by_fold), n=4, cutoff=0.5)
    hint = ", ".join(codes[by_fold[c]] for c in close) or ", ".join(codes.values())
    raise KeyError(f"unknown province {text!r}; did you mean: {hint}? (planner sample --list shows all 34)")


# ---------------------------------------------------------------------------------------------
# Geometry helpers
# ---------------------------------------------------------------------------------------------

def _offset(lon, lat, east_km, north_km):
    """Points moved by (east, north) km; small-distance approximation."""
    lat = np.asarray(lat, float)
    return (np.asarray(lon, float) + np.asarray(east_km) / (111.320 * np.cos(np.radians(lat))),
            lat + np.asarray(north_km) / KM_PER_DEG_LAT)


def _random_in_disc(rng, lon, lat, radius_km):
    """One uniform random point in a disc of radius_km around each (lon, lat)."""
    n = len(np.atleast_1d(lon))
    r = np.asarray(radius_km, float) * np.sqrt(rng.random(n))
    angle = rng.random(n) * 2 * np.pi
    return _offset(lon, lat, r * np.cos(angle), r * np.sin(angle))


def _jitter(rng, lon, lat, sd_km):
    n = len(np.atleast_1d(lon))
    return _offset(lon, lat, rng.normal(0, sd_km, n), rng.normal(0, sd_km, n))


def _inside(lon, lat):
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return (lon >= LON_BOUNDS[0]) & (lon <= LON_BOUNDS[1]) & (lat >= LAT_BOUNDS[0]) & (lat <= LAT_BOUNDS[1])


def _keep_inside(lon, lat, ref_lon, ref_lat):
    """Clip synthetic points into the schema's bounding box when their real reference point is inside it
    (random offsets must not push a border commune's offices out of Vietnam)."""
    inside = _inside(ref_lon, ref_lat)
    lon = np.where(inside, np.clip(lon, *LON_BOUNDS), lon)
    lat = np.where(inside, np.clip(lat, *LAT_BOUNDS), lat)
    return np.round(lon, 5), np.round(lat, 5)


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to weights that sum exactly to total (ties broken by position)."""
    weights = np.asarray(weights, float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), int)
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(int)
    order = np.lexsort((np.arange(len(weights)), -(exact - counts)))
    counts[order[: total - counts.sum()]] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# Synthetic tables
# ---------------------------------------------------------------------------------------------

KIND_OF_TYPE = {"xa": "xa", "phuong": "phuong", "thi_tran": "thi_tran", "huyen": "other", "other": "other"}
STAFFED_KINDS = ("xa", "phuong", "thi_tran")

# Field mix of current staff (weights, normalised). Commune offices: the standard civil-servant titles
# are common, accounting and IT scarce; district offices: more finance, IT, education, health.
COMMUNE_FIELD_MIX = {
    "party_mass": 15, "office": 13, "land_environment": 11, "culture_social": 11, "justice_civil_status": 9,
    "construction_transport": 7, "agriculture": 9, "military": 8, "public_service_centre": 8,
    "accounting_finance": 3.2, "it_digital": 1.2, "education": 2, "health": 1.8,
}
DISTRICT_FIELD_MIX = {
    "party_mass": 14, "office": 14, "land_environment": 10, "culture_social": 9, "justice_civil_status": 7,
    "construction_transport": 9, "agriculture": 8, "military": 4, "public_service_centre": 5,
    "accounting_finance": 8, "it_digital": 4, "education": 5, "health": 4,
}
SECONDARY_FIELD_MIX = {
    "office": 22, "culture_social": 16, "party_mass": 16, "public_service_centre": 4, "justice_civil_status": 9,
    "land_environment": 9, "accounting_finance": 2, "it_digital": 1, "construction_transport": 6,
    "agriculture": 6, "education": 2, "health": 1,
}
QUALIFICATIONS = ["secondary", "college", "bachelor", "master", "doctor"]
GRADES = ["clerk", "specialist", "principal_specialist", "senior_specialist"]
QUALIFICATION_MIX = {"commune": [5, 10, 78, 7, 0], "district": [0, 2, 65, 32, 1], "leader": [0, 0, 55, 44, 1]}
GRADE_MIX = {"commune": [15, 75, 10, 0], "district": [0, 50, 45, 5], "leader": [0, 30, 60, 10]}

FAMILY_NAMES = {
    "Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 4, "Huỳnh": 1.5, "Vũ": 3.5, "Võ": 1.5, "Đặng": 2,
    "Bùi": 2, "Đỗ": 1.5, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1, "Lý": 0.5, "Phan": 2, "Đinh": 0.8, "Trịnh": 0.6,
}
MINORITY_FAMILY_NAMES = {
    "tay_nung": ["Hoàng", "Nông", "Lương", "Lộc", "Triệu", "Vi", "Hà", "Ma", "Đàm", "Chu", "Lăng", "Hứa", "Lành"],
    "northwest": ["Lò", "Cầm", "Quàng", "Giàng", "Vàng", "Tòng", "Lường", "Sùng", "Thào", "Mùa", "Lý", "Hầu"],
    "lao_cai": ["Hoàng", "Giàng", "Vàng", "Sùng", "Bàn", "Lò", "Triệu", "Thào", "Hà", "Lý", "Tẩn", "Nông", "Chảo",
                "Lương", "Mùa", "Hầu"],
    "muong": ["Bùi", "Đinh", "Quách", "Xa", "Hà"],
    "highlands": ["Ksor", "Siu", "Rơ Châm", "Nay", "Rah Lan", "Kpă"],
    "khmer": ["Thạch", "Danh", "Sơn", "Kim", "Lâm", "Châu"],
}
# (share of officials with an ethnic-minority family name, name group) per province; others: none.
MINORITY_NAMES_BY_PROVINCE = {
    "Cao Bằng": (0.8, "tay_nung"), "Lạng Sơn": (0.7, "tay_nung"), "Tuyên Quang": (0.45, "tay_nung"),
    "Thái Nguyên": (0.25, "tay_nung"), "Lào Cai": (0.5, "lao_cai"), "Lai Châu": (0.6, "northwest"),
    "Điện Biên": (0.6, "northwest"), "Sơn La": (0.6, "northwest"), "Phú Thọ": (0.15, "muong"),
    "Gia Lai": (0.15, "highlands"), "Đắk Lắk": (0.15, "highlands"), "Lâm Đồng": (0.1, "highlands"),
    "An Giang": (0.08, "khmer"), "Thành phố Cần Thơ": (0.1, "khmer"), "Vĩnh Long": (0.1, "khmer"),
}
MIDDLE_NAMES = {"male": ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thanh", "Ngọc", "Xuân", "Mạnh", "Tiến"],
                "female": ["Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Minh", "Hồng", "Kim", "Phương"]}
GIVEN_NAMES = {
    "male": ["Hùng", "Dũng", "Tuấn", "Hải", "Long", "Nam", "Thắng", "Sơn", "Cường", "Hiếu", "Phong", "Quân",
             "Trung", "Khánh", "Bình", "Hòa", "Toàn", "Tùng", "Vinh", "Đạt", "Huy", "Thành", "Lâm", "Kiên", "Tú",
             "Hưng", "Việt", "Quý", "Chiến", "Thịnh", "Lợi", "Tâm", "Phúc", "Đông", "Khải"],
    "female": ["Lan", "Hương", "Hoa", "Mai", "Linh", "Thảo", "Trang", "Nga", "Hằng", "Hạnh", "Huyền", "Ngọc",
               "Yến", "Phương", "Thủy", "Dung", "Nhung", "Oanh", "Vân", "Hà", "Loan", "Thu", "Hiền", "Giang",
               "Liên", "Duyên", "Tuyết", "Quyên", "Anh", "Thúy"],
}
OTHER_BUILDINGS = [("Nhà văn hóa", 200, 600), ("Trường tiểu học cũ", 400, 1200), ("Nhà khách", 250, 800),
                   ("Trạm y tế cũ", 150, 400), ("Nhà kho - hội trường", 200, 700)]


def _mix(rng, mix: dict, n: int) -> np.ndarray:
    keys = list(mix)
    weights = np.array([mix[k] for k in keys], float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=weights / weights.sum())]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _strip_prefix(name: str) -> str:
    for prefix in ("Thành phố ", "Thị trấn ", "Thị xã ", "Huyện ", "Quận ", "Phường ", "Xã "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _communes(ref: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "code": ref["commune_code"].to_numpy(), "name": ref["commune_name"].to_numpy(),
        "type": ref["commune_type"].to_numpy(), "area_km2": ref["area_km2"].to_numpy(),
        "population": ref["population"].to_numpy(), "lon": ref["lon"].to_numpy(), "lat": ref["lat"].to_numpy(),
    })


def _district_labels(pred: pd.DataFrame) -> pd.Series:
    """Former district of every predecessor row; a name used in two old provinces gets the province added."""
    district = pred["old_district_name"]
    usual = pred.assign(d=district).dropna(subset=["d"]).groupby("commune_code")["d"].agg(lambda s: s.mode().iloc[0])
    district = district.fillna(pred["commune_code"].map(usual)).fillna("Không rõ huyện")
    province = pred["old_province_name"].fillna("")
    ambiguous = pd.DataFrame({"d": district, "p": province}).groupby("d")["p"].transform("nunique") > 1
    return district.where(~ambiguous, district + " (" + province.str.replace("Thành phố ", "TP ") + ")")


def _old_units(communes: pd.DataFrame, pred: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per (new commune, predecessor part) plus one office per former district."""
    centre = communes.set_index("code").loc[pred["commune_code"]]
    kind = pred["old_unit_type"].map(KIND_OF_TYPE).fillna("other").to_numpy()
    partial = pred["partial"].astype(bool).to_numpy()
    code = pred["old_ward_code"]
    ids = np.where(code.notna(), code.astype(str) + "-" + pred["commune_code"].astype(str),
                   "X" + pred["commune_code"].astype(str) + "-" + pred["seq"].astype(str))
    radius = 0.6 * np.sqrt(centre["area_km2"].to_numpy() / np.pi)
    lon, lat = _random_in_disc(rng, centre["lon"].to_numpy(), centre["lat"].to_numpy(), radius)
    lon, lat = _keep_inside(lon, lat, centre["lon"].to_numpy(), centre["lat"].to_numpy())
    # population share: parts of split units and non-administrative areas are smaller
    weight = rng.gamma(4.0, 1.0, len(pred)) * np.where(partial, 0.4, 1.0)
    weight *= np.where(pred["old_unit_type"].to_numpy() == "other", 0.02, 1.0)
    share = weight / pd.Series(weight).groupby(pred["commune_code"].to_numpy()).transform("sum").to_numpy()
    parts = pd.DataFrame({
        "id": ids, "old_code": code.to_numpy(), "name": pred["old_unit_name"].to_numpy(), "kind": kind,
        "district": _district_labels(pred).to_numpy(), "commune_code": pred["commune_code"].to_numpy(),
        "lon": lon, "lat": lat, "population_share": np.round(share, 6), "partial": partial,
    })
    # rounding must not break "shares sum to 1": put the rounding residue on each commune's largest part
    residue = 1.0 - parts.groupby("commune_code")["population_share"].transform("sum")
    largest = parts.groupby("commune_code")["population_share"].transform("idxmax") == parts.index
    parts.loc[largest, "population_share"] = (parts.loc[largest, "population_share"] + residue[largest]).round(6)
    return pd.concat([parts, _district_offices(parts, communes, rng)], ignore_index=True)


def _district_offices(parts: pd.DataFrame, communes: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The abolished district People's Committee offices, in the new commune holding the old district town
    (the town named like the district, else any town), else in the commune with most of its old units."""
    rows = []
    centres = communes.set_index("code")
    for number, (district, units) in enumerate(sorted(parts.groupby("district"), key=lambda kv: _fold(kv[0])), 1):
        towns = units[units["kind"] == "thi_tran"]
        named = towns[towns["name"].map(lambda n: _fold(_strip_prefix(n))) == _fold(_strip_prefix(district.split(" (")[0]))]
        town = named if len(named) else towns
        if len(town):
            seat = town.sort_values(["population_share"], ascending=False, kind="stable").iloc[0]
            commune_code, lon, lat = int(seat["commune_code"]), seat["lon"], seat["lat"]
        else:
            counts = units.groupby("commune_code").size()
            commune_code = int(counts[counts == counts.max()].index.min())
            lon, lat = centres.loc[commune_code, ["lon", "lat"]]
        rows.append({"id": f"HUYEN-{number:02d}", "old_code": 0, "name": f"Cơ quan {_lower_first(district)}",
                     "kind": "district_office", "district": district, "commune_code": commune_code,
                     "lon": lon, "lat": lat, "population_share": 0.0, "partial": False})
    offices = pd.DataFrame(rows)
    lon, lat = _jitter(rng, offices["lon"].to_numpy(), offices["lat"].to_numpy(), 0.3)
    offices["lon"], offices["lat"] = _keep_inside(lon, lat, offices["lon"], offices["lat"])
    return offices


def _hq_parts(old_units: pd.DataFrame) -> pd.Series:
    """True for the part of each old commune that holds its office (the whole unit, or its largest part)."""
    staffed = old_units["kind"].isin(STAFFED_KINDS)
    unit_key = old_units["old_code"].astype("string").fillna(old_units["id"])
    largest = old_units[staffed].sort_values("population_share", ascending=False, kind="stable")
    first = ~largest.assign(k=unit_key).duplicated("k")
    return pd.Series(old_units.index.isin(first[first].index), index=old_units.index)


def _names(rng: np.random.Generator, gender: np.ndarray, province: str) -> np.ndarray:
    """Vietnamese full names (family, middle, given) with correct diacritics; minority family names where fitting."""
    n = len(gender)
    family = _mix(rng, FAMILY_NAMES, n)
    share, group = MINORITY_NAMES_BY_PROVINCE.get(province, (0.0, None))
    if group:
        minority = rng.random(n) < share
        pool = MINORITY_FAMILY_NAMES[group]  # most common first
        family = np.where(minority, _mix(rng, {name: 1 / (rank + 1) ** 0.8 for rank, name in enumerate(pool)}, n), family)
    male = gender == "male"
    middle_m, middle_f = (np.array(MIDDLE_NAMES[g], dtype=object) for g in ("male", "female"))
    given_m, given_f = (np.array(GIVEN_NAMES[g], dtype=object) for g in ("male", "female"))
    middle = np.where(male, middle_m[rng.integers(0, len(middle_m), n)], middle_f[rng.integers(0, len(middle_f), n)])
    given = np.where(male, given_m[rng.integers(0, len(given_m), n)], given_f[rng.integers(0, len(given_f), n)])
    names = pd.Series(family).str.cat([pd.Series(middle), pd.Series(given)], sep=" ")
    return names.map(lambda s: unicodedata.normalize("NFC", s)).to_numpy(dtype=object)


def _staff_counts(old_units: pd.DataFrame, hq: pd.Series, total: int, rng: np.random.Generator) -> np.ndarray:
    """Non-leader officials per old-unit row: about 18-25 per old commune (most at its office part) and
    district offices sized by their number of communes, scaled to reach `total`."""
    district = (old_units["kind"] == "district_office").to_numpy()
    staffed = old_units["kind"].isin(STAFFED_KINDS).to_numpy()
    unit_weight = rng.uniform(18, 25, len(old_units)) * np.where(hq, 1.0, np.where(old_units["partial"], 0.3, 1.0))
    unit_weight = np.where(staffed, unit_weight, 0.0)
    units_per_district = old_units[staffed].groupby("district").size()
    district_weight = (old_units["district"].map(units_per_district).fillna(0).to_numpy() + 6) * rng.uniform(0.8, 1.2, len(old_units))
    district_weight = np.where(district, district_weight, 0.0)
    n_district = int(round(DISTRICT_STAFF_SHARE * total)) if district.any() else 0
    return _largest_remainder(unit_weight, total - n_district) + _largest_remainder(district_weight, n_district)


def _officials(communes: pd.DataFrame, old_units: pd.DataFrame, province: str, per_commune: float,
               rng: np.random.Generator) -> pd.DataFrame:
    """Current officials: 1 chair + 2 vice-chairs appointed and pinned per new commune, the rest from the
    old units and the abolished district offices (see module docstring and data/README.md)."""
    n_communes = len(communes)
    total = max(int(round(per_commune * n_communes)), 4 * n_communes)
    hq = _hq_parts(old_units)
    ou_index = pd.Series(np.arange(len(old_units)), index=old_units["id"])
    is_district = (old_units["kind"] == "district_office").to_numpy()

    # leaders: chair (45% from the district office of the commune's district) and two vice-chairs (25%), the
    # others from one of the commune's old communes (the district office where it has none, e.g. island districts)
    parts = old_units[~is_district]
    main_district = parts.groupby("commune_code")["district"].agg(lambda s: s.mode().sort_values().iloc[0])
    office_of_district = old_units[is_district].set_index("district")["id"]
    leader_commune = np.repeat(communes["code"].to_numpy(), 3)
    chair, vice_chair = vocab.role_codes("positions", "leadership")  # one chair and two vice-chairs per commune
    leader_position = np.tile([chair, vice_chair, vice_chair], n_communes)
    district_unit = pd.Series(leader_commune).map(main_district).map(office_of_district).to_numpy()
    own_parts = parts[parts["kind"].isin(STAFFED_KINDS)].groupby("commune_code")["id"].agg(list)
    pick = rng.random(len(leader_commune))
    own_unit = np.array([own_parts[c][int(u * len(own_parts[c]))] if c in own_parts.index else d
                         for c, u, d in zip(leader_commune, pick, district_unit)], dtype=object)
    from_district = rng.random(len(leader_commune)) < np.where(leader_position == chair, 0.45, 0.25)
    leader_unit = np.where(from_district | pd.isna(own_unit), district_unit, own_unit)

    staff_unit_idx = np.repeat(np.arange(len(old_units)), _staff_counts(old_units, hq, total - len(leader_commune), rng))
    unit_idx = np.concatenate([ou_index[leader_unit].to_numpy(), staff_unit_idx])
    n = len(unit_idx)
    n_leaders = len(leader_commune)
    leader = np.arange(n) < n_leaders
    at_district = is_district[unit_idx]
    group = np.where(leader, "leader", np.where(at_district, "district", "commune"))

    field = np.where(at_district, _mix(rng, DISTRICT_FIELD_MIX, n), _mix(rng, COMMUNE_FIELD_MIX, n))
    field[leader] = vocab.role_code("fields", "leadership")
    secondary = _mix(rng, SECONDARY_FIELD_MIX, n)
    secondary = np.where(leader, np.where(rng.random(n) < 0.5, "party_mass", "office"), secondary)
    has_secondary = (rng.random(n) < 0.44) & (secondary != field)
    qualification = np.empty(n, dtype=object)
    grade = np.empty(n, dtype=object)
    for name in ("commune", "district", "leader"):
        rows = group == name
        q, g = np.array(QUALIFICATION_MIX[name], float), np.array(GRADE_MIX[name], float)
        qualification[rows] = np.array(QUALIFICATIONS, dtype=object)[rng.choice(5, rows.sum(), p=q / q.sum())]
        grade[rows] = np.array(GRADES, dtype=object)[rng.choice(4, rows.sum(), p=g / g.sum())]
    birth_year = np.where(leader, rng.integers(1966, 1986, n),
                          np.clip(np.round(rng.triangular(1964, 1985, 2001.99, n)), 1964, 2001)).astype(int)
    gender = np.where(rng.random(n) < np.where(leader, 0.18, 0.42), "female", "male")

    ids = np.array([f"CB{i:05d}" for i in range(1, n + 1)], dtype=object)
    home_lon, home_lat, home_unit = _homes(old_units, unit_idx, at_district, rng)
    eligible = leader.copy()
    candidates = ~leader & np.isin(qualification, ["bachelor", "master", "doctor"]) & (birth_year <= 1988)
    weights = candidates * np.where(np.isin(grade, ["principal_specialist", "senior_specialist"]), 3.0, 1.0)
    n_eligible = min(int(round(0.6 * n_communes)), int(candidates.sum()))
    if n_eligible:
        eligible[rng.choice(n, n_eligible, replace=False, p=weights / weights.sum())] = True

    position = np.full(n, vocab.role_code("positions", "staff"), dtype=object)
    position[:n_leaders] = leader_position
    fixed_commune = pd.array([pd.NA] * n, dtype="Int64")
    fixed_commune[:n_leaders] = leader_commune
    officials = pd.DataFrame({
        "id": ids, "name": _names(rng, gender, province), "old_unit_id": old_units["id"].to_numpy()[unit_idx],
        "home_lon": home_lon, "home_lat": home_lat, "home_old_unit_id": home_unit,
        "position": position,
        "field": field, "secondary_field": np.where(has_secondary, secondary, None),
        "qualification": qualification, "grade": grade, "birth_year": birth_year, "gender": gender,
        "eligible_for_leadership": eligible,
        "fixed_commune": fixed_commune, "fixed_position": np.where(leader, position, None),
        "willing_to_relocate": rng.random(n) < 0.15,
    })
    return _pin_a_few_specialists(officials, old_units, communes, rng)


def _homes(old_units: pd.DataFrame, unit_idx: np.ndarray, at_district: np.ndarray, rng: np.random.Generator):
    """Home of each official: mostly a few km from their office; some far (another old unit 10-60 km away,
    or district staff living in the old district town); some given as an old unit instead of coordinates."""
    n = len(unit_idx)
    ou_lon, ou_lat = old_units["lon"].to_numpy(float), old_units["lat"].to_numpy(float)
    work_lon, work_lat = ou_lon[unit_idx], ou_lat[unit_idx]
    draw = rng.random(n)
    # commune staff: 72% near, 10% as own old unit, 18% far; district staff: 45% in town, 15% as unit, 40% elsewhere
    as_unit = np.where(at_district, (draw >= 0.45) & (draw < 0.60), (draw >= 0.72) & (draw < 0.82))
    far = np.where(at_district, draw >= 0.60, draw >= 0.82)
    lon, lat = _jitter(rng, work_lon, work_lat, 2.0)
    # far homes: a random point 10-60 km away, snapped to the nearest old unit so it lands where people live
    distance = rng.uniform(10, 60, n)
    angle = rng.random(n) * 2 * np.pi
    target_lon, target_lat = _offset(work_lon, work_lat, distance * np.cos(angle), distance * np.sin(angle))
    settled = old_units["kind"].isin(STAFFED_KINDS).to_numpy()
    settled_idx = np.flatnonzero(settled) if settled.any() else np.arange(len(old_units))
    far_rows = np.flatnonzero(far)
    if len(far_rows):
        d = haversine_km(target_lon[far_rows, None], target_lat[far_rows, None],
                          ou_lon[None, settled_idx], ou_lat[None, settled_idx])
        snapped = settled_idx[d.argmin(axis=1)]
        far_lon, far_lat = _jitter(rng, ou_lon[snapped], ou_lat[snapped], 1.5)
        lon[far_rows], lat[far_rows] = far_lon, far_lat
    lon, lat = _keep_inside(lon, lat, work_lon, work_lat)
    home_unit = np.where(as_unit, old_units["id"].to_numpy()[unit_idx], None)
    # district staff giving a unit: the old commune part nearest their office (the district town)
    district_as_unit = np.flatnonzero(as_unit & at_district)
    if len(district_as_unit):
        d = haversine_km(work_lon[district_as_unit, None], work_lat[district_as_unit, None],
                          ou_lon[None, settled_idx], ou_lat[None, settled_idx])
        home_unit[district_as_unit] = old_units["id"].to_numpy()[settled_idx[d.argmin(axis=1)]]
    return np.where(as_unit, np.nan, lon), np.where(as_unit, np.nan, lat), home_unit


def _pin_a_few_specialists(officials: pd.DataFrame, old_units: pd.DataFrame, communes: pd.DataFrame,
                           rng: np.random.Generator) -> pd.DataFrame:
    """Pin one scarce-field specialist (IT, accounting, service centre) in a few communes: decisions already
    taken that the models must honour (one per commune, so no field maximum or ceiling is exceeded)."""
    commune_of_unit = old_units.set_index("id")["commune_code"]
    scarce_fields = [vocab.role_code("fields", role) for role in ("it", "accounting", "counter")]
    scarce = officials["field"].isin(scarce_fields) & \
        officials["fixed_commune"].isna()
    pool = officials[scarce].assign(commune=officials.loc[scarce, "old_unit_id"].map(commune_of_unit).to_numpy())
    codes = np.sort(pool["commune"].unique())
    chosen = rng.choice(codes, size=min(len(codes), max(2, len(communes) // 20)), replace=False) if len(codes) else []
    officials = officials.copy()
    for code in np.sort(chosen):
        rows = pool.index[pool["commune"] == code]
        pick = rows[int(rng.integers(0, len(rows)))]
        officials.loc[pick, ["fixed_commune", "fixed_position"]] = [int(code), vocab.role_code("positions", "staff")]
    return officials


def _staffing_norms(communes: pd.DataFrame) -> pd.DataFrame:
    """The reference norms (planner/reference/staffing_norms.csv, each row with its source; the quota comes from
    the rule in staffing_quota.csv) plus one per-commune rule to show how a province adds its own: the largest
    commune by area (border, mountains) gets a larger military command."""
    largest = communes.sort_values(["area_km2", "code"], ascending=[False, True]).iloc[0]["code"]
    military = {"rule_id": f"OV-{largest}-military", "commune_code": largest, "commune_type": "any", "min_population": 0,
                "field": "military", "position": vocab.role_code("positions", "staff"), "min_count": 3, "max_count": 4,
                "per_10k_residents": 0.0, "source": "sample: a province's own rule for its largest commune",
                "basis": "assumption", "confidence": "low"}
    return pd.concat([pd.read_csv(REFERENCE_DIR / "staffing_norms.csv"), pd.DataFrame([military])], ignore_index=True)


def _buildings(old_units: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Old commune HQs (at the office part of each old commune), district offices, other public buildings."""
    hq = _hq_parts(old_units).to_numpy()
    district = (old_units["kind"] == "district_office").to_numpy()
    urban = old_units["kind"].isin(["phuong", "thi_tran"]).to_numpy()
    hq_units, office_units = old_units[hq], old_units[district]
    n_hq, n_office = len(hq_units), len(office_units)
    settled = old_units[old_units["kind"].isin(STAFFED_KINDS)]
    n_other = int(round(0.3 * n_hq))
    other_units = settled.iloc[np.sort(rng.choice(len(settled), n_other, replace=False))] if n_other else settled.iloc[:0]
    other_kind = rng.integers(0, len(OTHER_BUILDINGS), n_other)

    hq_floor = np.clip(rng.lognormal(np.log(430), 0.3, n_hq) + 120 * urban[hq], 200, np.where(urban[hq], 900, 700))
    office_floor = rng.uniform(1500, 4000, n_office)
    other_floor = rng.uniform(np.array([b[1] for b in OTHER_BUILDINGS])[other_kind], np.array([b[2] for b in OTHER_BUILDINGS])[other_kind])
    frame = pd.DataFrame({
        "old_unit_id": np.concatenate([hq_units["id"], office_units["id"], other_units["id"]]),
        "name": np.concatenate([
            ("Trụ sở UBND " + hq_units["name"].map(_lower_first) + " cũ").to_numpy(),
            ("Trụ sở Huyện ủy - HĐND - UBND " + office_units["district"].map(_lower_first)).to_numpy(),
            np.array([f"{OTHER_BUILDINGS[k][0]} {_lower_first(u)}" for k, u in zip(other_kind, other_units["name"])], dtype=object),
        ]),
        "kind": ["commune_hq"] * n_hq + ["district_office"] * n_office + ["other_public"] * n_other,
        "floor_area_m2": np.round(np.concatenate([hq_floor, office_floor, other_floor])),
    })
    n = len(frame)
    base = pd.concat([hq_units, office_units, other_units])
    lon, lat = _jitter(rng, base["lon"].to_numpy(), base["lat"].to_numpy(), np.where(frame["kind"] == "other_public", 0.8, 0.05))
    frame["lon"], frame["lat"] = _keep_inside(lon, lat, base["lon"], base["lat"])
    frame["land_area_m2"] = np.round(frame["floor_area_m2"] * rng.uniform(2.5, 6.0, n), -1)
    condition_p = np.where((frame["kind"] == "district_office").to_numpy()[:, None],
                           [0.55, 0.35, 0.08, 0.02], [0.35, 0.35, 0.20, 0.10])
    condition_idx = (rng.random(n)[:, None] > np.cumsum(condition_p, axis=1)).sum(axis=1)
    frame["condition"] = np.array(["good", "fair", "poor", "unusable"])[condition_idx]
    per_m2 = np.select([condition_idx == 1, condition_idx == 2, condition_idx == 3],
                       [rng.uniform(0.5e6, 1.5e6, n), rng.uniform(2e6, 4e6, n), rng.uniform(5e6, 8e6, n)], 0.0)
    frame["renovation_cost_vnd"] = np.round(frame["floor_area_m2"] * per_m2, -6)
    urban_site = np.concatenate([urban[hq], np.ones(n_office, bool), other_units["kind"].isin(["phuong", "thi_tran"]).to_numpy()])
    land_price = np.where(urban_site, rng.uniform(2e6, 8e6, n), rng.uniform(0.3e6, 1.5e6, n))
    wear = np.array([1.0, 0.8, 0.5, 0.2])[condition_idx]
    frame["book_value_vnd"] = np.round(frame["floor_area_m2"] * rng.uniform(4e6, 9e6, n) * wear + frame["land_area_m2"] * land_price, -6)
    in_use = np.where(frame["kind"] == "commune_hq", "commune_hq",
                      np.where(frame["kind"] == "district_office", "district_office", "other"))
    frame["current_use"] = np.where(condition_idx == 3, "vacant", in_use)
    frame.insert(0, "id", [f"CT{i:04d}" for i in range(1, n + 1)])
    return frame


def _equipment(old_units: pd.DataFrame, officials: pd.DataFrame, costs: pd.DataFrame,
               rng: np.random.Generator) -> pd.DataFrame:
    """Inventory at every old office (commune HQ parts and district offices), split by condition."""
    hq = _hq_parts(old_units).to_numpy()
    district = (old_units["kind"] == "district_office").to_numpy()
    holders = old_units[hq | district].reset_index(drop=True)
    is_district = (holders["kind"] == "district_office").to_numpy()
    urban = holders["kind"].isin(["phuong", "thi_tran"]).to_numpy()
    staff = holders["id"].map(officials["old_unit_id"].value_counts()).fillna(0).to_numpy() + 3
    # mean stock per office, from the item_types list: per official + a base by kind of office
    rates = vocab.table("item_types").set_index("code")[["sample_per_official", "sample_commune", "sample_commune_urban",
                                                          "sample_district"]].replace("", "0").astype(float)
    items = list(rates.index)
    base = np.where(is_district[:, None], rates["sample_district"].to_numpy()[None, :],
                    np.where(urban[:, None], rates["sample_commune_urban"].to_numpy()[None, :], rates["sample_commune"].to_numpy()[None, :]))
    counts = rng.poisson(staff[:, None] * rates["sample_per_official"].to_numpy()[None, :] + base)  # holders x items
    conditions = vocab.table("equipment_conditions").set_index("code")
    shares = conditions["sample_share"].astype(float)
    split = rng.multinomial(counts.ravel(), shares.to_numpy())
    frame = pd.DataFrame({
        "old_unit_id": np.repeat(holders["id"].to_numpy(), len(items) * len(shares)),
        "item_type": np.tile(np.repeat(items, len(shares)), len(holders)),
        "condition": np.tile(shares.index.to_numpy(), len(holders) * len(items)),
        "count": split.ravel(),
    })
    frame = frame[frame["count"] > 0].reset_index(drop=True)
    prices = _by_item(costs)
    life = frame["item_type"].map(prices["useful_life_years"]).to_numpy(float)
    price = frame["item_type"].map(prices["new_unit_price"]).to_numpy(float)
    low, high = (frame["condition"].map(conditions["sample_age_low"].astype(float)).to_numpy(),
                 frame["condition"].map(conditions["sample_age_high"].astype(float)).to_numpy())
    age = np.clip(np.round(life * rng.uniform(low, high), 1), 0.5, 60)
    factor = frame["condition"].map(conditions["sample_value_factor"].astype(float)).to_numpy()
    frame["age_years"] = age
    frame["unit_value_vnd"] = np.round(price * np.clip(1 - age / life, 0.05, 1) * factor, -4)
    frame.insert(0, "id", [f"TB{i:05d}" for i in range(1, len(frame) + 1)])
    return frame


STAFF_OUTSIDE_QUOTA = 1.15  # officials per quota place (Party, mass organisations, military are outside it): sizes the budget
EXTENSION_COST_PER_M2 = 7e6


def _unit_costs() -> pd.DataFrame:
    """planner/reference/unit_costs.csv: one row per item type and parameter (price, transport, repair, useful
    life) with its source, basis and confidence: the decree's maximum prices, the rest assumptions."""
    return pd.read_csv(REFERENCE_DIR / "unit_costs.csv")


def _by_item(unit_costs: pd.DataFrame) -> pd.DataFrame:
    """The unit costs as one row per item type and one column per parameter."""
    return unit_costs.pivot(index="item_type", columns="parameter", values="value").astype(float)


def _equipment_demand(communes: pd.DataFrame, required: pd.DataFrame, norms: pd.DataFrame) -> pd.DataFrame:
    """Demand per commune and item if every commune were staffed to its quota (sizes the budget): the
    equipment model's own demand rule (planner.derived.equipment_demand) on a quota-sized headcount
    (the leaders and counter staff of the norms' minimums, the rest of the quota as other staff)."""
    counter, staff = vocab.role_code("fields", "counter"), vocab.role_code("positions", "staff")
    leadership = vocab.role_codes("positions", "leadership")
    counters = required[required["field"] == counter].groupby("commune_code")["required_min"].sum()
    leaders = required[required["position"].isin(leadership)].groupby("commune_code")["required_min"].sum()
    quota = headcount_ceilings(required).reindex(communes["code"].astype(int)).fillna(0)
    at_counters = counters.reindex(quota.index).fillna(0)
    leading = leaders.reindex(quota.index).fillna(0)
    headcount = pd.concat([
        pd.DataFrame({"commune_code": quota.index, "position": staff, "field": counter, "headcount": at_counters.to_numpy()}),
        pd.DataFrame({"commune_code": quota.index, "position": leadership[0], "field": "", "headcount": leading.to_numpy()}),
        pd.DataFrame({"commune_code": quota.index, "position": staff, "field": "",
                      "headcount": (quota - at_counters - leading).clip(lower=0).to_numpy()}),
    ], ignore_index=True)
    return equipment_demand({"communes": communes, "equipment_norms": norms}, headcount)


def _costs(communes, old_units, required, unit_costs, equipment, equipment_norms, buildings) -> pd.DataFrame:
    """Unit prices, transport and repair costs per item, and budgets sized from the data so that they bind:
    the equipment budget covers the counters' shortfall but only part of the rest; the renovation budget
    covers one usable headquarters per commune plus about a third of the other renovations."""
    unit = _by_item(unit_costs)
    units = vocab.column("cost_parameters", "unit")
    per_item = unit_costs[unit_costs["parameter"].isin(per_item_parameters())]
    rows = [{"parameter": r.parameter, "item_type": r.item_type, "value": float(r.value), "unit": units[r.parameter],
             "note": None, "source": r.source, "basis": r.basis, "confidence": r.confidence} for r in per_item.itertuples()]
    synthetic = {"source": "Synthetic sample (planner.sample): no legal figure", "basis": "assumption", "confidence": "low"}
    demand = _equipment_demand(communes, required, equipment_norms)
    condition_role = equipment["condition"].map(dict(zip(vocab.table("equipment_conditions")["code"],
                                                         vocab.table("equipment_conditions")["role"])))
    usable = equipment[condition_role != "unusable"].groupby("item_type")["count"].sum()
    total_demand = demand.groupby("item_type")["demand"].sum()
    shortage = (total_demand - usable.reindex(total_demand.index).fillna(0)).clip(lower=0)
    buy_cost = float((shortage * unit["new_unit_price"].reindex(shortage.index)).sum())
    repairable = equipment[condition_role == "repairable"].groupby("item_type")["count"].sum()
    repair_cost = float((repairable * unit["repair_cost"].reindex(repairable.index)).sum())
    counter_demand = demand[demand["priority"] == 1].groupby("item_type")["demand"].sum()
    counter_cost = float((counter_demand * unit["new_unit_price"].reindex(counter_demand.index)).sum())
    equipment_budget = max(0.6 * (buy_cost + repair_cost), 0.5 * counter_cost)

    ceiling = headcount_ceilings(required)
    sites = buildings.merge(old_units[["id", "commune_code"]], left_on="old_unit_id", right_on="id", suffixes=("", "_unit"))
    area = Scenario().assets  # the office-area norm (Decree 155/2025) and shared-area factor the models use
    m2_per_official = area.m2_per_official[vocab.role_code("positions", "staff")] * area.shared_area_factor
    need_m2 = sites["commune_code"].map(ceiling).fillna(35).to_numpy() * STAFF_OUTSIDE_QUOTA * m2_per_official
    needs_renovation = vocab.role_codes("building_conditions", "needs_renovation")
    must_renovate = sites["condition"].isin(needs_renovation).to_numpy()
    site_cost = np.where(must_renovate, sites["renovation_cost_vnd"], 0.0) + \
        np.clip(need_m2 - sites["floor_area_m2"].to_numpy(), 0, None) * EXTENSION_COST_PER_M2
    mandatory = float(pd.Series(site_cost).groupby(sites["commune_code"].to_numpy()).min().sum())
    optional = float(buildings.loc[buildings["condition"].isin(needs_renovation), "renovation_cost_vnd"].sum())
    renovation_budget = mandatory + 0.3 * max(optional - mandatory, 0.0)

    rows += [
        {"parameter": "equipment_budget", "item_type": None, "value": float(np.ceil(equipment_budget / 1e8) * 1e8),
         "unit": "VND", "note": "synthetic: 60% of buying the province's net shortfall and repairing all repairable items", **synthetic},
        {"parameter": "renovation_budget", "item_type": None, "value": float(np.ceil(renovation_budget / 1e8) * 1e8),
         "unit": "VND", "note": "synthetic: cheapest usable HQ per commune + 30% of the remaining renovations", **synthetic},
        {"parameter": "extension_cost_per_m2", "item_type": None, "value": EXTENSION_COST_PER_M2, "unit": "VND/m²",
         "note": "illustrative construction cost", **synthetic},
        {"parameter": "idle_cost_per_m2_year", "item_type": None, "value": 60e3, "unit": "VND/m²/year",
         "note": "illustrative upkeep of an unused building", **synthetic},
        {"parameter": "service_point_fixed_cost", "item_type": None, "value": 150e6, "unit": "VND",
         "note": "illustrative cost to open and run a reception point", **synthetic},
    ]
    return pd.DataFrame(rows)


def _facility_needs(communes: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A few communes still need a health station, school, culture house, sports facility, police office or
    public housing (the facility-need uses of the building_uses list, drawn by its sample_share column)."""
    n = max(2, int(round(0.15 * len(communes))))
    chosen = np.sort(rng.choice(communes["code"].to_numpy(), size=min(n, len(communes)), replace=False))
    shares = pd.Series(vocab.column("building_uses", "sample_share", numeric=True))
    shares = shares[shares.index.isin(vocab.flagged("building_uses", "facility_need")) & (shares > 0)]
    uses = shares.index.to_numpy()[rng.choice(len(shares), len(chosen), p=(shares / shares.sum()).to_numpy())]
    return pd.DataFrame({
        "commune_code": chosen, "use": uses, "buildings_needed": 1,
        "min_floor_area_m2": np.round(rng.uniform(150, 600, len(chosen)), -1),
        "value_vnd": np.round(rng.uniform(0.5e9, 5e9, len(chosen)), -8),
    })


def _geography(province: str | int, seed: int):
    """Province code and name, its reference rows, the seeded random streams, communes and old units."""
    code, name = resolve_province(province)
    ref_communes, ref_predecessors = _reference()
    ref = ref_communes[ref_communes["province_code"] == code].sort_values("commune_code").reset_index(drop=True)
    pred = ref_predecessors[ref_predecessors["commune_code"].isin(ref["commune_code"])]
    pred = pred.sort_values(["commune_code", "seq"]).reset_index(drop=True)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence([int(seed), int(code)]).spawn(5)]
    communes = _communes(ref)
    return code, name, ref, streams, communes, _old_units(communes, pred, streams[0])


def sample_geography(province: str | int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Just the communes and old_units tables of build_sample (same values, much faster)."""
    *_, communes, old_units = _geography(province, seed)
    return communes, old_units.drop(columns="partial")


def build_sample(province: str | int, seed: int = 7, officials_per_commune: float | None = None) -> Dataset:
    """A complete, valid dataset for one of the 34 provinces: real communes and predecessor units,
    synthetic officials, equipment, buildings, norms and costs. Same arguments -> identical tables.

    officials_per_commune scales the staff (default 42.4, Lào Cai's real ratio: 4,195 for 99 communes).
    """
    code, name, ref, streams, communes, old_units = _geography(province, seed)
    per_commune = DEFAULT_OFFICIALS_PER_COMMUNE if officials_per_commune is None else float(officials_per_commune)
    officials = _officials(communes, old_units, name, per_commune, streams[1])
    staffing_norms = _staffing_norms(communes)
    required = resolve_staffing_norms(communes, staffing_norms)
    buildings = _buildings(old_units, streams[2])
    unit_costs = _unit_costs()
    equipment = _equipment(old_units, officials, unit_costs, streams[3])
    equipment_norms = pd.read_csv(REFERENCE_DIR / "equipment_norms.csv")
    costs = _costs(communes, old_units, required, unit_costs, equipment, equipment_norms, buildings)
    imputed = ", ".join(ref.loc[ref["population_imputed"], "commune_name"]) or "none"
    info = pd.DataFrame({"key": ["province_name", "province_code", "generator", "seed", "officials_per_commune", "source",
                                 "population_imputed"],
                         "value": [name, str(code), "planner.sample.build_sample", str(seed), f"{per_commune:g}",
                                   "Real communes and predecessor units (planner/reference, from vn_admin); officials, "
                                   "equipment, buildings, norms and costs are synthetic (see data/README.md)",
                                   f"population estimated from the province's median density: {imputed}"]})
    frames = {"communes": communes, "old_units": old_units.drop(columns="partial"), "officials": officials,
              "staffing_norms": staffing_norms, "equipment": equipment, "equipment_norms": equipment_norms,
              "buildings": buildings, "costs": costs, "facility_needs": _facility_needs(communes, streams[4]), "info": info}
    return Dataset.from_frames(frames, source=f"sample:{name}:seed={seed}")
