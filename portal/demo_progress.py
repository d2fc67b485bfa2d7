"""Demonstration projects, milestones, photos and stories, drawn from the district's work that the
seed article names: removing fences to open green space (拆栏透绿), the clean-up of the Ten-mile
Embankment (十里长堤) and the traffic police's campaign on electric bicycles (电动自行车专项整治).

Dates count from the day the demonstration is loaded, so it always reads as current: some
milestones reached, one late, stories published over the past months and one scheduled. Everything
that already happened is marked as already told to followers, so the first run of the jobs finds
nothing to send. Traditional Chinese texts are made from the Simplified ones with OpenCC (the
stories say so: ``converted``). Photos are drawn here and go through the real photo pipeline.
Safe to run twice: a project or story that is there already is left as it is.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from PIL import Image, ImageDraw
from sqlmodel import Session, col, select

from portal.accounts.models import StaffUser
from portal.db import utcnow
from portal.i18n import DISTRICT_TZ
from portal.media import MediaStore, process_photo
from portal.progress.models import (
    CampaignCategory,
    Milestone,
    Project,
    ProjectArea,
    ProjectDepartment,
    ProjectPhoto,
    ProjectTicket,
    Story,
    StoryStatus,
    StoryText,
)
from portal.progress.search import reindex
from portal.progress.texts import to_hant
from portal.tickets.models import Ticket


@dataclass(frozen=True)
class Text:
    """A text written in Simplified Chinese and English; the Traditional one is converted."""

    zh_hans: str
    en: str


@dataclass(frozen=True)
class DemoMilestone:
    title: Text
    note: Text
    weight: int
    planned: int  # days from the day of loading
    status: str = "planned"
    reached: int | None = None  # days from the day of loading (never after it)


@dataclass(frozen=True)
class DemoPair:
    drawing: str
    seed: int
    before: Text
    after: Text


@dataclass(frozen=True)
class DemoProject:
    slug: str
    title: Text
    summary: Text
    body: Text
    status: str
    lead: str
    start: int
    target: int
    kind: str = "project"
    parent: str | None = None
    weight: int = 1
    others: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()
    milestones: tuple[DemoMilestone, ...] = ()
    cover: tuple[str, int, Text] | None = None
    pairs: tuple[DemoPair, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoStory:
    slug: str
    project: str
    days: int  # published this many days from the day of loading (later: scheduled)
    title: Text
    summary: Text
    body: Text


# --- 拆栏透绿: a campaign of sites, one part per street, weighted -------------------------------------

CHAILAN = DemoProject(
    slug="chailan-toulv",
    title=Text("拆栏透绿", "Fences down, green space open"),
    summary=Text(
        "拆除公园、绿地和单位沿街的围栏围墙，把绿地还给市民，提升城市空间颜值。",
        "Fences and walls around parks, green spaces and street-front compounds come down, so residents can use the green space again.",
    ),
    body=Text(
        "区社治委统筹推进“拆栏透绿”，各镇街逐个点位摸底、征求周边居民意见后实施。\n\n"
        "**做法**\n\n- 能拆尽拆：拆除影响通行和观感的围栏、围墙\n- 拆后即绿：同步补植绿化、铺设步道\n"
        "- 安全优先：临水、临路点位保留必要的低矮护栏\n\n各点位的进度按工作量加权，合成本项目的总进度。",
        "The District Social Governance Committee coordinates the work; each street surveys its sites and asks the neighbours before work starts.\n\n"
        "**How**\n\n- Remove fences and walls that block the way or the view\n- Plant and pave as soon as a fence is down\n"
        "- Safety first: low railings stay by water and roads\n\nEach site's progress, weighted by the amount of work, makes up the progress of the whole.",
    ),
    status="in_progress",
    lead="municipal-gardens",
    others=("urban-management", "housing-construction"),
    streets=("jimei", "xinglin", "qiaoying", "guankou"),
    start=-200,
    target=150,
    cover=(
        "fence-after",
        1,
        Text(
            "龙舟池沿线拆栏后的开放草坪", "The open lawn along the Dragon Boat Pond after the fence came down"
        ),
    ),
    pairs=(
        DemoPair(
            "fence",
            1,
            Text("拆除前：铁栅栏把草坪和步道隔开", "Before: an iron fence kept people off the lawn"),
            Text("拆除后：草坪与步道连成一片", "After: lawn and footpath are one open space"),
        ),
    ),
)

CHAILAN_PARTS = (
    DemoProject(
        slug="chailan-toulv-longzhouchi",
        parent="chailan-toulv",
        weight=3,
        title=Text("拆栏透绿·集美街道龙舟池沿线", "Fences down: Dragon Boat Pond, Jimei Street"),
        summary=Text(
            "拆除龙舟池沿线绿地围栏，铺设步道，草坪向市民开放。",
            "The fence along the Dragon Boat Pond lawns is gone; new footpaths open the lawns.",
        ),
        body=Text(
            "龙舟池沿线是拆栏透绿的第一个点位，已全部完工。",
            "The Dragon Boat Pond was the first site, and it is finished.",
        ),
        status="completed",
        lead="municipal-gardens",
        streets=("jimei",),
        start=-200,
        target=-100,
        milestones=(
            DemoMilestone(
                Text("方案公示、征求意见", "Plan published for comment"),
                Text(
                    "收到居民意见四十余条，均已答复。", "Over forty comments from residents, each answered."
                ),
                20,
                -190,
                "done",
                -188,
            ),
            DemoMilestone(Text("拆除沿线围栏", "Fence removed"), Text("", ""), 40, -150, "done", -152),
            DemoMilestone(
                Text("草坪修复、步道铺设", "Lawns repaired, footpaths laid"),
                Text("", ""),
                40,
                -110,
                "done",
                -105,
            ),
        ),
        cover=(
            "fence-after",
            2,
            Text("龙舟池沿线开放后的草坪和步道", "Lawns and footpaths by the Dragon Boat Pond"),
        ),
    ),
    DemoProject(
        slug="chailan-toulv-xinglin-park",
        parent="chailan-toulv",
        weight=3,
        title=Text("拆栏透绿·杏林街道杏林公园", "Fences down: Xinglin Park, Xinglin Street"),
        summary=Text(
            "拆除杏林公园沿街围墙和栏杆，打通公园与街道。",
            "The walls and railings between Xinglin Park and the street come down.",
        ),
        body=Text(
            "公园沿街一侧的围墙已拆除，正在进行绿地和步道提升，随后安装夜间照明。",
            "The street-side wall is down; the green space and paths are being improved, then night lighting follows.",
        ),
        status="in_progress",
        lead="municipal-gardens",
        others=("urban-management",),
        streets=("xinglin",),
        start=-130,
        target=80,
        milestones=(
            DemoMilestone(
                Text("征求周边居民意见", "Neighbours consulted"), Text("", ""), 15, -120, "done", -118
            ),
            DemoMilestone(
                Text("拆除沿街围墙与栏杆", "Street-side wall and railings removed"),
                Text("", ""),
                35,
                -60,
                "done",
                -62,
            ),
            DemoMilestone(
                Text("绿地与步道提升", "Green space and paths improved"),
                Text("补植乔木和灌木，新铺透水步道。", "Trees and shrubs planted, permeable paths laid."),
                30,
                20,
                "in_progress",
            ),
            DemoMilestone(Text("安装夜间照明", "Night lighting installed"), Text("", ""), 20, 60),
        ),
        pairs=(
            DemoPair(
                "fence",
                3,
                Text("拆除前：公园沿街的围栏", "Before: the fence along the park's street side"),
                Text("拆除后：公园向街道敞开", "After: the park opens onto the street"),
            ),
        ),
    ),
    DemoProject(
        slug="chailan-toulv-qiaoying",
        parent="chailan-toulv",
        weight=2,
        title=Text(
            "拆栏透绿·侨英街道侨英路街头绿地", "Fences down: Qiaoying Road pocket green, Qiaoying Street"
        ),
        summary=Text(
            "拆除侨英路街头绿地围栏，增设休息座椅。",
            "The fence around the Qiaoying Road pocket green comes down and benches are added.",
        ),
        body=Text(
            "街头绿地面积不大，但紧挨公交站和小区出入口，拆栏后方便居民休息、候车。",
            "A small green by a bus stop and estate gates: without its fence, people can sit and wait there.",
        ),
        status="in_progress",
        lead="urban-management",
        streets=("qiaoying",),
        start=-90,
        target=60,
        milestones=(
            DemoMilestone(Text("现场摸底", "Site survey"), Text("", ""), 20, -80, "done", -79),
            DemoMilestone(Text("拆除围栏", "Fence removed"), Text("", ""), 50, 15, "in_progress"),
            DemoMilestone(Text("增设座椅、补植绿化", "Benches and planting"), Text("", ""), 30, 45),
        ),
    ),
    DemoProject(
        slug="chailan-toulv-guankou",
        parent="chailan-toulv",
        weight=2,
        title=Text(
            "拆栏透绿·灌口镇灌口中路绿化带", "Fences down: Guankou Middle Road green strip, Guankou Town"
        ),
        summary=Text(
            "灌口中路绿化带拆栏透绿，方案设计中。",
            "The Guankou Middle Road green strip is next; the plan is being drawn up.",
        ),
        body=Text(
            "方案确定后将公示并征求沿街商户和居民意见。",
            "Once drawn up, the plan will be published for shopkeepers and residents to comment on.",
        ),
        status="planned",
        lead="municipal-gardens",
        streets=("guankou",),
        start=20,
        target=150,
        milestones=(
            DemoMilestone(Text("方案设计与公示", "Plan drawn up and published"), Text("", ""), 30, 40),
            DemoMilestone(Text("拆除围栏", "Fence removed"), Text("", ""), 40, 90),
            DemoMilestone(Text("补植绿化", "Planting"), Text("", ""), 30, 140),
        ),
    ),
)

# --- 十里长堤: one project with milestones, one of them late ----------------------------------------

SHILI = DemoProject(
    slug="shili-changdi",
    title=Text("十里长堤整治提升", "Ten-mile Embankment clean-up and upgrade"),
    summary=Text(
        "整治十里长堤沿线占道经营、乱搭乱建和垃圾乱象，并修缮护栏、路灯，提升步道和绿化。",
        "Clearing the Ten-mile Embankment of street stalls, makeshift structures and litter, then repairing railings and lights and upgrading paths and planting.",
    ),
    body=Text(
        "十里长堤是市民散步、骑行的热门去处，过去沿线占道经营、乱搭乱建和垃圾问题较多。"
        "区城市管理和综合执法局牵头，会同市政园林、生态环境、水利等部门分段整治，并因势利导进一步提升。\n\n"
        "**分几步走**\n\n1. 清理占道经营和违规搭建\n2. 沿线垃圾清运与水面保洁\n3. 护栏与路灯修缮\n4. 步道铺装与绿化补植\n5. 建立长效保洁巡查机制",
        "The Ten-mile Embankment is a favourite place to walk and cycle, but stalls, makeshift structures and litter had taken over parts of it. "
        "The Urban Management and Law Enforcement Bureau leads the work section by section with the landscaping, environment and water departments, and goes on to upgrade it.\n\n"
        "**In steps**\n\n1. Clear street stalls and illegal structures\n2. Remove litter along the bank and on the water\n3. Repair railings and streetlights\n"
        "4. Pave paths and plant\n5. Set up lasting cleaning and patrols",
    ),
    status="in_progress",
    lead="urban-management",
    others=("municipal-gardens", "ecology-environment", "water-resources"),
    streets=("jimei", "xinglin"),
    start=-150,
    target=120,
    milestones=(
        DemoMilestone(
            Text("清理占道经营和违规搭建", "Street stalls and illegal structures cleared"),
            Text("清理违规搭建棚架二十余处。", "More than twenty makeshift sheds removed."),
            20,
            -120,
            "done",
            -118,
        ),
        DemoMilestone(
            Text("沿线垃圾清运与水面保洁", "Litter cleared from the bank and the water"),
            Text("", ""),
            20,
            -90,
            "done",
            -95,
        ),
        DemoMilestone(
            Text("护栏与路灯修缮", "Railings and streetlights repaired"),
            Text(
                "部分护栏需定制，到货晚于计划。",
                "Some railings are made to measure and arrived later than planned.",
            ),
            25,
            -14,
            "in_progress",
        ),
        DemoMilestone(Text("步道铺装与绿化补植", "Paths paved and planting done"), Text("", ""), 25, 45),
        DemoMilestone(
            Text("建立长效保洁巡查机制", "Lasting cleaning and patrols in place"), Text("", ""), 10, 110
        ),
    ),
    cover=("embankment-after", 1, Text("整治后的十里长堤步道", "The embankment path after the clean-up")),
    pairs=(
        DemoPair(
            "embankment",
            1,
            Text("整治前：堤岸上的垃圾和临时棚架", "Before: litter and makeshift sheds on the bank"),
            Text("整治后：干净的步道和新护栏", "After: a clean path and new railings"),
        ),
    ),
)

# --- 电动自行车专项整治: a campaign whose tickets are tagged ------------------------------------------

EBIKE = DemoProject(
    slug="ebike-campaign",
    kind="campaign",
    title=Text("电动自行车专项整治", "Electric bicycle campaign"),
    summary=Text(
        "交警集美大队牵头整治电动自行车乱停乱放、逆行、闯红灯等问题，宣传劝导与执法并重。",
        "The Jimei Traffic Police Brigade tackles e-bikes parked on pavements, riding the wrong way and running red lights, with advice first and enforcement where needed.",
    ),
    body=Text(
        "交警上街开展电动自行车专项整治，并对市民开展宣传劝导。专项整治期间，市民反映的“违章停车”类诉求自动纳入本专项，"
        "其受理、办结和满意情况在本页实时公开。\n\n**重点**\n\n- 地铁站口、学校和商圈周边乱停放\n- 逆行、闯红灯、违规载人\n- 增划电动自行车停放区",
        "Traffic police are out on the streets for the e-bike campaign, advising riders as well as enforcing the rules. While it runs, residents' reports of illegal parking "
        "are counted towards it, and how they are handled and rated is shown live on this page.\n\n**Focus**\n\n- Parking at metro exits, schools and shopping streets\n"
        "- Riding the wrong way, running red lights, carrying passengers\n- More marked e-bike parking bays",
    ),
    status="in_progress",
    lead="traffic-police",
    others=("transport", "urban-management"),
    streets=("jimei", "qiaoying", "xinglin", "xingbin"),
    start=-60,
    target=60,
    categories=("illegal-parking",),
    milestones=(
        DemoMilestone(
            Text("宣传劝导周", "A week of advice"),
            Text(
                "在地铁站口和学校周边设点劝导。", "Officers at metro exits and schools explained the rules."
            ),
            20,
            -50,
            "done",
            -46,
        ),
        DemoMilestone(
            Text("重点路口集中整治", "Enforcement at busy junctions"), Text("", ""), 40, 10, "in_progress"
        ),
        DemoMilestone(Text("增划电动自行车停放区", "More e-bike parking bays marked"), Text("", ""), 25, 30),
        DemoMilestone(Text("总结评估", "Review of the campaign"), Text("", ""), 15, 60),
    ),
    cover=(
        "ebike-after",
        1,
        Text("地铁站口新划的电动自行车停放区", "New e-bike parking bays by a metro exit"),
    ),
    pairs=(
        DemoPair(
            "ebike",
            1,
            Text("整治前：电动自行车压住盲道", "Before: e-bikes parked across the tactile paving"),
            Text("整治后：停进停放区，盲道畅通", "After: parked in the bays, the tactile paving is clear"),
        ),
    ),
)

PROJECTS = (CHAILAN, *CHAILAN_PARTS, SHILI, EBIKE)

# --- stories ----------------------------------------------------------------------------------------

SITES_TABLE = Text(
    "| 点位 | 镇街 | 进度 |\n| --- | --- | --- |\n| 龙舟池沿线 | 集美街道 | 已完工 |\n| 杏林公园 | 杏林街道 | 绿地提升中 |\n"
    "| 侨英路街头绿地 | 侨英街道 | 拆除围栏中 |\n| 灌口中路绿化带 | 灌口镇 | 方案设计 |",
    "| Site | Street | Progress |\n| --- | --- | --- |\n| Dragon Boat Pond | Jimei | finished |\n| Xinglin Park | Xinglin | green space being improved |\n"
    "| Qiaoying Road pocket green | Qiaoying | fence coming down |\n| Guankou Middle Road | Guankou | plan being drawn up |",
)

STORIES = (
    DemoStory(
        "longzhouchi-lawn-open",
        "chailan-toulv",
        -100,
        Text(
            "龙舟池沿线拆栏透绿完工，草坪向市民敞开",
            "Dragon Boat Pond: the fence is gone and the lawns are open",
        ),
        Text(
            "拆栏透绿第一个点位完工，沿线草坪与步道连成一片。",
            "The first site is finished: lawns and footpaths are now one open space.",
        ),
        Text(
            "龙舟池沿线的围栏拆除后，草坪与步道连成一片。周末不少市民带着孩子在草坪上放风筝、野餐。\n\n"
            "“以前只能隔着栏杆看，现在可以走进去了。”住在附近的陈阿姨说。\n\n临水一侧保留了低矮护栏，确保安全。",
            "With the fence along the Dragon Boat Pond gone, the lawns and footpaths are one open space. At weekends families fly kites and picnic there.\n\n"
            "“We used to look at it through the railings; now we can walk in,” says Ms Chen, who lives nearby.\n\nLow railings remain by the water for safety.",
        ),
    ),
    DemoStory(
        "chailan-toulv-sites",
        "chailan-toulv",
        -20,
        Text("拆栏透绿各点位进展一览", "Fences down: where each site stands"),
        Text(
            "四个点位一个完工、两个施工中、一个在做方案。",
            "Of four sites, one is finished, two are under way and one is being planned.",
        ),
        Text(
            "拆栏透绿按点位推进，各点位进度按工作量加权，合成总进度。\n\n" + SITES_TABLE.zh_hans + "\n\n"
            "灌口中路绿化带的方案确定后将公示征求意见。",
            "The work goes site by site; each site's progress, weighted by the amount of work, makes up the whole.\n\n"
            + SITES_TABLE.en
            + "\n\n"
            "The Guankou Middle Road plan will be published for comment once it is drawn up.",
        ),
    ),
    DemoStory(
        "xinglin-park-night-lights",
        "chailan-toulv",
        3,
        Text("杏林公园开放段将安装夜间照明", "Night lighting for the opened part of Xinglin Park"),
        Text(
            "拆栏后的杏林公园沿街段将增设步道照明。",
            "The street side of Xinglin Park, now open, gets lights along its paths.",
        ),
        Text(
            "杏林公园沿街一侧拆除围墙后，不少居民反映晚上散步光线不足。公园将在绿地提升完成后安装步道照明。",
            "Since the wall on Xinglin Park's street side came down, residents have asked for more light on evening walks. Path lighting follows once the green space is finished.",
        ),
    ),
    DemoStory(
        "shili-changdi-cleared",
        "shili-changdi",
        -90,
        Text("十里长堤完成第一阶段整治", "Ten-mile Embankment: the first clean-up is done"),
        Text(
            "沿线占道经营和违规搭建已清理，垃圾清运和水面保洁完成。",
            "Street stalls and makeshift sheds are gone; litter has been cleared from the bank and the water.",
        ),
        Text(
            "区城市管理和综合执法局会同相关部门分段整治十里长堤，清理违规搭建棚架二十余处，沿线垃圾和水面漂浮物已清运。\n\n"
            "**下一步**：修缮护栏和路灯，随后铺装步道、补植绿化。",
            "The Urban Management and Law Enforcement Bureau and other departments cleared the embankment section by section, removing more than twenty makeshift sheds "
            "and the litter on the bank and the water.\n\n**Next**: railings and streetlights are repaired, then paths are paved and planted.",
        ),
    ),
    DemoStory(
        "shili-changdi-railings-late",
        "shili-changdi",
        -10,
        Text("十里长堤护栏修缮晚于计划", "Ten-mile Embankment: the railing repairs are late"),
        Text(
            "部分定制护栏到货推迟，修缮将晚于原定日期完成。",
            "Some made-to-measure railings arrived late, so the repairs will finish after the planned date.",
        ),
        Text(
            "原计划两周前完成的护栏与路灯修缮尚未完工：部分护栏需按堤岸弧度定制，到货晚于计划。路灯已修复大部分，"
            "其余护栏到货后将尽快安装。施工路段设有围挡，请市民注意绕行。",
            "The railing and streetlight repairs planned to finish two weeks ago are not done: some railings are made to follow the curve of the bank and arrived late. "
            "Most lights are fixed; the remaining railings go in as soon as they arrive. Work sections are fenced off; please follow the diversions.",
        ),
    ),
    DemoStory(
        "ebike-campaign-begins",
        "ebike-campaign",
        -45,
        Text(
            "电动自行车专项整治启动，先劝导后执法", "E-bike campaign begins: advice first, then enforcement"
        ),
        Text(
            "交警集美大队在地铁站口、学校周边设点宣传劝导。",
            "The Jimei Traffic Police Brigade is at metro exits and schools explaining the rules.",
        ),
        Text(
            "交警集美大队启动电动自行车专项整治，第一周以宣传劝导为主，在地铁站口、学校周边设点，提醒市民规范停放、不逆行、不闯红灯。\n\n"
            "专项整治期间，市民反映的违章停车问题将纳入专项统计，在项目页面公开办理情况。",
            "The Jimei Traffic Police Brigade has begun its e-bike campaign. The first week is about advice: officers at metro exits and schools remind riders to park properly, "
            "not to ride the wrong way and not to run red lights.\n\nWhile the campaign runs, residents' reports of illegal parking count towards it, and how they are handled is shown on the project page.",
        ),
    ),
    DemoStory(
        "ebike-parking-bays",
        "ebike-campaign",
        -5,
        Text("侨英路地铁站口增划电动自行车停放区", "New e-bike parking bays at the Qiaoying Road metro exit"),
        Text(
            "停放区划好后，盲道和人行道恢复畅通。",
            "With the bays marked, the pavement and tactile paving are clear again.",
        ),
        Text(
            "针对市民反映的侨英路地铁站口电动自行车乱停问题，交警会同街道在站口附近增划停放区，并安排早晚高峰劝导。",
            "After residents reported e-bikes blocking the Qiaoying Road metro exit, the police and the street office marked new parking bays nearby, with officers there at rush hours.",
        ),
    ),
)


# --- drawings -----------------------------------------------------------------------------------------

W, H = 1200, 800
SKY, GRASS, PATH = (176, 206, 230), (104, 160, 82), (200, 190, 170)


def _tree(draw: ImageDraw.ImageDraw, x: int, y: int, size: int, shade: int = 0) -> None:
    draw.rectangle((x - size // 10, y, x + size // 10, y + size), fill=(110, 80, 50))
    draw.ellipse(
        (x - size // 2, y - size // 2, x + size // 2, y + size // 3), fill=(50 + shade, 115 + shade, 55)
    )


def _park(seed: int, fence: bool) -> Image.Image:
    """A lawn with trees seen from the pavement: behind an iron fence, or open with a path and benches."""
    rng = random.Random(seed)
    image = Image.new("RGB", (W, H), SKY)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 330, W, H), fill=GRASS)
    for i in range(7):
        _tree(
            draw, 80 + i * 170 + rng.randint(-30, 30), 230 + rng.randint(-20, 20), 150, rng.randint(-15, 15)
        )
    draw.rectangle((0, 660, W, H), fill=(170, 170, 165))  # the pavement
    if fence:
        for x in range(0, W, 28):
            draw.rectangle((x, 430, x + 7, 680), fill=(40, 45, 50))
        draw.rectangle((0, 450, W, 462), fill=(40, 45, 50))
        draw.rectangle((0, 640, W, 652), fill=(40, 45, 50))
    else:
        draw.polygon([(520, 660), (700, 660), (640, 330), (600, 330)], fill=PATH)
        for bx in (260, 880):
            draw.rectangle((bx, 560, bx + 150, 575), fill=(120, 85, 55))
            draw.rectangle((bx + 10, 575, bx + 20, 610), fill=(60, 60, 60))
            draw.rectangle((bx + 130, 575, bx + 140, 610), fill=(60, 60, 60))
        for px in (420, 760):  # two people walking in
            draw.ellipse((px, 470, px + 30, 500), fill=(230, 190, 160))
            draw.rectangle((px + 3, 500, px + 27, 580), fill=(200, 60, 60) if px == 420 else (60, 90, 170))
    return image


def _embankment(seed: int, clean: bool) -> Image.Image:
    """The bay, the stone embankment and its path: litter and sheds, or clean with railings and lights."""
    rng = random.Random(seed)
    image = Image.new("RGB", (W, H), SKY)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 200, W, 430), fill=(70, 120, 150))  # water
    for _ in range(14):
        y = rng.randint(220, 420)
        draw.line((rng.randint(0, W), y, rng.randint(0, W), y), fill=(110, 160, 185), width=3)
    draw.polygon([(0, 430), (W, 430), (W, 470), (0, 470)], fill=(150, 150, 145))  # embankment edge
    draw.rectangle((0, 470, W, H), fill=PATH)
    if clean:
        for x in range(0, W, 60):
            draw.rectangle((x, 385, x + 6, 470), fill=(90, 90, 95))
        draw.rectangle((0, 395, W, 402), fill=(90, 90, 95))
        draw.rectangle((0, 425, W, 431), fill=(90, 90, 95))
        for lx in (150, 550, 950):
            draw.rectangle((lx, 250, lx + 10, 470), fill=(60, 60, 65))
            draw.ellipse((lx - 15, 235, lx + 25, 262), fill=(250, 240, 190))
        for tx in (330, 750, 1120):
            _tree(draw, tx, 560, 120)
    else:
        for _ in range(45):  # litter
            x, y = rng.randint(0, W - 30), rng.randint(480, H - 20)
            colour = rng.choice(
                [(230, 230, 230), (220, 60, 60), (60, 110, 200), (240, 200, 60), (90, 70, 50)]
            )
            draw.ellipse((x, y, x + rng.randint(12, 30), y + rng.randint(8, 18)), fill=colour)
        for sx in (180, 760):  # makeshift sheds of tarpaulin
            draw.polygon([(sx, 600), (sx + 220, 600), (sx + 200, 500), (sx + 20, 500)], fill=(60, 110, 190))
            draw.rectangle((sx + 10, 600, sx + 210, 700), fill=(140, 120, 100))
        for x in range(0, W, 60):  # broken railing: posts, some missing
            if rng.random() > 0.35:
                draw.rectangle((x, 395, x + 6, 470), fill=(120, 90, 70))
    return image


def _ebike(draw: ImageDraw.ImageDraw, x: int, y: int, tilt: int, colour: tuple[int, int, int]) -> None:
    draw.ellipse((x, y + tilt, x + 50, y + 50 + tilt), outline=(30, 30, 30), width=6)
    draw.ellipse((x + 90, y - tilt, x + 140, y + 50 - tilt), outline=(30, 30, 30), width=6)
    draw.line((x + 25, y + 25 + tilt, x + 70, y - 10, x + 115, y + 25 - tilt), fill=colour, width=10)
    draw.rectangle((x + 50, y - 25, x + 95, y - 12), fill=(40, 40, 40))  # the seat
    draw.line((x + 115, y + 25 - tilt, x + 110, y - 45), fill=(60, 60, 60), width=6)


def _pavement(seed: int, tidy: bool) -> Image.Image:
    """A pavement by a metro exit: e-bikes over the tactile paving, or parked in marked bays."""
    rng = random.Random(seed)
    image = Image.new("RGB", (W, H), (205, 205, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, W, 160), fill=(150, 160, 175))  # the station's wall
    draw.rectangle((480, 40, 720, 160), fill=(40, 60, 90))
    draw.rectangle((0, 330, W, 380), fill=(235, 195, 40))  # tactile paving
    for x in range(0, W, 25):
        draw.line((x, 335, x, 375), fill=(210, 170, 30), width=4)
    colours = [(200, 60, 60), (60, 100, 190), (240, 240, 240), (60, 160, 90), (230, 140, 40)]
    if tidy:
        for i in range(9):
            bx = 60 + i * 125
            draw.rectangle((bx - 10, 480, bx + 110, 700), outline=(255, 255, 255), width=5)
            _ebike(draw, bx - 15, 600, 0, colours[i % len(colours)])
    else:
        for _ in range(16):
            _ebike(
                draw,
                rng.randint(0, W - 150),
                rng.randint(250, 560),
                rng.randint(-25, 25),
                rng.choice(colours),
            )
    return image


DRAWINGS: dict[str, Callable[[int], Image.Image]] = {
    "fence-before": lambda s: _park(s, fence=True),
    "fence-after": lambda s: _park(s, fence=False),
    "embankment-before": lambda s: _embankment(s, clean=False),
    "embankment-after": lambda s: _embankment(s, clean=True),
    "ebike-before": lambda s: _pavement(s, tidy=False),
    "ebike-after": lambda s: _pavement(s, tidy=True),
}


def drawn_photo(name: str, seed: int) -> bytes:
    """A drawing as a phone would send it: JPEG bytes, for the real photo pipeline."""
    buffer = io.BytesIO()
    DRAWINGS[name](seed).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


# --- loading --------------------------------------------------------------------------------------------


def _texts(prefix: str, text: Text, hant: str) -> dict[str, Any]:
    return {
        f"{prefix}_zh_hans": text.zh_hans,
        f"{prefix}_zh_hant": to_hant(text.zh_hans, hant),
        f"{prefix}_en": text.en,
    }


def _stored_photo(session: Session, media: MediaStore, project: Project, role: str, pair: int, position: int,
                  drawing: str, seed: int, caption: Text, hant: str) -> None:  # fmt: skip
    processed = process_photo(drawn_photo(drawing, seed))
    media.save(processed)
    session.add(
        ProjectPhoto(
            project_id=project.id or 0, role=role, pair=pair, position=position, digest=processed.digest,
            width=processed.width, height=processed.height, **_texts("caption", caption, hant),
        )
    )  # fmt: skip


def _load_project(
    session: Session, demo: DemoProject, ref: dict[str, dict[str, Any]], media: MediaStore, today: date,
    made: dict[str, Project], hant: str,
) -> Project:  # fmt: skip
    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    project = Project(
        slug=demo.slug, kind=demo.kind, parent_id=made[demo.parent].id if demo.parent else None, weight=demo.weight,
        status=demo.status, lead_department_id=ref["departments"][demo.lead].id, start_date=day(demo.start),
        target_date=day(demo.target), published=True,
        **_texts("title", demo.title, hant), **_texts("summary", demo.summary, hant), **_texts("body", demo.body, hant),
    )  # fmt: skip
    reindex(session, project)  # adds and flushes it, and fills SQLite's search table
    pid = project.id or 0
    session.add_all(
        ProjectDepartment(project_id=pid, department_id=ref["departments"][d].id) for d in demo.others
    )
    session.add_all(ProjectArea(project_id=pid, street_id=ref["streets"][s].id) for s in demo.streets)
    session.add_all(
        CampaignCategory(project_id=pid, category_id=ref["categories"][c].id) for c in demo.categories
    )
    for position, m in enumerate(demo.milestones):
        reached = day(m.reached) if m.reached is not None else None
        session.add(
            Milestone(
                project_id=pid, position=position, weight=m.weight, planned_date=day(m.planned), actual_date=reached,
                status=m.status, **_texts("title", m.title, hant), **_texts("note", m.note, hant),
                # already reached before the demonstration began: nobody is to be told now
                announced_at=_moment(reached, 18) if reached else None,
            )
        )  # fmt: skip
    position = 0
    if demo.cover:
        drawing, seed, caption = demo.cover
        _stored_photo(session, media, project, "cover", 0, position, drawing, seed, caption, hant)
    for number, pair in enumerate(demo.pairs, start=1):
        for role, caption in (("before", pair.before), ("after", pair.after)):
            position += 1
            _stored_photo(
                session,
                media,
                project,
                role,
                number,
                position,
                f"{pair.drawing}-{role}",
                pair.seed,
                caption,
                hant,
            )
    return project


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=DISTRICT_TZ).astimezone(UTC)


def _load_story(session: Session, demo: DemoStory, project: Project, author: StaffUser, lead: StaffUser,
                today: date, now: datetime, hant: str) -> None:  # fmt: skip
    publish_at = _moment(today + timedelta(days=demo.days), 10)
    written = publish_at - timedelta(days=1) if publish_at < now else now - timedelta(hours=2)
    story = Story(
        slug=demo.slug, project_id=project.id, status=StoryStatus.PUBLISHED, author_id=author.id or 0,
        submitted_by=author.id, approved_by=lead.id, publish_at=publish_at,
        announced_at=publish_at if publish_at <= now else None, created_at=written, updated_at=written,
    )  # fmt: skip
    session.add(story)
    session.flush()
    for stage in ("live", "draft"):
        for locale, title, summary, body, converted in (
            ("zh_Hans", demo.title.zh_hans, demo.summary.zh_hans, demo.body.zh_hans, False),
            ("zh_Hant", to_hant(demo.title.zh_hans, hant), to_hant(demo.summary.zh_hans, hant), to_hant(demo.body.zh_hans, hant), True),
            ("en", demo.title.en, demo.summary.en, demo.body.en, False),
        ):  # fmt: skip
            session.add(
                StoryText(story_id=story.id or 0, locale=locale, stage=stage, title=title, summary=summary,
                          body=body, converted=converted, updated_at=written)
            )  # fmt: skip


def _tag_campaign_tickets(session: Session, campaign: Project, centre: StaffUser | None) -> int:
    """The demonstration tickets about e-bikes and illegal parking reported while the campaign runs."""
    start = _moment(campaign.start_date or date.today(), 0)
    category_ids = [
        c.category_id
        for c in session.exec(select(CampaignCategory).where(CampaignCategory.project_id == campaign.id))
    ]
    tickets = session.exec(
        select(Ticket).where(col(Ticket.submission_key).like("demo-%"), col(Ticket.created_at) >= start)
    )
    streets = set(session.exec(select(ProjectArea.street_id).where(ProjectArea.project_id == campaign.id)))
    tagged = 0
    for ticket in tickets:
        if streets and ticket.street_id not in streets:
            continue  # the campaign's streets only, as the category rule tags them
        if ticket.category_id in category_ids or "电动" in ticket.description:
            session.add(ProjectTicket(project_id=campaign.id or 0, ticket_id=ticket.id or 0, tagged_by=centre.id if centre else None,
                                      tagged_at=ticket.created_at + timedelta(hours=1)))  # fmt: skip
            tagged += 1
    return tagged


def load_progress(
    session: Session, ref: dict[str, dict[str, Any]], media: MediaStore, *, now: datetime | None = None,
    hant: str = "s2hk",
) -> tuple[int, int]:  # fmt: skip
    """The demonstration projects and stories (new ones only); returns how many of each were made.
    Needs the demonstration accounts ``press``, ``press-lead`` and ``centre``."""
    now = now or utcnow()
    today = now.astimezone(DISTRICT_TZ).date()
    users = {
        u.username: u
        for u in session.exec(
            select(StaffUser).where(col(StaffUser.username).in_(["press", "press-lead", "centre"]))
        )
    }
    existing = {
        p.slug: p
        for p in session.exec(select(Project).where(col(Project.slug).in_([p.slug for p in PROJECTS])))
    }
    made: dict[str, Project] = dict(existing)
    new_projects = 0
    for demo in PROJECTS:
        if demo.slug in existing:
            continue
        made[demo.slug] = _load_project(session, demo, ref, media, today, made, hant)
        new_projects += 1
        if demo.kind == "campaign":
            session.flush()
            _tag_campaign_tickets(session, made[demo.slug], users.get("centre"))
    stories = {
        s.slug for s in session.exec(select(Story).where(col(Story.slug).in_([s.slug for s in STORIES])))
    }
    new_stories = 0
    for story in STORIES:
        if story.slug not in stories:
            _load_story(
                session, story, made[story.project], users["press"], users["press-lead"], today, now, hant
            )
            new_stories += 1
    session.flush()
    return new_projects, new_stories
