"""Demo archives: a plausible school with classes for every grade and students whose records pass
validation and the school's rule profile (for trying the program, screenshots, training, benchmarks).

Everything is deterministic for a seed. Students go through the same create path as a registrar's
entry (``student_service.create_in_transaction``: validation, duplicate checks, rules, history), all
in one transaction, so a cancelled demo leaves nothing behind. Class sizes come from the profile's
``class_size`` rules, never from numbers written here.
"""
from __future__ import annotations

import datetime as _dt
import math
import random
from pathlib import Path

from app.students import idcard
from app.core.errors import BLOCK, BLOCK_STAR, EVIDENCE, INVALID, Finding, Refused
from app.core.i18n import tr
from app.rules.engine import RuleContext, available_profiles, evaluate, load_profile
from app.school.classes import display_name
from app.school.service import STAGES, check_values, init_school, parse_stages
from app.core.session import Session
from app.students.service import create_in_transaction
from app.school import store as school_store
from app.students import store as q

# profile -> (school name, county division code of the school)
PROFILE_SCHOOLS = {
    "henan-zhoukou": ("周口市川汇区实验学校", "411602"),
    "liaoning": ("沈阳市和平区实验学校", "210102"),
    "shanxi-changzhi": ("长治市潞州区实验学校", "140403"),
    "gansu-linxia": ("临夏市实验学校", "622901"),
    "national": ("北京市东城区实验学校", "110101"),
}
# 六·三学制 grades of each stage; the stage digit goes into the demo 班号
STAGE_GRADES = {"primary": range(1, 7), "junior": range(7, 10), "senior": range(10, 13)}
STAGE_DIGIT = {"primary": "1", "junior": "2", "senior": "3"}
STAGE_FIRST_GRADE = {"primary": 1, "junior": 7, "senior": 10}
MAX_CLASSES_PER_GRADE = 99  # class_service.add_class: 班级序号 1–99

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
                "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
RARE_SURNAMES = ["欧阳", "司马", "诸葛", "上官", "𠮷", "东方"]
MALE_CHARS = list("浩宇轩子博文俊杰晨阳明泽睿磊伟强鹏飞凯瑞然辰昊天一嘉毅航志铭豪鑫彬涛峰建国华军斌新兴家乐安康正")
FEMALE_CHARS = list("欣怡梓涵雨萱思琪佳悦诗婷雅静雪梦瑶可馨妍婧晴璐丽芳娜颖慧敏玉兰秀英红霞燕艳彤宁月")
RARE_CHARS = ["堃", "喆", "珺", "䶮", "龑", "𠮷", "昶", "翀"]
# (ethnicity code, share in 1/1000) for students with Han-style names; the rest are 汉族
HAN_NAMED_MINORITIES = [("03", 20), ("11", 8), ("08", 5), ("15", 4), ("10", 2)]
UYGHUR = {  # 维吾尔族 names: given name · father's given name
    "1": ["艾力", "买买提江", "阿卜杜拉", "伊力哈木", "艾尔肯", "努尔兰", "阿迪力"],
    "2": ["阿依古丽", "古丽娜尔", "热依拉", "迪丽娜尔", "帕提古丽", "米热古丽", "阿依努尔"],
    "father": ["买买提", "吐尔逊", "艾买提", "热合曼", "阿不都", "艾合买提", "依明"],
}
TIBETAN = {"1": ["扎西", "次仁", "多吉", "平措", "格桑", "丹增"], "2": ["卓玛", "央金", "拉姆", "德吉", "曲珍", "白玛"]}
MONGOL = {"1": ["巴特尔", "苏和", "额尔敦", "朝鲁", "宝音"], "2": ["其木格", "乌兰", "斯琴", "萨仁", "娜仁"]}
STREETS = ["人民路", "七一路", "八一大道", "工农路", "中州大道", "交通大道", "文明路", "建设大道", "滨河路", "太昊路",
           "五一路", "大庆路", "解放路", "新华路", "光明街", "育才街", "和平路", "团结路"]
VILLAGES = ["王庄", "李楼", "张集", "刘营", "陈寨", "杨湾", "黄桥", "赵屯", "吴店", "周口"]
EMPLOYERS = ["周口市第一人民医院", "川汇区农业农村局", "个体经营", "家中务农", "某建筑公司", "市实验中学", "外出务工",
             "某商贸有限公司", "县供电公司", "自由职业"]
POSITIONS = ["职员", "教师", "医生", "工人", "个体户", "农民", "司机", "经理", "会计", "无"]
TEACHER_SURNAMES = list("王李张刘陈杨赵黄周吴")
TEACHER_GIVEN = ["丽华", "建军", "秀梅", "志强", "海燕", "红霞", "国庆", "文静", "晓东", "玉兰", "学军", "春梅"]
SPECIALTIES = ["书法", "绘画", "钢琴", "篮球", "足球", "舞蹈", "围棋", "编程", "朗诵", "田径"]
PROGRESS_EVERY = 100


class _Cancelled(Exception):
    pass


# ---------------------------------------------------------------------------------------------- limits

def _class_size_rules(profile) -> list[dict]:
    return [r.params for r in profile.rules if r.check == "class_size"]


def _limit_from(params_list, stage: str, grade: int) -> int | None:
    found = []
    for p in params_list:
        lim = (p.get("grade_limits") or {}).get(str(grade))
        if lim is None:
            lim = (p.get("limits") or {}).get(stage)
        if lim is not None:
            found.append(int(lim))
    return min(found) if found else None


def class_size_limit(profile, stage: str, grade: int) -> int:
    """The strictest class-size limit the profile sets for this grade; a profile without one (the
    national baseline) borrows the strictest limit any bundled profile sets for it."""
    lim = _limit_from(_class_size_rules(profile), stage, grade)
    if lim is None:
        others = []
        for pid in available_profiles():
            others += _class_size_rules(load_profile(pid))
        lim = _limit_from(others, stage, grade)
    if lim is None:
        raise Refused([Finding("no_class_size", tr("demo.no_class_size"), field=tr("demo.label.class_size"))])
    return lim


# ---------------------------------------------------------------------------------------------- people

def _divisions():
    """(all current county-level codes, code -> full name)."""
    table = idcard._load()
    codes = []
    for code, entries in table.items():
        if code[4:] == "00" or code[2:4] == "00" or code[:2] in ("71", "81", "82", "83"):
            continue
        current = [e for e in entries if e[2] is None]
        if not current or current[0][0] in idcard._GENERIC_PARENTS:
            continue
        codes.append(code)
    codes.sort()
    return codes


class _People:
    """Deterministic names, ID numbers and addresses; remembers what it handed out (no duplicates)."""

    def __init__(self, rng: random.Random, local_prefix: str, used_ids: set, used_xjh: set, used_name_birth: set):
        self.rng = rng
        self.all_divs = _divisions()
        self.local_divs = [c for c in self.all_divs if c.startswith(local_prefix)] or self.all_divs
        self.used_ids = used_ids
        self.used_xjh = used_xjh
        self.used_name_birth = used_name_birth
        self._names: dict[str, str] = {}

    def division(self) -> str:
        return self.rng.choice(self.local_divs if self.rng.random() < 0.85 else self.all_divs)

    def place_name(self, code: str) -> str:
        if code not in self._names:
            self._names[code] = idcard.division_name(code) or code
        return self._names[code]

    def id_number(self, div: str, birth: _dt.date, gender: str) -> str:
        for _ in range(1000):
            last = self.rng.choice("13579" if gender == "1" else "02468")
            first17 = f"{div}{birth:%Y%m%d}{self.rng.randrange(100):02d}{last}"
            n = first17 + idcard.check_digit(first17)
            if n not in self.used_ids:
                self.used_ids.add(n)
                return n
        raise RuntimeError("ran out of ID sequence numbers")  # 500 per day and county: never in practice

    def temp_xjh(self, div: str, birth: _dt.date) -> str:
        while True:
            x = f"L{div}{birth:%Y%m%d}{self.rng.randrange(10000):04d}"
            if x not in self.used_xjh:
                self.used_xjh.add(x)
                return x

    def han_name(self, gender: str, surname: str | None = None) -> str:
        r = self.rng
        s = surname or (r.choice(RARE_SURNAMES) if r.random() < 0.01 else r.choice(SURNAMES))
        pool = MALE_CHARS if gender == "1" else FEMALE_CHARS
        given = [r.choice(pool) for _ in range(1 if r.random() < 0.3 else 2)]
        if r.random() < 0.02:
            given[-1] = r.choice(RARE_CHARS)
        return s + "".join(given)

    def phone(self) -> str:
        return self.rng.choice(["13", "15", "18", "17", "19"]) + "".join(str(self.rng.randrange(10)) for _ in range(9))

    def address(self, div: str) -> str:
        r = self.rng
        if r.random() < 0.6:
            return f"{self.place_name(div)}{r.choice(STREETS)}{r.randrange(1, 300)}号"
        return f"{self.place_name(div)}{r.choice(VILLAGES)}村{r.randrange(1, 12)}组"


def _birth_in(rng: random.Random, first: _dt.date, last: _dt.date) -> _dt.date:
    return first + _dt.timedelta(days=rng.randrange((last - first).days + 1))


def _school_year(today: _dt.date) -> int:
    return today.year if today.month >= 9 else today.year - 1


def _student(p: _People, klass: dict, seat: int, today: _dt.date) -> tuple[dict, list[dict]]:
    r = p.rng
    grade, stage = klass["grade"], klass["stage"]
    sy = _school_year(today)
    # born between 1 September and 31 August so that a first-grader is 6 by 31 August of entry
    first, last = _dt.date(sy - grade - 6, 9, 1), _dt.date(sy - grade - 5, 8, 31)
    gender = r.choice("12")
    roll = r.random() * 1000
    ethnicity, name, father_name, mother_name = "01", "", "", ""
    if roll < 20:  # 维吾尔族
        ethnicity = "05"
        father_given = r.choice(UYGHUR["father"])
        name = f"{r.choice(UYGHUR[gender])}·{father_given}"
        father_name = f"{father_given}·{r.choice(UYGHUR['father'])}"
        mother_name = f"{r.choice(UYGHUR['2'])}·{r.choice(UYGHUR['father'])}"
    elif roll < 25:
        ethnicity, pool = "04", TIBETAN
    elif roll < 30:
        ethnicity, pool = "02", MONGOL
    else:
        pool = None
        acc = 30
        for code, share in HAN_NAMED_MINORITIES:
            acc += share
            if roll < acc:
                ethnicity = code
                break
    if not name:
        if ethnicity in ("04", "02"):
            name = r.choice(pool[gender]) + r.choice(pool[r.choice("12")])
            father_name = r.choice(pool["1"]) + r.choice(pool["1"])
            mother_name = r.choice(pool["2"]) + r.choice(pool["2"])
        else:
            surname = r.choice(RARE_SURNAMES) if r.random() < 0.01 else r.choice(SURNAMES)
            name = p.han_name(gender, surname)
            father_name = p.han_name("1", surname)
            mother_name = p.han_name("2")
    div = p.division()
    for _ in range(50):
        birth = _birth_in(r, first, last)
        if (name, birth) not in p.used_name_birth:
            break
    p.used_name_birth.add((name, birth))
    idn = p.id_number(div, birth, gender)
    roll = r.random()
    xjh = "G" + idn if roll < 0.9 else ("" if roll < 0.97 else p.temp_xjh(div, birth))
    entry_year = klass["entry_year"]
    home = p.address(div)
    phone = p.phone()
    hukou = div + "000000"
    senior = stage == "senior"
    left_behind = "0" if r.random() < 0.93 else r.choice("12")
    rec = {
        "name": name, "gender": gender, "birth_date": f"{birth:%Y%m%d}", "birthplace_code": hukou,
        "native_place": p.place_name(div), "ethnicity": ethnicity, "nationality": "CHN", "id_type": "1",
        "hmt_overseas": "00", "health": "10" if r.random() < 0.97 else "20",
        "political": "03" if senior and r.random() < 0.5 else "13", "id_number": idn,
        "hukou_type": r.choice("12"), "hukou_division": hukou, "entry_ym": f"{entry_year}09",
        "entry_mode": "21" if senior else "11", "study_mode": "2" if senior and r.random() < 0.6 else "1",
        "current_address": home, "mailing_address": home, "home_address": home, "phone": phone,
        "postcode": "466000" if div.startswith("4116") else f"{r.randrange(100000, 999999)}",
        "only_child": "1" if r.random() < 0.3 else "0", "preschool": "1" if r.random() < 0.95 else "0",
        "left_behind": left_behind, "needs_aid": "1" if r.random() < 0.08 else "0",
        "one_subsidy": "1" if r.random() < 0.05 else "0", "orphan": "0", "martyr_child": "0",
        "distance_km": str(round(r.uniform(0.3, 12), 1)), "commute": r.choice("12344"),
        "school_bus": "0", "blood_type": r.choice(["1", "2", "3", "4", "5"]),
        "specialty": r.choice(SPECIALTIES) if r.random() < 0.2 else "", "seat_no": str(seat),
        "student_source": "1", "disability": "0", "gov_paid_place": "0", "inclusive_ed": "0",
        "migrant_child": "1" if r.random() < 0.06 else "0", "xueji_no": xjh,
    }
    members = []
    for seq, (rel, mname, g) in enumerate((("1", father_name, "1"), ("2", mother_name, "2")), 1):
        pdiv = div if r.random() < 0.8 else p.division()
        pbirth = _birth_in(r, _dt.date(birth.year - 40, 1, 1), _dt.date(birth.year - 22, 12, 31))
        members.append({
            "seq": seq, "name": mname, "relation": rel, "relation_note": "", "address": home,
            "hukou_division": pdiv + "000000", "phone": phone if seq == 1 else p.phone(),
            "is_guardian": "1" if seq == 1 or r.random() < 0.9 else "0", "id_type": "1",
            "id_number": p.id_number(pdiv, pbirth, g), "ethnicity": ethnicity,
            "employer": r.choice(EMPLOYERS), "position": r.choice(POSITIONS),
        })
    return rec, members


# ---------------------------------------------------------------------------------------------- school

def _new_school_values(profile: str, rng: random.Random) -> dict:
    name, div = PROFILE_SCHOOLS.get(profile, PROFILE_SCHOOLS["national"])
    prof = load_profile(profile)
    stages = [s for s in STAGES if not prof.stages or s in prof.stages]
    place = idcard.division_name(div) or ""
    return {"name": name, "code": f"2{div[:2]}{rng.randrange(10**7):07d}", "stages": stages,
            "division_code": div, "address": f"{place}{rng.choice(STREETS)}{rng.randrange(1, 200)}号",
            "principal": "李建国", "registrar": "王秀梅", "phone": f"0394-{rng.randrange(1000000, 9999999)}"}


def _create_school_in_session(session: Session, profile: str, rng: random.Random) -> None:
    """The same row init_school writes, for a session whose archive is open but has no school yet."""
    v = _new_school_values(profile, rng)
    values = {"name": v["name"], "code": v["code"], "profile": profile}
    findings = check_values(values)
    if findings:
        raise Refused(findings)
    extra = {k: v[k] for k in ("division_code", "address", "principal", "registrar", "phone")}
    with session.transaction() as conn:
        school_store.insert_school(conn, dict(values, stages=",".join(parse_stages(v["stages"])), **extra))
        q.insert_history(conn, [{"entity": "school", "entity_id": 1, "action": "create", "field": tr("label.school"),
                                 "new_value": tr("school.history_created", name=values["name"], code=values["code"]),
                                 "changed_by": session.user}])
    session.reload()


DEMO_SETTING = "demo_archive"


def _open(session_or_folder, profile: str, rng: random.Random) -> tuple[Session, bool, bool]:
    """(session, opened here, school created here)."""
    if isinstance(session_or_folder, Session):
        session = session_or_folder
        if session.school is None:
            _create_school_in_session(session, profile, rng)
            _mark_demo(session)
            return session, False, True
        _refuse_real(session)
        return session, False, False
    folder = Path(session_or_folder)
    session = Session.open(folder, create=True)
    if session.school is not None:
        try:
            _refuse_real(session)
        except Refused:
            session.close()
            raise
        return session, True, False
    session.close()
    v = _new_school_values(profile, rng)
    session = init_school(folder, name=v.pop("name"), code=v.pop("code"), stages=v.pop("stages"),
                          profile=profile, **v)
    _mark_demo(session)
    return session, True, True


def is_demo_archive(session: Session) -> bool:
    return school_store.get_setting(session.conn, DEMO_SETTING) == "1"


def _mark_demo(session: Session) -> None:
    with session.transaction() as conn:
        school_store.set_setting(conn, DEMO_SETTING, "1")


def _refuse_real(session: Session) -> None:
    """Invented students in a real school's archive could never be removed (nothing is deleted)."""
    if not is_demo_archive(session):
        raise Refused([Finding("not_demo_archive", tr("demo.real_archive", school=session.school["name"],
                                                      folder=str(session.folder)), field=tr("label.archive"))])


# ---------------------------------------------------------------------------------------------- plan

def _plan_classes(session: Session, students: int, rng: random.Random, today: _dt.date) -> list[dict]:
    """Classes for every grade of every stage the school offers, enough for ``students`` within limits."""
    school = session.school
    profile = session.profile
    stages = [s for s in school["stages"].split(",") if s in STAGE_GRADES]
    grades = [(s, g) for s in stages for g in STAGE_GRADES[s]]
    sy = _school_year(today)
    existing = school_store.list_classes(session.conn, ())
    taken_codes = {k["code"] for k in existing if k["code"]}
    taken_slots = {(k["entry_year"], k["stage"], k["grade"], k["number"]) for k in existing if k["status"] == "active"}
    plan = []
    for i, (stage, grade) in enumerate(grades):
        n = students // len(grades) + (1 if i < students % len(grades) else 0)
        limit = class_size_limit(profile, stage, grade)
        target = max(1, limit - max(1, limit // 10))  # leave room for transfers-in
        count = max(1, math.ceil(n / target))
        if count > MAX_CLASSES_PER_GRADE:
            count = math.ceil(n / limit)
        if count > MAX_CLASSES_PER_GRADE:
            raise Refused([Finding("too_many_students",
                                   tr("demo.too_many_students", count=n, classes=MAX_CLASSES_PER_GRADE, limit=limit),
                                   field=tr("demo.label.students"))])
        entry_year = sy - (grade - STAGE_FIRST_GRADE[stage])
        sizes = [n // count + (1 if j < n % count else 0) for j in range(count)]
        number = 0
        for size in sizes:
            number += 1
            while (entry_year, stage, grade, number) in taken_slots:
                number += 1
            code = f"{entry_year}{STAGE_DIGIT[stage]}{number:02d}"
            if code in taken_codes:
                code = None  # the archive already uses it: the class goes without a 班号
            plan.append({"stage": stage, "grade": grade, "number": number, "entry_year": entry_year,
                         "code": code, "capacity": limit, "size": size,
                         "head_teacher": rng.choice(TEACHER_SURNAMES) + rng.choice(TEACHER_GIVEN), "name": ""})
    return plan


def _insert_class(session: Session, conn, k: dict) -> int:
    values = {x: k[x] for x in ("stage", "grade", "number", "entry_year", "code", "capacity", "head_teacher", "name")}
    found = [f for f in _class_rules(session, values) if f.outcome in (BLOCK, BLOCK_STAR, EVIDENCE, INVALID)]
    if found:
        raise Refused(found)
    cid = school_store.insert_class(conn, values)
    q.insert_history(conn, [{"entity": "class", "entity_id": cid, "action": "create", "field": tr("label.class"),
                             "new_value": tr("class.history_created", name=display_name(values),
                                             code=k["code"] or tr("label.none")),
                             "changed_by": session.user, "batch": "演示数据"}])
    return cid


def _class_rules(session: Session, values: dict):
    return evaluate(session.profile, RuleContext("class.create", record={}, klass=values, school=session.school))


def _existing(session: Session) -> tuple[set, set, set]:
    conn = session.conn
    if not q.counts(conn)["students"]:
        return set(), set(), set()
    ids = q.search_student_ids(conn, None)
    rows = q.students_by_ids(conn, ids)
    used_ids = {r["id_number"] for r in rows.values() if r["id_number"]}
    used_xjh = {r["xueji_no"] for r in rows.values() if r["xueji_no"]}
    used_nb = set()
    for r in rows.values():
        try:
            used_nb.add((r["name"], _dt.datetime.strptime(r["birth_date"], "%Y%m%d").date()))
        except ValueError:
            pass
    return used_ids, used_xjh, used_nb


# ---------------------------------------------------------------------------------------------- entry point

def build_demo(session_or_folder, *, students: int = 300, profile: str = "henan-zhoukou", seed: int = 2026,
               progress=None, cancel=None) -> dict:
    """Fill an archive with a demo school: classes for every grade, ``students`` students with two family
    members each. Given a folder without a school, creates the school (with ``profile``); given an
    archive that has one, adds to it. Returns counts; ``cancelled`` is True when ``cancel()`` stopped it
    (then no class or student was added)."""
    if students < 0:
        raise Refused([Finding("bad_number", tr("demo.negative_students", count=students),
                               field=tr("demo.label.students"))])
    rng = random.Random(seed)
    session, opened, created = _open(session_or_folder, profile, rng)
    try:
        today = _dt.date.today()
        plan = _plan_classes(session, students, rng, today)
        people = _People(rng, (session.school.get("division_code") or "")[:4], *_existing(session))
        total = sum(k["size"] for k in plan)
        done = members = warnings = 0
        batch = f"演示数据 seed={seed} {_dt.datetime.now():%Y-%m-%d %H:%M:%S}"
        try:
            with session.transaction() as conn:
                for k in plan:
                    cid = _insert_class(session, conn, k)
                    for seat in range(1, k["size"] + 1):
                        if cancel is not None and cancel():
                            raise _Cancelled
                        rec, mems = _student(people, k, seat, today)
                        res = create_in_transaction(session, conn, rec, mems, class_id=cid, action="create",
                                                    reason="演示数据", batch=batch)
                        warnings += len(res.warnings)
                        members += len(mems)
                        done += 1
                        if progress is not None and done % PROGRESS_EVERY == 0:
                            progress(done, total)
        except _Cancelled:
            return {"school": session.school["name"], "school_code": session.school["code"],
                    "school_created": created, "classes": 0, "students": 0, "family_members": 0,
                    "warnings": 0, "cancelled": True}
        if progress is not None:
            progress(done, total)
        return {"school": session.school["name"], "school_code": session.school["code"], "school_created": created,
                "classes": len(plan), "students": done, "family_members": members, "warnings": warnings,
                "cancelled": False}
    finally:
        if opened:
            session.close()
