"""Demonstration data for the Jimei Civic Portal.

Pure data plus one pure function (:func:`grid_cells`). Nothing here touches the
database or imports from the rest of ``portal``; a seeding command turns these
records into rows.

Places are real (Jimei District's six streets/towns and some of their
communities) but coordinates are approximate centres, and the grid is a
synthetic lattice, not the district's real 708 grid cells. People, phone
numbers and tickets are fictional.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Names:
    zh_Hans: str
    zh_Hant: str
    en: str


@dataclass(frozen=True)
class DemoCommunity:
    slug: str
    names: Names
    lat: float  # approximate centre
    lng: float


@dataclass(frozen=True)
class DemoStreet:
    slug: str
    names: Names
    lat: float
    lng: float
    communities: tuple[DemoCommunity, ...]


@dataclass(frozen=True)
class DemoDepartment:
    slug: str
    names: Names


@dataclass(frozen=True)
class DemoCategoryGroup:
    slug: str
    names: Names
    icon: str  # one of ICONS


@dataclass(frozen=True)
class DemoCategory:
    slug: str
    group: str
    names: Names
    hints: Names
    icon: str
    department: str
    response_hours: int  # accept within N working hours
    resolution_days: int  # resolve within N working days


@dataclass(frozen=True)
class DemoGridCell:
    code: str
    street: str
    community: str
    polygon: tuple[tuple[float, float], ...]  # closed ring of (lng, lat)


@dataclass(frozen=True)
class DemoTicket:
    category: str
    street: str
    community: str
    description: str
    address: str
    reporter_name: str
    reporter_phone: str
    status: str
    days_ago: int
    public: bool
    progress_note: str
    resolution_note: str
    reject_reason: str


ICONS: tuple[str, ...] = ("road", "light", "trash", "water", "tree", "noise", "bike", "building", "other")

STATUSES: tuple[str, ...] = (
    "submitted",
    "dispatched",
    "accepted",
    "in_progress",
    "resolved",
    "closed",
    "rejected",
    "merged",
)


def _c(slug: str, hans: str, hant: str, en: str, lat: float, lng: float) -> DemoCommunity:
    return DemoCommunity(slug=slug, names=Names(hans, hant, en), lat=lat, lng=lng)


# ---------------------------------------------------------------------------
# Streets (镇街) and communities (社区)
# ---------------------------------------------------------------------------

STREETS: tuple[DemoStreet, ...] = (
    DemoStreet(
        slug="jimei",
        names=Names("集美街道", "集美街道", "Jimei Subdistrict"),
        lat=24.585,
        lng=118.105,
        communities=(
            _c("centou", "岑头社区", "岑頭社區", "Centou Community", 24.598, 118.102),
            _c("xunjiang", "浔江社区", "潯江社區", "Xunjiang Community", 24.576, 118.116),
            _c("dashe", "大社社区", "大社社區", "Dashe Community", 24.572, 118.098),
            _c("lehai", "乐海社区", "樂海社區", "Lehai Community", 24.590, 118.082),
        ),
    ),
    DemoStreet(
        slug="qiaoying",
        names=Names("侨英街道", "僑英街道", "Qiaoying Subdistrict"),
        lat=24.625,
        lng=118.100,
        communities=(
            _c("suncuo", "孙厝社区", "孫厝社區", "Suncuo Community", 24.612, 118.112),
            _c("yecuo", "叶厝社区", "葉厝社區", "Yecuo Community", 24.622, 118.088),
            _c("duishan", "兑山社区", "兌山社區", "Duishan Community", 24.640, 118.098),
            _c("qiaoying-sq", "侨英社区", "僑英社區", "Qiaoying Community", 24.626, 118.122),
        ),
    ),
    DemoStreet(
        slug="xinglin",
        names=Names("杏林街道", "杏林街道", "Xinglin Subdistrict"),
        lat=24.568,
        lng=118.040,
        communities=(
            _c("xingdong", "杏东社区", "杏東社區", "Xingdong Community", 24.570, 118.058),
            _c("xinglin-sq", "杏林社区", "杏林社區", "Xinglin Community", 24.566, 118.036),
            _c("gaopu", "高浦社区", "高浦社區", "Gaopu Community", 24.560, 118.012),
            _c("jinyuan", "锦园社区", "錦園社區", "Jinyuan Community", 24.580, 118.030),
        ),
    ),
    DemoStreet(
        slug="xingbin",
        names=Names("杏滨街道", "杏濱街道", "Xingbin Subdistrict"),
        lat=24.605,
        lng=118.045,
        communities=(
            _c("maluan", "马銮社区", "馬鑾社區", "Maluan Community", 24.600, 118.022),
            _c("xibin", "西滨社区", "西濱社區", "Xibin Community", 24.612, 118.060),
            _c("xingbin-sq", "杏滨社区", "杏濱社區", "Xingbin Community", 24.596, 118.048),
        ),
    ),
    DemoStreet(
        slug="guankou",
        names=Names("灌口镇", "灌口鎮", "Guankou Town"),
        lat=24.615,
        lng=117.975,
        communities=(
            _c("guankou-sq", "灌口社区", "灌口社區", "Guankou Community", 24.608, 117.978),
            _c("shenqing", "深青社区", "深青社區", "Shenqing Community", 24.630, 117.955),
            _c("donghui", "东辉社区", "東輝社區", "Donghui Community", 24.588, 117.962),
        ),
    ),
    DemoStreet(
        slug="houxi",
        names=Names("后溪镇", "後溪鎮", "Houxi Town"),
        lat=24.665,
        lng=118.060,
        communities=(
            _c("houxi-sq", "后溪社区", "後溪社區", "Houxi Community", 24.668, 118.048),
            _c("yannei", "岩内社区", "岩內社區", "Yannei Community", 24.655, 118.075),
            _c("chengnei", "城内社区", "城內社區", "Chengnei Community", 24.690, 118.040),
        ),
    ),
)


# ---------------------------------------------------------------------------
# Departments (部门)
# ---------------------------------------------------------------------------

DEPARTMENTS: tuple[DemoDepartment, ...] = (
    DemoDepartment(
        "command-centre",
        Names("区社会治理指挥中心", "區社會治理指揮中心", "District Social Governance Command Centre"),
    ),
    DemoDepartment(
        "municipal-gardens",
        Names("区市政园林局", "區市政園林局", "District Municipal Works and Landscaping Bureau"),
    ),
    DemoDepartment(
        "urban-management",
        Names(
            "区城市管理和综合执法局",
            "區城市管理和綜合執法局",
            "District Urban Management and Law Enforcement Bureau",
        ),
    ),
    DemoDepartment(
        "ecology-environment",
        Names("区生态环境局", "區生態環境局", "District Ecology and Environment Bureau"),
    ),
    DemoDepartment(
        "housing-construction",
        Names("区住房和建设局", "區住房和建設局", "District Housing and Construction Bureau"),
    ),
    DemoDepartment(
        "transport",
        Names("区交通运输局", "區交通運輸局", "District Transport Bureau"),
    ),
    DemoDepartment(
        "traffic-police",
        Names("交警集美大队", "交警集美大隊", "Jimei Traffic Police Brigade"),
    ),
    DemoDepartment(
        "water-resources",
        Names("区水利局", "區水利局", "District Water Resources Bureau"),
    ),
    DemoDepartment(
        "market-supervision",
        Names("区市场监督管理局", "區市場監督管理局", "District Market Supervision Bureau"),
    ),
)


# ---------------------------------------------------------------------------
# Category groups and categories (事项分类)
# ---------------------------------------------------------------------------

CATEGORY_GROUPS: tuple[DemoCategoryGroup, ...] = (
    DemoCategoryGroup("roads-traffic", Names("道路交通", "道路交通", "Roads and traffic"), "road"),
    DemoCategoryGroup("public-facilities", Names("市政设施", "市政設施", "Public facilities"), "light"),
    DemoCategoryGroup(
        "city-appearance", Names("市容环卫", "市容環衛", "Street cleanliness and order"), "trash"
    ),
    DemoCategoryGroup("greenery", Names("园林绿化", "園林綠化", "Trees and green space"), "tree"),
    DemoCategoryGroup("environment", Names("生态环境", "生態環境", "Noise and pollution"), "noise"),
    DemoCategoryGroup("construction", Names("建设管理", "建設管理", "Building and construction"), "building"),
    DemoCategoryGroup("other", Names("其他事项", "其他事項", "Other matters"), "other"),
)


CATEGORIES: tuple[DemoCategory, ...] = (
    DemoCategory(
        slug="road-damage",
        group="roads-traffic",
        names=Names("道路破损", "道路破損", "Damaged road or pavement"),
        hints=Names(
            "路面坑洼、塌陷、开裂，人行道地砖松动或缺失。",
            "路面坑窪、塌陷、開裂，人行道地磚鬆動或缺失。",
            "Potholes, sunken or cracked roads, loose or missing paving stones.",
        ),
        icon="road",
        department="municipal-gardens",
        response_hours=8,
        resolution_days=7,
    ),
    DemoCategory(
        slug="illegal-parking",
        group="roads-traffic",
        names=Names("违章停车", "違章停車", "Illegal parking"),
        hints=Names(
            "汽车或电动自行车乱停，占用人行道、消防通道或路口。",
            "汽車或電動自行車亂停，佔用人行道、消防通道或路口。",
            "Cars or e-bikes parked on pavements, fire lanes or junctions.",
        ),
        icon="road",
        department="traffic-police",
        response_hours=2,
        resolution_days=1,
    ),
    DemoCategory(
        slug="shared-bikes",
        group="roads-traffic",
        names=Names("共享单车乱停", "共享單車亂停", "Badly parked shared bikes"),
        hints=Names(
            "共享单车堆积、倒地或压住盲道。",
            "共享單車堆積、倒地或壓住盲道。",
            "Shared bikes piled up, knocked over or blocking tactile paving.",
        ),
        icon="bike",
        department="transport",
        response_hours=4,
        resolution_days=2,
    ),
    DemoCategory(
        slug="streetlight",
        group="public-facilities",
        names=Names("路灯不亮", "路燈不亮", "Streetlight out"),
        hints=Names(
            "路灯不亮、一闪一闪，或者白天一直亮着。",
            "路燈不亮、一閃一閃，或者白天一直亮著。",
            "Streetlights that are off, flickering or left on during the day.",
        ),
        icon="light",
        department="municipal-gardens",
        response_hours=8,
        resolution_days=3,
    ),
    DemoCategory(
        slug="manhole-cover",
        group="public-facilities",
        names=Names("井盖缺失或损坏", "井蓋缺失或損壞", "Missing or broken manhole cover"),
        hints=Names(
            "井盖丢失、破裂、松动或下沉，请先远离。",
            "井蓋丟失、破裂、鬆動或下沉，請先遠離。",
            "Missing, cracked, loose or sunken covers. Please keep clear.",
        ),
        icon="road",
        department="municipal-gardens",
        response_hours=2,
        resolution_days=1,
    ),
    DemoCategory(
        slug="drainage",
        group="public-facilities",
        names=Names("排水堵塞与污水外溢", "排水堵塞與污水外溢", "Blocked drain or sewage overflow"),
        hints=Names(
            "雨水口堵塞、路面积水、污水井冒水或发臭。",
            "雨水口堵塞、路面積水、污水井冒水或發臭。",
            "Blocked gullies, standing water, overflowing or smelly sewers.",
        ),
        icon="water",
        department="water-resources",
        response_hours=4,
        resolution_days=3,
    ),
    DemoCategory(
        slug="garbage",
        group="city-appearance",
        names=Names("垃圾乱堆", "垃圾亂堆", "Dumped rubbish"),
        hints=Names(
            "生活垃圾、装修垃圾乱倒，或者垃圾桶满了没人清。",
            "生活垃圾、裝修垃圾亂倒，或者垃圾桶滿了沒人清。",
            "Household or building waste dumped, or bins left overflowing.",
        ),
        icon="trash",
        department="urban-management",
        response_hours=4,
        resolution_days=2,
    ),
    DemoCategory(
        slug="street-vending",
        group="city-appearance",
        names=Names("占道经营", "佔道經營", "Stalls blocking the street"),
        hints=Names(
            "摊贩或店铺把货物摆到马路、人行道上经营。",
            "攤販或店鋪把貨物擺到馬路、人行道上經營。",
            "Stalls or shops trading on the road or pavement.",
        ),
        icon="trash",
        department="urban-management",
        response_hours=4,
        resolution_days=3,
    ),
    DemoCategory(
        slug="trees",
        group="greenery",
        names=Names("树木倒伏与绿化损坏", "樹木倒伏與綠化損壞", "Fallen trees and damaged greenery"),
        hints=Names(
            "树倒了、树枝断了、挡住视线，或者绿地被破坏。",
            "樹倒了、樹枝斷了、擋住視線，或者綠地被破壞。",
            "Fallen trees, broken branches, blocked views or damaged green space.",
        ),
        icon="tree",
        department="municipal-gardens",
        response_hours=4,
        resolution_days=5,
    ),
    DemoCategory(
        slug="noise",
        group="environment",
        names=Names("噪音扰民", "噪音擾民", "Noise nuisance"),
        hints=Names(
            "工地、工厂、商铺或娱乐场所的声音影响休息。",
            "工地、工廠、商鋪或娛樂場所的聲音影響休息。",
            "Noise from building sites, factories, shops or bars that keeps you awake.",
        ),
        icon="noise",
        department="ecology-environment",
        response_hours=4,
        resolution_days=5,
    ),
    DemoCategory(
        slug="cooking-fumes",
        group="environment",
        names=Names("餐饮油烟", "餐飲油煙", "Restaurant cooking fumes"),
        hints=Names(
            "餐馆、烧烤店的油烟直接排放，飘进住户家里。",
            "餐館、燒烤店的油煙直接排放，飄進住戶家裡。",
            "Smoke from restaurant kitchens or barbecues blowing into homes.",
        ),
        icon="noise",
        department="urban-management",
        response_hours=8,
        resolution_days=10,
    ),
    DemoCategory(
        slug="illegal-construction",
        group="construction",
        names=Names("违法建设", "違法建設", "Unauthorised building"),
        hints=Names(
            "私自加盖、搭建房屋或棚子，占用公共空间。",
            "私自加蓋、搭建房屋或棚子，佔用公共空間。",
            "Extensions, sheds or structures put up without permission.",
        ),
        icon="building",
        department="urban-management",
        response_hours=24,
        resolution_days=15,
    ),
    DemoCategory(
        slug="construction-dust",
        group="construction",
        names=Names("工地扬尘", "工地揚塵", "Dust and mud from building sites"),
        hints=Names(
            "工地、渣土车、搅拌站起灰，或者把泥带到路上。",
            "工地、渣土車、攪拌站起灰，或者把泥帶到路上。",
            "Dust or mud from building sites, lorries or concrete plants.",
        ),
        icon="building",
        department="housing-construction",
        response_hours=8,
        resolution_days=5,
    ),
    DemoCategory(
        slug="food-safety",
        group="other",
        names=Names("食品安全", "食品安全", "Food safety"),
        hints=Names(
            "餐馆、菜市场的食品卫生或来源有问题。",
            "餐館、菜市場的食品衛生或來源有問題。",
            "Hygiene or sourcing problems at restaurants and markets.",
        ),
        icon="other",
        department="market-supervision",
        response_hours=8,
        resolution_days=7,
    ),
    DemoCategory(
        slug="other",
        group="other",
        names=Names("其他问题", "其他問題", "Something else"),
        hints=Names(
            "不属于上面任何一类的问题，指挥中心会帮您转给负责部门。",
            "不屬於上面任何一類的問題，指揮中心會幫您轉給負責部門。",
            "Anything else: the command centre will pass it to the right department.",
        ),
        icon="other",
        department="command-centre",
        response_hours=24,
        resolution_days=10,
    ),
)


# ---------------------------------------------------------------------------
# Grid cells (网格)
# ---------------------------------------------------------------------------

GRID_WEST = 117.93
GRID_SOUTH = 24.55
GRID_COLS = 10
GRID_ROWS = 8
GRID_LNG_STEP = 0.02
GRID_LAT_STEP = 0.02125  # eight rows cover 24.55-24.72
_LNG_SCALE = math.cos(math.radians(24.63))  # degrees of longitude are shorter here


def _dist2(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    dx = (lng1 - lng2) * _LNG_SCALE
    dy = lat1 - lat2
    return dx * dx + dy * dy


def _nearest_street(lat: float, lng: float) -> int:
    best, best_d = 0, math.inf
    for k, street in enumerate(STREETS):
        d = _dist2(lat, lng, street.lat, street.lng)
        if d < best_d:  # strict: ties go to the earlier street
            best, best_d = k, d
    return best


def _nearest_community(street: DemoStreet, lat: float, lng: float) -> str:
    best, best_d = street.communities[0].slug, math.inf
    for community in street.communities:
        d = _dist2(lat, lng, community.lat, community.lng)
        if d < best_d:
            best, best_d = community.slug, d
    return best


@dataclass
class _Cell:
    street: int
    community: str
    lat: float  # centroid
    lng: float
    ring: tuple[tuple[float, float], ...]


def grid_cells() -> list[DemoGridCell]:
    """A deterministic lattice of rectangular cells tiling the district's bounding box.

    Each cell belongs to the street whose centre is nearest the cell's centroid,
    and to that street's community nearest the centroid. A community that would
    get no cell takes over the nearest cell of a community with more than one.
    Codes are ``JM-<street no.>-<cell no.>``, numbered south to north, west to east.
    """
    lngs = [round(GRID_WEST + i * GRID_LNG_STEP, 6) for i in range(GRID_COLS + 1)]
    lats = [round(GRID_SOUTH + j * GRID_LAT_STEP, 6) for j in range(GRID_ROWS + 1)]

    cells: list[_Cell] = []
    for j in range(GRID_ROWS):
        for i in range(GRID_COLS):
            west, east, south, north = lngs[i], lngs[i + 1], lats[j], lats[j + 1]
            lat, lng = (south + north) / 2, (west + east) / 2
            s_idx = _nearest_street(lat, lng)
            ring = ((west, south), (east, south), (east, north), (west, north), (west, south))
            cells.append(_Cell(s_idx, _nearest_community(STREETS[s_idx], lat, lng), lat, lng, ring))

    # Make sure every community has at least one cell.
    for s_idx, street in enumerate(STREETS):
        for community in street.communities:
            counts: dict[str, int] = {}
            for cell in cells:
                if cell.street == s_idx:
                    counts[cell.community] = counts.get(cell.community, 0) + 1
            if counts.get(community.slug):
                continue
            best: _Cell | None = None
            best_d = math.inf
            for cell in cells:
                if cell.street == s_idx and counts[cell.community] > 1:
                    d = _dist2(cell.lat, cell.lng, community.lat, community.lng)
                    if d < best_d:
                        best, best_d = cell, d
            if best is not None:
                best.community = community.slug

    result: list[DemoGridCell] = []
    numbers = [0] * len(STREETS)
    for cell in cells:
        numbers[cell.street] += 1
        result.append(
            DemoGridCell(
                code=f"JM-{cell.street + 1:02d}-{numbers[cell.street]:02d}",
                street=STREETS[cell.street].slug,
                community=cell.community,
                polygon=cell.ring,
            )
        )
    return result


# ---------------------------------------------------------------------------
# Tickets (工单)
# ---------------------------------------------------------------------------


def _t(
    category: str,
    street: str,
    community: str,
    status: str,
    days_ago: int,
    description: str,
    address: str,
    name: str = "",
    phone: str = "",
    *,
    public: bool = True,
    progress: str = "",
    resolution: str = "",
    reject: str = "",
) -> DemoTicket:
    return DemoTicket(
        category=category,
        street=street,
        community=community,
        description=description,
        address=address,
        reporter_name=name,
        reporter_phone=phone,
        status=status,
        days_ago=days_ago,
        public=public,
        progress_note=progress,
        resolution_note=resolution,
        reject_reason=reject,
    )


# fmt: off
TICKETS: tuple[DemoTicket, ...] = (
    # --- 集美街道 ---------------------------------------------------------
    _t(
        "road-damage", "jimei", "centou", "in_progress", 6,
        "集美大道往岑头方向的辅道有一段路面塌陷，坑差不多有脸盆那么大，晚上骑电动车经过很危险，"
        "前两天已经有人摔倒了。",
        "集美大道岑头公交站往北约50米辅道", "陈美玲", "13859201234",
        progress="已安排市政养护班组到场设置围挡和警示灯，计划本周内完成修补。",
    ),
    _t(
        "streetlight", "jimei", "xunjiang", "resolved", 12,
        "浔江路靠龙舟池这一侧连着三四盏路灯都不亮，晚上散步的老人小孩很多，黑乎乎的很不安全。",
        "浔江路龙舟池南岸人行道", "林志强", "15060781122",
        progress="已派路灯维护人员现场排查，确认是线路老化导致。",
        resolution="已更换老化线路和4个灯头，夜间复查全部恢复照明。",
    ),
    _t(
        "garbage", "jimei", "dashe", "submitted", 0,
        "大社老街巷子口不知道谁倒了一堆装修垃圾，有碎瓷砖、木板，还有好几袋水泥，巷子被堵了一半。",
        "大社路与嘉庚路交叉口往里第二条巷子",
    ),
    _t(
        "street-vending", "jimei", "xunjiang", "closed", 40,
        "嘉庚公园门口一到周末就有很多流动摊贩卖烤肠、气球，把人行道占满了，游客只能走到马路上去。",
        "嘉庚公园正门外人行道", "黄伟", "18650093377",
        progress="执法队员已在周末加强巡查，劝离占道摊贩。",
        resolution="已在公园东侧设置便民疏导点，周末安排专人值守，正门人行道恢复畅通。",
    ),
    _t(
        "shared-bikes", "jimei", "lehai", "dispatched", 2,
        "乐海路地铁站出口的共享单车堆成了小山，盲道全被压住，推婴儿车根本过不去。",
        "乐海路地铁站B出口东侧", "吴晓燕", "19905921876",
    ),
    _t(
        "noise", "jimei", "centou", "rejected", 15,
        "楼上住户每天晚上九点多在家里弹钢琴，声音很大，孩子写作业受影响，希望有人管一管。",
        "岑头社区某小区5号楼", "郑丽君", "13860112290",
        public=False,
        reject="经核实为居民家中晚上十点前的正常生活声音，不属于噪声执法范围，已转请社区协助调解。",
    ),
    _t(
        "trees", "jimei", "xunjiang", "closed", 60,
        "台风过后，十里长堤靠海边步道有一棵大榕树的枝干断了，挂在半空，随时可能掉下来砸到人。",
        "十里长堤中段观海平台附近", "郑国华", "13606012345",
        progress="园林养护队已到场拉设警戒线，暂时封闭该段步道。",
        resolution="已用吊车清除断枝，并对树冠进行修剪加固，步道恢复通行。",
    ),
    _t(
        "manhole-cover", "jimei", "dashe", "accepted", 3,
        "尚南路人行道上有个井盖松了，一踩就翘起来，旁边就是学校，放学的时候孩子特别多。",
        "尚南路学校对面人行道", "李秀英", "15980812233",
    ),
    _t(
        "cooking-fumes", "jimei", "lehai", "submitted", 1,
        "我家楼下新开了一家烧烤店，排烟管直接对着住户窗户，每天晚上油烟味熏得根本不敢开窗。",
        "银江路某小区1号楼底商", "张丽", "13774561290",
        public=False,
    ),
    _t(
        "shared-bikes", "jimei", "lehai", "merged", 4,
        "乐海路地铁站那边共享单车太多了，盲道都看不见了，麻烦管一下。",
        "乐海路地铁站出口",
    ),
    # --- 侨英街道 ---------------------------------------------------------
    _t(
        "road-damage", "qiaoying", "suncuo", "submitted", 0,
        "孙坂南路人行道地砖大面积松动，下雨天一踩泥水溅一身，希望尽快修一下。",
        "孙坂南路孙厝公交站旁",
    ),
    _t(
        "illegal-parking", "qiaoying", "yecuo", "dispatched", 1,
        "叶厝菜市场门口每天早上都有小车违停，两边停满，公交车开不过去，经常一堵就是半小时。",
        "叶厝菜市场门口", "许建明", "18959217788",
    ),
    _t(
        "illegal-parking", "qiaoying", "qiaoying-sq", "in_progress", 5,
        "侨英路地铁站口电动自行车乱停乱放，人行道和盲道都被占了，行人只能绕到机动车道上走。",
        "侨英路地铁站2号口", "方志诚", "15806001234",
        progress="交警已在早晚高峰安排警力劝导，并联系街道在附近增划电动车停放区。",
    ),
    _t(
        "garbage", "qiaoying", "duishan", "resolved", 9,
        "兑山村口那个垃圾收集点好几天没清运了，天气热臭得不行，苍蝇蚊子到处飞。",
        "兑山村口垃圾收集点", "陈玉兰", "",
        progress="已通知环卫作业公司当天清运。",
        resolution="垃圾收集点已清运并消毒，清运频次调整为每天早晚两次。",
    ),
    _t(
        "drainage", "qiaoying", "suncuo", "closed", 35,
        "每次下大雨盛光路和孙坂南路路口就积水，水深到小腿，雨水口好像被树叶垃圾堵住了。",
        "盛光路与孙坂南路交叉口", "王建国", "13906051234",
        progress="已安排清淤车对路口雨水口和管道进行疏通。",
        resolution="已疏通4个雨水口并加装拦污篦子，后续降雨未再出现明显积水。",
    ),
    _t(
        "construction-dust", "qiaoying", "yecuo", "accepted", 4,
        "叶厝附近那个工地晚上拉土方的车都没盖篷布，路上全是泥土，一起风灰特别大。",
        "叶厝路段工地出入口", "刘芳", "15259206677",
    ),
    _t(
        "noise", "qiaoying", "qiaoying-sq", "dispatched", 2,
        "The building site next to Qiaoying Road runs pile drivers after 11 pm. "
        "Our kids can't sleep. Please check their night-work permit.",
        "Qiaoying Road, opposite the metro exit", "Mark Ellis", "18144001234",
    ),
    _t(
        "streetlight", "qiaoying", "duishan", "dispatched", 3,
        "兑山往后溪方向有一段路灯全部不亮，大概两百米，骑车回家看不清路面。",
        "兑山路往后溪方向", "杨志明", "18030112233",
    ),
    _t(
        "trees", "qiaoying", "suncuo", "resolved", 14,
        "孫厝社區公園裡有幾棵樹長得太茂密，把路燈都擋住了，晚上公園裡很暗，希望修剪一下。",
        "孙厝社区公园", "蔡淑芬", "13950011234",
        progress="已安排园林养护人员现场查看，列入本周修剪计划。",
        resolution="已修剪遮挡路灯的树冠，公园夜间照明恢复正常。",
    ),
    _t(
        "food-safety", "qiaoying", "qiaoying-sq", "rejected", 20,
        "侨英这边有家奶茶店好像在用过期原料，我朋友喝了以后拉肚子。",
        "侨英街道",
        reject="反映内容缺少店名和具体地址，暂时无法核实，请补充信息后重新提交。",
    ),
    # --- 杏林街道 ---------------------------------------------------------
    _t(
        "road-damage", "xinglin", "xingdong", "closed", 50,
        "杏林湾路靠近杏林大桥引桥下面，路面裂缝很多，还有好几个坑，大货车一压越来越严重。",
        "杏林湾路杏林大桥引桥下", "庄明辉", "13799901234",
        progress="已安排养护单位对坑槽进行临时填补。",
        resolution="已对该路段进行铣刨重铺，路面恢复平整，并增设限速提示牌。",
    ),
    _t(
        "garbage", "xinglin", "gaopu", "in_progress", 7,
        "高浦路边一块空地被当成了垃圾场，建筑垃圾、旧沙发、床垫都往那里扔，已经堆了快一个月。",
        "高浦路高浦公交站对面空地", "洪丽华", "15880223344",
        progress="已清运第一批垃圾约8车，正在协调土地权属单位加装围挡，防止再次倾倒。",
    ),
    _t(
        "drainage", "xinglin", "jinyuan", "submitted", 1,
        "锦园小区门口的下水道反味很重，井盖边上一直冒黑水，流得人行道上到处都是。",
        "锦园小区东门", "苏文", "18906055678",
        public=False,
    ),
    _t(
        "street-vending", "xinglin", "xinglin-sq", "accepted", 5,
        "杏林菜市场外面早上摆满了地摊，卖菜的把路都占了，车进不去也出不来。",
        "杏林菜市场南侧路口", "吴金山", "",
    ),
    _t(
        "cooking-fumes", "xinglin", "xingdong", "resolved", 18,
        "杏前路一排小吃店的后厨油烟直接排到小区里，楼上住户衣服都不敢晒出去。",
        "杏前路沿街商铺后侧", "", "13666091234",
        progress="执法人员已上门检查，责令商户限期安装油烟净化设备。",
        resolution="涉及的5家商户已全部安装油烟净化器并改造排烟管道，复查合格。",
    ),
    _t(
        "manhole-cover", "xinglin", "gaopu", "closed", 70,
        "高浦路上有个雨水井盖不见了，只剩个黑洞，有人放了个雪糕筒，晚上很容易掉下去。",
        "高浦路与杏林湾路交叉口往西", "陈志伟", "13850012345",
        progress="已派人到场设置围挡和警示灯。",
        resolution="已安装新的防盗井盖并加装防坠网。",
    ),
    _t(
        "illegal-construction", "xinglin", "jinyuan", "dispatched", 4,
        "我家对面那栋楼楼顶有人在加盖铁皮房，已经搭了两层，担心不安全，也挡了我们的采光。",
        "锦园路某小区7号楼楼顶", "黄建华", "15959201122",
        public=False,
    ),
    _t(
        "noise", "xinglin", "xingdong", "in_progress", 8,
        "杏林老工业区有家厂晚上开机器，轰隆隆的声音一直响到凌晨，附近几个小区都听得到。",
        "杏东路工业区", "林淑贞", "18750091234",
        progress="执法人员已在夜间到场监测噪声，正在核查企业的生产时间和降噪措施。",
    ),
    _t(
        "garbage", "xinglin", "gaopu", "merged", 3,
        "高浦路那块空地又有人倒垃圾了，旧家具、床垫一大堆，附近居民意见很大。",
        "高浦路空地", "", "15080091234",
    ),
    _t(
        "other", "xinglin", "gaopu", "resolved", 10,
        "高浦社区小广场的健身器材坏了一台，转轮的轴断了，小孩子在上面玩很危险。",
        "高浦社区小广场", "何美华", "18259201234",
        progress="已转交社区对接器材维保单位，先行贴封停用。",
        resolution="已更换损坏的器材，并对广场上其他健身器材做了安全检查。",
    ),
    # --- 杏滨街道 ---------------------------------------------------------
    _t(
        "road-damage", "xingbin", "maluan", "accepted", 6,
        "马銮村口往北的那条辅路，挖开以后一直没恢复，只铺了一层碎石，骑车很容易打滑。",
        "马銮社区村口往北辅路", "郭晓东", "13515921234",
    ),
    _t(
        "illegal-parking", "xingbin", "xibin", "submitted", 0,
        "西滨小区消防通道上长期停着几辆私家车，万一着火消防车根本开不进来。",
        "西滨小区3号楼后消防通道", "曾美华", "18150086655",
    ),
    _t(
        "streetlight", "xingbin", "xingbin-sq", "closed", 45,
        "杏滨路往集美大道方向有几盏路灯白天亮着、晚上反而不亮，可能是定时器坏了。",
        "杏滨路与集美大道交叉口附近", "钟小兰", "",
        progress="已安排维护人员检查路灯控制箱。",
        resolution="已更换控制箱的时控器，开关灯时间恢复正常。",
    ),
    _t(
        "garbage", "xingbin", "maluan", "dispatched", 2,
        "马銮湾海边退潮后滩涂上全是塑料瓶和泡沫块，还看到有人直接往海堤外倒垃圾。",
        "马銮湾海堤外侧滩涂", "施建伟", "15980001234",
    ),
    _t(
        "trees", "xingbin", "xibin", "in_progress", 4,
        "西滨路边绿化带的树被大风刮倒了，横在人行道上，行人只能走机动车道。",
        "西滨路公交站附近", "王秀珍", "13859012233",
        progress="倒伏树木已移到路边，人行道已清出通道，后续将扶正或补种。",
    ),
    _t(
        "drainage", "xingbin", "xingbin-sq", "resolved", 20,
        "杏滨这边的地下通道一下雨就积水，水没过脚踝，每次都要好几天才退。",
        "杏滨路地下通道", "戴志明", "18965001234",
        progress="已安排清淤车对通道排水管进行疏通。",
        resolution="已清理排水沟淤泥并更换损坏的抽水泵，雨天积水能及时排走。",
    ),
    _t(
        "food-safety", "xingbin", "maluan", "closed", 30,
        "马銮菜市场有个摊位卖的猪肉没有检疫章，价格比别家便宜很多，担心来路不明。",
        "马銮农贸市场肉类区", "", "13799011234",
        public=False,
        progress="市场监管执法人员已到现场检查。",
        resolution="已查扣无检疫证明的猪肉并对涉事摊位立案调查，市场日常巡查已加强。",
    ),
    _t(
        "construction-dust", "xingbin", "xibin", "submitted", 3,
        "西滨社区旁边工地的围挡倒了一段，里面的泥土被雨冲到马路上，到处都是泥浆。",
        "西滨路工地围挡外", "翁丽娟", "19959201234",
    ),
    _t(
        "illegal-construction", "xingbin", "xingbin-sq", "rejected", 25,
        "邻居在自家院子里搭了个雨棚，我觉得挡住了我家门口的路，请派人来看看。",
        "杏滨社区某巷", "罗志坚", "13666201234",
        public=False,
        reject="经现场核查，雨棚位于业主自家院内，未占用公共通道，不属于违法建设；已请社区调解员协助沟通。",
    ),
    _t(
        "noise", "xingbin", "maluan", "accepted", 2,
        "马銮社区广场舞的音响每天晚上开得很大声，一直跳到九点半以后，老人小孩都休息不好。",
        "马銮社区文化广场", "曾建平", "13906001234",
    ),
    # --- 灌口镇 -----------------------------------------------------------
    _t(
        "road-damage", "guankou", "guankou-sq", "resolved", 16,
        "灌口中路靠近中学那一段路面坑坑洼洼，下雨积水看不出坑在哪里，已经有电动车摔倒了。",
        "灌口中路学校门口往东", "李建国", "13959201234",
        progress="已安排养护单位对坑槽进行临时填补。",
        resolution="已对该路段进行铣刨重铺，路面恢复平整。",
    ),
    _t(
        "illegal-parking", "guankou", "guankou-sq", "submitted", 1,
        "灌口老街两边乱停车，电动车也随便停，早上送孩子上学根本走不动。",
        "灌口中路北段老街", "陈少华", "15060001234",
    ),
    _t(
        "garbage", "guankou", "shenqing", "closed", 55,
        "深青村后山的路边有人偷倒工业垃圾，都是废料桶和布料边角料，下过雨以后有一股怪味。",
        "深青路往后山方向的小路边", "", "18959001234",
        progress="已会同生态环境部门到场取样，排查倾倒来源。",
        resolution="垃圾已全部清运，路口加装了监控，涉事企业已被立案处罚。",
    ),
    _t(
        "street-vending", "guankou", "guankou-sq", "in_progress", 6,
        "灌口南路夜市的摊位越摆越多，占了半条路，晚上车开不过去，收摊以后垃圾也没人收拾。",
        "灌口南路夜市路段", "许美玲", "13860001234",
        progress="已与夜市摊主召开协调会，划定摆摊范围和收摊时间，本周起开始执行。",
    ),
    _t(
        "drainage", "guankou", "donghui", "dispatched", 3,
        "东辉村有条排水沟被淤泥和杂草堵死了，一下雨水就漫到路上，好几户人家门口都进了水。",
        "东辉村委会往南约200米的排水沟", "陈火旺", "",
    ),
    _t(
        "cooking-fumes", "guankou", "guankou-sq", "accepted", 5,
        "金龙路一家餐馆的排烟管道就在我卧室窗户下面，天天晚上都是油烟味，一开窗就熏人。",
        "金龙路某餐馆后巷", "卢秋燕", "13599201234",
        public=False,
    ),
    _t(
        "streetlight", "guankou", "shenqing", "in_progress", 10,
        "安仁大道深青段有一排路灯坏了，晚上大货车又多，行人过马路很危险。",
        "安仁大道深青路口往北", "柯文杰", "18359201234",
        progress="已查明是地下电缆被施工挖断，正在协调施工单位抢修，预计三天内恢复。",
    ),
    _t(
        "trees", "guankou", "donghui", "submitted", 2,
        "东辉这边路边几棵行道树的树根把人行道顶起来了，地砖翘得很高，老人走路容易绊倒。",
        "东辉小学附近人行道", "谢丽芳", "",
    ),
    _t(
        "shared-bikes", "guankou", "guankou-sq", "closed", 80,
        "灌口公交总站附近共享单车停得到处都是，连车道上都有，开车要左躲右躲。",
        "灌口公交总站周边", "吴志勇", "15805921234",
        progress="已通知各共享单车企业限时清运。",
        resolution="企业已清运超量车辆，站点周边新划了单车停放区并安排专人整理。",
    ),
    _t(
        "streetlight", "guankou", "shenqing", "merged", 8,
        "安仁大道深青那一段晚上路灯全黑，开车看不清路边的行人，希望尽快修好。",
        "安仁大道深青段", "邱雅婷", "13950201234",
    ),
    # --- 后溪镇 -----------------------------------------------------------
    _t(
        "road-damage", "houxi", "yannei", "dispatched", 4,
        "厦门北站往岩内方向的路上有几处路面下沉，开车经过颠得厉害，出租车都绕着走。",
        "厦门北站南广场往岩内方向", "蔡志强", "18606001234",
    ),
    _t(
        "garbage", "houxi", "houxi-sq", "resolved", 7,
        "后溪菜市场后面的垃圾桶满了也没人清，垃圾溢出来流了一地，味道很大。",
        "后溪农贸市场后门", "许丽红", "",
        progress="已联系环卫作业单位到场清理。",
        resolution="溢出的垃圾已清理干净，新增4个垃圾桶，清运调整为每天两次。",
    ),
    _t(
        "illegal-construction", "houxi", "chengnei", "accepted", 7,
        "城内村有户人家在村道边上加盖了一间砖房，把村道占了一半，车都过不去了。",
        "城内村主干道中段", "陈永福", "13559201234",
        public=False,
    ),
    _t(
        "drainage", "houxi", "houxi-sq", "closed", 65,
        "后溪镇政府附近的污水井一直冒水，污水直接流进旁边的河道，河水发黑发臭。",
        "后溪镇政府附近河道旁", "黄雅琴", "15359201234",
        progress="已安排人员封堵溢流点并排查上游管网。",
        resolution="已修复破损的污水管道并清理河道淤积，水质明显好转。",
    ),
    _t(
        "noise", "houxi", "yannei", "resolved", 28,
        "A bar near Xiamen North Railway Station plays loud music every night until 2 am. "
        "We hear it even with the windows shut.",
        "Near Xiamen North Railway Station", "Sarah Lin", "13800001234",
        progress="执法人员已在夜间到场，责令酒吧降低音量并加装隔音设施。",
        resolution="酒吧已完成隔音改造，晚上11点后不再播放户外音乐，回访噪声明显降低。",
    ),
    _t(
        "illegal-parking", "houxi", "yannei", "in_progress", 3,
        "厦门北站出租车上客区外面很多私家车乱停拉客，把通道堵死了，拖着行李都挤不过去。",
        "厦门北站出租车候客区外侧", "孙明", "18859201234",
        progress="交警已在北站周边增派警力，开展违停和非法营运专项整治。",
    ),
    _t(
        "trees", "houxi", "chengnei", "submitted", 1,
        "城內村口那棵老榕樹有一根大樹枝已經裂開了，下面就是小孩上學走的路，請盡快處理。",
        "城内村口老榕树下", "陈秀兰", "13759201234",
    ),
    _t(
        "construction-dust", "houxi", "houxi-sq", "resolved", 11,
        "后溪附近有个搅拌站，晴天灰尘漫天，周边住户家里的桌子一天擦好几遍还是一层灰。",
        "后溪工业区搅拌站", "刘国强", "18050001234",
        progress="已责令搅拌站停产整改，加装喷淋设施并封闭料仓。",
        resolution="搅拌站已完成全封闭改造并安装扬尘在线监测，复查达标后恢复生产。",
    ),
    _t(
        "food-safety", "houxi", "houxi-sq", "submitted", 0,
        "后溪镇上有家小餐馆后厨卫生很差，我亲眼看到储物间有老鼠跑，他们还照样做菜卖。",
        "后溪镇区某小餐馆", "", "",
        public=False,
    ),
    _t(
        "streetlight", "houxi", "yannei", "accepted", 2,
        "岩内社区新建的小公园路灯装好很久了一直没通电，晚上一片漆黑，锻炼的人只能打手电。",
        "岩内社区小公园", "林志明", "13959001234",
    ),
)
# fmt: on
