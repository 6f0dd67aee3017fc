"""Static data the sandbox draws from: 21Vianet Office 365 offers, company names, places."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

_NS = uuid.UUID("6f1c1d3e-2b4a-4c5d-9e8f-21a1e7c0ffee")


@dataclass(frozen=True)
class Offer:
    name: str
    monthly_price: Decimal  # CNY per license per month
    addon_of: tuple[str, ...] = ()  # names of the base offers this add-on attaches to
    unit_type: str = "Licenses"
    offer_id: str = ""
    durable_offer_id: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "offer_id", str(uuid.uuid5(_NS, f"o:{self.name}")).upper())
        object.__setattr__(self, "durable_offer_id", str(uuid.uuid5(_NS, f"d:{self.name}")).upper())


_BASES = (
    "Office 365 E1",
    "Office 365 E3",
    "Microsoft 365 E3",
    "Microsoft 365 Business Basic",
    "Microsoft 365 Business Standard",
    "Microsoft 365 Business Premium",
)

OFFERS: tuple[Offer, ...] = (
    Offer("Office 365 E1", Decimal("52.00")),
    Offer("Office 365 E3", Decimal("142.00")),
    Offer("Office 365 E5", Decimal("232.00")),
    Offer("Microsoft 365 E3", Decimal("211.00")),
    Offer("Microsoft 365 Business Basic", Decimal("30.00")),
    Offer("Microsoft 365 Business Standard", Decimal("78.00")),
    Offer("Microsoft 365 Business Premium", Decimal("130.00")),
    Offer("Microsoft 365 Apps for business", Decimal("58.00")),
    Offer("Exchange Online (Plan 1)", Decimal("26.00")),
    Offer("Exchange Online (Plan 2)", Decimal("52.00")),
    Offer("Project Online Professional", Decimal("195.00")),
    Offer("Visio Online Plan 2", Decimal("97.00")),
    Offer("Exchange Online Archiving for Exchange Online", Decimal("19.00"), _BASES),
    Offer("Office 365 Extra File Storage", Decimal("1.50"), _BASES, "GB"),
    Offer("Microsoft 365 Audio Conferencing", Decimal("26.00"), _BASES),
)
BASE_OFFERS = tuple(o for o in OFFERS if not o.addon_of)
ADDON_OFFERS = tuple(o for o in OFFERS if o.addon_of)
OFFERS_BY_ID = {o.offer_id: o for o in OFFERS}

CITIES = (
    ("北京", "Beijing", "北京市", "100020", "朝阳区建国路{n}号"),
    ("上海", "Shanghai", "上海市", "200120", "浦东新区世纪大道{n}号"),
    ("广州", "Guangzhou", "广东省", "510620", "天河区天河路{n}号"),
    ("深圳", "Shenzhen", "广东省", "518057", "南山区科技园科苑路{n}号"),
    ("杭州", "Hangzhou", "浙江省", "310013", "西湖区文三路{n}号"),
    ("成都", "Chengdu", "四川省", "610041", "武侯区天府大道{n}号"),
    ("南京", "Nanjing", "江苏省", "210019", "建邺区江东中路{n}号"),
    ("武汉", "Wuhan", "湖北省", "430073", "洪山区光谷大道{n}号"),
    ("西安", "Xi'an", "陕西省", "710065", "雁塔区高新路{n}号"),
    ("苏州", "Suzhou", "江苏省", "215021", "工业园区星湖街{n}号"),
)
CN_CORES = (
    ("云启", "yunqi"),
    ("华信", "huaxin"),
    ("星辰", "xingchen"),
    ("博远", "boyuan"),
    ("瑞丰", "ruifeng"),
    ("恒通", "hengtong"),
    ("智联", "zhilian"),
    ("海纳", "haina"),
    ("天禾", "tianhe"),
    ("金桥", "jinqiao"),
    ("新航", "xinhang"),
    ("鼎盛", "dingsheng"),
    ("启明", "qiming"),
    ("安泰", "antai"),
    ("长风", "changfeng"),
    ("明德", "mingde"),
)
CN_TRADES = ("科技", "信息技术", "贸易", "咨询", "软件", "物流", "医疗科技", "教育科技", "制造")
EN_CORES = (
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Wingtip",
    "Adventure Works",
    "Litware",
    "Proseware",
    "Woodgrove",
    "Lucerne",
    "Alpine Ski",
    "Coho",
)
EN_TRADES = ("Trading", "Consulting", "Technology", "Logistics", "Software", "Medical")
FR_CORES = ("Lumière", "Bonnet", "Fleur de Lys", "Belle Rive", "Montagne", "Étoile")
FR_TRADES = ("Conseil", "Commerce", "Industrie", "Technologies")
CN_SURNAMES = (
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("赵", "Zhao"),
    ("黄", "Huang"),
)
CN_GIVEN = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("洋", "yang"),
)
EN_FIRST = ("Alice", "Brian", "Chloe", "David", "Emma", "Frank", "Grace", "Henry")
EN_LAST = ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Martin", "Dubois", "Laurent")

SUPPORT_TOPICS = (
    {"id": "32444671", "name": "Billing", "description": "Invoices, payments and charges"},
    {"id": "32444672", "name": "Subscriptions", "description": "Suspend, reactivate, quantities"},
    {"id": "32444673", "name": "Customer management", "description": "Tenants and profiles"},
    {"id": "32444674", "name": "Office 365 service", "description": "Service health and access"},
    {"id": "32444675", "name": "Partner Center API", "description": "API access and errors"},
)
SR_TITLES = (
    ("发票金额与对账文件不一致", "Invoice amount differs from the reconciliation file"),
    ("订阅暂停后仍然计费", "Charged after the subscription was suspended"),
    ("请求退款：重复购买的许可证", "Refund request: duplicate license purchase"),
    ("客户无法登录 Microsoft 365", "Customer users cannot sign in to Microsoft 365"),
    ("按比例费用计算有误", "Prorated fee looks wrong"),
)
AZURE_SERVICES = (
    ("Virtual Machines", "Standard_D2s_v3 VM", "China East 2", "Hours", Decimal("0.86")),
    ("Storage", "Standard LRS", "China North 2", "GB/Month", Decimal("0.15")),
    ("Bandwidth", "Data Transfer Out", "China East 2", "GB", Decimal("0.67")),
)
