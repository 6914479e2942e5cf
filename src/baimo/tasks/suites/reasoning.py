"""Verifiable reasoning problems, generated from a seed at any size.

Four kinds, each with an answer computed by the generator rather than written by hand, so every
reference is right by construction:

* ``arithmetic`` -- multi-step word problems with integer answers;
* ``units`` -- unit conversions with exact answers (km/m, kg/g, 斤/公斤, hours/minutes, L/mL);
* ``dates`` -- weekday N days later, days between two dates, day of the year (``datetime``);
* ``logic`` -- finishing order of 3-4 runners from clues; the clue set is checked by brute force
  over all orderings to have exactly one solution, then pruned of redundant clues.

Why generated rather than fixed: a fixed public set leaks into training data; a seed gives a fresh
set on demand that anyone can regenerate exactly. Each sample ``i`` is drawn from its own random
stream keyed by ``(kind, seed, i)``, so asking for more samples never changes the first ones and
sample ids (``reasoning-<kind>-<seed>-<i>``) stay stable. The same ``i`` generated with another
``lang`` has the same id but different text; use one ``lang`` per run.

The prompt asks for the final answer on a last line ``Answer: …`` / ``答案：…``. Numbers are read
with ``baimo.tasks.extract``; names (runners, weekdays) from the last answer line, where exactly
one candidate must be named.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final, Literal, get_args

from baimo.errors import ConfigError
from baimo.tasks.extract import extract_number, numbers_equal
from baimo.tasks.outcome import cut_off, decide
from baimo.tasks.scorers import scorer
from baimo.tasks.types import ModelOutput, Sample, Score

__all__ = [
    "KINDS",
    "GenLang",
    "Kind",
    "find_answer_line",
    "generate",
    "reasoning_scorer",
]

Kind = Literal["arithmetic", "units", "dates", "logic"]
GenLang = Literal["zh", "en", "mixed"]
KINDS: Final[tuple[Kind, ...]] = get_args(Kind)
_Lang = Literal["zh", "en"]

Number = int | float


@dataclass(frozen=True)
class _Problem:
    """One generated problem before it is wrapped into a ``Sample``."""

    question: str
    answer: Number | str
    subtype: str
    answer_kind: Literal["number", "name"] = "number"
    what: str = ""  # the noun for the answer slot in the format line, e.g. "name", "星期几"
    candidates: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


def _number(value: Fraction) -> Number:
    """An exact value as the simplest JSON number: int when whole, else a terminating decimal."""
    if value.denominator == 1:
        return int(value)
    return float(value)


# --------------------------------------------------------------------------------------------
# Arithmetic
# --------------------------------------------------------------------------------------------

_EN_NAMES: Final = ("Maya", "Omar", "Lena", "Tariq", "Sofia", "Kenji", "Amara", "Lucas", "Priya", "Noah")
_ZH_NAMES: Final = ("小明", "小红", "小刚", "小丽", "阿强", "小芳", "小军", "小雪", "小杰", "小美")


def _arith_boxes(rng: random.Random, lang: _Lang) -> _Problem:
    a, b = rng.randint(3, 12), rng.choice((6, 8, 10, 12, 15, 20, 24))
    c = rng.randint(5, a * b - 1)
    d = rng.randint(5, 60)
    ans = a * b - c + d
    if lang == "en":
        name = rng.choice(_EN_NAMES)
        q = (f"{name} has {a} boxes of pencils with {b} pencils in each box. {name} sells {c} "
             f"pencils, then receives a delivery of {d} more pencils. How many pencils does "
             f"{name} have now?")
    else:
        name = rng.choice(_ZH_NAMES)
        q = f"{name}有{a}盒铅笔，每盒{b}支。{name}卖出了{c}支，后来又进货{d}支。{name}现在有多少支铅笔？"
    return _Problem(q, ans, "boxes")


def _arith_change(rng: random.Random, lang: _Lang) -> _Problem:
    a, p = rng.randint(2, 6), rng.randint(3, 25)
    b, q_ = rng.randint(2, 6), rng.randint(3, 25)
    cost = a * p + b * q_
    paid = next(x for x in (50, 100, 200, 500) if x > cost)
    ans = paid - cost
    if lang == "en":
        q = (f"A notebook costs {p} dollars and a pen costs {q_} dollars. Lina buys {a} notebooks "
             f"and {b} pens and pays with a {paid}-dollar bill. How much change, in dollars, "
             "does she get?")
    else:
        q = (f"一本笔记本{p}元，一支钢笔{q_}元。小林买了{a}本笔记本和{b}支钢笔，付了{paid}元，"
             "应找回多少元？")
    return _Problem(q, ans, "change")


def _arith_reading(rng: random.Random, lang: _Lang) -> _Problem:
    r, d1 = rng.randint(8, 30), rng.randint(3, 9)
    s, d2 = rng.randint(r + 2, r + 25), rng.randint(2, 7)
    left = rng.randint(10, 120)
    pages = r * d1 + s * d2 + left
    if lang == "en":
        q = (f"A book has {pages} pages. Ben reads {r} pages a day for {d1} days, then {s} pages "
             f"a day for the next {d2} days. How many pages does he still have to read?")
    else:
        q = (f"一本书共{pages}页。小文前{d1}天每天读{r}页，接下来的{d2}天每天读{s}页。"
             "他还剩多少页没有读？")
    return _Problem(q, left, "reading")


def _arith_bus(rng: random.Random, lang: _Lang) -> _Problem:
    start = rng.randint(15, 45)
    off1, on1 = rng.randint(3, start - 2), rng.randint(2, 20)
    mid = start - off1 + on1
    off2, on2 = rng.randint(2, mid - 1), rng.randint(0, 15)
    ans = mid - off2 + on2
    if lang == "en":
        q = (f"A bus leaves the depot with {start} passengers. At the first stop {off1} people get "
             f"off and {on1} get on. At the second stop {off2} get off and {on2} get on. How "
             "many passengers are on the bus now?")
    else:
        q = (f"一辆公交车从总站出发时有{start}名乘客。第一站下车{off1}人，上车{on1}人；"
             f"第二站下车{off2}人，上车{on2}人。现在车上有多少名乘客？")
    return _Problem(q, ans, "bus")


def _arith_sharing(rng: random.Random, lang: _Lang) -> _Problem:
    packs, size = rng.randint(3, 9), rng.choice((10, 12, 15, 20, 24, 25))
    total = packs * size
    kids = rng.randint(4, 13)
    each, rest = divmod(total, kids)
    if lang == "en":
        q = (f"A teacher buys {packs} packs of stickers with {size} stickers in each pack. She "
             f"gives the same number of stickers to each of her {kids} students and has {rest} "
             "left over, fewer than the number of students. How many stickers does each "
             "student get?")
    else:
        q = (f"老师买了{packs}包贴纸，每包{size}张。她把贴纸平均分给{kids}名学生，"
             f"最后剩下{rest}张（少于学生人数）。每名学生分到多少张？")
    return _Problem(q, each, "sharing")


def _arith_savings(rng: random.Random, lang: _Lang) -> _Problem:
    w, n = rng.randint(5, 40), rng.randint(4, 12)
    spent = rng.randint(1, w * n - 1)
    more = rng.randint(2, 12)
    goal = w * n - spent + w * more
    if lang == "en":
        q = (f"Ravi saves {w} dollars every week. After {n} weeks he spends {spent} dollars on a "
             f"gift. He wants to have {goal} dollars saved. If he keeps saving {w} dollars a "
             "week, how many more weeks does he need?")
    else:
        q = (f"小华每周存{w}元。存了{n}周后，他花{spent}元买了一份礼物。他想攒够{goal}元，"
             f"如果继续每周存{w}元，还需要多少周？")
    return _Problem(q, more, "savings")


def _arith_fence(rng: random.Random, lang: _Lang) -> _Problem:
    length, width = rng.randint(8, 40), rng.randint(5, 30)
    gate = rng.randint(1, 4)
    price = rng.randint(6, 45)
    ans = (2 * (length + width) - gate) * price
    if lang == "en":
        q = (f"A rectangular garden is {length} m long and {width} m wide. A fence goes all the "
             f"way around it except for a {gate} m wide gate. Fencing costs {price} dollars per "
             "metre. How much does the fence cost, in dollars?")
    else:
        q = (f"一个长方形菜园长{length}米、宽{width}米。沿菜园四周围一圈篱笆，但要留出{gate}米宽的门。"
             f"篱笆每米{price}元，一共需要多少元？")
    return _Problem(q, ans, "fence")


def _arith_ages(rng: random.Random, lang: _Lang) -> _Problem:
    young, gap, later = rng.randint(3, 40), rng.randint(2, 30), rng.randint(2, 15)
    ans = (young + later) + (young + gap + later)
    if lang == "en":
        q = (f"Grace is {gap} years older than her cousin Tom. Tom is {young} years old now. "
             f"What will the sum of their ages be in {later} years?")
    else:
        q = f"姐姐比弟弟大{gap}岁，弟弟今年{young}岁。{later}年后，姐弟两人的年龄之和是多少岁？"
    return _Problem(q, ans, "ages")


def _arith_factory(rng: random.Random, lang: _Lang) -> _Problem:
    k = rng.choice((4, 5, 8, 10, 20, 25))
    per_hour = k * rng.randint(2, 12)
    hours, days = rng.randint(4, 10), rng.randint(2, 6)
    total = per_hour * hours * days
    ans = total - total // k
    if lang == "en":
        q = (f"A machine makes {per_hour} bolts per hour and runs {hours} hours a day for {days} "
             f"days. Exactly 1 in every {k} bolts is defective. How many good bolts does it make "
             "in total?")
    else:
        q = (f"一台机器每小时生产{per_hour}个螺栓，每天工作{hours}小时，连续工作{days}天。"
             f"每{k}个螺栓中恰好有1个不合格。一共生产了多少个合格螺栓？")
    return _Problem(q, ans, "factory")


_ARITHMETIC: Final[tuple[Callable[[random.Random, _Lang], _Problem], ...]] = (
    _arith_boxes, _arith_change, _arith_reading, _arith_bus, _arith_sharing,
    _arith_savings, _arith_fence, _arith_ages, _arith_factory,
)


# --------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------


def _unit_distance(rng: random.Random, lang: _Lang) -> _Problem:
    km = Fraction(rng.randint(11, 95), 10)
    m = rng.choice((150, 250, 300, 400, 600, 750, 800, 950))
    ans = km * 1000 + m
    kms = f"{float(km):g}"
    if lang == "en":
        q = (f"Anna runs {kms} km in the morning and walks another {m} m in the evening. How "
             "many metres does she cover in total?")
    else:
        q = f"小安早上跑了{kms}千米，晚上又走了{m}米。她一共走了多少米？"
    return _Problem(q, _number(ans), "km-m")


def _unit_speed(rng: random.Random, lang: _Lang) -> _Problem:
    speed = rng.randint(3, 18)
    minutes = 6 * rng.randint(3, 25)
    ans = Fraction(speed * 1000 * minutes, 60)
    if lang == "en":
        q = (f"A cyclist rides at a steady {speed} km per hour for {minutes} minutes. How many "
             "metres does the cyclist travel?")
    else:
        q = f"一个人以每小时{speed}千米的速度匀速骑行了{minutes}分钟。他骑行了多少米？"
    return _Problem(q, _number(ans), "speed")


def _unit_rice(rng: random.Random, lang: _Lang) -> _Problem:
    kg = rng.randint(2, 25)
    per_day = rng.choice((100, 125, 200, 250, 500))
    ans = kg * 1000 // per_day
    if lang == "en":
        q = (f"A family buys a {kg} kg bag of rice and cooks {per_day} g of it every day. How "
             "many days does the bag last?")
    else:
        q = f"一家人买了一袋{kg}千克的大米，每天吃{per_day}克。这袋米可以吃多少天？"
    return _Problem(q, ans, "kg-g")


def _unit_jin(rng: random.Random, lang: _Lang) -> _Problem:
    kg, jin = rng.randint(2, 15), rng.randint(1, 19)
    ans = 2 * kg + jin
    if lang == "en":
        q = (f"At a market in China, weights are given in jin, where 1 jin = 0.5 kg. Mei buys "
             f"{kg} kg of apples and {jin} jin of pears. How many jin of fruit does she buy "
             "in total?")
    else:
        q = f"妈妈买了{kg}公斤苹果和{jin}斤梨（1公斤 = 2斤）。她一共买了多少斤水果？"
    return _Problem(q, ans, "jin-kg")


def _unit_jin_to_g(rng: random.Random, lang: _Lang) -> _Problem:
    jin = Fraction(rng.randint(1, 16), 2)
    ans = jin * 500
    jins = f"{float(jin):g}"
    if lang == "en":
        q = (f"A recipe calls for {jins} jin of pork (1 jin = 0.5 kg). How many grams of pork "
             "is that?")
    else:
        q = f"做一道菜需要{jins}斤猪肉。这相当于多少克？（1斤 = 0.5公斤）"
    return _Problem(q, _number(ans), "jin-g")


def _unit_time(rng: random.Random, lang: _Lang) -> _Problem:
    h, m = rng.randint(1, 5), rng.choice((5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55))
    extra = rng.randint(20, 150)
    ans = h * 60 + m + extra
    if lang == "en":
        q = (f"Painting a room takes {h} hours {m} minutes, and cleaning up afterwards takes "
             f"{extra} minutes. How many minutes does the whole job take?")
    else:
        q = f"粉刷一个房间用了{h}小时{m}分钟，之后打扫又用了{extra}分钟。整个工作一共用了多少分钟？"
    return _Problem(q, ans, "h-min")


def _unit_laps(rng: random.Random, lang: _Lang) -> _Problem:
    lap = rng.choice((45, 60, 75, 80, 90, 100, 120, 150))
    laps = rng.randint(6, 60)
    total = lap * laps
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    if lang == "en":
        parts = [f"{h} hour{'s' if h != 1 else ''}"] if h else []
        parts += [f"{m} minute{'s' if m != 1 else ''}"] if m else []
        parts += [f"{s} seconds"] if s else []
        q = (f"Each lap of a track takes a runner exactly {lap} seconds. How many laps does she "
             f"complete in {' and '.join(parts)}?")
    else:
        span = (f"{h}小时" if h else "") + (f"{m}分钟" if m else "") + (f"{s}秒" if s else "")
        q = f"一名跑步者每跑一圈恰好用{lap}秒。她在{span}内一共跑了多少圈？"
    return _Problem(q, laps, "s-h")


def _unit_volume(rng: random.Random, lang: _Lang) -> _Problem:
    cup = rng.choice((125, 150, 200, 250, 300))
    cups = rng.randint(3, 20)
    litres = Fraction(cup * cups, 1000)
    ls = f"{float(litres):g}"
    if lang == "en":
        q = f"A jug holds {ls} litres of juice. How many {cup} mL glasses can it fill exactly?"
    else:
        q = f"一个水壶装有{ls}升果汁，可以正好倒满多少个{cup}毫升的杯子？"
    return _Problem(q, cups, "l-ml")


def _unit_snail(rng: random.Random, lang: _Lang) -> _Problem:
    cm_per_min = rng.randint(2, 30)
    hours = rng.randint(1, 6)
    ans = Fraction(cm_per_min * 60 * hours, 100)
    if lang == "en":
        q = (f"A snail crawls {cm_per_min} cm every minute. How many metres does it crawl in "
             f"{hours} hour{'s' if hours != 1 else ''}?")
    else:
        q = f"一只蜗牛每分钟爬{cm_per_min}厘米，{hours}小时能爬多少米？"
    return _Problem(q, _number(ans), "cm-m")


_UNITS: Final[tuple[Callable[[random.Random, _Lang], _Problem], ...]] = (
    _unit_distance, _unit_speed, _unit_rice, _unit_jin, _unit_jin_to_g,
    _unit_time, _unit_laps, _unit_volume, _unit_snail,
)


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_WEEKDAYS: Final[tuple[tuple[str, ...], ...]] = (
    ("Monday", "Mon", "星期一", "周一", "礼拜一"),
    ("Tuesday", "Tue", "Tues", "星期二", "周二", "礼拜二"),
    ("Wednesday", "Wed", "星期三", "周三", "礼拜三"),
    ("Thursday", "Thu", "Thur", "Thurs", "星期四", "周四", "礼拜四"),
    ("Friday", "Fri", "星期五", "周五", "礼拜五"),
    ("Saturday", "Sat", "星期六", "周六", "礼拜六"),
    ("Sunday", "Sun", "星期日", "星期天", "周日", "周天", "礼拜日", "礼拜天"),
)
_MONTHS_EN: Final = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)


def _date_text(d: dt.date, lang: _Lang) -> str:
    if lang == "en":
        return f"{_MONTHS_EN[d.month - 1]} {d.day}, {d.year}"
    return f"{d.year}年{d.month}月{d.day}日"


def _weekday_text(d: dt.date, lang: _Lang) -> str:
    names = _WEEKDAYS[d.weekday()]
    # By prefix, not position: Tuesday and Thursday have extra English abbreviations, and the
    # third name there is "Tues"/"Thur", which once leaked into the Chinese questions.
    return names[0] if lang == "en" else next(n for n in names if n.startswith("星期"))


def _random_date(rng: random.Random) -> dt.date:
    start = dt.date(1990, 1, 1).toordinal()
    end = dt.date(2035, 12, 31).toordinal()
    return dt.date.fromordinal(rng.randint(start, end))


def _date_weekday_after(rng: random.Random, lang: _Lang) -> _Problem:
    day = _random_date(rng)
    n = rng.randint(10, 1000)
    later = day + dt.timedelta(days=n)
    if lang == "en":
        q = (f"{_date_text(day, 'en')} was a {_weekday_text(day, 'en')}. What day of the week "
             f"is it {n} days later?")
    else:
        q = f"{_date_text(day, 'zh')}是{_weekday_text(day, 'zh')}。{n}天之后是星期几？"
    what = "day of the week" if lang == "en" else "星期几"
    return _Problem(q, _WEEKDAYS[later.weekday()][0], "weekday-after", "name", what, _WEEKDAYS)


def _date_between(rng: random.Random, lang: _Lang) -> _Problem:
    first = _random_date(rng)
    n = rng.randint(5, 900)
    second = first + dt.timedelta(days=n)
    if lang == "en":
        q = (f"How many days are there from {_date_text(first, 'en')} to "
             f"{_date_text(second, 'en')}? (Count the difference: from a date to the next day "
             "is 1 day.)")
    else:
        q = (f"从{_date_text(first, 'zh')}到{_date_text(second, 'zh')}相差多少天？"
             "（按日期差计算：某天到第二天算1天。）")
    return _Problem(q, n, "days-between")


def _date_day_of_year(rng: random.Random, lang: _Lang) -> _Problem:
    day = _random_date(rng)
    ans = day.timetuple().tm_yday
    if lang == "en":
        q = (f"Counting January 1 as day 1, what day of the year is {_date_text(day, 'en')}?")
    else:
        q = f"以1月1日为当年第1天，{_date_text(day, 'zh')}是这一年的第几天？"
    return _Problem(q, ans, "day-of-year")


_DATES: Final[tuple[Callable[[random.Random, _Lang], _Problem], ...]] = (
    _date_weekday_after, _date_between, _date_day_of_year,
)


# --------------------------------------------------------------------------------------------
# Logic
# --------------------------------------------------------------------------------------------

_RUNNERS_EN: Final = ("Alice", "Bruno", "Chen", "Dmitri", "Elena", "Farah", "Gustavo", "Hana",
                      "Ivan", "Jonas", "Kemi", "Lucia")
_RUNNERS_ZH: Final = ("张伟", "李娜", "王芳", "刘洋", "陈静", "杨磊", "赵敏", "黄涛", "吴昊",
                      "郑爽", "孙悦", "马超")
_ORD_EN: Final = ("first", "second", "third", "fourth")
_ORD_ZH: Final = ("第一名", "第二名", "第三名", "第四名")

# A clue is (kind, people...) or ("not_pos", person, position); it is tested on an order,
# a tuple of names from first to last.
_Clue = tuple[str, ...]


def _holds(clue: _Clue, pos: dict[str, int]) -> bool:
    """Whether a clue is true of an order given as name -> position (0 = first)."""
    kind = clue[0]
    if kind == "before":
        return pos[clue[1]] < pos[clue[2]]
    if kind == "just_before":
        return pos[clue[1]] + 1 == pos[clue[2]]
    if kind == "not_first":
        return pos[clue[1]] != 0
    if kind == "not_last":
        return pos[clue[1]] != len(pos) - 1
    if kind == "not_pos":
        return pos[clue[1]] != int(clue[2])
    # between: clue[1] finished somewhere between clue[2] and clue[3]
    lo, hi = sorted((pos[clue[2]], pos[clue[3]]))
    return lo < pos[clue[1]] < hi


def _all_clues(names: Sequence[str]) -> list[_Clue]:
    clues: list[_Clue] = []
    for a, b in itertools.permutations(names, 2):
        clues.append(("before", a, b))
        clues.append(("just_before", a, b))
    for a in names:
        clues += [("not_first", a), ("not_last", a)]
        clues += [("not_pos", a, str(p)) for p in range(len(names))]
    for a, b, c in itertools.permutations(names, 3):
        if b < c:
            clues.append(("between", a, b, c))
    return clues


def _solutions(satisfied: Sequence[frozenset[int]], everything: frozenset[int]) -> frozenset[int]:
    result = everything
    for s in satisfied:
        result = result & s
    return result


def _clue_text(clue: _Clue, lang: _Lang) -> str:
    kind = clue[0]
    if lang == "en":
        if kind == "before":
            return f"{clue[1]} finished ahead of {clue[2]}."
        if kind == "just_before":
            return f"{clue[1]} finished immediately ahead of {clue[2]}."
        if kind == "not_first":
            return f"{clue[1]} did not win."
        if kind == "not_last":
            return f"{clue[1]} did not finish last."
        if kind == "not_pos":
            return f"{clue[1]} did not finish {_ORD_EN[int(clue[2])]}."
        return f"{clue[1]} finished somewhere between {clue[2]} and {clue[3]}."
    if kind == "before":
        return f"{clue[1]}比{clue[2]}先到终点。"
    if kind == "just_before":
        return f"{clue[1]}的名次紧挨在{clue[2]}前面。"
    if kind == "not_first":
        return f"{clue[1]}不是第一名。"
    if kind == "not_last":
        return f"{clue[1]}不是最后一名。"
    if kind == "not_pos":
        return f"{clue[1]}不是{_ORD_ZH[int(clue[2])]}。"
    return f"{clue[1]}的名次在{clue[2]}和{clue[3]}之间。"


def _logic_order(rng: random.Random, lang: _Lang) -> _Problem:
    k = rng.choice((3, 4, 4))
    names = rng.sample(_RUNNERS_EN if lang == "en" else _RUNNERS_ZH, k)
    order = names[:]
    rng.shuffle(order)
    orders = list(itertools.permutations(names))
    positions = [{name: i for i, name in enumerate(o)} for o in orders]
    everything = frozenset(range(len(orders)))
    truth = {name: i for i, name in enumerate(order)}
    # For each clue true of the real order, the set of orders it allows: a puzzle's solutions
    # are the intersection, so uniqueness is checked by brute force over all k! orders.
    pool = [c for c in _all_clues(names) if _holds(c, truth)]
    rng.shuffle(pool)
    allows = {c: frozenset(j for j, pos in enumerate(positions) if _holds(c, pos)) for c in pool}
    chosen: list[_Clue] = []
    alive = everything
    for clue in pool:
        if alive - allows[clue]:  # skip clues that rule nothing further out
            chosen.append(clue)
            alive = alive & allows[clue]
        if len(alive) == 1:
            break
    # Drop clues the solution does not need, so the puzzle asks for reasoning, not lookup.
    for clue in list(chosen):
        rest = [c for c in chosen if c != clue]
        if len(_solutions([allows[c] for c in rest], everything)) == 1:
            chosen = rest
    rng.shuffle(chosen)
    ask_first = rng.random() < 0.5
    answer = order[0] if ask_first else order[-1]
    clue_lines = "\n".join(f"{i}. {_clue_text(c, lang)}" for i, c in enumerate(chosen, 1))
    if lang == "en":
        listed = ", ".join(names[:-1]) + f" and {names[-1]}"
        count = "Three" if k == 3 else "Four"
        ask = "Who finished first?" if ask_first else "Who finished last?"
        q = (f"{count} runners, {listed}, ran a race. There were no ties.\n{clue_lines}\n{ask}")
        what = "name"
    else:
        listed = "、".join(names)
        count = "三" if k == 3 else "四"
        ask = "谁是第一名？" if ask_first else "谁是最后一名？"
        q = f"{listed}{count}人参加赛跑，没有并列名次。已知：\n{clue_lines}\n请问{ask}"
        what = "姓名"
    return _Problem(q, answer, "first" if ask_first else "last", "name", what,
                    tuple((n,) for n in names))


_LOGIC: Final[tuple[Callable[[random.Random, _Lang], _Problem], ...]] = (_logic_order,)

_GENERATORS: Final[dict[str, tuple[Callable[[random.Random, _Lang], _Problem], ...]]] = {
    "arithmetic": _ARITHMETIC,
    "units": _UNITS,
    "dates": _DATES,
    "logic": _LOGIC,
}


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _format_line(problem: _Problem, lang: _Lang) -> str:
    if lang == "en":
        slot = "number" if problem.answer_kind == "number" else problem.what
        return (f"Work it out step by step, then give the final answer on the last line in the "
                f"form \"Answer: <{slot}>\".")
    slot = "数字" if problem.answer_kind == "number" else problem.what
    return f"请逐步推理，并在最后一行按“答案：<{slot}>”的格式给出最终答案。"


def generate(kind: Kind, n: int, seed: int, lang: GenLang = "mixed") -> list[Sample]:
    """Generate ``n`` problems of one kind, deterministically from ``seed``.

    Args:
        kind: ``arithmetic``, ``units``, ``dates`` or ``logic``.
        n: Number of samples (0 or more).
        seed: Any integer; the same seed always gives the same samples.
        lang: ``zh``, ``en``, or ``mixed`` (even indices Chinese, odd English, so that any
            prefix of the set is balanced).

    Raises:
        ConfigError: For an unknown kind or language, or a negative or non-integer ``n``/``seed``.
    """
    if kind not in _GENERATORS:
        raise ConfigError(f"unknown reasoning kind {kind!r}; choose one of {', '.join(KINDS)}")
    if lang not in get_args(GenLang):
        raise ConfigError(f"unknown language {lang!r}; choose zh, en or mixed")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ConfigError(f"n must be a non-negative integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"seed must be an integer, got {seed!r}")
    templates = _GENERATORS[kind]
    samples: list[Sample] = []
    for i in range(n):
        # A string seed is hashed with SHA-512 by ``random``: stable across processes and
        # Python versions, unlike ``hash()``.
        rng = random.Random(f"baimo/reasoning/{kind}/{seed}/{i}")
        sample_lang: _Lang = ("zh" if i % 2 == 0 else "en") if lang == "mixed" else lang
        problem = rng.choice(templates)(rng, sample_lang)
        prompt = f"{problem.question}\n\n{_format_line(problem, sample_lang)}"
        metadata: dict[str, Any] = {
            "kind": kind,
            "subtype": problem.subtype,
            "lang": sample_lang,
            "seed": seed,
            "index": i,
            "answer_type": problem.answer_kind,
        }
        if problem.answer_kind == "name":
            metadata["candidates"] = [list(group) for group in problem.candidates]
        samples.append(
            Sample(
                id=f"reasoning-{kind}-{seed}-{i}",
                messages=({"role": "user", "content": prompt},),
                reference=problem.answer,
                category=kind,
                metadata=metadata,
            )
        )
    return samples


_ANSWER_MARKER: Final = re.compile(
    r"(?:final\s+answer|answer|最终答案|答案)\s*(?:is|是|为)?\s*[:：]?", re.IGNORECASE
)
_DECORATION: Final = re.compile(r"[*#>`$]|\\boxed\{|\\text\{|[{}]")


def find_answer_line(text: str) -> str | None:
    """Return what follows the last ``Answer:``/``答案：`` marker, or None if there is none.

    Markdown and LaTeX decoration (``**Answer:** $\\boxed{Alice}$``) is removed first. When the
    marker ends its line ("Answer:" then the name below), the next non-empty line is taken.
    """
    lines = [_DECORATION.sub("", line).strip() for line in text.splitlines()]
    for idx in range(len(lines) - 1, -1, -1):
        matches = list(_ANSWER_MARKER.finditer(lines[idx]))
        if not matches:
            continue
        rest = lines[idx][matches[-1].end():].strip()
        if rest:
            return rest
        following = [line for line in lines[idx + 1:] if line]
        return following[0] if following else None
    return None


def _alias_re(alias: str) -> re.Pattern[str]:
    if alias.isascii():
        return re.compile(rf"(?<![A-Za-z]){re.escape(alias)}(?![A-Za-z])", re.IGNORECASE)
    return re.compile(re.escape(alias))


def _named(segment: str, candidates: Sequence[Sequence[str]]) -> list[str]:
    """Canonical names of the candidates mentioned in ``segment``, in candidate order."""
    return [group[0] for group in candidates if any(_alias_re(a).search(segment) for a in group)]


def _score_name(sample: Sample, output: ModelOutput, details: dict[str, Any]) -> Score:
    candidates: list[list[str]] = sample.metadata.get("candidates") or [[str(sample.reference)]]
    line = find_answer_line(output.text)
    if line is None:
        return decide(output, None, method="answer-line",
                      reason="cut off before an answer line" if cut_off(output)
                      else "no 'Answer:'/'答案：' line", **details)
    named = _named(line, candidates)
    details["answer_line"] = line
    if len(named) != 1:
        # An answer line naming none or several candidates commits to nothing we can read;
        # it is kept apart from a wrong answer so that extraction problems stay visible.
        why = "names no candidate" if not named else f"names several candidates: {', '.join(named)}"
        return decide(output, None, line, method="answer-line", reason=f"answer line {why}",
                      **details)
    correct = named[0] == sample.reference
    return decide(output, correct, named[0], method="answer-line",
                  reason=None if correct else f"expected {sample.reference}, got {named[0]}",
                  **details)


@scorer("reasoning")
def reasoning_scorer(sample: Sample, output: ModelOutput) -> Score:
    """Score a generated reasoning problem.

    Numbers go through ``extract_number`` (which keeps *no answer* and *truncated* apart from
    *wrong*) and ``numbers_equal``; names are read from the last answer line.
    """
    details: dict[str, Any] = {
        "kind": sample.metadata.get("kind"),
        "subtype": sample.metadata.get("subtype"),
        "truncated": output.finish_reason == "length",
    }
    if sample.metadata.get("answer_type") == "name":
        return _score_name(sample, output, details)
    extraction = extract_number(output.text, finish_reason=output.finish_reason)
    if extraction.status != "ok" or extraction.value is None:
        reason = "cut off before an answer" if extraction.status == "truncated" else "no number found"
        return decide(output, None, method=extraction.method, reason=reason, **details)
    correct = numbers_equal(extraction.value, sample.reference)
    return decide(output, correct, extraction.value, method=extraction.method,
                  reason=None if correct else f"expected {sample.reference}, got {extraction.value}",
                  **details)
