"""The tamper-evident audit log (docs/security.md "Audit log"): every write path adds its entry in the same transaction, the hash
chain finds an edited, deleted or reordered entry and names it, the access register lists views, prints and
exports; CLI shapes and exit codes. Real archives in tmp_path; the tampering is done the way a tamperer would:
a raw sqlite3 connection that drops the append-only triggers."""
from __future__ import annotations

import json
import sqlite3

import pytest

from app.audit import log as audit
from app.audit import register as audit_register
from app.audit import text as audit_text
from app.paper import loans as paper_loans
from app.backup import journal
from app.students import service as ss
from app.cli import main
from app.core.errors import Refused
from app.audit import store as aq
from tests.helpers import birth_for_grade, cjk_name, make_id, new_class, new_school


def run(capsys, *argv):
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out, _ = capsys.readouterr()
    lines = [x for x in out.splitlines() if x.strip()]
    assert len(lines) == 1, out
    return rc, json.loads(lines[0])


@pytest.fixture
def school(tmp_path):
    sessions = []

    def make(n=3):
        s = new_school(tmp_path)
        sessions.append(s)
        cid = new_class(s, 3, code="2023031")
        s.sids = []
        for i in range(n):
            r = ss.create_student(s, {"name": cjk_name(i, "审"), "ethnicity": "汉族",
                                      "id_number": make_id(birth_for_grade(3, i), 300 + i)}, [], class_id=cid)
            s.sids.append(r.id)
        return s

    yield make
    for s in sessions:
        try:
            s.close()
        except Exception:
            pass


def n_audit(s) -> int:
    return s.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def n_rows(s, *tables) -> int:
    return sum(s.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)


def tamper(s, *sql):
    """A raw connection (no xueji function), append-only triggers dropped, then ``sql`` run."""
    c = sqlite3.connect(s.archive.db_path, isolation_level=None)
    try:
        c.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        c.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        for stmt in sql:
            c.execute(stmt)
    finally:
        c.close()


# =================================================================== chain
def test_new_archive_chain_starts_with_genesis_and_verifies(school):
    s = school()
    first = s.conn.execute("SELECT * FROM audit_log WHERE id = 1").fetchone()
    assert first["action"] == "genesis" and first["prev_hash"] == b""
    rep = audit.verify(s)
    assert rep.ok and rep.count == n_audit(s) > 1
    last = s.conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert rep.head == last.hex() and len(last) == 32
    # each entry carries the previous one's hash
    rows = s.conn.execute("SELECT prev_hash, hash FROM audit_log ORDER BY id").fetchall()
    assert all(rows[i]["prev_hash"] == rows[i - 1]["hash"] for i in range(1, len(rows)))


def test_edited_entry_is_named(school):
    s = school()
    tamper(s, "UPDATE audit_log SET actor = 'someone' WHERE id = 4")
    rep = audit.verify(s)
    assert [(f.code, f.row) for f in rep.breaks] == [("audit_edited", 4)]
    assert "第 4 条" in rep.breaks[0].message and "改动" in rep.breaks[0].message


def test_edited_entry_with_its_hash_recomputed_breaks_the_next_link(school):
    s = school()
    r = dict(s.conn.execute("SELECT * FROM audit_log WHERE id = 4").fetchone())
    new = aq.entry_hash(r["prev_hash"], 4, r["at"], "someone", r["action"], r["entity"], r["entity_id"],
                        r["student_id"], r["detail"])
    tamper(s, f"UPDATE audit_log SET actor = 'someone', hash = X'{new.hex()}' WHERE id = 4")
    rep = audit.verify(s)
    assert [(f.code, f.row) for f in rep.breaks] == [("audit_link", 5)]


def test_deleted_entry_is_named(school):
    s = school()
    tamper(s, "DELETE FROM audit_log WHERE id IN (5, 6)")
    rep = audit.verify(s)
    assert [(f.code, f.row) for f in rep.breaks if f.code != "audit_missing"] == [("audit_gap", 7)]
    assert "第 5–6 条缺失" in rep.breaks[0].message
    assert "audit_missing" in {f.code for f in rep.breaks}  # and the history rows they covered are named


def test_cut_tail_is_found_from_the_history_rows(school):
    s = school()
    last = s.conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    tamper(s, f"DELETE FROM audit_log WHERE id > {last - 2}")
    rep = audit.verify(s)
    assert rep.breaks and {f.code for f in rep.breaks} == {"audit_missing"}
    assert any("change_history" in f.message or "status_events" in f.message for f in rep.breaks)


def test_deleted_genesis_is_named(school):
    s = school()
    tamper(s, "DELETE FROM audit_log WHERE id = 1")
    assert [(f.code, f.row) for f in audit.verify(s).breaks] == [("audit_gap", 2)]


def test_reordered_entries_are_named(school):
    s = school()
    tamper(s, "UPDATE audit_log SET id = -1 WHERE id = 3", "UPDATE audit_log SET id = 3 WHERE id = 4",
           "UPDATE audit_log SET id = 4 WHERE id = -1")
    rep = audit.verify(s)
    assert {f.row for f in rep.breaks} == {3, 4, 5}
    assert ("audit_edited", 3) in [(f.code, f.row) for f in rep.breaks]


def test_raw_connection_cannot_write_audited_tables(school):
    """Writes from outside Xueji (no hash function) cannot extend the chain: they fail."""
    s = school()
    c = sqlite3.connect(s.archive.db_path)
    try:
        with pytest.raises(sqlite3.OperationalError, match="xueji_audit_hash"):
            c.execute("INSERT INTO change_history(student_id, entity, action, changed_at) "
                      "VALUES (1, 'student', 'edit', '2026-01-01T00:00:00')")
    finally:
        c.close()


def test_audit_log_is_append_only(school):
    s = school()
    for sql in ("UPDATE audit_log SET actor = 'x' WHERE id = 1", "DELETE FROM audit_log WHERE id = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            s.conn.execute(sql)


# =================================================================== write paths
def test_each_history_row_adds_one_entry_in_its_transaction(school):
    s = school(1)
    tables = ("change_history", "status_events", "rule_findings", "cert_events", "folder_loans", "backup_log")
    before, rows_before = n_audit(s), n_rows(s, *tables)
    ss.create_student(s, {"name": "审新生", "ethnicity": "汉族", "id_number": make_id(birth_for_grade(3, 9), 399)},
                      [], class_id=s.conn.execute("SELECT id FROM classes").fetchone()[0])
    assert n_audit(s) - before == n_rows(s, *tables) - rows_before > 0
    sid = s.sids[0]
    ss.edit_student(s, sid, {"phone": "13800000000"})
    e = audit.list_entries(s, student=sid, limit=1)[0]
    assert e["action"] == "change.edit" and e["actor"] == "tester" and e["detail"]["field"] == "phone"
    assert audit.list_entries(s, student=sid, kind="status")  # the enrol event
    before, rows_before = n_audit(s), n_rows(s, *tables)
    loan = paper_loans.lend(s, sid, borrower="李老师", purpose="核对学籍", approved_by="校长", lent_on="2026-03-01",
                      due_on="2026-03-08")
    paper_loans.return_loan(s, loan, returned_on="2026-03-05")
    got = [e["action"] for e in audit.list_entries(s, kind="folder")]
    assert got == ["folder.return", "folder.lend"]
    assert n_audit(s) - before == n_rows(s, *tables) - rows_before + 1  # + the return (an UPDATE of the loan)
    journal.record(s, "check", ok=True, trigger="cli")
    assert audit.list_entries(s, limit=1)[0]["action"] == "backup.check"
    assert audit.verify(s).ok


def test_override_entry_names_the_approver(school):
    s = school(0)
    with s.transaction() as c:
        c.execute("INSERT INTO rule_findings(student_id, rule_id, article, outcome, message, decided_at, decided_by,"
                  " override_reason, approved_by, evidence_ref) VALUES (NULL, 'X.R', '第一条', 'BLOCK*', 'm',"
                  " '2026-01-01T00:00:00', 'tester', '理由', '王校长', '证明')")
    e = audit.list_entries(s, kind="override")[0]
    assert e["detail"]["approved_by"] == "王校长" and e["detail"]["rule"] == "X.R"


def test_rolled_back_action_leaves_no_entry(school):
    s = school(1)
    before = n_audit(s)
    with pytest.raises(RuntimeError):
        with s.transaction() as c:
            c.execute("INSERT INTO change_history(student_id, entity, action, changed_at) "
                      "VALUES (?, 'student', 'edit', '2026-01-01T00:00:00')", (s.sids[0],))
            audit.record_view(s, s.sids[0], where="cli", conn=c)
            assert n_audit(s) == before + 2
            raise RuntimeError("power cut")
    assert n_audit(s) == before
    with pytest.raises(Refused):
        ss.edit_student(s, s.sids[0], {"id_number": "123"})
    assert n_audit(s) == before and audit.verify(s).ok


# =================================================================== access register
def test_views_prints_exports_make_the_access_register(school, tmp_path):
    from app.exchange import export_service as ex

    s = school(2)
    ss.view_student(s, s.sids[0], where="gui")
    ex.export_students(s, tmp_path / "out.xlsx")
    reg = audit_register.access_register(s)
    assert [r["action"] for r in reg] == ["view", "export"]
    assert reg[0]["student_name"] == cjk_name(0, "审") and reg[0]["actor"] == "tester"
    assert reg[1]["detail"]["count"] == 2
    res = audit_register.write_access_register(s, tmp_path / "reg.pdf")
    assert res["entries"] == 2 and res["chain_ok"]
    import pdfplumber

    with pdfplumber.open(res["file"]) as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages)
    assert "学籍档案查阅登记簿" in text and cjk_name(0, "审") in text and "学籍编辑窗口" in text


def test_print_adds_one_entry(school, tmp_path):
    from app.printing import service as ps

    s = school(1)
    before = n_audit(s)
    ps.print_document(s, "basic-info-form", tmp_path / "f.pdf", student_ids=[s.sids[0]])
    e = audit.list_entries(s, kind="print")
    assert len(e) == 1 and e[0]["student_id"] == s.sids[0] and n_audit(s) == before + 1
    assert (tmp_path / "f.pdf").exists()


# =================================================================== CLI
def test_cli_verify_list_register(school, tmp_path, capsys):
    s = school(1)
    sid = s.sids[0]
    folder = s.folder
    s.close()
    x = ("--archive", folder, "--json")
    rc, obj = run(capsys, *x, "student", "show", sid)
    assert rc == 0
    rc, obj = run(capsys, *x, "audit", "verify")
    assert rc == 0 and obj["ok"] and obj["entries"] > 3 and len(obj["head"]) == 64
    rc, obj = run(capsys, *x, "audit", "list", "--student", sid, "--kind", "view")
    assert rc == 0 and obj["count"] == 1 and obj["entries"][0]["detail"]["where"] == "cli"
    rc, obj = run(capsys, *x, "audit", "list", "--since", "2999-01-01")
    assert rc == 0 and obj["count"] == 0
    rc, obj = run(capsys, *x, "audit", "access-register", "-o", tmp_path / "r.pdf")
    assert rc == 0 and obj["entries"] == 1 and (tmp_path / "r.pdf").exists()
    rc, obj = run(capsys, *x, "audit", "list", "--kind", "print")  # printing the register is itself a line of it
    assert rc == 0 and obj["count"] == 1 and obj["entries"][0]["detail"]["kind"] == "access-register"
    c = sqlite3.connect(folder / "archive.sqlite", isolation_level=None)
    c.execute("DROP TRIGGER audit_log_no_update")
    c.execute("UPDATE audit_log SET actor = 'x' WHERE id = 2")
    c.close()
    rc, obj = run(capsys, *x, "audit", "verify")
    assert rc == 1 and not obj["ok"]
    assert [(e["code"], e["row"]) for e in obj["errors"]] == [("audit_edited", 2)]
    assert set(obj["errors"][0]) >= {"code", "field", "row", "message", "rule", "article", "outcome"}
    rc = main(["--archive", str(folder), "audit"])
    assert rc == 2


def test_certificate_issue_and_void_are_entries(tmp_path):
    import datetime as dt

    from app.certificates import service as cs
    from tests.helpers import fill_class

    s = new_school(tmp_path, sub="certs")
    with s:
        g6 = new_class(s, 6)
        sid = fill_class(s, g6, 1, 6)[0].id
        tables = ("change_history", "status_events", "rule_findings", "cert_events", "folder_loans", "backup_log")
        before, rows_before = n_audit(s), n_rows(s, *tables)
        c = cs.issue(s, "diploma", sid, issue_date=dt.date(2026, 7, 1))
        number = c["number"] if isinstance(c, dict) else c.number
        cs.void(s, number, "打印错位")
        got = [e["action"] for e in audit.list_entries(s, kind="cert")]
        assert got[:2] == ["cert.void", "cert.issue"]
        assert all(e["student_id"] == sid and e["detail"]["number"] == number
                   for e in audit.list_entries(s, kind="cert"))
        assert n_audit(s) - before == n_rows(s, *tables) - rows_before
        assert audit.verify(s).ok


# =================================================================== the audit window's reading (app side)
def _bulk(s, n, *, rare_every=7001):
    """n entries appended with a valid chain: views of the school's students, every ``rare_every``-th a failed
    sign-in by "guest"."""
    last = s.conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    next_id, prev, rows = last[0] + 1, last[1], []
    for i in range(next_id, next_id + n):
        if i % rare_every == 0:
            action, actor, sid, detail = "signin.failed", "guest", None, '{"reason":"wrong_password","via":"gui"}'
        else:
            action, actor, sid, detail = "view", "tester", s.sids[i % len(s.sids)], '{"where":"gui"}'
        at = f"2026-03-{1 + i % 28:02d}T08:00:00"
        h = aq.entry_hash(prev, i, at, actor, action, "student", sid, sid, detail)
        rows.append((i, at, actor, action, "student", sid, sid, detail, prev, h))
        prev = h
    with s.archive.transaction() as c:
        c.executemany("INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail,"
                      " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)


def test_page_entries_pages_newest_first_without_gaps_or_repeats(school):
    s = school(3)
    _bulk(s, 60000)
    total = audit.total(s)
    got, before, pages = [], None, 0
    while True:
        rows, before = audit.page_entries(s, before=before, category="sign")
        got += [r["id"] for r in rows]
        pages += 1
        if before is None:
            break
    want = [e["id"] for e in audit.list_entries(s) if audit.category_of(e["action"]) == "sign"]
    assert got == want and len(got) >= 8 and pages == 1  # rare: one page reaches the start of the log
    # the whole log in pages of 200: no gaps, no repeats, newest first, never more than a page at once
    seen, before = [], None
    for _ in range(5):
        rows, before = audit.page_entries(s, before=before)
        assert len(rows) == audit.PAGE_SIZE
        seen += [r["id"] for r in rows]
    assert seen == list(range(total, total - 5 * audit.PAGE_SIZE, -1)) and before == seen[-1]
    # filters combine; the student's name and 学籍号 come with each entry
    rows, _ = audit.page_entries(s, student_ids=[s.sids[1]], actor="tester", limit=50)
    assert len(rows) == 50 and {r["student_id"] for r in rows} == {s.sids[1]}
    assert rows[0]["student_name"] == cjk_name(1, "审") and rows[0]["detail"] == {"where": "gui"}
    rows, nxt = audit.page_entries(s, text="guest")
    assert rows and {r["action"] for r in rows} == {"signin.failed"} and nxt is None
    rows, _ = audit.page_entries(s, text=cjk_name(2, "审"), limit=20)  # the student's name in the text box
    assert len(rows) == 20 and {r["student_id"] for r in rows} == {s.sids[2]}
    rows, _ = audit.page_entries(s, since="2026-03-05", until="2026-03-05", limit=30)  # until inclusive
    assert rows and {r["at"][:10] for r in rows} == {"2026-03-05"}
    assert audit.page_entries(s, text="100%_nothing")[0] == []
    assert audit.page_entries(s, student_ids=[])[0] == []
    # a cancelled read returns what it has and where to go on
    rows, nxt = audit.page_entries(s, text="nothing at all", cancel=lambda: True)
    assert rows == [] and nxt == total + 1


def test_categories_names_and_readable_details(school):
    s = school(1)
    assert [audit.category_of(a) for a in ("signin", "signin.failed", "signout", "lock", "account.locked")] == ["sign"] * 5
    assert [audit.category_of(a) for a in ("change.edit", "cert.issue", "folder.lend", "status.suspend", "view",
                                           "print", "export", "export-approval.add", "backup.backup", "override",
                                           "account.create", "genesis")] == \
        ["change", "change", "change", "status", "view", "print", "export", "export", "backup", "override",
         "account", None]
    assert audit_text.action_name("signin.failed") == "登录失败"
    assert audit_text.action_name("status.suspend") == "学籍异动（休学）"
    assert audit_text.action_name("something.new") == "something.new"
    ss.edit_student(s, s.sids[0], {"phone": "13912345678"}, reason="家长来电")
    e = audit.list_entries(s, kind="change", limit=1)[0]
    text = audit_text.detail_text(e)
    assert "联系电话" in text and "家长来电" in text and "{" not in text and "change_history" not in text
    st = {"action": "status.suspend", "detail": {"from": "enrolled", "to": "suspended", "effective": "2026-12-01"}}
    assert "→" in audit_text.detail_text(st) and "2026-12-01" in audit_text.detail_text(st)
    failed = {"action": "signin.failed", "detail": {"reason": "wrong_password", "via": "cli", "attempt": 2}}
    assert audit_text.detail_text(failed) == "原因：密码错误；方式：命令行；第几次：2"
    assert audit_text.entity_text({"entity": "certificate", "entity_id": 7}) == "证书 7"


def test_register_print_is_recorded_only_when_asked(school, tmp_path):
    s = school(1)
    ss.view_student(s, s.sids[0], where="gui")
    before = audit.total(s)
    audit_register.write_access_register(s, tmp_path / "preview.pdf")
    assert audit.total(s) == before
    res = audit_register.write_access_register(s, tmp_path / "final.pdf", since="2000-01-01", until="2999-01-01", record=True)
    e = audit.list_entries(s, limit=1)[0]
    assert audit.total(s) == before + 1 and e["action"] == "print" and e["detail"]["kind"] == "access-register"
    assert e["detail"]["file"] == res["file"] and e["detail"]["pages"] == res["pages"] and audit.verify(s).ok
    import pdfplumber

    with pdfplumber.open(res["file"]) as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages)
    assert "至 2998-12-31" in text  # until is exclusive: the paper names the last day included


def test_export_csv_neutralises_and_is_recorded(school, tmp_path):
    import csv

    s = school(2)
    audit.record(s, "+danger", detail={"note": "=1+1"})
    out = tmp_path / "log.csv"
    res = audit.export_csv(s, out)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert res["entries"] == len(rows) - 1 == audit.total(s) - 1  # the export's own entry comes after
    assert "'+danger" in [r[3] for r in rows] and not any(c[:1] in "=+-@" for r in rows for c in r if c)
    e = audit.list_entries(s, limit=1)[0]
    assert e["action"] == "export" and e["detail"]["kind"] == "audit-log" and e["detail"]["count"] == res["entries"]
    assert not list(tmp_path.glob(".*.part"))


def test_reading_the_log_needs_the_audit_permission(school):
    from app.accounts import service as accounts
    from app.core.errors import Forbidden

    s = school(1)
    accounts.setup_first_registrar(s, "admin", "correct horse 7")
    accounts.add_account(s, "li", "head teacher 1", "head_teacher", must_change=False)
    accounts.sign_in(s, "li", "head teacher 1")
    with pytest.raises(Forbidden):
        audit.page_entries(s)
    with pytest.raises(Forbidden):
        audit.actors(s)
    with pytest.raises(Forbidden):
        audit.export_csv(s, "/tmp/never.csv")
    accounts.sign_in(s, "admin", "correct horse 7")
    assert audit.page_entries(s)[0][0]["action"] == "signin"
    assert ("admin", 3) in audit.actors(s) or any(a == "admin" for a, _ in audit.actors(s))
